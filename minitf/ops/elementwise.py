"""Differentiable elementwise ops: each forward sits beside its gradient rule.

Binary ops broadcast as numpy does; their rules call ``unbroadcast`` so each
gradient has its input's shape. Ops marked "no gradient" never record.
"""
import math

import numpy as np

from ..kernels import activations
from . import _quiet, _validate as check
from ._arith import arithmetic_pair, numeric, picks_x, short
from ._dispatch import (as_tensor, binary_op, emit, int_overflow, result_dtype, shape_of,
                        unbroadcast_like, value_of, wrap)
from ._quiet import quietly


# ---------------------------------------------------------------- arithmetic

def add(x, y, name=None):
    """x + y with broadcasting."""
    x, y = arithmetic_pair("add", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g, x) if needs[0] else None,
                unbroadcast_like(g, y) if needs[1] else None)
    return binary_op("add", np.add, x, y, grad, saves=False)


def subtract(x, y, name=None):
    """x - y with broadcasting."""
    x, y = arithmetic_pair("subtract", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g, x) if needs[0] else None,
                unbroadcast_like(-g, y) if needs[1] else None)
    return binary_op("subtract", np.subtract, x, y, grad, saves=False)


def multiply(x, y, name=None):
    """x * y with broadcasting."""
    x, y = arithmetic_pair("multiply", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g * y, x) if needs[0] else None,
                unbroadcast_like(g * x, y) if needs[1] else None)
    return binary_op("multiply", np.multiply, x, y, grad)


def divide(x, y, name=None):
    """x / y with broadcasting (integers give float64, as TensorFlow's truediv)."""
    x, y = arithmetic_pair("divide", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g / y, x) if needs[0] else None,
                unbroadcast_like(-g * out / y, y) if needs[1] else None)
    out = binary_op("divide", np.true_divide, x, y, grad)
    return out


def pow(x, y, name=None):
    """x ** y with broadcasting; d/dy uses log(x) where x > 0 and 0 elsewhere.

    Integers to negative powers raise ValueError (TensorFlow and numpy refuse them).
    """
    x, y = arithmetic_pair("pow", x, y)
    dtype = result_dtype(x, y)
    if dtype.kind in "iu" and np.any(np.less(value_of(y), 0)):
        raise ValueError(f"pow: integers to negative integer powers are not allowed; "
                         f"cast x to a float dtype first. Received: y={short(y)}")
    try:
        x, y = as_tensor(x, dtype), as_tensor(y, dtype)
    except OverflowError:
        raise int_overflow("pow", x, y) from None

    def grad(g, needs):
        gx = gy = None
        if needs[0]:
            gx = unbroadcast_like(g * y * x ** (y - 1), x)
        if needs[1]:
            positive = as_tensor(value_of(x)) > 0
            safe_log = log(where(positive, x, 1.0))
            gy = unbroadcast_like(g * out * where(positive, safe_log, 0.0), y)
        return gx, gy
    out = binary_op("pow", np.power, x, y, grad)
    return out


def negative(x, name=None):
    """-x."""
    x = numeric("negative", x)
    return emit("negative", np.negative(x._value), (x,), lambda g, _: (-g,), saves=False)


def abs(x, name=None):
    """|x|; the gradient at 0 is 0."""
    x = numeric("abs", x)
    return emit("abs", np.abs(x._value), (x,), lambda g, _: (g * sign(x),))


def sign(x, name=None):
    """-1, 0 or 1 by the sign of x; NaN stays NaN (no gradient)."""
    return wrap(np.sign(numeric("sign", x)._value))


def square(x, name=None):
    """x * x."""
    x = numeric("square", x)
    return emit("square", quietly(np.square, x._value), (x,), lambda g, _: (g * 2 * x,))


def squared_difference(x, y, name=None):
    """(x - y) ** 2 with broadcasting."""
    x, y = arithmetic_pair("squared_difference", x, y)

    def grad(g, needs):
        d = g * 2 * (x - y)
        return (unbroadcast_like(d, x) if needs[0] else None,
                unbroadcast_like(-d, y) if needs[1] else None)
    return binary_op("squared_difference", _squared_difference, x, y, grad)


def _squared_difference(a, b):
    """(a - b) ** 2 on numpy values."""
    return np.square(np.subtract(a, b))


def reciprocal(x, name=None):
    """1 / x."""
    x = check.float_tensor("reciprocal", x)
    y = emit("reciprocal", quietly(np.reciprocal, x._value), (x,),
             lambda g, _: (-g * y * y,), saves=False)
    return y


