"""``mtf.random.Generator``: a counter-based random generator whose state is a Variable.

The state is an int64 Variable of shape [3]: a 128-bit draw counter (two
words, low first) and a 64-bit key. A draw is a pure function of the state
value -- numpy's Philox keyed by (key, a fixed tag) with the draw counter in
the high half of its 256-bit counter, read by numpy's samplers -- and then the
state advances: the counter goes up by one per draw (TensorFlow advances it by
the number of samples; the numbers differ from TensorFlow's anyway).

The draw reads the state as an op input and the advance is an op followed by
``state.assign``, so ``mtf.function`` replays both on every call. The
Generator is a Module: a Module holding it lists ``state`` among its
non-trainable variables, and checkpoints save and restore it.
"""
import numpy as np

from .. import dtypes
from ..module import Module
from ..tensor import Variable
from . import _validate as check
from ._dispatch import apply, apply_stateful
from .random import _truncated_normal, _normal, _uniform, categorical, shuffle
from .stateless_random import check_algorithm, philox

_TAG = 0x9E3779B97F4A7C15        # second key word: keeps draws apart from stateless ones
_SEED_TAG = 0x6D696E6974662E72   # mixed into from_seed's key derivation


class Generator(Module):
    """Random numbers from a Philox state held in ``self.state`` (int64 [3]).

    >>> mtf.random.Generator.from_seed(1).normal([2, 3]).shape
    (2, 3)
    """

    def __init__(self, copy_from=None, state=None, alg=None, name=None):
        super().__init__(name=name)
        self._alg = check_algorithm("Generator", alg)
        value = _initial_state(copy_from, state)
        with self.name_scope:
            self.state = Variable(value, trainable=False, name="state")

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A Generator whose state is derived from the int ``seed``.

        >>> mtf.random.Generator.from_seed(7).state.dtype == mtf.int64
        True
        """
        return cls(state=_seed_state("Generator.from_seed", seed), alg=alg)

    @classmethod
    def from_state(cls, state, alg=None):
        """A Generator starting at ``state`` (shape [3] ints).

        >>> mtf.random.Generator.from_state([0, 0, 5]).state.numpy().tolist()
        [0, 0, 5]
        """
        return cls(state=state, alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A Generator keyed from operating-system entropy (numpy's global RNG untouched).

        >>> mtf.random.Generator.from_non_deterministic_state().state.shape
        (3,)
        """
        key = np.random.SeedSequence().generate_state(1, np.uint64)
        return cls(state=np.array([0, 0, key[0]], np.uint64).view(np.int64), alg=alg)

    @property
    def algorithm(self):
        """The bit generator: ``"philox"``.

        >>> mtf.random.Generator.from_seed(1).algorithm
        'philox'
        """
        return self._alg

    def reset(self, state):
        """Set the state to ``state`` (shape [3] ints).

        >>> mtf.random.Generator.from_seed(1).reset([0, 0, 3]).state.numpy().tolist()
        [0, 0, 3]
        """
        self.state.assign(_checked_state("Generator.reset", state))
        return self

    def reset_from_seed(self, seed):
        """Set the state ``from_seed(seed)`` would start with.

        >>> mtf.random.Generator.from_seed(3).reset_from_seed(4).state.numpy()[0]
        np.int64(0)
        """
        self.state.assign(_seed_state("Generator.reset_from_seed", seed))
        return self

    def split(self, count=1):
        """``count`` new independent Generators keyed by draws from this one.

        >>> len(mtf.random.Generator.from_seed(1).split(2))
        2
        """
        count = check.integer("Generator.split", "count", count, low=1, high=2**20)

        def keys(g):
            return g.integers(0, 2**64, count, np.uint64).view(np.int64)
        drawn = self._run("generator_split", keys).numpy()
        return [Generator(state=[0, 0, int(k)], alg=self._alg) for k in drawn]

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None):
        """Samples of N(mean, stddev**2).

        >>> mtf.random.Generator.from_seed(1).normal([4]).dtype == mtf.float32
        True
        """
        return _normal("Generator.normal", shape, mean, stddev, dtype, name, self._source)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32,
                         name=None):
        """Normal samples within two standard deviations of ``mean``.

        >>> mtf.random.Generator.from_seed(1).truncated_normal([2], stddev=0.1).shape
        (2,)
        """
        return _truncated_normal("Generator.truncated_normal", shape, mean, stddev, dtype,
                                 name, self._source)

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None):
        """Samples of U[minval, maxval); integer dtypes need ``maxval``.

        >>> mtf.random.Generator.from_seed(1).uniform([3], 0, 4, mtf.int64).dtype == mtf.int64
        True
        """
        return _uniform("Generator.uniform", shape, minval, maxval, dtype, name,
                        self._source)

    def categorical(self, logits, num_samples, dtype=None, name=None):
        """Class indices from softmax(logits) rows (``mtf.random.categorical``).

        >>> mtf.random.Generator.from_seed(1).categorical([[0.0, 0.0]], 5).shape
        (1, 5)
        """
        return categorical(logits, num_samples, dtype=dtype, seed=self, name=name)

    def shuffle(self, value, name=None):
        """``value`` permuted along axis 0 (``mtf.random.shuffle``).

        >>> sorted(mtf.random.Generator.from_seed(1).shuffle([2, 0, 1]).numpy().tolist())
        [0, 1, 2]
        """
        return shuffle(value, seed=self, name=name)

    def _source(self, _op):
        return self

    def _run(self, op, fn, label=None, args=()):
        """The op ``fn(numpy generator, *arrays of args)`` on the current state, which
        then advances (both recorded, so ``mtf.function`` replays them)."""
        state = self.state

        def sample(value, *arrays):
            return fn(_numpy_generator(value), *arrays)
        out = apply_stateful(op, sample, (state, *args), label=label)
        state.assign(apply("generator_advance", _advanced, (state,)))
        return out


