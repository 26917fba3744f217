"""Conv2D: 2-D convolution of NHWC images, channels taken from the first call."""
import math

from .. import initializers
from ..module import Module
from ..nn import conv2d
from ..ops.conv import conv2d_bias
from ..tensor import Variable
from ._utils import build, check_size, float_input, positive_int


class Conv2D(Module):
    """A 2-D convolution layer (Sonnet 2's ``snt.Conv2D``, NHWC).

    ``w`` has shape [kh, kw, in_channels, output_channels]; ``w_init``
    defaults to a truncated normal with stddev 1 / sqrt(kh * kw * in_channels).

    >>> conv = mtf.layers.Conv2D(4, kernel_shape=3, stride=2)
    >>> conv(mtf.ones([1, 8, 8, 3])).shape, conv.w.shape
    ((1, 4, 4, 4), (3, 3, 3, 4))
    """

    def __init__(self, output_channels, kernel_shape, stride=1, padding="SAME",
                 with_bias=True, w_init=None, b_init=None, name=None):
        super().__init__(name=name)
        self.output_channels = positive_int("Conv2D", "output_channels", output_channels)
        self.kernel_shape = _pair("kernel_shape", kernel_shape)
        self.stride = _pair("stride", stride)
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"Conv2D: padding must be 'SAME' or 'VALID'. Received: "
                             f"padding={padding!r}")
        if not with_bias and b_init is not None:
            raise ValueError("Conv2D: b_init was given but with_bias=False; drop one.")
        self.padding = padding
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init
        self.input_channels = None

    def _build(self, x):
        self.input_channels = x.shape[-1]
        shape = self.kernel_shape + (self.input_channels, self.output_channels)
        fan_in = math.prod(shape[:3])
        w_init = self.w_init or initializers.TruncatedNormal(stddev=1 / math.sqrt(fan_in))
        self.w = Variable(w_init(shape, x.dtype), name="w")
        if self.with_bias:
            b_init = self.b_init or initializers.Zeros()
            self.b = Variable(b_init([self.output_channels], x.dtype), name="b")

    @Module.with_name_scope
    def __call__(self, inputs):
        x = float_input("Conv2D", inputs)
        if x.ndim != 4:
            raise ValueError(f"Conv2D: inputs must be 4-D [batch, height, width, "
                             f"channels]. Received: shape={x.shape}")
        if self.input_channels is None:
            build(self, x)
        else:
            check_size("Conv2D", x, -1, self.input_channels)
        if self.with_bias:     # one pass: the bias is added inside the convolution
            return conv2d_bias(x, self.w, self.b, strides=self.stride, padding=self.padding)
        return conv2d(x, self.w, strides=self.stride, padding=self.padding)


def _pair(arg, value):
    """An int or a pair of ints as a pair of positive ints."""
    values = (value, value) if not isinstance(value, (list, tuple)) else tuple(value)
    if len(values) != 2:
        raise ValueError(f"Conv2D: {arg} must be an int or a pair of ints. Received: "
                         f"{arg}={value!r}")
    return tuple(positive_int("Conv2D", arg, v) for v in values)
