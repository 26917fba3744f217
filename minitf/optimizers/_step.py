"""One optimizer step: validate -> accumulate -> clip -> update (+ weight decay) -> EMA -> count.

Every update is computed as an increment ``u`` and added with ``p + u``, in
the fused kernels (``add=True``) as in ``apply_updates``; that is why
``apply_gradients`` and ``apply_updates(get_updates(...))`` agree to the last
bit. Built-in optimizers run their fused kernel on the raw arrays; a custom
``update_step`` runs on a stand-in Variable holding a copy of the value, and
its increment is the stand-in's final value minus the original.
"""
import math
import warnings

import numpy as np

from .. import dtypes
from .._context import ctx
from ..indexed_slices import IndexedSlices
from ..kernels import optim as _k
from ..kernels import scatter
from ..ops._dispatch import wrap
from ..tensor import Tensor, Variable, _TensorLike, _state_lock
from . import _sparse
from ._slots import short
from ._sparse import Sparse, densify

_HALF = np.dtype(np.float16)


_NO_VARIABLES_HINT = (
    " The list of variables is empty. If they come from a model (model.trainable_variables), "
    "the model has none yet: Sonnet/Keras-style layers create their variables on the first "
    "call, so call the model once on an input (or build it) before taking gradients.")

def run(opt, grads_and_vars, add):
    """Apply (``add``) or return (``not add``) one step's updates."""
    pairs = _checked_pairs(grads_and_vars)
    with _state_lock:       # a checkpoint taken meanwhile sees the step whole or not at all
        return _run_checked(opt, pairs, add)


def run_validated(opt, pairs):
    """Apply dense gradient arrays whose pairs a trace validated (no None, no
    duplicate, numeric, the variables' shapes): a replay of ``apply_gradients``."""
    pairs = [(_checked_gradient(g, var), var) for g, var in pairs]
    with _state_lock:
        _run_checked(opt, pairs, True)


def _run_checked(opt, pairs, add):
    opt._ensure_built([v for _, v in pairs])
    pairs = _unaliased(opt, pairs)
    k = opt.gradient_accumulation_steps
    if k:
        if int(opt._accumulated_calls._value) + 1 < k:
            _accumulate(opt, pairs)
            opt._accumulated_calls.assign_add(1)
            return None if add else [(wrap(np.full(v.shape, -0.0, v.dtype)), v)
                                     for _, v in pairs]
        lr = opt._current_lr()
        pairs = _accumulated(opt, pairs, k)
        opt._accumulated_calls.assign(0)
    else:
        lr = opt._current_lr()
    pairs = _clipped(opt, pairs)
    opt._prepare_update()
    ema = _ema_settings(opt) if opt.use_ema else None
    updates = [(_update(opt, g, v, lr, add, ema), v) for g, v in pairs]
    _count(opt._iterations)
    return None if add else [(wrap(u.reshape(v.shape)), v) for u, v in updates]


# ---- validation (nothing changes before all of it passes)

def _checked_pairs(grads_and_vars):
    items = _as_list("apply_gradients", grads_and_vars)
    pairs, seen, missing = [], set(), []
    for i, item in enumerate(items):
        g, var = _unpacked("apply_gradients", i, item, "a gradient")
        if var._value.dtype.kind != "f":
            raise TypeError(f"apply_gradients: variable {var.name!r} has dtype {var.dtype}; "
                            f"only floating-point variables can be optimized.")
        if id(var) in seen:
            raise ValueError(f"apply_gradients: variable {var.name!r} appears twice; sum "
                             f"its gradients and pass it once.")
        seen.add(id(var))
        if g is None:
            missing.append(var.name)
        else:
            pairs.append((_checked_gradient(g, var), var))
    if not pairs:
        raise ValueError(f"No gradients provided for any variable: "
                         f"{[v.name for _, v in items] if items else []}."
                         f"{'' if items else _NO_VARIABLES_HINT}")
    if missing:
        warnings.warn(f"Gradients do not exist for variables {missing} when minimizing "
                      f"the loss.", stacklevel=4)
    return pairs


