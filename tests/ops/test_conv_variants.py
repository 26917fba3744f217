"""conv1d, conv2d_transpose and depthwise_conv2d: values vs direct numpy loops written
from each definition (and jax.lax's convolutions), empty operands, dtypes,
errors, gradients of first and second order vs float64 central differences."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import minitf as mtf
from minitf.testing import check_gradients

rng = np.random.default_rng(41)
nn = mtf.nn


# ---------------------------------------------------------------- references

def _same_pads(size, k, s, d):
    """TensorFlow's SAME padding of one axis: (before, after), the smaller half first."""
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _pads(padding, sizes, ks, ss, ds):
    """[(before, after)] for the two spatial axes."""
    if padding == "SAME":
        return [_same_pads(n, k, s, d) for n, k, s, d in zip(sizes, ks, ss, ds)]
    if padding == "VALID":
        return [(0, 0), (0, 0)]
    return [tuple(padding[1]), tuple(padding[2])]


def _out_size(size, before, after, k, s, d):
    return (size + before + after - (k - 1) * d - 1) // s + 1


def depthwise_ref(x, w, strides, padding, dilations=(1, 1)):
    """out[b, i, j, c * m + k] = sum_pq xpad[b, i*s + p*d, j*s + q*d, c] * w[p, q, c, k]."""
    kh, kw, c, m = w.shape
    (pt, pb), (pl, pr) = _pads(padding, x.shape[1:3], (kh, kw), strides, dilations)
    xp = np.pad(x.astype(np.float64), [(0, 0), (pt, pb), (pl, pr), (0, 0)])
    oh = _out_size(x.shape[1], pt, pb, kh, strides[0], dilations[0])
    ow = _out_size(x.shape[2], pl, pr, kw, strides[1], dilations[1])
    out = np.zeros((x.shape[0], oh, ow, c * m))
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    pix = xp[:, i * strides[0] + p * dilations[0],
                             j * strides[1] + q * dilations[1], :]
                    for k in range(m):
                        out[:, i, j, k::m] += pix * w[p, q, :, k]
    return out


def conv_ref(x, w, strides, padding, dilations=(1, 1)):
    """Plain conv2d (cross-correlation) by windows, for the transpose's shape rule."""
    kh, kw, _, o = w.shape
    (pt, pb), (pl, pr) = _pads(padding, x.shape[1:3], (kh, kw), strides, dilations)
    xp = np.pad(x.astype(np.float64), [(0, 0), (pt, pb), (pl, pr), (0, 0)])
    oh = _out_size(x.shape[1], pt, pb, kh, strides[0], dilations[0])
    ow = _out_size(x.shape[2], pl, pr, kw, strides[1], dilations[1])
    out = np.zeros((x.shape[0], oh, ow, o))
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    out[:, i, j, :] += xp[:, i * strides[0] + p * dilations[0],
                                          j * strides[1] + q * dilations[1], :] @ w[p, q]
    return out


def transpose_ref(x, w, out_shape, strides, padding, dilations=(1, 1)):
    """Scatter: input pixel (i, j) adds w[p, q] @ x[b, i, j] at (i*s + p*d - pad_before)."""
    kh, kw = w.shape[:2]
    (pt, _), (pl, _) = _pads(padding, out_shape[1:3], (kh, kw), strides, dilations)
    out = np.zeros(out_shape)
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            for p in range(kh):
                for q in range(kw):
                    y = i * strides[0] + p * dilations[0] - pt
                    z = j * strides[1] + q * dilations[1] - pl
                    if 0 <= y < out_shape[1] and 0 <= z < out_shape[2]:
                        out[:, y, z, :] += x[:, i, j, :] @ w[p, q].T
    return out


def conv1d_ref(x, w, stride, padding, dilation=1):
    """out[b, j, o] = sum_q,c xpad[b, j*stride + q*dilation, c] * w[q, c, o]."""
    k = w.shape[0]
    before, after = _same_pads(x.shape[1], k, stride, dilation) if padding == "SAME" else (0, 0)
    xp = np.pad(x.astype(np.float64), [(0, 0), (before, after), (0, 0)])
    n_out = _out_size(x.shape[1], before, after, k, stride, dilation)
    out = np.zeros((x.shape[0], n_out, w.shape[2]))
    for j in range(n_out):
        for q in range(k):
            out[:, j, :] += xp[:, j * stride + q * dilation, :] @ w[q]
    return out


