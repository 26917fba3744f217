"""Tensors made from shapes and values: zeros, ones, fill, range, eye, ... (no gradient).

Shapes are static (a traced Tensor as a shape raises while tracing), so a result
that depends only on them and on Python values is a constant of a trace; one that
reads a Tensor's values (fill's value, range and linspace bounds, one_hot indices)
is a recorded op computing from them.
"""
import math

import numpy as np

from .. import dtypes
from . import _validate as check
from ._batching import flagged
from ._dispatch import TENSOR_TYPES, apply, wrap_constant
from ._quiet import quiet


def zeros(shape, dtype=dtypes.float32, name=None):
    """A tensor of zeros."""
    return wrap_constant(np.zeros(check.shape("zeros", shape), check.dtype("zeros", dtype)))


def ones(shape, dtype=dtypes.float32, name=None):
    """A tensor of ones."""
    return wrap_constant(np.ones(check.shape("ones", shape), check.dtype("ones", dtype)))


def zeros_like(input, dtype=None, name=None):
    """Zeros with the shape (and, by default, dtype) of ``input``."""
    x = check.tensor("zeros_like", input, "input")
    return wrap_constant(np.zeros(x.shape, check.dtype("zeros_like", dtype, optional=True)
                                  or x.dtype))


def ones_like(input, dtype=None, name=None):
    """Ones with the shape (and, by default, dtype) of ``input``."""
    x = check.tensor("ones_like", input, "input")
    return wrap_constant(np.ones(x.shape, check.dtype("ones_like", dtype, optional=True)
                                 or x.dtype))


def fill(dims, value, name=None):
    """A tensor of shape ``dims`` filled with the scalar ``value`` (its dtype)."""
    shape = check.shape("fill", dims, "dims")
    v = check.tensor("fill", value, "value")
    if v.ndim != 0:
        raise ValueError(f"fill: value must be a scalar, got shape {v.shape}. "
                         f"{check.received('value', value)}")
    dtype = v.dtype
    if type(value) in TENSOR_TYPES:
        return apply("fill", lambda a: np.full(shape, a, dtype), (v,), label=name,
                     batch=lambda a: _filled_each(a, shape, dtype))
    return wrap_constant(np.full(shape, v._value, dtype))


def _filled_each(values, shape, dtype):
    """``fill``'s batching rule: one array of ``shape`` per value of ``values``."""
    column = values.reshape(values.shape[:1] + (1,) * len(shape))
    return np.broadcast_to(column, values.shape[:1] + shape).astype(dtype)


_RANGE_ORDER = (dtypes.int32, dtypes.int64, dtypes.float16, dtypes.float32, dtypes.float64)


@quiet
def range(start, limit=None, delta=1, dtype=None, name=None):
    """``start, start + delta, ...`` up to but excluding ``limit`` (as ``tf.range``).

    ``range(n)`` counts from 0. The dtype, unless given, is the widest of the
    arguments' dtypes: Python ints give int32, Python floats float32. The
    arguments are cast to it first, and the length is TensorFlow's: for floats
    ``ceil(|(limit - start) / delta|)`` computed in that dtype, for integers
    ``ceil(|limit - start| / |delta|)`` exactly. Element i is ``start + i * delta``.
    """
    if limit is None:
        start, limit = 0, start
    names = ("start", "limit", "delta")
    given = check.dtype("range", dtype, allowed=_RANGE_ORDER, optional=True)
    args = [_range_arg(a, what, given) for a, what in zip((start, limit, delta), names)]
    dtype = given or max((a.dtype for a in args), key=_RANGE_ORDER.index)

    def values(*bounds):
        lo, hi, step = (dtypes.cast_array(a, dtype, f"range {what}")[()]
                        for a, what in zip(bounds, names))
        n = _range_length(lo, hi, step, dtype)
        if dtype.kind == "f":
            return np.arange(n, dtype=dtype) * step + lo
        return (np.arange(n, dtype=np.int64) * int(step) + int(lo)).astype(dtype)
    if any(type(a) in TENSOR_TYPES for a in (start, limit, delta)):
        return apply("range", values, args, label=name, value_shaped=True)
    return wrap_constant(values(*[a._value for a in args]))


def _range_arg(value, what, dtype):
    """start/limit/delta as an int or float scalar Tensor; Python values convert
    straight to ``dtype`` when it is given (TensorFlow), so 0.1 is not float32 first."""
    if dtype is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and dtype.kind != "f":
            raise TypeError(f"range: cannot convert the float {what} {value!r} to {dtype} "
                            f"without losing the fraction. {check.received(what, value)}")
        if dtype.kind == "f" or np.iinfo(dtype).min <= value <= np.iinfo(dtype).max:
            return wrap_constant(np.asarray(value, dtype))
    t = check.tensor("range", value, what)
    if t.ndim != 0 or t.dtype not in _RANGE_ORDER:
        raise TypeError(f"range: start, limit and delta must be int or float scalars. "
                        f"Received a {t.dtype} tensor of shape {t.shape} as {what}: "
                        f"{check.received(what, value)}")
    return t


