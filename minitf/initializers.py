"""Initializers: objects called with ``(shape, dtype)`` that return a Tensor.

As in Keras and Sonnet, each initializer is a class (``GlorotUniform``) whose
instances are passed to layers (``Linear(3, w_init=GlorotUniform(seed=1))``);
the lower-case names (``glorot_uniform``) are the same classes,
as Keras' aliases are. Calling an instance returns a new Tensor:

>>> init = mtf.initializers.constant(0.5)
>>> init([2], mtf.float32).numpy()
array([0.5, 0.5], dtype=float32)

Seeds follow ``mtf.random`` (TensorFlow's rules, as Sonnet): a seeded
initializer names a random stream, so successive calls draw successive numbers
(two layers sharing one instance do not start equal) and a program that sets
the same seeds draws the same weights on every run. ``seed`` may also be a
``mtf.random.Generator`` (Keras 3's convention): each call draws from its state,
which then advances.
"""
import math

import numpy as np

from . import dtypes, random
from .ops import broadcast_to, ones as _ones, zeros as _zeros
from .ops.convert import constant as _constant
from .ops.shape import _shape_tuple

__all__ = [
    "Constant", "GlorotUniform", "HeNormal", "Initializer", "Ones", "TruncatedNormal",
    "Zeros", "constant", "glorot_uniform", "he_normal", "ones", "truncated_normal", "zeros"]


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__.")

    def get_config(self):
        """The constructor arguments, as a dict."""
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return _zeros(_checked_shape(self, shape), _dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return _ones(_checked_shape(self, shape), _dtype(dtype))


class Constant(Initializer):
    """``value`` (a scalar, or an array broadcastable to the requested shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _checked_shape(self, shape)
        value = _constant(self.value, _dtype(dtype))
        if _broadcast_shape(value.shape, shape) != shape:
            raise ValueError(f"Constant: value of shape {value.shape} cannot fill "
                             f"shape {shape}.")
        return broadcast_to(value, shape)

    def get_config(self):
        return {"value": self.value}


class TruncatedNormal(Initializer):
    """Normal(mean, stddev) with draws beyond two standard deviations redrawn.

    >>> mtf.initializers.TruncatedNormal(seed=mtf.random.Generator.from_seed(1))([2]).shape
    (2,)
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if not stddev >= 0:
            raise ValueError(f"TruncatedNormal: stddev must be >= 0. Received: "
                             f"stddev={stddev!r}")
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None):
        return random.truncated_normal(_checked_shape(self, shape), self.mean, self.stddev,
                                       _float_dtype(self, dtype), seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class GlorotUniform(Initializer):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010).

    >>> mtf.initializers.glorot_uniform(seed=mtf.random.Generator.from_seed(1))([2, 3]).shape
    (2, 3)
    """

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        shape = _checked_shape(self, shape)
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(6.0 / max(1.0, fan_in + fan_out))
        return random.uniform(shape, -limit, limit, _float_dtype(self, dtype),
                              seed=self.seed)

    def get_config(self):
        return {"seed": self.seed}


# stddev of a unit normal truncated at +-2: dividing by it restores variance 1.
_TRUNCATED_STDDEV = 0.87962566103423978


class HeNormal(Initializer):
    """Truncated normal with stddev sqrt(2 / fan_in) (He et al., 2015), as Keras.

    >>> mtf.initializers.he_normal(seed=7)([3, 2]).dtype == mtf.float32
    True
    """

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        shape = _checked_shape(self, shape)
        fan_in, _ = _fans(shape)
        stddev = math.sqrt(2.0 / max(1.0, fan_in)) / _TRUNCATED_STDDEV
        return random.truncated_normal(shape, 0.0, stddev, _float_dtype(self, dtype),
                                       seed=self.seed)

    def get_config(self):
        return {"seed": self.seed}


# Keras' lower-case aliases.
zeros = Zeros
ones = Ones
constant = Constant
truncated_normal = TruncatedNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal


def _fans(shape):
    """(fan_in, fan_out): [in, out] for matrices; kernels [..., in, out] count the window."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _broadcast_shape(source, target):
    try:
        return np.broadcast_shapes(source, target)
    except ValueError:
        return None


def _checked_shape(init, shape):
    try:
        checked = _shape_tuple(shape)
    except (TypeError, ValueError):
        checked = None
    if checked is None or any(n < 0 for n in checked):
        raise ValueError(f"{type(init).__name__}: shape must be a list of non-negative "
                         f"ints. Received: shape={shape!r}")
    return checked


def _dtype(dtype):
    return dtypes.float32 if dtype is None else dtypes.as_dtype(dtype)


def _float_dtype(init, dtype):
    dtype = _dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{type(init).__name__}: needs a floating dtype. Received: "
                        f"dtype={dtype}")
    return dtype
