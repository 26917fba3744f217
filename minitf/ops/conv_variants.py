"""conv1d, conv2d_transpose and depthwise_conv2d over channels-last inputs.

conv1d is conv2d over images one row high. conv2d_transpose is conv2d's input
gradient (``conv._input_grad_value``) as an op of its own; it is bilinear, and
its gradients are conv2d (input) and conv2d's filter gradient (filters), whose
own gradients are the conv2d family again. depthwise_conv2d is the same
bilinear triple over numba kernels (``kernels/depthwise.py``):
    depthwise(x, w)     -> dx = d_input(w, g),   dw = d_filter(x, g)
    d_input(w, g)       -> dw = d_filter(h, g),  dg = depthwise(h, w)
    d_filter(x, g)      -> dx = d_input(h, g),   dg = depthwise(x, h)
so derivatives of every order are exact.
"""
import functools

import numpy as np

from ..kernels import depthwise as _dk
from . import _validate as check
from ._dispatch import TENSOR_TYPES, apply
from ._quiet import quietly
from .conv import (_conv, _empty, _filter_grad, _input_grad_value, _zeros_like_grad,
                   filter_tensor)
from ._window import check_format, check_image, plan, spatial_pair
from ._window_rules import (depthwise_filter_grad_rule, depthwise_input_grad_rule,
                            depthwise_rule, input_grad_rule)
from .shape import reshape

_LIMIT = 2**31 - 1


# ---------------------------------------------------------------- conv1d

def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):
    """1-D convolution of NWC ``input`` with ``filters`` [width, in_channels, out_channels].

    >>> mtf.nn.conv1d([[[1.0], [2.0], [4.0]]], [[[1.0]], [[1.0]]], 1, "VALID").numpy().tolist()
    [[[3.0], [6.0]]]
    """
    op = "conv1d"
    if not (data_format is None or isinstance(data_format, str)
            and data_format in ("NWC", "NHWC")):
        raise ValueError(f"{op}: only data_format='NWC' is supported. "
                         f"Received: data_format={data_format!r}")
    x = check.float_tensor(op, input, "input")
    if x.ndim != 3:
        raise ValueError(f"{op}: input must be 3-D [batch, width, channels]. "
                         f"Received: input.shape={x.shape}")
    w = filter_tensor(op, x, filters, "filters", "[width, in_channels, out_channels]")
    if w.shape[1] != x.shape[2]:
        raise ValueError(f"{op}: input has {x.shape[2]} channels but filters expect "
                         f"{w.shape[1]}. Received: input.shape={x.shape}, "
                         f"filters.shape={w.shape}")
    s = _width_step(op, "stride", stride)
    d = _width_step(op, "dilations", 1 if dilations is None else dilations)
    n, width, c = x.shape
    image = (n, 1, width, c)
    (oh, pt), (ow, pl) = plan(op, padding, image, (1, w.shape[0]), (1, s), (1, d),
                              explicit=False)
    geom = (1, w.shape[0], 1, s, 1, d, pt, pl, oh, ow)
    y = _conv(reshape(x, image), reshape(w, (1,) + tuple(w.shape)), geom)
    return reshape(y, (n, ow, w.shape[2]), name=name)


def _width_step(op, what, value):
    """stride/dilations of conv1d: an int or 1 or 3 ints (1 for batch and channels)."""
    if type(value) in TENSOR_TYPES or isinstance(value, np.ndarray):
        value = np.asarray(value._value if type(value) in TENSOR_TYPES else value).tolist()
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    numbers = [check.as_index(n) for n in items]
    ok = all(n is not None and 0 < n <= _LIMIT for n in numbers)
    if not ok or len(items) not in (1, 3) or len(items) == 3 and (
            numbers[0], numbers[2]) != (1, 1):
        cls = TypeError if None in numbers else ValueError
        raise cls(f"{op}: {what} must be a positive int or a list of 1 or 3 positive "
                  f"ints (with 1 for batch and channels). Received: {what}={value!r}")
    return int(numbers[0] if len(numbers) == 1 else numbers[1])