def _range_length(lo, hi, step, dtype):
    """The number of elements of range(lo, hi, step) in ``dtype`` (TensorFlow's rule)."""
    received = f"Received: start={lo}, limit={hi}, delta={step}"
    if not all(math.isfinite(v) for v in (lo, hi, step)):
        raise ValueError(f"range: start, limit and delta must be finite. {received}")
    if step == 0:
        raise ValueError(f"range: delta must not be 0. {received}")
    if (hi - lo if dtype.kind == "f" else int(hi) - int(lo)) * (1 if step > 0 else -1) < 0:
        raise ValueError(f"range: with delta={step}, start ({lo}) must be "
                         f"{'<=' if step > 0 else '>='} limit ({hi}). {received}")
    if dtype.kind == "f":
        n = np.ceil(np.abs((hi - lo) / step))       # in dtype, as TensorFlow
        n = int(n) if np.isfinite(n) else 2**63
    else:
        n = -(-abs(int(hi) - int(lo)) // abs(int(step)))
    if n * dtype.itemsize >= 2**63:
        raise ValueError(f"range: (limit - start) / delta asks for {n} elements, more "
                         f"than any array can hold. {received}")
    return n


def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """Identity matrices of shape ``batch_shape + [num_rows, num_columns]``."""
    rows = check.integer("eye", "num_rows", num_rows, low=0)
    cols = rows if num_columns is None else check.integer("eye", "num_columns",
                                                          num_columns, low=0)
    batch = () if batch_shape is None else check.shape("eye", batch_shape, "batch_shape")
    check.shape("eye", batch + (rows, cols), "num_rows, num_columns and batch_shape")
    matrix = np.eye(rows, cols, dtype=check.dtype("eye", dtype))
    if batch_shape is None:
        return wrap_constant(matrix)
    return wrap_constant(np.array(np.broadcast_to(matrix, batch + matrix.shape)))


@quiet
def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive.

    ``start`` and ``stop`` may be tensors (broadcast together); the new axis
    goes at ``axis``. Integer inputs give float64, as TensorFlow's.
    """
    op = "linspace"
    lo, hi = check.tensor(op, start, "start"), check.tensor(op, stop, "stop")
    n = check.integer(op, "num", num, low=0)
    if lo.dtype.kind == "b" or hi.dtype.kind == "b":
        raise TypeError(f"linspace: start and stop must be numbers, not bools. "
                        f"Received: start={lo.dtype}, stop={hi.dtype}")
    if lo.dtype.kind != "f" and hi.dtype.kind != "f":
        dtype = dtypes.float64
    elif lo.dtype.kind == "f" and hi.dtype.kind == "f" and lo.dtype != hi.dtype:
        raise TypeError(f"linspace: start and stop have different dtypes {lo.dtype} and "
                        f"{hi.dtype}; convert one with mtf.cast.")
    else:
        dtype = lo.dtype if lo.dtype.kind == "f" else hi.dtype
    try:
        base = np.broadcast_shapes(lo.shape, hi.shape)
    except ValueError:
        raise ValueError(f"linspace: start shape {lo.shape} and stop shape {hi.shape} "
                         f"cannot be broadcast together.") from None
    a = check.axis(op, axis, len(base) + 1)
    check.shape(op, base + (n,), "num")

    def values(low, high):
        return np.linspace(low.astype(np.float64), high.astype(np.float64), n,
                           axis=a).astype(dtype)
    if type(start) in TENSOR_TYPES or type(stop) in TENSOR_TYPES:
        return apply(op, values, (lo, hi), label=name)
    return wrap_constant(values(lo._value, hi._value))


@quiet
def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None,
            name=None):
    """``on_value`` at each index along a new axis of size ``depth``, else ``off_value``.

    Indices outside ``[0, depth)`` give a row of ``off_value``. The dtype is
    ``dtype``, else that of ``on_value``/``off_value``, else float32.
    """
    op = "one_hot"
    index = check.tensor(op, indices, "indices")
    if index.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers, got {index.dtype}. "
                        f"{check.received('indices', indices)}")
    depth = check.integer(op, "depth", depth, low=0)
    dtype = _one_hot_dtype(on_value, off_value, dtype)
    a = check.axis(op, -1 if axis is None else axis, index.ndim + 1, rank=index.ndim)
    check.shape(op, index.shape + (depth,), "depth")
    on, off = (check.tensor(op, v if v is not None else d, what)
               for v, d, what in ((on_value, 1, "on_value"), (off_value, 0, "off_value")))
    if on.ndim or off.ndim:
        raise ValueError(f"one_hot: on_value and off_value must be scalars. Received "
                         f"shapes {on.shape} and {off.shape}.")

    def hot(index, on, off, axis=a):
        on = dtypes.cast_array(on, dtype, "one_hot on_value")
        off = dtypes.cast_array(off, dtype, "one_hot off_value")
        picked = np.where(index[..., None] == np.arange(depth), on, off)
        return np.moveaxis(picked.astype(dtype, copy=False), -1, axis)

    def batched_hot(batched, index, on, off):
        return NotImplemented if batched[1] or batched[2] else hot(index, on, off, a + 1)
    return apply(op, hot, (index, on, off), label=name,
                 batch=flagged(batched_hot))


def _one_hot_dtype(on_value, off_value, dtype):
    """``dtype``, else that of on_value/off_value, else float32; tensors must match it."""
    dtype = check.dtype("one_hot", dtype, optional=True)
    for v, what in ((on_value, "on_value"), (off_value, "off_value")):
        if v is None or isinstance(v, (bool, int, float)) and dtype is not None:
            continue
        found = check.tensor("one_hot", v, what).dtype
        if dtype is None:
            dtype = found
        elif found != dtype:
            raise TypeError(f"one_hot: on_value/off_value dtype {found} does not match "
                            f"dtype {dtype}.")
    return dtype or dtypes.float32