def _explicit(top, bottom, left, right):
    return [[0, 0], [top, bottom], [left, right], [0, 0]]


# ---------------------------------------------------------------- conv1d

CONV1D_CASES = [(1, "VALID", 1), (2, "VALID", 1), (1, "SAME", 1), (2, "SAME", 1),
                (3, "SAME", 1), (1, "SAME", 2), (1, "VALID", 2), ([2], "SAME", [1]),
                ([1, 2, 1], "VALID", [1, 1, 1])]


@pytest.mark.parametrize("stride,padding,dilations", CONV1D_CASES)
def test_conv1d_matches_reference(stride, padding, dilations):
    x, w = rng.standard_normal((2, 9, 3)), rng.standard_normal((3, 3, 4))
    s = stride if isinstance(stride, int) else stride[len(stride) // 2]
    d = dilations if isinstance(dilations, int) else dilations[len(dilations) // 2]
    got = nn.conv1d(x, w, stride, padding, dilations=dilations)
    np.testing.assert_allclose(got.numpy(), conv1d_ref(x, w, s, padding, d), rtol=1e-12,
                               atol=1e-12)
    check_gradients(lambda a, b: nn.conv1d(a, b, stride, padding, dilations=dilations),
                    [x[:1, :6], w[:, :, :2]])


@pytest.mark.parametrize("data_format", ["NWC", "NHWC", None])
def test_conv1d_formats_and_dtypes(data_format):
    for dtype, tol in [(np.float16, 2e-2), (np.float32, 1e-5), (np.float64, 1e-12)]:
        x = rng.standard_normal((1, 5, 2)).astype(dtype)
        w = rng.standard_normal((2, 2, 3)).astype(dtype)
        got = nn.conv1d(x, w, 1, "SAME", data_format=data_format)
        assert got.numpy().dtype == dtype and got.shape == (1, 5, 3)
        np.testing.assert_allclose(got.numpy(), conv1d_ref(x, w, 1, "SAME"), rtol=tol,
                                   atol=tol)


def test_conv1d_empty_operands():
    assert nn.conv1d(np.zeros((0, 4, 2)), np.ones((2, 2, 3)), 1, "VALID").shape == (0, 3, 3)
    got = nn.conv1d(np.ones((2, 4, 0)), np.ones((2, 0, 3)), 1, "SAME")
    assert got.shape == (2, 4, 3) and not got.numpy().any()
    assert nn.conv1d(np.ones((1, 0, 2)), np.ones((2, 2, 1)), 1, "SAME").shape == (1, 0, 1)


def test_conv1d_second_order():
    def grads(x, w):
        with mtf.GradientTape() as tape:
            tape.watch([x, w])
            y = nn.conv1d(x, w, 2, "SAME")
            total = mtf.reduce_sum(y * y)
        return tape.gradient(total, [x, w])
    check_gradients(grads, [rng.standard_normal((1, 5, 2)), rng.standard_normal((2, 2, 2))],
                    rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kwargs,error,text", [
    (dict(data_format="NCW"), ValueError, "data_format"),
    (dict(data_format="NCHW"), ValueError, "data_format"),
    (dict(stride=0), ValueError, "stride"),
    (dict(stride=[2, 2]), ValueError, "stride"),
    (dict(stride=[2, 2, 2]), ValueError, "stride"),
    (dict(stride=1.5), TypeError, "stride"),
    (dict(dilations=[1, 2]), ValueError, "dilations"),
    (dict(padding="FULL"), ValueError, "padding"),
    (dict(padding=[[0, 0], [1, 1], [0, 0]]), ValueError, "padding"),
    (dict(input=np.ones((1, 2, 3, 2))), ValueError, "3-D"),
    (dict(filters=np.ones((2, 2))), ValueError, "3-D"),
    (dict(filters=np.ones((2, 3, 1))), ValueError, "channels"),
    (dict(filters=np.ones((0, 2, 1))), ValueError, "spatial"),
    (dict(filters=mtf.constant(np.ones((2, 2, 1)))), TypeError, "dtype"),
    (dict(input=np.ones((1, 4, 2), np.int32)), TypeError, "floating"),
    (dict(filters=np.ones((7, 2, 1), np.float32)), ValueError, "larger"),
])
def test_conv1d_errors(kwargs, error, text):
    args = dict(input=np.ones((1, 4, 2), np.float32), filters=np.ones((2, 2, 1), np.float32),
                stride=1, padding="VALID")
    with pytest.raises(error, match=text) as info:
        nn.conv1d(**dict(args, **kwargs))
    assert str(info.value).startswith("conv1d")


# ---------------------------------------------------------------- conv2d_transpose

TRANSPOSE_CASES = [  # image (n, h, w, out_c), kernel, strides, padding, dilations
    ((2, 6, 6, 3), (3, 3), 2, "SAME", 1), ((1, 5, 7, 2), (3, 2), 2, "SAME", 1),
    ((1, 7, 6, 2), (3, 3), 2, "VALID", 1), ((1, 8, 8, 1), (3, 3), 2, "VALID", 1),
    ((2, 5, 5, 2), (3, 3), 1, "SAME", 2), ((1, 6, 5, 2), (2, 2), [1, 3], "SAME", 1),
    ((1, 4, 4, 2), (2, 3), [1, 2, 2, 1], "VALID", [1, 1, 1, 1]),
    ((1, 5, 5, 2), (3, 3), 2, _explicit(1, 0, 2, 1), 1), ((1, 4, 4, 2), (1, 1), 1, "SAME", 1),
]


def _transpose_case(image, kernel, strides, padding, dilations, in_c=3):
    w = rng.standard_normal(kernel + (image[3], in_c))
    pair = _pair(strides), _pair(dilations)
    x_shape = conv_ref(np.zeros(image), w, pair[0], padding, pair[1]).shape
    return rng.standard_normal(x_shape), w, pair


def _pair(v):
    v = [v] if isinstance(v, int) else list(v)
    return (v[0], v[0]) if len(v) == 1 else tuple(v[1:3]) if len(v) == 4 else tuple(v)


@pytest.mark.parametrize("image,kernel,strides,padding,dilations", TRANSPOSE_CASES)
def test_conv2d_transpose_matches_reference(image, kernel, strides, padding, dilations):
    x, w, (s, d) = _transpose_case(image, kernel, strides, padding, dilations)
    f = lambda a, b: nn.conv2d_transpose(a, b, image, strides, padding,  # noqa: E731
                                         dilations=dilations)
    np.testing.assert_allclose(f(x, w).numpy(), transpose_ref(x, w, image, s, padding, d),
                               rtol=1e-12, atol=1e-12)
    check_gradients(f, [x, w])


@pytest.mark.parametrize("image,kernel,strides,padding,dilations", TRANSPOSE_CASES[:5])
def test_conv2d_transpose_is_the_adjoint_of_conv2d(image, kernel, strides, padding, dilations):
    """<conv2d(u, w), x> == <u, conv2d_transpose(x, w)> for every u and x."""
    x, w, _ = _transpose_case(image, kernel, strides, padding, dilations)
    u = rng.standard_normal(image)
    lhs = np.sum(nn.conv2d(u, w, strides, padding, dilations=dilations).numpy() * x)
    rhs = np.sum(u * nn.conv2d_transpose(x, w, image, strides, padding,
                                         dilations=dilations).numpy())
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_conv2d_transpose_output_shape_forms_and_dtypes():
    for dtype, tol in [(np.float16, 3e-2), (np.float32, 1e-5), (np.float64, 1e-12)]:
        x = rng.standard_normal((1, 2, 2, 3)).astype(dtype)
        w = rng.standard_normal((3, 3, 2, 3)).astype(dtype)
        want = transpose_ref(x.astype(np.float64), w.astype(np.float64), (1, 4, 4, 2),
                             (2, 2), "SAME")
        for shape in ([1, 4, 4, 2], (1, 4, 4, 2), np.array([1, 4, 4, 2]),
                      mtf.constant([1, 4, 4, 2]), mtf.constant([1, 4, 4, 2], mtf.int64)):
            got = nn.conv2d_transpose(x, mtf.Variable(w), shape, 2)
            assert got.numpy().dtype == dtype
            np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol)


