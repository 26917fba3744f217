"""The gradient fuzzer's table, continued: conv1d, conv2d_transpose, depthwise_conv2d."""
import minitf as mtf
from _gradient_ops import entry


def _window(b, sizes, padding):
    """(stride, dilation, kernel sizes): a window that fits ``sizes`` when VALID."""
    stride = int(b.rng.integers(1, 3))
    dilation = int(b.rng.integers(1, 3)) if stride == 1 else 1
    room = min(sizes) if padding == "VALID" else 3
    largest = min(3, (room - 1) // dilation + 1)
    return stride, dilation, [int(k) for k in b.rng.integers(1, largest + 1, len(sizes))]


def _out(size, k, stride, dilation, padding):
    """conv2d's output size along one axis (TensorFlow's rule)."""
    if padding == "SAME":
        return -(-size // stride)
    return (size - (k - 1) * dilation - 1) // stride + 1


def _padding(b):
    return str(b.rng.choice(["SAME", "VALID"]))


@entry("conv1d")
def _conv1d(b):
    c, o = (int(n) for n in b.rng.integers(1, 3, 2))
    shape = [int(b.rng.integers(1, 3)), int(b.rng.integers(2, 6)), c]
    padding = _padding(b)
    stride, dilation, (k,) = _window(b, shape[1:2], padding)
    x, filters = b.bridge(b.cur, shape), b.operand([k, c, o], scalar=False)
    b.add("conv1d", lambda u, w: mtf.nn.conv1d(u, w, stride, padding, dilations=dilation),
          [x, filters])


@entry("conv2d_transpose")
def _conv2d_transpose(b):
    c, o = (int(n) for n in b.rng.integers(1, 3, 2))
    image = [int(b.rng.integers(1, 3)), int(b.rng.integers(2, 5)), int(b.rng.integers(2, 5)), o]
    padding = _padding(b)
    stride, dilation, (kh, kw) = _window(b, image[1:3], padding)
    shape = [image[0], _out(image[1], kh, stride, dilation, padding),
             _out(image[2], kw, stride, dilation, padding), c]
    x, filters = b.bridge(b.cur, shape), b.operand([kh, kw, o, c], scalar=False)
    b.add("conv2d_transpose", lambda u, w: mtf.nn.conv2d_transpose(
        u, w, image, stride, padding, dilations=dilation), [x, filters])


@entry("depthwise_conv2d")
def _depthwise_conv2d(b):
    c, m = (int(n) for n in b.rng.integers(1, 3, 2))
    shape = [int(b.rng.integers(1, 3)), int(b.rng.integers(2, 5)), int(b.rng.integers(2, 5)), c]
    padding = _padding(b)
    stride, dilation, (kh, kw) = _window(b, shape[1:3], padding)
    x, filters = b.bridge(b.cur, shape), b.operand([kh, kw, c, m], scalar=False)
    b.add("depthwise_conv2d", lambda u, w: mtf.nn.depthwise_conv2d(
        u, w, [1, stride, stride, 1], padding, dilations=dilation), [x, filters])
