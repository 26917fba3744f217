"""Gradient fuzzer entries of the nn_extra research ops: silu/swish, relu6,
l2_normalize, bias_add and embedding_lookup (every one differentiable)."""
import numpy as np

import minitf as mtf
from _gradient_ops import SMALL, Reject, entry

NOT_DIFFERENTIABLE = set()


def _silu(name):
    def make(b):
        beta = float(b.rng.choice([1.0, b.rng.uniform(-2, 2)]))
        op = getattr(mtf.nn, name)
        b.add(name, lambda x: op(x, beta), [b.cur])
    entry(name)(make)


_silu("silu")
_silu("swish")


def _relu6_regime(x):
    """Which of the three pieces of relu6 each input is on."""
    near = np.minimum(np.abs(x), np.abs(x - 6))
    if np.any(near < SMALL):
        raise Reject("relu6: an input on a kink")
    return (x > 0).astype(int) + (x > 6)


@entry("relu6")
def _relu6(b):
    x = b.add("to_relu6_range", lambda t: t * 4.0 + 2.0, [b.cur], current=False)
    b.add("relu6", mtf.nn.relu6, [x], regime=_relu6_regime)


def _l2_regime(x, axes, epsilon):
    """Whether each sum of squares is above epsilon (the kink of the max)."""
    s = np.sum(x * x, axis=axes, keepdims=True)
    if np.any(np.abs(s - epsilon) < SMALL * max(epsilon, 1e-3)):
        raise Reject("l2_normalize: a sum of squares at epsilon")
    return s > epsilon


@entry("l2_normalize")
def _l2_normalize(b):
    ndim = len(b.shape(b.cur))
    axis = b.axes(ndim)
    epsilon = float(b.rng.choice([1e-12, 0.5]))
    axes = None if axis is None else tuple(np.atleast_1d(axis).tolist())
    b.add("l2_normalize", lambda x: mtf.nn.l2_normalize(x, axis, epsilon), [b.cur],
          regime=lambda x: _l2_regime(x, axes, epsilon))


@entry("bias_add")
def _bias_add(b):
    x = b.rank_at_least(b.cur, 2)
    shape = b.shape(x)
    nc = bool(b.rng.integers(2))
    bias = b.operand((shape[1 if nc else -1],), scalar=False)
    fmt = "NCHW" if nc else None
    b.add("bias_add", lambda v, c: mtf.nn.bias_add(v, c, fmt), [x, bias])


@entry("embedding_lookup")
def _embedding_lookup(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    ids = b.rng.integers(0, shape[0], b.rng.integers(1, 3, b.rng.integers(0, 3)).tolist())
    max_norm = None if b.rng.random() < 0.5 else float(b.rng.uniform(0.3, 2.0))
    axes = tuple(range(ids.ndim, ids.ndim + len(shape) - 1))

    def regime(p):
        if max_norm is None:
            return np.zeros(0)
        norm = np.sqrt(np.sum(p[ids] ** 2, axis=axes))
        if np.any(np.abs(norm - max_norm) < SMALL):
            raise Reject("embedding_lookup: a norm at max_norm")
        return norm > max_norm
    b.add("embedding_lookup", lambda p: mtf.nn.embedding_lookup(p, ids, max_norm), [x],
          regime=regime)
