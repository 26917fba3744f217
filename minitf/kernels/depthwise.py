"""Depthwise convolution of NHWC images: one loop over taps for all three bilinear maps.

Input channel c meets only filter[:, :, c, :]: output channel c * multiplier + k
is the window sum of x[..., c] * filter[p, q, c, k]. With x's channels repeated
``multiplier`` times (nothing to do for multiplier 1, the usual case) every map
is elementwise over the channels of one tap. Images are flat, and each tap's
filter row is tiled out_w times, so for a stride of 1 the in-image outputs of a
row and tap (conv's ``_span``) are ONE contiguous segment of the output, of the
input and of the tiled row: the innermost loop is long enough to vectorize
(per-pixel loops over 16 channels stay scalar). The three maps differ only in
which of the three segments receives the products (``_MODES``); the filter
gradient accumulates into the tiled rows and folds them at the end.
``geom`` is conv's (kh, kw, sh, sw, dh, dw, pad_top, pad_left, out_h, out_w).
float16 is computed in float32 (numba has no half arithmetic).
"""
import numpy as np

from ._jit import helper, kernel
from .conv import _span

FORWARD, INPUT_GRAD, FILTER_GRAD = 0, 1, 2


@helper
def _segment(mode, out, x, taps, o0, x0, t0, length):
    """One segment: out += x * taps, x += out * taps, or taps += x * out (by mode)."""
    ov, xv, tv = out[o0: o0 + length], x[x0: x0 + length], taps[t0: t0 + length]
    if mode == 0:
        for e in range(length):
            ov[e] += xv[e] * tv[e]
    elif mode == 1:
        for e in range(length):
            xv[e] += ov[e] * tv[e]
    else:
        for e in range(length):
            tv[e] += xv[e] * ov[e]


@kernel
def _taps(mode, out, x, taps, n, h, width, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow):
    """Every (output pixel, tap, input pixel) triple of the convolution, by segments:
    ``out`` (n * oh * ow * c,), ``x`` (n * h * width * c,), ``taps`` (kh * kw, ow * c)."""
    for b in range(n):
        for i in range(oh):
            for p in range(kh):
                y = i * sh + p * dh - pt
                if y < 0 or y >= h:
                    continue
                for q in range(kw):
                    z_off, row = q * dw - pl, taps[p * kw + q]
                    j0, j1 = _span(z_off, sw, width, ow)
                    o0, x0 = (b * oh + i) * ow * c, ((b * h + y) * width + z_off) * c
                    if sw == 1:
                        _segment(mode, out, x, row, o0 + j0 * c, x0 + j0 * c, j0 * c,
                                 (j1 - j0) * c)
                        continue
                    for j in range(j0, j1):
                        _segment(mode, out, x, row, o0 + j * c, x0 + j * sw * c, j * c, c)


def forward(x, w, geom):
    """The depthwise convolution of x (NHWC) with w [kh, kw, c, m]: (n, oh, ow, c * m)."""
    x, w = _f32(x), _f32(w)
    n, h, width, _ = x.shape
    cm = w.shape[2] * w.shape[3]
    out = np.zeros(n * geom[8] * geom[9] * cm, x.dtype)
    _taps(FORWARD, out, _repeated(x, w.shape[3]), _tiled(w, geom[9]), n, h, width, cm, *geom)
    return out.reshape(n, geom[8], geom[9], cm)


def input_grad(g, w, image_shape, geom):
    """d forward / d x applied to ``g``: an image of ``image_shape``."""
    g, w = _f32(g), _f32(w)
    n, h, width, c = image_shape
    m = w.shape[3]
    dx = np.zeros(n * h * width * c * m, g.dtype)
    _taps(INPUT_GRAD, g.reshape(-1), dx, _tiled(w, geom[9]), n, h, width, c * m, *geom)
    return dx.reshape(n, h, width, c) if m == 1 else dx.reshape(n, h, width, c, m).sum(axis=4)


def filter_grad(x, g, filter_shape, geom):
    """d forward / d w applied to ``g``: filters of ``filter_shape``."""
    x, g = _f32(x), _f32(g)
    n, h, width, _ = x.shape
    kh, kw, c, m = filter_shape
    rows = np.zeros((kh * kw, geom[9] * c * m), x.dtype)
    _taps(FILTER_GRAD, g.reshape(-1), _repeated(x, m), rows, n, h, width, c * m, *geom)
    return rows.reshape(kh, kw, geom[9], c, m).sum(axis=2)


def _repeated(x, m):
    """x flat, each channel repeated m times."""
    return (x if m == 1 else np.repeat(x, m, axis=3)).reshape(-1)


def _tiled(w, ow):
    """w [kh, kw, c, m] as (taps, ow * c * m): each tap's row repeated ow times."""
    return np.ascontiguousarray(np.tile(w.reshape(w.shape[0] * w.shape[1], -1), (1, ow)))


def _f32(a):
    """C-ordered and writable (``_taps`` is one kernel for the three maps, typed with
    every operand writable), and float16 widened to float32."""
    a = np.ascontiguousarray(a)
    if a.dtype.itemsize < 4:
        return a.astype(np.float32)
    return a if a.flags.writeable else a.copy()
