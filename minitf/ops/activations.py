"""Activations of ``mtf.nn``: relu, leaky_relu, elu, selu, gelu, softmax, log_softmax.

A backward that numpy would compute in several passes is a primitive of its own
(``_relu_grad``, ``_gelu_grad``, ...) backed by one fused kernel, with its own
gradient rule, so higher-order derivatives work (the pattern of ``_tanh_grad``).
"""
import math

import numpy as np

from ..kernels import activations as _k, softmax as _ks
from . import _validate as check
from ._batching import BROADCAST, EXPANDED
from ._dispatch import apply
from ._quiet import quietly
from .comparison import less_equal
from .elementwise import exp, tanh, where
from .reduce import reduce_sum

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# ------------------------------------------------------------ rectifiers

def relu(features, name=None):
    """max(features, 0); NaN stays NaN (its gradient is 0, as TensorFlow's)."""
    x = check.tensor("relu", features, "features")
    if x._value.dtype.kind == "b":
        raise TypeError(f"relu: features must be numbers, not bools. "
                        f"{check.received('features', features)}")
    y = apply("relu", _rectify, (x,), lambda g, _: (_relu_grad(y, g),), saves=False,
              label=name, batch=BROADCAST)
    return y


def _rectify(v):
    """max(v, 0) on a numpy value."""
    return np.maximum(v, 0)


def _relu_grad(y, g):
    """g where y > 0, else 0 (one op; linear in g, piecewise constant in y)."""
    return apply("relu_grad", _k.relu_grad, (y, g),
                 lambda h, needs: (None, _relu_grad(y, h) if needs[1] else None), batch=EXPANDED)


def leaky_relu(features, alpha=0.2, name=None):
    """features where positive, else alpha * features (``alpha`` a finite number)."""
    x = check.float_tensor("leaky_relu", features, "features")
    alpha = check.number("leaky_relu", "alpha", alpha)
    if x._value.dtype.itemsize <= 4:        # the kernels compute in float32 then
        alpha = float(quietly(np.float32, alpha))     # beyond its range: inf, silently
    return apply("leaky_relu", lambda v: _k.leaky_relu(v, alpha), (x,),
                 lambda g, _: (_leaky_relu_grad(x, g, alpha),), label=name, batch=BROADCAST)


def _leaky_relu_grad(x, g, alpha):
    """g where x > 0, else alpha * g (one op; linear in g)."""
    return apply("leaky_relu_grad", lambda v, d: _k.leaky_relu_grad(v, d, alpha), (x, g),
                 lambda h, needs: (None, _leaky_relu_grad(x, h, alpha) if needs[1] else None),
                 batch=EXPANDED)


# ------------------------------------------------------ exponential units

def elu(features, name=None):
    """features where positive, else exp(features) - 1."""
    return _elu("elu", features, 1.0, 1.0, name)


def selu(features, name=None):
    """Scaled elu with the self-normalising constants of Klambauer et al. (2017)."""
    return _elu("selu", features, _SELU_SCALE, _SELU_ALPHA, name)


def _elu(op, features, scale, alpha, label):
    """elu/selu: scale * x where x > 0, else scale * alpha * expm1(x)."""
    x = check.float_tensor(op, features, "features")
    y = apply(op, lambda v: _k.elu(v, scale, alpha), (x,),
              lambda g, _: (_elu_grad(y, g, scale, alpha),), saves=False, label=label,
              batch=BROADCAST)
    return y


def _elu_grad(y, g, scale, alpha):
    """g * scale where y > 0, else g * (y + scale * alpha): the elu backward from its output."""

    def grad(h, needs):
        negative = less_equal(y, 0)
        return (where(negative, h * g, 0.0) if needs[0] else None,
                _elu_grad(y, h, scale, alpha) if needs[1] else None)
    return apply("elu_grad", lambda v, d: _k.elu_grad(v, d, scale, alpha), (y, g), grad,
                 batch=EXPANDED)


# ------------------------------------------------------------------ gelu

def gelu(features, approximate=False, name=None):
    """x * P(N(0, 1) <= x) via erf, or with ``approximate=True`` the tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))."""
    x = check.float_tensor("gelu", features, "features")
    approximate = check.flag("gelu", "approximate", approximate)
    return apply("gelu", lambda v: _k.gelu(v, approximate), (x,),
                 lambda g, _: (_gelu_grad(x, g, approximate),), label=name, batch=BROADCAST)


def _gelu_grad(x, g, approximate):
    """g * gelu'(x) as one op (itself differentiable)."""

    def grad(h, needs):
        return (h * g * _gelu_second(x, approximate) if needs[0] else None,
                _gelu_grad(x, h, approximate) if needs[1] else None)
    return apply("gelu_grad", lambda v, d: _k.gelu_grad(v, d, approximate), (x, g), grad,
                 batch=EXPANDED)


