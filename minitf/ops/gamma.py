"""Gamma-family special functions and erfinv (TensorFlow's ``tf.math`` names).

lgamma' = digamma, digamma' = polygamma(1, .) and polygamma(n, .)' =
polygamma(n + 1, .), each its own op, so derivatives of every order exist.
The numba kernels are in ``kernels/special.py``.
"""
import math

from ..kernels import special
from . import _validate as check
from ._dispatch import apply
from .elementwise import exp, square

_HALF_SQRT_PI = math.sqrt(math.pi) / 2


def lgamma(x, name=None):
    """log |Gamma(x)|, elementwise (inf at 0 and the negative integers).

    >>> mtf.math.lgamma(np.array([1.0, 4.0])).numpy().round(4).tolist()
    [0.0, 1.7918]
    """
    x = check.float_tensor("lgamma", x)
    return apply("lgamma", special.lgamma, (x,), lambda g, _: (g * digamma(x),), label=name)


def digamma(x, name=None):
    """The derivative of lgamma, elementwise (NaN at 0 and the negative integers).

    >>> mtf.math.digamma(np.array([1.0])).numpy().round(4).tolist()
    [-0.5772]
    """
    x = check.float_tensor("digamma", x)
    return apply("digamma", special.digamma, (x,), lambda g, _: (g * _polygamma(1, x),),
                 label=name)


def _polygamma(n, x):
    """The n-th derivative of digamma (n >= 1, a Python int) of a float Tensor."""
    return apply(f"polygamma{n}", lambda v: special.polygamma(n, v), (x,),
                 lambda g, _: (g * _polygamma(n + 1, x),))


def erfinv(x, name=None):
    """The inverse of erf on [-1, 1], elementwise (+-inf at +-1, NaN outside).

    >>> mtf.math.erfinv(np.array([0.0, 0.5])).numpy().round(4).tolist()
    [0.0, 0.4769]
    """
    x = check.float_tensor("erfinv", x)
    y = apply("erfinv", special.erfinv, (x,),
              lambda g, _: (g * _HALF_SQRT_PI * exp(square(y)),), saves=False, label=name)
    return y
