"""conv2d, max_pool2d, avg_pool2d: values vs direct nested loops with TensorFlow's
padding arithmetic, hand-computed cases, gradients of 1st and 2nd order, errors."""
import math

import numpy as np
import pytest

import minitf as mtf
from minitf.ops.conv import conv2d_bias
from minitf.testing import check_gradients

rng = np.random.default_rng(30)
nn = mtf.nn


def _pads(padding, sizes, ksizes, strides, dilations):
    """[(before, after)] per spatial axis, by TensorFlow's documented rules."""
    if padding == "VALID":
        return [(0, 0), (0, 0)]
    if padding != "SAME":
        return [tuple(padding[1]), tuple(padding[2])]
    pads = []
    for n, k, s, d in zip(sizes, ksizes, strides, dilations):
        out = math.ceil(n / s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def conv_ref(x, w, strides, padding, dilations=(1, 1)):
    """Direct convolution: explicit zero padding, one window at a time."""
    kh, kw, _, oc = w.shape
    (pt, pb), (pl, pr) = _pads(padding, x.shape[1:3], (kh, kw), strides, dilations)
    xp = np.pad(x, [(0, 0), (pt, pb), (pl, pr), (0, 0)])
    (sh, sw), (dh, dw) = strides, dilations
    oh = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, oc))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, i * sh: i * sh + (kh - 1) * dh + 1: dh,
                        j * sw: j * sw + (kw - 1) * dw + 1: dw, :]
            out[:, i, j, :] = np.tensordot(window, w, axes=([1, 2, 3], [0, 1, 2]))
    return out


def pool_ref(x, ksize, strides, padding, reduce):
    """Direct pooling over the in-image part of each window."""
    (kh, kw), (sh, sw) = ksize, strides
    (pt, _), (pl, _) = _pads(padding, x.shape[1:3], ksize, strides, (1, 1))
    if padding == "SAME":
        oh, ow = math.ceil(x.shape[1] / sh), math.ceil(x.shape[2] / sw)
    else:
        oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            r, c = i * sh - pt, j * sw - pl
            window = x[:, max(r, 0): r + kh, max(c, 0): c + kw, :]
            out[:, i, j, :] = reduce(window, axis=(1, 2))
    return out


# ------------------------------------------------------------------ conv2d

CONV_CASES = [(s, p, k, c) for s in (1, 2) for p in ("SAME", "VALID")
              for k in ((1, 1), (2, 2), (3, 3), (2, 3)) for c in ((1, 1), (3, 2), (2, 4))]


@pytest.mark.parametrize("strides,padding,kernel,channels", CONV_CASES)
def test_conv2d_values_and_gradients(strides, padding, kernel, channels):
    x = rng.standard_normal((2, 5, 6, channels[0]))
    w = rng.standard_normal(kernel + channels)
    out = nn.conv2d(x, w, strides, padding)
    np.testing.assert_allclose(out.numpy(), conv_ref(x, w, (strides,) * 2, padding),
                               rtol=1e-12, atol=1e-12)
    check_gradients(lambda a, b: nn.conv2d(a, b, strides, padding), [x[:1], w])


def test_conv2d_same_pads_more_after_for_even_kernels():
    # 2x2 ones over 3x3 ones, stride 1: the single pad row/column goes after.
    out = nn.conv2d(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), 1, "SAME")
    np.testing.assert_array_equal(out.numpy()[0, :, :, 0], [[4, 4, 2], [4, 4, 2], [2, 2, 1]])
    # 3x3 ones over arange(16) as 4x4, stride 2: total pad 1, all of it after.
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    out = nn.conv2d(x, np.ones((3, 3, 1, 1)), 2, "SAME")
    np.testing.assert_array_equal(out.numpy()[0, :, :, 0], [[45, 39], [66, 50]])


@pytest.mark.parametrize("strides,dilations,padding", [
    ([1, 2, 1, 1], None, "SAME"), ([2, 1], [1, 2], "VALID"), (1, 2, "SAME"),
    ([1], [1, 1, 2, 1], [[0, 0], [1, 0], [2, 1], [0, 0]]),
    (2, 1, [[0, 0], [0, 2], [1, 1], [0, 0]])])