# ---------------------------------------------------------------- conv2d_transpose

def conv2d_transpose(input, filters, output_shape, strides, padding="SAME",
                     data_format="NHWC", dilations=None, name=None):
    """conv2d's transpose (input gradient) for filters [height, width, out_c, in_c].

    >>> mtf.nn.conv2d_transpose([[[[1.0]]]], [[[[2.0]]]], [1, 2, 2, 1], 2).numpy().ravel().tolist()
    [2.0, 0.0, 0.0, 0.0]
    """
    op = "conv2d_transpose"
    check_format(op, data_format)
    x = check.float_tensor(op, input, "input")
    check_image(op, x)
    w = filter_tensor(op, x, filters, "filters",
                       "[height, width, output_channels, in_channels]")
    if w.shape[3] != x.shape[3]:
        raise ValueError(f"{op}: input has {x.shape[3]} channels but filters expect "
                         f"{w.shape[3]} (their last dimension). Received: "
                         f"input.shape={x.shape}, filters.shape={w.shape}")
    shape = _output_shape(op, output_shape, w)
    geom = _geometry(op, shape, w, strides, padding, dilations)
    conv_shape = (shape[0], geom[8], geom[9], w.shape[3])
    if conv_shape != tuple(x.shape):
        raise ValueError(f"{op}: output_shape {list(shape)} does not fit the input: conv2d "
                         f"of that shape with these filters, strides and padding gives "
                         f"{list(conv_shape)}, but input.shape={list(x.shape)}.")
    return _transpose(x, w, shape, geom, name)


def _output_shape(op, output_shape, w):
    """output_shape as 4 ints whose channels are the filters' output_channels."""
    shape = check.shape(op, output_shape, "output_shape")
    if len(shape) != 4:
        raise ValueError(f"{op}: output_shape must hold 4 ints [batch, height, width, "
                         f"channels]. {check.received('output_shape', output_shape)}")
    if shape[3] != w.shape[2]:
        raise ValueError(f"{op}: output_shape has {shape[3]} channels but filters give "
                         f"{w.shape[2]} (their third dimension). Received: output_shape="
                         f"{list(shape)}, filters.shape={w.shape}")
    return shape


def _geometry(op, image_shape, w, strides, padding, dilations):
    """conv's (kh, kw, sh, sw, dh, dw, pad_top, pad_left, out_h, out_w) for an image."""
    sh, sw = spatial_pair(op, "strides", strides)
    dh, dw = spatial_pair(op, "dilations", 1 if dilations is None else dilations)
    kh, kw = w.shape[:2]
    (oh, pt), (ow, pl) = plan(op, padding, image_shape, (kh, kw), (sh, sw), (dh, dw))
    return kh, kw, sh, sw, dh, dw, pt, pl, oh, ow


def _transpose(x, w, shape, geom, name=None):
    """conv2d's input gradient for upstream ``x``, recorded as conv2d_transpose."""
    empty = _empty(shape, w.shape, geom)
    if empty:
        value = functools.partial(_zeros_like_grad, shape)
    else:
        value = functools.partial(_input_grad_value, shape, geom)

    def grad(h, needs):
        return (_conv(h, w, geom) if needs[0] else None,
                _filter_grad(h, x, w.shape, geom) if needs[1] else None)
    return apply("conv2d_transpose", value, (w, x), grad, inputs=(x, w), label=name,
                 batch=input_grad_rule(tuple(shape), geom, empty))


# ---------------------------------------------------------------- depthwise_conv2d

