"""dropout and moments: the nn helpers that are neither activations nor losses."""
import math

import numpy as np

from . import _validate as check
from ._dispatch import TENSOR_TYPES
from .elementwise import multiply, square
from .random import _dropout_mask
from .reduce import reduce_sum
from .shape import reshape


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero each element with probability ``rate`` and scale the rest by 1 / (1 - rate).

    ``noise_shape`` (broadcastable to x's shape; None entries take x's size)
    shares one decision across broadcast axes. ``seed``: None or an int (mtf.random's
    rules) or a ``mtf.random.Generator`` (the mask is drawn from its state).

    >>> mtf.nn.dropout(mtf.ones([4]), 0.5, seed=mtf.random.Generator.from_seed(1)).shape
    (4,)
    """
    op = "dropout"
    x = check.float_tensor(op, x, "x")
    rate = _rate(op, rate)
    if rate == 0:
        return x
    shape = _noise_shape(op, x, noise_shape)
    return multiply(x, _dropout_mask(op, shape, x.dtype, seed, rate), name=name)


def _rate(op, rate):
    """``rate``: a number (or 0-d tensor) in [0, 1)."""
    value = check.as_real(rate)
    if value is None:
        raise TypeError(f"{op}: rate must be a number in [0, 1). Received: rate={rate!r}")
    if not 0 <= value < 1:
        raise ValueError(f"{op}: rate must be a number in [0, 1). Received: rate={rate!r}")
    return value


def _noise_shape(op, x, noise_shape):
    if noise_shape is None:
        return x.shape
    if type(noise_shape) in TENSOR_TYPES or isinstance(noise_shape, np.ndarray):
        noise_shape = np.asarray(noise_shape).tolist()
    if not isinstance(noise_shape, (list, tuple)):
        raise TypeError(f"{op}: noise_shape must be a list of ints (or None entries). "
                        f"{check.received('noise_shape', noise_shape)}")
    shape = tuple(x.shape[i] if n is None and i < x.ndim else check.as_index(n)
                  for i, n in enumerate(noise_shape))
    ok = len(shape) == x.ndim and all(n in (1, m) for n, m in zip(shape, x.shape))
    if not ok:
        raise ValueError(f"{op}: noise_shape {tuple(noise_shape)} must have one entry per "
                         f"axis of x, each 1 or x's size. Received: x.shape={x.shape}")
    return tuple(int(n) for n in shape)


def moments(x, axes, shift=None, keepdims=False, name=None):
    """(mean, variance) of ``x`` over ``axes``; both differentiable to any order.

    ``shift`` is accepted for TensorFlow compatibility and unused, as there.
    """
    op = "moments"
    x = check.float_tensor(op, x, "x")
    keepdims = check.flag(op, "keepdims", keepdims)
    axes = check.axes(op, axes, x.ndim, "axes")
    axes = tuple(range(x.ndim)) if axes is None else axes
    count = math.prod(x.shape[a] for a in axes)
    scale = 1 / count if count else math.nan
    mean = reduce_sum(x, axes, keepdims=True) * scale
    variance = reduce_sum(square(x - mean), axes, keepdims=True) * scale
    if not keepdims:
        reduced = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        mean, variance = reshape(mean, reduced), reshape(variance, reduced)
    return mean, variance
