"""Argument checkers every op uses: tensors, shapes, axes, numbers, flags, dtypes.

One checker per kind of argument, so every op accepts and rejects the same
things. A wrong kind (a float where an int belongs, ``None``, a bool axis) is a
``TypeError``, a wrong value (negative size, axis out of range, NaN) a
``ValueError``; each message starts with the op name, names the argument and
ends with ``Received: <arg>=...``. Nothing is coerced silently: ``2.7`` is not
a shape and ``True`` is not an axis.
"""
import math
import operator

import numpy as np

from .. import dtypes
from .._context import ctx
from ..errors import OperatorNotAllowedInGraphError
from ._dispatch import TENSOR_TYPES, as_tensor, operands, wrap_constant

SUPPORTED = frozenset((dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32,
                       dtypes.int64, dtypes.bool_))
_INT64_MAX = 2**63 - 1
_MAX_ELEMENTS = _INT64_MAX // 8       # elements of the widest dtype that fit in memory size
_CONVERSION_ERRORS = (TypeError, ValueError, OverflowError)


# ---------------------------------------------------------------- messages

def received(what, value):
    """``"Received: what=<value>"`` with arrays and long reprs shortened."""
    if type(value) in TENSOR_TYPES or isinstance(value, np.ndarray):
        array = value._value if type(value) in TENSOR_TYPES else value
        if array.size <= 6 and array.dtype.kind in "biuf":
            text = f"{type(value).__name__}({array.tolist()!r}, dtype={array.dtype})"
        else:
            text = f"{type(value).__name__} of shape {array.shape} and dtype {array.dtype}"
    else:
        text = repr(value)
        text = text if len(text) <= 80 else text[:77] + "..."
    return f"Received: {what}={text}"


def _renamed(op, what, value, error):
    """``error`` re-raised as a TypeError/ValueError that names ``op`` and ``what``."""
    cls = TypeError if isinstance(error, TypeError) else ValueError
    text = str(error)
    if text.startswith(op):
        return cls(text)
    return cls(f"{op}: cannot use {what} as a tensor: {text.rstrip('.')}. "
               f"{received(what, value)}")


def op_error(error, replacement):
    """``replacement`` for an ``error`` that numpy raised inside an op, but ``error``
    itself if it is check_numerics' verdict on the op's output."""
    from ..debugging import NumericsError
    return error if isinstance(error, NumericsError) else replacement


# ---------------------------------------------------------------- tensors

def tensor(op, x, what="x"):
    """``x`` as a Tensor of a minitf dtype (native byte order); errors name ``op``."""
    if type(x) in TENSOR_TYPES:
        return x
    try:
        t = as_tensor(x)
    except _CONVERSION_ERRORS as e:
        raise _renamed(op, what, x, e) from None
    return _supported(op, what, x, t)


def _supported(op, what, x, t):
    """``t`` (converted from ``x``) in native byte order; other dtypes raise."""
    dtype = t._value.dtype
    if not dtype.isnative:
        dtype = dtype.newbyteorder("=")
        t = wrap_constant(t._value.astype(dtype))
    if dtype not in SUPPORTED:
        raise TypeError(f"{op}: {what} has dtype {dtype}, which minitf does not support "
                        f"(float16/32/64, int32/64, bool). {received(what, x)}")
    return t


def float_tensor(op, x, what="x"):
    """``x`` as a floating-point Tensor (TypeError naming ``op`` otherwise)."""
    if type(x) in TENSOR_TYPES and x._value.dtype.kind == "f":
        return x
    t = tensor(op, x, what)
    if t._value.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor as {what}, got "
                        f"{t.dtype.name} of shape {t.shape}; convert it with "
                        f"mtf.cast({what}, mtf.float32). {received(what, x)}")
    return t


def pair(op, x, y):
    """Operands of a binary op (``operands``' dtype rules); errors name ``op``."""
    try:
        a, b = operands(op, x, y)
    except _CONVERSION_ERRORS as e:
        raise _renamed(op, "x and y", (x, y), e) from None
    if type(a) in TENSOR_TYPES and a is not x:
        a = _supported(op, "x", x, a)
    if type(b) in TENSOR_TYPES and b is not y:
        b = _supported(op, "y", y, b)
    return a, b


