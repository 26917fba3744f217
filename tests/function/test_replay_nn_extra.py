"""silu/swish, relu6, l2_normalize, bias_add and embedding_lookup replay under
``mtf.function`` bit for bit as they run eagerly, with gradients where they have them.

Seed 2 plants zeros, seed 3 NaN and infinities (the ops' edge values).
"""
import numpy as np
import pytest

import minitf as mtf
import _replay

F32, F64 = np.float32, np.float64


def _floats(seed, shape=(3, 4), dtype=F64, scale=8.0):
    """Uniform values in [-scale, scale) with zeros, NaN and infinities by seed."""
    return _replay.planted(seed, shape, dtype, -scale, scale)


def _ids(seed, shape=(2, 3), rows=3):
    return mtf.constant(np.random.default_rng(seed + 100).integers(0, rows, shape))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("op", [lambda x: mtf.nn.silu(x), lambda x: mtf.nn.swish(x, 0.5),
                                lambda x: mtf.nn.silu(x, beta=-2.0), mtf.nn.relu6],
                         ids=["silu", "swish_half", "silu_neg", "relu6"])
def test_activations_replay_with_two_orders_of_gradient(op, dtype):
    _replay.assert_replays(_replay.with_gradient(op, 2), lambda s: (_floats(s, dtype=dtype),))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_integer_relu6_replays(dtype):
    _replay.assert_replays(mtf.nn.relu6, lambda s: (mtf.constant(
        np.random.default_rng(s).integers(-9, 9, (3, 4)).astype(dtype)),))


@pytest.mark.parametrize("axis, epsilon", [(None, 1e-12), (1, 1e-12), (-1, 0.5), ([0, 1], 0.0),
                                           (0, 1e-3)])
def test_l2_normalize_replays_with_gradients(axis, epsilon):
    def fn(x):
        return mtf.math.l2_normalize(x, axis, epsilon)
    _replay.assert_replays(_replay.with_gradient(fn, 2), lambda s: (_floats(s),))


def test_empty_l2_normalize_replays():
    _replay.assert_replays(_replay.with_gradient(mtf.nn.l2_normalize, 1),
                           lambda s: (_floats(s, (0, 3)),))


@pytest.mark.parametrize("data_format, shape, channels", [
    (None, (3, 4), 4), ("NHWC", (2, 2, 3, 4), 4), ("NCHW", (2, 4, 3, 2), 4),
    ("NCW", (2, 4, 3), 4)])
def test_bias_add_replays_with_gradients(data_format, shape, channels):
    def fn(x, b):
        with mtf.GradientTape() as tape:
            tape.watch([x, b])
            y = mtf.nn.bias_add(x, b, data_format)
            loss = mtf.reduce_sum(y * y)
        return [y] + tape.gradient(loss, [x, b])
    _replay.assert_replays(fn, lambda s: (_floats(s, shape), _floats(s + 7, (channels,))))


def test_integer_bias_add_replays():
    def make(s):
        rng = np.random.default_rng(s)
        return (mtf.constant(rng.integers(-5, 5, (2, 3))), mtf.constant(rng.integers(-5, 5, 3)))
    _replay.assert_replays(mtf.nn.bias_add, make)


@pytest.mark.parametrize("max_norm", [None, 1.0, 5.0])
@pytest.mark.parametrize("id_shape", [(4,), (2, 3), ()])
def test_embedding_lookup_replays_with_indexed_slices_gradient(max_norm, id_shape):
    def fn(params, ids):
        with mtf.GradientTape() as tape:
            tape.watch(params)
            y = mtf.nn.embedding_lookup(params, ids, max_norm)
            loss = mtf.reduce_sum(y * y * y)
        return y, tape.gradient(loss, params)
    _replay.assert_replays(fn, lambda s: (_floats(s, (3, 2), scale=3.0), _ids(s, id_shape)))


def test_embedding_lookup_second_order_replays():
    def fn(params, ids):
        with mtf.GradientTape() as outer:
            outer.watch(params)
            with mtf.GradientTape() as inner:
                inner.watch(params)
                loss = mtf.reduce_sum(mtf.nn.embedding_lookup(params, ids, 1.5) ** 3)
            g = inner.gradient(loss, params)._densify()
            s = mtf.reduce_sum(g * g)
        return g, outer.gradient(s, params)
    _replay.assert_replays(fn, lambda s: (_floats(s, (4, 3), scale=3.0), _ids(s, (5,), 4)))


def test_embedding_lookup_replay_checks_new_ids_range():
    traced = mtf.function(lambda p, i: mtf.nn.embedding_lookup(p, i))
    traced(_floats(0, (3, 2)), mtf.constant([0, 2]))
    with pytest.raises(IndexError, match="embedding_lookup"):
        traced(_floats(1, (3, 2)), mtf.constant([0, 3]))
