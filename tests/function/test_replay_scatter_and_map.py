"""scatter_nd, tensor_scatter_nd_update, tensor_scatter_nd_add and map_fn replay under
``mtf.function`` bit for bit as they run eagerly, with new values and new indices
(so new duplicate patterns), and with gradients."""
import numpy as np
import pytest

import minitf as mtf
import _replay

SHAPE = (5, 3)


def _floats(seed, shape, dtype=np.float64):
    return _replay.planted(seed, shape, dtype)


def _indices(seed, lead=(4,), depth=1, dtype=np.int32):
    """Indices into SHAPE's first ``depth`` axes, with duplicates for most seeds."""
    rng = np.random.default_rng(seed + 100)
    cols = [rng.integers(0, SHAPE[a], lead) for a in range(depth)]
    value = np.stack(cols, axis=-1) if depth else np.zeros(lead + (0,))
    return mtf.constant(value.astype(dtype))


def _updates_shape(lead, depth):
    return lead + SHAPE[depth:]


CASES = [((4,), 1), ((4,), 2), ((2, 3), 1), ((3,), 0)]


@pytest.mark.parametrize("lead, depth", CASES)
@pytest.mark.parametrize("itype", [np.int32, np.int64])
def test_scatter_nd_replays_with_gradients(lead, depth, itype):
    def fn(u, i):
        return mtf.scatter_nd(i, u * u, SHAPE)
    _replay.assert_replays(_replay.with_gradient(fn, 2), lambda s: (
        _floats(s, _updates_shape(lead, depth)), _indices(s, lead, depth, itype)))


@pytest.mark.parametrize("lead, depth", CASES)
@pytest.mark.parametrize("name", ["tensor_scatter_nd_update", "tensor_scatter_nd_add"])
def test_tensor_scatters_replay_with_gradients_of_both(name, lead, depth):
    op = getattr(mtf, name)

    def on_tensor(t, u, i):
        return op(t * t, i, u * u)

    def on_updates(u, t, i):
        return op(t * t, i, u * u)

    def args(s):
        return (_floats(s, SHAPE), _floats(s + 10, _updates_shape(lead, depth)),
                _indices(s, lead, depth))
    _replay.assert_replays(_replay.with_gradient(on_tensor, 2), args)
    _replay.assert_replays(_replay.with_gradient(on_updates, 2),
                           lambda s: (args(s)[1], args(s)[0], args(s)[2]))


@pytest.mark.parametrize("name", ["scatter_nd", "tensor_scatter_nd_update",
                                  "tensor_scatter_nd_add"])
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32])
def test_scatters_replay_other_dtypes(name, dtype):
    def fn(u, i):
        if name == "scatter_nd":
            return mtf.scatter_nd(i, u, SHAPE)
        return getattr(mtf, name)(mtf.ones(SHAPE, dtype), i, u)

    def args(s):
        u = np.random.default_rng(s).integers(-4, 5, (4, 3)).astype(dtype)
        return mtf.constant(u), _indices(s)
    _replay.assert_replays(fn, args)


def test_replay_checks_new_indices():
    traced = mtf.function(lambda u, i: mtf.tensor_scatter_nd_add(mtf.zeros(SHAPE, mtf.float64),
                                                                 i, u))
    traced(_floats(0, (4, 3)), _indices(0))
    with pytest.raises(IndexError, match=r"tensor_scatter_nd_add: indices\[1\] = \[7\] does "
                                         r"not index into shape \[5, 3\]"):
        traced(_floats(1, (4, 3)), mtf.constant(np.array([[0], [7], [1], [1]], np.int32)))


def test_map_fn_replays_with_gradients():
    w = np.linspace(-1.0, 1.0, 4)

    def fn(x):
        return mtf.map_fn(lambda r: mtf.sin(r) * w + mtf.reduce_sum(r * r), x)
    _replay.assert_replays(_replay.with_gradient(fn, 2), lambda s: (_floats(s, (3, 4)),))


def test_map_fn_nested_replays():
    def fn(x, i):
        return mtf.map_fn(lambda e: (mtf.reduce_max(e[0]), e[1] * 2), (x, i),
                          fn_output_signature=(mtf.float32, mtf.int32))
    _replay.assert_replays(fn, lambda s: (_floats(s, (4, 3), np.float32),
                                          _indices(s, (4,), 1)[:, 0]))


def test_map_fn_of_scatter_replays():
    def fn(u, i):
        return mtf.map_fn(lambda e: mtf.scatter_nd(e[1], e[0], [5]), (u, i),
                          fn_output_signature=mtf.float64)
    _replay.assert_replays(_replay.with_gradient(fn), lambda s: (
        _floats(s, (2, 4)), mtf.reshape(_indices(s, (8,)), (2, 4, 1))))


def test_empty_map_fn_replays():
    _replay.assert_replays(lambda x: mtf.map_fn(lambda r: r * 2, x),
                           lambda s: (_floats(s, (0, 3)),))
