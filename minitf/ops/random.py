"""Random tensors with TensorFlow's seed rules (no gradient to the draw itself).

Which numbers an op draws depends on the global seed (``set_seed``) and the
op's ``seed=``, as in TensorFlow 2 eager:

- neither set: fresh, unreproducible numbers;
- global seed only: each call takes the next op seed from a counter, so calls
  differ, and ``set_seed`` with the same value replays the same sequence;
- op seed (with or without a global seed; TensorFlow's default global seed
  87654321 stands in when none is set): the pair names a stream, successive
  calls with the same pair continue it, and ``set_seed`` restarts every stream.

So a program that sets the same seeds draws the same numbers, call for call.
Under ``mtf.function`` each draw is a stateful step that a replay runs again by
the same rules, so N calls of a traced function draw what N eager calls draw.
The seed state is shared by all threads and guarded by one lock; unseeded draws
use a generator of the calling thread.
"""
import threading

import numpy as np

from .. import dtypes
from . import _validate as check
from ._dispatch import TENSOR_TYPES, apply_stateful, as_tensor
from ._quiet import quiet

_DEFAULT_GLOBAL_SEED = 87654321
_EXPLICIT, _COUNTER = 0, 1      # keeps counter-made op seeds apart from given ones


class _SeedState:
    """The global seed, the op-seed counter and the open streams (under ``lock``)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.global_seed = None
        self.counter = 0
        self.streams = {}


_state = _SeedState()
_unseeded = threading.local()


def set_seed(seed):
    """Set the global seed; restarts the sequence of every seeded op."""
    seed = None if seed is None else _check_seed("set_seed", seed)
    with _state.lock:
        _state.global_seed = seed
        _state.counter = 0
        _state.streams.clear()


def _draw(seed, fn):
    """``fn(generator)`` on the generator TensorFlow's seed rules pick for this call
    (``seed``: a checked op seed or None). Replays call it again, as eager calls do."""
    with _state.lock:
        global_seed = _state.global_seed
        if seed is None and global_seed is None:
            generator = None
        elif seed is None:
            _state.counter += 1
            generator = _generator(global_seed, _state.counter, _COUNTER)
        else:
            key = (_DEFAULT_GLOBAL_SEED if global_seed is None else global_seed, seed)
            stream = _state.streams.get(key)
            if stream is None:
                stream = _state.streams[key] = _generator(key[0], seed, _EXPLICIT)
            return fn(stream)          # a shared stream is drawn from under the lock
    if generator is None:
        generator = getattr(_unseeded, "generator", None)
        if generator is None:
            generator = _unseeded.generator = np.random.default_rng()
    return fn(generator)


def _op_seed(op, seed):
    return None if seed is None else _check_seed(op, seed)


def _generator(global_seed, op_seed, kind):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [global_seed, op_seed, kind])))


def _check_seed(op, seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed must be an int. Received: seed={seed!r}")
    return int(seed) % 2**64


@quiet
def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Samples of N(mean, stddev**2) of the given shape."""
    op = "normal"
    shape, dtype = _spec(op, shape, dtype)
    mean, stddev = _param(op, "mean", mean, dtype), _param(op, "stddev", stddev, dtype)
    seed = _op_seed(op, seed)

    def draw(g):
        return g.standard_normal(shape, _draw_dtype(dtype))
    return _affine(op, seed, draw, mean, stddev, dtype, shape, name)


@quiet
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None,
                     name=None):
    """Normal samples, those more than 2 standard deviations out drawn again."""
    op = "truncated_normal"
    shape, dtype = _spec(op, shape, dtype)
    mean, stddev = _param(op, "mean", mean, dtype), _param(op, "stddev", stddev, dtype)
    seed = _op_seed(op, seed)

    def draw(g):
        z = g.standard_normal(shape, _draw_dtype(dtype))
        outside = np.abs(z) > 2
        while outside.any():
            z[outside] = g.standard_normal(int(outside.sum()), _draw_dtype(dtype))
            outside = np.abs(z) > 2
        return z
    return _affine(op, seed, draw, mean, stddev, dtype, shape, name)


