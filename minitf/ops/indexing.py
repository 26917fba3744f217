"""Indexing ops: ``Tensor.__getitem__``, gather, gather_nd, boolean_mask.

Every gradient scatters back into zeros of the input's shape. Advanced
(integer or boolean) keys may repeat elements, so their backward is a
scatter-*add* (a numba kernel). Reading whole rows (``gather`` on axis 0,
``x[int_array]``) returns an ``IndexedSlices`` gradient instead of a dense one.

Index Tensors are op inputs: their values are read (and range-checked) when the
op runs, so a traced function replays them for new indices.
"""
import math

import numpy as np

from ..indexed_slices import IndexedSlices
from ..kernels import scatter
from . import _validate as check
from ._batching import batched_key, batched_positions, flagged, read_flat
from ._dispatch import TENSOR_TYPES, apply, wrap_constant
from .shape import DYNAMIC, _strided, index_value, key_filler, reshape

_BASIC = frozenset((int, slice, type(None), type(Ellipsis)))


# ------------------------------------------------------------ __getitem__

def getitem(x, key):
    """``x[key]`` with numpy semantics: ints, slices, None, ..., int arrays, masks."""
    x = check.tensor("getitem", x)
    if _is_basic(key):
        return _basic_getitem(x, key)
    single = type(key) is not tuple
    items = [_key_item(x, key, k) for k in ((key,) if single else key)]
    if single and _is_index_array(items[0]) and x.ndim:
        return _getitem_rows(x, items[0], key)
    dynamic = tuple(k for k in items if type(k) in TENSOR_TYPES)
    index = tuple(DYNAMIC if type(k) in TENSOR_TYPES else k for k in items)
    if single and not dynamic:
        index = index[0]
    if dynamic and all(type(k) in _BASIC or _is_int_scalar(k) for k in items):
        return _strided("getitem", x, index, dynamic)
    if _is_basic(index):
        return _basic_getitem(x, index)
    return _advanced("getitem", x, index, dynamic, key)


def _basic_getitem(x, key):
    """``x[key]`` for a basic key without Tensors (its errors depend on shapes only)."""
    try:
        return _strided("getitem", x, key)
    except (IndexError, TypeError, ValueError, OverflowError) as e:
        raise check.op_error(e, IndexError(f"getitem: invalid key {key!r} for a tensor of "
                                           f"shape {x.shape} ({e}).")) from None


def _is_basic(key):
    """True for keys of ints, slices, None and Ellipsis only (no repeated elements)."""
    return type(key) in _BASIC or type(key) is tuple and all(type(k) in _BASIC for k in key)


def _is_index_array(k):
    """Whether a key entry is an integer array or Tensor of rank >= 1."""
    array = k._value if type(k) in TENSOR_TYPES else k
    return type(array) is np.ndarray and array.dtype.kind in "iu" and array.ndim > 0


def _is_int_scalar(k):
    """Whether a key entry is a 0-d integer Tensor (an int read when the op runs)."""
    return type(k) in TENSOR_TYPES and k._value.ndim == 0 and k._value.dtype.kind in "iu"


def _getitem_rows(x, index, key):
    """``x[int_array]``: whole rows, negative indices wrapped, IndexedSlices gradient."""
    index = index if type(index) in TENSOR_TYPES else wrap_constant(index)
    try:
        return _take_rows("getitem", x, index, allow_negative=True)
    except IndexError as e:
        raise IndexError(f"{e} Received: key={key!r} for a tensor of shape "
                         f"{x.shape}.") from None


def _key_item(x, key, k):
    """One entry of a key with lists and numpy scalars made numpy-ready; Tensors stay
    (their values are read when the op runs)."""
    if type(k) in _BASIC:
        return k
    if type(k) in TENSOR_TYPES:
        if k._value.dtype.kind not in "iub":
            raise IndexError(f"getitem: index arrays must be integer or bool, got "
                             f"{k._value.dtype} in key {key!r} for a tensor of shape "
                             f"{x.shape}.")
        return k
    if isinstance(k, list):
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


