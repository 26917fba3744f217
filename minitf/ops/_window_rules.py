"""Batching rules (``mtf.vectorized_map``) of the convolutions and the pools.

An example holds N images, so a batch of B examples is B * N images. Where the
filters are shared (unbatched), the batch runs as one call of the op's kernel
on B * N images. Where each example has its own filters, or wants its own
filter gradient, conv2d becomes one im2col of all images (one numba call) and
one batched matmul with per-example matrices; the depthwise kernels instead
take the B examples as B times the channels (channel b * C + c), since their
channels never mix. Max pooling's argmax holds flat positions inside one
example, as a per-example run would give.
"""
import math

import numpy as np

from ..kernels import conv as _k, depthwise as _dk, pool as _pk
from ._batching import batched_positions, example_offsets, flagged


def _size(batched, arrays):
    """The batch size B: the leading size of the first batched array."""
    return next(len(a) for a, flag in zip(arrays, batched) if flag)


def _images(a):
    """A batch of examples of N images each as one stack of B * N images."""
    return a.reshape((a.shape[0] * a.shape[1],) + a.shape[2:])


def _wide(a):
    """float16 widened to float32 (the kernels compute half precision in float32)."""
    return a.astype(np.float32) if a.dtype.itemsize < 4 else a


def _spread(a, flag, n):
    """``a`` with the batch axis (an unbatched one as a broadcast view)."""
    return a if flag else np.broadcast_to(a, (n,) + a.shape)


def _per_example_bias(bias, flag):
    """A bias of out_channels entries shaped to add to a batch of NHWC outputs."""
    return bias[:, None, None, None, :] if flag else bias


# ------------------------------------------------------------------- conv2d

def conv_rule(shape, geom, has_bias, empty):
    """The rule of conv2d / conv2d_bias (inputs x, w, [bias], [im2col(x)]); ``shape``
    is one example's output shape."""
    def rule(batched, x, w, *rest):
        n = _size(batched, (x, w) + rest)
        bias = rest[0] if has_bias else None
        bias_batched = has_bias and batched[2]
        cols = rest[-1] if len(rest) > has_bias else None
        if empty or n == 0:
            out = np.zeros((n,) + shape, x.dtype)
        elif batched[1]:
            out = _own_filters(x, batched[0], w, cols, geom, n, shape)
        elif batched[0]:                          # shared filters: one kernel call
            inside = None if bias_batched else bias
            out = _k.conv_forward(_images(x), w.reshape(-1, shape[3]), geom, inside,
                                  None if cols is None else _images(cols))
            bias = None if inside is not None else bias
            out = out.reshape((n,) + shape)
        else:                                     # only the bias differs by example
            out = _k.conv_forward(x, w.reshape(-1, shape[3]), geom, None, cols)
            out = np.broadcast_to(out.reshape(shape), (n,) + shape)
        return _finish(out, bias, bias_batched, x.dtype)
    return flagged(rule)


def _finish(out, bias, bias_batched, dtype):
    if bias is not None:
        out = out + _per_example_bias(bias, bias_batched)
    return out.astype(dtype, copy=False)


def _own_filters(x, x_batched, w, cols, geom, n, shape):
    """conv2d of each example with its own filters: im2col(x) @ w[b], batched."""
    if cols is None:
        cols = _k.im2col(_images(x) if x_batched else x, geom)
    rows = cols.reshape((n if x_batched else 1, -1, cols.shape[-1]))
    out = np.matmul(rows, _wide(w).reshape(n, rows.shape[2], shape[3]))
    return out.reshape((n,) + shape)


def im2col_rule(geom):
    """The rule of im2col: the columns of all B * N images, then split by example."""
    def rule(x):
        cols = _k.im2col(_images(x), geom)
        return cols.reshape((len(x), x.shape[1] * geom[8] * geom[9], cols.shape[1]))
    return rule


def input_grad_rule(image_shape, geom, empty):
    """The rule of conv2d's input gradient (inputs w, g) and of conv2d_transpose."""
    def rule(batched, w, g):
        n = _size(batched, (w, g))
        if empty or n == 0:
            return np.zeros((n,) + tuple(image_shape), g.dtype)
        images = (n * image_shape[0],) + tuple(image_shape[1:])
        cout = w.shape[-1]
        if not batched[0]:
            value = _k.conv_input_grad(_images(g).reshape(-1, cout), w.reshape(-1, cout),
                                       images, geom)
        else:
            rows = g.reshape((n if batched[1] else 1, -1, cout))
            wmat = _wide(w).reshape(n, -1, cout).transpose(0, 2, 1)
            cols = np.matmul(_wide(rows), wmat)
            value = _k.col2im(cols.reshape(-1, cols.shape[2]), images, geom)
        return value.reshape((n,) + tuple(image_shape)).astype(g.dtype, copy=False)
    return flagged(rule)


def filter_grad_rule(filter_shape, geom, empty):
    """The rule of conv2d's filter gradient (inputs x, g, [im2col(x)]): per-example
    im2col(x).T @ g as one batched matmul."""
    def rule(batched, x, g, cols=None):
        n = _size(batched, (x, g))
        if empty or n == 0:
            return np.zeros((n,) + tuple(filter_shape), g.dtype)
        if cols is None:
            cols = _k.im2col(_images(x) if batched[0] else x, geom)
        rows = cols.reshape((n if batched[0] else 1, -1, cols.shape[-1]))
        grads = _wide(g).reshape((n if batched[1] else 1, rows.shape[1], g.shape[-1]))
        value = np.matmul(rows.transpose(0, 2, 1), grads)
        return np.broadcast_to(value, (n,) + value.shape[1:]).reshape(
            (n,) + tuple(filter_shape)).astype(g.dtype, copy=False)
    return flagged(rule)


