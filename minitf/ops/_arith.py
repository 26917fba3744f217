"""Operand rules shared by the arithmetic ops: dtypes, bools, NaN-aware picks.

``arithmetic_pair`` applies TensorFlow's dtype rules (``operands``) and refuses
bools; the ops then call ``_dispatch.binary_op``. ``bind_scalars``, ``fixed`` and
``quiet_apply`` help ops record themselves with ``_dispatch.apply`` (Python
scalar operands, numpy warnings).
"""
import numpy as np

from . import _quiet, _validate as check
from ._dispatch import TENSOR_TYPES, apply, shape_of, wrap_constant

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


def broadcasts(*shapes):
    """Whether arrays of these shapes broadcast together."""
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


def picks_x(compare, x, y):
    """Where maximum/minimum took x: ``compare(x, y)`` holds, or x is NaN (an op
    without gradient; either operand may be a Python scalar)."""
    nan_wins = np.result_type(x._value if type(x) in TENSOR_TYPES else x).kind == "f"

    def pick(a, b):
        chosen = compare(a, b)
        if nan_wins:
            chosen = chosen | np.isnan(a)
        return np.asarray(chosen)
    return apply("picks_x", *bind_scalars(pick, x, y), batch="broadcast")   # BROADCAST


def bind_scalars(fn, x, y):
    """``(fn over the Tensor operands only, those Tensors)`` for ``fn(x, y)``: a Python
    scalar operand is bound in as a constant (``fn`` receives the scalar itself, as
    eager numpy does). At least one operand is a Tensor."""
    if type(x) in TENSOR_TYPES:
        if type(y) in TENSOR_TYPES:
            return fn, (x, y)
        bound, args = (lambda a: fn(a, y)), (x,)
    else:
        bound, args = (lambda b: fn(x, b)), (y,)
    if isinstance(fn, np.ufunc):
        bound.broadcasts = True        # a ufunc of one array: vectorized_map's BROADCAST
    return bound, args


def fixed(x):
    """An op argument for an operand: a Tensor as it is, a Python scalar as a constant
    (``fn`` then receives the scalar itself, exactly as eager numpy does)."""
    return x if type(x) in TENSOR_TYPES else wrap_constant(x)


def quiet_apply(op, fn, args, grad=None, saves=True, label=None, batch=None):
    """``apply`` with numpy's floating-point warnings off while ``fn`` runs eagerly
    (a replay always runs quietly)."""
    token = _quiet.enter()
    try:
        return apply(op, fn, args, grad, None, saves, label, batch=batch)
    finally:
        _quiet.leave(token)