def _advanced(op, x, index, dynamic=(), key=None, label=None):
    """``x[index]`` for a key with integer arrays or masks; duplicates are summed back.

    ``dynamic`` holds the index Tensors standing at the ``DYNAMIC`` entries of
    ``index`` (a tuple then). Errors show ``key`` (the key as given) if it holds no
    Tensors, else the key filled in."""
    shape, size = x._value.shape, x._value.size
    if dynamic:
        fill = key_filler(index, dynamic)

        def value(v, *arrays):
            return index_value(fill(arrays), v)

        def positions(*arrays):
            return np.arange(size).reshape(shape)[fill(arrays)]
    else:
        def value(v):
            return index_value(index, v, key)

        def positions():
            return np.arange(size).reshape(shape)[index]

    masked = any(t._value.dtype.kind == "b" for t in dynamic)   # counts trues

    def batched_value(batched, v, *arrays):
        if True in batched[1:]:
            return NotImplemented
        full = fill(arrays) if dynamic else index
        return NotImplemented if _moves_to_front(full) else index_value(batched_key(full), v)

    def grad(g, _):
        where = (apply(op + "_positions", positions, dynamic, value_shaped=masked)
                 if dynamic else wrap_constant(positions()))
        return (_scatter_flat(g, where, shape),)
    return apply(op, value, (x,) + dynamic, grad, inputs=(x,), saves=False, label=label,
                 value_shaped=masked, batch=flagged(batched_value))


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
    index = _index_tensor("gather", indices)
    a = check.axis("gather", 0 if axis is None else axis, x.ndim)
    if a == 0:
        return _take_rows("gather", x, index, label=name)
    shape, n = x._value.shape, x._value.shape[a]

    def checked(i):
        return _in_range("gather", i, n, a, allow_negative=False)

    def grad(g, _):
        grid = np.arange(x.size).reshape(shape)
        positions = apply("gather_positions", lambda i: np.take(grid, checked(i), axis=a),
                          (index,),
                          batch=lambda i: np.moveaxis(np.take(grid, checked(i), axis=a), a, 0))
        return (_scatter_flat(g, positions, shape),)
    return apply("gather", lambda v, i: np.take(v, checked(i), axis=a), (x, index), grad,
                 inputs=(x,), saves=False, label=name, batch=_batched_take(checked, a))


def gather_nd(params, indices, batch_dims=0, name=None):
    """``params`` at the coordinates in the last axis of ``indices``.

    With ``m = indices.shape[-1]`` the output shape is
    ``indices.shape[:-1] + params.shape[m:]``.
    """
    x = check.tensor("gather_nd", params, "params")
    if check.integer("gather_nd", "batch_dims", batch_dims) != 0:
        raise ValueError(f"gather_nd: only batch_dims=0 is supported. Received: "
                         f"batch_dims={batch_dims!r}")
    index = _index_tensor("gather_nd", indices)
    index_shape = index._value.shape
    if len(index_shape) == 0 or index_shape[-1] > x.ndim:
        raise ValueError(f"gather_nd: indices of shape {index_shape} need a last axis "
                         f"of at most {x.ndim} coordinates for params of shape {x.shape}.")
    shape = x._value.shape

    def positions(i):
        return _nd_positions(i, shape)

    def grad(g, _):
        # positions() broadcasts over the leading axes of the indices, a batch axis too
        where = apply("gather_nd_positions", positions, (index,), batch=positions)
        return (_scatter_flat(g, where, shape),)
    return apply("gather_nd", lambda v, i: np.reshape(v, -1)[positions(i)], (x, index), grad,
                 inputs=(x,), saves=False, label=name,
                 batch=flagged(lambda batched, v, i: _batched_nd(batched, v, i, positions)))


