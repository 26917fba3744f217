"""Inverse trigonometric and hyperbolic functions (``tf.math`` names), each beside
its gradient rule. Outside an op's domain the value is NaN, as numpy and
TensorFlow give, and so is the gradient there.
"""
import numpy as np

from . import _validate as check
from ._arith import arithmetic_pair, quiet_apply
from ._dispatch import binary_op, result_dtype, unbroadcast_like
from .elementwise import rsqrt, square


def atan(x, name=None):
    """Arctangent, in (-pi/2, pi/2).

    >>> round(float(mtf.math.atan(1.0)), 4)
    0.7854
    """
    x = check.float_tensor("atan", x)
    return quiet_apply("atan", np.arctan, (x,), lambda g, _: (g / (1 + square(x)),),
                       label=name)


def asin(x, name=None):
    """Arcsine of x in [-1, 1]; NaN outside.

    >>> round(float(mtf.math.asin(1.0)), 5)
    1.5708
    """
    x = check.float_tensor("asin", x)
    return quiet_apply("asin", np.arcsin, (x,), lambda g, _: (g * rsqrt(1 - square(x)),),
                       label=name)


def acos(x, name=None):
    """Arccosine of x in [-1, 1]; NaN outside.

    >>> float(mtf.math.acos(1.0))
    0.0
    """
    x = check.float_tensor("acos", x)
    return quiet_apply("acos", np.arccos, (x,), lambda g, _: (-g * rsqrt(1 - square(x)),),
                       label=name)


def sinh(x, name=None):
    """Hyperbolic sine.

    >>> float(mtf.math.sinh(0.0))
    0.0
    """
    x = check.float_tensor("sinh", x)
    return quiet_apply("sinh", np.sinh, (x,), lambda g, _: (g * cosh(x),), label=name)


def cosh(x, name=None):
    """Hyperbolic cosine.

    >>> float(mtf.math.cosh(0.0))
    1.0
    """
    x = check.float_tensor("cosh", x)
    return quiet_apply("cosh", np.cosh, (x,), lambda g, _: (g * sinh(x),), label=name)


def asinh(x, name=None):
    """Inverse hyperbolic sine.

    >>> float(mtf.math.asinh(0.0))
    0.0
    """
    x = check.float_tensor("asinh", x)
    return quiet_apply("asinh", np.arcsinh, (x,), lambda g, _: (g * rsqrt(square(x) + 1),),
                       label=name)


def acosh(x, name=None):
    """Inverse hyperbolic cosine of x >= 1; NaN below.

    >>> float(mtf.math.acosh(1.0))
    0.0
    """
    x = check.float_tensor("acosh", x)
    return quiet_apply("acosh", np.arccosh, (x,),
                       lambda g, _: (g * rsqrt(square(x) - 1),), label=name)


def atanh(x, name=None):
    """Inverse hyperbolic tangent of x in (-1, 1); +-inf at +-1, NaN outside.

    >>> float(mtf.math.atanh(0.0))
    0.0
    """
    x = check.float_tensor("atanh", x)
    return quiet_apply("atanh", np.arctanh, (x,), lambda g, _: (g / (1 - square(x)),),
                       label=name)


def atan2(y, x, name=None):
    """The angle of the point (x, y), in [-pi, pi], with broadcasting (note: y first).

    >>> round(float(mtf.math.atan2(1.0, -1.0)), 4)
    2.3562
    """
    y, x = arithmetic_pair("atan2", y, x)
    dtype = result_dtype(y, x)
    if dtype.kind != "f":
        raise TypeError(f"atan2: expected floating-point tensors, got {dtype.name}; "
                        f"convert them with mtf.cast(value, mtf.float32).")

    def grad(g, needs):
        scale = g / (square(x) + square(y))
        return (unbroadcast_like(scale * x, y) if needs[0] else None,
                unbroadcast_like(-scale * y, x) if needs[1] else None)
    return binary_op("atan2", np.arctan2, y, x, grad, label=name)

