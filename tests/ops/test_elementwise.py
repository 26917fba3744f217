"""Elementwise ops: values against numpy, gradients against finite differences
(float64) and closed forms, broadcasting, dtype errors, kernel parity."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
from minitf.kernels import activations as K
from minitf.ops import elementwise
from minitf.testing import check_gradients

RNG = np.random.default_rng(0)
math_erf = np.vectorize(math.erf)


def normal(*shape):
    return RNG.standard_normal(shape)


def positive(*shape):
    return RNG.uniform(0.5, 2.0, shape)


def tape_grads(f, *args):
    """f(*args) and its gradients w.r.t. every argument (as Tensors)."""
    xs = [mtf.constant(a) for a in args]
    with mtf.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return y, tape.gradient(y, xs)


# ------------------------------------------------------------------- unary

UNARY = [  # (op, numpy reference, input generator)
    (mtf.negative, np.negative, normal), (mtf.abs, np.abs, positive),
    (mtf.square, np.square, normal), (mtf.reciprocal, np.reciprocal, positive),
    (mtf.exp, np.exp, normal), (mtf.expm1, np.expm1, normal),
    (mtf.log, np.log, positive), (mtf.log1p, np.log1p, positive),
    (mtf.sqrt, np.sqrt, positive), (mtf.rsqrt, lambda v: 1 / np.sqrt(v), positive),
    (mtf.sin, np.sin, normal), (mtf.cos, np.cos, normal),
    (mtf.tan, np.tan, lambda *s: RNG.uniform(-1.2, 1.2, s)),
    (mtf.tanh, np.tanh, normal), (mtf.sigmoid, lambda v: 1 / (1 + np.exp(-v)), normal),
    (mtf.softplus, lambda v: np.log1p(np.exp(v)), normal), (mtf.erf, math_erf, normal),
    (mtf.identity, lambda v: v, normal),
]


@pytest.mark.parametrize("op, ref, gen", UNARY, ids=lambda a: getattr(a, "__name__", ""))
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_unary_gradients_match_finite_differences(op, ref, gen, shape):
    x = gen(*shape)
    check_gradients(op, [x])
    for sign in (1, -1) if op is mtf.abs else ():
        check_gradients(op, [sign * x])


@pytest.mark.parametrize("op, ref, gen", UNARY, ids=lambda a: getattr(a, "__name__", ""))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_values_and_dtype_match_numpy(op, ref, gen, dtype):
    x = gen(3, 4).astype(dtype)
    out = op(x)
    assert out.dtype == dtype and out.shape == (3, 4)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(out.numpy(), ref(x.astype(np.float64)), rtol=tol, atol=tol)


def test_abs_gradient_at_zero_is_zero():
    _, (g,) = tape_grads(mtf.abs, np.array([-2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g.numpy(), [-1.0, 0.0, 1.0])


def test_sigmoid_and_softplus_do_not_overflow():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = mtf.sigmoid(x).numpy()
        p = mtf.softplus(x).numpy()
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.exp(30)), 0.5, 1 / (1 + np.exp(-30)), 1.0])
    np.testing.assert_allclose(p, [0.0, np.log1p(np.exp(-30)), np.log(2), 30.0, 1000.0],
                               rtol=1e-12)


def test_half_precision_tanh_and_sigmoid_gradients():
    x = np.array([-1.5, 0.25, 2.0], np.float16)
    for op, derivative in ((mtf.tanh, lambda v: 1 - np.tanh(v) ** 2),
                           (mtf.sigmoid, lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2)):
        _, (g,) = tape_grads(op, x)
        assert g.dtype == np.float16
        np.testing.assert_allclose(g.numpy(), derivative(x.astype(np.float64)),
                                   rtol=3e-3, atol=1e-3)  # y rounded to float16


# ------------------------------------------- backward primitives, 2nd order

def _derivative(op):
    def first(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = op(x)
        return tape.gradient(y, x)
    return first


@pytest.mark.parametrize("op", [mtf.tanh, mtf.sigmoid, mtf.erf, mtf.softplus, mtf.tan,
                                mtf.rsqrt, mtf.log, mtf.reciprocal])
def test_second_order_gradients(op):
    check_gradients(_derivative(op), [positive(2, 3)])


@pytest.mark.parametrize("op", [mtf.tanh, mtf.sigmoid])
def test_third_order_gradients(op):
    check_gradients(_derivative(_derivative(op)), [normal(4)])


@pytest.mark.parametrize("rule", [elementwise._tanh_grad, elementwise._sigmoid_grad])
def test_backward_primitives_differentiate_in_both_arguments(rule):
    y, g = RNG.uniform(-0.9, 0.9, (2, 3)), normal(2, 3)
    check_gradients(lambda a, b: rule(a, b), [y, g])


def test_backward_primitive_values():
    y, g = RNG.uniform(-0.9, 0.9, 6), normal(6)
    t, s = mtf.constant(y), mtf.constant(g)
    np.testing.assert_allclose(elementwise._tanh_grad(t, s).numpy(), g * (1 - y * y))
    np.testing.assert_allclose(elementwise._sigmoid_grad(t, s).numpy(), g * y * (1 - y))


# ------------------------------------------------------------------ binary

BINARY = [  # (op, numpy reference, y generator); x is always normal
    (mtf.add, np.add, normal), (mtf.subtract, np.subtract, normal),
    (mtf.multiply, np.multiply, normal), (mtf.divide, np.divide, positive),
    (mtf.maximum, np.maximum, normal), (mtf.minimum, np.minimum, normal),
    (mtf.squared_difference, lambda a, b: (a - b) ** 2, normal),
]
SHAPE_PAIRS = [((2, 3), (2, 3)), ((3, 1), (4,)), ((4,), (3, 1)), ((1, 4), (3, 1)),
               ((), (2, 3)), ((2, 3), ()), ((2, 1, 3), (4, 1))]


@pytest.mark.parametrize("op, ref, gen", BINARY, ids=lambda a: getattr(a, "__name__", ""))
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_gradients_with_broadcasting(op, ref, gen, shapes):
    x, y = normal(*shapes[0]), gen(*shapes[1])
    out = op(x, y)
    np.testing.assert_allclose(out.numpy(), ref(x, y), rtol=1e-13)
    check_gradients(op, [x, y])


def test_pow_gradients_in_both_arguments():
    x, y = positive(3, 1), normal(4)
    np.testing.assert_allclose(mtf.pow(x, y).numpy(), x ** y, rtol=1e-13)
    check_gradients(mtf.pow, [x, y])
    check_gradients(lambda a: a ** 3.0, [normal(5)])
    check_gradients(lambda b: 2.0 ** b, [normal(5)])


def test_pow_exponent_gradient_is_zero_where_base_is_not_positive():
    (_, (gx, gy)) = tape_grads(mtf.pow, np.array([-2.0, 0.0, 3.0]), np.array([3.0, 2.0, 2.0]))
    np.testing.assert_allclose(gx.numpy(), [3 * 4.0, 0.0, 6.0])
    np.testing.assert_allclose(gy.numpy(), [0.0, 0.0, 9 * np.log(3.0)])


@pytest.mark.parametrize("op, x_wins", [(mtf.maximum, [1, 1, 1, 0]),
                                         (mtf.minimum, [1, 0, 1, 1])])
def test_maximum_minimum_ties_send_the_gradient_to_x(op, x_wins):
    x, y = np.array([1.0, 2.0, 3.0, -1.0]), np.array([1.0, 0.0, 3.0, 5.0])
    _, (gx, gy) = tape_grads(op, x, y)
    np.testing.assert_array_equal(gx.numpy(), x_wins)
    np.testing.assert_array_equal(gy.numpy(), 1 - np.array(x_wins))


def test_python_scalars_in_binary_ops():
    x = normal(3)
    for f, ref in ((lambda a: 2.5 - a, lambda v: 2.5 - v), (lambda a: a / 4, lambda v: v / 4),
                   (lambda a: 3 * a + 1, lambda v: 3 * v + 1)):
        np.testing.assert_allclose(f(mtf.constant(x)).numpy(), ref(x), rtol=1e-13)
        check_gradients(f, [x])


def test_integer_division_is_float64_as_truediv():
    out = mtf.divide(mtf.constant([1, 3]), mtf.constant([2, 4]))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.numpy(), [0.5, 0.75])


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: suffixes of one shape with some sizes set to 1."""
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    pair = []
    for _ in range(2):
        keep = draw(st.integers(0, len(shape)))
        pair.append(tuple(1 if draw(st.booleans()) else n for n in shape[len(shape) - keep:]))
    return pair


