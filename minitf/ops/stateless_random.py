"""Stateless random tensors: the numbers are a pure function of ``seed`` (and shape,
dtype, parameters), the same in every call and every process.

Keyed counter-based draws: numpy's Philox bit generator with the two words of
``seed`` as its 128-bit key and its counter at 0, read by numpy's samplers.
The numbers differ from TensorFlow's (a different counter layout and different
samplers on top of Philox); they are stable for a given numpy version.
"""
import numpy as np

from .. import dtypes
from . import _validate as check
from ._dispatch import apply
from ._quiet import quiet
from .random import _normal, _uniform

_ALGORITHMS = ("philox", "auto_select")


def philox(key, counter_high=(0, 0)):
    """A numpy Generator on Philox with ``key`` (two uint64 words) and a counter whose
    high words are ``counter_high`` (its low words count the draw's own blocks)."""
    counter = [0, 0, int(counter_high[0]), int(counter_high[1])]
    return np.random.Generator(np.random.Philox(counter=counter,
                                                key=[int(key[0]), int(key[1])]))


def check_algorithm(op, alg):
    """``alg`` as "philox": None, "philox" or "auto_select" (TensorFlow's names)."""
    if alg is None:
        return "philox"
    if not isinstance(alg, str):
        raise TypeError(f"{op}: alg must be a string: 'philox' or 'auto_select'. "
                        f"Received: alg={alg!r}")
    if alg.lower() not in _ALGORITHMS:
        raise ValueError(f"{op}: alg {alg!r} is not supported; minitf implements "
                         f"'philox' ('auto_select' picks it). Received: alg={alg!r}")
    return "philox"


class _Stateless:
    """The source of a stateless draw: ``fn`` reads a Philox generator keyed by the
    seed, which is an op input (a traced function may take it as an argument)."""

    def __init__(self, seed):
        self.seed = seed

    def _run(self, op, fn, label=None, args=()):
        """The op ``fn(numpy generator, *arrays of args)``; pure in the seed."""
        def sample(seed, *arrays):
            return fn(philox(_as_words(seed)), *arrays)
        return apply(op, sample, (self.seed, *args), label=label)


def _as_words(seed):
    """A shape-[2] integer array as two uint64 words (negative ints wrap)."""
    return np.ascontiguousarray(seed, np.int64).view(np.uint64)


def _seed_tensor(op, seed):
    """``seed`` as a shape-[2] int32/int64 Tensor (a Tensor stays an op input)."""
    if seed is None:
        raise ValueError(f"{op}: seed is required: a shape-[2] int tensor or list. "
                         f"Received: seed=None")
    t = check.tensor(op, seed, "seed")
    if t.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"{op}: seed must hold int32 or int64 values, not {t.dtype}. "
                        f"{check.received('seed', seed)}")
    if t.shape != (2,):
        raise ValueError(f"{op}: seed must have shape [2], not {list(t.shape)}. "
                         f"{check.received('seed', seed)}")
    return t


def _source_of(seed, alg):
    def source(op):
        check_algorithm(op, alg)
        return _Stateless(_seed_tensor(op, seed))
    return source


@quiet
def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                     alg="auto_select"):
    """N(mean, stddev**2) samples, a pure function of ``seed`` (shape [2] ints).

    >>> mtf.random.stateless_normal([2, 3], seed=[1, 2]).shape
    (2, 3)
    """
    return _normal("stateless_normal", shape, mean, stddev, dtype, name,
                   _source_of(seed, alg))


@quiet
def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None,
                      alg="auto_select"):
    """U[minval, maxval) samples, a pure function of ``seed``; ints need ``maxval``.

    >>> bool(mtf.reduce_max(mtf.random.stateless_uniform([4], [3, 4], 0, 5, mtf.int64)) < 5)
    True
    """
    return _uniform("stateless_uniform", shape, minval, maxval, dtype, name,
                    _source_of(seed, alg))