def _checked_gradient(g, var):
    """``g`` as a contiguous array of ``var``'s dtype and shape, or a Sparse."""
    if type(g) is IndexedSlices:
        return _checked_slices(g, var)
    if type(g) is Tensor:                 # the common case: a tape gradient, as it is
        array, want = g._value, var._value
        if array.dtype is want.dtype and array.shape == want.shape and array.flags.c_contiguous:
            return array
    array = g._value if isinstance(g, _TensorLike) else g
    try:
        array = np.asarray(array)
    except (TypeError, ValueError):
        array = np.asarray(None)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"apply_gradients: the gradient of {var.name!r} must be numeric. "
                        f"Received: {short(g)}")
    if array.shape != var.shape:
        raise ValueError(f"apply_gradients: gradient shape {array.shape} does not match "
                         f"variable {var.name!r} of shape {var.shape}.")
    return np.ascontiguousarray(array, dtype=var.dtype)


def _checked_slices(g, var):
    values = np.asarray(g.values._value)
    indices = np.asarray(g.indices._value)
    if g.dense_shape != var.shape:
        raise ValueError(f"apply_gradients: IndexedSlices of dense shape {g.dense_shape} "
                         f"does not match variable {var.name!r} of shape {var.shape}.")
    lo, hi = scatter.index_bounds(indices) if indices.size else (0, -1)
    if lo < 0 or hi >= var.shape[0]:
        raise IndexError(f"apply_gradients: IndexedSlices indices must be in [0, "
                         f"{var.shape[0]}) for variable {var.name!r}. Received: min "
                         f"{lo}, max {hi}.")
    if values.dtype.kind != "f":
        raise TypeError(f"apply_gradients: IndexedSlices values for {var.name!r} must be "
                        f"floating point. Received dtype {values.dtype}.")
    return Sparse(np.ascontiguousarray(values, dtype=var.dtype), indices)


def checked_updates(updates_and_vars):
    """``[(array, variable)]`` for apply_updates, each shape and dtype checked.

    An update that shares memory with a variable of the call is copied first,
    so every update is the value it had when the call began.
    """
    pairs = []
    for i, item in enumerate(_as_list("apply_updates", updates_and_vars)):
        u, var = _unpacked("apply_updates", i, item, "an update")
        array = dtypes.check_array(np.asarray(u._value if isinstance(u, _TensorLike) else u),
                                   "apply_updates")
        if array.shape != var.shape or array.dtype != var.dtype:
            raise ValueError(f"apply_updates: update of shape {array.shape} and dtype "
                             f"{array.dtype} does not match variable {var.name!r} of shape "
                             f"{var.shape} and dtype {var.dtype}.")
        pairs.append((array, var))
    written = {id(memory_root(var._value)) for _, var in pairs}
    return [(snapshot(array, written), var) for array, var in pairs]


# ---- gradients that share memory with what the call writes

def memory_root(array):
    """The object that owns ``array``'s memory (the end of its ``.base`` chain)."""
    base = array.base
    while base is not None:
        if not isinstance(base, np.ndarray):
            return base
        array, base = base, base.base
    return array


def snapshot(array, written):
    """``array``, copied if its memory belongs to one of ``written`` (ids of roots)."""
    root = array if array.base is None else memory_root(array)
    return array.copy() if id(root) in written else array


def _unaliased(opt, pairs):
    """``pairs`` with every gradient that shares memory with state the call writes copied.

    The call writes the optimizer's own variables (``iterations``,
    ``u_product``, ...), slots, the variables of ``pairs`` and, at the end of
    an accumulation cycle, the variables of earlier calls; a gradient that is
    (a view of) any of them is read as it was when the call began, as
    TensorFlow reads values.
    """
    state = _state_roots(opt)
    variables = [var for _, var in pairs]
    variables += [var for var in (ref() for ref in opt._touched.values()) if var is not None]
    written = set()
    for var in variables:
        a = var._value
        written.add(id(a if a.base is None else memory_root(a)))
    for i, (g, var) in enumerate(pairs):
        if type(g) is Sparse:
            pairs[i] = (Sparse(snapshot(g.values, written | state), g.indices), var)
            continue
        root = id(g if g.base is None else memory_root(g))
        if root in written or root in state:
            pairs[i] = (g.copy(), var)
    return pairs


def _state_roots(opt):
    """Ids of the memory of the optimizer's own variables and slots (cached per layout)."""
    cached = opt._written
    if cached is not None and cached[0] == opt._layout:
        return cached[1]
    arrays = [v._value for v in opt._own_variables()]
    arrays += [slot._value for state in list(opt._states.values())
               for slot in state.slots.values()]
    roots = frozenset(id(memory_root(a)) for a in arrays)
    opt._written = (opt._layout, roots)
    return roots


