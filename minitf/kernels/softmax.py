"""Softmax along one axis: softmax, log-softmax, their backward, and the fused
softmax cross-entropies (loss and backprop in one pass per row).

float32 (and float16, computed in float32) along the last axis, the layout of
attention scores and logits, runs the row kernels below: each row is read
once into the cache and finished there (maximum, exponentials, sum, scale),
with the exponential of ``_float32`` and the row reductions of ``_lanes``, so
every loop vectorizes. Other dtypes
and axes run the numpy references (numpy's exp is vectorized and exact to an
ulp; the reductions work along any axis without moving it). The cross-entropy
kernels take C-ordered 2-D arrays (rows, classes); their wrappers move the class
axis last and back.
"""
import math

import numpy as np

from . import _float32 as f32m
from ._jit import helper, kernel
from ._parallel import chunked_kernel, run
from ._lanes import LANES, lane_dot, lane_max, lane_sum


@helper
def _exp_row(x, r, out):
    """out[r] = exp(x[r] - max(x[r])); returns (that max, the sum of out[r])."""
    m = -np.inf
    for j in range(x.shape[1]):
        m = max(m, x[r, j])
    total = 0.0
    for j in range(x.shape[1]):
        e = math.exp(x[r, j] - m)
        out[r, j] = e
        total += e
    return m, total


def _softmax_rows_body(out, x):
    peak, sums = np.empty(LANES, x.dtype), np.empty(LANES)
    for r in range(x.shape[0]):
        row, dst = x[r], out[r]
        m = lane_max(row, peak)
        for j in range(row.size):
            dst[j] = f32m.exp_sum(row[j], -m)
        scale = np.float32(1.0 / lane_sum(dst, sums))
        for j in range(row.size):
            dst[j] *= scale


def _log_softmax_rows_body(out, x):
    peak, sums = np.empty(LANES, x.dtype), np.empty(LANES)
    for r in range(x.shape[0]):
        row, dst = x[r], out[r]
        m = lane_max(row, peak)
        for j in range(row.size):
            dst[j] = f32m.exp_sum(row[j], -m)
        log_total = np.float32(math.log(lane_sum(dst, sums)))
        for j in range(row.size):
            dst[j] = (row[j] - m) - log_total


def _softmax_grad_rows_body(out, y, g):
    sums = np.empty(LANES)
    for r in range(y.shape[0]):
        yr, gr, dst = y[r], g[r], out[r]
        dot = np.float32(lane_dot(gr, yr, sums))
        for j in range(yr.size):
            dst[j] = yr[j] * (gr[j] - dot)


def _log_softmax_grad_rows_body(out, y, g):
    sums = np.empty(LANES)
    for r in range(y.shape[0]):
        yr, gr, dst = y[r], g[r], out[r]
        total = np.float32(lane_sum(gr, sums))
        for j in range(yr.size):
            dst[j] = gr[j] - f32m.exp_sum(yr[j], np.float32(0.0)) * total


# Row kernels write ``out`` (rows of the last array's shape); large inputs run in
# blocks of rows on both cores (_parallel.run).
_softmax_rows = chunked_kernel(_softmax_rows_body)
_log_softmax_rows = chunked_kernel(_log_softmax_rows_body)
_softmax_grad_rows = chunked_kernel(_softmax_grad_rows_body)
_log_softmax_grad_rows = chunked_kernel(_log_softmax_grad_rows_body)


@kernel
def _xent_rows(labels, logits):
    """loss[r] = -sum(labels * log_softmax(logits)); backprop = d loss / d logits."""
    loss = np.empty(logits.shape[0], logits.dtype)
    backprop = np.empty_like(logits)
    for r in range(logits.shape[0]):
        m, total = _exp_row(logits, r, backprop)
        log_total = math.log(total)
        acc, mass = 0.0, 0.0
        for j in range(logits.shape[1]):
            acc -= labels[r, j] * (logits[r, j] - m - log_total)
            mass += labels[r, j]
        loss[r] = acc
        for j in range(logits.shape[1]):
            backprop[r, j] = backprop[r, j] / total * mass - labels[r, j]
    return loss, backprop


