"""Indexing ops: ``Tensor.__getitem__``, gather, gather_nd, boolean_mask.

Every gradient scatters back into zeros of the input's shape. Advanced
(integer or boolean) keys may repeat elements, so their backward is a
scatter-*add* (a numba kernel). Reading whole rows (``gather`` on axis 0,
``x[int_array]``) returns an ``IndexedSlices`` gradient instead of a dense one.
"""
import numpy as np

from ..indexed_slices import IndexedSlices
from ..kernels import scatter
from . import _validate as check
from ._dispatch import TENSOR_TYPES, emit, wrap
from .shape import _strided, reshape

_BASIC = frozenset((int, slice, type(None), type(Ellipsis)))


# ------------------------------------------------------------ __getitem__

def getitem(x, key):
    """``x[key]`` with numpy semantics: ints, slices, None, ..., int arrays, masks."""
    x = check.tensor("getitem", x)
    if not _is_basic(key):
        index = (tuple(_key_item(x, key, k) for k in key) if type(key) is tuple
                 else _key_item(x, key, key))
        if type(index) is np.ndarray and index.dtype.kind in "iu" and x.ndim:
            return _getitem_rows(x, index, key)
        if not _is_basic(index):
            return _advanced("getitem", x, index, key)
        key = index
    try:
        return _strided("getitem", x, key)
    except (IndexError, TypeError, ValueError, OverflowError) as e:
        raise _key_error(x, key, e) from None


def _is_basic(key):
    """True for keys of ints, slices, None and Ellipsis only (no repeated elements)."""
    return type(key) in _BASIC or type(key) is tuple and all(type(k) in _BASIC for k in key)


def _getitem_rows(x, index, key):
    """``x[int_array]``: whole rows, negative indices wrapped, IndexedSlices gradient."""
    try:
        index = _in_range("getitem", index, x.shape[0], 0)
    except IndexError as e:
        raise IndexError(f"{e} Received: key={key!r} for a tensor of shape "
                         f"{x.shape}.") from None
    return _take_rows("getitem", x, index)


def _key_item(x, key, k):
    """One entry of a key with Tensors, lists and numpy scalars made numpy-ready."""
    if type(k) in _BASIC:
        return k
    if type(k) in TENSOR_TYPES:
        k = k._value
    elif isinstance(k, list):
        try:
            k = np.asarray(k) if k else np.zeros(0, np.intp)
        except ValueError:         # ragged nested lists
            raise IndexError(f"getitem: index lists must be rectangular; {k!r} is not, in "
                             f"key {key!r} for a tensor of shape {x.shape}.") from None
    if isinstance(k, (np.ndarray, np.generic)):
        if k.dtype.kind not in "iub":
            raise IndexError(f"getitem: index arrays must be integer or bool, got "
                             f"{k.dtype} in key {key!r} for a tensor of shape {x.shape}.")
        if k.ndim == 0 and k.dtype.kind in "iu":
            return int(k)
    return k


def _key_error(x, key, error):
    return IndexError(f"getitem: invalid key {key!r} for a tensor of shape {x.shape} "
                      f"({error}).")


def _advanced(op, x, index, key):
    """``x[index]`` for a key with integer arrays or masks; duplicates are summed back."""
    try:
        value = x._value[index]
    except (IndexError, TypeError, ValueError, OverflowError) as e:
        raise _key_error(x, key, e) from None

    def grad(g, _):
        positions = np.arange(x.size).reshape(x.shape)[index]
        return (_scatter_flat(g, positions, x.shape),)
    return emit(op, value, (x,), grad, saves=False)


# ---------------------------------------------------------------- gather