def _unpacked(op, i, item, a_what):
    """Item ``i`` as (``what``, Variable), else TypeError (``a_what``: "a gradient", ...)."""
    if type(item) is tuple and len(item) == 2 and type(item[1]) is Variable:
        return item
    article, what = a_what.split()
    if isinstance(item, _TensorLike) or not isinstance(item, (tuple, list)) or len(item) != 2:
        raise TypeError(f"{op}: item {i} is not {article} ({what}, variable) pair. "
                        f"Received: {short(item)}")
    value, var = item
    if type(var) is not Variable:
        raise TypeError(f"{op}: item {i} pairs {a_what} with a "
                        f"{type(var).__name__}, not a mtf.Variable: {short(var)}")
    return value, var


def _as_list(op, pairs):
    try:
        return list(pairs)
    except TypeError:
        raise TypeError(f"{op} expects an iterable of pairs. Received: {short(pairs)}") from None


# ---- gradient processing (sparse gradients stay sparse: see _sparse)

def _accumulate(opt, pairs):
    """Add this call's gradients to the accumulator slots."""
    for g, var in pairs:
        state = opt._states[id(var)]
        _sparse.accumulate(state, state.slots["gradient_accumulator"], g)
        opt._touched.setdefault(id(var), state.ref)


def _accumulated(opt, pairs, k):
    """The mean gradient of the cycle for each variable it touched; resets the slots."""
    _accumulate(opt, pairs)
    mean = []
    for ref in list(opt._touched.values()):
        var = ref()
        if var is not None:
            state = opt._states[id(var)]
            mean.append((_sparse.mean_and_reset(state, state.slots["gradient_accumulator"],
                                                k), var))
    opt._touched.clear()
    return mean


def _clipped(opt, pairs):
    """Apply clipnorm, global_clipnorm or clipvalue (to the summed rows of sparse ones)."""
    if opt.clipnorm is None and opt.global_clipnorm is None and opt.clipvalue is None:
        return pairs
    pairs = [(_sparse.summed(g) if type(g) is Sparse else g, v) for g, v in pairs]
    if opt.clipvalue is not None:
        c = opt.clipvalue
        return [(_sparse.with_values(g, np.clip(g.values, -c, c)) if type(g) is Sparse
                 else np.clip(g, -c, c), v) for g, v in pairs]
    if opt.clipnorm is not None:
        return [(_scaled(g, v, math.sqrt(_sparse.squared_norm(g)), opt.clipnorm), v)
                for g, v in pairs]
    norm = math.sqrt(sum(_sparse.squared_norm(g) for g, _ in pairs))
    return [(_scaled(g, v, norm, opt.global_clipnorm), v) for g, v in pairs]


def _scaled(g, var, norm, clip):
    """``g * clip / norm`` if ``norm > clip``; NaN everywhere if the norm is not finite
    (Keras), which makes a sparse gradient dense."""
    if not math.isfinite(norm):
        dense = densify(g, var.shape, var.dtype) if type(g) is Sparse else g
        return dense * dense.dtype.type(math.nan)
    if norm <= clip:
        return g
    if type(g) is Sparse:
        return _sparse.with_values(g, g.values * g.values.dtype.type(clip / norm))
    return g * g.dtype.type(clip / norm)


# ---- the update of one variable

def _update(opt, g, var, lr, add, ema):
    """Update one variable (``add``) or return its increment as a flat array."""
    p = _flat(var)
    state = opt._states[id(var)]
    wdlr = lr * opt.weight_decay if opt._decays(var) else 0.0
    if type(g) is Sparse and opt._fused_sparse:
        u = _sparse.update(opt, g, var, lr, wdlr, add, ema,
                           lambda *args: fused_increment(opt, *args))
        if u is None:
            g = densify(g, var.shape, var.dtype)
        elif u is _sparse.APPLIED:
            _touch(state, var)
            return p
        else:
            return _finish(state, var, p, u, add, ema)
    if opt._fused and type(g) is not Sparse:
        slots = slot_arrays(state)
        if ema is None and p.dtype != _HALF:
            out = p if add else np.empty_like(p)
            opt._kernel(p, g.reshape(-1), slots, lr, out, add, wdlr)
            _touch(state, var if add else None)
            return out
        u = fused_increment(opt, p, g.reshape(-1), slots, lr, wdlr)
    else:
        u = _generic_increment(opt, g, var, p, lr, wdlr)
    return _finish(state, var, p, u, add, ema)


