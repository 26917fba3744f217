"""Layer normalization of each row of a (rows, n) array: forward and backward, one
pass per row each.

forward:  y = (x - mean) * rstd * gamma + beta, rstd = 1 / sqrt(var + eps), with
          the mean and the (two-pass) variance of each row in float64.
backward: with v = g * gamma and xhat = (x - mean) * rstd,
          dx = rstd * (v - mean(v) - xhat * mean(v * xhat)),
          dgamma = sum over rows of g * xhat, dbeta = sum over rows of g.
Row reductions use ``_lanes`` (vectorized); the per-feature sums run down the
rows elementwise, in float64. The wrappers take arrays of any leading shape
(the normalized axes last, flattened to n) and compute float16 in float32.
"""
import math

import numpy as np

from ._jit import kernel
from ._lanes import LANES, lane_dot, lane_sum


@kernel(error_model="numpy")
def _forward(x, gamma, beta, eps):
    rows, n = x.shape
    y = np.empty_like(x)
    mean, rstd = np.empty(rows), np.empty(rows)
    sums = np.empty(LANES)
    for r in range(rows):
        row, dst = x[r], y[r]
        mu = lane_sum(row, sums) / n
        for j in range(n):
            dst[j] = row[j] - mu
        rs = 1.0 / math.sqrt(lane_dot(dst, dst, sums) / n + eps)
        for j in range(n):
            dst[j] = (row[j] - mu) * rs * gamma[j] + beta[j]
        mean[r], rstd[r] = mu, rs
    return y, mean, rstd


@kernel(error_model="numpy")
def _backward(x, gamma, g, mean, rstd, params):
    rows, n = x.shape
    dx = np.empty_like(g)
    dgamma, dbeta = np.zeros(n), np.zeros(n)
    v, xhat, sums = np.empty(n), np.empty(n), np.empty(LANES)
    for r in range(rows):
        row, gr, dst = x[r], g[r], dx[r]
        mu, rs = mean[r], rstd[r]
        for j in range(n):
            xhat[j] = (row[j] - mu) * rs
            v[j] = gr[j] * np.float64(gamma[j])
        a = lane_sum(v, sums) / n
        b = lane_dot(v, xhat, sums) / n
        for j in range(n):
            dst[j] = rs * ((v[j] - a) - xhat[j] * b)
        if params:
            for j in range(n):
                dgamma[j] += gr[j] * xhat[j]
                dbeta[j] += gr[j]
    return dx, dgamma, dbeta


# ------------------------------------------------------------ numpy references

def forward_reference(x, gamma, beta, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(var + eps)
    return (x - mean) * rstd * gamma + beta, mean[:, 0], rstd[:, 0]


def backward_reference(x, gamma, g, mean, rstd):
    xhat = (x - mean[:, None]) * rstd[:, None]
    v = g * gamma
    dx = rstd[:, None] * (v - v.mean(-1, keepdims=True)
                          - xhat * (v * xhat).mean(-1, keepdims=True))
    return dx, (g * xhat).sum(0), g.sum(0)


# ------------------------------------------------------------------- wrappers

def _work(a, n):
    """``a`` as a C-ordered (rows, n) array of float32 or float64."""
    a = np.asarray(a)
    dtype = np.float32 if a.dtype.itemsize <= 4 else np.float64
    return np.ascontiguousarray(a, dtype=dtype).reshape(a.size // n if n else 0, n)


def _params(gamma, beta, n, dtype):
    """gamma and beta as flat arrays of ``dtype`` (ones and zeros when None)."""
    gamma = np.ones(n, dtype) if gamma is None else np.asarray(gamma, dtype).reshape(n)
    beta = np.zeros(n, dtype) if beta is None else np.asarray(beta, dtype).reshape(n)
    return gamma, beta


def forward(x, gamma, beta, n, eps):
    """(y, mean, rstd) normalizing the last ``n`` elements of each row of ``x``
    (gamma/beta None: 1 and 0); y has x's shape and dtype, the statistics are
    float64, one per row."""
    x = np.asarray(x)
    x2 = _work(x, n)
    gamma, beta = _params(gamma, beta, n, x2.dtype)
    y, mean, rstd = _forward(x2, gamma, beta, float(eps))
    with np.errstate(over="ignore"):
        return y.reshape(x.shape).astype(x.dtype, copy=False), mean, rstd


def backward(x, gamma, g, mean, rstd, n, params=True):
    """(dx, dgamma, dbeta) for upstream ``g`` given the forward's statistics; dx has
    g's shape and dtype, dgamma and dbeta are flat (None unless ``params``)."""
    g = np.asarray(g)
    g2 = _work(g, n)
    gamma, _ = _params(gamma, None, n, g2.dtype)
    dx, dgamma, dbeta = _backward(_work(x, n), gamma, g2, mean, rstd, bool(params))
    dx = dx.reshape(g.shape).astype(g.dtype, copy=False)
    if not params:
        return dx, None, None
    return dx, dgamma.astype(g.dtype), dbeta.astype(g.dtype)