@given(shapes=broadcastable_pair(), which=st.sampled_from(range(len(BINARY))),
       seed=st.integers(0, 2**16))
def test_random_broadcasting_shapes(shapes, which, seed):
    op, ref, _ = BINARY[which]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shapes[0])
    y = rng.uniform(0.5, 2.0, shapes[1]) * rng.choice([-1, 1], shapes[1])
    out = op(x, y)
    expected = ref(x, y)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)
    check_gradients(op, [x, y])


# --------------------------------------------------- selection and casting

def test_where_values_and_gradients_with_broadcasting():
    cond = np.array([[True], [False], [True]])
    x, y = normal(3, 4), normal(4)
    np.testing.assert_array_equal(mtf.where(cond, x, y).numpy(), np.where(cond, x, y))
    check_gradients(lambda a, b: mtf.where(cond, a, b), [x, y])
    check_gradients(lambda a: mtf.where(cond, a, 0.0), [x])


def test_where_with_condition_only_gives_coordinates():
    cond = np.array([[True, False], [False, True]])
    out = mtf.where(cond)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.numpy(), [[0, 0], [1, 1]])


def test_where_errors():
    with pytest.raises(TypeError, match="where: condition must be bool.*float32"):
        mtf.where(mtf.constant([1.0]), 1.0, 2.0)
    with pytest.raises(ValueError, match="where: give both x and y"):
        mtf.where(mtf.constant([True]), mtf.constant([1.0]))
    with pytest.raises(ValueError, match=r"where: shapes \(2,\), \(3,\) and \(3,\)"):
        mtf.where(mtf.constant([True, False]), np.ones(3), np.zeros(3))


