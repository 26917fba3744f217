"""add_n, cumsum, cumprod, reduce_all, reduce_any, is_finite, is_nan, is_inf:
forward against numpy, gradients against central differences, errors, properties."""
import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
from _helpers import finite_difference

SCANS = {"cumsum": (np.cumsum, 0), "cumprod": (np.cumprod, 1)}
COMBOS = list(itertools.product([False, True], [False, True]))
DTYPES = [np.int32, np.int64, np.float32, np.float64]


def scan_ref(name, v, axis=0, exclusive=False, reverse=False):
    """The numpy reference of cumsum / cumprod with TensorFlow's flags."""
    acc, identity = SCANS[name]
    a = np.flip(v, axis) if reverse else v
    out = acc(a, axis=axis, dtype=v.dtype)
    if exclusive:
        n = out.shape[axis]
        first = np.full_like(np.take(out, [0] * min(n, 1), axis), identity)
        out = np.concatenate([first, np.take(out, range(max(n - 1, 0)), axis)], axis)
    return np.flip(out, axis) if reverse else out


def tape_grad(fn, x):
    """Gradient of ``fn`` at the float64 array ``x``."""
    t = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    return tape.gradient(y, t)


# ---------------------------------------------------------------- scans: forward

@pytest.mark.parametrize("name", sorted(SCANS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
@pytest.mark.parametrize("exclusive, reverse", COMBOS)
def test_scan_matches_numpy(name, dtype, axis, exclusive, reverse):
    x = np.random.default_rng(0).integers(-3, 4, (2, 3, 4)).astype(dtype)
    got = getattr(mtf, name)(x, axis, exclusive, reverse)
    want = scan_ref(name, x, axis % 3, exclusive, reverse)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("name", sorted(SCANS))
def test_scan_defaults_and_keywords_follow_tensorflow(name):
    x = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    op = getattr(mtf, name)
    np.testing.assert_array_equal(op(x).numpy(), scan_ref(name, x, 0))
    got = op(x=x, axis=1, exclusive=True, reverse=True, name="scan")
    np.testing.assert_array_equal(got.numpy(), scan_ref(name, x, 1, True, True))


def test_small_scan_examples():
    np.testing.assert_array_equal(mtf.cumsum([1, 2, 3], exclusive=True).numpy(), [0, 1, 3])
    np.testing.assert_array_equal(mtf.cumsum([1, 2, 3], reverse=True).numpy(), [6, 5, 3])
    np.testing.assert_array_equal(mtf.cumprod([2, 3, 4], exclusive=True, reverse=True).numpy(),
                                  [12, 4, 1])


@pytest.mark.parametrize("name", sorted(SCANS))
@pytest.mark.parametrize("shape, axis", [((0,), 0), ((0, 3), 0), ((2, 0), 1), ((2, 0), 0)])
@pytest.mark.parametrize("exclusive, reverse", COMBOS)
def test_empty_scans(name, shape, axis, exclusive, reverse):
    got = getattr(mtf, name)(np.zeros(shape, np.float32), axis, exclusive, reverse)
    assert got.shape == shape and got.dtype == np.float32
    g = tape_grad(lambda t: mtf.reduce_sum(getattr(mtf, name)(t, axis, exclusive, reverse)),
                  np.zeros(shape))
    assert g.shape == shape


def test_scans_of_special_floats_are_quiet():
    x = np.array([np.inf, -np.inf, np.nan, 0.0, 1e308, 1e308])
    with np.errstate(all="ignore"):
        sums, prods = np.cumsum(x), np.cumprod(x)
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(mtf.cumsum(x).numpy(), sums)
        np.testing.assert_array_equal(mtf.cumprod(x).numpy(), prods)
        mtf.add_n([x, x])


@pytest.mark.parametrize("name", sorted(SCANS))
def test_scan_errors(name):
    op = getattr(mtf, name)
    with pytest.raises(ValueError, match=f"{name}: x must have rank >= 1"):
        op(3.0)
    with pytest.raises(ValueError, match=f"{name}: axis 2 is out of range"):
        op(np.ones((2, 3)), axis=2)
    with pytest.raises(TypeError, match=f"{name}: axis must be a single integer"):
        op(np.ones((2, 3)), axis=[0])
    with pytest.raises(TypeError, match=f"{name}: bool input"):
        op([True, False])
    with pytest.raises(TypeError, match=f"{name}: exclusive must be True or False"):
        op([1.0], exclusive=1)
    with pytest.raises(TypeError, match=f"{name}: reverse must be True or False"):
        op([1.0], reverse="yes")


# ---------------------------------------------------------------- scans: gradients

X_ZEROS = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 3.0, -1.0], [2.0, -0.5, 0.0, 1.25]])
WEIGHTS = np.random.default_rng(1).standard_normal(X_ZEROS.shape)