def test_conv2d_stride_dilation_and_explicit_padding_forms(strides, dilations, padding):
    x = rng.standard_normal((1, 6, 7, 2))
    w = rng.standard_normal((3, 2, 2, 3))

    def pair(v):
        v = [v] if isinstance(v, int) else list(v)
        return tuple(v[1:3]) if len(v) == 4 else (v[0], v[-1])
    ref = conv_ref(x, w, pair(strides), padding, pair(1 if dilations is None else dilations))
    f = lambda a, b: nn.conv2d(a, b, strides, padding, dilations=dilations)  # noqa: E731
    np.testing.assert_allclose(f(x, w).numpy(), ref, rtol=1e-12, atol=1e-12)
    check_gradients(f, [x, w])


@pytest.mark.parametrize("strides,padding", [(1, "SAME"), (2, "VALID"), (2, "SAME")])
def test_conv2d_second_order(strides, padding):
    def grads(x, w):
        with mtf.GradientTape() as tape:
            tape.watch([x, w])
            y = nn.conv2d(x, w, strides, padding)
            total = mtf.reduce_sum(y * y)
        return tape.gradient(total, [x, w])
    x, w = rng.standard_normal((1, 4, 5, 2)), rng.standard_normal((2, 3, 2, 2))
    check_gradients(grads, [x, w], rtol=1e-4, atol=1e-6)


def test_conv2d_dtypes_and_variables():
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    w = mtf.Variable(rng.standard_normal((3, 3, 2, 1)).astype(np.float32))
    with mtf.GradientTape() as tape:
        y = nn.conv2d(x, w, 1, "SAME")
        loss = mtf.reduce_sum(y)
    assert y.dtype == np.float32
    gw = tape.gradient(loss, w)
    assert gw.shape == w.shape and gw.dtype == np.float32
    half = nn.conv2d(x.astype(np.float16), w.numpy().astype(np.float16), 1, "VALID")
    assert half.dtype == np.float16
    np.testing.assert_allclose(half.numpy(), conv_ref(x, w.numpy(), (1, 1), "VALID"),
                               rtol=2e-2, atol=2e-2)


