"""Segment sums: rows of ``data`` added into the output row their segment id names.

The backward of a segment sum reads the gradient row of each id (negative ids,
dropped by ``unsorted_segment_sum``, get 0); the two primitives are each other's
adjoint, so derivatives of every order follow. Ids are checked whenever a kernel
runs, so a traced function replays (and checks) new ids.
"""
import numpy as np

from ..kernels import scatter
from . import _validate as check
from ._dispatch import apply, wrap_constant


def _data(op, data):
    """``data`` as a Tensor of numbers (bools raise TypeError, as in TensorFlow)."""
    x = check.tensor(op, data, "data")
    if x._value.dtype.kind == "b":
        raise TypeError(f"{op}: data of dtype bool is not supported; cast it with "
                        f"mtf.cast(data, mtf.int32) first. {check.received('data', data)}")
    return x


def _ids(op, segment_ids):
    """``segment_ids`` as an integer Tensor (an empty list is an empty int64 one)."""
    if isinstance(segment_ids, (list, tuple)) and not segment_ids:
        return wrap_constant(np.zeros(0, np.int64))
    ids = check.tensor(op, segment_ids, "segment_ids")
    if ids._value.dtype.kind != "i":
        raise TypeError(f"{op}: segment_ids must be int32 or int64, got "
                        f"{ids._value.dtype}. {check.received('segment_ids', segment_ids)}")
    return ids


def _check_prefix(op, ids_shape, data_shape):
    """ValueError unless the ids' shape starts the data's shape."""
    if tuple(data_shape[:len(ids_shape)]) != tuple(ids_shape):
        raise ValueError(f"{op}: segment_ids of shape {tuple(ids_shape)} must be a prefix "
                         f"of data's shape {tuple(data_shape)}.")


def _bounds(i):
    """(min, max) of a non-empty id array."""
    return scatter.index_bounds(i)


def _sorted_rows(d, i):
    """The rows ``segment_sum`` writes: max id + 1, after checking the ids."""
    if i.ndim != 1 or d.ndim == 0 or i.shape[0] != d.shape[0]:
        raise ValueError(f"segment_sum: segment_ids must be 1-D with one id per row of "
                         f"data; got shapes {i.shape} and {d.shape}.")
    if i.size == 0:
        return 0
    lo, hi = _bounds(i)
    if lo < 0:
        raise ValueError(f"segment_sum: segment ids must be >= 0, got {lo}.")
    if np.any(i[1:] < i[:-1]):
        raise ValueError("segment_sum: segment ids are not sorted in increasing order.")
    return hi + 1


def _scatter(d, i, n, op):
    """Zeros of shape ``(n,) + d.shape[i.ndim:]`` with each row of ``d`` added at its id;
    negative ids are dropped, ids >= n raise."""
    _check_prefix(op, i.shape, d.shape)
    rows = d.reshape((i.size,) + d.shape[i.ndim:])
    ids = i.reshape(-1)
    if ids.size:
        lo, hi = _bounds(ids)
        if hi >= n:
            raise ValueError(f"{op}: segment id {hi} is out of range [0, {n}).")
        if lo < 0:
            keep = ids >= 0
            rows, ids = rows[keep], ids[keep]
    return scatter.scatter_add_rows(rows, ids, n)


def segment_sum(data, segment_ids, name=None):
    """Sums of the rows of ``data`` by sorted ``segment_ids``; max id + 1 output rows.

    >>> mtf.math.segment_sum([1, 2, 3, 4], [0, 0, 2, 2]).numpy().tolist()
    [3, 0, 7]
    """
    x, ids = _data("segment_sum", data), _ids("segment_sum", segment_ids)
    if x.ndim == 0 or ids.ndim != 1 or ids.shape[0] != x.shape[0]:
        raise ValueError(f"segment_sum: segment_ids must be 1-D with one id per row of "
                         f"data; got shapes {ids.shape} and {x.shape}.")

    def summed(d, i):
        return _scatter(d, i, _sorted_rows(d, i), "segment_sum")

    def grad(g, _):
        return (_gather_drop_negatives(g, ids),)
    return apply("segment_sum", summed, (x, ids), grad, inputs=(x,), saves=False,
                 label=name, value_shaped=True)


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums of the entries of ``data`` by ``segment_ids`` (any order; negative ids
    dropped) into ``num_segments`` rows.

    >>> mtf.math.unsorted_segment_sum([1, 2, 3], [1, -1, 1], 2).numpy().tolist()
    [0, 4]
    """
    op = "unsorted_segment_sum"
    x, ids = _data(op, data), _ids(op, segment_ids)
    n = check.integer(op, "num_segments", num_segments, low=0)
    _check_prefix(op, ids.shape, x.shape)
    check.shape(op, (n,) + x.shape[ids.ndim:], "num_segments and data's shape")
    return _segment_scatter(x, ids, n, label=name)


def _segment_scatter(x, ids, n, label=None):
    """``unsorted_segment_sum`` of checked arguments (the adjoint of the gather below)."""
    def grad(g, _):
        return (_gather_drop_negatives(g, ids),)
    return apply("unsorted_segment_sum",
                 lambda d, i: _scatter(d, i, n, "unsorted_segment_sum"), (x, ids), grad,
                 inputs=(x,), saves=False, label=label)


def _gather_drop_negatives(g, ids):
    """Row ``g[id]`` for each id (shaped ``ids.shape + g.shape[1:]``), 0 for negative ids."""
    n = g.shape[0]

    def grad(h, _):
        return (_segment_scatter(h, ids, n),)
    return apply("segment_gather", _gather_rows, (g, ids), grad, inputs=(g,), saves=False)


def _gather_rows(v, i):
    """``v[i]`` along axis 0 with rows of 0 for negative ``i`` (ids >= rows raise)."""
    out = np.zeros(i.shape + v.shape[1:], v.dtype)
    keep = i >= 0
    top = _bounds(i)[1] if i.size else -1
    if top >= v.shape[0]:
        raise ValueError(f"segment_gather: segment id {top} is out of range "
                         f"[0, {v.shape[0]}).")
    out[keep] = v[i[keep]]
    return out
