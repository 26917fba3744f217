"""sort, argsort, math.top_k, math.lgamma, math.digamma, math.erfinv: forward against
numpy/scipy/mpmath, gradients (to second and third order) against central differences,
edge cases and errors."""
import math

import mpmath
import numpy as np
import pytest
import scipy.special as sc
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minitf as mtf
from _helpers import finite_difference, second_order_along, tape_gradient
from minitf.ops.gamma import _polygamma

FLOATS = [np.float16, np.float32, np.float64]
NUMBERS = [np.int32, np.int64, np.float16, np.float32, np.float64]


def sort_ref(v, axis=-1, descending=False):
    """Stable sort with NaN largest; descending keeps ties in index order."""
    order = argsort_ref(v, axis, descending)
    return np.take_along_axis(v, order, axis)


def argsort_ref(v, axis=-1, descending=False):
    """Stable argsort; descending by (-value, index), NaN the largest value."""
    if not descending:
        return np.argsort(v, axis, kind="stable")
    moved = np.moveaxis(v, axis, -1)
    out = np.empty(moved.shape, np.int64)
    for pos in np.ndindex(moved.shape[:-1]):
        row = moved[pos]
        out[pos] = sorted(range(row.size), key=lambda i: _descending_key(row[i], i))
    return np.moveaxis(out, -1, axis)


def _descending_key(value, i):
    """Sort key of descending order: NaN first, then larger values, ties by index."""
    return (0, 0.0, i) if np.isnan(value) else (1, -float(value), i)


# ---------------------------------------------------------------- sort / argsort

@pytest.mark.parametrize("dtype", NUMBERS)
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
def test_sort_and_argsort_match_numpy(dtype, axis, direction):
    x = np.random.default_rng(0).integers(-3, 4, (3, 4, 5)).astype(dtype)   # many ties
    desc = direction == "DESCENDING"
    got = mtf.sort(x, axis, direction)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(got.numpy(), sort_ref(x, axis, desc))
    idx = mtf.argsort(x, axis, direction)
    assert idx.dtype == np.int32
    np.testing.assert_array_equal(idx.numpy(), argsort_ref(x, axis, desc))


def test_sort_defaults_keywords_and_namespaces():
    x = np.array([[2.0, -1.0, 3.0], [0.5, 0.5, -2.0]])
    np.testing.assert_array_equal(mtf.sort(x).numpy(), np.sort(x, -1))
    np.testing.assert_array_equal(
        mtf.sort(values=x, axis=0, direction="DESCENDING", name="s").numpy(),
        -np.sort(-x, 0))
    np.testing.assert_array_equal(mtf.argsort(values=x, axis=-1, direction="ASCENDING",
                                              stable=True, name="a").numpy(),
                                  np.argsort(x, -1, kind="stable"))
    assert mtf.math.sort is mtf.sort and mtf.math.argsort is mtf.argsort


def test_sort_ties_nan_and_signed_zeros():
    x = np.array([1.0, np.nan, -np.inf, 0.0, -0.0, 1.0, np.inf])
    np.testing.assert_array_equal(mtf.argsort(x).numpy(), [2, 3, 4, 0, 5, 6, 1])
    np.testing.assert_array_equal(mtf.argsort(x, direction="DESCENDING").numpy(),
                                  [1, 6, 0, 5, 3, 4, 2])
    np.testing.assert_array_equal(mtf.sort(x, direction="DESCENDING").numpy(),
                                  [np.nan, np.inf, 1, 1, 0, 0, -np.inf])


def test_integer_extremes_sort_descending():
    big = np.iinfo(np.int64)
    x = np.array([0, big.min, big.max, -1], np.int64)
    np.testing.assert_array_equal(mtf.sort(x, direction="DESCENDING").numpy(),
                                  [big.max, 0, -1, big.min])


@pytest.mark.parametrize("shape, axis", [((0,), 0), ((0, 3), 0), ((2, 0), 1), ((2, 0), 0)])
def test_empty_sorts(shape, axis):
    x = np.zeros(shape)
    assert mtf.sort(x, axis).shape == shape
    assert mtf.argsort(x, axis).shape == shape
    g = tape_gradient(lambda t: mtf.reduce_sum(mtf.sort(t, axis)), x)
    assert g.shape == shape


@pytest.mark.parametrize("op", [mtf.sort, mtf.argsort], ids=["sort", "argsort"])
def test_sort_errors(op):
    name = op.__name__
    with pytest.raises(ValueError, match=f"{name}: direction must be 'ASCENDING'.*'up'"):
        op([1.0, 2.0], direction="up")
    with pytest.raises(ValueError, match=f"{name}: direction"):
        op([1.0, 2.0], direction=None)
    with pytest.raises(ValueError, match=f"{name}: values must have rank >= 1"):
        op(3.0)
    with pytest.raises(ValueError, match=f"{name}: axis 2 is out of range"):
        op(np.ones((2, 3)), axis=2)
    with pytest.raises(TypeError, match=f"{name}: axis must be a single integer"):
        op(np.ones((2, 3)), axis=[0])
    with pytest.raises(TypeError, match=f"{name}: bool values"):
        op([True, False])


