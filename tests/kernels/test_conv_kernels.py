"""im2col / col2im: compiled vs py_func, vs a slicing reference, and adjointness."""
import numpy as np
import pytest

from minitf.kernels import conv as K

rng = np.random.default_rng(3)

# (kh, kw, sh, sw, dh, dw, pad_top, pad_left, pad_bottom, pad_right)
CASES = [(3, 3, 1, 1, 1, 1, 1, 1, 1, 1), (2, 2, 2, 2, 1, 1, 0, 0, 1, 1),
         (2, 3, 2, 1, 1, 1, 0, 1, 0, 1), (3, 2, 1, 2, 2, 1, 2, 0, 2, 0),
         (1, 1, 1, 1, 1, 1, 0, 0, 0, 0), (1, 1, 2, 2, 1, 1, 0, 0, 0, 0),
         (3, 3, 1, 2, 3, 1, 4, 5, 6, 3)]     # whole rows and columns of taps in the padding


def _geom(x_shape, case):
    kh, kw, sh, sw, dh, dw, pt, pl, pb, pr = case
    oh = (x_shape[1] + pt + pb - (kh - 1) * dh - 1) // sh + 1
    ow = (x_shape[2] + pl + pr - (kw - 1) * dw - 1) // sw + 1
    return (kh, kw, sh, sw, dh, dw, pt, pl, oh, ow)


def im2col_ref(x, case):
    """Zero-pad explicitly, then slice each tap: an independent im2col."""
    kh, kw, sh, sw, dh, dw, pt, pl, pb, pr = case
    _, _, _, _, _, _, _, _, oh, ow = _geom(x.shape, case)
    xp = np.pad(x, [(0, 0), (pt, pb + sh), (pl, pr + sw), (0, 0)])
    taps = [xp[:, p * dh: p * dh + sh * oh: sh, q * dw: q * dw + sw * ow: sw, :]
            for p in range(kh) for q in range(kw)]
    return np.stack(taps, axis=3).reshape(x.shape[0] * oh * ow, -1)


def col2im_ref(cols, shape, case):
    """Add each tap's column block into an explicitly padded image, then crop."""
    kh, kw, sh, sw, dh, dw, pt, pl, pb, pr = case
    _, _, _, _, _, _, _, _, oh, ow = _geom(shape, case)
    n, h, w, c = shape
    xp = np.zeros((n, h + pt + pb + sh, w + pl + pr + sw, c), cols.dtype)
    blocks = cols.reshape(n, oh, ow, kh, kw, c)
    for p in range(kh):
        for q in range(kw):
            rows, cols = slice(p * dh, p * dh + sh * oh, sh), slice(q * dw, q * dw + sw * ow, sw)
            xp[:, rows, cols] += blocks[:, :, :, p, q]
    return xp[:, pt: pt + h, pl: pl + w]


# (batch, height, width, channels): one channel takes its own loops in both kernels
SHAPES = [(2, 5, 6, 3), (1, 7, 5, 1), (3, 4, 9, 1), (2, 6, 7, 17)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_matches_reference_and_py_func(case, shape, dtype):
    x = rng.standard_normal(shape).astype(dtype)
    geom = _geom(x.shape, case)
    cols = K.im2col(x, geom)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, im2col_ref(x, case))
    python = K._im2col.py_func(x, 0, shape[0], *geom, np.full_like(cols, np.nan))
    np.testing.assert_array_equal(python, im2col_ref(x, case))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", CASES)
def test_col2im_matches_reference_and_is_the_adjoint_of_im2col(case, shape):
    x = rng.standard_normal(shape)
    geom = _geom(x.shape, case)
    c = rng.standard_normal(im2col_ref(x, case).shape)
    back = K.col2im(c, x.shape, geom)
    np.testing.assert_allclose(back, col2im_ref(c, x.shape, case), rtol=1e-12, atol=1e-12)
    # <im2col(x), c> == <x, col2im(c)> for every x, c
    np.testing.assert_allclose(np.sum(K.im2col(x, geom) * c), np.sum(x * back), rtol=1e-12)
    python = K._col2im.py_func(c, 0, shape[0], *geom, np.zeros(x.shape))
    np.testing.assert_allclose(python, back, rtol=1e-12)


@pytest.mark.parametrize("case", [CASES[0], CASES[3]])
def test_kernels_work_on_a_range_of_images(case):
    """b0..b1 picks images and writes rows from 0: the chunked loops rely on it."""
    x = rng.standard_normal((4, 5, 6, 2))
    geom = _geom(x.shape, case)
    cols = im2col_ref(x, case).reshape(4, -1, geom[0] * geom[1] * 2)
    part = K._im2col(x, 1, 3, *geom, np.empty((2 * geom[8] * geom[9], cols.shape[2])))
    np.testing.assert_array_equal(part, cols[1:3].reshape(part.shape))
    back = K._col2im(part, 1, 3, *geom, np.zeros(x.shape))
    np.testing.assert_array_equal(back[[0, 3]], 0)
    np.testing.assert_allclose(back[1:3], col2im_ref(part, (2, 5, 6, 2), case), rtol=1e-12)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("chunk", [1, 1500, 1 << 20])
def test_chunked_conv_matmuls_match_full_formulas(case, chunk, monkeypatch):
    monkeypatch.setattr(K, "_CHUNK", chunk)    # 1: one image per chunk; 1500: uneven chunks
    x = rng.standard_normal((3, 5, 6, 2))
    geom = _geom(x.shape, case)
    cols = im2col_ref(x, case)
    wmat = rng.standard_normal((cols.shape[1], 4))
    g = rng.standard_normal((cols.shape[0], 4))
    np.testing.assert_allclose(K.conv_forward(x, wmat, geom), cols @ wmat, rtol=1e-12)
    np.testing.assert_allclose(K.conv_filter_grad(x, g, geom), cols.T @ g, rtol=1e-12)
    np.testing.assert_allclose(K.conv_input_grad(g, wmat, x.shape, geom),
                               col2im_ref(g @ wmat.T, x.shape, case), rtol=1e-12, atol=1e-12)
    bias = rng.standard_normal(4)
    np.testing.assert_allclose(K.conv_forward(x, wmat, geom, bias), cols @ wmat + bias,
                               rtol=1e-12)


def test_float32_bias_is_added_after_the_sum():
    """conv_forward(x, w, geom, b) == float32(im2col(x) @ w) + b, rounding included."""
    x = rng.standard_normal((3, 9, 8, 5)).astype(np.float32)
    geom = _geom(x.shape, CASES[0])
    wmat = rng.standard_normal((45, 7)).astype(np.float32)
    bias = rng.standard_normal(7).astype(np.float32)
    out = K.conv_forward(x, wmat, geom, bias)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, K.conv_forward(x, wmat, geom) + bias)
    exact = im2col_ref(x.astype(np.float64), CASES[0]) @ wmat.astype(np.float64) + bias
    np.testing.assert_allclose(out, exact, rtol=1e-4, atol=1e-5)   # float32 sums of 45


def test_half_precision_is_widened():
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float16)
    geom = _geom(x.shape, CASES[0])
    cols = K.im2col(x, geom)
    assert cols.dtype == np.float32
    np.testing.assert_array_equal(cols, im2col_ref(x.astype(np.float32), CASES[0]))