def _nd_positions(index, shape):
    """The flat positions in an array of ``shape`` of the coordinates in ``index``'s
    last axis (range-checked)."""
    m = index.shape[-1]
    for i in range(m):
        _in_range("gather_nd", index[..., i], shape[i], i, allow_negative=False)
    grid = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)
    return (grid[tuple(np.moveaxis(index, -1, 0))] if m else
            np.broadcast_to(grid, index.shape[:-1] + shape))


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
    key = (slice(None),) * a + (DYNAMIC,)
    return _advanced("boolean_mask", x, key, (m,), label=name)


# ------------------------------------------- row and flat primitives

def _take_rows(op, x, index, allow_negative=False, label=None):
    """``x[index]`` for an integer Tensor ``index`` of rows (range-checked when the op
    runs, negatives wrapped if allowed); gradient: IndexedSlices."""
    n = x._value.shape[0]

    def rows(i):
        return _in_range(op, i, n, 0, allow_negative).astype(np.int64, copy=False)

    def grad(g, _):
        flat = apply(op + "_rows", lambda i: rows(i).reshape(-1), (index,),
                     batch=lambda i: rows(i).reshape(len(i), math.prod(i.shape[1:])))
        if index.ndim != 1:
            g = reshape(g, (index.size,) + x.shape[1:])
        return (IndexedSlices._unchecked(g, flat, x.shape),)
    return apply(op, lambda v, i: np.take(v, _in_range(op, i, n, 0, allow_negative), axis=0),
                 (x, index), grad, inputs=(x,), saves=False, label=label,
                 batch=_batched_take(lambda i: _in_range(op, i, n, 0, allow_negative), 0))


def scatter_rows(values, indices, n_rows):
    """Zeros of shape ``(n_rows,) + values.shape[1:]`` with row ``values[k]`` added at
    ``indices[k]``: how an ``IndexedSlices`` densifies (duplicates summed)."""
    v = check.tensor("scatter_rows", values, "values")
    index = _index_tensor("scatter_rows", indices)
    n_rows = int(n_rows)
    if v.ndim == 0 or index._value.shape != v.shape[:1]:
        raise ValueError(f"scatter_rows: values of shape {v.shape} need one row per index "
                         f"({index._value.size} indices).")

    def scattered(a, i):
        if i.shape != a.shape[:1]:       # shapes a trace fixed may change on replay
            raise ValueError(f"scatter_rows: values of shape {a.shape} need one row per "
                             f"index ({i.size} indices).")
        rows = _in_range("scatter_rows", i, n_rows, 0, allow_negative=False)
        return scatter.scatter_add_rows(a, rows, n_rows)

    def batched_scattered(a, i):
        """One scatter into the rows of all examples, example b's into its block."""
        if i.shape != a.shape[:2]:
            raise ValueError(f"scatter_rows: values of shape {a.shape[1:]} need one row per "
                             f"index ({i.shape[1:]} indices).")
        rows = _in_range("scatter_rows", i, n_rows, 0, allow_negative=False).astype(np.int64)
        rows += n_rows * np.arange(len(i), dtype=np.int64)[:, None]
        out = scatter.scatter_add_rows(a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:]),
                                       rows.reshape(-1), len(i) * n_rows)
        return out.reshape((len(i), n_rows) + a.shape[2:])
    return apply("scatter_rows", scattered, (v, index),
                 lambda g, _: (_take_rows("gather", g, index),), inputs=(v,), saves=False,
                 batch=batched_scattered)