def test_conv2d_transpose_empty_operands():
    got = nn.conv2d_transpose(np.zeros((0, 2, 2, 3)), np.ones((2, 2, 1, 3)), [0, 4, 4, 1], 2)
    assert got.shape == (0, 4, 4, 1)
    got = nn.conv2d_transpose(np.ones((1, 2, 2, 0)), np.ones((2, 2, 2, 0)), [1, 4, 4, 2], 2)
    assert got.shape == (1, 4, 4, 2) and not got.numpy().any()
    got = nn.conv2d_transpose(np.ones((1, 0, 2, 1)), np.ones((2, 2, 2, 1)), [1, 0, 4, 2], 2)
    assert got.shape == (1, 0, 4, 2)
    x, w = mtf.constant(np.ones((1, 2, 2, 0))), mtf.constant(np.ones((2, 2, 2, 0)))
    with mtf.GradientTape() as tape:
        tape.watch([x, w])
        y = nn.conv2d_transpose(x, w, [1, 4, 4, 2], 2)
    gx, gw = tape.gradient(y, [x, w])
    assert gx.shape == x.shape and gw.shape == w.shape


def test_conv2d_transpose_second_order():
    def grads(x, w):
        with mtf.GradientTape() as tape:
            tape.watch([x, w])
            y = nn.conv2d_transpose(x, w, [1, 5, 4, 2], 2, "SAME")
            total = mtf.reduce_sum(y * y * y)
        return tape.gradient(total, [x, w])
    x, w = rng.standard_normal((1, 3, 2, 3)), rng.standard_normal((3, 2, 2, 3))
    check_gradients(grads, [x, w], rtol=1e-4, atol=1e-6)


