"""Rounding, comparison and logical ops: elementwise, with no gradient.

They record nothing on any tape (``apply`` without a gradient).
"""
import numpy as np

from . import _quiet, _validate as check
from ._dispatch import TENSOR_TYPES, apply, int_overflow, shape_of, wrap_constant
from ._arith import arithmetic_pair, bind_scalars, broadcasts


def floor(x, name=None):
    """Largest integer <= x (no gradient)."""
    return apply("floor", np.floor, (check.float_tensor("floor", x),), label=name)


def ceil(x, name=None):
    """Smallest integer >= x (no gradient)."""
    return apply("ceil", np.ceil, (check.float_tensor("ceil", x),), label=name)


def round(x, name=None):
    """Round half to even, as TensorFlow (no gradient)."""
    return apply("round", np.round, (check.float_tensor("round", x),), label=name)


def floordiv(x, y, name=None):
    """floor(x / y) (no gradient); integer division by zero raises ZeroDivisionError
    (TensorFlow), float division by zero gives inf or NaN."""
    x, y = arithmetic_pair("floordiv", x, y)
    return _compare("floordiv", _division("floordiv", np.floor_divide, x, y), x, y, name)


def mod(x, y, name=None):
    """Remainder with the sign of y, as Python's % (no gradient); an integer y of 0
    raises ZeroDivisionError (TensorFlow), a float one gives NaN."""
    x, y = arithmetic_pair("mod", x, y)
    return _compare("mod", _division("mod", np.mod, x, y), x, y, name)


def _division(op, ufunc, x, y):
    """``ufunc`` for floordiv/mod; for integers, preceded by the check that the
    divisor holds no 0 (made on every call, replays included)."""
    if (x if type(x) in TENSOR_TYPES else y)._value.dtype.kind not in "iu":
        return ufunc

    def checked(a, b):
        if not np.all(b):
            shown = wrap_constant(b) if isinstance(b, np.ndarray) else b
            raise ZeroDivisionError(f"{op}: integer division by zero (y holds a 0). "
                                    f"{check.received('y', shown)}")
        return ufunc(a, b)
    return checked


def equal(x, y, name=None):
    """x == y elementwise (no gradient)."""
    return _compare("equal", np.equal, x, y, name)


def not_equal(x, y, name=None):
    """x != y elementwise (no gradient)."""
    return _compare("not_equal", np.not_equal, x, y, name)


def less(x, y, name=None):
    """x < y elementwise (no gradient)."""
    return _compare("less", np.less, x, y, name)


def less_equal(x, y, name=None):
    """x <= y elementwise (no gradient)."""
    return _compare("less_equal", np.less_equal, x, y, name)


def greater(x, y, name=None):
    """x > y elementwise (no gradient)."""
    return _compare("greater", np.greater, x, y, name)


def greater_equal(x, y, name=None):
    """x >= y elementwise (no gradient)."""
    return _compare("greater_equal", np.greater_equal, x, y, name)


def logical_and(x, y, name=None):
    """x and y, for bool tensors (no gradient)."""
    return _compare("logical_and", np.logical_and, *_bools("logical_and", x, y), name)


def logical_or(x, y, name=None):
    """x or y, for bool tensors (no gradient)."""
    return _compare("logical_or", np.logical_or, *_bools("logical_or", x, y), name)


def logical_not(x, name=None):
    """not x, for a bool tensor (no gradient)."""
    (x,) = _bools("logical_not", x)
    return apply("logical_not", np.logical_not, (x,), label=name)


def _bools(op, *xs):
    """The operands of a logical op as bool Tensors (TypeError otherwise)."""
    xs = tuple(check.tensor(op, x, "x") for x in xs)
    for x in xs:
        if x.dtype.kind != "b":
            raise TypeError(f"{op}: expected bool tensors, got {x.dtype} of shape "
                            f"{x.shape}.")
    return xs


def _compare(op, ufunc, x, y, label):
    """``ufunc(x, y)`` with broadcasting and numpy's warnings off (no gradient)."""
    x, y = check.pair(op, x, y)
    token = _quiet.enter()
    try:
        if type(x) in TENSOR_TYPES and type(y) in TENSOR_TYPES:
            fn, args = ufunc, (x, y)
        else:
            fn, args = bind_scalars(ufunc, x, y)
        return apply(op, fn, args, None, None, True, label)
    except ValueError:
        if broadcasts(shape_of(x), shape_of(y)):
            raise
        raise ValueError(f"{op}: shapes {shape_of(x)} and {shape_of(y)} cannot be "
                         f"broadcast together.") from None
    except OverflowError:
        raise int_overflow(op, x, y) from None
    finally:
        _quiet.leave(token)


def is_finite(x, name=None):
    """Whether each element is finite, not NaN nor +-inf (no gradient).

    >>> mtf.math.is_finite([1.0, np.inf, np.nan]).numpy().tolist()
    [True, False, False]
    """
    return apply("is_finite", np.isfinite, (check.float_tensor("is_finite", x),), label=name)


def is_nan(x, name=None):
    """Whether each element is NaN (no gradient).

    >>> mtf.math.is_nan([1.0, np.inf, np.nan]).numpy().tolist()
    [False, False, True]
    """
    return apply("is_nan", np.isnan, (check.float_tensor("is_nan", x),), label=name)


def is_inf(x, name=None):
    """Whether each element is +inf or -inf (no gradient).

    >>> mtf.math.is_inf([1.0, -np.inf, np.nan]).numpy().tolist()
    [False, True, False]
    """
    return apply("is_inf", np.isinf, (check.float_tensor("is_inf", x),), label=name)
