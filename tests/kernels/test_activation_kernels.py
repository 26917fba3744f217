"""Activation kernels: compiled vs plain Python (py_func) vs numpy formulas."""
import math
import warnings

import numpy as np
import pytest

from minitf.kernels import activations as K

rng = np.random.default_rng(1)
erf = np.vectorize(math.erf, otypes=[float])
SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _both(name, *args):
    """(compiled result, py_func result) of kernel ``name``."""
    compiled = getattr(K, name)(*args)          # compiles on first call
    return compiled, getattr(K, name).py_func(*args)


def _gelu_ref(x, approximate):
    if approximate:
        return 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def _gelu_grad_ref(x, approximate):
    if approximate:
        t = np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x ** 3))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
    return 0.5 * (1 + erf(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_grad_kernel_matches_py_func_and_numpy(dtype):
    x = rng.standard_normal((5, 7)).astype(dtype)
    g = rng.standard_normal((5, 7)).astype(dtype)
    compiled, python = np.empty_like(g), np.empty_like(g)
    K._relu_grad(compiled, x, g)
    K._relu_grad.py_func(python, x, g)
    np.testing.assert_array_equal(compiled, python)
    np.testing.assert_array_equal(compiled, np.where(x > 0, g, 0))


@pytest.mark.parametrize("name", ["relu_grad", "tanh_grad", "sigmoid_grad"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_large_gradient_kernels_run_in_chunks_with_the_same_numbers(name, dtype):
    """Above the threshold the kernel runs in chunks on the pool; every element must be
    what one whole-array call gives (and what the formula gives), any layout."""
    n = 5 * K.PARALLEL_MIN + 3
    y = rng.uniform(-1, 1, (n, 2)).astype(dtype)[:, 0]          # strided
    g = rng.standard_normal(n).astype(dtype)
    wide = np.float32 if dtype == np.float16 else dtype
    whole = np.empty(n, wide)
    getattr(K, "_" + name)(whole, y.astype(wide), g.astype(wide))      # one call
    got = getattr(K, name)(y, g)
    assert got.dtype == dtype and got.shape == (n,)
    np.testing.assert_array_equal(got, whole.astype(dtype))
    y64, g64 = y.astype(np.float64), g.astype(np.float64)
    formula = {"relu_grad": np.where(y64 > 0, g64, 0), "tanh_grad": g64 * (1 - y64 * y64),
               "sigmoid_grad": g64 * y64 * (1 - y64)}[name]
    tol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-15}[dtype]
    np.testing.assert_allclose(got, formula, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_match_py_func_and_numpy(dtype):
    x = rng.standard_normal((5, 7)).astype(dtype)
    g = rng.standard_normal((5, 7)).astype(dtype)
    a, s, al = dtype(0.3), dtype(1.5), dtype(0.7)
    cases = {
        "_leaky_relu": ((x, a), np.where(x > 0, x, 0.3 * x)),
        "_leaky_relu_grad": ((x, g, a), np.where(x > 0, g, 0.3 * g)),
        "_elu": ((x, s, al), np.where(x > 0, 1.5 * x, 1.5 * 0.7 * np.expm1(x))),
        "_elu_grad": ((x, g, s, al), np.where(x > 0, 1.5 * g, g * (x + 1.5 * 0.7))),
        "_gelu": ((x, False), _gelu_ref(x.astype(np.float64), False)),
        "_gelu_grad": ((x, g, True), g * _gelu_grad_ref(x.astype(np.float64), True)),
    }
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for name, (args, expected) in cases.items():
        compiled, python = _both(name, *args)
        assert compiled.dtype == dtype, name
        np.testing.assert_allclose(compiled, python, rtol=tol, atol=tol, err_msg=name)
        np.testing.assert_allclose(compiled, expected, rtol=tol, atol=tol, err_msg=name)


def test_gelu_kernels_both_forms():
    x = np.linspace(-6, 6, 61)
    for approximate in (False, True):
        np.testing.assert_allclose(K.gelu(x, approximate), _gelu_ref(x, approximate),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(K.gelu_grad(x, np.ones_like(x), approximate),
                                   _gelu_grad_ref(x, approximate), rtol=1e-12, atol=1e-12)


def test_wrappers_handle_half_precision_and_views():
    x = rng.standard_normal((4, 6))
    view = x.T                                  # not C-contiguous
    np.testing.assert_allclose(K.elu(view, 1.0, 1.0), np.where(view > 0, view, np.expm1(view)))
    half = x.astype(np.float16)
    out = K.leaky_relu(half, 0.2)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, np.where(half > 0, half, half * np.float16(0.2)),
                               rtol=1e-3)
    assert K.relu_grad(half, half).dtype == np.float16


def test_half_precision_results_past_its_range_are_inf_without_warnings():
    x = np.array([65000.0, -65000.0, 1.0, np.nan], np.float16)
    v = x.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        elu = K.elu(x, 1.5, 0.7)
        leaky = K.leaky_relu(x, -3.0)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(
            elu, (1.5 * np.where(v > 0, v, 0.7 * np.expm1(v))).astype(np.float16))
        np.testing.assert_array_equal(leaky, np.where(v > 0, v, -3.0 * v).astype(np.float16))
    assert np.isinf(elu[0]) and np.isinf(leaky[1])


# ------------------------------------------- float32 kernels (vectorized math)

erfc = np.vectorize(math.erfc, otypes=[float])
F32 = [("_ERF32", ()), ("_GELU32", (False,)), ("_GELU32", (True,)),
       ("_GELU_GRAD32", (False,)), ("_GELU_GRAD32", (True,))]


def _ulps(got, exact):
    """|got - exact| in units of float32's spacing at ``exact`` (float64 truth)."""
    spacing = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - exact) / spacing


def _grid(lo, hi, n=100001):
    return np.concatenate([np.linspace(lo, hi, n), rng.uniform(lo, hi, n)]).astype(np.float32)


def _tanh_arg(x):
    """2u = 2 sqrt(2/pi) (x + 0.044715 x**3): 0.5 (1 + tanh u) = 1 / (1 + e**-2u)."""
    return 2 * SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)


def test_float32_erf_is_within_3_ulp():
    x = np.concatenate([_grid(-6, 6), _grid(-1e-3, 1e-3), [1e-30, -1e-30, 40.0]])
    got = K.erf(x.astype(np.float32))
    assert got.dtype == np.float32
    assert _ulps(got, erf(x.astype(np.float64))).max() <= 3


def test_float32_gelu_is_within_4_ulp_of_x_and_exact_in_the_left_tail():
    x = _grid(-20, 20)
    v = x.astype(np.float64)
    exact = v * 0.5 * erfc(-v / math.sqrt(2))
    got = K.gelu(x, False)
    # 0.5 x (1 + erf(x / sqrt 2)) in float32 would lose every digit below x = -5.
    assert (np.abs(got - exact) / np.spacing(np.abs(x))).max() <= 4
    tail = (v > -12.5) & (v < -1)                    # Phi(x) x still a normal float32
    assert _ulps(got[tail], exact[tail]).max() <= 16
    tanh_form = v / (1 + np.exp(-_tanh_arg(v)))
    assert (np.abs(K.gelu(x, True) - tanh_form) / np.spacing(np.abs(x))).max() <= 3


def test_float32_gelu_grad_is_within_a_few_ulp_of_its_terms():
    x = _grid(-20, 20)
    v = x.astype(np.float64)
    cdf, pdf = 0.5 * erfc(-v / math.sqrt(2)), np.exp(-v * v / 2) / math.sqrt(2 * math.pi)
    got = K.gelu_grad(x, np.ones_like(x), False)
    # gelu' crosses 0 near x = -0.75: the bound is in ulps of the larger term.
    larger = np.maximum(cdf, np.abs(v * pdf)).astype(np.float32)
    assert (np.abs(got - (cdf + v * pdf)) / np.spacing(larger)).max() <= 16
    w = _tanh_arg(v)
    s = 1 / (1 + np.exp(-w))
    dw = 2 * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v)
    terms = np.maximum(s, np.abs(v * s * (1 - s) * dw))
    err = np.abs(K.gelu_grad(x, np.ones_like(x), True) - (s + v * s * (1 - s) * dw))
    # w itself is rounded to float32: e**-w carries a relative error of |w| ulps.
    assert (err / np.spacing(terms.astype(np.float32)) <= 8 + 4 * np.abs(w)).all()


@pytest.mark.parametrize("name,flags", F32, ids=lambda v: str(v))
def test_float32_bodies_equal_their_python_bodies_bit_for_bit(name, flags):
    x = np.concatenate([rng.standard_normal(300) * 4, [0.0, -0.0, 0.5, -0.9, 14.9, -40.0,
                                                      1e30, -1e30, np.inf, -np.inf, np.nan]])
    x = x.astype(np.float32)
    arrays = (x,) if "GRAD" not in name else (x, rng.standard_normal(x.size).astype(np.float32))
    body = getattr(K, name)
    compiled, python = np.empty_like(x), np.empty_like(x)
    body(compiled, *arrays, *flags)
    with np.errstate(all="ignore"):
        body.py_func(python, *arrays, *flags)
    np.testing.assert_array_equal(compiled, python)


def test_float32_special_values_follow_the_float64_kernels():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 3.0, -3.0], np.float32)
    e = K.erf(x)
    assert np.isnan(e[4]) and np.signbit(e[1]) and e[2] == 1 and e[3] == -1
    ones = np.ones_like(x)
    for approximate in (False, True):
        want = K.gelu(x.astype(np.float64), approximate)
        np.testing.assert_allclose(K.gelu(x, approximate), want, rtol=1e-6, atol=1e-7)
        want = K.gelu_grad(x.astype(np.float64), ones.astype(np.float64), approximate)
        np.testing.assert_allclose(K.gelu_grad(x, ones, approximate), want, rtol=1e-6,
                                   atol=1e-7)