def _transpose_args(**kwargs):
    args = dict(input=np.ones((1, 2, 2, 3), np.float32), filters=np.ones((3, 3, 2, 3), np.float32),
                output_shape=[1, 4, 4, 2], strides=2, padding="SAME")
    return dict(args, **kwargs)


@pytest.mark.parametrize("kwargs,error,text", [
    (dict(data_format="NCHW"), ValueError, "data_format"),
    (dict(output_shape=[1, 7, 7, 2], padding="VALID"), ValueError,
     r"output_shape \[1, 7, 7, 2\].*gives \[1, 3, 3, 3\].*input.shape=\[1, 2, 2, 3\]"),
    (dict(output_shape=[1, 6, 6, 2]), ValueError, r"\[1, 6, 6, 2\].*\[1, 3, 3, 3\]"),
    (dict(output_shape=[2, 4, 4, 2]), ValueError, r"\[2, 4, 4, 2\].*\[2, 2, 2, 3\]"),
    (dict(output_shape=[1, 4, 4, 3]), ValueError, "3 channels but filters give 2"),
    (dict(output_shape=[1, 4, 4]), ValueError, "4 ints"),
    (dict(output_shape=[1, -4, 4, 2]), ValueError, "output_shape"),
    (dict(output_shape=[1.0, 4, 4, 2]), TypeError, "output_shape"),
    (dict(filters=np.ones((3, 3, 2, 2), np.float32)), ValueError, "3 channels"),
    (dict(filters=np.ones((3, 3, 2), np.float32)), ValueError, "4-D"),
    (dict(filters=mtf.constant(np.ones((3, 3, 2, 3)))), TypeError, "dtype"),
    (dict(input=np.ones((2, 2, 3), np.float32)), ValueError, "4-D"),
    (dict(strides=[1, 2, 2, 2]), ValueError, "strides"),
    (dict(dilations=0), ValueError, "dilations"),
    (dict(padding="same"), ValueError, "padding"),
    (dict(padding=_explicit(-1, 0, 0, 0)), ValueError, "padding"),
])
def test_conv2d_transpose_errors(kwargs, error, text):
    with pytest.raises(error, match=text) as info:
        nn.conv2d_transpose(**_transpose_args(**kwargs))
    assert str(info.value).startswith("conv2d_transpose")


# ---------------------------------------------------------------- depthwise_conv2d