def test_conv2d_errors():
    x, w = np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 2))
    with pytest.raises(ValueError, match=r"conv2d: padding must be 'SAME' or 'VALID'.*"
                                         r"padding='same'"):
        nn.conv2d(x, w, 1, "same")
    with pytest.raises(ValueError, match=r"conv2d: input has 4 channels but filters expect "
                                         r"3.*\(1, 5, 5, 4\).*\(3, 3, 3, 2\)"):
        nn.conv2d(np.zeros((1, 5, 5, 4)), w, 1, "SAME")
    with pytest.raises(ValueError, match=r"conv2d: input must be 4-D.*\(5, 5, 3\)"):
        nn.conv2d(np.zeros((5, 5, 3)), w, 1, "SAME")
    with pytest.raises(ValueError, match=r"conv2d: filters must be 4-D.*\(3, 3, 3\)"):
        nn.conv2d(x, np.zeros((3, 3, 3)), 1, "SAME")
    with pytest.raises(ValueError, match=r"conv2d: strides must be.*strides=\[2, 2, 2, 2\]"):
        nn.conv2d(x, w, [2, 2, 2, 2], "SAME")
    with pytest.raises(ValueError, match=r"conv2d: strides must be.*strides=0"):
        nn.conv2d(x, w, 0, "SAME")
    with pytest.raises(ValueError, match=r"conv2d: the window.*larger than the padded input"):
        nn.conv2d(np.zeros((1, 2, 5, 3)), w, 1, "VALID")
    with pytest.raises(ValueError, match=r"conv2d: only data_format='NHWC'.*'NCHW'"):
        nn.conv2d(x, w, 1, "SAME", data_format="NCHW")
    with pytest.raises(ValueError, match=r"conv2d: explicit padding must be"):
        nn.conv2d(x, w, 1, [[1, 1], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(TypeError, match=r"conv2d: input dtype float32 and filters dtype "
                                        r"float64"):
        nn.conv2d(mtf.constant(x, mtf.float32), mtf.constant(w), 1, "SAME")


# ------------------------------------------- conv2d_bias (Conv2D's fused forward)

BIAS_CASES = [(1, "SAME", (3, 3), (1, 4)), (2, "VALID", (2, 3), (3, 2)),
              (1, "VALID", (1, 1), (2, 3)), (2, "SAME", (3, 2), (5, 1))]


@pytest.mark.parametrize("strides,padding,kernel,channels", BIAS_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_bias_values_match_conv_plus_bias(strides, padding, kernel, channels, dtype):
    x = rng.standard_normal((2, 7, 6, channels[0])).astype(dtype)
    w = rng.standard_normal(kernel + channels).astype(dtype)
    b = rng.standard_normal(channels[1]).astype(dtype)
    out = conv2d_bias(x, w, b, strides, padding)
    assert out.dtype == dtype
    expected = conv_ref(x.astype(np.float64), w, (strides,) * 2, padding) + b
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out.numpy(), expected, rtol=tol, atol=tol)
    # the same numbers as the two ops it fuses (float32: the bias is added after the sum)
    np.testing.assert_array_equal(out.numpy(), (nn.conv2d(x, w, strides, padding) + b).numpy())


def test_conv2d_bias_half_precision_is_summed_in_float32():
    x = rng.standard_normal((2, 5, 5, 3)).astype(np.float16)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float16)
    b = rng.standard_normal(4).astype(np.float16)
    out = conv2d_bias(x, w, b, 1, "SAME")
    assert out.dtype == np.float16
    wide = conv_ref(x.astype(np.float32), w.astype(np.float32), (1, 1), "SAME") + b
    # one rounding to float16 at the end: within half a float16 ulp of the float32 sum
    np.testing.assert_allclose(out.numpy(), wide, rtol=2**-11, atol=2**-24 * 64)


@pytest.mark.parametrize("strides,padding,kernel,channels", BIAS_CASES)
def test_conv2d_bias_gradients(strides, padding, kernel, channels):
    x = rng.standard_normal((1, 5, 4, channels[0]))
    w = rng.standard_normal(kernel + channels)
    b = rng.standard_normal(channels[1])
    check_gradients(lambda a, f, c: conv2d_bias(a, f, c, strides, padding), [x, w, b])


def test_conv2d_bias_second_order():
    def grads(x, w, b):
        with mtf.GradientTape() as tape:
            tape.watch([x, w, b])
            y = conv2d_bias(x, w, b, 1, "SAME")
            total = mtf.reduce_sum(y * y * y)
        return tape.gradient(total, [x, w, b])
    x, w = rng.standard_normal((1, 4, 5, 2)), rng.standard_normal((2, 3, 2, 2))
    check_gradients(grads, [x, w, rng.standard_normal(2)], rtol=1e-4, atol=1e-6)


def test_conv2d_bias_on_empty_operands():
    # no input channels: every sum is empty, so the output is the bias
    out = conv2d_bias(np.zeros((2, 3, 3, 0)), np.zeros((2, 2, 0, 3)), [1.0, 2.0, 3.0], 1,
                      "SAME")
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to([1.0, 2.0, 3.0], (2, 3, 3, 3)))
    b = mtf.Variable(np.ones(3))
    with mtf.GradientTape() as tape:
        y = conv2d_bias(np.zeros((0, 3, 3, 2)), np.ones((2, 2, 2, 3)), b, 1, "SAME")
        total = mtf.reduce_sum(y)
    assert y.shape == (0, 3, 3, 3)
    np.testing.assert_array_equal(tape.gradient(total, b).numpy(), np.zeros(3))


def test_conv2d_bias_errors():
    x, w = np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 2, 3))
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(3,\).*"
                                         r"bias.shape=\(2,\)"):
        conv2d_bias(x, w, np.zeros(2), 1, "SAME")
    with pytest.raises(TypeError, match=r"conv2d: input dtype float64 and bias dtype float32"):
        conv2d_bias(x, w, mtf.constant(np.zeros(3, np.float32)), 1, "SAME")
    with pytest.raises(ValueError, match=r"conv2d: padding must be 'SAME' or 'VALID'"):
        conv2d_bias(x, w, np.zeros(3), 1, "same")


