"""Sorting: sort, argsort and math.top_k (TensorFlow's signatures).

Every sort is stable: ties keep their order (lower index first, in both
directions, as TensorFlow's top_k). NaN sorts as the largest value. sort and
top_k gather their values through the permutation (``_take_along``), so their
gradient sends each output gradient back to the position its value came from.
"""
import collections

import numpy as np

from .. import dtypes
from . import _validate as check
from ._dispatch import apply

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])
_DIRECTIONS = ("ASCENDING", "DESCENDING")
_INDEX_DTYPES = (dtypes.int32, dtypes.int64)


def _values(op, values, what="values"):
    """A numeric Tensor of rank >= 1 (bools raise TypeError)."""
    x = check.tensor(op, values, what)
    if x.dtype.kind == "b":
        raise TypeError(f"{op}: bool {what} of shape {x.shape} cannot be sorted; cast it "
                        f"with mtf.cast({what}, mtf.int32) first.")
    if x.ndim == 0:
        raise ValueError(f"{op}: {what} must have rank >= 1, got a scalar (shape ()).")
    return x


def _descending(op, direction):
    """Whether ``direction`` is "DESCENDING" (ValueError unless one of the two names)."""
    if not (isinstance(direction, str) and direction in _DIRECTIONS):
        raise ValueError(f"{op}: direction must be 'ASCENDING' or 'DESCENDING'. "
                         f"{check.received('direction', direction)}")
    return direction == "DESCENDING"


def _order_fn(axis, descending, dtype=np.int64, k=None):
    """The kernel of a stable argsort along ``axis`` (the first ``k`` positions)."""
    def order(a):
        if descending:                     # ascending on the reversed array, reversed
            n = a.shape[axis]
            out = np.flip(n - 1 - np.argsort(np.flip(a, axis), axis, kind="stable"), axis)
        else:
            out = np.argsort(a, axis, kind="stable")
        if k is not None:
            out = out[..., :k]
        return out.astype(dtype)
    return order


def _take_along(x, order, axis, op, label=None):
    """``x`` gathered along ``axis`` at the positions ``order`` (an int Tensor)."""
    n = x.shape[axis]

    def grad(g, _):
        return _put_along(g, order, axis, n), None
    return apply(op, lambda a, i: np.take_along_axis(a, i, axis), (x, order), grad,
                 saves=False, label=label)


def _put_along(g, order, axis, n):
    """Zeros of size ``n`` along ``axis`` with ``g`` placed at the positions ``order``."""
    def put(h, i):
        out = np.zeros(h.shape[:axis] + (n,) + h.shape[axis + 1:], h.dtype)
        np.put_along_axis(out, i, h, axis)
        return out

    def grad(h, _):
        return _take_along(h, order, axis, "take_along"), None
    return apply("put_along", put, (g, order), grad, saves=False)


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """The values sorted along ``axis``; gradients go back to where each value came from.

    >>> mtf.sort([3, 1, 2], direction="DESCENDING").numpy().tolist()
    [3, 2, 1]
    """
    x = _values("sort", values)
    axis = check.axis("sort", axis, x.ndim)
    order = apply("sort_order", _order_fn(axis, _descending("sort", direction)), (x,))
    return _take_along(x, order, axis, "sort", name)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """int32 indices that sort ``values`` along ``axis`` (always stable); no gradient.

    >>> mtf.argsort([3.0, 1.0, 2.0]).numpy().tolist()
    [1, 2, 0]
    """
    x = _values("argsort", values)
    axis = check.axis("argsort", axis, x.ndim)
    descending = _descending("argsort", direction)
    check.flag("argsort", "stable", stable)
    return apply("argsort", _order_fn(axis, descending, np.int32), (x,), label=name)


def top_k(input, k=1, sorted=True, index_type=dtypes.int32, name=None):
    """The k largest entries along the last axis and their indices (ties: lower index
    first); a named tuple ``(values, indices)``, always sorted largest first.

    >>> mtf.math.top_k([1.0, 3.0, 2.0], k=2).indices.numpy().tolist()
    [1, 2]
    """
    x = _values("top_k", input, "input")
    k = check.integer("top_k", "k", k, low=0)
    check.flag("top_k", "sorted", sorted)
    index_dtype = check.dtype("top_k", index_type, "index_type", _INDEX_DTYPES)
    if k > x.shape[-1]:
        raise ValueError(f"top_k: input must have at least k={k} entries in its last "
                         f"axis, got shape {x.shape}.")
    axis = x.ndim - 1
    indices = apply("top_k_indices", _order_fn(axis, True, index_dtype, k), (x,))
    return TopKV2(_take_along(x, indices, axis, "top_k", name), indices)
