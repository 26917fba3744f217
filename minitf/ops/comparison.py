"""Rounding, comparison and logical ops: elementwise, with no gradient.

They return plain Tensors (``wrap``) and record nothing on any tape.
"""
import numpy as np

from . import _quiet, _validate as check
from ._dispatch import TENSOR_TYPES, int_overflow, shape_of, value_of, wrap
from ._arith import arithmetic_pair


def floor(x, name=None):
    """Largest integer <= x (no gradient)."""
    return wrap(np.floor(check.float_tensor("floor", x)._value))


def ceil(x, name=None):
    """Smallest integer >= x (no gradient)."""
    return wrap(np.ceil(check.float_tensor("ceil", x)._value))


def round(x, name=None):
    """Round half to even, as TensorFlow (no gradient)."""
    return wrap(np.round(check.float_tensor("round", x)._value))


def floordiv(x, y, name=None):
    """floor(x / y) (no gradient); integer division by zero raises ZeroDivisionError
    (TensorFlow), float division by zero gives inf or NaN."""
    x, y = _divisible("floordiv", x, y)
    return _compare("floordiv", np.floor_divide, x, y)


def mod(x, y, name=None):
    """Remainder with the sign of y, as Python's % (no gradient); an integer y of 0
    raises ZeroDivisionError (TensorFlow), a float one gives NaN."""
    x, y = _divisible("mod", x, y)
    return _compare("mod", np.mod, x, y)


def _divisible(op, x, y):
    """Operands of floordiv/mod: numbers (no bools), and no integer zero divisor."""
    x, y = arithmetic_pair(op, x, y)
    divisor = value_of(y)
    integers = (x if type(x) in TENSOR_TYPES else y)._value.dtype.kind in "iu"
    if integers and not np.all(divisor):
        raise ZeroDivisionError(f"{op}: integer division by zero (y holds a 0). "
                                f"{check.received('y', y)}")
    return x, y


def equal(x, y, name=None):
    """x == y elementwise (no gradient)."""
    return _compare("equal", np.equal, x, y)


def not_equal(x, y, name=None):
    """x != y elementwise (no gradient)."""
    return _compare("not_equal", np.not_equal, x, y)


def less(x, y, name=None):
    """x < y elementwise (no gradient)."""
    return _compare("less", np.less, x, y)


def less_equal(x, y, name=None):
    """x <= y elementwise (no gradient)."""
    return _compare("less_equal", np.less_equal, x, y)


def greater(x, y, name=None):
    """x > y elementwise (no gradient)."""
    return _compare("greater", np.greater, x, y)


def greater_equal(x, y, name=None):
    """x >= y elementwise (no gradient)."""
    return _compare("greater_equal", np.greater_equal, x, y)


def logical_and(x, y, name=None):
    """x and y, for bool tensors (no gradient)."""
    return _compare("logical_and", np.logical_and, *_bools("logical_and", x, y))


def logical_or(x, y, name=None):
    """x or y, for bool tensors (no gradient)."""
    return _compare("logical_or", np.logical_or, *_bools("logical_or", x, y))


def logical_not(x, name=None):
    """not x, for a bool tensor (no gradient)."""
    (x,) = _bools("logical_not", x)
    return wrap(np.logical_not(x._value))


def _bools(op, *xs):
    """The operands of a logical op as bool Tensors (TypeError otherwise)."""
    xs = tuple(check.tensor(op, x, "x") for x in xs)
    for x in xs:
        if x.dtype.kind != "b":
            raise TypeError(f"{op}: expected bool tensors, got {x.dtype} of shape "
                            f"{x.shape}.")
    return xs


def _compare(op, ufunc, x, y):
    """``ufunc(x, y)`` with broadcasting and numpy's warnings off (no gradient)."""
    x, y = check.pair(op, x, y)
    token = _quiet.enter()
    try:
        return wrap(ufunc(value_of(x), value_of(y)))
    except ValueError:
        raise ValueError(f"{op}: shapes {shape_of(x)} and {shape_of(y)} cannot be "
                         f"broadcast together.") from None
    except OverflowError:
        raise int_overflow(op, x, y) from None
    finally:
        _quiet.leave(token)
