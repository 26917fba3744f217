"""LayerNorm kernels: compiled vs py_func vs the numpy references in float64, odd row
lengths, several normalized axes, half precision and empty inputs."""
import numpy as np
import pytest

from minitf.kernels import layer_norm as K

rng = np.random.default_rng(5)


def _case(rows, n, dtype):
    x = (rng.standard_normal((rows, n)) * 3 + 2).astype(dtype)
    gamma = rng.standard_normal(n).astype(dtype)
    beta = rng.standard_normal(n).astype(dtype)
    g = rng.standard_normal((rows, n)).astype(dtype)
    return x, gamma, beta, g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_match_py_func(dtype):
    x, gamma, beta, g = _case(5, 19, dtype)
    compiled = K._forward(x, gamma, beta, 1e-5)
    python = K._forward.py_func(x, gamma, beta, 1e-5)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    for c, p in zip(compiled, python):
        np.testing.assert_allclose(c, p, rtol=tol, atol=tol)
    _, mean, rstd = compiled
    for params in (True, False):
        compiled = K._backward(x, gamma, g, mean, rstd, params)
        python = K._backward.py_func(x, gamma, g, mean, rstd, params)
        assert compiled[0].dtype == dtype
        for c, p in zip(compiled, python):
            np.testing.assert_allclose(c, p, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 128, 301])
def test_against_float64_references(dtype, n):
    x, gamma, beta, g = _case(6, n, dtype)
    y, mean, rstd = K.forward(x, gamma, beta, n, 1e-3)
    ref = [v.astype(np.float64) for v in (x, gamma, beta, g)]
    y_ref, mean_ref, rstd_ref = K.forward_reference(ref[0], ref[1], ref[2], 1e-3)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    assert y.dtype == dtype and mean.dtype == rstd.dtype == np.float64
    np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol * np.abs(y_ref).max())
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rstd, rstd_ref, rtol=tol)
    dx, dgamma, dbeta = K.backward(x, gamma, g, mean, rstd, n)
    for got, want in zip((dx, dgamma, dbeta),
                         K.backward_reference(ref[0], ref[1], ref[3], mean_ref, rstd_ref)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())
    dx_only, none, nothing = K.backward(x, gamma, g, mean, rstd, n, params=False)
    np.testing.assert_array_equal(dx_only, dx)
    assert none is None and nothing is None


def test_wrappers_flatten_trailing_axes_and_default_the_parameters():
    x = rng.standard_normal((2, 3, 4, 5))
    y, mean, rstd = K.forward(x, None, None, 20, 1e-5)
    assert y.shape == x.shape and mean.shape == rstd.shape == (6,)
    flat = x.reshape(6, 20)
    want, _, _ = K.forward_reference(flat, np.ones(20), np.zeros(20), 1e-5)
    np.testing.assert_allclose(y.reshape(6, 20), want, rtol=1e-12, atol=1e-12)
    view = x.transpose(1, 0, 2, 3)                              # not C-contiguous
    y_view, _, _ = K.forward(view, None, None, 20, 1e-5)
    want, _, _ = K.forward_reference(np.ascontiguousarray(view).reshape(6, 20), 1.0, 0.0, 1e-5)
    np.testing.assert_allclose(y_view.reshape(6, 20), want, rtol=1e-12, atol=1e-12)


def test_half_precision_computes_in_float32():
    x, gamma, beta, g = _case(4, 9, np.float16)
    y, mean, rstd = K.forward(x, gamma, beta, 9, 1e-5)
    want, _, _ = K.forward(x.astype(np.float32), gamma.astype(np.float32),
                           beta.astype(np.float32), 9, 1e-5)
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y, want.astype(np.float16))
    dx, dgamma, dbeta = K.backward(x, gamma, g, mean, rstd, 9)
    assert dx.dtype == dgamma.dtype == dbeta.dtype == np.float16


@pytest.mark.parametrize("shape", [(0, 4), (3, 0), (0, 0)])
def test_empty_inputs(shape):
    x = np.zeros(shape, np.float32)
    n = shape[-1]
    y, mean, rstd = K.forward(x, None, None, n, 1e-5)
    assert y.shape == shape and y.dtype == np.float32
    dx, dgamma, dbeta = K.backward(x, None, x, mean, rstd, n)
    assert dx.shape == shape and dgamma.shape == dbeta.shape == (n,)
    np.testing.assert_array_equal(dgamma, 0)


def test_constant_rows_give_zero_not_nan():
    x = np.full((2, 8), 3.0, np.float32)
    y, mean, rstd = K.forward(x, None, None, 8, 1e-5)
    np.testing.assert_array_equal(y, 0)
    dx, _, _ = K.backward(x, None, np.ones_like(x), mean, rstd, 8)
    np.testing.assert_allclose(dx, 0, atol=1e-6)