def tensor_list(op, values, what="values"):
    """A list or tuple argument (a lone tensor or string is a TypeError)."""
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{op}: {what} must be a list or tuple of tensors. "
                        f"{received(what, values)}")
    return list(values)


def static_value(x, how="index"):
    """The array of Tensor ``x`` given as a hyperparameter (a shape, axes, a size).

    Ops use it as Python values, so while ``mtf.function`` traces, a Tensor that
    changes from call to call (an input, an op's result, a Variable) raises instead
    of being baked into the trace.
    """
    if ctx.recorder is not None:
        ctx.recorder.check_python_use(x, how)
    return x._value


# ---------------------------------------------------------------- integers

def _is_bool(value):
    """Whether ``value`` is a Python or numpy bool, or a bool Tensor."""
    return isinstance(value, (bool, np.bool_)) or (
        type(value) in TENSOR_TYPES and value._value.dtype.kind == "b")


def as_index(value):
    """``value`` as a Python int if it is an integer scalar (not a bool), else None."""
    if type(value) is int:
        return value
    if _is_bool(value) or isinstance(value, np.ndarray) and value.dtype.kind == "b":
        return None
    try:
        return operator.index(value)
    except OperatorNotAllowedInGraphError:
        raise                          # a traced Tensor: say so, not "must be an int"
    except TypeError:
        return None


def integer(op, what, value, low=None, high=None):
    """An int hyperparameter (Python/numpy int or 0-d integer tensor) in [low, high]."""
    n = as_index(value)
    if n is None:
        raise TypeError(f"{op}: {what} must be an int. {received(what, value)}")
    if low is not None and n < low or n > (_INT64_MAX if high is None else high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{op}: {what} must be an int {bound}. {received(what, value)}")
    return n


def _int_items(op, what, value):
    """An int, a sequence of ints or a 0/1-D integer array/Tensor, as a list of ints."""
    if type(value) in TENSOR_TYPES:
        value = static_value(value)
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind not in "iu" and not (value.size == 0 and value.ndim == 1):
            raise TypeError(f"{op}: {what} must hold ints, got dtype {value.dtype}. "
                            f"{received(what, value)}")
        if value.ndim > 1:
            raise ValueError(f"{op}: {what} must be an int or a 1-D list of ints, got "
                             f"shape {value.shape}. {received(what, value)}")
        return [int(n) for n in value.reshape(-1).tolist()]
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        n = as_index(item)
        if n is None:
            raise TypeError(f"{op}: {what} must be an int or a list of ints; "
                            f"{item!r} is not an int. {received(what, value)}")
        out.append(n)
    return out


# ---------------------------------------------------------------- shapes

def shape(op, value, what="shape", unknown=False):
    """A shape as a tuple of ints >= 0 (one -1 allowed when ``unknown``).

    Accepts an int, a list or tuple of ints (or 0-d integer tensors), or a 1-D
    integer array/Tensor; the number of elements must fit in int64.
    """
    if type(value) is tuple or type(value) is list:
        if all(type(n) is int and 0 <= n <= _MAX_ELEMENTS for n in value):
            dims = tuple(value)
            return dims if len(dims) < 2 else _fits(op, what, value, dims)
    dims = tuple(_int_items(op, what, value))
    for n in dims:
        if n < -1 or n == -1 and not unknown or n > _INT64_MAX:
            allowed = "ints >= 0 (and at most one -1)" if unknown else "ints >= 0"
            raise ValueError(f"{op}: {what} must hold {allowed}; {n} is not allowed. "
                             f"{received(what, value)}")
    if dims.count(-1) > 1:
        raise ValueError(f"{op}: {what} may hold at most one -1. {received(what, value)}")
    return _fits(op, what, value, dims)


def _fits(op, what, value, dims):
    """``dims`` if that many elements can exist (their product fits in int64)."""
    if math.prod(n for n in dims if n > 0) > _MAX_ELEMENTS:
        raise ValueError(f"{op}: {what} {dims} has too many elements for any array. "
                         f"{received(what, value)}")
    return dims


# ---------------------------------------------------------------- axes

def axes(op, axis, ndim, what="axis"):
    """``axis`` (None, an int, a sequence or an integer tensor) as None or a sorted
    tuple of distinct axes in [0, ndim)."""
    if axis is None:
        return None
    if type(axis) is int and -ndim <= axis < ndim:
        return (axis % ndim,)
    return tuple(sorted(axis_list(op, axis, ndim, what)))


def axis_list(op, value, ndim, what="axis"):
    """An int or a sequence of ints as a list of distinct axes in [0, ndim), in order."""
    out = []
    for a in _int_items(op, what, value):
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor of rank {ndim}. "
                             f"{received(what, value)}")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {what}. {received(what, value)}")
    return out


