"""im2col / col2im for NHWC convolutions, and the chunked matmuls built on them.

``im2col`` lays every receptive field out as one row, so a convolution is a
BLAS matmul with the filters seen as a (kh * kw * in_c, out_c) matrix;
``col2im`` is its transpose (scatter-add of rows back into an image). Padding
is implicit: out-of-image taps read as zero and are dropped on the way back.
``geom`` is (kh, kw, sh, sw, dh, dw, pad_top, pad_left, out_h, out_w).

The conv_* functions go a few images at a time through one reused buffer of
about ``_CHUNK`` elements: the full column matrix is kh * kw times the input,
and fresh memory that large costs more to fault in than the matmul itself.
Where the column matrix is no larger than the output (kh * kw * c <= out_c, a
first layer), the forward builds it whole and the filter gradient reuses it.
float16 is computed in float32 (numba has no half arithmetic).

Measured against these (benchmarks/cnn_step.py --ops): direct numba loops
(no column matrix, vectorized over output channels) lose to im2col + BLAS at
every channel count tried, 1 included (numba without fastmath keeps nothing
in registers across taps); numpy's sliding windows + matmul copy the same
matrix more slowly; one matmul over the whole batch is no faster than chunks.
"""
import numpy as np

from ._jit import helper, kernel

_CHUNK = 1 << 20


