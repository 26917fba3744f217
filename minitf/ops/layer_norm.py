"""Layer normalization over trailing axes as one op (private: mtf.layers.LayerNorm's).

The forward pass is one kernel call (mean, variance, normalize, scale, shift);
the backward pass one more (the gradients of x, scale and offset together).
Each gradient is an op of its own whose rule is written with minitf ops or
with these gradient ops again, so every order of derivative is recorded: the
second-order rule of d/dx is the closed form in ``_grad_x_of_x``, the higher
orders differentiate that. Under ``mtf.vectorized_map`` the kernels run once on
the rows of all examples (``_layer_norm_rules.py``).
"""
import functools
import math

from ..kernels import layer_norm as _k
from ._batching import reshaped
from ._dispatch import apply, apply_with_aux
from ._layer_norm_rules import backward_rule, forward_rule
from .elementwise import rsqrt, square
from .reduce import reduce_mean, reduce_sum
from .shape import broadcast_to


class _Norm:
    """What one layer_norm call's gradients share: the normalized (trailing) axes,
    the leading ones, eps, and the forward pass's per-row mean and 1 / std."""

    def __init__(self, shape, n_axes, eps):
        ndim = len(shape)
        self.axes = tuple(range(ndim - n_axes, ndim))
        self.lead = tuple(range(ndim - n_axes))
        self.size = math.prod(shape[ndim - n_axes:])
        self.eps = eps
        self.mean = self.rstd = None

    def xhat(self, x):
        """(x - mean) / sqrt(var + eps) with minitf ops (differentiable)."""
        centered = x - reduce_mean(x, self.axes, keepdims=True)
        return centered * rsqrt(reduce_mean(square(centered), self.axes, keepdims=True)
                                + self.eps)

    def feature_mean(self, t):
        return reduce_mean(t, self.axes, keepdims=True)


def layer_norm(x, scale, offset, n_axes, eps):
    """(x - mean) / sqrt(var + eps) * scale + offset over the last ``n_axes`` axes of
    the Tensor ``x``; ``scale`` and ``offset`` (Tensors of those axes' shape, or None
    for 1 and 0) are checked by the caller."""
    norm = _Norm(x.shape, n_axes, eps)
    if scale is None and offset is not None:
        forward, params = functools.partial(_forward_shift, norm.size, eps), (offset,)
    else:
        forward = functools.partial(_forward, norm.size, eps)
        params = () if scale is None else (scale,) if offset is None else (scale, offset)
    kinds = tuple(k for k, p in (("scale", scale), ("offset", offset)) if p is not None)

    def grad(g, needs):
        want_scale = scale is not None and needs[1]
        want_offset = offset is not None and needs[-1]
        dx, dscale, doffset = _gradients(norm, x, scale, g, want_scale or want_offset,
                                         needs[0])
        grads = [dx]
        if scale is not None:
            grads.append(_grad_scale(norm, x, g, dscale) if want_scale else None)
        if offset is not None:
            grads.append(_grad_offset(norm, g, doffset) if want_offset else None)
        return tuple(grads)
    y, norm.mean, norm.rstd = apply_with_aux("layer_norm", forward, (x,) + params, grad,
                                             batch=forward_rule(n_axes, eps, kinds))
    return y


def _forward(size, eps, x, scale=None, offset=None):
    """(y, mean, rstd): the forward kernel."""
    return _k.forward(x, scale, offset, size, eps)


def _forward_shift(size, eps, x, offset):
    return _k.forward(x, None, offset, size, eps)


def _grad_x(norm, x, scale, g):
    """d/dx of layer_norm for upstream g: rstd * (v - mean(v) - xhat * mean(v xhat)),
    v = g * scale (scale None: 1); linear in g and in scale."""
    return _gradients(norm, x, scale, g)[0]


def _gradients(norm, x, scale, g, params=False, wanted=True):
    """(dx, dscale, doffset) from one backward kernel call: dx as in ``_grad_x``
    (None unless ``wanted``), the other two the flat sums over the leading axes
    (None unless ``params``)."""
    inputs = (x, g) if scale is None else (x, scale, g)
    count = 3 if params else 1
    backward = functools.partial(_backward if scale is not None else _backward_unscaled,
                                 norm.size, count)

    def rule(h, needs):
        # The map g -> dx is self-adjoint up to the scale: its transpose applied to
        # h is scale * _grad_x(h) with scale 1.
        unscaled = _grad_x(norm, x, None, h) if any(needs[1:]) else None
        grads = [_grad_x_of_x(norm, x, scale, g, h) if needs[0] else None]
        if scale is not None:
            grads.append(reduce_sum(g * unscaled, norm.lead) if needs[1] else None)
        grads.append((unscaled if scale is None else unscaled * scale)
                     if needs[-1] else None)
        return tuple(grads)
    outs = apply_with_aux("layer_norm_grad", backward, inputs + (norm.mean, norm.rstd),
                          rule if wanted else None, inputs=inputs,
                          batch=backward_rule(len(norm.axes), scale is not None, count))
    if not wanted:
        outs = (None,) + outs[1:]
    return outs if params else outs + (None, None)


def _backward(size, count, x, scale, g, mean, rstd):
    """The backward kernel's (dx, dscale, doffset), the first ``count`` of them."""
    return _k.backward(x, scale, g, mean, rstd, size, params=count > 1)[:count]


def _backward_unscaled(size, count, x, g, mean, rstd):
    return _k.backward(x, None, g, mean, rstd, size, params=count > 1)[:count]


def _grad_x_of_x(norm, x, scale, g, h):
    """d/dx of <h, _grad_x(x, scale, g)>, in closed form: with v = g * scale,
    a = mean(v), b = mean(v xhat), m = mean(h), c = mean(h xhat) (means over the
    normalized axes) and r2 = 1 / (var + eps),
    -r2 * (xhat (mean(h v) - a m - 3 b c) + c (v - a) + b (h - m))."""
    mean = norm.feature_mean
    v = g if scale is None else g * scale
    centered = x - mean(x)
    r2 = 1 / (mean(square(centered)) + norm.eps)
    xhat = centered * rsqrt(mean(square(centered)) + norm.eps)
    a, b, m, c = mean(v), mean(v * xhat), mean(h), mean(h * xhat)
    return -r2 * (xhat * (mean(h * v) - a * m - 3 * b * c) + c * (v - a) + b * (h - m))


def _grad_scale(norm, x, g, value):
    """d/d scale: the sum over the leading axes of g * xhat (linear in g)."""

    def rule(h, needs):
        return (_grad_x(norm, x, None, g * h) if needs[0] else None,
                norm.xhat(x) * h if needs[1] else None)
    shape = x.shape[len(norm.lead):]
    return apply("layer_norm_grad_scale", lambda v: v.reshape(shape), (value,), rule,
                 inputs=(x, g), batch=reshaped(shape))


def _grad_offset(norm, g, value):
    """d/d offset: the sum of g over the leading axes."""
    shape = g.shape[len(norm.lead):]
    return apply("layer_norm_grad_offset", lambda v: v.reshape(shape), (value,),
                 lambda h, _: (broadcast_to(h, g.shape),), inputs=(g,), saves=False,
                 batch=reshaped(shape))