def maximum(x, y, name=None):
    """Elementwise max; NaN wins. The gradient goes where the value came from:
    to x on ties and where x is NaN, to y where only y is NaN."""
    x, y = arithmetic_pair("maximum", x, y)

    def grad(g, needs):
        pick_x = picks_x(np.greater_equal, x, y)
        return (unbroadcast_like(where(pick_x, g, 0.0), x) if needs[0] else None,
                unbroadcast_like(where(pick_x, 0.0, g), y) if needs[1] else None)
    return binary_op("maximum", np.maximum, x, y, grad)


def minimum(x, y, name=None):
    """Elementwise min; NaN wins. The gradient goes where the value came from:
    to x on ties and where x is NaN, to y where only y is NaN."""
    x, y = arithmetic_pair("minimum", x, y)

    def grad(g, needs):
        pick_x = picks_x(np.less_equal, x, y)
        return (unbroadcast_like(where(pick_x, g, 0.0), x) if needs[0] else None,
                unbroadcast_like(where(pick_x, 0.0, g), y) if needs[1] else None)
    return binary_op("minimum", np.minimum, x, y, grad)


# ------------------------------------------------------- exponentials, roots

def exp(x, name=None):
    """e ** x."""
    x = check.float_tensor("exp", x)
    y = emit("exp", quietly(np.exp, x._value), (x,), lambda g, _: (g * y,), saves=False)
    return y


def expm1(x, name=None):
    """e ** x - 1, accurate near 0."""
    x = check.float_tensor("expm1", x)
    y = emit("expm1", quietly(np.expm1, x._value), (x,), lambda g, _: (g * (y + 1),),
             saves=False)
    return y


def log(x, name=None):
    """Natural logarithm."""
    x = check.float_tensor("log", x)
    return emit("log", quietly(np.log, x._value), (x,), lambda g, _: (g / x,))


def log1p(x, name=None):
    """log(1 + x), accurate near 0."""
    x = check.float_tensor("log1p", x)
    return emit("log1p", quietly(np.log1p, x._value), (x,), lambda g, _: (g / (x + 1),))


def sqrt(x, name=None):
    """Square root."""
    x = check.float_tensor("sqrt", x)
    y = emit("sqrt", quietly(np.sqrt, x._value), (x,), lambda g, _: (g * 0.5 / y,),
             saves=False)
    return y


def rsqrt(x, name=None):
    """1 / sqrt(x)."""
    x = check.float_tensor("rsqrt", x)
    y = emit("rsqrt", quietly(_rsqrt, x._value), (x,),
             lambda g, _: (g * -0.5 * y * y * y,), saves=False)
    return y


def _rsqrt(v):
    """1 / sqrt(v) on a numpy value."""
    return np.reciprocal(np.sqrt(v))


# ------------------------------------------------- trigonometric, activations

def sin(x, name=None):
    """Sine."""
    x = check.float_tensor("sin", x)
    return emit("sin", quietly(np.sin, x._value), (x,), lambda g, _: (g * cos(x),))


def cos(x, name=None):
    """Cosine."""
    x = check.float_tensor("cos", x)
    return emit("cos", quietly(np.cos, x._value), (x,), lambda g, _: (-g * sin(x),))


def tan(x, name=None):
    """Tangent."""
    x = check.float_tensor("tan", x)
    y = emit("tan", quietly(np.tan, x._value), (x,), lambda g, _: (g * (1 + y * y),),
             saves=False)
    return y


def tanh(x, name=None):
    """Hyperbolic tangent (numpy's tanh cannot warn: no errstate needed)."""
    x = check.float_tensor("tanh", x)
    y = emit("tanh", np.tanh(x._value), (x,), lambda g, _: (_tanh_grad(y, g),),
             saves=False)
    return y


def _tanh_grad(y, g):
    """g * (1 - y**2): tanh's backward as one op (itself differentiable)."""

    def grad(h, needs):
        return (h * g * -2 * y if needs[0] else None,
                _tanh_grad(y, h) if needs[1] else None)
    return emit("tanh_grad", activations.tanh_grad(y._value, g._value), (y, g), grad)


def sigmoid(x, name=None):
    """1 / (1 + e ** -x), computed without overflow (so without warnings)."""
    x = check.float_tensor("sigmoid", x)
    y = emit("sigmoid", _stable_sigmoid(x._value), (x,),
             lambda g, _: (_sigmoid_grad(y, g),), saves=False)
    return y


def _sigmoid_grad(y, g):
    """g * y * (1 - y): sigmoid's backward as one op (itself differentiable)."""

    def grad(h, needs):
        return (h * g * (1 - 2 * y) if needs[0] else None,
                _sigmoid_grad(y, h) if needs[1] else None)
    return emit("sigmoid_grad", activations.sigmoid_grad(y._value, g._value), (y, g),
                grad)


