"""scatter_nd, tensor_scatter_nd_update and tensor_scatter_nd_add (TensorFlow's).

The last axis of ``indices`` holds ``m`` coordinates into the first ``m`` axes of
the output; each index addresses a slice of shape ``shape[m:]``, so ``updates``
has shape ``indices.shape[:-1] + shape[m:]``. Indices are range-checked whenever
the op runs (a traced function replays new indices); adding uses the scatter
kernels, the gradients are ``gather_nd``.
"""
import math

import numpy as np

from ..kernels import scatter
from . import _validate as check
from ._arith import quiet_apply
from ._dispatch import TENSOR_TYPES, apply, as_tensor, wrap_constant
from .elementwise import where
from .indexing import gather_nd


# ------------------------------------------------------------ arguments

def _indices(op, indices):
    """``indices`` as an int32/int64 Tensor of rank >= 1."""
    if isinstance(indices, (list, tuple)) and not indices:
        raise ValueError(f"{op}: indices must have rank >= 1 with a last axis of "
                         f"coordinates. {check.received('indices', indices)}")
    index = check.tensor(op, indices, "indices")
    if index._value.dtype.kind != "i":
        raise TypeError(f"{op}: indices must be int32 or int64, got {index._value.dtype}. "
                        f"{check.received('indices', indices)}")
    if index.ndim == 0:
        raise ValueError(f"{op}: indices must have rank >= 1 with a last axis of "
                         f"coordinates, got a scalar. {check.received('indices', indices)}")
    return index


def _updates(op, updates, like):
    """``updates`` as a Tensor of ``like``'s dtype (lists and scalars converted to it;
    a Tensor or array of another dtype raises TypeError)."""
    if type(updates) in TENSOR_TYPES or isinstance(updates, np.ndarray):
        u = check.tensor(op, updates, "updates")
    else:
        try:
            u = as_tensor(updates, like._value.dtype, op)
        except (TypeError, ValueError, OverflowError) as e:
            raise TypeError(f"{op}: cannot convert updates to {like._value.dtype}: {e} "
                            f"{check.received('updates', updates)}") from None
    if u._value.dtype != like._value.dtype:
        raise TypeError(f"{op}: updates must have the dtype of tensor "
                        f"({like._value.dtype}), got {u._value.dtype}. "
                        f"{check.received('updates', updates)}")
    return u


def _numbers(op, x, what):
    """TypeError for bool tensors (these ops add)."""
    if x._value.dtype.kind == "b":
        raise TypeError(f"{op}: {what} of dtype bool is not supported; cast it with "
                        f"mtf.cast({what}, mtf.int32) first.")
    return x


def _check_shapes(op, index_shape, updates_shape, shape):
    """ValueError unless ``updates_shape == index_shape[:-1] + shape[m:]``."""
    m = index_shape[-1]
    if m > len(shape):
        raise ValueError(f"{op}: indices of shape {tuple(index_shape)} have {m} coordinates, "
                         f"more than the rank {len(shape)} of the output shape {shape}.")
    want = tuple(index_shape[:-1]) + tuple(shape[m:])
    if tuple(updates_shape) != want:
        raise ValueError(f"{op}: updates must have shape indices.shape[:-1] + shape[{m}:] = "
                         f"{want}, got {tuple(updates_shape)} (indices {tuple(index_shape)}, "
                         f"shape {shape}).")


# ------------------------------------------------------------ kernels

def _rows(op, index, shape):
    """The flat slice number (row of ``shape[:m]``) of each index, range-checked: an
    index outside ``shape`` raises, naming it."""
    m = index.shape[-1]
    coords = index.reshape(math.prod(index.shape[:-1]), m)
    for axis in range(m):
        column = coords[:, axis]
        if column.size and _outside(column, shape[axis]):
            bad = np.flatnonzero((column < 0) | (column >= shape[axis]))[0]
            where_ = np.unravel_index(bad, index.shape[:-1])
            raise IndexError(f"{op}: indices{list(map(int, where_))} = "
                             f"{coords[bad].tolist()} does not index into shape {list(shape)}.")
    if m == 0:
        return np.zeros(coords.shape[0], np.int64)
    return np.ravel_multi_index(tuple(coords.T.astype(np.int64)), shape[:m])


def _outside(column, n):
    lo, hi = scatter.index_bounds(column)
    return lo < 0 or hi >= n


def _scattered(op, u, i, shape):
    """Zeros of ``shape`` with the slices of ``u`` added at ``i`` (duplicates summed)."""
    _check_shapes(op, i.shape, u.shape, shape)
    rows = _rows(op, i, shape)
    n_rows = math.prod(shape[:i.shape[-1]])
    width = math.prod(shape[i.shape[-1]:])
    flat = scatter.scatter_add_rows(u.reshape(rows.size, width), rows, n_rows)
    return flat.reshape(shape)