# ----------------------------------------------------------------- pooling

POOL_CASES = [(k, s, p) for k, s in (((3, 3), 2), ((3, 3), 1), ((2, 2), 2), ((2, 3), 1))
              for p in ("SAME", "VALID")]


@pytest.mark.parametrize("ksize,strides,padding", POOL_CASES)
def test_pools_values_and_gradients(ksize, strides, padding):
    x = rng.standard_normal((2, 5, 6, 3))
    s = (strides, strides)
    np.testing.assert_array_equal(nn.max_pool2d(x, ksize, strides, padding).numpy(),
                                  pool_ref(x, ksize, s, padding, np.max))
    np.testing.assert_allclose(nn.avg_pool2d(x, ksize, strides, padding).numpy(),
                               pool_ref(x, ksize, s, padding, np.mean), rtol=1e-13)
    small = x[:1, :, :, :2]
    check_gradients(lambda a: nn.max_pool2d(a, ksize, strides, padding), [small])
    check_gradients(lambda a: nn.avg_pool2d(a, ksize, strides, padding), [small])


def test_same_pooling_ignores_the_padding():
    x = np.arange(9.0).reshape(1, 3, 3, 1)
    avg = nn.avg_pool2d(x, 2, 2, "SAME").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(avg, [[2.0, 3.5], [6.5, 8.0]])   # valid-element counts
    negative = nn.max_pool2d(-1 - x, 2, 2, "SAME").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(negative, [[-1.0, -3.0], [-7.0, -9.0]])   # not 0


def test_max_pool_gradient_goes_to_each_maximum():
    x = mtf.constant(np.array([[1.0, 5.0, 2.0], [0.0, 3.0, 4.0]]).reshape(1, 2, 3, 1))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = nn.max_pool2d(x, [1, 2, 2, 1], [1, 1, 1, 1], "VALID")   # two windows share 5
    np.testing.assert_array_equal(tape.gradient(y, x).numpy().reshape(2, 3),
                                  [[0, 2, 0], [0, 0, 0]])


@pytest.mark.parametrize("pool", [nn.max_pool2d, nn.avg_pool2d])
def test_pools_second_order(pool):
    def grad_of_cube(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = pool(x, 3, 2, "SAME")
            total = mtf.reduce_sum(y * y * y)
        return tape.gradient(total, x)
    check_gradients(grad_of_cube, [rng.standard_normal((1, 5, 4, 2))], rtol=1e-4)


def test_pools_keep_dtype():
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    assert nn.max_pool2d(x, 2, 2, "VALID").dtype == np.float32
    assert nn.avg_pool2d(x, 2, 2, "VALID").dtype == np.float32
    ints = nn.max_pool2d(mtf.constant(np.arange(16).reshape(1, 4, 4, 1)), 2, 2, "VALID")
    np.testing.assert_array_equal(ints.numpy()[0, :, :, 0], [[5, 7], [13, 15]])


def test_pool_errors():
    x = np.zeros((1, 4, 4, 1))
    with pytest.raises(ValueError, match=r"max_pool2d: padding must be 'SAME' or 'VALID'. "
                                         r"Received: padding='FULL'"):
        nn.max_pool2d(x, 2, 2, "FULL")
    with pytest.raises(ValueError, match=r"avg_pool2d: padding must be"):
        nn.avg_pool2d(x, 2, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match=r"max_pool2d: ksize must be.*ksize=\[2, 2, 2\]"):
        nn.max_pool2d(x, [2, 2, 2], 2, "SAME")
    with pytest.raises(ValueError, match=r"avg_pool2d: input must be 4-D.*\(4, 4\)"):
        nn.avg_pool2d(np.zeros((4, 4)), 2, 2, "SAME")
    with pytest.raises(ValueError, match=r"max_pool2d: the window.*larger"):
        nn.max_pool2d(x, 5, 1, "VALID")
    with pytest.raises(TypeError, match=r"avg_pool2d.*int32"):
        nn.avg_pool2d(mtf.constant(np.zeros((1, 2, 2, 1), np.int32)), 2, 2, "SAME")