DEPTHWISE_CASES = [  # image, filter (kh, kw, c, m), stride, padding, dilations
    ((2, 6, 7, 3), (3, 3, 3, 1), 1, "SAME", None), ((2, 6, 7, 3), (3, 2, 3, 2), 2, "SAME", None),
    ((1, 7, 6, 2), (3, 3, 2, 3), 2, "VALID", None), ((1, 7, 7, 2), (2, 3, 2, 1), 3, "SAME", None),
    ((2, 7, 6, 2), (3, 3, 2, 2), 1, "SAME", 2), ((1, 8, 8, 2), (3, 2, 2, 1), 1, "VALID", [2, 3]),
    ((1, 5, 6, 2), (3, 3, 2, 2), 1, _explicit(1, 2, 0, 1), None),
    ((1, 6, 6, 2), (2, 2, 2, 1), 2, _explicit(0, 1, 1, 1), [1, 1, 1, 1]),
    ((1, 4, 4, 5), (1, 1, 5, 2), 1, "VALID", 1),
]


@pytest.mark.parametrize("image,fshape,stride,padding,dilations", DEPTHWISE_CASES)
def test_depthwise_conv2d_matches_reference(image, fshape, stride, padding, dilations):
    x, w = rng.standard_normal(image), rng.standard_normal(fshape)
    d = _pair(1 if dilations is None else dilations)
    f = lambda a, b: nn.depthwise_conv2d(a, b, [1, stride, stride, 1], padding,  # noqa: E731
                                         dilations=dilations)
    want = depthwise_ref(x, w, (stride, stride), padding, d)
    np.testing.assert_allclose(f(x, w).numpy(), want, rtol=1e-12, atol=1e-12)
    check_gradients(f, [x[:1], w])


def test_depthwise_conv2d_hand_computed():
    """TensorFlow's documented example: a 2x1 filter with multiplier 2 over a 3x2 image."""
    x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32).reshape((1, 3, 2, 1))
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32).reshape((2, 1, 1, 2))
    got = nn.depthwise_conv2d(x, kernel, strides=[1, 1, 1, 1], padding="VALID")
    assert got.numpy().tolist() == [[[[10, 14], [14, 20]], [[18, 26], [22, 32]]]]