def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of ``params`` along ``axis`` (default 0) at ``indices`` (any shape).

    The output shape is ``params.shape[:axis] + indices.shape + params.shape[axis+1:]``.
    As in TensorFlow, indices must lie in ``[0, size)`` (no negative indices; use
    ``x[indices]`` for numpy-style wrapping). Along axis 0 the gradient is an
    ``IndexedSlices``.
    """
    x = check.tensor("gather", params, "params")
    if check.integer("gather", "batch_dims", batch_dims) != 0:
        raise ValueError(f"gather: only batch_dims=0 is supported. Received: "
                         f"batch_dims={batch_dims!r}")
    if x.ndim == 0:
        raise ValueError("gather: params must have rank >= 1, got a scalar.")
    index = _int_array("gather", indices)
    a = check.axis("gather", 0 if axis is None else axis, x.ndim)
    index = _in_range("gather", index, x.shape[a], a, allow_negative=False)
    if a == 0:
        return _take_rows("gather", x, index)

    def grad(g, _):
        positions = np.take(np.arange(x.size).reshape(x.shape), index, axis=a)
        return (_scatter_flat(g, positions, x.shape),)
    return emit("gather", np.take(x._value, index, axis=a), (x,), grad, saves=False)


def gather_nd(params, indices, batch_dims=0, name=None):
    """``params`` at the coordinates in the last axis of ``indices``.

    With ``m = indices.shape[-1]`` the output shape is
    ``indices.shape[:-1] + params.shape[m:]``.
    """
    x = check.tensor("gather_nd", params, "params")
    if check.integer("gather_nd", "batch_dims", batch_dims) != 0:
        raise ValueError(f"gather_nd: only batch_dims=0 is supported. Received: "
                         f"batch_dims={batch_dims!r}")
    index = _int_array("gather_nd", indices)
    if index.ndim == 0 or index.shape[-1] > x.ndim:
        raise ValueError(f"gather_nd: indices of shape {index.shape} need a last axis "
                         f"of at most {x.ndim} coordinates for params of shape {x.shape}.")
    m = index.shape[-1]
    for i in range(m):
        _in_range("gather_nd", index[..., i], x.shape[i], i, allow_negative=False)
    grid = np.arange(x.size).reshape(x.shape)
    positions = (grid[tuple(np.moveaxis(index, -1, 0))] if m else
                 np.broadcast_to(grid, index.shape[:-1] + x.shape))
    return _take_flat("gather_nd", x, positions)


def boolean_mask(tensor, mask, axis=None, name=None):
    """The elements (or sub-tensors) of ``tensor`` where ``mask`` is true.

    ``mask`` covers axes ``axis .. axis + mask.ndim`` of ``tensor``; those axes
    become one axis holding the selected entries, in row-major order.
    """
    x = check.tensor("boolean_mask", tensor, "tensor")
    m = check.tensor("boolean_mask", mask, "mask")
    if m.dtype.kind != "b":
        raise TypeError(f"boolean_mask: mask must be bool, got {m.dtype}. "
                        f"{check.received('mask', mask)}")
    a = 0 if axis is None else check.axis("boolean_mask", axis, x.ndim)
    if m.ndim == 0 or x.shape[a:a + m.ndim] != m.shape:
        raise ValueError(f"boolean_mask: mask of shape {m.shape} does not match axes "
                         f"{a}..{a + m.ndim - 1} of the tensor of shape {x.shape}.")
    key = (slice(None),) * a + (m._value,)
    return _advanced("boolean_mask", x, key, key)


# ------------------------------------------- row and flat primitives

def _take_rows(op, x, index):
    """``x[index]`` for valid non-negative row indices; gradient: IndexedSlices."""
    rows = wrap(index.reshape(-1).astype(np.int64, copy=False))

    def grad(g, _):
        if index.ndim != 1:
            g = reshape(g, (index.size,) + x.shape[1:])
        return (IndexedSlices._unchecked(g, rows, x.shape),)
    return emit(op, np.take(x._value, index, axis=0), (x,), grad, saves=False)


def scatter_rows(values, indices, n_rows):
    """Zeros of shape ``(n_rows,) + values.shape[1:]`` with row ``values[k]`` added at
    ``indices[k]``: how an ``IndexedSlices`` densifies (duplicates summed)."""
    v = check.tensor("scatter_rows", values, "values")
    index = _in_range("scatter_rows", _int_array("scatter_rows", indices), n_rows, 0,
                      allow_negative=False)
    if v.ndim == 0 or index.shape != v.shape[:1]:
        raise ValueError(f"scatter_rows: values of shape {v.shape} need one row per index "
                         f"({index.size} indices).")
    dense = scatter.scatter_add_rows(v._value, index, int(n_rows))
    return emit("scatter_rows", dense, (v,), lambda g, _: (_take_rows("gather", g, index),),
                saves=False)


def _scatter_flat(g, positions, shape):
    """Zeros of ``shape`` with ``g``'s elements added at flat ``positions``."""
    size = int(np.prod(shape, dtype=np.int64))
    dense = scatter.scatter_add_flat(g._value, positions, size).reshape(shape)
    return emit("scatter_flat", dense, (g,), lambda h, _: (_take_flat("gather", h, positions),),
                saves=False)


def _take_flat(op, x, positions):
    """Flat elements of ``x`` at ``positions`` (shaped like them); adjoint of _scatter_flat."""
    value = np.reshape(x._value, -1)[positions]
    return emit(op, value, (x,), lambda g, _: (_scatter_flat(g, positions, x.shape),),
                saves=False)


# ------------------------------------------------------------ helpers

def _int_array(op, indices):
    """``indices`` as an integer numpy array, else TypeError."""
    if isinstance(indices, list) and not indices:
        return np.zeros(0, np.int64)
    index = check.tensor(op, indices, "indices")._value
    if index.dtype.kind not in "iu":
        if index.size == 0:
            return index.astype(np.int64)
        raise TypeError(f"{op}: indices must be integers, got {index.dtype}. "
                        f"{check.received('indices', indices)}")
    return index


def _in_range(op, index, n, axis, allow_negative=True):
    """``index`` checked against an axis of size ``n``; negatives wrapped if allowed."""
    if index.size == 0:
        return index
    lo, hi = scatter.index_bounds(index)
    low = -n if allow_negative else 0
    if lo < low or hi >= n:
        bad = lo if lo < low else hi
        raise IndexError(f"{op}: index {bad} is out of range for axis {axis} of size {n}.")
    return index + n * (index < 0) if lo < 0 else index
