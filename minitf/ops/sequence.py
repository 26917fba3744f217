"""Sequence ops without gradients: sequence_mask and unique (TensorFlow's semantics).

Both can have outputs whose shape depends on input values (``sequence_mask``
without ``maxlen``, ``unique``'s ``y``): they pass ``value_shaped=True``.
"""
import numpy as np

from .. import dtypes
from . import _validate as check
from ._dispatch import apply


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool_, name=None):
    """``mask[..., j] = j < lengths[...]`` for j in [0, maxlen) (``max(lengths)`` when None).

    >>> mtf.sequence_mask([1, 3], 4).numpy().astype(int).tolist()
    [[1, 0, 0, 0], [1, 1, 1, 0]]
    """
    n = check.tensor("sequence_mask", lengths, "lengths")
    if n.dtype.kind != "i":
        raise TypeError(f"sequence_mask: lengths must be int32 or int64, got {n.dtype}. "
                        f"{check.received('lengths', lengths)}")
    out_dtype = check.dtype("sequence_mask", dtype)
    if maxlen is not None:
        maxlen = check.integer("sequence_mask", "maxlen", maxlen, low=0)
    return apply("sequence_mask", _mask_fn(maxlen, out_dtype), (n,), label=name,
                 value_shaped=maxlen is None)


def _mask_fn(maxlen, dtype):
    """The kernel of ``sequence_mask`` (``maxlen`` None: the largest length, 0 if none)."""
    def run(n):
        m = maxlen if maxlen is not None else max(int(n.max()) if n.size else 0, 0)
        if m * max(n.size, 1) > check._MAX_ELEMENTS:
            raise ValueError(f"sequence_mask: a mask of {n.size} x {m} elements is too "
                             f"large for any array.")
        try:
            return (np.arange(m) < n[..., None]).astype(dtype, copy=False)
        except MemoryError:
            raise ValueError(f"sequence_mask: a mask of {n.size} x {m} elements does not "
                             f"fit in memory.") from None
    return run


def unique(x, out_idx=dtypes.int32, name=None):
    """``(y, idx)``: the distinct elements of 1-D ``x`` in order of first occurrence,
    and for each element of ``x`` its position in ``y`` (``x == gather(y, idx)``).

    >>> [t.numpy().tolist() for t in mtf.unique([4, 1, 4, 2])]
    [[4, 1, 2], [0, 1, 0, 2]]
    """
    t = check.tensor("unique", x, "x")
    if t.ndim != 1:
        raise ValueError(f"unique: x must be 1-D, got shape {t.shape}. "
                         f"{check.received('x', x)}")
    idx_dtype = check.dtype("unique", out_idx, "out_idx", allowed=(dtypes.int32, dtypes.int64))
    y = apply("unique", lambda v: _first_occurrence(v)[0], (t,), label=name,
              value_shaped=True)
    idx = apply("unique_idx", lambda v: _first_occurrence(v)[1].astype(idx_dtype), (t,),
                label=name)
    return y, idx


def _first_occurrence(v):
    """(distinct values of ``v`` by first occurrence, index of each element among them).

    NaNs are all distinct, as in TensorFlow (NaN != NaN)."""
    if v.size == 0:
        return v.copy(), np.zeros(0, np.int64)
    values, first, inverse = np.unique(v, return_index=True, return_inverse=True,
                                       equal_nan=False)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return values[order], rank[inverse.reshape(-1)]