def test_argsort_stable_must_be_a_flag():
    with pytest.raises(TypeError, match="argsort: stable must be True or False"):
        mtf.argsort([1.0], stable=1)


def test_argsort_has_no_gradient():
    x = mtf.constant([3.0, 1.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.cast(mtf.argsort(x), mtf.float64)
    assert tape.gradient(y, x) is None


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
                    elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0, np.nan, np.inf])),
       axis_seed=st.integers(0, 100), desc=st.booleans())
def test_sort_and_argsort_property(x, axis_seed, desc):
    axis = axis_seed % (2 * x.ndim) - x.ndim
    direction = "DESCENDING" if desc else "ASCENDING"
    np.testing.assert_array_equal(mtf.sort(x, axis, direction).numpy(),
                                  sort_ref(x, axis, desc))
    np.testing.assert_array_equal(mtf.argsort(x, axis, direction).numpy(),
                                  argsort_ref(x, axis, desc))


# ---------------------------------------------------------------- top_k

def top_k_ref(v, k):
    order = argsort_ref(v, -1, True)[..., :k]
    return np.take_along_axis(v, order, -1), order


@pytest.mark.parametrize("dtype", NUMBERS)
@pytest.mark.parametrize("k", [0, 1, 3, 5])
@pytest.mark.parametrize("index_type", [mtf.int32, mtf.int64])
def test_top_k_matches_reference(dtype, k, index_type):
    x = np.random.default_rng(1).integers(-2, 3, (2, 3, 5)).astype(dtype)
    got = mtf.math.top_k(x, k=k, sorted=True, index_type=index_type)
    want_values, want_indices = top_k_ref(x, k)
    assert got.values.dtype == dtype and got.indices.dtype == index_type
    np.testing.assert_array_equal(got.values.numpy(), want_values)
    np.testing.assert_array_equal(got.indices.numpy(), want_indices)
    values, indices = got                      # a named tuple
    assert values is got.values and indices is got.indices


def test_top_k_defaults_ties_and_unsorted():
    x = np.array([1.0, 3.0, 3.0, 2.0])
    got = mtf.math.top_k(x)
    assert got.values.numpy().tolist() == [3.0] and got.indices.numpy().tolist() == [1]
    got = mtf.math.top_k(input=x, k=3, sorted=False, name="t")
    assert got.indices.numpy().tolist() == [1, 2, 3]
    assert mtf.math.top_k(x, k=mtf.constant(2)).indices.numpy().tolist() == [1, 2]


def test_top_k_errors():
    with pytest.raises(ValueError, match="top_k: input must have at least k=4"):
        mtf.math.top_k([1.0, 2.0, 3.0], k=4)
    with pytest.raises(ValueError, match="top_k: k must be an int >= 0"):
        mtf.math.top_k([1.0], k=-1)
    with pytest.raises(TypeError, match="top_k: k must be an int"):
        mtf.math.top_k([1.0], k=1.5)
    with pytest.raises(ValueError, match="top_k: input must have rank >= 1"):
        mtf.math.top_k(1.0)
    with pytest.raises(TypeError, match="top_k: index_type must be"):
        mtf.math.top_k([1.0], index_type=mtf.float32)
    with pytest.raises(TypeError, match="top_k: sorted must be True or False"):
        mtf.math.top_k([1.0], sorted="yes")
    with pytest.raises(TypeError, match="top_k: bool input"):
        mtf.math.top_k([True])


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                    elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0, np.nan, -np.inf])),
       k_seed=st.integers(0, 100))
def test_top_k_property(x, k_seed):
    k = k_seed % (x.shape[-1] + 1)
    got = mtf.math.top_k(x, k)
    want_values, want_indices = top_k_ref(x, k)
    np.testing.assert_array_equal(got.values.numpy(), want_values)
    np.testing.assert_array_equal(got.indices.numpy(), want_indices)


# ---------------------------------------------------------------- sort gradients

