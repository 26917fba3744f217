"""log_sigmoid, xlogy, divide_no_nan, segment_sum and unsorted_segment_sum replay
under ``mtf.function`` bit for bit as they run eagerly, with two orders of gradient.

Seed 2 plants zeros (the guarded points of xlogy and divide_no_nan), seed 3 NaN
and infinities. Segment ids are arguments: each seed brings new ones.
"""
import numpy as np
import pytest

import minitf as mtf
import _replay

F32, F64 = np.float32, np.float64
m = mtf.math


def _floats(seed, shape=(3, 4), dtype=F64, low=-2.0):
    """Uniform values in [low, 2) with zeros, NaN and infinities by seed."""
    return _replay.planted(seed, shape, dtype, low)


def _sorted_ids(seed, n=6, top=4):
    """Sorted ids of n rows whose largest is always ``top`` (a fixed output shape)."""
    ids = np.sort(np.random.default_rng(seed).integers(0, top + 1, n))
    ids[-1] = top
    return mtf.constant(ids.astype(np.int32))


def _unsorted_ids(seed, shape=(6,), n=5):
    return mtf.constant(np.random.default_rng(seed + 50).integers(-2, n, shape))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_log_sigmoid_replays_with_two_orders_of_gradient(dtype):
    _replay.assert_replays(_replay.with_gradient(m.log_sigmoid, 2),
                           lambda s: (_floats(s, dtype=dtype),))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("op", [m.xlogy, m.divide_no_nan], ids=lambda o: o.__name__)
def test_guarded_ops_replay_in_each_operand(op, dtype):
    def in_x(x, y):
        return op(x, y)

    def in_y(y, x):
        return op(x, y)
    args = (lambda s: (_floats(s, dtype=dtype), _floats(s + 10, (4,), dtype, low=0.0)))
    _replay.assert_replays(_replay.with_gradient(in_x, 2), args)
    _replay.assert_replays(_replay.with_gradient(in_y, 2),
                           lambda s: (_floats(s, (4,), dtype), _floats(s + 10, dtype=dtype)))


@pytest.mark.parametrize("op", [m.xlogy, m.divide_no_nan], ids=lambda o: o.__name__)
def test_guarded_ops_replay_with_python_scalars(op):
    _replay.assert_replays(_replay.with_gradient(lambda y: op(2.0, y), 2),
                           lambda s: (_floats(s),))
    _replay.assert_replays(_replay.with_gradient(lambda x: op(x, 0.0), 2),
                           lambda s: (_floats(s, dtype=F32),))


def test_segment_sum_replays_new_ids_with_gradients():
    def fn(data, ids):
        return m.segment_sum(data, ids) * 1.5
    _replay.assert_replays(_replay.with_gradient(fn, 2),
                           lambda s: (_floats(s, (6, 3)), _sorted_ids(s)))
    _replay.assert_replays(lambda d, i: m.segment_sum(d, i),
                           lambda s: (mtf.constant(np.arange(6) * (s + 1)), _sorted_ids(s)))


@pytest.mark.parametrize("shape", [(6,), (2, 3)], ids=["1d", "2d"])
def test_unsorted_segment_sum_replays_new_ids_with_gradients(shape):
    def fn(data, ids):
        return mtf.sin(m.unsorted_segment_sum(data, ids, 5))
    _replay.assert_replays(_replay.with_gradient(fn, 2),
                           lambda s: (_floats(s, shape + (2,)), _unsorted_ids(s, shape)))


def test_segment_ids_are_checked_on_replay():
    traced = mtf.function(lambda d, i: m.segment_sum(d, i))
    traced(mtf.constant([1.0, 2.0, 3.0]), mtf.constant([0, 1, 1]))
    with pytest.raises(ValueError, match="segment_sum"):
        traced(mtf.constant([1.0, 2.0, 3.0]), mtf.constant([1, 0, 1]))
    traced = mtf.function(lambda d, i: m.unsorted_segment_sum(d, i, 2))
    traced(mtf.constant([1.0, 2.0]), mtf.constant([0, 1]))
    with pytest.raises(ValueError, match="unsorted_segment_sum"):
        traced(mtf.constant([1.0, 2.0]), mtf.constant([0, 2]))