@kernel
def _sparse_xent_rows(labels, logits):
    """loss[r] = logsumexp(logits[r]) - logits[r, labels[r]]; backprop = softmax - onehot."""
    loss = np.empty(logits.shape[0], logits.dtype)
    backprop = np.empty_like(logits)
    for r in range(logits.shape[0]):
        m, total = _exp_row(logits, r, backprop)
        for j in range(logits.shape[1]):
            backprop[r, j] /= total
        k = labels[r]
        loss[r] = m + math.log(total) - logits[r, k]
        backprop[r, k] -= 1
    return loss, backprop


def _rows(x, axis):
    """``x`` with ``axis`` moved last, as a C-ordered float32/64 2-D array."""
    x = np.asarray(x)
    if axis != x.ndim - 1:
        x = np.moveaxis(x, axis, -1)
    if x.dtype.itemsize < 4:
        x = x.astype(np.float32)
    return np.ascontiguousarray(x).reshape(math.prod(x.shape[:-1]), x.shape[-1])


def _unrows(out, like, axis):
    """Undo ``_rows``: the shape, axis order and dtype of ``like``."""
    shape = like.shape
    out = out.reshape(shape[:axis] + shape[axis + 1:] + (shape[axis],))
    if axis != like.ndim - 1:
        out = np.moveaxis(out, -1, axis)
    return out.astype(like.dtype, copy=False)


# ------------------------------------------------ numpy references and wrappers

def softmax_reference(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis, keepdims=True)


def log_softmax_reference(x, axis):
    shifted = x - x.max(axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis, keepdims=True))


def softmax_grad_reference(y, g, axis):
    return y * (g - (g * y).sum(axis, keepdims=True))


def log_softmax_grad_reference(y, g, axis):
    return g - np.exp(y) * g.sum(axis, keepdims=True)


def _along(reference, rows, arrays, axis):
    """``rows`` (a row kernel) on float32 arrays along their last axis, else
    ``reference``; float16 computes in float32; the result has arrays[-1]'s dtype."""
    like = arrays[-1]
    dtype = like.dtype
    if dtype.itemsize < 4:
        arrays = [a.astype(np.float32) for a in arrays]
    if arrays[-1].dtype == np.float32 and axis == like.ndim - 1:
        n = like.shape[-1]
        flat = [np.ascontiguousarray(a).reshape(like.size // n if n else 0, n)
                for a in arrays]
        out = np.empty(flat[-1].shape, np.float32)
        run(rows, out, *flat)
        out = out.reshape(like.shape)
    else:
        with np.errstate(all="ignore"):
            out = reference(*arrays, axis)
    return out.astype(dtype, copy=False)


def softmax(x, axis):
    """exp(x) / sum(exp(x)) along ``axis`` (>= 0), with the max subtracted first."""
    return _along(softmax_reference, _softmax_rows, [np.asarray(x)], axis)


def log_softmax(x, axis):
    """x - logsumexp(x) along ``axis`` (>= 0)."""
    return _along(log_softmax_reference, _log_softmax_rows, [np.asarray(x)], axis)


def softmax_grad(y, g, axis):
    """y * (g - sum(g * y)) along ``axis``: softmax's backward given its output y."""
    return _along(softmax_grad_reference, _softmax_grad_rows,
                  [np.asarray(y), np.asarray(g)], axis)


def log_softmax_grad(y, g, axis):
    """g - exp(y) * sum(g) along ``axis``: log_softmax's backward given its output y."""
    return _along(log_softmax_grad_reference, _log_softmax_grad_rows,
                  [np.asarray(y), np.asarray(g)], axis)


def softmax_xent(labels, logits, axis):
    """(loss, backprop) of softmax cross-entropy; loss drops ``axis``."""
    logits = np.asarray(logits)
    loss, backprop = _xent_rows(_rows(labels, axis), _rows(logits, axis))
    shape = logits.shape[:axis] + logits.shape[axis + 1:]
    return (loss.reshape(shape).astype(logits.dtype, copy=False),
            _unrows(backprop, logits, axis))


def sparse_xent(labels, logits):
    """(loss, backprop) of sparse softmax cross-entropy over the last axis.

    ``labels`` must already be checked to lie in [0, classes).
    """
    logits = np.asarray(logits)
    last = logits.ndim - 1
    flat_labels = np.ascontiguousarray(labels, dtype=np.int64).reshape(-1)
    loss, backprop = _sparse_xent_rows(flat_labels, _rows(logits, last))
    return (loss.reshape(logits.shape[:-1]).astype(logits.dtype, copy=False),
            _unrows(backprop, logits, last))
