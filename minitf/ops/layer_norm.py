"""Layer normalization over trailing axes as one op (private: mtf.layers.LayerNorm's).

The forward pass is one kernel call (mean, variance, normalize, scale, shift);
the backward pass one more (the gradients of x, scale and offset together).
Each gradient is an op of its own whose rule is written with minitf ops or
with these gradient ops again, so every order of derivative is recorded: the
second-order rule of d/dx is the closed form in ``_grad_x_of_x``, the higher
orders differentiate that.
"""
import math

from ..kernels import layer_norm as _k
from ._dispatch import emit
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
    value, norm.mean, norm.rstd = _k.forward(
        x._value, None if scale is None else scale._value,
        None if offset is None else offset._value, norm.size, eps)
    params = tuple(t for t in (scale, offset) if t is not None)

    def grad(g, needs):
        want_scale = scale is not None and needs[1]
        want_offset = offset is not None and needs[-1]
        dx, dscale, doffset = _k.backward(
            x._value, None if scale is None else scale._value, g._value, norm.mean,
            norm.rstd, norm.size, params=want_scale or want_offset)
        grads = [_grad_x(norm, x, scale, g, dx) if needs[0] else None]
        if scale is not None:
            grads.append(_grad_scale(norm, x, g, dscale) if want_scale else None)
        if offset is not None:
            grads.append(_grad_offset(norm, g, doffset) if want_offset else None)
        return tuple(grads)
    return emit("layer_norm", value, (x,) + params, grad)


def _grad_x(norm, x, scale, g, value=None):
    """d/dx of layer_norm for upstream g: rstd * (v - mean(v) - xhat * mean(v xhat)),
    v = g * scale (scale None: 1); linear in g and in scale."""
    if value is None:
        value, _, _ = _k.backward(x._value, None if scale is None else scale._value,
                                  g._value, norm.mean, norm.rstd, norm.size, params=False)
    inputs = (x, g) if scale is None else (x, scale, g)

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
    return emit("layer_norm_grad", value, inputs, rule)


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
    return emit("layer_norm_grad_scale", value.reshape(x.shape[len(norm.lead):]),
                (x, g), rule)


def _grad_offset(norm, g, value):
    """d/d offset: the sum of g over the leading axes."""
    return emit("layer_norm_grad_offset", value.reshape(g.shape[len(norm.lead):]), (g,),
                lambda h, _: (broadcast_to(h, g.shape),), saves=False)