# --------------------------------------------------------- depthwise_conv2d

def _as_channels(a, flag, n):
    """A batch of NHWC examples as one NHWC array of n * C channels (b * C + c)."""
    a = _spread(a, flag, n)
    return a.transpose(1, 2, 3, 0, 4).reshape(a.shape[1:4] + (n * a.shape[4],))


def _from_channels(a, n):
    """The inverse of ``_as_channels``: n * C channels back to a batch of n examples."""
    return a.reshape(a.shape[:3] + (n, a.shape[3] // n)).transpose(3, 0, 1, 2, 4)


def _filters_as_channels(w, flag, n):
    """Per-example depthwise filters [kh, kw, C, M] as one [kh, kw, n * C, M]."""
    w = _spread(w, flag, n)
    return w.transpose(1, 2, 0, 3, 4).reshape(w.shape[1:3] + (n * w.shape[3], w.shape[4]))


def depthwise_rule(shape, geom):
    """The rule of depthwise_conv2d (inputs x, w); ``shape``: one example's output."""
    def rule(batched, x, w):
        n = _size(batched, (x, w))
        if n == 0 or 0 in shape or 0 in w.shape:
            return np.zeros((n,) + shape, x.dtype)
        if not batched[1]:
            out = _dk.forward(_images(x), w, geom).reshape((n,) + shape)
        else:
            out = _from_channels(_dk.forward(_as_channels(x, batched[0], n),
                                             _filters_as_channels(w, True, n), geom), n)
        return out.astype(x.dtype, copy=False)
    return flagged(rule)


def depthwise_input_grad_rule(image_shape, geom):
    """The rule of depthwise_conv2d's input gradient (inputs w, g)."""
    def rule(batched, w, g):
        n = _size(batched, (w, g))
        if n == 0 or 0 in image_shape or 0 in g.shape or 0 in w.shape:
            return np.zeros((n,) + image_shape, g.dtype)
        if not batched[0]:
            images = (n * image_shape[0],) + image_shape[1:]
            out = _dk.input_grad(_images(g), w, images, geom).reshape((n,) + image_shape)
        else:
            channels = image_shape[:3] + (n * image_shape[3],)
            out = _from_channels(_dk.input_grad(_as_channels(g, batched[1], n),
                                                _filters_as_channels(w, True, n),
                                                channels, geom), n)
        return out.astype(g.dtype, copy=False)
    return flagged(rule)


def depthwise_filter_grad_rule(filter_shape, geom):
    """The rule of depthwise_conv2d's filter gradient (inputs x, g): the B examples'
    filter gradients are those of one depthwise convolution over B * C channels."""
    def rule(batched, x, g):
        n = _size(batched, (x, g))
        if n == 0 or 0 in filter_shape or 0 in x.shape or 0 in g.shape:
            return np.zeros((n,) + filter_shape, g.dtype)
        kh, kw, c, m = filter_shape
        value = _dk.filter_grad(_as_channels(x, batched[0], n), _as_channels(g, batched[1], n),
                                (kh, kw, n * c, m), geom)
        return value.reshape(kh, kw, n, c, m).transpose(2, 0, 1, 3, 4).astype(
            g.dtype, copy=False)
    return flagged(rule)


# -------------------------------------------------------------------- pools

def max_pool_rule(geom):
    """The rule of max_pool2d: (maxima, argmax) of all B * N images; argmax made
    per-example again."""
    def rule(x):
        out, where = _pk.max_pool(_images(x), geom)
        shape = (len(x),) + x.shape[1:2] + out.shape[1:]
        where = where.reshape(shape) - example_offsets(len(x), math.prod(x.shape[1:]), 4)
        return out.reshape(shape), where
    return rule


def max_pool_grad_rule(image_shape):
    """The rule of max_pool2d's gradient (inputs g, argmax): one scatter-add into the
    whole batch, each example's positions moved to its own block."""
    size = math.prod(image_shape)

    def rule(batched, g, where):
        n = _size(batched, (g, where))
        where = batched_positions(where, batched[1], n, size)
        flat = _pk.scatter_add(_spread(g, batched[0], n), where, (n * size,))
        return flat.reshape((n,) + tuple(image_shape))
    return flagged(rule)


def avg_pool_rule(geom):
    """The rule of avg_pool2d: one kernel call on all B * N images."""
    def rule(x):
        out = _pk.avg_pool(_images(x), geom)
        return out.reshape((len(x),) + x.shape[1:2] + out.shape[1:])
    return rule


def avg_pool_grad_rule(image_shape, geom):
    """The rule of avg_pool2d's gradient (input g): one kernel call on all images."""
    def rule(g):
        images = (len(g) * image_shape[0],) + tuple(image_shape[1:])
        return _pk.avg_pool_grad(_images(g), images, geom).reshape(
            (len(g),) + tuple(image_shape))
    return rule
