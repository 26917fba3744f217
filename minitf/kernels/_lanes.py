"""Reductions of one short row (1-D array) that vectorize: max, sum and dot product.

Without fastmath LLVM keeps a loop's additions in order, one after another,
so a plain ``total += a[j]`` runs at one element per add latency. These
helpers keep 16 independent lanes (lane k takes elements k, k + 16, ...),
which LLVM turns into SIMD registers, then fold the lanes pairwise. Sums are
float64 whatever the input (float32 rows lose nothing to the order). The
caller owns the 16-entry scratch ``lanes`` array (allocated once per kernel
call, not per row).

Kernels that use these helpers recompile when this file changes
(``_jit._stamp_helper_files``).
"""
import numpy as np

from ._jit import helper

LANES = 16


@helper
def _fold_sum(lanes):
    for k in range(8):
        lanes[k] += lanes[k + 8]
    for k in range(4):
        lanes[k] += lanes[k + 4]
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])


@helper
def lane_max(a, lanes):
    """The largest entry of ``a`` (-inf when empty). A NaN may be skipped: callers
    that need NaN to spread get it from the arithmetic that follows."""
    full = a.size - a.size % LANES
    lanes[:] = -np.inf
    for j in range(0, full, LANES):
        for k in range(LANES):
            lanes[k] = max(lanes[k], a[j + k])
    for k in range(8):
        lanes[k] = max(lanes[k], lanes[k + 8])
    for k in range(4):
        lanes[k] = max(lanes[k], lanes[k + 4])
    m = max(max(lanes[0], lanes[1]), max(lanes[2], lanes[3]))
    for j in range(full, a.size):
        m = max(m, a[j])
    return m


@helper
def lane_sum(a, lanes):
    """sum(a) in float64 (``lanes`` a float64 scratch)."""
    full = a.size - a.size % LANES
    lanes[:] = 0.0
    for j in range(0, full, LANES):
        for k in range(LANES):
            lanes[k] += a[j + k]
    total = _fold_sum(lanes)
    for j in range(full, a.size):
        total += a[j]
    return total


@helper
def lane_dot(a, b, lanes):
    """sum(a * b) in float64, products exact (``lanes`` a float64 scratch)."""
    full = a.size - a.size % LANES
    lanes[:] = 0.0
    for j in range(0, full, LANES):
        for k in range(LANES):
            lanes[k] += np.float64(a[j + k]) * b[j + k]
    total = _fold_sum(lanes)
    for j in range(full, a.size):
        total += np.float64(a[j]) * b[j]
    return total
