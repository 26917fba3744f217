"""add_n, cumsum, cumprod, reduce_all/any and is_finite/nan/inf replay under
``mtf.function`` bit for bit as they run eagerly, with gradients where they have them.

Seed 2 plants zeros (cumprod's exact-with-zeros gradient), seed 3 NaN and infinities.
"""
import itertools

import numpy as np
import pytest

import minitf as mtf
import _replay

F32, F64 = np.float32, np.float64


def _floats(seed, shape=(3, 4), dtype=F64):
    """Uniform values in [-2, 2) with zeros, NaN and infinities by seed."""
    return _replay.planted(seed, shape, dtype)


def _ints(seed, shape=(3, 4), dtype=np.int32):
    return mtf.constant(np.random.default_rng(seed).integers(-3, 4, shape).astype(dtype))


def _bools(seed, shape=(2, 3, 4)):
    return mtf.constant(np.random.default_rng(seed).random(shape) > 0.3)


SCAN_CASES = list(itertools.product(["cumsum", "cumprod"], [0, 1, -1], [False, True],
                                    [False, True]))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name, axis, exclusive, reverse", SCAN_CASES)
def test_scans_replay_with_two_orders_of_gradient(name, axis, exclusive, reverse, dtype):
    op = getattr(mtf, name)

    def scan(x):
        return op(x, axis, exclusive, reverse)
    _replay.assert_replays(_replay.with_gradient(scan, 2), lambda s: (_floats(s, dtype=dtype),))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_integer_scans_replay(name, dtype):
    op = getattr(mtf, name)
    _replay.assert_replays(lambda x: op(x, 1, True, True), lambda s: (_ints(s, dtype=dtype),))


def test_empty_scan_replays():
    _replay.assert_replays(_replay.with_gradient(lambda x: mtf.cumprod(x, 1), 2),
                           lambda s: (_floats(s, (3, 0)),))


def test_add_n_replays_with_gradients():
    def fn(x, y, z):
        return mtf.add_n([x, y, x, z])
    _replay.assert_replays(_replay.with_gradient(fn, 2),
                           lambda s: (_floats(s), _floats(s + 10), _floats(s + 20)))
    _replay.assert_replays(lambda x: mtf.add_n([x]), lambda s: (_ints(s),))


@pytest.mark.parametrize("op", [mtf.reduce_all, mtf.reduce_any], ids=lambda o: o.__name__)
@pytest.mark.parametrize("axis, keepdims", [(None, False), (1, True), ((0, 2), False)])
def test_logical_reductions_replay(op, axis, keepdims):
    _replay.assert_replays(lambda x: op(x, axis, keepdims), lambda s: (_bools(s),))


@pytest.mark.parametrize("op", [mtf.math.is_finite, mtf.math.is_nan, mtf.math.is_inf],
                         ids=lambda o: o.__name__)
def test_float_checks_replay(op):
    _replay.assert_replays(op, lambda s: (_floats(s, dtype=F32),))


def test_is_finite_feeding_reduce_all_replays():
    _replay.assert_replays(lambda x: mtf.reduce_all(mtf.math.is_finite(x), axis=1),
                           lambda s: (_floats(s),))
