"""Differentiable elementwise ops: each forward sits beside its gradient rule.

Binary ops broadcast as numpy does; their rules call ``unbroadcast`` so each
gradient has its input's shape. Ops marked "no gradient" never record.
"""
import math

import numpy as np

from ..kernels import activations
from . import _quiet, _validate as check
from .._context import ctx
from ._arith import (arithmetic_pair, broadcasts, fixed, numeric, picks_x, quiet_apply,
                     short)
from ._batching import BROADCAST, EXPANDED
from ._dispatch import (apply, as_tensor, binary_op, int_overflow, result_dtype, shape_of,
                        unbroadcast_like, value_of)


# ---------------------------------------------------------------- arithmetic

def add(x, y, name=None):
    """x + y with broadcasting."""
    x, y = arithmetic_pair("add", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g, x) if needs[0] else None,
                unbroadcast_like(g, y) if needs[1] else None)
    return binary_op("add", np.add, x, y, grad, saves=False, label=name)


def subtract(x, y, name=None):
    """x - y with broadcasting."""
    x, y = arithmetic_pair("subtract", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g, x) if needs[0] else None,
                unbroadcast_like(-g, y) if needs[1] else None)
    return binary_op("subtract", np.subtract, x, y, grad, saves=False, label=name)


def multiply(x, y, name=None):
    """x * y with broadcasting."""
    x, y = arithmetic_pair("multiply", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g * y, x) if needs[0] else None,
                unbroadcast_like(g * x, y) if needs[1] else None)
    return binary_op("multiply", np.multiply, x, y, grad, label=name)


def divide(x, y, name=None):
    """x / y with broadcasting (integers give float64, as TensorFlow's truediv)."""
    x, y = arithmetic_pair("divide", x, y)

    def grad(g, needs):
        return (unbroadcast_like(g / y, x) if needs[0] else None,
                unbroadcast_like(-g * out / y, y) if needs[1] else None)
    out = binary_op("divide", np.true_divide, x, y, grad, label=name)
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
            positive = x > 0
            safe_log = log(where(positive, x, 1.0))
            gy = unbroadcast_like(g * out * where(positive, safe_log, 0.0), y)
        return gx, gy
    out = binary_op("pow", np.power, x, y, grad, label=name)
    return out


def negative(x, name=None):
    """-x."""
    x = numeric("negative", x)
    return apply("negative", np.negative, (x,), lambda g, _: (-g,), saves=False, label=name,
                 batch=BROADCAST)


def abs(x, name=None):
    """|x|; the gradient at 0 is 0."""
    x = numeric("abs", x)
    return apply("abs", np.abs, (x,), lambda g, _: (g * sign(x),), label=name, batch=BROADCAST)


def sign(x, name=None):
    """-1, 0 or 1 by the sign of x; NaN stays NaN (no gradient)."""
    return apply("sign", np.sign, (numeric("sign", x),), label=name, batch=BROADCAST)


def square(x, name=None):
    """x * x."""
    x = numeric("square", x)
    return quiet_apply("square", np.square, (x,), lambda g, _: (g * 2 * x,), label=name,
                       batch=BROADCAST)


def squared_difference(x, y, name=None):
    """(x - y) ** 2 with broadcasting."""
    x, y = arithmetic_pair("squared_difference", x, y)

    def grad(g, needs):
        d = g * 2 * (x - y)
        return (unbroadcast_like(d, x) if needs[0] else None,
                unbroadcast_like(-d, y) if needs[1] else None)
    return binary_op("squared_difference", _squared_difference, x, y, grad, label=name)


def _squared_difference(a, b):
    """(a - b) ** 2 on numpy values."""
    return np.square(np.subtract(a, b))


def reciprocal(x, name=None):
    """1 / x."""
    x = check.float_tensor("reciprocal", x)
    y = quiet_apply("reciprocal", np.reciprocal, (x,), lambda g, _: (-g * y * y,),
                    saves=False, label=name, batch=BROADCAST)
    return y


def maximum(x, y, name=None):
    """Elementwise max; NaN wins. The gradient goes where the value came from:
    to x on ties and where x is NaN, to y where only y is NaN."""
    x, y = arithmetic_pair("maximum", x, y)

    def grad(g, needs):
        pick_x = picks_x(np.greater_equal, x, y)
        return (unbroadcast_like(where(pick_x, g, 0.0), x) if needs[0] else None,
                unbroadcast_like(where(pick_x, 0.0, g), y) if needs[1] else None)
    return binary_op("maximum", np.maximum, x, y, grad, label=name)