@pytest.mark.parametrize("source, target", [(np.float64, np.float32),
                                            (np.float32, np.float64),
                                            (np.float16, np.float32)])
def test_cast_between_floats_passes_the_gradient_in_the_source_dtype(source, target):
    x = mtf.constant(np.array([0.5, -1.25, 2.0], source))
    upstream = mtf.constant(np.array([1.0, 2.0, -3.0], target))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.cast(x, target)
    assert y.dtype == target
    g = tape.gradient(y, x, output_gradients=upstream)
    assert g.dtype == source
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, -3.0])


def test_cast_to_and_from_integers_has_no_gradient():
    x = mtf.constant([1.7, -2.2])
    i = mtf.constant([3, 4])
    with mtf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="no gradient"):
            tape.watch([x, i])
        as_int = mtf.cast(x, mtf.int32)
        as_float = mtf.cast(i, mtf.float32) * 2.0
    np.testing.assert_array_equal(as_int.numpy(), [1, -2])
    assert tape.gradient(as_float, [x, i]) == [None, None]


def test_cast_to_the_same_dtype_returns_the_input():
    x = mtf.constant([1.0])
    assert mtf.cast(x, "float32") is x


def test_clip_by_value_values_and_gradients():
    x = np.array([-3.0, -1.0, 0.2, 1.0, 4.0])
    out, (g,) = tape_grads(lambda t: mtf.clip_by_value(t, -1.0, 1.0), x)
    np.testing.assert_array_equal(out.numpy(), np.clip(x, -1, 1))
    np.testing.assert_array_equal(g.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])  # bounds inclusive
    inside = RNG.uniform(-0.9, 0.9, (2, 3))
    check_gradients(lambda t: mtf.clip_by_value(t, -1.0, 1.0) * t, [inside])
    lo, hi = np.array([[-0.5], [0.0]]), np.array([0.5, 1.0, 2.0])
    np.testing.assert_array_equal(mtf.clip_by_value(inside, lo, hi).numpy(),
                                  np.clip(inside, lo, hi))


def test_clip_by_value_bad_bounds():
    with pytest.raises(ValueError, match=r"clip_by_value: bounds of shapes \(2,\)"):
        mtf.clip_by_value(mtf.constant(np.ones(3)), np.zeros(2), 1.0)


def test_stop_gradient_and_identity():
    _, (g,) = tape_grads(lambda t: mtf.stop_gradient(t) * t, np.array([3.0]))
    np.testing.assert_array_equal(g.numpy(), [3.0])
    v = mtf.Variable([1.0])
    snapshot = mtf.identity(v)
    v.assign([2.0])
    np.testing.assert_array_equal(snapshot.numpy(), [1.0])


# ---------------------------------------------- no gradient, forward values

NO_GRADIENT = [
    (mtf.sign, np.sign), (mtf.floor, np.floor), (mtf.ceil, np.ceil), (mtf.round, np.round),
    (lambda a: mtf.floordiv(a, 0.7), lambda v: np.floor_divide(v, 0.7)),
    (lambda a: mtf.mod(a, 0.7), lambda v: np.mod(v, 0.7)),
    (lambda a: mtf.equal(a, 0.5), lambda v: v == 0.5),
    (lambda a: mtf.not_equal(a, 0.5), lambda v: v != 0.5),
    (lambda a: mtf.less(a, 0.0), lambda v: v < 0), (lambda a: mtf.less_equal(a, 0.5),
                                                    lambda v: v <= 0.5),
    (lambda a: mtf.greater(a, 0.0), lambda v: v > 0),
    (lambda a: mtf.greater_equal(a, 0.5), lambda v: v >= 0.5),
]