def _weighted(name, axis, exclusive, reverse):
    """x -> sum(scan(x) * WEIGHTS), in minitf and in numpy."""
    def f(t):
        return mtf.reduce_sum(getattr(mtf, name)(t, axis, exclusive, reverse) * WEIGHTS)

    def ref(v):
        return np.sum(scan_ref(name, v, axis % 2, exclusive, reverse) * WEIGHTS)
    return f, ref


@pytest.mark.parametrize("name", sorted(SCANS))
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("exclusive, reverse", COMBOS)
@pytest.mark.parametrize("x", [X_ZEROS, np.zeros((3, 4)), X_ZEROS + 3.0],
                         ids=["some_zeros", "all_zeros", "no_zeros"])
def test_scan_gradients_match_finite_differences(name, axis, exclusive, reverse, x):
    f, ref = _weighted(name, axis, exclusive, reverse)
    np.testing.assert_allclose(tape_grad(f, x).numpy(), finite_difference(ref, x),
                               rtol=1e-6, atol=1e-6)


def _gradient_of(f):
    """x -> sum(gradient of f at x * WEIGHTS), a scalar function of a numpy array."""
    return lambda v: float(np.sum(tape_grad(f, v).numpy() * WEIGHTS))


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("exclusive, reverse", COMBOS)
@pytest.mark.parametrize("x", [X_ZEROS, np.zeros((3, 4))], ids=["some_zeros", "all_zeros"])
def test_cumprod_second_derivatives_are_exact_with_zeros(axis, exclusive, reverse, x):
    f, _ = _weighted("cumprod", axis, exclusive, reverse)
    outer_f = _gradient_of(f)
    t = mtf.constant(x)
    with mtf.GradientTape() as outer:
        outer.watch(t)
        with mtf.GradientTape() as inner:
            inner.watch(t)
            y = f(t)
        inner_sum = mtf.reduce_sum(inner.gradient(y, t) * WEIGHTS)
    np.testing.assert_allclose(outer.gradient(inner_sum, t).numpy(),
                               finite_difference(outer_f, x), rtol=1e-6, atol=1e-6)


def test_cumprod_gradient_of_a_single_zero_is_the_product_of_the_rest():
    g = tape_grad(lambda t: mtf.reduce_sum(mtf.cumprod(t)), np.array([2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0 + 6.0, 0.0])


def test_cumsum_gradient_keeps_float32():
    g = tape_grad(lambda t: mtf.cumsum(mtf.cast(t, mtf.float32), reverse=True),
                  np.ones(3))
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])


# ---------------------------------------------------------------- add_n

@pytest.mark.parametrize("dtype", DTYPES + [np.float16])
def test_add_n_matches_numpy(dtype):
    xs = [np.random.default_rng(i).integers(-5, 5, (2, 3)).astype(dtype) for i in range(4)]
    got = mtf.add_n(xs)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), xs[0] + xs[1] + xs[2] + xs[3])


def test_add_n_of_one_input_is_a_copy():
    x = mtf.constant([1.0, 2.0])
    out = mtf.add_n([x])
    np.testing.assert_array_equal(out.numpy(), [1.0, 2.0])
    assert not np.shares_memory(out._value, x._value)


def test_add_n_scalars_empty_and_tuples():
    assert mtf.add_n((1.0, 2.0, 3.5)).numpy() == 6.5
    assert mtf.add_n([np.zeros((0, 2))] * 3).shape == (0, 2)


def test_add_n_gradient_reaches_every_input():
    a, b = mtf.constant([1.0, 2.0]), mtf.constant([3.0, 4.0])
    with mtf.GradientTape() as tape:
        tape.watch([a, b])
        y = mtf.reduce_sum(mtf.add_n([a, b, a]) * [1.0, 10.0])
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(ga.numpy(), [2.0, 20.0])
    np.testing.assert_array_equal(gb.numpy(), [1.0, 10.0])


def test_add_n_errors():
    with pytest.raises(ValueError, match="add_n: inputs must hold at least one"):
        mtf.add_n([])
    with pytest.raises(TypeError, match="add_n: inputs must be a list"):
        mtf.add_n(mtf.constant([1.0]))
    with pytest.raises(TypeError, match=r"add_n: inputs\[1\] has dtype int32"):
        mtf.add_n([mtf.constant([1.0]), mtf.constant([1])])
    with pytest.raises(ValueError, match=r"add_n: inputs\[1\] has shape \(2,\)"):
        mtf.add_n([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="add_n: bool"):
        mtf.add_n([[True], [False]])


# ---------------------------------------------------------------- reduce_all, reduce_any

BOOLS = np.random.default_rng(2).random((2, 3, 4)) > 0.4


@pytest.mark.parametrize("op, ref", [(mtf.reduce_all, np.all), (mtf.reduce_any, np.any)])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), [1], ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logical_reductions_match_numpy(op, ref, axis, keepdims):
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    got = op(BOOLS, axis, keepdims)
    want = ref(BOOLS, axis=np_axis, keepdims=keepdims)
    assert got.dtype == np.bool_ and got.shape == np.shape(want)
    np.testing.assert_array_equal(got.numpy(), want)