def minimum(x, y, name=None):
    """Elementwise min; NaN wins. The gradient goes where the value came from:
    to x on ties and where x is NaN, to y where only y is NaN."""
    x, y = arithmetic_pair("minimum", x, y)

    def grad(g, needs):
        pick_x = picks_x(np.less_equal, x, y)
        return (unbroadcast_like(where(pick_x, g, 0.0), x) if needs[0] else None,
                unbroadcast_like(where(pick_x, 0.0, g), y) if needs[1] else None)
    return binary_op("minimum", np.minimum, x, y, grad, label=name)


# ------------------------------------------------------- exponentials, roots

def exp(x, name=None):
    """e ** x."""
    x = check.float_tensor("exp", x)
    y = quiet_apply("exp", np.exp, (x,), lambda g, _: (g * y,), saves=False, label=name,
                    batch=BROADCAST)
    return y


def expm1(x, name=None):
    """e ** x - 1, accurate near 0."""
    x = check.float_tensor("expm1", x)
    y = quiet_apply("expm1", np.expm1, (x,), lambda g, _: (g * (y + 1),), saves=False,
                    label=name, batch=BROADCAST)
    return y


def log(x, name=None):
    """Natural logarithm."""
    x = check.float_tensor("log", x)
    return quiet_apply("log", np.log, (x,), lambda g, _: (g / x,), label=name, batch=BROADCAST)


def log1p(x, name=None):
    """log(1 + x), accurate near 0."""
    x = check.float_tensor("log1p", x)
    return quiet_apply("log1p", np.log1p, (x,), lambda g, _: (g / (x + 1),), label=name,
                       batch=BROADCAST)


def sqrt(x, name=None):
    """Square root."""
    x = check.float_tensor("sqrt", x)
    y = quiet_apply("sqrt", np.sqrt, (x,), lambda g, _: (g * 0.5 / y,), saves=False,
                    label=name, batch=BROADCAST)
    return y


def rsqrt(x, name=None):
    """1 / sqrt(x)."""
    x = check.float_tensor("rsqrt", x)
    y = quiet_apply("rsqrt", _rsqrt, (x,), lambda g, _: (g * -0.5 * y * y * y,),
                    saves=False, label=name, batch=BROADCAST)
    return y


def _rsqrt(v):
    """1 / sqrt(v) on a numpy value."""
    return np.reciprocal(np.sqrt(v))


# ------------------------------------------------- trigonometric, activations

def sin(x, name=None):
    """Sine."""
    x = check.float_tensor("sin", x)
    return quiet_apply("sin", np.sin, (x,), lambda g, _: (g * cos(x),), label=name, batch=BROADCAST)


def cos(x, name=None):
    """Cosine."""
    x = check.float_tensor("cos", x)
    return quiet_apply("cos", np.cos, (x,), lambda g, _: (-g * sin(x),), label=name,
                       batch=BROADCAST)


def tan(x, name=None):
    """Tangent."""
    x = check.float_tensor("tan", x)
    y = quiet_apply("tan", np.tan, (x,), lambda g, _: (g * (1 + y * y),), saves=False,
                    label=name, batch=BROADCAST)
    return y


def tanh(x, name=None):
    """Hyperbolic tangent (numpy's tanh cannot warn: no errstate needed)."""
    x = check.float_tensor("tanh", x)
    y = apply("tanh", np.tanh, (x,), lambda g, _: (_tanh_grad(y, g),), saves=False,
              label=name, batch=BROADCAST)
    return y


def _tanh_grad(y, g):
    """g * (1 - y**2): tanh's backward as one op (itself differentiable)."""

    def grad(h, needs):
        return (h * g * -2 * y if needs[0] else None,
                _tanh_grad(y, h) if needs[1] else None)
    return apply("tanh_grad", activations.tanh_grad, (y, g), grad, batch=EXPANDED)


def sigmoid(x, name=None):
    """1 / (1 + e ** -x), computed without overflow (so without warnings)."""
    x = check.float_tensor("sigmoid", x)
    y = apply("sigmoid", _stable_sigmoid, (x,), lambda g, _: (_sigmoid_grad(y, g),),
              saves=False, label=name, batch=BROADCAST)
    return y


def _sigmoid_grad(y, g):
    """g * y * (1 - y): sigmoid's backward as one op (itself differentiable)."""

    def grad(h, needs):
        return (h * g * (1 - 2 * y) if needs[0] else None,
                _sigmoid_grad(y, h) if needs[1] else None)
    return apply("sigmoid_grad", activations.sigmoid_grad, (y, g), grad, batch=EXPANDED)


