"""conv2d over NHWC images: im2col (numba) + BLAS matmul.

The three ops conv2d(x, w), its input gradient and its filter gradient are
bilinear and each one's gradient is another of the three, so derivatives of
every order are exact:
    conv(x, w)         -> dx = input_grad(w, g),   dw = filter_grad(x, g)
    input_grad(w, g)   -> dw = filter_grad(h, g),  dg = conv(h, w)
    filter_grad(x, g)  -> dx = input_grad(h, g),   dg = conv(x, h)

``conv2d_bias`` (Conv2D's forward, not in ``mtf.nn``) adds the bias inside the
forward kernel, while each chunk of output is in cache, instead of as a
separate pass; its bias gradient is the sum of g over images, rows and columns.

Empty operands (no images, rows, columns or channels) give zeros of the right
shape without calling a kernel: every sum in them is empty.
"""
import functools
import math

import numpy as np

from ..kernels import conv as _k
from . import _validate as check
from ._dispatch import TENSOR_TYPES, apply, as_tensor, unbroadcast
from ._quiet import quietly
from ._window_rules import conv_rule, filter_grad_rule, im2col_rule, input_grad_rule
from ._window import check_format, check_image, plan, spatial_pair


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None,
           name=None):
    """2-D convolution (cross-correlation, as TensorFlow) of NHWC ``input`` with
    ``filters`` of shape [kh, kw, in_channels, out_channels]."""
    op = "conv2d"
    check_format(op, data_format)
    x = check.float_tensor(op, input, "input")
    w = _filters(op, x, filters)
    return _conv(x, w, _geometry(op, x, w, strides, padding, dilations))


def conv2d_bias(input, filters, bias, strides, padding, dilations=None):
    """``conv2d(input, filters, ...) + bias`` in one pass (``bias`` has out_channels
    entries and the filters' dtype): the forward of ``mtf.layers.Conv2D``."""
    op = "conv2d"
    x = check.float_tensor(op, input, "input")
    w = _filters(op, x, filters)
    b = as_tensor(bias, x.dtype)
    if b.dtype != x.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} and bias dtype {b.dtype} differ; "
                        f"cast one with mtf.cast.")
    if b.shape != (w.shape[3],):
        raise ValueError(f"{op}: bias must have shape ({w.shape[3]},), one entry per output "
                         f"channel. Received: bias.shape={b.shape}")
    return _conv(x, w, _geometry(op, x, w, strides, padding, dilations), b)


def _geometry(op, x, w, strides, padding, dilations):
    """(kh, kw, sh, sw, dh, dw, pad_top, pad_left, out_h, out_w), validated."""
    sh, sw = spatial_pair(op, "strides", strides)
    dh, dw = spatial_pair(op, "dilations", 1 if dilations is None else dilations)
    kh, kw = w.shape[:2]
    (oh, pt), (ow, pl) = plan(op, padding, x.shape, (kh, kw), (sh, sw), (dh, dw))
    return kh, kw, sh, sw, dh, dw, pt, pl, oh, ow


def _filters(op, x, filters):
    """``filters`` as a 4-D Tensor of ``x``'s dtype whose in_channels match ``x``."""
    check_image(op, x)
    w = filter_tensor(op, x, filters, "filters", "[height, width, in_channels, out_channels]")
    if w.shape[2] != x.shape[3]:
        raise ValueError(f"{op}: input has {x.shape[3]} channels but filters expect "
                         f"{w.shape[2]}. Received: input.shape={x.shape}, "
                         f"filters.shape={w.shape}")
    return w


