"""Scatter-add kernels: the backward of gather and indexing, duplicates summed.

numpy's unbuffered ``add`` at indices does the same but is slow; these loops are one pass each.
Indices must already be validated (numba does not bounds-check).
float16 is accumulated in float32 (numba has no float16 arithmetic) and cast back.
"""
import math

import numpy as np

from ._jit import kernel


@kernel
def _scatter_add_rows(values, indices, n_rows):
    out = np.zeros((n_rows, values.shape[1]), values.dtype)
    for k in range(indices.size):
        row = indices[k]
        for j in range(values.shape[1]):
            out[row, j] += values[k, j]
    return out


@kernel
def _scatter_add_flat(values, positions, size):
    out = np.zeros(size, values.dtype)
    for k in range(positions.size):
        out[positions[k]] += values[k]
    return out


def _compute_dtype(dtype):
    """The dtype the loops add in: float16 in float32, bool (logical or) in int64."""
    if dtype.kind == "b":
        return np.int64
    return np.float32 if dtype == np.float16 else dtype


def scatter_add_rows(values, indices, n_rows):
    """Zeros of shape ``(n_rows,) + values.shape[1:]`` with ``values[k]`` added at row
    ``indices[k]``."""
    values = np.asarray(values)
    width = math.prod(values.shape[1:])
    rows = np.ascontiguousarray(values.reshape(len(indices), width),
                                _compute_dtype(values.dtype))
    out = _scatter_add_rows(rows, np.ascontiguousarray(indices, np.int64), n_rows)
    return out.astype(values.dtype, copy=False).reshape((n_rows,) + values.shape[1:])


def scatter_add_flat(values, positions, size):
    """Zeros of length ``size`` with ``values.flat[k]`` added at ``positions.flat[k]``."""
    values = np.asarray(values)
    flat = np.ascontiguousarray(values.reshape(-1), _compute_dtype(values.dtype))
    out = _scatter_add_flat(flat, np.ascontiguousarray(positions, np.int64).reshape(-1), size)
    return out.astype(values.dtype, copy=False)


# ---- index checks and duplicate rows summed into a compact block (sparse updates)

@kernel
def _bounds(indices):
    lo = hi = indices[0]
    for k in range(1, indices.size):
        x = indices[k]
        if x < lo:
            lo = x
        elif x > hi:
            hi = x
    return lo, hi


def index_bounds(indices):
    """``(min, max)`` of a non-empty integer array as Python ints, in one pass."""
    if not indices.dtype.isnative:
        indices = indices.astype(indices.dtype.newbyteorder("="))
    lo, hi = _bounds(indices.reshape(-1))
    return int(lo), int(hi)


@kernel
def _sum_duplicates(values, indices):
    """Unique entries of ``indices`` in order of first appearance, and for each the sum
    of its rows of ``values``, added from zero in order of appearance (the additions a
    scatter-add into zeros makes). A linear-probing hash table maps rows to positions."""
    n = indices.size
    size = 16
    while size < 2 * n:
        size *= 2
    mask = size - 1
    table = np.full(size, -1, np.int64)
    rows = np.empty(n, np.int64)
    sums = np.empty((n, values.shape[1]), values.dtype)
    zero = np.zeros(1, values.dtype)[0]
    found = 0
    for k in range(n):
        row = indices[k]
        h = row * 2654435761
        slot = (h ^ (h >> 17)) & mask
        while table[slot] >= 0 and rows[table[slot]] != row:
            slot = (slot + 1) & mask
        at = table[slot]
        src = values[k]
        if at < 0:
            at = found
            table[slot] = at
            rows[at] = row
            found += 1
            dst = sums[at]
            for j in range(dst.size):
                dst[j] = zero + src[j]      # not src[j]: 0 + -0.0 is +0.0
        else:
            dst = sums[at]
            for j in range(dst.size):
                dst[j] += src[j]
    return rows[:found], sums[:found]


def sum_duplicates(values, indices):
    """``(rows, sums)``: the distinct ``indices`` (order of first appearance) and, for
    each, the sum of the ``values`` rows at it, shaped ``(len(rows),) + values.shape[1:]``.

    Scattering ``sums`` at ``rows`` into zeros gives, bit for bit, what
    ``scatter_add_rows(values, indices, n)`` gives: each element is added from
    zero in the same order. Indices must already be validated.
    """
    values = np.asarray(values)
    flat = values.reshape(len(indices), math.prod(values.shape[1:]))
    compute = _compute_dtype(values.dtype)
    if flat.dtype != compute or not flat.flags.c_contiguous:
        flat = np.ascontiguousarray(flat, compute)
    if indices.dtype != np.int64 or not indices.flags.c_contiguous:
        indices = np.ascontiguousarray(indices, np.int64)
    rows, sums = _sum_duplicates(flat, indices)
    sums = sums.astype(values.dtype, copy=False)
    return rows, sums.reshape((len(rows),) + values.shape[1:])
