"""Running a trace's steps on a whole batch (JAX's batching rules, on recorded steps).

Every value of the run is either *unbatched* (the same for every example:
constants, Variables, what depends on nothing batched) or *batched* (a leading
axis of the batch size). A step without batched inputs runs as recorded, once.
A step with batched inputs runs its batching rule, its ``Step.batch``:

- ``BROADCAST``: ``fn`` broadcasts over leading axes (elementwise ops, matmul,
  last-axis kernels); each batched input gets size-1 axes after the batch axis
  up to the largest per-example rank, and ``fn`` runs unchanged;
- a callable ``rule(*arrays)``: the batched output from inputs that all have the
  batch axis (unbatched ones are broadcast to it, a view);
- None: ``fn`` runs once per example and the results are stacked (exact, a loop:
  TF's ``fallback_to_while_loop``), with a warning once per op name.

Steps whose ``fn`` is a numpy ufunc, or says ``fn.broadcasts`` (a ufunc with a
Python scalar bound in, ``_arith.bind_scalars``), broadcast without saying so.
"""
import warnings

import numpy as np

from ..ops._batching import BROADCAST, EXPANDED, aligned
from .._function.recorder import SLOT, VARIABLE

_WARNED = set()      # op names the per-example fallback has warned about


class LoopFallbackNeeded(Exception):
    """A step has no batching rule and the caller refused the per-example fallback."""


def run(steps, bound, outputs, size, fallback=True, warn=True):
    """The output arrays (each with the batch axis) of ``steps`` run on a batch of
    ``size`` examples; ``bound`` maps slots to (array, batched)."""
    env = dict(bound)
    for step in steps:
        values, flags = _inputs(step, env)
        if True in flags:
            result = _batched(step, values, flags, size, fallback, warn)
        else:
            result = step.fn(*values)
        if step.many:
            for slot, value in zip(step.outs, result):
                env[slot] = (value, True in flags)
        elif step.outs:
            env[step.outs[0]] = (result, True in flags)
    return tuple(_with_batch_axis(_value(ref, env), size) for ref in outputs)


def _inputs(step, env):
    """(values, batched flags) of a step's inputs."""
    values, flags = [], []
    for kind, what in step.ins:
        if kind == SLOT:
            value, batched = env[what]
        elif kind == VARIABLE:
            value, batched = what._value, False
        else:
            value, batched = what, False
        values.append(value)
        flags.append(batched)
    return values, flags


def _value(ref, env):
    kind, what = ref
    if kind == SLOT:
        return env[what]
    return (what._value if kind == VARIABLE else what), False


def _with_batch_axis(pair, size):
    """A result as an array with the batch axis (an unbatched one repeated)."""
    value, batched = pair
    if batched:
        return stacked_output(value)
    value = np.asarray(value)
    return np.array(np.broadcast_to(value, (size,) + value.shape))


def rule_of(step):
    """The step's batching rule (``BROADCAST``, a callable), or None."""
    if step.batch is None and (isinstance(step.fn, np.ufunc)
                               or getattr(step.fn, "broadcasts", False)):
        return BROADCAST
    return step.batch


def _batched(step, values, flags, size, fallback, warn):
    if any(type(v) is PerExample for v in values):
        return per_example(step, values, flags, size)
    rule = rule_of(step)
    if rule == BROADCAST:
        return step.fn(*aligned(values, flags))
    if rule == EXPANDED:
        return step.fn(*expanded(values, flags))
    if getattr(rule, "flagged", False):
        result = rule(tuple(flags), *values)
    elif rule is not None:
        result = rule(*[v if f else _spread(v, size) for v, f in zip(values, flags)])
    else:
        result = NotImplemented
    if result is not NotImplemented:
        return result
    if not fallback:
        raise LoopFallbackNeeded(step.op)
    if warn and step.op not in _WARNED:
        _WARNED.add(step.op)
        warnings.warn(f"vectorized_map: op {step.op!r} has no batching rule (for these "
                      f"inputs); it runs once per example (a loop) and its results are "
                      f"stacked.", stacklevel=4)
    return per_example(step, values, flags, size)


def expanded(values, flags):
    """``aligned`` values, each broadcast to the common shape (C-ordered)."""
    values = aligned(values, flags)
    shape = np.broadcast_shapes(*[np.shape(v) for v in values])
    return [v if np.shape(v) == shape else np.ascontiguousarray(np.broadcast_to(v, shape))
            for v in values]


def _spread(value, size):
    """An unbatched value as a read-only batched view."""
    value = np.asarray(value)
    return np.broadcast_to(value, (size,) + value.shape)


def per_example(step, values, flags, size):
    """``step.fn`` run on each example's slice, results stacked (the exact fallback)."""
    results = [step.fn(*[v[i] if f else v for v, f in zip(values, flags)])
               for i in range(size)]
    if not step.many:
        return _stacked(step, results, 0)
    return tuple(_stacked(step, [r[k] for r in results], k) for k in range(len(step.outs)))


class PerExample(list):
    """A batched value kept as one entry per example: results of a per-example run
    that do not stack (shapes that depend on values, a loop's saved iterations).
    Only per-example runs read it."""


def _stacked(step, results, k):
    if not results:
        return np.zeros((0,) + tuple(step.shapes[k]), step.dtypes[k])
    if all(isinstance(r, (np.ndarray, np.generic)) for r in results):
        if len({r.shape for r in results}) == 1:
            return np.stack(results)
    return PerExample(results)


def stacked_output(value):
    """A result of fn as one array (per-example results must have one shape)."""
    if not isinstance(value, PerExample):
        return value
    shapes = {np.shape(v) for v in value}
    if len(shapes) > 1 or not all(isinstance(v, (np.ndarray, np.generic)) for v in value):
        raise ValueError(f"vectorized_map: fn's results have different shapes "
                         f"{sorted(shapes)} for different examples; they cannot be "
                         f"stacked.")
    return np.stack(value)