def filter_tensor(op, x, filters, what, layout):
    """``filters`` as a Tensor of ``x``'s dtype and rank, with spatial sizes >= 1."""
    if type(filters) in TENSOR_TYPES:
        w = filters
    else:
        try:
            w = as_tensor(filters, x.dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise TypeError(f"{op}: cannot use {what} as a {x.dtype} tensor: {e} "
                            f"{check.received(what, filters)}") from None
    if w.dtype != x.dtype:
        raise TypeError(f"{op}: input dtype {x.dtype} and {what} dtype {w.dtype} "
                        f"differ; cast one with mtf.cast.")
    rank = layout.count(",") + 1
    if w.ndim != rank:
        raise ValueError(f"{op}: {what} must be {rank}-D {layout}. "
                         f"Received: {what}.shape={w.shape}")
    if 0 in tuple(w.shape)[:rank - 2]:
        raise ValueError(f"{op}: {what} must have spatial sizes >= 1. "
                         f"Received: {what}.shape={w.shape}")
    return w


def _conv(x, w, geom, b=None):
    """conv2d (+ bias ``b``) on validated operands with a fixed window geometry."""
    shape = (x.shape[0], geom[8], geom[9], w.shape[3])
    cols = None
    empty = _empty(x.shape, w.shape, geom)
    if empty:
        forward = functools.partial(_no_conv, shape)
    else:
        cols = _columns(x, w.shape[3], geom)
        forward = functools.partial(_conv_value, shape, geom, b is not None)
    inputs = (x, w) if b is None else (x, w, b)

    def grad(g, needs):
        grads = (_input_grad(w, g, x.shape, geom) if needs[0] else None,
                 _filter_grad(x, g, w.shape, geom, cols) if needs[1] else None)
        return grads if b is None else grads + (unbroadcast(g, b.shape) if needs[2] else None,)
    args = inputs if cols is None else inputs + (cols,)
    return apply("conv2d" if b is None else "conv2d_bias", forward, args, grad,
                 inputs=inputs, batch=conv_rule(shape, geom, b is not None, empty))


def _no_conv(shape, x, w, bias=None):
    """The output of a convolution with an empty sum: zeros (plus the bias)."""
    value = np.zeros(shape, x.dtype)
    if bias is not None:
        value += bias
    return value


def _conv_value(shape, geom, has_bias, x, w, *rest):
    """The forward kernel: im2col(x) @ W (+ bias); ``rest``: the bias if ``has_bias``,
    then im2col(x) if the forward keeps it for the filter gradient."""
    bias = rest[0] if has_bias else None
    cols = rest[-1] if len(rest) > has_bias else None
    out = quietly(_k.conv_forward, x, w.reshape(-1, shape[3]), geom, bias, cols)
    return out.reshape(shape).astype(x.dtype, copy=False)


def _columns(x, out_channels, geom):
    """im2col(x) as an op of its own when the kernel keeps it (its size is at most the
    output's: a first layer), so the forward and the filter gradient share it; else None."""
    if geom[0] * geom[1] * x.shape[3] > out_channels or _k._is_pointwise(x.shape, geom):
        return None
    return apply("im2col", functools.partial(_im2col, geom), (x,), batch=im2col_rule(geom))


def _im2col(geom, x):
    return _k.im2col(x, geom)


def _input_grad(w, g, image_shape, geom):
    """d conv / d input: col2im(g @ W.T)."""
    empty = _empty(image_shape, w.shape, geom)
    if empty:
        value = functools.partial(_zeros_like_grad, image_shape)
    else:
        value = functools.partial(_input_grad_value, image_shape, geom)

    def grad(h, needs):
        return (_filter_grad(h, g, w.shape, geom) if needs[0] else None,
                _conv(h, w, geom) if needs[1] else None)
    return apply("conv2d_backprop_input", value, (w, g), grad,
                 batch=input_grad_rule(image_shape, geom, empty))


def _input_grad_value(image_shape, geom, w, g):
    rows = g.reshape(-1, g.shape[3])
    value = quietly(_k.conv_input_grad, rows, w.reshape(-1, w.shape[3]), image_shape, geom)
    return value.astype(g.dtype, copy=False)


def _filter_grad(x, g, filter_shape, geom, cols=None):
    """d conv / d filters: im2col(x).T @ g (``cols``: im2col(x) kept by the forward)."""
    empty = _empty(x.shape, filter_shape, geom)
    if empty:
        value = functools.partial(_zeros_like_grad, filter_shape)
    else:
        value = functools.partial(_filter_grad_value, filter_shape, geom)

    def grad(h, needs):
        return (_input_grad(h, g, x.shape, geom) if needs[0] else None,
                _conv(x, h, geom) if needs[1] else None)
    args = (x, g) if cols is None else (x, g, cols)
    return apply("conv2d_backprop_filter", value, args, grad, inputs=(x, g),
                 batch=filter_grad_rule(filter_shape, geom, empty))


def _filter_grad_value(filter_shape, geom, x, g, cols=None):
    value = quietly(_k.conv_filter_grad, x, g.reshape(-1, g.shape[3]), geom, cols)
    return value.reshape(filter_shape).astype(g.dtype, copy=False)


def _zeros_like_grad(shape, operand, g, cols=None):
    """A gradient of the convolution with an empty sum: zeros of ``shape``, g's dtype."""
    return np.zeros(shape, g.dtype)


def _empty(image_shape, filter_shape, geom):
    """Whether any sum of the convolution is empty or it has no outputs."""
    return math.prod(image_shape) * math.prod(filter_shape) * geom[8] * geom[9] == 0
