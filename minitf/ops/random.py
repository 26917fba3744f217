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

Every ``seed=`` also accepts a ``mtf.random.Generator`` (Keras 3's convention):
the draw is then a pure function of the generator's state, which advances
(``minitf/ops/generator.py``). A *source* (``_source``) hides the difference:
``source._run(op, fn, label)`` is the stateful op ``fn(numpy generator)``.
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


class _Seeded:
    """The source of an int or None ``seed``: TensorFlow's global/op seed rules."""

    def __init__(self, seed):
        self.seed = seed

    def _run(self, op, fn, label=None, args=()):
        """The stateful op ``fn(numpy generator, *arrays of args)``, drawn anew on
        every replay."""
        seed = self.seed
        return apply_stateful(op, lambda *arrays: _draw(seed, lambda g: fn(g, *arrays)),
                              args, label=label)


def _source(op, seed):
    """The source of ``seed``: None, an int op seed or a ``mtf.random.Generator``."""
    from .generator import Generator
    if isinstance(seed, Generator):
        return seed
    return _Seeded(None if seed is None else _check_seed(op, seed))


def _generator(global_seed, op_seed, kind):
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(
        [global_seed, op_seed, kind])))


def _check_seed(op, seed):
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed must be an int. Received: seed={seed!r} (a "
                        f"mtf.random.Generator is accepted too)")
    return int(seed) % 2**64


@quiet
def normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    """Samples of N(mean, stddev**2) of the given shape.

    >>> mtf.random.normal([2, 3], seed=1).shape
    (2, 3)
    """
    return _normal("normal", shape, mean, stddev, dtype, name, lambda op: _source(op, seed))


def _normal(op, shape, mean, stddev, dtype, name, source_of):
    """``normal`` for any source (``source_of(op)``, asked after the other checks)."""
    shape, dtype = _spec(op, shape, dtype)
    mean, stddev = _param(op, "mean", mean, dtype), _param(op, "stddev", stddev, dtype)
    source = source_of(op)

    def draw(g):
        return g.standard_normal(shape, _draw_dtype(dtype))
    return _affine(op, source, draw, mean, stddev, dtype, shape, name)


@quiet
def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None,
                     name=None):
    """Normal samples, those more than 2 standard deviations out drawn again.

    >>> bool(mtf.reduce_max(mtf.abs(mtf.random.truncated_normal([100], seed=1))) <= 2)
    True
    """
    return _truncated_normal("truncated_normal", shape, mean, stddev, dtype, name,
                             lambda op: _source(op, seed))


def _truncated_normal(op, shape, mean, stddev, dtype, name, source_of):
    """``truncated_normal`` for any source (see ``_normal``)."""
    shape, dtype = _spec(op, shape, dtype)
    mean, stddev = _param(op, "mean", mean, dtype), _param(op, "stddev", stddev, dtype)
    source = source_of(op)

    def draw(g):
        z = g.standard_normal(shape, _draw_dtype(dtype))
        outside = np.abs(z) > 2
        while outside.any():
            z[outside] = g.standard_normal(int(outside.sum()), _draw_dtype(dtype))
            outside = np.abs(z) > 2
        return z
    return _affine(op, source, draw, mean, stddev, dtype, shape, name)


@quiet
def uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    """Samples of U[minval, maxval); ``maxval`` defaults to 1 for floats and is
    required for integer dtypes.

    >>> mtf.random.uniform([3], 0, 10, mtf.int32, seed=1).dtype == mtf.int32
    True
    """
    return _uniform("uniform", shape, minval, maxval, dtype, name,
                    lambda op: _source(op, seed))


def _uniform(op, shape, minval, maxval, dtype, name, source_of):
    """``uniform`` for any source (see ``_normal``)."""
    shape, dtype = _spec(op, shape, dtype, integers=True)
    if dtype.kind in "iu":
        low, high = _int_bounds(op, minval, maxval, dtype)
        return source_of(op)._run(op, lambda g: g.integers(low, high, shape, dtype), name)
    minval = _param(op, "minval", minval, dtype)
    maxval = _param(op, "maxval", 1.0 if maxval is None else maxval, dtype)
    source = source_of(op)

    def draw(g):
        return _unit(g, shape, dtype)
    if type(minval) in TENSOR_TYPES or type(maxval) in TENSOR_TYPES:
        minval, maxval = as_tensor(minval, dtype), as_tensor(maxval, dtype)
        return _affine(op, source, draw, minval, lambda: maxval - minval, dtype, shape,
                       name)
    return _affine(op, source, draw, minval,
                   lambda: np.asarray(maxval, dtype) - np.asarray(minval, dtype), dtype,
                   shape, name)


