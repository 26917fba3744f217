"""Sparse (IndexedSlices) gradients in an optimizer step: rows, not tables.

``Sparse`` is a validated IndexedSlices gradient. Its duplicate rows are
summed once (``summed``: from zero, in order of appearance, the additions
densifying makes), so a formula applied to the summed rows gives, element for
element, what it gives on the densified gradient. A built-in optimizer then
updates only those rows when that is the dense update, or when asked to:

- exact: the dense rule leaves every other row, and its slots, unchanged bit
  for bit. Each optimizer says when (``_rows_only``: SGD without momentum,
  Adagrad); in addition the variable must not be decayed, the learning rate
  must be finite and not negative, and the slots must hold values the
  optimizer wrote (after anyone else assigned them, ``_rows_only_slots``
  checks them once, on the next sparse update);
- lazy (``lazy=True``): only the named rows change, by definition;

otherwise the gradient is densified and the dense update runs. The rows are
gathered from the variable and its slots into compact blocks, the optimizer's
own fused kernel runs on them, and they are written back. ``get_updates`` and
EMA need the whole increment: it is -0.0 outside the rows, what the dense rule
adds there. Clipping and gradient accumulation work on the summed rows too.
"""
import math

import numpy as np

from ..kernels import scatter
from ..kernels import sparse_optim as rows_k

_HALF = np.dtype(np.float16)
BASE_SLOTS = frozenset(("average", "gradient_accumulator"))  # the base class's, not the kernel's
APPLIED = object()      # update(): the variable is updated, no increment to hand back


class Sparse:
    """A validated IndexedSlices gradient: numpy ``values`` and ``indices``;
    ``unique`` once duplicate rows are summed."""

    __slots__ = ("values", "indices", "unique")

    def __init__(self, values, indices, unique=False):
        self.values, self.indices, self.unique = values, indices, unique


def summed(g):
    """``g`` with each row once, duplicates summed as densifying sums them."""
    if g.unique:
        return g
    rows, sums = scatter.sum_duplicates(g.values, g.indices)
    return Sparse(sums, rows, True)


def densify(g, shape, dtype):
    """The dense array of ``g`` (duplicate rows summed)."""
    return scatter.scatter_add_rows(g.values.astype(dtype, copy=False), g.indices, shape[0])


def squared_norm(g):
    """Sum of squares of the densified ``g`` (a Sparse or an array), in the fixed order
    of ``sum_of_squares``: the same float for both forms."""
    if type(g) is Sparse:
        g = summed(g)
        return rows_k.rows_sum_of_squares(g.values, g.indices)
    return rows_k.sum_of_squares(g)


def with_values(g, values):
    """A summed Sparse with ``g``'s rows and new ``values``."""
    return Sparse(values, g.indices, True)


# ---- the update of one variable from its rows

def update(opt, g, var, lr, wdlr, add, ema, increment):
    """Update ``var`` from the rows of ``g`` when that is exact or lazy.

    Returns None when the update must be dense; ``APPLIED`` when it is done;
    else the dense flat increment (``add`` false or EMA on), which the caller
    adds or averages. ``increment(p, g, slots, lr, wdlr)`` is the fused
    kernel's increment (float16 runs in float32).
    """
    state = opt._states[id(var)]
    if not (opt.lazy or (wdlr == 0 and _exact(opt, state, lr, var.dtype))):
        return None
    g = summed(g)
    rows = g.indices
    names = [name for name in state.slots if name not in BASE_SLOTS]
    tables = [_rows_of(var._value)]
    tables += [state.slots[name]._value.reshape(tables[0].shape) for name in names]
    blocks = rows_k.take_rows(tables, rows)     # the variable's rows, then each slot's
    p, grad = blocks[0].reshape(-1), g.values.reshape(-1)
    slots = {name: b.reshape(-1) for name, b in zip(names, blocks[1:])}
    whole = not add or ema is not None
    if whole or p.dtype == _HALF:
        u = increment(p, grad, slots, lr, wdlr)
    else:
        opt._kernel(p, grad, slots, lr, p, True, wdlr)
    if whole:
        rows_k.put_rows(tables[1:], rows, blocks[1:])
        full = np.full(tables[0].shape, -0.0, p.dtype)
        rows_k.put_rows([full], rows, u.reshape((1,) + blocks[0].shape))
        return full.reshape(-1)
    if p.dtype == _HALF:
        np.add(p, u, out=p)
    rows_k.put_rows(tables, rows, blocks)
    return APPLIED


def _rows_of(array):
    """``array`` as a 2-D ``(rows, width)`` view."""
    return array.reshape(array.shape[0], math.prod(array.shape[1:]))


def _exact(opt, state, lr, dtype):
    """Whether the dense rule leaves rows without gradient (and their slots) as they are."""
    rate = (np.float32 if dtype == _HALF else dtype.type)(lr)
    if not (math.isfinite(rate) and math.copysign(1.0, rate) > 0):
        return False        # inf * 0 is NaN; -lr * 0 is +0.0, which turns p = -0.0 into +0.0
    if not opt._rows_only(dtype):
        return False
    versions = slot_versions(state)
    if state.trusted != versions:
        if not opt._rows_only_slots({name: state.slots[name]._value
                                     for name in state.slots if name not in BASE_SLOTS}):
            return False
        state.trusted = versions
    return True


def slot_versions(state):
    """The versions of the kernel's slots (what ``trusted`` records)."""
    return tuple(slot._version for name, slot in state.slots.items() if name not in BASE_SLOTS)


# ---- gradient accumulation on rows

def accumulate(state, slot, g):
    """Add ``g`` to the accumulator ``slot``: its summed rows while the cycle's rows are
    known, else the densified gradient (the cycle's rows become unknown)."""
    known = state.rows is not None and state.rows[0] == slot._version
    if type(g) is Sparse and known:
        g = summed(g)
        table = _rows_of(slot._value)
        block = rows_k.take_rows([table], g.indices)
        np.add(block[0], g.values.reshape(block[0].shape), out=block[0])
        rows_k.put_rows([table], g.indices, block)
        state.rows[1].append(g.indices)
    else:
        if type(g) is Sparse:
            g = densify(g, slot.shape, slot.dtype)
        np.add(slot._value, g, out=slot._value)
        known = False
    slot._version += 1
    state.rows = (slot._version, state.rows[1]) if known else None


def mean_and_reset(state, slot, k):
    """The cycle's mean gradient (a Sparse of the touched rows when they are known) and
    the accumulator zeroed; the next cycle starts with known rows."""
    known = state.rows is not None and state.rows[0] == slot._version
    if known and state.rows[1]:
        rows = np.unique(np.concatenate(state.rows[1]))
        table = _rows_of(slot._value)
        block = rows_k.take_rows([table], rows)
        mean = Sparse((block[0] / slot.dtype.type(k)).reshape((len(rows),) + slot.shape[1:]),
                      rows, True)
        rows_k.put_rows([table], rows, np.zeros_like(block))
    else:
        mean = slot._value / slot.dtype.type(k)
        slot._value.fill(0)
    slot._version += 1
    state.rows = (slot._version, [])
    return mean


def start_cycle(state, slot):
    """A fresh accumulator (all zeros): the cycle's rows are known (none yet)."""
    state.rows = (slot._version, [])