def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None,
                     name=None):
    """Each input channel convolved alone; filter [height, width, in_c, multiplier].

    >>> mtf.nn.depthwise_conv2d([[[[1.0, 2.0]]]], [[[[1.0], [3.0]]]], [1] * 4, "SAME").numpy()
    array([[[[1., 6.]]]], dtype=float32)
    """
    op = "depthwise_conv2d"
    check_format(op, "NHWC" if data_format is None else data_format)
    x = check.float_tensor(op, input, "input")
    check_image(op, x)
    w = filter_tensor(op, x, filter, "filter",
                       "[height, width, in_channels, channel_multiplier]")
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"{op}: input has {x.shape[3]} channels but filter expects "
                         f"{w.shape[2]}. Received: input.shape={x.shape}, "
                         f"filter.shape={w.shape}")
    s = _depthwise_stride(op, strides)
    if s > 1 and spatial_pair(op, "dilations", 1 if dilations is None else dilations) != (1, 1):
        raise ValueError(f"{op}: strides greater than 1 cannot be combined with dilations "
                         f"greater than 1. Received: strides={strides!r}, "
                         f"dilations={dilations!r}")
    geom = _geometry(op, x.shape, w, s, padding, dilations)
    return _depthwise(x, w, geom, name)


def _depthwise_stride(op, strides):
    """TensorFlow's rule: strides is [1, s, s, 1]."""
    if type(strides) in TENSOR_TYPES or isinstance(strides, np.ndarray):
        strides = np.asarray(strides._value if type(strides) in TENSOR_TYPES
                             else strides).tolist()
    items = list(strides) if isinstance(strides, (list, tuple)) else None
    numbers = [check.as_index(n) for n in items] if items is not None else [None]
    if None in numbers:
        raise TypeError(f"{op}: strides must be a list of 4 ints [1, stride, stride, 1]. "
                        f"Received: strides={strides!r}")
    if (len(numbers) != 4 or (numbers[0], numbers[3]) != (1, 1) or numbers[1] != numbers[2]
            or not 0 < numbers[1] <= _LIMIT):
        raise ValueError(f"{op}: strides must be [1, stride, stride, 1] with the same "
                         f"positive stride for rows and columns. Received: "
                         f"strides={strides!r}")
    return numbers[1]


def _depthwise(x, w, geom, name=None):
    """The depthwise convolution of validated operands with a fixed geometry."""
    shape = (x.shape[0], geom[8], geom[9], w.shape[2] * w.shape[3])

    def grad(g, needs):
        return (_depthwise_input_grad(w, g, x.shape, geom) if needs[0] else None,
                _depthwise_filter_grad(x, g, w.shape, geom) if needs[1] else None)
    return apply("depthwise_conv2d", functools.partial(_forward_value, shape, geom),
                 (x, w), grad, label=name, batch=depthwise_rule(shape, geom))


def _depthwise_input_grad(w, g, image_shape, geom):
    def grad(h, needs):
        return (_depthwise_filter_grad(h, g, w.shape, geom) if needs[0] else None,
                _depthwise(h, w, geom) if needs[1] else None)
    return apply("depthwise_conv2d_backprop_input",
                 functools.partial(_input_grad_kernel, tuple(image_shape), geom), (w, g), grad,
                 batch=depthwise_input_grad_rule(tuple(image_shape), geom))


def _depthwise_filter_grad(x, g, filter_shape, geom):
    def grad(h, needs):
        return (_depthwise_input_grad(h, g, x.shape, geom) if needs[0] else None,
                _depthwise(x, h, geom) if needs[1] else None)
    return apply("depthwise_conv2d_backprop_filter",
                 functools.partial(_filter_grad_kernel, tuple(filter_shape), geom), (x, g),
                 grad, batch=depthwise_filter_grad_rule(tuple(filter_shape), geom))


def _forward_value(shape, geom, x, w):
    if 0 in shape or 0 in w.shape:
        return np.zeros(shape, x.dtype)
    return quietly(_dk.forward, x, w, geom).astype(x.dtype, copy=False)


def _input_grad_kernel(image_shape, geom, w, g):
    if 0 in image_shape or 0 in g.shape or 0 in w.shape:
        return np.zeros(image_shape, g.dtype)
    return quietly(_dk.input_grad, g, w, image_shape, geom).astype(g.dtype, copy=False)


def _filter_grad_kernel(filter_shape, geom, x, g):
    if 0 in filter_shape or 0 in x.shape or 0 in g.shape:
        return np.zeros(filter_shape, g.dtype)
    return quietly(_dk.filter_grad, x, g, filter_shape, geom).astype(g.dtype, copy=False)
