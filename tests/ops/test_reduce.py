"""Reductions: values against numpy, gradients against finite differences and
closed forms (TensorFlow's tie rule for max/min, zeros for prod)."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
from minitf.testing import check_gradients
from _helpers import hessian

RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((3, 4, 5))
AXES = [None, 0, 1, -1, 2, (0, 2), (-1, 0), (0, 1, 2), ()]
KEEP = [False, True]


def _naive_lse(v, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(v), axis=axis, keepdims=keepdims))


REFERENCES = {
    mtf.reduce_sum: np.sum, mtf.reduce_mean: np.mean, mtf.reduce_max: np.max,
    mtf.reduce_min: np.min, mtf.reduce_prod: np.prod, mtf.reduce_variance: np.var,
    mtf.reduce_std: np.std, mtf.reduce_logsumexp: _naive_lse,
}
OPS = list(REFERENCES)


def _tape_grad(f, x, upstream=None):
    x = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x, output_gradients=upstream)


# ------------------------------------------------------------------ forward

@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", KEEP)
def test_forward_matches_numpy(op, axis, keepdims):
    got = op(X3, axis=axis, keepdims=keepdims)
    want = REFERENCES[op](X3, axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
def test_float32_stays_float32(op):
    x = X3.astype(np.float32)
    got = op(x, axis=1)
    assert got.dtype == mtf.float32
    np.testing.assert_allclose(got.numpy(), REFERENCES[op](X3, axis=1), rtol=1e-5,
                               atol=1e-5)


def test_math_namespace_and_variable_input():
    v = mtf.Variable(X3)
    np.testing.assert_allclose(mtf.reduce_max(v, axis=-1).numpy(), X3.max(-1))
    with mtf.GradientTape() as tape:
        y = mtf.reduce_mean(v)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), np.full(X3.shape, 1 / 60))


# ---------------------------------------------------------------- integers

INTS = np.array([[-1, -2, 7], [3, 4, 0]], dtype=np.int32)


@pytest.mark.parametrize("op,want", [
    (mtf.reduce_sum, [4, 7]), (mtf.reduce_prod, [14, 0]),
    (mtf.reduce_max, [7, 4]), (mtf.reduce_min, [-2, 0]),
    # 4/3 -> 1 and 7/3 -> 2: integer division, as TF.
    (mtf.reduce_mean, [1, 2]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_integer_reductions_keep_dtype(op, want):
    got = op(INTS, axis=1)
    assert got.dtype == mtf.int32
    np.testing.assert_array_equal(got.numpy(), want)


def test_integer_mean_truncates_toward_zero():
    got = mtf.reduce_mean(np.array([[-1, -2], [3, 4], [-7, 0]], np.int64), axis=1)
    assert got.dtype == mtf.int64
    np.testing.assert_array_equal(got.numpy(), [-1, 3, -3])


def test_integer_input_has_no_gradient():
    x = mtf.constant(INTS)
    with mtf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="no gradient"):
            tape.watch(x)
        y = mtf.reduce_sum(x)
    assert int(y) == 11
    assert tape.gradient(y, x) is None


def test_mean_of_bool_raises():
    with pytest.raises(TypeError, match=r"reduce_mean.*bool.*\(2,\)"):
        mtf.reduce_mean(np.array([True, False]))


@pytest.mark.parametrize("op", [mtf.reduce_logsumexp, mtf.reduce_variance, mtf.reduce_std],
                         ids=lambda f: f.__name__)
def test_float_only_reductions_reject_integers(op):
    with pytest.raises(TypeError, match=rf"{op.__name__}.*int32"):
        op(INTS)


# ---------------------------------------------------------------- gradients

# std over no axes is 0 everywhere, where its gradient is NaN (tested below).
@pytest.mark.parametrize("op,axis", [(op, axis) for op in OPS for axis in AXES
                                     if not (op is mtf.reduce_std and axis == ())],
                         ids=lambda v: getattr(v, "__name__", repr(v)))
@pytest.mark.parametrize("keepdims", KEEP)
def test_gradients_match_finite_differences(op, axis, keepdims):
    check_gradients(lambda x: op(x, axis=axis, keepdims=keepdims), [X3])


def test_std_gradient_is_nan_where_std_is_zero():
    # sqrt'(0) is infinite: TensorFlow's reduce_std gives NaN there too.
    with np.errstate(divide="ignore", invalid="ignore"):
        got = _tape_grad(lambda x: mtf.reduce_std(x, 1), np.array([[2.0, 2.0], [1.0, 3.0]]))
    assert np.isnan(got.numpy()[0]).all()
    np.testing.assert_allclose(got.numpy()[1], [-0.5, 0.5])


def test_sum_and_mean_gradients_closed_form():
    np.testing.assert_allclose(_tape_grad(lambda x: mtf.reduce_sum(x, 1), X3).numpy(),
                               np.ones(X3.shape))
    np.testing.assert_allclose(
        _tape_grad(lambda x: mtf.reduce_mean(x, (0, 2)), X3).numpy(),
        np.full(X3.shape, 1 / 15))


@pytest.mark.parametrize("op,pick", [(mtf.reduce_max, np.max), (mtf.reduce_min, np.min)],
                         ids=["max", "min"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_ties_share_the_gradient_equally(op, pick, axis):
    x = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 2.0, 2.0], [-2.0, 0.5, -2.0, 3.0]])
    upstream = RNG.standard_normal(np.shape(pick(x, axis=axis)))
    got = _tape_grad(lambda t: op(t, axis=axis), x, upstream).numpy()
    # TensorFlow's rule: indicator of the extrema / number of extrema * upstream.
    kept = pick(x, axis=axis, keepdims=True)
    indicator = (x == kept).astype(float)
    count = indicator.sum(axis=axis, keepdims=True)
    up = upstream if axis is None else np.expand_dims(upstream, axis)
    np.testing.assert_allclose(got, indicator / count * up)


def test_max_tie_hand_computed():
    got = _tape_grad(lambda t: mtf.reduce_max(t, 1), np.array([[1.0, 3.0, 3.0],
                                                               [2.0, 2.0, 2.0]]))
    np.testing.assert_allclose(got.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


@pytest.mark.parametrize("x,want", [
    ([2.0, 0.0, 3.0, 5.0], [0.0, 30.0, 0.0, 0.0]),    # one zero
    ([0.0, 2.0, 0.0, 5.0], [0.0, 0.0, 0.0, 0.0]),     # two zeros
    ([0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]),     # all zeros
    ([2.0, -1.0, 3.0, 0.5], [-1.5, 3.0, -1.0, -6.0]),  # no zero
])
def test_prod_gradient_with_zeros_hand_computed(x, want):
    got = _tape_grad(mtf.reduce_prod, np.array(x))
    np.testing.assert_allclose(got.numpy(), want)
    assert not np.isnan(got.numpy()).any()


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
@pytest.mark.parametrize("keepdims", KEEP)
def test_prod_gradient_with_zeros_finite_differences(axis, keepdims):
    x = RNG.standard_normal((4, 3))
    x[0, 1] = 0.0                      # one zero in row 0, column 1
    x[2, 0] = x[2, 2] = 0.0            # two zeros in row 2
    x[3, 1] = 0.0                      # column 1 now holds two zeros
    check_gradients(lambda t: mtf.reduce_prod(t, axis, keepdims), [x])


def test_prod_second_derivatives_with_one_zero():
    x = np.array([2.0, 0.0, 3.0])
    # d2/dxi dxj prod(x) = product of the entries other than i and j (0 on the diagonal).
    want = np.array([[0.0, 3.0, 0.0], [3.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
    np.testing.assert_allclose(hessian(mtf.reduce_prod, x), want)


def test_logsumexp_second_derivative_is_softmax_covariance():
    x = np.array([0.3, -1.0, 2.0])
    p = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(hessian(mtf.reduce_logsumexp, x),
                               np.diag(p) - np.outer(p, p), rtol=1e-10)


def test_variance_second_derivative():
    n = 4
    got = hessian(mtf.reduce_variance, RNG.standard_normal(n))
    np.testing.assert_allclose(got, 2 / n * (np.eye(n) - 1 / n), atol=1e-12)


# ------------------------------------------------------------------ logsumexp

@pytest.mark.parametrize("x,want", [
    ([1000.0, 1000.0], 1000.0 + math.log(2)),
    ([-1000.0, -1000.0], -1000.0 + math.log(2)),
    ([1000.0, 0.0], 1000.0),
    ([-np.inf, -np.inf], -np.inf),
    ([np.inf, 1.0], np.inf),
])
def test_logsumexp_is_stable(x, want):
    for dtype in (np.float32, np.float64):
        got = mtf.reduce_logsumexp(np.array(x, dtype))
        assert got.dtype == dtype
        assert float(got) == pytest.approx(want, rel=1e-6)


def test_logsumexp_gradient_at_large_values_is_softmax():
    got = _tape_grad(mtf.reduce_logsumexp, np.array([1000.0, 1000.0, 999.0]))
    e = np.exp([1.0, 1.0, 0.0])
    np.testing.assert_allclose(got.numpy(), e / e.sum())


# ------------------------------------------------------------- empty inputs

def test_empty_reductions_return_identities():
    empty = np.zeros((0, 3))
    np.testing.assert_array_equal(mtf.reduce_max(empty, 0).numpy(), [-np.inf] * 3)
    np.testing.assert_array_equal(mtf.reduce_min(empty, 0).numpy(), [np.inf] * 3)
    np.testing.assert_array_equal(mtf.reduce_sum(empty, 0).numpy(), [0.0] * 3)
    np.testing.assert_array_equal(mtf.reduce_prod(empty, 0).numpy(), [1.0] * 3)
    assert np.isnan(mtf.reduce_mean(empty, 0).numpy()).all()
    assert int(mtf.reduce_max(np.zeros((0,), np.int32))) == np.iinfo(np.int32).min


# ------------------------------------------------------------- argmax/argmin

@pytest.mark.parametrize("op,ref", [(mtf.argmax, np.argmax), (mtf.argmin, np.argmin)],
                         ids=["argmax", "argmin"])
@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_arg_extrema_match_numpy(op, ref, axis):
    got = op(X3, axis=axis)
    assert got.dtype == mtf.int64
    np.testing.assert_array_equal(got.numpy(), ref(X3, axis=axis))


def test_arg_extrema_defaults_and_ties():
    x = np.array([[1, 5, 5], [7, 0, 7]], np.int32)
    np.testing.assert_array_equal(mtf.argmax(x).numpy(), [1, 0, 1])        # axis None -> 0
    np.testing.assert_array_equal(mtf.argmax(x, 1).numpy(), [1, 0])        # first of ties
    np.testing.assert_array_equal(mtf.argmin(x, 1).numpy(), [0, 1])
    got = mtf.argmax(x, 1, output_type=mtf.int32)
    assert got.dtype == mtf.int32


def test_arg_extrema_have_no_gradient():
    x = mtf.constant(X3)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        i = mtf.argmax(x, 1)
    assert tape.gradient(i, x) is None


@pytest.mark.parametrize("kwargs,exc,pattern", [
    (dict(axis=3), ValueError, r"argmax: axis 3 is out of range.*rank 3"),
    (dict(axis=(0, 1)), TypeError, r"argmax: axis must be a single integer"),
    (dict(output_type=mtf.float32), TypeError, r"argmax: output_type must be int32"),
])
def test_argmax_errors(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        mtf.argmax(X3, **kwargs)


def test_argmax_errors_on_scalar_and_empty_axis():
    with pytest.raises(ValueError, match=r"argmax.*rank >= 1.*\(\)"):
        mtf.argmax(3.0)
    with pytest.raises(ValueError, match=r"argmin.*axis 0 of size 0.*\(0, 2\)"):
        mtf.argmin(np.zeros((0, 2)))


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("axis,pattern", [
    (3, r"axis 3 is out of range for a tensor of rank 3"),
    (-4, r"axis -4 is out of range for a tensor of rank 3"),
    ((0, 0), r"repeated axis"),
    ((1, -2), r"repeated axis"),
])
def test_bad_axis_raises(op, axis, pattern):
    with pytest.raises(ValueError, match=rf"{op.__name__}: {pattern}"):
        op(X3, axis=axis)


# ---------------------------------------------------------------- properties

@st.composite
def _tensor_and_axis(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    chosen = draw(st.lists(st.integers(-len(shape), len(shape) - 1), unique_by=lambda a:
                           a % len(shape), max_size=len(shape)))
    axis = draw(st.sampled_from([None, tuple(chosen)] + ([chosen[0]] if chosen else [])))
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).standard_normal(shape), axis, draw(st.booleans())


@given(_tensor_and_axis())
def test_property_sum_mean_max_match_numpy(case):
    x, axis, keepdims = case
    for op, ref in ((mtf.reduce_sum, np.sum), (mtf.reduce_mean, np.mean),
                    (mtf.reduce_max, np.max)):
        got = op(x, axis=axis, keepdims=keepdims)
        want = ref(x, axis=axis, keepdims=keepdims)
        assert got.shape == np.shape(want)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@given(_tensor_and_axis())
def test_property_gradients(case):
    x, axis, keepdims = case
    n = x.size // np.sum(x, axis=axis, keepdims=True).size
    np.testing.assert_allclose(_tape_grad(lambda t: mtf.reduce_sum(t, axis, keepdims),
                                          x).numpy(), np.ones(x.shape))
    np.testing.assert_allclose(_tape_grad(lambda t: mtf.reduce_mean(t, axis, keepdims),
                                          x).numpy(), np.full(x.shape, 1 / n))
    # Random normals have no ties: the gradient is 1 at each group's maximum.
    g = _tape_grad(lambda t: mtf.reduce_max(t, axis, keepdims), x).numpy()
    np.testing.assert_array_equal(g, x == np.max(x, axis=axis, keepdims=True))
