"""Module.get_weights / set_weights / load_weights: porting weights as numpy arrays.

Truth: the arrays given, numpy reference formulas for the layers (Dense,
LayerNorm) and the op itself for Conv2D, with Keras' weight layouts.
"""
import numpy as np
import pytest

import minitf as mtf


def built_mlp():
    mlp = mtf.layers.MLP([4, 3], name="mlp")
    mlp(np.zeros((2, 5), np.float32))
    return mlp


def values(module):
    return [v.numpy() for v in module.variables]


def test_get_weights_are_writable_copies_in_variables_order():
    mlp = built_mlp()
    weights = mlp.get_weights()
    assert [w.shape for w in weights] == [v.shape for v in mlp.variables]
    weights[0][...] = 7.0
    assert not np.any(mlp.variables[0].numpy() == 7.0)


def test_set_weights_round_trip_and_order():
    mlp = built_mlp()
    rng = np.random.default_rng(0)
    new = [rng.standard_normal(v.shape).astype(np.float32) for v in mlp.variables]
    mlp.set_weights(new)
    for v, w in zip(mlp.variables, new):
        np.testing.assert_array_equal(v.numpy(), w)
    np.testing.assert_array_equal(mlp.get_weights()[1], new[1])


@pytest.mark.parametrize("break_it, message", [
    (lambda ws: ws[:-1], "expected 4 arrays"),
    (lambda ws: ws[:-1] + [np.zeros((9,), np.float32)], r"received shape \(9,\)"),
    (lambda ws: ws[:-1] + [ws[-1].astype(np.float64)], "dtype float32"),
])
def test_set_weights_that_do_not_fit_change_nothing(break_it, message):
    mlp = built_mlp()
    before = values(mlp)
    fresh = [w + 1.0 for w in mlp.get_weights()]
    with pytest.raises(ValueError, match=message):
        mlp.set_weights(break_it(fresh))
    for b, v in zip(before, values(mlp)):
        np.testing.assert_array_equal(b, v)


def test_set_weights_reads_every_value_before_writing():
    a = mtf.Module()
    a.x, a.y = mtf.Variable([1.0, 2.0]), mtf.Variable([3.0, 4.0])
    a.set_weights([a.y, a.x])                         # a swap: both read first
    assert a.x.numpy().tolist() == [3.0, 4.0] and a.y.numpy().tolist() == [1.0, 2.0]


def test_load_weights_by_path_returns_the_unmatched_keys():
    mlp = built_mlp()
    w0 = np.full((5, 4), 0.5, np.float64)                # floats are cast
    missing = mlp.load_weights({"layers/0/w": w0, "layers/9/w": np.zeros(3), 42: 1.0})
    assert missing == ["layers/9/w", 42]
    np.testing.assert_array_equal(mlp.layers[0].w.numpy(), w0.astype(np.float32))


def test_load_weights_with_a_wrong_shape_changes_nothing():
    mlp = built_mlp()
    before = values(mlp)
    with pytest.raises(ValueError, match=r"load_weights\['layers/1/b'\].*shape \(3,\)"):
        mlp.load_weights({"layers/0/w": np.ones((5, 4), np.float32),
                          "layers/1/b": np.ones((4,), np.float32)})
    for b, v in zip(before, values(mlp)):
        np.testing.assert_array_equal(b, v)
    with pytest.raises(TypeError, match="mapping"):
        mlp.load_weights([np.ones((5, 4))])


def test_keys_are_checkpoint_paths_with_escaped_segments():
    m = mtf.Module()
    m.table = {"a/b": mtf.Variable([1.0])}
    assert m.load_weights({"table/a%2Fb": np.array([5.0], np.float32)}) == []
    assert m.table["a/b"].numpy().tolist() == [5.0]


# ---------------------------------------------------------------- Keras layouts

def test_keras_dense_layer_norm_and_conv2d_weights_port_by_the_documented_names():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    keras = {  # what keras_layer.get_weights() returns, in Keras' order and layout
        "conv": [rng.standard_normal((3, 3, 3, 4)).astype(np.float32),   # kernel HWIO
                 rng.standard_normal(4).astype(np.float32)],             # bias
        "norm": [rng.standard_normal(4).astype(np.float32),              # gamma
                 rng.standard_normal(4).astype(np.float32)],             # beta
        "dense": [rng.standard_normal((4, 2)).astype(np.float32),        # kernel (in, out)
                  rng.standard_normal(2).astype(np.float32)],            # bias
    }

    class Net(mtf.Module):
        def __init__(self):
            super().__init__(name="net")
            self.conv = mtf.layers.Conv2D(4, 3, padding="SAME")
            self.norm = mtf.layers.LayerNorm(-1, create_scale=True, create_offset=True)
            self.dense = mtf.layers.Linear(2)

        def __call__(self, x):
            return self.dense(self.norm(self.conv(x)))

    net = Net()
    net(x)
    mapping = {"conv/w": keras["conv"][0], "conv/b": keras["conv"][1],
               "norm/scale": keras["norm"][0], "norm/offset": keras["norm"][1],
               "dense/w": keras["dense"][0], "dense/b": keras["dense"][1]}
    assert net.load_weights(mapping) == []
    conv = mtf.nn.conv2d(x, keras["conv"][0], 1, "SAME").numpy() + keras["conv"][1]
    mean, var = conv.mean(-1, keepdims=True), conv.var(-1, keepdims=True)
    normed = (conv - mean) / np.sqrt(var + 1e-5) * keras["norm"][0] + keras["norm"][1]
    want = normed @ keras["dense"][0] + keras["dense"][1]
    np.testing.assert_allclose(net(x).numpy(), want, rtol=1e-5, atol=1e-5)