@helper
def _span(j_off, sw, size, ow):
    """[j0, j1): the outputs j whose tap j * sw + j_off lands inside 0..size-1."""
    j0 = min(ow, max(0, (sw - 1 - j_off) // sw))
    j1 = max(j0, min(ow, (size - 1 - j_off) // sw + 1))
    return j0, j1


@kernel
def _im2col(x, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cols):
    """Fill ``cols`` with the receptive fields of images b0..b1-1 of ``x``.

    One tap at a time over a row of outputs: the in-image outputs of a tap form
    one range, so the copy loop has no bounds test (padding is zeroed around it).
    """
    _, h, w, c = x.shape
    for b in range(b0, b1):
        for i in range(oh):
            row = ((b - b0) * oh + i) * ow
            for p in range(kh):
                y = i * sh + p * dh - pt
                for q in range(kw):
                    base, z_off = (p * kw + q) * c, q * dw - pl
                    j0, j1 = _span(z_off, sw, w, ow) if 0 <= y < h else (ow, ow)
                    for j in range(j0):
                        for ch in range(c):
                            cols[row + j, base + ch] = 0
                    if c == 1:          # the first layer of a network: no channel loop
                        for j in range(j0, j1):
                            cols[row + j, base] = x[b, y, j * sw + z_off, 0]
                    else:
                        for j in range(j0, j1):
                            for ch in range(c):
                                cols[row + j, base + ch] = x[b, y, j * sw + z_off, ch]
                    for j in range(j1, ow):
                        for ch in range(c):
                            cols[row + j, base + ch] = 0
    return cols


@kernel
def _col2im(cols, b0, b1, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, x):
    """Add the rows of ``cols`` into images b0..b1-1 of ``x`` (the transpose of _im2col).

    Row by row (each row of ``cols`` read once, in order); one input channel
    goes tap by tap instead, over the in-image range of each tap.
    """
    _, h, w, c = x.shape
    for b in range(b0, b1):
        for i in range(oh):
            row = ((b - b0) * oh + i) * ow
            if c == 1:
                _col2im_taps(cols, b, i, row, kh, kw, sh, sw, dh, dw, pt, pl, ow, x)
                continue
            for j in range(ow):
                for p in range(kh):
                    y = i * sh + p * dh - pt
                    if y < 0 or y >= h:
                        continue
                    for q in range(kw):
                        z = j * sw + q * dw - pl
                        if z < 0 or z >= w:
                            continue
                        base = (p * kw + q) * c
                        for ch in range(c):
                            x[b, y, z, ch] += cols[row + j, base + ch]
    return x


@helper
def _col2im_taps(cols, b, i, row, kh, kw, sh, sw, dh, dw, pt, pl, ow, x):
    """_col2im of output row i of image b for a one-channel ``x``."""
    h, w = x.shape[1], x.shape[2]
    for p in range(kh):
        y = i * sh + p * dh - pt
        if y < 0 or y >= h:
            continue
        for q in range(kw):
            z_off = q * dw - pl
            j0, j1 = _span(z_off, sw, w, ow)
            for j in range(j0, j1):
                x[b, y, j * sw + z_off, 0] += cols[row + j, p * kw + q]


def im2col(x, geom):
    """Rows of receptive fields of all images: (n * out_h * out_w, kh * kw * c)."""
    x = _f32(x)
    kh, kw, *_, oh, ow = geom
    cols = np.empty((x.shape[0] * oh * ow, kh * kw * x.shape[3]), x.dtype)
    return _im2col(x, 0, x.shape[0], *geom, cols)


def col2im(cols, image_shape, geom):
    """Sum rows of receptive fields back into an image of ``image_shape`` (NHWC)."""
    cols = _f32(cols)
    return _col2im(cols, 0, image_shape[0], *geom, np.zeros(image_shape, cols.dtype))


def columns_worth_keeping(x, out_channels, geom):
    """im2col(x) when it is no larger than the convolution's output (kh * kw * c <=
    out_c, as in a first layer), so the forward can hand it to the filter
    gradient instead of both building it; else None."""
    if geom[0] * geom[1] * x.shape[3] > out_channels or _is_pointwise(x.shape, geom):
        return None
    return im2col(x, geom)


def conv_forward(x, wmat, geom, bias=None, cols=None):
    """im2col(x) @ wmat (+ bias), as (n * out_h * out_w, out_c); ``cols`` is
    im2col(x) if the caller has it. The bias is added chunk by chunk while the
    matmul's output is still in cache."""
    x, wmat = _f32(x), _f32(wmat)
    out = np.empty((x.shape[0] * geom[8] * geom[9], wmat.shape[1]), x.dtype)
    if bias is not None:
        bias = np.asarray(bias, x.dtype)
    for rows, chunk in _chunks(x, geom) if cols is None else [(slice(None), cols)]:
        np.matmul(chunk, wmat, out=out[rows])
        if bias is not None:
            out[rows] += bias
    return out


def conv_filter_grad(x, g2d, geom, cols=None):
    """im2col(x).T @ g2d, as (kh * kw * c, out_c); ``cols`` as in conv_forward."""
    x, g2d = _f32(x), _f32(g2d)
    if cols is not None:
        return cols.T @ g2d
    out = np.zeros((geom[0] * geom[1] * x.shape[3], g2d.shape[1]), x.dtype)
    for rows, chunk in _chunks(x, geom):
        out += chunk.T @ g2d[rows]
    return out


def conv_input_grad(g2d, wmat, image_shape, geom):
    """col2im(g2d @ wmat.T): the input gradient, an image of ``image_shape``."""
    g2d, wmat = _f32(g2d), _f32(wmat)
    if _is_pointwise(image_shape, geom):
        return (g2d @ wmat.T).reshape(image_shape)
    out = np.zeros(image_shape, g2d.dtype)
    per_image = geom[8] * geom[9]
    step = max(1, _CHUNK // (per_image * wmat.shape[0]))
    buf = np.empty((min(step, image_shape[0]) * per_image, wmat.shape[0]), g2d.dtype)
    for b0 in range(0, image_shape[0], step):
        b1 = min(b0 + step, image_shape[0])
        cols = buf[: (b1 - b0) * per_image]
        np.matmul(g2d[b0 * per_image: b1 * per_image], wmat.T, out=cols)
        _col2im(cols, b0, b1, *geom, out)
    return out


def _chunks(x, geom):
    """Yield (row slice, im2col of the images in it), a few images at a time."""
    n, per_image = x.shape[0], geom[8] * geom[9]
    if _is_pointwise(x.shape, geom):
        yield slice(0, n * per_image), x.reshape(-1, x.shape[3])
        return
    width = geom[0] * geom[1] * x.shape[3]
    step = max(1, _CHUNK // (per_image * width))
    buf = np.empty((min(step, n) * per_image, width), x.dtype)
    for b0 in range(0, n, step):
        b1 = min(b0 + step, n)
        cols = _im2col(x, b0, b1, *geom, buf[: (b1 - b0) * per_image])
        yield slice(b0 * per_image, b1 * per_image), cols


def _is_pointwise(image_shape, geom):
    """A 1x1 window with stride 1 and no padding: im2col is a reshape."""
    kh, kw, sh, sw, _, _, pt, pl, oh, ow = geom
    return kh == kw == sh == sw == 1 and pt == pl == 0 and tuple(image_shape[1:3]) == (oh, ow)


def _f32(a):
    """C-ordered, and float16 widened to float32."""
    a = np.ascontiguousarray(a)
    return a.astype(np.float32) if a.dtype.itemsize < 4 else a