def test_depthwise_conv2d_is_conv2d_with_block_diagonal_filters():
    x, w = rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 2))
    full = np.zeros((3, 3, 3, 6))
    for c in range(3):
        full[:, :, c, 2 * c: 2 * c + 2] = w[:, :, c, :]
    got = nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME").numpy()
    np.testing.assert_allclose(got, nn.conv2d(x, full, 2, "SAME").numpy(), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("data_format", [None, "NHWC"])
def test_depthwise_conv2d_dtypes(data_format):
    for dtype, tol in [(np.float16, 3e-2), (np.float32, 1e-5), (np.float64, 1e-12)]:
        x = rng.standard_normal((1, 5, 4, 3)).astype(dtype)
        w = rng.standard_normal((2, 3, 3, 2)).astype(dtype)
        got = nn.depthwise_conv2d(mtf.constant(x), mtf.Variable(w), [1, 1, 1, 1], "SAME",
                                  data_format=data_format)
        assert got.numpy().dtype == dtype and got.shape == (1, 5, 4, 6)
        np.testing.assert_allclose(got.numpy(), depthwise_ref(x, w, (1, 1), "SAME"),
                                   rtol=tol, atol=tol)


def test_depthwise_conv2d_empty_operands():
    ones = np.ones
    assert nn.depthwise_conv2d(ones((0, 4, 4, 2)), ones((2, 2, 2, 1)), [1] * 4,
                               "SAME").shape == (0, 4, 4, 2)
    assert nn.depthwise_conv2d(ones((1, 4, 4, 0)), ones((2, 2, 0, 3)), [1] * 4,
                               "SAME").shape == (1, 4, 4, 0)
    assert nn.depthwise_conv2d(ones((1, 4, 4, 2)), ones((2, 2, 2, 0)), [1] * 4,
                               "VALID").shape == (1, 3, 3, 0)
    assert nn.depthwise_conv2d(ones((1, 0, 4, 2)), ones((2, 2, 2, 1)), [1, 2, 2, 1],
                               "SAME").shape == (1, 0, 2, 2)
    x, w = mtf.constant(ones((1, 0, 4, 2))), mtf.constant(ones((2, 2, 2, 1)))
    with mtf.GradientTape() as tape:
        tape.watch([x, w])
        y = nn.depthwise_conv2d(x, w, [1] * 4, "SAME")
    gx, gw = tape.gradient(y, [x, w])
    assert gx.shape == x.shape and gw.shape == w.shape and not gw.numpy().any()


@pytest.mark.parametrize("stride,padding", [(1, "SAME"), (2, "VALID"), (2, "SAME")])
def test_depthwise_conv2d_second_order(stride, padding):
    def grads(x, w):
        with mtf.GradientTape() as tape:
            tape.watch([x, w])
            y = nn.depthwise_conv2d(x, w, [1, stride, stride, 1], padding)
            total = mtf.reduce_sum(y * y * y)
        return tape.gradient(total, [x, w])
    x, w = rng.standard_normal((1, 5, 4, 2)), rng.standard_normal((2, 3, 2, 2))
    check_gradients(grads, [x, w], rtol=1e-4, atol=1e-6)


def _depthwise_args(**kwargs):
    args = dict(input=np.ones((1, 4, 4, 2), np.float32), filter=np.ones((2, 2, 2, 1), np.float32),
                strides=[1, 1, 1, 1], padding="SAME")
    return dict(args, **kwargs)


@pytest.mark.parametrize("kwargs,error,text", [
    (dict(data_format="NCHW"), ValueError, "data_format"),
    (dict(strides=1), TypeError, "strides"),
    (dict(strides=[1, 1]), ValueError, "strides"),
    (dict(strides=[1, 2, 1, 1]), ValueError, "same"),
    (dict(strides=[2, 1, 1, 1]), ValueError, "strides"),
    (dict(strides=[1, 0, 0, 1]), ValueError, "strides"),
    (dict(strides=[1, 1.5, 1.5, 1]), TypeError, "strides"),
    (dict(strides=[1, 2, 2, 1], dilations=2), ValueError, "dilations"),
    (dict(dilations=[0, 1]), ValueError, "dilations"),
    (dict(padding="FULL"), ValueError, "padding"),
    (dict(filter=np.ones((2, 2, 3, 1), np.float32)), ValueError, "channels"),
    (dict(filter=np.ones((2, 2, 2), np.float32)), ValueError, "4-D"),
    (dict(filter=np.ones((2, 0, 2, 1), np.float32)), ValueError, "spatial"),
    (dict(filter=mtf.Variable(np.ones((2, 2, 2, 1)))), TypeError, "dtype"),
    (dict(input=np.ones((1, 4, 4, 2), np.int32)), TypeError, "floating"),
    (dict(input=np.ones((4, 4, 2), np.float32)), ValueError, "4-D"),
    (dict(padding="VALID", filter=np.ones((5, 5, 2, 1), np.float32)), ValueError, "larger"),
])
def test_depthwise_conv2d_errors(kwargs, error, text):
    with pytest.raises(error, match=text) as info:
        nn.depthwise_conv2d(**_depthwise_args(**kwargs))
    assert str(info.value).startswith("depthwise_conv2d")


# ---------------------------------------------------------------- jax (a test dependency)
# An independent implementation: jax.lax's convolutions, in float32, run in a child
# process (JAX starts threads, and other tests fork).

_JAX = """
import sys
import numpy as np
import jax
from jax import lax

data = dict(np.load(sys.argv[1]))
nhwc = ("NHWC", "HWIO", "NHWC")
conv1d = lax.conv_general_dilated(data["x1"], data["w1"], (2,), "VALID", rhs_dilation=(2,),
                                  dimension_numbers=("NWC", "WIO", "NWC"))
_, vjp = jax.vjp(lambda image: lax.conv_general_dilated(
    image, data["wt"], (2, 2), "VALID", dimension_numbers=nhwc),
    np.zeros((2, 9, 7, 2), np.float32))
grouped = lax.conv_general_dilated(data["xd"], data["wd"].reshape(3, 3, 1, 8), (2, 2),
                                   "VALID", dimension_numbers=nhwc, feature_group_count=4)
np.savez(sys.argv[2], conv1d=conv1d, transpose=vjp(data["xt"])[0], grouped=grouped)
"""


@pytest.fixture(scope="module")
def jax_results(tmp_path_factory):
    """Inputs and jax.lax's results for them."""
    r = np.random.default_rng(7)
    data = {name: r.standard_normal(shape).astype(np.float32) for name, shape in dict(
        x1=(2, 11, 3), w1=(3, 3, 4), xt=(2, 4, 3, 5), wt=(3, 3, 2, 5),
        xd=(2, 9, 8, 4), wd=(3, 3, 4, 2)).items()}
    folder = tmp_path_factory.mktemp("jax")
    np.savez(folder / "in.npz", **data)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, "-c", _JAX, str(folder / "in.npz"),
                           str(folder / "out.npz")], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(folder / "out.npz") as out:
        return data, {k: out[k] for k in out.files}