X = np.random.default_rng(2).standard_normal((3, 5))
W = np.random.default_rng(3).standard_normal((3, 5))


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("direction", ["ASCENDING", "DESCENDING"])
def test_sort_gradient_matches_finite_differences(axis, direction):
    def f(t):
        return mtf.reduce_sum(mtf.sort(t, axis, direction) * W)
    want = finite_difference(lambda v: f(v).numpy(), X)
    np.testing.assert_allclose(tape_gradient(f, X).numpy(), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_top_k_gradient_matches_finite_differences(k):
    w = W[:, :k]

    def f(t):
        return mtf.reduce_sum(mtf.math.top_k(t, k).values * w)
    want = finite_difference(lambda v: f(v).numpy(), X)
    np.testing.assert_allclose(tape_gradient(f, X).numpy(), want, rtol=1e-6, atol=1e-8)


def test_sort_gradient_with_ties_goes_to_the_sorted_positions():
    x = np.array([2.0, 1.0, 2.0])
    g = tape_gradient(lambda t: mtf.reduce_sum(mtf.sort(t) * [1.0, 10.0, 100.0]), x)
    np.testing.assert_array_equal(g.numpy(), [10.0, 1.0, 100.0])


def test_sort_second_order():
    def f(t):
        return mtf.reduce_sum(mtf.square(mtf.sort(t, 0)) * W)
    h, want = second_order_along(f, X, W)
    np.testing.assert_allclose(h, want, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- special functions

RNG = np.random.default_rng(4)
POSITIVE = np.concatenate([RNG.uniform(0.01, 30, 300), 10.0 ** RNG.uniform(-8, 8, 200),
                           RNG.uniform(1.2, 1.75, 100)])
NEGATIVE = -RNG.uniform(0.05, 20, 300)
NEGATIVE = NEGATIVE[np.abs(NEGATIVE - np.round(NEGATIVE)) > 0.05]


def _rel(got, want):
    return np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300))


def test_lgamma_matches_scipy():
    x = np.concatenate([POSITIVE[np.abs(POSITIVE - 1) > 0.1], NEGATIVE])
    x = x[np.abs(x - 2) > 0.1]
    assert _rel(mtf.math.lgamma(x).numpy(), sc.gammaln(x)) < 1e-13


def test_lgamma_special_values():
    x = np.array([1.0, 2.0, 0.0, -0.0, -1.0, -4.0, np.inf, -np.inf, np.nan, 0.5])
    got = mtf.math.lgamma(x).numpy()
    np.testing.assert_array_equal(got[:9], [0, 0, np.inf, np.inf, np.inf, np.inf, np.inf,
                                            np.inf, np.nan])
    assert got[9] == pytest.approx(0.5 * math.log(math.pi), rel=1e-15)


def test_digamma_matches_scipy_to_1e_14():
    got = mtf.math.digamma(POSITIVE).numpy()
    assert _rel(got, sc.digamma(POSITIVE)) < 1e-14
    got = mtf.math.digamma(NEGATIVE).numpy()
    ref = np.array([float(mpmath.digamma(v)) for v in NEGATIVE])
    far = np.abs(ref) > 0.1     # near its negative roots digamma is ill-conditioned
    assert _rel(got[far], ref[far]) < 1e-14


def test_digamma_near_its_positive_root_is_relatively_accurate():
    with mpmath.workdps(40):
        root = mpmath.findroot(mpmath.digamma, 1.46)
        x = float(root) + np.array([-1e-3, -1e-9, 1e-12, 1e-6, 0.2])
        want = np.array([float(mpmath.digamma(mpmath.mpf(v))) for v in x])
    assert _rel(mtf.math.digamma(x).numpy(), want) < 1e-14


def test_digamma_identities_and_special_values():
    assert mtf.math.digamma([1.0]).numpy()[0] == pytest.approx(-np.euler_gamma, rel=1e-15)
    x = np.array([0.3, 2.7, 11.5])
    np.testing.assert_allclose(mtf.math.digamma(x + 1).numpy(),
                               mtf.math.digamma(x).numpy() + 1 / x, rtol=1e-14)
    got = mtf.math.digamma([0.0, -0.0, -1.0, -7.0, np.inf, -np.inf, np.nan]).numpy()
    np.testing.assert_array_equal(got, [np.nan, np.nan, np.nan, np.nan, np.inf, np.nan,
                                        np.nan])


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_matches_scipy(n):
    got = _polygamma(n, mtf.constant(POSITIVE)).numpy()
    assert _rel(got, sc.polygamma(n, POSITIVE)) < 1e-14
    got = _polygamma(n, mtf.constant(NEGATIVE)).numpy()
    ref = np.array([float(mpmath.polygamma(n, v)) for v in NEGATIVE])
    far = np.abs(ref) > 1e-2
    assert _rel(got[far], ref[far]) < 1e-12


def test_polygamma_special_values():
    got = _polygamma(1, mtf.constant([0.0, -2.0, np.inf, np.nan, -np.inf])).numpy()
    np.testing.assert_array_equal(got, [np.inf, np.inf, 0.0, np.nan, np.nan])
    assert _polygamma(1, mtf.constant([1.0])).numpy()[0] == pytest.approx(np.pi ** 2 / 6,
                                                                          rel=1e-15)


