"""2-D pooling kernels over NHWC images, with implicit padding.

``geom`` is (kh, kw, sh, sw, pad_top, pad_left, out_h, out_w). Max pooling
returns, beside each maximum, the flat index of the input element it came
from, so its backward is a scatter-add (scatter.py's) and the backward's
backward a gather. NaN propagates (as ``reduce_max`` and PyTorch): the first
NaN in row-major window order is the window's maximum, wherever it sits, and
receives its gradient (numpy's argmax picks the same element); among equal
maxima the first wins too. Loops visit only the in-image part of a window, so
a huge window costs no more than the image.
Average pooling divides by the number of in-image elements of each window
(TensorFlow's SAME semantics).
"""
import math

import numpy as np

from ._jit import kernel
from .scatter import scatter_add_flat


@kernel
def _max_pool(x, kh, kw, sh, sw, pt, pl, oh, ow):
    """Window maxima (the first NaN wins) and their flat input indices.

    The window's first in-image element starts each maximum (SAME windows always
    hold one); later elements replace it by a select over the channel row, so
    the loop over channels vectorizes.
    """
    n, h, w, c = x.shape
    out = np.empty((n, oh, ow, c), x.dtype)
    arg = np.empty((n, oh, ow, c), np.int64)
    for b in range(n):
        for i in range(oh):
            y0, y1 = max(i * sh - pt, 0), min(i * sh - pt + kh, h)
            for j in range(ow):
                z0, z1 = max(j * sw - pl, 0), min(j * sw - pl + kw, w)
                best, where = out[b, i, j], arg[b, i, j]
                for y in range(y0, y1):
                    for z in range(z0, z1):
                        base = ((b * h + y) * w + z) * c
                        if y == y0 and z == z0:
                            for ch in range(c):
                                best[ch] = x[b, y, z, ch]
                                where[ch] = base + ch
                            continue
                        for ch in range(c):
                            v, m = x[b, y, z, ch], best[ch]
                            take = v > m or (v != v and m == m)   # NaN wins, first one
                            best[ch] = v if take else m
                            where[ch] = base + ch if take else where[ch]
    return out, arg


@kernel
def _avg_pool(x, kh, kw, sh, sw, pt, pl, oh, ow):
    n, h, w, c = x.shape
    out = np.zeros((n, oh, ow, c), x.dtype)
    for b in range(n):
        for i in range(oh):
            y0, y1 = max(i * sh - pt, 0), min(i * sh - pt + kh, h)
            for j in range(ow):
                z0, z1 = max(j * sw - pl, 0), min(j * sw - pl + kw, w)
                for y in range(y0, y1):
                    for z in range(z0, z1):
                        for ch in range(c):
                            out[b, i, j, ch] += x[b, y, z, ch]
                count = (y1 - y0) * (z1 - z0)
                for ch in range(c):
                    out[b, i, j, ch] /= count
    return out


@kernel
def _avg_pool_grad(g, h, w, kh, kw, sh, sw, pt, pl):
    n, oh, ow, c = g.shape
    dx = np.zeros((n, h, w, c), g.dtype)
    for b in range(n):
        for i in range(oh):
            y0, y1 = max(i * sh - pt, 0), min(i * sh - pt + kh, h)
            for j in range(ow):
                z0, z1 = max(j * sw - pl, 0), min(j * sw - pl + kw, w)
                count = (y1 - y0) * (z1 - z0)
                for y in range(y0, y1):
                    for z in range(z0, z1):
                        for ch in range(c):
                            dx[b, y, z, ch] += g[b, i, j, ch] / count
    return dx


def _f32(x):
    """C-ordered, native byte order, and float16 widened to float32 (numba has no
    half arithmetic)."""
    x = np.ascontiguousarray(x)
    if x.dtype.kind == "f" and x.dtype.itemsize < 4:
        return x.astype(np.float32)
    return x if x.dtype.isnative else x.astype(x.dtype.newbyteorder("="))


def max_pool(x, geom):
    """(max of each window, flat input index of that max)."""
    kh, kw, sh, sw, pt, pl, oh, ow = geom
    out, arg = _max_pool(_f32(x), kh, kw, sh, sw, pt, pl, oh, ow)
    return out.astype(x.dtype, copy=False), arg


def scatter_add(values, index, shape):
    """An array of ``shape`` with ``values`` summed in at flat ``index``."""
    return scatter_add_flat(values, index, math.prod(shape)).reshape(shape)


def avg_pool(x, geom):
    """Mean of the in-image elements of each window."""
    kh, kw, sh, sw, pt, pl, oh, ow = geom
    return _avg_pool(_f32(x), kh, kw, sh, sw, pt, pl, oh, ow).astype(x.dtype, copy=False)


def avg_pool_grad(g, image_shape, geom):
    """Transpose of ``avg_pool``: each output's gradient spread over its window."""
    kh, kw, sh, sw, pt, pl, _, _ = geom
    g = np.asarray(g)
    dx = _avg_pool_grad(_f32(g), image_shape[1], image_shape[2], kh, kw, sh, sw, pt, pl)
    return dx.astype(g.dtype, copy=False)