def _numpy_generator(state):
    """numpy's Philox for the state value: key (state[2], tag), counter (state[0:2])."""
    words = np.ascontiguousarray(state, np.int64).view(np.uint64)
    return philox((words[2], _TAG), (words[0], words[1]))


def _advanced(state):
    """The state with its 128-bit draw counter one higher."""
    words = np.array(state, np.int64).view(np.uint64)
    np.add(words[:1], np.uint64(1), out=words[:1])
    np.add(words[1:2], (words[:1] == 0).astype(np.uint64), out=words[1:2])
    return words.view(np.int64)


def _seed_state(op, seed):
    """The start state of ``seed``: counter 0, a key hashed from the seed."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed must be an int. Received: seed={seed!r}")
    key = np.random.SeedSequence([int(seed) % 2**64, _SEED_TAG]).generate_state(1, np.uint64)
    return np.array([0, 0, key[0]], np.uint64).view(np.int64)


def _checked_state(op, state):
    """``state`` as an int64 array of shape [3]."""
    t = check.tensor(op, state, "state")
    if t.dtype not in (dtypes.int32, dtypes.int64) or t.shape != (3,):
        raise ValueError(f"{op}: state must be 3 ints (int32 or int64), not shape "
                         f"{list(t.shape)} of {t.dtype}. {check.received('state', state)}")
    return t._value.astype(np.int64)


def _initial_state(copy_from, state):
    """The first state: a copy of ``copy_from``'s, or ``state``; exactly one is given."""
    if (copy_from is None) == (state is None):
        raise ValueError("Generator: pass exactly one of copy_from and state (or use "
                         "Generator.from_seed). Received: copy_from="
                         f"{type(copy_from).__name__}, state={state!r}")
    if copy_from is not None:
        if not isinstance(copy_from, Generator):
            raise TypeError(f"Generator: copy_from must be a Generator. Received: "
                            f"copy_from={copy_from!r}")
        return copy_from.state.numpy()
    return _checked_state("Generator", state)
