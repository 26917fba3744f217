"""Guarded elementwise ops: log_sigmoid, xlogy and divide_no_nan.

xlogy and divide_no_nan give 0 where TensorFlow does (x == 0, y == 0) whatever
the other operand holds (NaN included); their gradient rules are TensorFlow's,
written with the guarded ops themselves, so they stay 0 there at every order.
"""
import numpy as np

from ._arith import arithmetic_pair, quiet_apply
from ._dispatch import TENSOR_TYPES, binary_op, result_dtype, unbroadcast_like
from . import _validate as check
from .comparison import not_equal
from .elementwise import cast, negative, sigmoid


def _float_pair(op, x, y):
    """Operands of a guarded binary op: TensorFlow's dtype rules, floats only."""
    x, y = arithmetic_pair(op, x, y)
    dtype = result_dtype(x, y)
    if dtype.kind != "f":
        raise TypeError(f"{op}: expected floating-point operands, got {dtype.name} "
                        f"(shapes {_shape(x)} and {_shape(y)}); cast them with "
                        f"mtf.cast(x, mtf.float32) first.")
    return x, y


def _shape(v):
    return getattr(v, "shape", ())


def _minus(v):
    """-v for an operand (a Tensor, or a Python scalar bound into the op)."""
    return negative(v) if type(v) in TENSOR_TYPES else -v


def _arrays(a, b):
    """Both operands as arrays of their common dtype (a Python scalar takes the other's)."""
    dtype = np.result_type(a, b)
    return np.asarray(a, dtype), np.asarray(b, dtype)


def _zero_where(cond, values):
    """``values`` with 0 where ``cond`` holds (a 0-d result stays an array)."""
    return np.where(cond, values.dtype.type(0), values)


def log_sigmoid(x, name=None):
    """log(sigmoid(x)) = -softplus(-x), computed without overflow.

    >>> mtf.math.log_sigmoid(np.array([0.0, 50.0])).numpy().round(4).tolist()
    [-0.6931, -0.0]
    """
    x = check.float_tensor("log_sigmoid", x)
    return quiet_apply("log_sigmoid", _log_sigmoid, (x,),
                       lambda g, _: (g * sigmoid(negative(x)),), label=name)


def _log_sigmoid(v):
    """min(v, 0) - log(1 + e ** -|v|) on a numpy value."""
    out = np.minimum(v, 0) - np.log1p(np.exp(-np.abs(v)))
    return out.astype(v.dtype, copy=False)


def xlogy(x, y, name=None):
    """x * log(y), and 0 where x == 0 (even where y is 0 or NaN), with broadcasting.

    >>> mtf.math.xlogy([0.0, 2.0], [0.0, 1.0]).numpy().tolist()
    [0.0, 0.0]
    """
    x, y = _float_pair("xlogy", x, y)

    def grad(g, needs):
        gx = gy = None
        if needs[0]:
            nonzero = cast(not_equal(x, 0.0), x.dtype)
            gx = unbroadcast_like(g * xlogy(nonzero, y), x)
        if needs[1]:
            gy = unbroadcast_like(g * _xdivy(x, y), y)
        return gx, gy
    return binary_op("xlogy", _xlogy, x, y, grad, label=name)


def _xlogy(a, b):
    a, b = _arrays(a, b)
    return _zero_where(a == 0, a * np.log(b))


def _xdivy(x, y):
    """x / y, and 0 where x == 0 (xlogy's derivative in y), with TensorFlow's rule."""
    def grad(g, needs):
        gx = gy = None
        if needs[0]:
            gx = unbroadcast_like(g * _xdivy(cast(not_equal(x, 0.0), x.dtype), y), x)
        if needs[1]:
            gy = unbroadcast_like(g * _xdivy(_minus(x), y * y), y)
        return gx, gy
    return binary_op("xdivy", _xdivy_kernel, x, y, grad)


def _xdivy_kernel(a, b):
    a, b = _arrays(a, b)
    return _zero_where(a == 0, a / b)


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y == 0 (its gradients too), with broadcasting.

    >>> mtf.math.divide_no_nan([3.0, 1.0], [2.0, 0.0]).numpy().tolist()
    [1.5, 0.0]
    """
    x, y = _float_pair("divide_no_nan", x, y)

    def grad(g, needs):
        gx = gy = None
        if needs[0]:
            gx = unbroadcast_like(divide_no_nan(g, y), x)
        if needs[1]:
            gy = unbroadcast_like(g * divide_no_nan(divide_no_nan(_minus(x), y), y), y)
        return gx, gy
    return binary_op("divide_no_nan", _divide_no_nan, x, y, grad, label=name)


def _divide_no_nan(a, b):
    a, b = _arrays(a, b)
    return _zero_where(b == 0, a / b)
