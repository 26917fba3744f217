"""Direct JVP rules of the hottest ops, keyed by op name (the rest use the generic
rule of ``minitf._forward``). ``rule(inputs, out, dots)`` returns the tangent of
``out`` from the inputs' tangents (``None`` for a zero one), written with minitf
ops so that outer tapes and accumulators differentiate it. Only ops whose
meaning follows from their inputs alone (no axes, no flags) can have one.
"""
from ..ops import elementwise
from ..ops.shape import broadcast_to


def _shaped(t, out):
    """``t`` broadcast to the shape of ``out`` (an operand may have broadcast)."""
    return t if t.shape == out.shape else broadcast_to(t, out.shape)


def _plus(a, b):
    """``a + b`` where None is zero."""
    if a is None:
        return b
    return a if b is None else a + b


def _add(inputs, out, dots):
    return _shaped(_plus(dots[0], dots[1]), out)


def _subtract(inputs, out, dots):
    a, b = dots
    return _shaped(-b if a is None else a if b is None else a - b, out)


def _multiply(inputs, out, dots):
    (x, y), (a, b) = inputs, dots
    return _shaped(_plus(None if a is None else a * y, None if b is None else x * b), out)


def _negative(inputs, out, dots):
    return -dots[0]


def _identity(inputs, out, dots):
    return elementwise.identity(dots[0])


def _square(inputs, out, dots):
    return dots[0] * inputs[0] * 2.0


def _tanh(inputs, out, dots):
    return elementwise._tanh_grad(out, dots[0])


def _tanh_grad(inputs, out, dots):
    """tanh_grad(y, g) = g * (1 - y**2)."""
    (y, g), (dy, dg) = inputs, dots
    return _plus(None if dy is None else dy * g * y * -2.0,
                 None if dg is None else elementwise._tanh_grad(y, dg))


RULES = {"add": _add, "subtract": _subtract, "multiply": _multiply, "negative": _negative,
         "identity": _identity, "square": _square, "tanh": _tanh, "tanh_grad": _tanh_grad}
