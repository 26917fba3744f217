"""Batching rules ops give ``apply(..., batch=)`` for ``mtf.vectorized_map``.

A rule says how to run an op's ``fn`` once on a whole batch: inputs that depend
on the mapped example carry a leading batch axis, the others do not. See
``minitf/_vectorize/batched.py`` for how they are used.

- ``BROADCAST``: ``fn`` broadcasts over leading axes (elementwise ops, matmul,
  last-axis kernels); batched inputs get size-1 axes after the batch axis.
- ``EXPANDED``: as ``BROADCAST``, then every input is broadcast to the output's
  shape (kernels that need inputs of one shape: relu_grad, tanh_grad, ...).
- a callable ``rule(*arrays)``: every input has the batch axis (unbatched ones are
  broadcast to it); returns the batched output.
- ``flagged(rule)``: ``rule(batched, *arrays)`` with ``batched`` a tuple of bools
  and unbatched inputs left as they are.
"""
import math

import numpy as np

BROADCAST = "broadcast"
EXPANDED = "expanded"


def flagged(rule):
    """Mark ``rule`` as taking ``(batched flags, *arrays)``, unbatched arrays as given."""
    rule.flagged = True
    return rule


def shifted(axes, ndim):
    """Per-example axes (None for all of ``ndim``; an int; non-negative ints) as the
    axes of the batched array."""
    if axes is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axes, int):
        return axes % ndim + 1 if ndim else 1
    return tuple(a % ndim + 1 for a in axes)


def reshaped(shape):
    """The rule of ``v.reshape(shape)``: each example reshaped."""
    shape = tuple(shape)
    return lambda v: v.reshape(v.shape[:1] + shape)


def at_axis(make, axis, ndim):
    """The rule of a kernel taking an axis: ``make(batched axis)``, a function."""
    return make(shifted(axis, ndim))


def lifted(v, rank):
    """A batched ``v`` with size-1 axes after the batch axis up to per-example ``rank``."""
    return v.reshape(v.shape[:1] + (1,) * (rank - v.ndim + 1) + v.shape[1:])


def batched_key(key):
    """A basic index key (ints, slices, None, Ellipsis) for the batched array."""
    return (slice(None),) + (key if type(key) is tuple else (key,))


def aligned(values, batched):
    """Batched values lifted to the largest per-example rank of all ``values`` (then
    they broadcast against each other and the unbatched ones)."""
    rank = max(np.ndim(v) - b for v, b in zip(values, batched))
    return [lifted(v, rank) if b and v.ndim - 1 < rank else v
            for v, b in zip(values, batched)]


def example_offsets(n, size, rank):
    """Example b's first flat position in a batch of ``n`` examples of ``size``
    elements each, shaped to add to per-example positions of ``rank`` axes."""
    return (np.arange(n, dtype=np.int64) * size).reshape((n,) + (1,) * rank)


def batched_positions(positions, batched, n, size):
    """Per-example flat positions (batched or shared by all examples) as positions in
    the whole batch flattened, example b's moved to its block of ``size``."""
    rank = np.ndim(positions) - batched
    if not batched:
        positions = np.broadcast_to(positions, (n,) + np.shape(positions))
    return positions + example_offsets(n, size, rank)


@flagged
def read_flat(batched, values, positions):
    """The batching rule of ``values.reshape(-1)[positions]``: one fancy index into
    the whole batch."""
    if not batched[0]:
        return values.reshape(-1)[positions]
    n, size = len(values), math.prod(values.shape[1:])
    return values.reshape(-1)[batched_positions(positions, batched[1], n, size)]