def axis(op, value, ndim, what="axis", rank=None):
    """One axis (an int or 0-d integer tensor) in [-ndim, ndim), as an int >= 0.

    ``rank`` is the rank named in the message when it differs from ``ndim``
    (``expand_dims`` takes axes up to the input's rank inclusive).
    """
    if type(value) is int and -ndim <= value < ndim:
        return value % ndim
    a = as_index(value)
    if a is None:
        raise TypeError(f"{op}: {what} must be a single integer. {received(what, value)}")
    if not -ndim <= a < ndim:
        rank = ndim if rank is None else rank
        raise ValueError(f"{op}: axis {a} is out of range for a tensor of rank {rank} "
                         f"(valid: [{-ndim}, {ndim})). {received(what, value)}")
    return a % ndim


# ---------------------------------------------------------------- numbers

def number(op, what, value, low=None, high=None, finite=True, open_low=False):
    """A real scalar hyperparameter (Python/numpy number or 0-d tensor) as a float.

    NaN is always refused; infinities unless ``finite`` is False; ``low`` and
    ``high`` bound it (``open_low`` excludes ``low`` itself).
    """
    v = as_real(value)
    if v is None:
        raise TypeError(f"{op}: {what} must be a real number. {received(what, value)}")
    if math.isnan(v) or finite and math.isinf(v):
        kind = "a number" if finite is False else "a finite number"
        raise ValueError(f"{op}: {what} must be {kind}. {received(what, value)}")
    too_low = low is not None and (v <= low if open_low else v < low)
    if too_low or high is not None and v > high:
        lo = "" if low is None else f"{'>' if open_low else '>='} {low}"
        hi = "" if high is None else f"<= {high}"
        bound = " and ".join(b for b in (lo, hi) if b)
        raise ValueError(f"{op}: {what} must be {bound}. {received(what, value)}")
    return v


def as_real(value):
    """A real scalar as a Python float, or None for anything else (bools included)."""
    if type(value) is float or type(value) is int:
        return float(value)
    if _is_bool(value):
        return None
    if type(value) in TENSOR_TYPES:
        value = static_value(value, "float")
    if isinstance(value, (np.ndarray, np.generic)):
        if value.ndim or value.dtype.kind not in "iuf":
            return None
        return float(value)
    if isinstance(value, (int, float)):   # subclasses, e.g. enum values
        return float(value)
    return None


def flag(op, what, value):
    """A bool hyperparameter: Python or numpy bool only (no truthiness)."""
    if value is True or value is False:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{op}: {what} must be True or False. {received(what, value)}")


def dtype(op, value, what="dtype", allowed=None, optional=False):
    """A dtype argument as one of minitf's dtypes (``allowed`` narrows them);
    ``None`` passes through when ``optional``."""
    if value is None and optional:
        return None
    try:
        d = None if value is None else dtypes.as_dtype(value)
    except Exception:  # noqa: BLE001 - np.dtype raises several kinds; all mean "not a dtype"
        d = None
    if d is not None and not d.isnative:
        d = d.newbyteorder("=")
    # (``None in allowed`` would hold: numpy compares a dtype equal to None.)
    ok = d is not None and (d in SUPPORTED if allowed is None else d in allowed)
    if not ok:
        names = sorted(str(t) for t in (allowed or SUPPORTED))
        names = ", ".join(names[:-1]) + " or " + names[-1]
        raise TypeError(f"{op}: {what} must be {names}. {received(what, value)}")
    return d