def _stable_sigmoid(v):
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e)).astype(v.dtype, copy=False)


def softplus(x, name=None):
    """log(1 + e ** x), computed without overflow (so without warnings)."""
    x = check.float_tensor("softplus", x)
    v = x._value
    value = (np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))).astype(v.dtype, copy=False)
    return emit("softplus", value, (x,), lambda g, _: (g * sigmoid(x),))


def erf(x, name=None):
    """The Gauss error function (a numba kernel; numpy has none)."""
    x = check.float_tensor("erf", x)
    scale = 2 / math.sqrt(math.pi)
    return emit("erf", activations.erf(x._value), (x,),
                lambda g, _: (g * scale * exp(-x * x),))


# ----------------------------------------------------- selection and casting

def where(condition, x=None, y=None, name=None):
    """Pick ``x`` where ``condition`` holds, else ``y`` (broadcasting).

    With only ``condition``, the int64 coordinates of its true elements.
    """
    cond = check.tensor("where", condition, "condition")
    if cond.dtype.kind != "b":
        raise TypeError(f"where: condition must be bool, got {cond.dtype}. "
                        f"{check.received('condition', condition)}")
    if x is None and y is None:
        return wrap(np.argwhere(cond._value).astype(np.int64))
    if x is None or y is None:
        raise ValueError(f"where: give both x and y, or neither. Received: "
                         f"x={'None' if x is None else 'a value'}, "
                         f"y={'None' if y is None else 'a value'}")
    x, y = check.pair("where", x, y)

    def grad(g, needs):
        return (None,
                unbroadcast_like(where(cond, g, 0.0), x) if needs[1] else None,
                unbroadcast_like(where(cond, 0.0, g), y) if needs[2] else None)
    try:
        value = quietly(np.where, cond._value, value_of(x), value_of(y))
    except ValueError:
        raise ValueError(f"where: shapes {cond.shape}, {shape_of(x)} and {shape_of(y)} "
                         f"cannot be broadcast together.") from None
    except OverflowError:
        raise int_overflow("where", x, y) from None
    if value.dtype != result_dtype(x, y):
        value = quietly(value.astype, result_dtype(x, y))
    return emit("where", value, (cond, x, y), grad, saves=False)


def cast(x, dtype, name=None):
    """``x`` converted to ``dtype``; gradients pass between float dtypes only.

    Values out of the new dtype's range become inf (floats) or wrap (integers),
    silently, as in TensorFlow.
    """
    x = check.tensor("cast", x)
    dtype = check.dtype("cast", dtype)
    if x.dtype == dtype:
        return x
    source = x.dtype

    def grad(g, _):
        return (cast(g, source) if source.kind == "f" else None,)
    return emit("cast", quietly(x._value.astype, dtype), (x,), grad, saves=False)


@_quiet.quiet
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``t`` limited to [min, max] (NaN stays NaN); the gradient flows where t is not
    outside, NaN included (TensorFlow). The bounds follow the dtype rules of ``add``."""
    op = "clip_by_value"
    for what, bound in (("clip_value_min", clip_value_min),
                        ("clip_value_max", clip_value_max)):
        if bound is None or isinstance(bound, (str, bytes)):
            raise TypeError(f"{op}: {what} must be a number or a tensor. "
                            f"{check.received(what, bound)}")
    t = check.tensor(op, t, "t")
    lo = value_of(check.pair(op, t, clip_value_min)[1])
    hi = value_of(check.pair(op, t, clip_value_max)[1])
    try:
        value = np.clip(t._value, lo, hi).astype(t.dtype, copy=False)
    except ValueError:
        raise ValueError(f"{op}: bounds of shapes {np.shape(lo)} and "
                         f"{np.shape(hi)} do not broadcast to {t.shape}.") from None
    except OverflowError:
        raise int_overflow(op, t, lo if type(lo) is int else hi) from None
    if value.shape != t.shape:
        raise ValueError(f"{op}: bounds of shapes {np.shape(lo)} and {np.shape(hi)} "
                         f"would change the shape {t.shape} of t to {value.shape}.")
    inside = wrap(~((t._value < lo) | (t._value > hi)))
    return emit(op, value, (t,), lambda g, _: (where(inside, g, 0.0),), saves=False)


def identity(input, name=None):
    """A copy of ``input`` (reading a Variable snapshots its value)."""
    x = check.tensor("identity", input, "input")
    return emit("identity", np.array(x._value, copy=True), (x,), lambda g, _: (g,),
                saves=False)


def stop_gradient(input, name=None):
    """``input`` as a constant: no gradient flows through it."""
    return wrap(np.array(check.tensor("stop_gradient", input, "input")._value, copy=True))