def _assigned(op, t, i, u):
    """A copy of ``t`` with the slices of ``u`` written at ``i``; of duplicate indices
    the last one wins."""
    shape = t.shape
    _check_shapes(op, i.shape, u.shape, shape)
    rows = _rows(op, i, shape)
    m = i.shape[-1]
    width = math.prod(shape[m:])
    out = np.array(t, copy=True).reshape(math.prod(shape[:m]), width)
    unique, last = _last_of_each(rows)
    out[unique] = u.reshape(rows.size, width)[last]
    return out.reshape(shape)


def _last_of_each(rows):
    """The distinct ``rows`` and, for each, the position of its last occurrence."""
    unique, first_from_end = np.unique(rows[::-1], return_index=True)
    return unique, rows.size - 1 - first_from_end


def _winners(op, i, shape):
    """Bool mask shaped ``i.shape[:-1] + shape[m:]``: the updates that are not
    overwritten by a later duplicate index."""
    rows = _rows(op, i, shape)
    keep = np.zeros(rows.size, bool)
    keep[_last_of_each(rows)[1]] = True
    lead = i.shape[:-1]
    return np.broadcast_to(keep.reshape(lead + (1,) * (len(shape) - i.shape[-1])),
                           lead + tuple(shape[i.shape[-1]:]))


# ------------------------------------------------------------ ops

def scatter_nd(indices, updates, shape, name=None):
    """Zeros of ``shape`` with ``updates`` added at ``indices`` (duplicates add up).

    >>> mtf.scatter_nd([[1], [3], [1]], [5, 6, 7], [4]).numpy().tolist()
    [0, 12, 0, 6]
    """
    op = "scatter_nd"
    index = _indices(op, indices)
    u = _numbers(op, check.tensor(op, updates, "updates"), "updates")
    dims = check.shape(op, shape)
    if not dims:
        raise ValueError(f"{op}: the output shape must have rank >= 1, got (). "
                         f"{check.received('shape', shape)}")
    _check_shapes(op, index.shape, u.shape, dims)

    def grad(g, _):
        return (gather_nd(g, index),)
    return apply(op, lambda v, i: _scattered(op, v, i, dims), (u, index), grad,
                 inputs=(u,), saves=False, label=name)


def _tensor(op, tensor):
    t = check.tensor(op, tensor, "tensor")
    if t.ndim == 0:
        raise ValueError(f"{op}: tensor must have rank >= 1, got a scalar. "
                         f"{check.received('tensor', tensor)}")
    return t


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """``tensor`` with the slices at ``indices`` replaced by ``updates``.

    Of duplicate indices the last update wins (deterministic); its gradient reaches
    only that winner, the overwritten updates get 0 (exact, unlike TensorFlow's
    rule, which gives every duplicate the gradient).

    >>> mtf.tensor_scatter_nd_update([1, 2, 3], [[0], [2]], [9, 8]).numpy().tolist()
    [9, 2, 8]
    """
    op = "tensor_scatter_nd_update"
    t = _tensor(op, tensor)
    index = _indices(op, indices)
    u = _updates(op, updates, t)
    _check_shapes(op, index.shape, u.shape, t.shape)
    shape = t.shape

    def grad(g, needs):
        zeros = wrap_constant(np.zeros(u.shape, g._value.dtype))
        dt = tensor_scatter_nd_update(g, index, zeros) if needs[0] else None
        du = _winning(g, index, shape) if needs[1] else None
        return dt, du
    return apply(op, lambda v, i, w: _assigned(op, v, i, w), (t, index, u), grad,
                 inputs=(t, u), saves=False, label=name)


def _winning(g, index, shape):
    """gather_nd(g, index) with the updates a later duplicate overwrote set to 0."""
    op = "tensor_scatter_nd_update"
    mask = apply(op + "_winners", lambda i: _winners(op, i, shape), (index,))
    gathered = gather_nd(g, index)
    return where(mask, gathered, wrap_constant(np.zeros((), g._value.dtype)))


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """``tensor`` with ``updates`` added at ``indices`` (duplicates add up).

    >>> mtf.tensor_scatter_nd_add([1, 2, 3], [[0], [0]], [5, 6]).numpy().tolist()
    [12, 2, 3]
    """
    op = "tensor_scatter_nd_add"
    t = _numbers(op, _tensor(op, tensor), "tensor")
    index = _indices(op, indices)
    u = _updates(op, updates, t)
    _check_shapes(op, index.shape, u.shape, t.shape)
    shape = t.shape

    def added(v, i, w):
        return v + _scattered(op, w, i, shape)

    def grad(g, needs):
        return (g if needs[0] else None), None, (gather_nd(g, index) if needs[2] else None)
    return quiet_apply(op, added, (t, index, u), grad, saves=False, label=name)