def _scatter_flat(g, positions, shape):
    """Zeros of ``shape`` with ``g``'s elements added at flat ``positions`` (a Tensor)."""
    size = int(np.prod(shape, dtype=np.int64))

    def scattered(v, p):
        if v.size != p.size:   # the kernel does not bounds-check: refuse, never read past v
            raise ValueError(f"scatter_flat: {v.size} values for {p.size} positions.")
        return scatter.scatter_add_flat(v, p, size).reshape(shape)

    def batched_scattered(batched, v, p):
        """One scatter-add into the whole batch, example b's into its block."""
        n = len(v) if batched[0] else len(p)
        if math.prod(v.shape[batched[0]:]) != math.prod(p.shape[batched[1]:]):
            raise ValueError(f"scatter_flat: per-example values and positions differ in "
                             f"size ({v.shape} and {p.shape}, batched {batched}).")
        v = v if batched[0] else np.broadcast_to(v, (n,) + v.shape)
        where = batched_positions(p, batched[1], n, size)
        return scatter.scatter_add_flat(v, where, n * size).reshape((n,) + tuple(shape))
    return apply("scatter_flat", scattered, (g, positions),
                 lambda h, _: (_take_flat("gather", h, positions),), inputs=(g,), saves=False,
                 any_shape=True, batch=flagged(batched_scattered))


def _take_flat(op, x, positions):
    """Flat elements of ``x`` at ``positions`` (a Tensor; shaped like it); the adjoint of
    ``_scatter_flat``."""
    shape = x._value.shape
    return apply(op, _flat_at, (x, positions),
                 lambda g, _: (_scatter_flat(g, positions, shape),), inputs=(x,), saves=False,
                 batch=read_flat)


def _flat_at(v, positions):
    return np.reshape(v, -1)[positions]


# ------------------------------------------------- batching rules (vectorized_map)

def _batched_take(checked, axis):
    """The batching rule of ``np.take(v, checked(i), axis)``: a shared ``i`` picks along
    the shifted axis; a batched ``i`` from a shared ``v`` is one take whose index axes
    move to the front; with both batched, each example picks from its own block."""
    def rule(batched, v, i):
        if batched == (True, False):
            return np.take(v, checked(i), axis=axis + 1)
        if batched == (False, True):
            return np.moveaxis(np.take(v, checked(i), axis=axis), axis, 0)
        return _take_per_example(v, checked(i), axis)
    return flagged(rule)


def _take_per_example(v, i, axis):
    """``np.take(v[b], i[b], axis)`` for every b, as one take: the batch axis moved
    next to ``axis`` and merged with it, example b's indices offset to its block."""
    n, size = v.shape[0], v.shape[axis + 1]
    blocks = np.moveaxis(v, 0, axis).reshape(
        v.shape[1:axis + 1] + (n * size,) + v.shape[axis + 2:])
    offsets = (np.arange(n, dtype=np.int64) * size).reshape((n,) + (1,) * (i.ndim - 1))
    taken = np.take(blocks, i.astype(np.int64, copy=False) + offsets, axis=axis)
    return np.moveaxis(taken, axis, 0)


def _moves_to_front(key):
    """Whether numpy puts the advanced-index axes of ``key`` first (they are separated
    by a slice, None or Ellipsis): then a batch axis in front would move too."""
    items = key if type(key) is tuple else (key,)
    advanced = [i for i, k in enumerate(items)
                if not (isinstance(k, slice) or k is None or k is Ellipsis)]
    if not any(isinstance(items[i], np.ndarray) and items[i].ndim for i in advanced):
        return False
    return bool(advanced) and advanced[-1] - advanced[0] + 1 != len(advanced)


def _batched_nd(batched, v, i, positions):
    """The batching rule of gather_nd (``v.flat[positions(i)]``; positions() takes
    indices with any leading axes, a batch axis too)."""
    return read_flat(batched, v, positions(i))


# ------------------------------------------------------------ helpers

def _index_tensor(op, indices):
    """``indices`` as an integer Tensor, else TypeError."""
    if isinstance(indices, list) and not indices:
        return wrap_constant(np.zeros(0, np.int64))
    index = check.tensor(op, indices, "indices")
    dtype = index._value.dtype
    if dtype.kind not in "iu":
        if index._value.size == 0:
            return wrap_constant(np.zeros(index._value.shape, np.int64))
        raise TypeError(f"{op}: indices must be integers, got {dtype}. "
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
