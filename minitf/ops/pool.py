"""max_pool2d and avg_pool2d over NHWC images (numba kernels).

Both backward passes are linear in the upstream gradient, so each is an op
whose own gradient is the forward-direction map again: max pooling scatters to
the positions of the maxima and gathers back from them; average pooling
spreads each gradient over its window and averages back. Every order is exact.
"""
import functools

from ..kernels import pool as _k
from . import _validate as check
from ._dispatch import apply, apply_with_aux
from ._window import check_format, check_image, plan, spatial_pair
from ._batching import read_flat
from ._window_rules import avg_pool_grad_rule, avg_pool_rule, max_pool_grad_rule, max_pool_rule


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """The maximum of each window; SAME padding never wins (it is -inf).

    NaN propagates: a window holding NaN gives NaN, and its gradient goes to
    the window's first NaN (row-major order), as argmax would pick it.
    """
    op = "max_pool2d"
    x = check.tensor(op, input, "input")
    if x._value.dtype.kind not in "iuf":
        raise TypeError(f"{op}: input must hold numbers, got dtype {x.dtype}. "
                        f"{check.received('input', input)}")
    geom = _geometry(op, x, ksize, strides, padding, data_format)
    out, argmax = apply_with_aux(op, functools.partial(_k.max_pool, geom=geom), (x,),
                                 lambda g, _: (_scatter(g, argmax, x.shape),),
                                 saves=False, label=name, batch=max_pool_rule(geom))
    return out


def _scatter(g, argmax, shape):
    """max_pool2d's backward: each g summed into the input position of its max
    (``argmax``: the Tensor of flat input positions the forward found)."""
    return apply("max_pool2d_grad", lambda v, where: _k.scatter_add(v, where, shape),
                 (g, argmax), lambda h, _: (_gather(h, argmax),), inputs=(g,), saves=False,
                 batch=max_pool_grad_rule(tuple(shape)))


def _gather(h, argmax):
    """The transpose of ``_scatter``: h read at the positions of the maxima."""
    return apply("max_pool2d_grad_grad", _read_at, (h, argmax),
                 lambda k, _: (_scatter(k, argmax, h.shape),), inputs=(h,), saves=False,
                 batch=read_flat)


def _read_at(values, where):
    return values.reshape(-1)[where]


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """The mean of each window over its in-image elements (SAME pads are not counted)."""
    op = "avg_pool2d"
    x = check.float_tensor(op, input, "input")
    geom = _geometry(op, x, ksize, strides, padding, data_format)
    return _avg_pool(x, geom, name)


def _avg_pool(x, geom, label=None):
    return apply("avg_pool2d", functools.partial(_k.avg_pool, geom=geom), (x,),
                 lambda g, _: (_avg_pool_grad(g, x.shape, geom),), saves=False, label=label,
                 batch=avg_pool_rule(geom))


def _avg_pool_grad(g, image_shape, geom):
    """avg_pool2d's backward: each g spread evenly over its window's in-image elements."""
    return apply("avg_pool2d_grad",
                 functools.partial(_k.avg_pool_grad, image_shape=image_shape, geom=geom),
                 (g,), lambda h, _: (_avg_pool(h, geom),), saves=False,
                 batch=avg_pool_grad_rule(tuple(image_shape), geom))


def _geometry(op, x, ksize, strides, padding, data_format):
    """(kh, kw, sh, sw, pad_top, pad_left, out_h, out_w) after validating everything."""
    check_format(op, data_format)
    check_image(op, x)
    kh, kw = spatial_pair(op, "ksize", ksize)
    sh, sw = spatial_pair(op, "strides", strides)
    (oh, pt), (ow, pl) = plan(op, padding, x.shape, (kh, kw), (sh, sw), explicit=False)
    return kh, kw, sh, sw, pt, pl, oh, ow
