"""Batching rules (``mtf.vectorized_map``) of the fused layer_norm ops.

The kernels normalize rows independently, so a batch of examples is just more
rows: one kernel call for all of them. A scale or offset that differs by
example is applied outside the kernel (y = xhat * scale + offset in the
kernel's order), and the per-example parameter gradients, which the kernel
would sum over every row of the batch, are sums over each example's rows.
"""
import math

import numpy as np

from ..kernels import layer_norm as _k
from ._batching import flagged, lifted


def _size(batched, arrays):
    """The batch size: the leading size of the first batched array."""
    return next(len(a) for a, flag in zip(arrays, batched) if flag)


def _spread(a, flag, n):
    return a if flag else np.broadcast_to(a, (n,) + a.shape)


def forward_rule(n_axes, eps, kinds):
    """The rule of layer_norm: inputs x and the parameters named in ``kinds``
    ("scale", "offset"); outputs (y, mean, rstd), the statistics one per row."""
    def rule(batched, x, *params):
        n = _size(batched, (x,) + params)
        x = _spread(x, batched[0], n)
        named = dict(zip(kinds, params))
        own = {k for k, flag in zip(kinds, batched[1:]) if flag}
        scale, offset = named.get("scale"), named.get("offset")
        inside_scale = None if "scale" in own else scale
        inside_offset = None if own else offset      # added after a per-example scale
        y, mean, rstd = _k.forward(x, inside_scale, inside_offset, _norm_size(x, n_axes),
                                   eps)
        if scale is not None and inside_scale is None:
            y = y * lifted(scale, x.ndim - 1)
        if offset is not None and inside_offset is None:
            y = y + (lifted(offset, x.ndim - 1) if "offset" in own else offset)
        rows = (n, _rows(x, n_axes))
        return y.astype(x.dtype, copy=False), mean.reshape(rows), rstd.reshape(rows)
    return flagged(rule)


def backward_rule(n_axes, scaled, count):
    """The rule of layer_norm_grad: inputs x, [scale], g, mean, rstd; outputs dx and,
    if ``count`` is 3, the per-example flat gradients of scale and offset."""
    def rule(batched, *arrays):
        n = _size(batched, arrays)
        if scaled:
            x, scale, g, mean, rstd = arrays
            scale_batched = batched[1]
        else:
            (x, g, mean, rstd), scale, scale_batched = arrays, None, False
        x, g = _spread(x, batched[0], n), _spread(g, batched[-3], n)
        mean, rstd = _spread(mean, batched[-2], n), _spread(rstd, batched[-1], n)
        size = _norm_size(x, n_axes)
        upstream = g * lifted(scale, g.ndim - 1) if scale_batched else g
        dx = _k.backward(x, None if scale_batched else scale, upstream, mean.reshape(-1),
                         rstd.reshape(-1), size, params=False)[0]
        if count == 1:
            return (dx,)
        shape = (n, _rows(x, n_axes), size)
        xhat = (x.reshape(shape) - mean[..., None]) * rstd[..., None]
        g3 = g.reshape(shape)
        dscale = np.einsum("brj,brj->bj", g3, xhat)
        doffset = g3.sum(axis=1, dtype=np.float64)
        return dx, dscale.astype(g.dtype), doffset.astype(g.dtype)
    return flagged(rule)


def _norm_size(x, n_axes):
    """The number of elements each row normalizes (the last ``n_axes`` axes)."""
    return math.prod(x.shape[x.ndim - n_axes:])


def _rows(x, n_axes):
    """The number of rows of one example of the batched ``x``."""
    return math.prod(x.shape[1:x.ndim - n_axes])