def test_against_jax_conv1d(jax_results):
    data, want = jax_results
    got = nn.conv1d(data["x1"], data["w1"], 2, "VALID", dilations=2).numpy()
    np.testing.assert_allclose(got, want["conv1d"], rtol=1e-5, atol=1e-5)


def test_against_jax_conv2d_input_vjp(jax_results):
    data, want = jax_results          # wt is conv2d's HWIO = [h, w, out, in] here
    got = nn.conv2d_transpose(data["xt"], data["wt"], [2, 9, 7, 2], 2, "VALID").numpy()
    np.testing.assert_allclose(got, want["transpose"], rtol=1e-5, atol=1e-5)


def test_against_jax_grouped_conv2d(jax_results):
    data, want = jax_results
    got = nn.depthwise_conv2d(data["xd"], data["wd"], [1, 2, 2, 1], "VALID").numpy()
    np.testing.assert_allclose(got, want["grouped"], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- unusual arrays

def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("make", [_readonly, lambda a: np.asfortranarray(a),
                                  lambda a: a.astype(a.dtype.newbyteorder(">"))])
def test_readonly_strided_and_big_endian_operands(make):
    x, w = rng.standard_normal((1, 5, 4, 2)), rng.standard_normal((2, 2, 2, 2))
    got = nn.depthwise_conv2d(make(x), make(w), [1, 1, 1, 1], "SAME").numpy()
    np.testing.assert_allclose(got, depthwise_ref(x, w, (1, 1), "SAME"), rtol=1e-12)
    got = nn.conv2d_transpose(make(x), make(w), [1, 10, 8, 2], 2).numpy()
    np.testing.assert_allclose(got, transpose_ref(x, w, (1, 10, 8, 2), (2, 2), "SAME"),
                               rtol=1e-12, atol=1e-12)
    got = nn.conv1d(make(x[0]), make(w[0]), 1, "SAME").numpy()
    np.testing.assert_allclose(got, conv1d_ref(x[0], w[0], 1, "SAME"), rtol=1e-12)
    xt = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(xt)
        y = nn.depthwise_conv2d(xt, w, [1, 1, 1, 1], "SAME")
    upstream = rng.standard_normal(y.shape)
    got = tape.gradient(y, xt, output_gradients=make(upstream)).numpy()
    want = nn.depthwise_conv2d  # the input gradient is the adjoint: <got, u> = <up, y(u)>
    u = rng.standard_normal(x.shape)
    assert np.sum(got * u) == pytest.approx(
        np.sum(upstream * want(u, w, [1, 1, 1, 1], "SAME").numpy()), rel=1e-12)


def test_nan_and_inf_propagate_to_their_windows_only():
    x = np.zeros((1, 5, 5, 1))
    x[0, 0, 0, 0] = np.nan
    got = nn.depthwise_conv2d(x, np.ones((2, 2, 1, 1)), [1, 1, 1, 1], "VALID").numpy()
    assert np.isnan(got[0, 0, 0, 0]) and np.isnan(got).sum() == 1
    got = nn.conv2d_transpose(np.full((1, 1, 1, 1), np.inf), np.ones((2, 2, 1, 1)),
                              [1, 2, 2, 1], 2).numpy()
    assert np.isinf(got).sum() == 4