@quiet
def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Samples of U[minval, maxval); ``maxval`` defaults to 1 for floats and is
    required for integer dtypes."""
    op = "uniform"
    shape, dtype = _spec(op, shape, dtype, integers=True)
    if dtype.kind in "iu":
        low, high = _int_bounds(op, minval, maxval, dtype)
        seed = _op_seed(op, seed)
        return apply_stateful(
            op, lambda: _draw(seed, lambda g: g.integers(low, high, shape, dtype)),
            label=name)
    minval = _param(op, "minval", minval, dtype)
    maxval = _param(op, "maxval", 1.0 if maxval is None else maxval, dtype)
    seed = _op_seed(op, seed)

    def draw(g):
        return _unit(g, shape, dtype)
    if type(minval) in TENSOR_TYPES or type(maxval) in TENSOR_TYPES:
        minval, maxval = as_tensor(minval, dtype), as_tensor(maxval, dtype)
        return _affine(op, seed, draw, minval, lambda: maxval - minval, dtype, shape,
                       name)
    return _affine(op, seed, draw, minval,
                   lambda: np.asarray(maxval, dtype) - np.asarray(minval, dtype), dtype,
                   shape, name)


def _int_bounds(op, minval, maxval, dtype):
    """Python int bounds of an integer uniform draw: minval < maxval, within ``dtype``."""
    if maxval is None or type(minval) in TENSOR_TYPES or type(maxval) in TENSOR_TYPES:
        raise ValueError(f"{op}: integer dtype {dtype} needs Python int minval and "
                         f"maxval. Received: minval={minval!r}, maxval={maxval!r}")
    info = np.iinfo(dtype)
    low = check.integer(op, "minval", minval, low=info.min, high=info.max)
    high = check.integer(op, "maxval", maxval, low=info.min, high=info.max)
    if not low < high:
        raise ValueError(f"{op}: need minval < maxval. Received: minval={minval!r}, "
                         f"maxval={maxval!r}")
    return low, high


def _param(op, what, value, dtype):
    """mean/stddev/minval/maxval: a finite number, an array of numbers (cast to
    ``dtype``) or a Tensor of ``dtype`` (recorded, so gradients reach it)."""
    if type(value) in TENSOR_TYPES:
        if value.dtype != dtype:
            raise TypeError(f"{op}: {what} has dtype {value.dtype}, but the samples are "
                            f"{dtype}; cast it with mtf.cast. {check.received(what, value)}")
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        array = check.tensor(op, value, what)._value
        if array.dtype.kind not in "iuf":
            raise TypeError(f"{op}: {what} must hold numbers. {check.received(what, value)}")
        return array.astype(dtype)
    return check.number(op, what, value)


def _dropout_mask(op, shape, dtype, seed, rate):
    """dropout's mask of ``shape``: 1 / (1 - rate) where a U[0, 1) draw is >= rate,
    else 0 (a stateful op: a trace draws anew on every replay)."""
    seed = _op_seed(op, seed)
    scale = 1 / (1 - rate)

    def mask():
        keep = _draw(seed, lambda g: _unit(g, shape, dtype)) >= rate
        return np.where(keep, scale, 0).astype(dtype)
    return apply_stateful(op, mask)


def _unit(generator, shape, dtype):
    """U[0, 1) samples of ``dtype``; float16 rounding never reaches 1."""
    u = generator.random(shape, _draw_dtype(dtype))
    if dtype.itemsize < 4:
        u = np.minimum(u.astype(dtype), np.nextafter(dtype.type(1), dtype.type(0)))
    return u


def _affine(op, seed, draw, shift, scale, dtype, shape, label):
    """``draw``'s samples (a stateful op) * scale + shift (``scale`` may be a thunk);
    Tensor parameters are recorded so gradients reach them."""
    try:
        if type(shift) in TENSOR_TYPES or type(scale) in TENSOR_TYPES:
            z = apply_stateful(op, lambda: _draw(seed, draw).astype(dtype, copy=False),
                               label=label)
            scale = scale() if callable(scale) else scale
            out = z * as_tensor(scale, dtype) + as_tensor(shift, dtype)
        else:
            scale = scale() if callable(scale) else scale
            out = apply_stateful(op, _numpy_affine(seed, draw, np.asarray(shift, dtype),
                                                   np.asarray(scale, dtype), dtype),
                                 label=label)
    except ValueError:
        raise ValueError(f"{op}: parameters {shift!r} and {scale!r} must be numbers or "
                         f"arrays broadcastable to shape {shape}.") from None
    return _fit(op, out, shape)


def _numpy_affine(seed, draw, shift, scale, dtype):
    """The stateful sampler of ``_affine`` when no parameter is a Tensor."""
    def sample():
        return (_draw(seed, draw) * scale + shift).astype(dtype, copy=False)
    return sample


def _fit(op, out, shape):
    if out.shape != shape:
        raise ValueError(f"{op}: parameters of shape {out.shape} do not broadcast to the "
                         f"requested shape {shape}.")
    return out


_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


def _spec(op, shape, dtype, integers=False):
    """Validated (shape tuple, numpy dtype)."""
    allowed = _FLOATS + ((dtypes.int32, dtypes.int64) if integers else ())
    return check.shape(op, shape), check.dtype(op, dtype, allowed=allowed)


def _draw_dtype(dtype):
    """numpy draws float32 and float64 directly; float16 goes through float32."""
    return np.float64 if dtype == dtypes.float64 else np.float32
