"""Activation kernels: compiled vs plain Python (py_func) vs numpy formulas."""
import math
import warnings

import numpy as np
import pytest

from minitf.kernels import activations as K

rng = np.random.default_rng(1)
erf = np.vectorize(math.erf)
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
def test_kernels_match_py_func_and_numpy(dtype):
    x = rng.standard_normal((5, 7)).astype(dtype)
    g = rng.standard_normal((5, 7)).astype(dtype)
    a, s, al = dtype(0.3), dtype(1.5), dtype(0.7)
    cases = {
        "_relu_grad": ((x, g), np.where(x > 0, g, 0)),
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
