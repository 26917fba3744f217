"""Operand rules shared by the arithmetic ops: dtypes, bools, NaN-aware picks.

``arithmetic_pair`` applies TensorFlow's dtype rules (``operands``) and refuses
bools; the ops then call ``_dispatch.binary_op``.
"""
import numpy as np

from . import _validate as check
from ._dispatch import TENSOR_TYPES, shape_of, value_of, wrap

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


def picks_x(compare, x, y):
    """Where maximum/minimum took x: ``compare(x, y)`` holds, or x is NaN."""
    xv, yv = value_of(x), value_of(y)
    pick = compare(xv, yv)
    if np.result_type(xv).kind == "f":
        pick = pick | np.isnan(xv)
    return wrap(np.asarray(pick))