def _stable_sigmoid(v):
    """1 / (1 + e ** -v) on a numpy value, without overflow."""
    e = np.exp(-np.abs(v))
    return np.where(v >= 0, 1 / (1 + e), e / (1 + e)).astype(v.dtype, copy=False)


def softplus(x, name=None):
    """log(1 + e ** x), computed without overflow (so without warnings)."""
    x = check.float_tensor("softplus", x)
    return apply("softplus", _stable_softplus, (x,), lambda g, _: (g * sigmoid(x),),
                 label=name, batch=BROADCAST)


def _stable_softplus(v):
    """log(1 + e ** v) on a numpy value, without overflow."""
    return (np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))).astype(v.dtype, copy=False)


def erf(x, name=None):
    """The Gauss error function (a numba kernel; numpy has none)."""
    x = check.float_tensor("erf", x)
    scale = 2 / math.sqrt(math.pi)
    return apply("erf", activations.erf, (x,), lambda g, _: (g * scale * exp(-x * x),),
                 label=name, batch=BROADCAST)


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
        return apply("where", _true_coordinates, (cond,), label=name, value_shaped=True)
    if x is None or y is None:
        raise ValueError(f"where: give both x and y, or neither. Received: "
                         f"x={'None' if x is None else 'a value'}, "
                         f"y={'None' if y is None else 'a value'}")
    x, y = check.pair("where", x, y)
    dtype = result_dtype(x, y)

    def select(c, a, b):
        value = np.where(c, a, b)
        return value if value.dtype == dtype else value.astype(dtype)

    def grad(g, needs):
        return (None,
                unbroadcast_like(where(cond, g, 0.0), x) if needs[1] else None,
                unbroadcast_like(where(cond, 0.0, g), y) if needs[2] else None)
    try:
        return quiet_apply("where", select, (cond, fixed(x), fixed(y)), grad, saves=False,
                           label=name, batch=BROADCAST)
    except ValueError:
        if broadcasts(cond.shape, shape_of(x), shape_of(y)):
            raise
        raise ValueError(f"where: shapes {cond.shape}, {shape_of(x)} and {shape_of(y)} "
                         f"cannot be broadcast together.") from None
    except OverflowError:
        raise int_overflow("where", x, y) from None


def _true_coordinates(c):
    """The int64 coordinates of the true elements of ``c`` (one row each)."""
    return np.argwhere(c).astype(np.int64)


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
    return quiet_apply("cast", lambda v: v.astype(dtype), (x,), grad, saves=False,
                       label=name, batch=BROADCAST)


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
    lo = check.pair(op, t, clip_value_min)[1]
    hi = check.pair(op, t, clip_value_max)[1]
    bounds = (t, fixed(lo), fixed(hi))
    try:
        out = apply(op, _clip, bounds, lambda g, _: (where(inside, g, 0.0),), inputs=(t,),
                    saves=False, label=name, batch=BROADCAST)
    except ValueError:
        if broadcasts(t.shape, shape_of(lo), shape_of(hi)):
            raise
        raise ValueError(f"{op}: bounds of shapes {shape_of(lo)} and "
                         f"{shape_of(hi)} do not broadcast to {t.shape}.") from None
    except OverflowError:
        raise int_overflow(op, t, lo if type(lo) is int else hi) from None
    if out.shape != t.shape:
        raise ValueError(f"{op}: bounds of shapes {shape_of(lo)} and {shape_of(hi)} "
                         f"would change the shape {t.shape} of t to {out.shape}.")
    inside = apply("clip_by_value_mask", _inside, bounds, batch=BROADCAST) if ctx.tapes else None
    return out


def _clip(v, lo, hi):
    """``v`` limited to [lo, hi], in ``v``'s dtype."""
    return np.clip(v, lo, hi).astype(v.dtype, copy=False)


def _inside(v, lo, hi):
    """Where ``v`` is not outside [lo, hi] (NaN counts as inside)."""
    return ~((v < lo) | (v > hi))


def identity(input, name=None):
    """A copy of ``input`` (reading a Variable snapshots its value)."""
    x = check.tensor("identity", input, "input")
    return apply("identity", _copy, (x,), lambda g, _: (g,), saves=False, label=name,
                 batch=BROADCAST)


def stop_gradient(input, name=None):
    """``input`` as a constant: no gradient flows through it."""
    return apply("stop_gradient", _copy, (check.tensor("stop_gradient", input, "input"),),
                 label=name, batch=BROADCAST)


def _copy(v):
    return np.array(v, copy=True)
