"""Elementwise activation kernels: one fused pass where numpy needs several.

Kernels take arrays of any shape and layout and return a new C-ordered array.
float16 is computed in float32 (numba has no float16 arithmetic) and cast back.

erf and gelu have two kernels: float64 calls the C library's erf/tanh/exp
(``_erf``, ``_gelu``, ``_gelu_grad``, also the references of the other two);
float32 (and float16) runs a body calling the vectorizable approximations of
``_float32`` (within a few ulp, see there) through ``_parallel.run``, which
cuts large arrays into chunks for the thread pool.
"""
import math

import numpy as np

from . import _float32 as f32m
from ._jit import kernel
from ._parallel import PARALLEL_MIN, chunked_kernel, run


@kernel
def _erf(x):
    out = np.empty(x.shape, x.dtype)
    xf, of = x.ravel(), out.reshape(-1)
    for i in range(xf.size):
        of[i] = math.erf(xf[i])
    return out


def _erf32_body(out, x):
    for i in range(x.size):
        out[i] = f32m.erf(x[i])


_ERF32 = chunked_kernel(_erf32_body)


def _tanh_grad_body(out, y, g):
    out, y, g = out.reshape(-1), y.reshape(-1), g.reshape(-1)
    for i in range(y.size):
        out[i] = g[i] * (1 - y[i] * y[i])


def _sigmoid_grad_body(out, y, g):
    out, y, g = out.reshape(-1), y.reshape(-1), g.reshape(-1)
    for i in range(y.size):
        out[i] = g[i] * y[i] * (1 - y[i])


_tanh_grad = chunked_kernel(_tanh_grad_body)
_sigmoid_grad = chunked_kernel(_sigmoid_grad_body)


def _run(fn, *arrays):
    """Call a kernel; half precision goes through float32 (results beyond float16's
    range become inf silently, as float16 arithmetic would give)."""
    if arrays[0].dtype.itemsize > 2:
        return fn(*arrays)
    dtype = arrays[0].dtype
    out = fn(*(np.asarray(a, np.float32) for a in arrays))
    with np.errstate(over="ignore"):
        return out.astype(dtype)


def _elementwise(body, y, g):
    """``body(out, y, g)`` (C-ordered arrays of one shape, flattened by the body) into
    a new array of ``g``'s dtype: float16 through float32, and large arrays in
    chunks on both cores."""
    y, g = np.asarray(y), np.asarray(g)
    wide = np.float32 if g.dtype.itemsize <= 2 else None
    if wide is not None or not (y.flags.c_contiguous and g.flags.c_contiguous):
        y, g = np.ascontiguousarray(y, wide), np.ascontiguousarray(g, wide)
    out = np.empty(g.shape, g.dtype)
    if out.size < 2 * PARALLEL_MIN:
        (body._compiled or body)(out, y, g)      # numba's dispatcher once compiled
    else:
        run(body, out.reshape(-1), y.reshape(-1), g.reshape(-1))
    if wide is None:
        return out
    with np.errstate(over="ignore"):
        return out.astype(np.float16)


def _by_precision(kernel64, body32, arrays, *flags):
    """float64: ``kernel64(*arrays, *flags)``; else the float32 ``body32`` on flat
    C-ordered float32 copies, in chunks, cast back to arrays[0]'s dtype."""
    arrays = [np.asarray(a) for a in arrays]
    like = arrays[0]
    if like.dtype == np.float64:
        return kernel64(*arrays, *flags)
    flat = [np.ascontiguousarray(a, dtype=np.float32).reshape(-1) for a in arrays]
    out = np.empty(flat[0].size, np.float32)
    run(body32, out, *flat, *flags)
    out = out.reshape(like.shape)
    if like.dtype == np.float32:
        return out
    with np.errstate(over="ignore"):
        return out.astype(like.dtype)


def erf(x):
    """The error function, elementwise."""
    return _by_precision(_erf, _ERF32, (x,))


def tanh_grad(y, g):
    """g * (1 - y**2): tanh's backward given its output y."""
    return _elementwise(_tanh_grad, y, g)


def sigmoid_grad(y, g):
    """g * y * (1 - y): sigmoid's backward given its output y."""
    return _elementwise(_sigmoid_grad, y, g)


# ------------------------------------------------------------ nn activations

def _relu_grad_body(out, y, g):
    out, y, g = out.reshape(-1), y.reshape(-1), g.reshape(-1)
    for i in range(y.size):
        out[i] = g[i] if y[i] > 0 else 0


_relu_grad = chunked_kernel(_relu_grad_body)


@kernel
def _leaky_relu(x, alpha):
    out = np.empty(x.shape, x.dtype)
    xf, of = x.ravel(), out.reshape(-1)
    for i in range(xf.size):
        of[i] = xf[i] if xf[i] > 0 else alpha * xf[i]
    return out


@kernel
def _leaky_relu_grad(x, g, alpha):
    out = np.empty(x.shape, g.dtype)
    xf, gf, of = x.ravel(), g.ravel(), out.reshape(-1)
    for i in range(xf.size):
        of[i] = gf[i] if xf[i] > 0 else alpha * gf[i]
    return out