@pytest.mark.parametrize("op, ref", NO_GRADIENT)
def test_no_gradient_ops_match_numpy_and_give_none(op, ref):
    x = np.array([-2.5, -0.5, 0.5, 1.5, 2.5, 3.7])
    out, (g,) = tape_grads(op, x)
    np.testing.assert_array_equal(out.numpy(), ref(x))
    assert g is None


def test_round_is_half_to_even():
    np.testing.assert_array_equal(mtf.round(mtf.constant([0.5, 1.5, 2.5, -0.5])).numpy(),
                                  [0.0, 2.0, 2.0, -0.0])


def test_mod_and_floordiv_follow_python_signs():
    x, y = np.array([7, -7, 7, -7]), np.array([3, 3, -3, -3])
    np.testing.assert_array_equal(mtf.mod(x, y).numpy(), [a % b for a, b in zip(x, y)])
    np.testing.assert_array_equal(mtf.floordiv(x, y).numpy(), [a // b for a, b in zip(x, y)])


def test_logical_ops():
    p, q = np.array([True, True, False, False]), np.array([True, False, True, False])
    np.testing.assert_array_equal(mtf.logical_and(p, q).numpy(), p & q)
    np.testing.assert_array_equal(mtf.logical_or(p, q).numpy(), p | q)
    np.testing.assert_array_equal(mtf.logical_not(p).numpy(), ~p)


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("op", [mtf.exp, mtf.log, mtf.sqrt, mtf.tanh, mtf.sigmoid, mtf.erf,
                                mtf.sin, mtf.floor, mtf.reciprocal])
def test_float_only_ops_reject_integers(op):
    with pytest.raises(TypeError) as info:
        op(mtf.constant([1, 2]))
    message = str(info.value)
    assert op.__name__ in message and "int32" in message and "(2,)" in message


def test_logical_ops_reject_non_bools():
    with pytest.raises(TypeError, match=r"logical_and: expected bool.*float32.*\(1,\)"):
        mtf.logical_and(mtf.constant([1.0]), mtf.constant([True]))


@pytest.mark.parametrize("op", [mtf.add, mtf.multiply, mtf.maximum, mtf.less, mtf.pow])
def test_shape_mismatch_names_op_and_shapes(op):
    with pytest.raises(ValueError) as info:
        op(mtf.constant(np.ones((2, 3))), mtf.constant(np.ones(4)))
    message = str(info.value)
    assert op.__name__ in message and "(2, 3)" in message and "(4,)" in message


def test_mixed_float_dtypes_name_the_op():
    with pytest.raises(TypeError, match=r"subtract: cannot mix dtypes float32 and float64"):
        mtf.subtract(mtf.constant([1.0]), np.array([1.0]))


# ------------------------------------------------------------ kernel parity

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erf_kernel_matches_py_func_and_math_erf(dtype):
    x = np.linspace(-4, 4, 41).astype(dtype).reshape(41, 1)[::2]   # non-contiguous
    compiled = K.erf(x)
    python = K._erf.py_func(np.ascontiguousarray(x))
    tol = 1e-6 if dtype == np.float32 else 1e-15
    assert compiled.dtype == dtype and compiled.shape == x.shape
    np.testing.assert_allclose(compiled, python, rtol=tol, atol=tol)
    np.testing.assert_allclose(compiled, math_erf(x.astype(np.float64)), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_activation_grad_kernels_match_py_func_and_formulas(dtype):
    y = RNG.uniform(-1, 1, (4, 5)).astype(dtype).T                 # non-contiguous
    g = RNG.standard_normal((5, 4)).astype(dtype)
    tol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-15}[dtype]
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    for kernel, raw, formula in ((K.tanh_grad, "_tanh_grad", g64 * (1 - y64 * y64)),
                                 (K.sigmoid_grad, "_sigmoid_grad", g64 * y64 * (1 - y64))):
        compiled = kernel(y, g)
        assert compiled.dtype == dtype and compiled.shape == y.shape
        wide = np.float32 if dtype == np.float16 else dtype
        python = np.empty(y.shape, wide)
        getattr(K, raw).py_func(python, np.ascontiguousarray(y, wide), g.astype(wide))
        np.testing.assert_allclose(compiled, python, rtol=tol, atol=tol)
        np.testing.assert_allclose(compiled, formula, rtol=tol, atol=tol)


def test_kernels_accept_zero_dimensional_values():
    assert float(K.tanh_grad(np.float64(0.5), np.float64(2.0))) == 2.0 * (1 - 0.25)
    assert float(K.sigmoid_grad(np.float64(0.5), np.float64(2.0))) == 2.0 * 0.25
    assert float(K.erf(np.float64(0.5))) == pytest.approx(math.erf(0.5), rel=1e-15)