def _finish(state, var, p, u, add, ema):
    """Add the increment ``u`` (through the EMA if on); return it."""
    if ema is not None:
        _finish_ema(p, u, state.slots["average"], add, ema)
    elif add:
        np.add(p, u, out=p)
    _touch(state, var if add else None)
    return u


def slot_arrays(state):
    """The slots of a variable as flat arrays, by name."""
    return {name: slot._value.reshape(-1) for name, slot in state.slots.items()}


def fused_increment(opt, p, g, slots, lr, wdlr):
    """The fused kernel's increment without touching ``p`` (float16 runs in float32)."""
    if p.dtype != _HALF:
        u = np.empty_like(p)
        opt._kernel(p, g, slots, lr, u, False, wdlr)
        return u
    wide = {name: a.astype(np.float32) for name, a in slots.items()}
    u = np.empty(p.shape, np.float32)
    opt._kernel(p.astype(np.float32), g.astype(np.float32), wide, lr, u, False, wdlr)
    for name, a in slots.items():
        np.copyto(a, wide[name], casting="same_kind")
    return u.astype(_HALF)


def _generic_increment(opt, g, var, p, lr, wdlr):
    """Run a custom update_step on a stand-in Variable; return new value - old value."""
    value = p - p * p.dtype.type(wdlr) if wdlr else p.copy()
    stand_in = _stand_in(var, value.reshape(var.shape))
    opt._shadows[id(stand_in)] = var
    saved, ctx.tapes = ctx.tapes, []      # optimizer arithmetic is never recorded
    try:
        if type(g) is Sparse:
            slices = IndexedSlices(wrap(g.values), wrap(g.indices), var.shape)
            opt.sparse_update_step(slices, stand_in, lr)
        else:
            opt.update_step(wrap(g), stand_in, lr)
    finally:
        ctx.tapes = saved
        del opt._shadows[id(stand_in)]
    return stand_in._value.reshape(-1) - p


def _stand_in(var, value):
    """A Variable with ``var``'s name holding ``value`` (no creation hooks run)."""
    stand_in = object.__new__(Variable)
    stand_in._value = np.ascontiguousarray(value)
    stand_in._version = 0
    stand_in._trainable = var._trainable
    stand_in._name = var._name
    return stand_in


def _ema_settings(opt):
    """(momentum, overwrite) for this step, as Keras 3: momentum 0 on the first step."""
    step = int(opt._iterations._value)
    momentum = opt.ema_momentum if step != 0 else 0.0
    every = opt.ema_overwrite_frequency
    return momentum, bool(every) and (step + 1) % every == 0


def _finish_ema(p, u, average, add, ema):
    momentum, overwrite = ema
    avg = average._value.reshape(-1)
    dt = p.dtype.type
    if p.dtype == _HALF:
        _k.ema_reference(p, u, avg, add, dt(momentum), dt(1 - momentum), overwrite)
    else:
        _k.run(_k.EMA, p, u, avg, add, dt(momentum), dt(1 - momentum), overwrite)


def _count(counter):
    """``counter.assign_add(1)`` for an int64 Variable of ours (the lock is held)."""
    counter._value += 1
    counter._version += 1


def _flat(var):
    """The variable's array as a 1-D view (in-place writes reach the variable)."""
    if not var._value.flags.c_contiguous:
        var._value = np.ascontiguousarray(var._value)
    return var._value.reshape(-1)


def _touch(state, var):
    """Bump the versions of what an update wrote (the tape's in-place check); slots
    the optimizer trusted before its own write stay trusted (see _sparse)."""
    trusted = bool(state.trusted) and state.trusted == _sparse.slot_versions(state)
    for name, slot in state.slots.items():
        if name != "gradient_accumulator":      # written (and counted) by _accumulate
            slot._version += 1
    if var is not None:
        var._version += 1
    if state.trusted:                           # () for optimizers without kernel slots
        state.trusted = _sparse.slot_versions(state) if trusted else None
