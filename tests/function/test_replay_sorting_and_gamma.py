"""sort, argsort, math.top_k, math.lgamma, math.digamma and math.erfinv replay under
``mtf.function`` bit for bit as they run eagerly, with gradients where they have them.

Seed 2 plants zeros (ties for the sorts), seed 3 NaN and infinities.
"""
import numpy as np
import pytest

import minitf as mtf
import _replay

F32, F64 = np.float32, np.float64


def _floats(seed, shape=(3, 4), dtype=F64, low=-2.0, high=2.0):
    return _replay.planted(seed, shape, dtype, low, high)


def _ints(seed, shape=(3, 4), dtype=np.int32):
    return mtf.constant(np.random.default_rng(seed).integers(-3, 4, shape).astype(dtype))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
def test_sort_replays_with_two_orders_of_gradient(axis, direction, dtype):
    def fn(x):
        return mtf.square(mtf.sort(x, axis, direction)) * np.arange(4.0).astype(dtype)
    _replay.assert_replays(_replay.with_gradient(fn, 2), lambda s: (_floats(s, dtype=dtype),))


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
def test_integer_sort_and_argsort_replay(direction, dtype):
    def fn(x):
        return mtf.sort(x, 0, direction), mtf.argsort(x, 1, direction)
    _replay.assert_replays(fn, lambda s: (_ints(s, dtype=dtype),))


def test_argsort_of_floats_replays():
    _replay.assert_replays(lambda x: mtf.argsort(x, direction="DESCENDING"),
                           lambda s: (_floats(s),))


@pytest.mark.parametrize("k", [0, 2, 4])
@pytest.mark.parametrize("index_type", [mtf.int32, mtf.int64])
def test_top_k_replays_with_two_orders_of_gradient(k, index_type):
    def fn(x):
        values, indices = mtf.math.top_k(x, k, index_type=index_type)
        return mtf.square(values), indices

    def with_grad(x):
        with mtf.GradientTape() as outer:
            outer.watch(x)
            with mtf.GradientTape() as inner:
                inner.watch(x)
                values, indices = fn(x)
            g = inner.gradient(values, x)
        return values, indices, g, outer.gradient(g, x)
    _replay.assert_replays(with_grad, lambda s: (_floats(s),))


def test_empty_sort_replays():
    _replay.assert_replays(_replay.with_gradient(lambda x: mtf.sort(x, 1), 2),
                           lambda s: (_floats(s, (3, 0)),))


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", ["lgamma", "digamma"])
def test_gamma_functions_replay_with_three_orders_of_gradient(name, dtype):
    op = getattr(mtf.math, name)
    _replay.assert_replays(_replay.with_gradient(op, 3),
                           lambda s: (_floats(s, dtype=dtype, low=-3.0, high=5.0),))


@pytest.mark.parametrize("dtype", [np.float16, F32, F64], ids=["f16", "f32", "f64"])
def test_erfinv_replays_with_two_orders_of_gradient(dtype):
    _replay.assert_replays(_replay.with_gradient(mtf.math.erfinv, 2),
                           lambda s: (_floats(s, dtype=dtype, low=-1.0, high=1.0),))


def test_sort_feeding_lgamma_replays():
    def fn(x):
        return mtf.math.lgamma(mtf.sort(x * x + 0.5, direction="DESCENDING"))
    _replay.assert_replays(_replay.with_gradient(fn, 2), lambda s: (_floats(s),))
