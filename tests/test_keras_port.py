"""Weights exported from a real Keras 3 model load into the equivalent minitf modules.

Keras runs in a child process (JAX backend with 64-bit floats, set in the child's environment
only) and exports ``{weight.path: value}``, its input and its output; this process
renames the paths with the table of docs/modules.md and compares outputs.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import minitf as mtf

_EXPORT = """
import json, sys
import numpy as np
import keras
keras.config.set_floatx(sys.argv[2])
keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input((6, 6, 3)),
    keras.layers.Conv2D(4, 3, padding="same", name="conv"),
    keras.layers.LayerNormalization(name="norm"),
    keras.layers.Flatten(name="flatten"),
    keras.layers.Dense(5, name="dense"),
])
for w in model.weights:   # random gamma/beta/bias, so a swap cannot go unnoticed
    w.assign(np.random.default_rng(len(w.path)).standard_normal(w.shape))
x = np.random.default_rng(1).standard_normal((2, 6, 6, 3)).astype(sys.argv[2])
arrays = {w.path: np.asarray(w.numpy()) for w in model.weights}
np.savez(sys.argv[1], x=x, y=np.asarray(model(x)), **arrays)
print(json.dumps([w.path for w in model.weights]))
"""

# The renaming documented in docs/modules.md ("Porting weights from Keras").
KERAS_LEAVES = {"kernel": "w", "bias": "b", "gamma": "scale", "beta": "offset"}


class Net(mtf.Module):
    """Conv2D → LayerNorm → Flatten → Linear, as the Keras model above."""

    def __init__(self):
        super().__init__(name="net")
        self.conv = mtf.layers.Conv2D(4, 3, padding="SAME")
        self.norm = mtf.layers.LayerNorm(-1, eps=1e-3)   # Keras' default epsilon
        self.flatten = mtf.layers.Flatten()
        self.dense = mtf.layers.Linear(5)

    def __call__(self, x):
        return self.dense(self.flatten(self.norm(self.conv(x))))


def _export(tmp_path, floatx):
    out = tmp_path / f"keras_{floatx}.npz"
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_ENABLE_X64="1", JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", _EXPORT, str(out), floatx], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    paths = json.loads(done.stdout.strip().splitlines()[-1])
    with np.load(out) as data:
        return paths, {k: data[k] for k in data.files}


def _renamed(paths, arrays):
    """``{"sequential/conv/kernel": ...}`` → ``{"conv/w": ...}``."""
    mapping = {}
    for path in paths:
        *_, layer, leaf = path.split("/")
        mapping[f"{layer}/{KERAS_LEAVES[leaf]}"] = arrays[path]
    return mapping


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keras")
    return {floatx: _export(tmp, floatx) for floatx in ("float64", "float32")}


@pytest.mark.parametrize("floatx", ["float64", "float32"])
def test_keras_weights_load_by_the_documented_names_and_give_keras_outputs(exported, floatx):
    paths, arrays = exported[floatx]
    net = Net()
    net(mtf.constant(arrays["x"]))                   # build the variables
    assert net.load_weights(_renamed(paths, arrays)) == []
    got = net(mtf.constant(arrays["x"])).numpy()
    scale = np.abs(arrays["y"]).max()
    assert scale > 0.5                               # a real output, not all zeros
    assert np.abs(got - arrays["y"]).max() <= 1e-6 * scale   # Keras' float32 rounding


def test_swapping_gamma_and_beta_changes_the_outputs(exported):
    paths, arrays = exported["float64"]
    net = Net()
    net(mtf.constant(arrays["x"]))
    mapping = _renamed(paths, arrays)
    mapping["norm/scale"], mapping["norm/offset"] = mapping["norm/offset"], mapping["norm/scale"]
    net.load_weights(mapping)
    assert np.abs(net(mtf.constant(arrays["x"])).numpy() - arrays["y"]).max() > 1e-2


def test_set_weights_with_a_wrong_shape_changes_nothing(exported):
    paths, arrays = exported["float64"]
    net = Net()
    net(mtf.constant(arrays["x"]))
    net.load_weights(_renamed(paths, arrays))
    before = [v.numpy().copy() for v in net.variables]
    weights = net.get_weights()
    weights[-1] = np.zeros(weights[-1].shape[:-1] + (weights[-1].shape[-1] + 1,))
    with pytest.raises(ValueError, match="shape"):
        net.set_weights(weights)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, net.variables))
    wrong = _renamed(paths, arrays)
    wrong["dense/w"] = wrong["dense/w"].T
    with pytest.raises(ValueError, match="dense/w"):
        net.load_weights(wrong)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, net.variables))
