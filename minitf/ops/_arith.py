"""Operand rules shared by the arithmetic ops: dtypes, bools, big Python ints, warnings.

``arithmetic_pair`` applies TensorFlow's dtype rules (``operands``) and refuses
bools; ``quiet_binary`` runs a ufunc with numpy's floating-point warnings off
and turns a Python int too big for the tensor's dtype into a ValueError.
"""
import numpy as np

from . import _validate as check
from ._dispatch import TENSOR_TYPES, binary_op, shape_of, value_of, wrap
from ._quiet import enter as _enter, leave as _leave

_BOOL = np.dtype(bool)


def arithmetic_pair(op, x, y):
    """Operands of an arithmetic op: TensorFlow's dtype rules, and no bools."""
    if type(x) in TENSOR_TYPES:        # the common cases first, without calls
        dtype = x._value.dtype
        if (type(y) is float and dtype.kind == "f"
                or type(y) in TENSOR_TYPES and y._value.dtype is dtype and dtype is not _BOOL):
            return x, y
    x, y = check.pair(op, x, y)
    if (x if type(x) in TENSOR_TYPES else y)._value.dtype is _BOOL:
        raise TypeError(f"{op}: bool tensors are not supported; cast them with "
                        f"mtf.cast(x, mtf.float32) first. Received: shapes {shape_of(x)} "
                        f"and {shape_of(y)} of dtype bool")
    return x, y


def quiet_binary(op, ufunc, x, y, grad, saves=True):
    """``binary_op`` with numpy's warnings off; a Python int too big for the
    tensor's dtype raises ValueError naming the op."""
    token = _enter()
    try:
        return binary_op(op, ufunc, x, y, grad, saves)
    except OverflowError:
        raise int_overflow(op, x, y) from None
    finally:
        _leave(token)


def int_overflow(op, x, y):
    """The error for a Python int operand outside the range of the tensor's dtype."""
    dtype = result_dtype(x, y)
    what, big = ("x", x) if type(x) is int else ("y", y)
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    limits = f" [{info.min}, {info.max}]" if info is not None else ""
    return ValueError(f"{op}: the Python int {big} does not fit the {dtype} range{limits} "
                      f"of the other operand; cast that tensor to a wider dtype first. "
                      f"Received: {what}={big}")


def numeric(op, x):
    """``x`` as a Tensor of a number dtype (bools raise TypeError, as in TensorFlow)."""
    x = check.tensor(op, x)
    if x._value.dtype is _BOOL:
        raise TypeError(f"{op}: bool tensors are not supported; cast with "
                        f"mtf.cast(x, mtf.float32) first. Received: x of shape {x.shape} "
                        f"and dtype bool")
    return x


def short(value):
    """A short text of an operand for messages."""
    return check.received("", value).partition("=")[2]


def result_dtype(x, y):
    """dtype of a binary op's result: that of its Tensor operand (one always is)."""
    return (x if type(x) in TENSOR_TYPES else y)._value.dtype


def picks_x(compare, x, y):
    """Where maximum/minimum took x: ``compare(x, y)`` holds, or x is NaN."""
    xv, yv = value_of(x), value_of(y)
    pick = compare(xv, yv)
    if np.result_type(xv).kind == "f":
        pick = pick | np.isnan(xv)
    return wrap(np.asarray(pick))