def test_large_arrays_run_in_chunks_with_the_same_numbers():
    from minitf.kernels._parallel import PARALLEL_MIN
    x = (rng.standard_normal(3 * PARALLEL_MIN + 5) * 3).astype(np.float32)
    g = rng.standard_normal(x.size).astype(np.float32)
    for name, flags in F32:
        arrays = (x,) if "GRAD" not in name else (x, g)
        whole = np.empty_like(x)
        getattr(K, name)(whole, *arrays, *flags)            # one call, no chunks
        public = {"_ERF32": K.erf, "_GELU32": K.gelu, "_GELU_GRAD32": K.gelu_grad}[name]
        np.testing.assert_array_equal(public(*arrays, *flags), whole)


@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (1,), (7, 13)])
def test_float32_wrappers_keep_shape_dtype_and_half_precision(shape):
    x = (rng.standard_normal(shape) * 2).astype(np.float32)
    for dtype in (np.float32, np.float16):
        a = x.astype(dtype)
        for out, want in ((K.erf(a), erf(a.astype(np.float64))),
                          (K.gelu(a, False), _gelu_ref(a.astype(np.float64), False)),
                          (K.gelu_grad(a, a, True),
                           a * _gelu_grad_ref(a.astype(np.float64), True))):
            assert out.dtype == dtype and out.shape == shape
            tol = 1e-6 if dtype == np.float32 else 2e-3
            np.testing.assert_allclose(out, want, rtol=tol, atol=tol)
    view = (rng.standard_normal((6, 5)).astype(np.float32)).T        # not C-contiguous
    np.testing.assert_allclose(K.gelu(view, False),
                               _gelu_ref(view.astype(np.float64), False), rtol=1e-6, atol=1e-7)
