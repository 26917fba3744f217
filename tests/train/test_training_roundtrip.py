"""A checkpoint taken mid-training resumes bit for bit.

A model and optimizer train for a few steps and are saved. A fresh program
(new model, new optimizer, nothing built) restores the file; the next ten
steps must give exactly the same variables, slots and counters, as bytes, as
ten more steps of the original.
"""
import numpy as np
import pytest

import minitf as mtf


class Net(mtf.Module):
    """An encoder MLP, a BatchNorm (non-trainable statistics) and a head."""

    def __init__(self):
        super().__init__()
        self.encoder = mtf.layers.MLP([8, 6], activate_final=True)
        self.norm = mtf.layers.BatchNorm(momentum=0.9)
        self.head = mtf.layers.Linear(1)

    def __call__(self, x, training=False):
        return self.head(self.norm(self.encoder(x), training=training))


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = np.sin(x.sum(axis=1, keepdims=True)).astype(np.float32)
    return x, y


def train_step(model, opt, x, y):
    with mtf.GradientTape() as tape:
        loss = mtf.reduce_mean(mtf.square(model(x, training=True) - y))
    variables = model.trainable_variables
    opt.apply_gradients(zip(tape.gradient(loss, variables), variables))


def state_by_key(ckpt, directory):
    """Every saved value of ``ckpt`` as (dtype, shape, bytes), by key, read back from a file."""
    path = ckpt.write(str(directory / "state"))
    arrays = {key: mtf.train.load_variable(path, key)
              for key, _ in mtf.train.list_variables(path)}
    return {key: (a.dtype.str, a.shape, a.tobytes()) for key, a in arrays.items()}


OPTIMIZERS = {
    "adam": lambda: mtf.optimizers.Adam(0.01),
    "adam_amsgrad_ema": lambda: mtf.optimizers.Adam(0.01, amsgrad=True, use_ema=True),
    "sgd_nesterov": lambda: mtf.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop_centered": lambda: mtf.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adagrad": lambda: mtf.optimizers.Adagrad(0.05),
    "adadelta": lambda: mtf.optimizers.Adadelta(1.0),
    "adamw": lambda: mtf.optimizers.AdamW(0.01, weight_decay=0.01),
    "adamax": lambda: mtf.optimizers.Adamax(0.01),
    "nadam": lambda: mtf.optimizers.Nadam(0.01),
    "ftrl": lambda: mtf.optimizers.Ftrl(0.05, l1_regularization_strength=0.01),
    "lion": lambda: mtf.optimizers.Lion(0.001),
    "adam_accumulating": lambda: mtf.optimizers.Adam(0.01, gradient_accumulation_steps=3),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_restored_training_continues_bit_identically(tmp_path, name):
    x, y = make_data()
    mtf.random.set_seed(1)
    model, opt = Net(), OPTIMIZERS[name]()
    ckpt = mtf.train.Checkpoint(model=model, optimizer=opt)
    for _ in range(4):
        train_step(model, opt, x, y)
    path = ckpt.save(str(tmp_path / "mid"))
    iterations_at_save = int(opt.iterations)
    assert iterations_at_save == (1 if name == "adam_accumulating" else 4)

    mtf.random.set_seed(2)          # different initial values in the fresh program
    model2, opt2 = Net(), OPTIMIZERS[name]()
    ckpt2 = mtf.train.Checkpoint(model=model2, optimizer=opt2)
    status = ckpt2.restore(path)
    assert model2.variables == ()   # nothing built yet: everything waits
    model2(x[:2])                   # building assigns the saved values (and slots)
    status.assert_consumed()
    assert int(ckpt2.save_counter) == 1 and int(opt2.iterations) == iterations_at_save

    for _ in range(10):
        train_step(model, opt, x, y)
        train_step(model2, opt2, x, y)
    original, resumed = state_by_key(ckpt, tmp_path), state_by_key(ckpt2, tmp_path)
    assert sorted(original) == sorted(resumed)
    assert any(key.startswith("optimizer/model/") for key in original)   # slots saved
    for key in original:
        assert original[key] == resumed[key], key
    assert int(opt2.iterations) == int(opt.iterations)


def test_restore_into_built_objects_is_immediate_and_also_bit_identical(tmp_path):
    x, y = make_data()
    model, opt = Net(), mtf.optimizers.Adam(0.01)
    ckpt = mtf.train.Checkpoint(model=model, optimizer=opt)
    for _ in range(3):
        train_step(model, opt, x, y)
    path = ckpt.write(str(tmp_path / "mid"))

    model2, opt2 = Net(), mtf.optimizers.Adam(0.01)
    model2(x[:2])                   # built, but the optimizer has no slots yet
    mtf.train.Checkpoint(model=model2, optimizer=opt2).read(path).assert_consumed()
    for var in model.trainable_variables:
        assert opt.get_slot(var, "momentum") is not None
    for v1, v2 in zip(model.variables, model2.variables):
        assert v1.numpy().tobytes() == v2.numpy().tobytes()
    for _ in range(10):
        train_step(model, opt, x, y)
        train_step(model2, opt2, x, y)
    for v1, v2 in zip(model.variables, model2.variables):
        assert v1.numpy().tobytes() == v2.numpy().tobytes()
    for v1, v2 in zip(model.trainable_variables, model2.trainable_variables):
        for slot in ("momentum", "velocity"):
            a, b = opt.get_slot(v1, slot).numpy(), opt2.get_slot(v2, slot).numpy()
            assert a.tobytes() == b.tobytes()