def _gelu_second(x, approximate):
    """gelu''(x) written with minitf ops, so every further order is recorded too."""
    if not approximate:
        return exp(x * x * -0.5) * (1 / math.sqrt(2 * math.pi)) * (2 - x * x)
    c, k = math.sqrt(2 / math.pi), 0.044715
    t = tanh((x + x * x * x * k) * c)
    du = (1 + x * x * (3 * k)) * c          # u'(x) for u = c (x + k x**3)
    ddu = x * (6 * c * k)                   # u''(x)
    return (1 - t * t) * (du + x * 0.5 * (ddu - t * du * du * 2))


# --------------------------------------------------------------- softmax

def softmax(logits, axis=-1, name=None):
    """exp(logits) / sum(exp(logits)) along ``axis``, without overflow."""
    x = check.float_tensor("softmax", logits, "logits")
    axis = _class_axis("softmax", axis, x)
    y = apply("softmax", lambda v: _ks.softmax(v, axis), (x,),
              lambda g, _: (_softmax_grad(y, g, axis),), saves=False, label=name,
              batch=lambda v: _ks.softmax(v, axis + 1))
    return y


def _softmax_grad(y, g, axis):
    """y * (g - sum(g * y)) along ``axis``: softmax's backward from its output."""

    def grad(h, needs):
        gy = None
        if needs[0]:
            gy = (h * (g - reduce_sum(g * y, axis, keepdims=True))
                  - g * reduce_sum(h * y, axis, keepdims=True))
        return gy, _softmax_grad(y, h, axis) if needs[1] else None
    return apply("softmax_grad", lambda p, d: _ks.softmax_grad(p, d, axis), (y, g), grad,
                 batch=lambda p, d: _ks.softmax_grad(p, d, axis + 1))


def log_softmax(logits, axis=-1, name=None):
    """logits - log(sum(exp(logits))) along ``axis``, without overflow."""
    x = check.float_tensor("log_softmax", logits, "logits")
    axis = _class_axis("log_softmax", axis, x)
    y = apply("log_softmax", lambda v: _ks.log_softmax(v, axis), (x,),
              lambda g, _: (_log_softmax_grad(y, g, axis),), saves=False, label=name,
              batch=lambda v: _ks.log_softmax(v, axis + 1))
    return y


def _log_softmax_grad(y, g, axis):
    """g - exp(y) * sum(g) along ``axis``: log_softmax's backward from its output."""

    def grad(h, needs):
        p = exp(y)
        return (-h * p * reduce_sum(g, axis, keepdims=True) if needs[0] else None,
                h - reduce_sum(h * p, axis, keepdims=True) if needs[1] else None)
    return apply("log_softmax_grad", lambda p, d: _ks.log_softmax_grad(p, d, axis),
                 (y, g), grad, batch=lambda p, d: _ks.log_softmax_grad(p, d, axis + 1))


def _class_axis(op, axis, x):
    """The class axis as an int >= 0 (one axis only; None means the last, as TensorFlow)."""
    ndim = x._value.ndim
    if type(axis) is int and -ndim <= axis < ndim:      # the common case, fast
        return axis % ndim
    if ndim == 0:
        raise ValueError(f"{op}: logits must have at least one axis, got a scalar.")
    return check.axis(op, -1 if axis is None else axis, ndim)


# ------------------------------------------------ research ops: silu, relu6

from ._arith import quiet_apply  # noqa: E402
from .elementwise import _stable_sigmoid, sigmoid  # noqa: E402


def silu(features, beta=1.0, name=None):
    """features * sigmoid(beta * features) (``swish`` is the same op; ``beta`` a number).

    >>> mtf.nn.silu(np.array([0.0, 2.0])).numpy().round(4).tolist()
    [0.0, 1.7616]
    """
    op = "silu (swish)"       # one function under both names: errors name both
    x = check.float_tensor(op, features, "features")
    beta = check.number(op, "beta", beta)
    b = quietly(x._value.dtype.type, beta)           # beyond float16/32's range: inf

    def fn(v):
        return v * _stable_sigmoid(v * b)

    def grad(g, _):
        s = sigmoid(x * beta)
        return (g * s * (1 + x * beta * (1 - s)),)
    return quiet_apply("silu", fn, (x,), grad, label=name, batch=BROADCAST)


swish = silu


def relu6(features, name=None):
    """min(max(features, 0), 6); NaN stays NaN (its gradient is 0).

    >>> mtf.nn.relu6([-1, 3, 9]).numpy().tolist()
    [0, 3, 6]
    """
    x = check.tensor("relu6", features, "features")
    if x._value.dtype.kind == "b":
        raise TypeError(f"relu6: features must be numbers, not bools. "
                        f"{check.received('features', features)}")
    return apply("relu6", lambda v: np.minimum(np.maximum(v, 0), 6), (x,),
                 lambda g, _: (_relu6_grad(x, g),), label=name, batch=BROADCAST)


def _relu6_grad(x, g):
    """g where 0 < x < 6, else 0 (one op; linear in g, piecewise constant in x)."""
    def fn(v, d):
        return np.where((v > 0) & (v < 6), d, d.dtype.type(0))
    return apply("relu6_grad", fn, (x, g),
                 lambda h, needs: (None, _relu6_grad(x, h) if needs[1] else None), batch=EXPANDED)