@quiet
def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """Class indices drawn from the softmax of each row of ``logits`` [batch, classes]:
    an int64 (or ``dtype``) tensor [batch, num_samples].

    >>> mtf.random.categorical([[0.0, -np.inf]], 3, seed=1).numpy()
    array([[0, 0, 0]])
    """
    op = "categorical"
    logits = check.float_tensor(op, logits, "logits")
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ValueError(f"{op}: logits must have shape [batch, classes] with at least "
                         f"one class. Received: logits.shape={logits.shape}")
    count = check.integer(op, "num_samples", num_samples, low=0)
    dtype = check.dtype(op, dtype, allowed=(dtypes.int32, dtypes.int64), optional=True)
    dtype = dtypes.int64 if dtype is None else dtype

    def sample(g, z):
        return _inverse_cdf(_softmax_weights(z), g.random((z.shape[0], count))).astype(dtype)
    return _source(op, seed)._run(op, sample, name, (logits,))


def _softmax_weights(z):
    """Unnormalised softmax rows (float64); a row with +inf logits puts all its mass
    on them. Rows with NaN, or all -inf, give arbitrary (valid) classes."""
    z = z.astype(np.float64)
    top = z.max(axis=1, keepdims=True)
    infinite = np.isposinf(top)
    weights = np.exp(z - np.where(infinite, 0.0, top))
    return np.where(infinite, np.isposinf(z), weights)


def _inverse_cdf(weights, u):
    """Per row, the class whose cumulative weight interval holds ``u`` * total."""
    cdf = np.cumsum(weights, axis=1)
    classes = weights.shape[1]
    last = classes - 1 - np.argmax(weights[:, ::-1] > 0, axis=1)   # last possible class
    out = np.empty(u.shape, np.int64)
    for row in range(u.shape[0]):
        found = np.searchsorted(cdf[row], u[row] * cdf[row, -1], side="right")
        out[row] = np.minimum(found, last[row])
    return out


@quiet
def shuffle(value, seed=None, name=None):
    """``value`` with its first axis randomly permuted (no gradient).

    >>> sorted(mtf.random.shuffle([3, 1, 2], seed=1).numpy().tolist())
    [1, 2, 3]
    """
    op = "shuffle"
    x = check.tensor(op, value, "value")
    if x.ndim == 0:
        raise ValueError(f"{op}: value must have at least one axis. "
                         f"{check.received('value', value)}")
    return _source(op, seed)._run(op, lambda g, v: v[g.permutation(v.shape[0])], name, (x,))


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
    source = _source(op, seed)
    scale = 1 / (1 - rate)

    def mask(g):
        keep = _unit(g, shape, dtype) >= rate
        return np.where(keep, scale, 0).astype(dtype)
    return source._run(op, mask)


def _unit(generator, shape, dtype):
    """U[0, 1) samples of ``dtype``; float16 rounding never reaches 1."""
    u = generator.random(shape, _draw_dtype(dtype))
    if dtype.itemsize < 4:
        u = np.minimum(u.astype(dtype), np.nextafter(dtype.type(1), dtype.type(0)))
    return u


def _affine(op, source, draw, shift, scale, dtype, shape, label):
    """``draw``'s samples (a stateful op) * scale + shift (``scale`` may be a thunk);
    Tensor parameters are recorded so gradients reach them."""
    try:
        if type(shift) in TENSOR_TYPES or type(scale) in TENSOR_TYPES:
            z = source._run(op, lambda g: draw(g).astype(dtype, copy=False), label)
            scale = scale() if callable(scale) else scale
            out = z * as_tensor(scale, dtype) + as_tensor(shift, dtype)
        else:
            scale = scale() if callable(scale) else scale
            out = source._run(op, _numpy_affine(draw, np.asarray(shift, dtype),
                                               np.asarray(scale, dtype), dtype), label)
    except ValueError:
        raise ValueError(f"{op}: parameters {shift!r} and {scale!r} must be numbers or "
                         f"arrays broadcastable to shape {shape}.") from None
    return _fit(op, out, shape)


def _numpy_affine(draw, shift, scale, dtype):
    """The sampler of ``_affine`` when no parameter is a Tensor."""
    def sample(g):
        return (draw(g) * scale + shift).astype(dtype, copy=False)
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
