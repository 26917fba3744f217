"""Inverse trigonometric and hyperbolic ops: values against numpy, first and second
derivatives against float64 central differences, domains, broadcasting, dtypes."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
import _replay
from minitf.testing import check_gradients

RNG = np.random.default_rng(0)

UNARY = [  # (op, numpy reference, low, high): a range inside the domain
    (mtf.math.atan, np.arctan, -3.0, 3.0), (mtf.math.asin, np.arcsin, -0.9, 0.9),
    (mtf.math.acos, np.arccos, -0.9, 0.9), (mtf.math.sinh, np.sinh, -3.0, 3.0),
    (mtf.math.cosh, np.cosh, -3.0, 3.0), (mtf.math.asinh, np.arcsinh, -3.0, 3.0),
    (mtf.math.acosh, np.arccosh, 1.1, 4.0), (mtf.math.atanh, np.arctanh, -0.9, 0.9),
]
IDS = [op.__name__ for op, *_ in UNARY]


def inside(low, high, *shape):
    return RNG.uniform(low, high, shape)


@pytest.mark.parametrize("op, ref, low, high", UNARY, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_match_numpy(op, ref, low, high, dtype):
    x = inside(low, high, 3, 4).astype(dtype)
    y = op(mtf.constant(x))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y.numpy(), ref(x))


@pytest.mark.parametrize("op, ref, low, high", UNARY, ids=IDS)
def test_first_and_second_derivatives(op, ref, low, high):
    x = mtf.constant(inside(low, high, 2, 3))
    check_gradients(op, [x])

    def derivative(t):
        with mtf.GradientTape() as tape:
            tape.watch(t)
            y = op(t)
        return tape.gradient(y, t)
    check_gradients(derivative, [x])


@pytest.mark.parametrize("op, value", [
    (mtf.math.asin, 1.5), (mtf.math.acos, -1.5), (mtf.math.acosh, 0.5),
    (mtf.math.atanh, 2.0)])
def test_outside_the_domain_is_nan_without_warnings(op, value, recwarn):
    assert np.isnan(op(mtf.constant([value])).numpy()[0])
    assert not recwarn.list


def test_atanh_at_one_is_infinite():
    assert mtf.math.atanh(mtf.constant([1.0, -1.0])).numpy().tolist() == [np.inf, -np.inf]


@pytest.mark.parametrize("op", [op for op, *_ in UNARY], ids=IDS)
def test_integers_are_refused_with_the_op_name(op):
    with pytest.raises(TypeError, match=f"^{op.__name__}: expected a floating-point"):
        op(mtf.constant([1, 2]))


def test_top_level_names_are_the_math_ones():
    for name in ("atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "atan2"):
        assert getattr(mtf, name) is getattr(mtf.math, name)


# ---------------------------------------------------------------- atan2

@pytest.mark.parametrize("y_shape, x_shape", [((3, 4), (3, 4)), ((3, 4), (4,)),
                                              ((1, 4), (3, 1)), ((), (2, 3))])
def test_atan2_broadcasts_both_ways_and_differentiates(y_shape, x_shape):
    y, x = RNG.standard_normal(y_shape), RNG.standard_normal(x_shape)
    got = mtf.math.atan2(mtf.constant(y), mtf.constant(x))
    np.testing.assert_array_equal(got.numpy(), np.arctan2(y, x))
    check_gradients(mtf.math.atan2, [mtf.constant(y), mtf.constant(x)])


def test_atan2_quadrants_python_scalars_and_errors():
    assert round(float(mtf.math.atan2(1.0, -1.0)), 6) == round(3 * np.pi / 4, 6)
    assert float(mtf.math.atan2(mtf.constant(-0.0), mtf.constant(-1.0))) == np.float32(-np.pi)
    got = mtf.math.atan2(mtf.constant([1.0, -1.0]), 2.0)
    np.testing.assert_array_equal(got.numpy(), np.arctan2(np.float32([1, -1]), np.float32(2)))
    with pytest.raises(TypeError, match="^atan2: expected floating-point"):
        mtf.math.atan2(mtf.constant([1]), mtf.constant([2]))
    with pytest.raises(TypeError, match="atan2"):
        mtf.math.atan2(mtf.constant([1.0]), mtf.constant([2.0], mtf.float64))
    with pytest.raises(ValueError, match="atan2"):
        mtf.math.atan2(mtf.constant([1.0, 2.0]), mtf.constant([1.0, 2.0, 3.0]))


@given(st.integers(0, 3), st.integers(1, 4))
def test_unary_ops_keep_any_shape(rank, size):
    x = np.full((size,) * rank, 0.5)
    for op, *_ in UNARY[:6] + UNARY[7:]:
        assert op(mtf.constant(x)).shape == x.shape


# ---------------------------------------------------------------- replay

@pytest.mark.parametrize("op, ref, low, high", UNARY, ids=IDS)
def test_traced_ops_replay_like_eager(op, ref, low, high):
    def make(seed):
        return (mtf.constant(np.random.default_rng(seed).uniform(low, high, (2, 3))),)
    _replay.assert_replays(_replay.with_gradient(op, order=2), make)


def test_traced_atan2_replays_like_eager():
    def fn(y, x):
        with mtf.GradientTape() as tape:
            tape.watch([y, x])
            z = mtf.math.atan2(y, x)
        return z, tape.gradient(z, [y, x])

    def make(seed):
        rng = np.random.default_rng(seed)
        return mtf.constant(rng.standard_normal((2, 3))), mtf.constant(rng.standard_normal(3))
    _replay.assert_replays(fn, make)