def test_logical_reductions_of_empty_and_scalars():
    assert mtf.reduce_all(np.zeros((0,), bool)).numpy()
    assert not mtf.reduce_any(np.zeros((0,), bool)).numpy()
    assert mtf.reduce_all(True).numpy() and not mtf.reduce_any(False).numpy()
    assert mtf.math.reduce_any(np.zeros((2, 0), bool), axis=1).shape == (2,)


@pytest.mark.parametrize("op", [mtf.reduce_all, mtf.reduce_any], ids=lambda o: o.__name__)
def test_logical_reduction_errors(op):
    name = op.__name__
    with pytest.raises(TypeError, match=f"{name}: expected a bool tensor, got int32"):
        op([1, 0])
    with pytest.raises(TypeError, match=f"{name}: expected a bool tensor, got float32"):
        op([1.0])
    with pytest.raises(ValueError, match=f"{name}: axis 3 is out of range"):
        op(BOOLS, axis=3)
    with pytest.raises(TypeError, match=f"{name}: keepdims must be True or False"):
        op(BOOLS, keepdims=1)


def test_logical_reductions_have_no_gradient():
    x = mtf.constant([1.0, -1.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.cast(mtf.reduce_any(mtf.greater(x, 0.0)), mtf.float32) * x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 1.0])


# ---------------------------------------------------------------- is_finite, is_nan, is_inf

SPECIAL = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, 6e4])
CHECKS = [(mtf.math.is_finite, np.isfinite), (mtf.math.is_nan, np.isnan),
          (mtf.math.is_inf, np.isinf)]


@pytest.mark.parametrize("op, ref", CHECKS, ids=lambda o: getattr(o, "__name__", ""))
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_checks_match_numpy(op, ref, dtype):
    x = SPECIAL.astype(dtype)
    got = op(x)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), ref(x))
    assert op(np.float32(np.nan)).shape == ()
    assert op(np.zeros((2, 0), dtype)).shape == (2, 0)


@pytest.mark.parametrize("op, ref", CHECKS, ids=lambda o: getattr(o, "__name__", ""))
@pytest.mark.parametrize("value", [[1, 2], [True]])
def test_float_checks_refuse_ints_and_bools(op, ref, value):
    with pytest.raises(TypeError, match=f"{op.__name__}: expected a floating-point tensor"):
        op(value)


# ---------------------------------------------------------------- namespaces

def test_exports():
    for name in ("add_n", "cumsum", "cumprod", "reduce_all", "reduce_any"):
        assert getattr(mtf.math, name) is getattr(mtf, name), name
    for name in ("is_finite", "is_nan", "is_inf"):
        assert callable(getattr(mtf.math, name)), name


# ---------------------------------------------------------------- properties

@st.composite
def _scan_case(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    seed = draw(st.integers(0, 2**16))
    x = np.random.default_rng(seed).integers(-2, 3, shape).astype(np.float64)
    return x, axis, draw(st.booleans()), draw(st.booleans())


@given(_scan_case(), st.sampled_from(sorted(SCANS)))
def test_property_scans_match_numpy(case, name):
    x, axis, exclusive, reverse = case
    got = getattr(mtf, name)(x, axis, exclusive, reverse)
    np.testing.assert_array_equal(got.numpy(), scan_ref(name, x, axis % x.ndim, exclusive,
                                                         reverse))


@given(_scan_case())
def test_property_cumprod_gradient_is_the_finite_difference(case):
    x, axis, exclusive, reverse = case
    w = np.random.default_rng(x.size).standard_normal(x.shape)
    got = tape_grad(lambda t: mtf.reduce_sum(mtf.cumprod(t, axis, exclusive, reverse) * w), x)
    want = finite_difference(
        lambda v: np.sum(scan_ref("cumprod", v, axis % x.ndim, exclusive, reverse) * w), x)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-6)


@given(_scan_case())
def test_property_exclusive_reverse_cumsum_is_total_minus_inclusive(case):
    x, axis, _, _ = case
    total = np.sum(x, axis=axis, keepdims=True)
    got = mtf.cumsum(x, axis, exclusive=True, reverse=True).numpy()
    np.testing.assert_allclose(got, total - mtf.cumsum(x, axis).numpy(), atol=1e-12)