@kernel
def _elu(x, scale, alpha):
    out = np.empty(x.shape, x.dtype)
    xf, of = x.ravel(), out.reshape(-1)
    for i in range(xf.size):
        v = xf[i]
        of[i] = scale * v if v > 0 else scale * alpha * math.expm1(v)
    return out


@kernel
def _elu_grad(y, g, scale, alpha):
    out = np.empty(y.shape, g.dtype)
    yf, gf, of = y.ravel(), g.ravel(), out.reshape(-1)
    for i in range(yf.size):
        of[i] = gf[i] * scale if yf[i] > 0 else gf[i] * (yf[i] + scale * alpha)
    return out


_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_C = math.sqrt(2 / math.pi)   # the tanh approximation: tanh(c * (x + k x**3))
_TANH_K = 0.044715
# float32 forms: 0.5 (1 + tanh(u)) = sigmoid(2u), so 2u = _W1 x + _W3 x**3 and its
# derivative is _W1 + _DW3 x**2.
_W1, _W3 = np.float32(2 * _TANH_C), np.float32(2 * _TANH_C * _TANH_K)
_DW3 = np.float32(6 * _TANH_C * _TANH_K)
_BIG = np.float32(1e4)


@kernel
def _gelu(x, approximate):
    out = np.empty(x.shape, x.dtype)
    xf, of = x.ravel(), out.reshape(-1)
    for i in range(xf.size):
        v = xf[i]
        if approximate:
            of[i] = 0.5 * v * (1 + math.tanh(_TANH_C * (v + _TANH_K * v * v * v)))
        else:
            of[i] = 0.5 * v * (1 + math.erf(v * _SQRT_HALF))
    return out


@kernel
def _gelu_grad(x, g, approximate):
    out = np.empty(x.shape, g.dtype)
    xf, gf, of = x.ravel(), g.ravel(), out.reshape(-1)
    for i in range(xf.size):
        v = xf[i]
        if approximate:
            t = math.tanh(_TANH_C * (v + _TANH_K * v * v * v))
            d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * _TANH_C * (1 + 3 * _TANH_K * v * v)
        else:
            d = 0.5 * (1 + math.erf(v * _SQRT_HALF)) + v * math.exp(-0.5 * v * v) * _INV_SQRT_2PI
        of[i] = gf[i] * d
    return out


def _gelu32_body(out, x, approximate):
    for i in range(x.size):
        v = x[i]
        if approximate:
            out[i] = v * f32m.sigmoid_pair(v * (_W1 + _W3 * v * v))[0]
        else:
            out[i] = v * f32m.normal_cdf_pdf(v)[0]


def _gelu_grad32_body(out, x, g, approximate):
    for i in range(x.size):
        v = x[i]
        if approximate:
            s, rest = f32m.sigmoid_pair(v * (_W1 + _W3 * v * v))
            c = min(abs(v), _BIG)             # s * rest is 0 long before dw overflows
            d = s + v * (s * rest) * (_W1 + _DW3 * c * c)
        else:
            cdf, pdf = f32m.normal_cdf_pdf(v)
            d = cdf + v * pdf
        out[i] = g[i] * d


_GELU32, _GELU_GRAD32 = chunked_kernel(_gelu32_body), chunked_kernel(_gelu_grad32_body)


def _scalar(value, like):
    """``value`` as a scalar of ``like``'s dtype (float32 math stays float32)."""
    return np.float32(value) if like.dtype.itemsize <= 4 else np.float64(value)


def relu_grad(y, g):
    """g where y > 0, else 0: relu's backward given its output y."""
    return _elementwise(_relu_grad, y, g)


def leaky_relu(x, alpha):
    """x where x > 0, else alpha * x."""
    x = np.asarray(x)
    return _run(lambda a: _leaky_relu(a, _scalar(alpha, a)), x)


def leaky_relu_grad(x, g, alpha):
    """g where x > 0, else alpha * g."""
    x = np.asarray(x)
    return _run(lambda a, b: _leaky_relu_grad(a, b, _scalar(alpha, a)), x, np.asarray(g))


def elu(x, scale, alpha):
    """scale * x where x > 0, else scale * alpha * (e**x - 1) (elu, selu)."""
    return _run(lambda a: _elu(a, _scalar(scale, a), _scalar(alpha, a)), np.asarray(x))


def elu_grad(y, g, scale, alpha):
    """The elu/selu backward given the output y: g * scale or g * (y + scale * alpha)."""
    return _run(lambda a, b: _elu_grad(a, b, _scalar(scale, a), _scalar(alpha, a)),
                np.asarray(y), np.asarray(g))


def gelu(x, approximate):
    """x * Phi(x) (erf form), or its tanh approximation."""
    return _by_precision(_gelu, _GELU32, (x,), bool(approximate))


def gelu_grad(x, g, approximate):
    """g * d gelu(x) / dx."""
    return _by_precision(_gelu_grad, _GELU_GRAD32, (x, g), bool(approximate))
