"""Acceptance: training with Dropout(0.5, seed=Generator) resumes bit for bit in a new
process from a checkpoint, because the generator's state is in the checkpoint.

The test process trains an MLP for 20 steps (Adam, float32), writing a
checkpoint after step 10. A new process (this file run as a script with the
same Python) builds the model afresh, restores the checkpoint, trains steps
11-20 and writes its weights to a .npz: they must equal the uninterrupted
run's exactly. Negative control: the same resume with the generator put back
to its seed's start state (not restored) ends with different weights.
"""
import subprocess
import sys

import numpy as np
import pytest

import minitf as mtf

SEED = 1234
STEPS, SAVE_AFTER = 20, 10


class Net(mtf.Module):
    """Linear -> relu -> Dropout(0.5, seed=generator) -> Linear."""

    def __init__(self):
        super().__init__()
        self.generator = mtf.random.Generator.from_seed(SEED)
        self.hidden = mtf.layers.Linear(32)
        self.drop = mtf.layers.Dropout(0.5, seed=self.generator)
        self.out = mtf.layers.Linear(1)

    def __call__(self, x, training=False):
        h = self.drop(mtf.nn.relu(self.hidden(x)), training=training)
        return self.out(h)


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype(np.float32)
    return x, np.sin(x.sum(axis=1, keepdims=True)).astype(np.float32)


def build(traced):
    """(model, optimizer, checkpoint, step function); the model's variables exist."""
    model, opt = Net(), mtf.optimizers.Adam(0.01)
    x, _ = make_data()
    model(x)                                              # builds, no dropout draw
    ckpt = mtf.train.Checkpoint(model=model, optimizer=opt)

    def step(x, y):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_mean(mtf.square(model(x, training=True) - y))
        variables = model.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss
    return model, opt, ckpt, (mtf.function(step) if traced else step)


def weights(model):
    """The model's variables by path, as numpy arrays."""
    return {"/".join(map(str, path)): v.numpy()
            for path, v in model._flatten(predicate=lambda o: isinstance(o, mtf.Variable),
                                          with_path=True)}


def resume(traced, ckpt_path, out_path, restore_generator):
    """The new process: restore, train the remaining steps, save the weights."""
    model, _, ckpt, step = build(traced)
    ckpt.read(ckpt_path).assert_consumed()
    if not restore_generator:
        model.generator.reset_from_seed(SEED)           # as if its state were not saved
    x, y = make_data()
    for _ in range(STEPS - SAVE_AFTER):
        step(x, y)
    np.savez(out_path, **weights(model))


def _run_resume(traced, ckpt_path, out_path, restore_generator):
    args = [sys.executable, __file__, str(int(traced)), ckpt_path, str(out_path),
            str(int(restore_generator))]
    subprocess.run(args, check=True, capture_output=True, text=True)
    with np.load(out_path) as saved:
        return {key: saved[key] for key in saved.files}


@pytest.mark.parametrize("traced", [False, True], ids=["eager", "function"])
def test_resume_in_a_new_process_is_bit_identical(tmp_path, traced):
    model, _, ckpt, step = build(traced)
    x, y = make_data()
    for i in range(STEPS):
        step(x, y)
        if i + 1 == SAVE_AFTER:
            ckpt_path = ckpt.write(str(tmp_path / "mid"))
    expected = weights(model)
    assert any(v.dtype == np.int64 for v in expected.values())    # the generator state

    resumed = _run_resume(traced, ckpt_path, tmp_path / "resumed.npz", True)
    assert sorted(resumed) == sorted(expected)
    for key, value in expected.items():
        assert resumed[key].dtype == value.dtype
        assert np.array_equal(resumed[key], value), key

    control = _run_resume(traced, ckpt_path, tmp_path / "control.npz", False)
    changed = [key for key, value in expected.items()
               if value.dtype != np.int64 and not np.array_equal(control[key], value)]
    assert changed, "resuming without the generator state should change the weights"


if __name__ == "__main__":
    resume(bool(int(sys.argv[1])), sys.argv[2], sys.argv[3], bool(int(sys.argv[4])))
