"""Row kernels for sparse (IndexedSlices) optimizer updates.

A sparse update gathers the rows an IndexedSlices names out of the variable
and its slots into compact blocks, runs the optimizer's own fused kernel
(``kernels/optim.py``) on the blocks and writes them back; the math lives
there only. Here: the row copies, and the sum of squares that clip norms use,
in an order that does not depend on whether the gradient is dense or sparse.

Tables are 2-D C-contiguous ``(rows, width)`` arrays; row indices are unique,
validated int64. Copies move bits (float arrays are viewed as unsigned
integers of their width), so NaN payloads and signed zeros survive.
"""
import math

import numpy as np

from ._jit import helper, kernel


@kernel
def _take_rows(tables, rows, out):
    for t in range(len(tables)):
        table, block = tables[t], out[t]
        for k in range(rows.size):
            src, dst = table[rows[k]], block[k]
            for j in range(dst.size):
                dst[j] = src[j]


@kernel
def _put_rows(tables, rows, blocks):
    for t in range(len(tables)):
        table, block = tables[t], blocks[t]
        for k in range(rows.size):
            src, dst = block[k], table[rows[k]]
            for j in range(dst.size):
                dst[j] = src[j]


_UNSIGNED = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _bits(a):
    """``a`` viewed as unsigned integers of its item size (a bit-exact copy type)."""
    return a.view(_UNSIGNED[a.dtype.itemsize])


def take_rows(tables, rows):
    """``[t[rows] for t in tables]`` as one new ``(len(tables), len(rows), width)`` array;
    ``tables`` are 2-D arrays of one shape and dtype."""
    first = tables[0]
    out = np.empty((len(tables), rows.size, first.shape[1]), first.dtype)
    _take_rows(tuple(_bits(t) for t in tables), rows, _bits(out))
    return out


def put_rows(tables, rows, blocks):
    """``t[rows] = block`` for each table and block, in place."""
    if tables:
        _put_rows(tuple(_bits(t) for t in tables), rows, _bits(blocks))


# ---- sum of squares with a fixed order: element i of the dense array goes to
#      partial sum i % LANES, each partial sum runs in index order, and they are
#      added up in index order. Zeros add nothing, so the sum over a sparse
#      gradient's rows, visited in increasing row order, is the dense one bit for
#      bit. (Many lanes, walked by an inner loop of run-time length, let LLVM
#      vectorize it: numba does not run the SLP vectorizer.)

LANES = 64


@helper
def _squares_into(acc, x, first):
    """Add ``x[i]**2`` (in float64) to ``acc[(first + i) % acc.size]``, in order of i."""
    lanes, n = acc.size, x.size
    lane, i = first % lanes, 0
    while i < n:
        span = min(lanes - lane, n - i)
        part, sums = x[i:i + span], acc[lane:lane + span]    # views: the loop vectorizes
        for k in range(span):
            v = np.float64(part[k])
            sums[k] += v * v
        i += span
        lane = 0


@kernel(error_model="numpy")
def _sum_of_squares(x, acc):
    _squares_into(acc, x, 0)
    return acc.sum()


@kernel(error_model="numpy")
def _rows_sum_of_squares(block, rows, order, acc):
    width = block.shape[1]
    for k in order:
        _squares_into(acc, block[k], rows[k] * width)
    return acc.sum()


def _readable(x):
    """float32/float64 as they are; float16 widened to float32 (exactly)."""
    return x if x.dtype.itemsize >= 4 else x.astype(np.float32)


def sum_of_squares(x):
    """The sum of squares of a float array, in float64, in the fixed lane order."""
    flat = _readable(np.ascontiguousarray(x).reshape(-1))
    return float(_sum_of_squares(flat, np.zeros(LANES)))


def rows_sum_of_squares(block, rows):
    """``sum_of_squares`` of the dense array holding ``block[k]`` at row ``rows[k]`` (rows
    unique) and zeros elsewhere, bit for bit."""
    order = np.argsort(rows, kind="stable")
    flat = _readable(np.ascontiguousarray(block).reshape(len(rows), math.prod(block.shape[1:])))
    return float(_rows_sum_of_squares(flat, rows, order, np.zeros(LANES)))