def test_erfinv_matches_scipy_and_inverts_erf():
    y = np.concatenate([RNG.uniform(-1, 1, 500), 1 - 10.0 ** RNG.uniform(-16, -1, 100),
                        10.0 ** RNG.uniform(-300, -1, 100)])
    got = mtf.math.erfinv(y).numpy()
    assert _rel(got, sc.erfinv(y)) < 1e-14
    inner = np.abs(y) < 0.9
    np.testing.assert_allclose(sc.erf(got[inner]), y[inner], rtol=1e-15)


def test_erfinv_special_values():
    got = mtf.math.erfinv([1.0, -1.0, 1.5, -2.0, 0.0, -0.0, np.nan]).numpy()
    np.testing.assert_array_equal(got, [np.inf, -np.inf, np.nan, np.nan, 0, 0, np.nan])
    assert np.signbit(got[5])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op, ref", [(mtf.math.lgamma, sc.gammaln),
                                     (mtf.math.digamma, sc.digamma),
                                     (mtf.math.erfinv, sc.erfinv)],
                         ids=["lgamma", "digamma", "erfinv"])
def test_special_dtypes(op, ref, dtype):
    x = np.array([0.1, 0.5, 0.9, -0.3], dtype)
    got = op(x)
    assert got.dtype == dtype
    want = ref(x.astype(np.float64)).astype(dtype)
    rtol = 1e-14 if dtype == np.float64 else np.finfo(dtype).eps
    np.testing.assert_allclose(got.numpy(), want, rtol=rtol, atol=0)


@pytest.mark.parametrize("op", [mtf.math.lgamma, mtf.math.digamma, mtf.math.erfinv],
                         ids=lambda o: o.__name__)
def test_special_errors_and_empty(op):
    name = op.__name__
    with pytest.raises(TypeError, match=f"{name}: expected a floating-point tensor"):
        op([1, 2])
    with pytest.raises(TypeError, match=f"{name}: expected a floating-point tensor"):
        op([True])
    assert op(np.zeros((2, 0))).shape == (2, 0)
    assert op(np.float32(0.5)).shape == ()


def test_special_ops_are_quiet():
    with np.errstate(all="raise"):
        mtf.math.lgamma(np.array([0.0, -1.0, np.inf, 6e4], np.float16))
        mtf.math.digamma(np.array([0.0, -1.0, np.nan], np.float32))
        mtf.math.erfinv(np.array([2.0, 1.0, np.nan], np.float16))


# ---------------------------------------------------------------- special gradients

def _derivatives(op, x, order):
    """The ``order``-th derivative of elementwise ``op`` at ``x`` by nested tapes."""
    t = mtf.constant(x)
    tapes = [mtf.GradientTape() for _ in range(order)]
    for tape in tapes:
        tape.__enter__()
        tape.watch(t)
    y = op(t)
    for tape in reversed(tapes):
        total = mtf.reduce_sum(y)
        tape.__exit__(None, None, None)
        y = tape.gradient(total, t)
    return y.numpy()


@pytest.mark.parametrize("order", [1, 2, 3])
def test_lgamma_and_digamma_derivatives_are_polygammas(order):
    x = np.array([0.3, 1.5, 4.0, -0.5, -2.3])
    np.testing.assert_allclose(_derivatives(mtf.math.lgamma, x, order),
                               sc.polygamma(order - 1, x) if order > 1 else sc.digamma(x),
                               rtol=1e-13)
    np.testing.assert_allclose(_derivatives(mtf.math.digamma, x, order),
                               sc.polygamma(order, x), rtol=1e-13)


@pytest.mark.parametrize("op", [mtf.math.lgamma, mtf.math.digamma, mtf.math.erfinv],
                         ids=lambda o: o.__name__)
def test_special_gradients_match_finite_differences(op):
    x = np.array([0.2, 0.45, 0.7, -0.6]) if op is mtf.math.erfinv else np.array(
        [0.4, 1.3, 2.6, 7.0, -1.5])
    for order in (1, 2):
        got = _derivatives(op, x, order)
        def f(v):
            return np.sum(_derivatives(op, v, order - 1) if order > 1 else op(v).numpy())
        want = np.array([finite_difference(f, np.array([v]))[0] for v in x])
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_erfinv_derivative_closed_form():
    x = np.array([-0.9, -0.2, 0.0, 0.5, 0.99])
    y = sc.erfinv(x)
    np.testing.assert_allclose(_derivatives(mtf.math.erfinv, x, 1),
                               np.sqrt(np.pi) / 2 * np.exp(y * y), rtol=1e-14)
    np.testing.assert_allclose(_derivatives(mtf.math.erfinv, x, 2),
                               np.pi / 2 * y * np.exp(2 * y * y), rtol=1e-13, atol=1e-15)
