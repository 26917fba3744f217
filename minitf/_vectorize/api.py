"""``vectorized_map(fn, elems)``: fn on every slice of elems along axis 0, stacked.

fn is traced once on one example with the ``mtf.function`` recorder (its tape
backward passes included), and the recorded steps run on the whole batch
(``batched.py``); tapes outside see one op (``gradient.py``). Traces are cached
per function and per example structure, shapes and dtypes, and reused while the
globals, closure variables and instance attributes fn reads are bound to the same
objects (the Tensors among them are baked in); Variables are read on every call.
"""
import weakref

import numpy as np

from .. import _nest
from .._context import ctx
from .._function.program import folded, live_steps
from .._function.recorder import CONSTANT, VARIABLE, Recorder
from ..indexed_slices import IndexedSlices
from ..ops import _batching as batching, _quiet
from ..ops._dispatch import as_tensor, wrap_constant
from ..tensor import Tensor, Variable
from . import batched, gradient

_TRACES = weakref.WeakKeyDictionary()    # fn -> {example key: Trace}


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """``fn`` applied to each slice of ``elems`` (a Tensor or a nest of them) along
    axis 0, results stacked; fn runs once on the whole batch (``tf.vectorized_map``).

    >>> mtf.vectorized_map(lambda x: x * x, mtf.constant([1.0, 2.0])).numpy()
    array([1., 4.], dtype=float32)
    """
    if not callable(fn):
        raise TypeError(f"vectorized_map: fn must be callable. Received: fn={fn!r}")
    leaves, size = _batch_leaves(elems)
    trace = _trace_for(fn, elems, leaves, size)
    try:
        arrays = trace.run([x._value for x in leaves], [x._value for x in trace.captured],
                           size, fallback_to_while_loop, warn)
    except batched.LoopFallbackNeeded as e:
        raise ValueError(f"vectorized_map: op {e.args[0]!r} has no batching rule and "
                         f"fallback_to_while_loop is False.") from None
    outputs = [wrap_constant(a) for a in arrays]
    if ctx.tapes and _any_tracked(leaves + trace.sources):
        gradient.record(fn, elems, leaves, trace.sources, outputs, _flat_results)
    if ctx.recorder is not None:
        step = ctx.recorder.op("vectorized_map", trace.runner(size), leaves + trace.captured,
                               outputs, many=True)
        step.body, step.batch = trace, trace.nested_rule(size)
    return _nest.pack_like(trace.structure, outputs)


def _batch_leaves(elems):
    """The leaves of ``elems`` as Tensors, and their common leading size."""
    leaves = [as_tensor(x, op="vectorized_map") for x in _nest.flatten(elems)]
    if not leaves:
        raise ValueError("vectorized_map: elems has no tensors to map over.")
    sizes = {x.shape[0] if x.shape else None for x in leaves}
    if None in sizes:
        raise ValueError(f"vectorized_map: every tensor of elems needs a leading axis to "
                         f"map over; got shapes {[x.shape for x in leaves]}.")
    if len(sizes) > 1:
        raise ValueError(f"vectorized_map: the tensors of elems must have the same size "
                         f"along axis 0; got shapes {[x.shape for x in leaves]}.")
    return leaves, sizes.pop()


def _any_tracked(xs):
    """Whether an active tape tracks one of ``xs`` (or would watch the Variable)."""
    for tape in ctx.tapes:
        for x in xs:
            if id(x) in tape._tracked:
                return True
            if (type(x) is Variable and tape._watch_accessed and x._trainable
                    and x._value.dtype.kind == "f"):
                return True
    return False


def _trace_for(fn, elems, leaves, size):
    """The cached trace of fn for this example structure (a new one inside a trace)."""
    if ctx.recorder is not None:                  # it captures the enclosing trace
        return Trace(fn, elems, leaves, size, ctx.recorder)
    owner = getattr(fn, "__self__", None)         # a bound method: cache on its function
    key = (id(owner), repr(_nest.pack_like(elems, [0] * len(leaves))),
           tuple((x.shape[1:], x.dtype.name) for x in leaves))
    try:
        cache = _TRACES.setdefault(getattr(fn, "__func__", fn), {})
    except TypeError:                             # cannot be weakly referenced: no cache
        return Trace(fn, elems, leaves, size, None)
    found, names = cache.get(key), _bindings(fn)
    if found is not None and found[0]() is owner and _same(found[2], names):
        return found[1]
    trace = Trace(fn, elems, leaves, size, None)
    for dead in [k for k, (owner_ref, *_) in cache.items() if owner_ref() is None
                 and owner_ref is not _none]:
        del cache[dead]                           # traces of collected instances
    try:
        cache[key] = (weakref.ref(owner) if owner is not None else _none, trace, names)
    except TypeError:                             # an owner without weak references
        pass
    return trace


def _none():
    return None


def _bindings(fn):
    """What fn's code reads by name: its globals, closure cells and (a bound method)
    its instance's attributes. A trace bakes in the Tensors among them, so a rebound
    name means a new trace (TensorFlow traces on every call)."""
    func = getattr(fn, "__func__", fn)
    code, globs = getattr(func, "__code__", None), getattr(func, "__globals__", {})
    found = [globs.get(name) for name in code.co_names] if code is not None else []
    for cell in getattr(func, "__closure__", None) or ():
        try:
            found.append(cell.cell_contents)
        except ValueError:                        # a cell not bound yet
            found.append(None)
    owner = getattr(fn, "__self__", None)
    found.extend(getattr(owner, "__dict__", {}).values())
    return found


def _same(before, now):
    """Whether every name is still bound to the very same object."""
    return len(before) == len(now) and all(a is b for a, b in zip(before, now))


class _Recorder(Recorder):
    """A recorder that also remembers the Tensors it captured as constants (an
    outside tape may track them)."""

    def __init__(self, parent):
        super().__init__("vectorized_map", parent=parent, effects="dry")
        self.constant_tensors = []

    def ref(self, x, op):
        found = super().ref(x, op)
        if type(x) is Tensor and found[0] == CONSTANT:
            self.constant_tensors.append(x)
        return found


class Trace:
    """fn traced on one example: the steps to run on a batch."""

    def __init__(self, fn, elems, leaves, size, parent):
        rec = _Recorder(parent)
        examples = [rec.placeholder(x._value[0] if size else np.zeros(x.shape[1:], x.dtype))
                    for x in leaves]
        self.inputs = [rec.slots[id(x)] for x in examples]
        saved_rec, saved_tapes = ctx.recorder, ctx.tapes
        ctx.recorder, ctx.tapes = rec, []
        try:
            result = fn(_nest.pack_like(elems, examples))
            results = _flat_results(result)
            self.outputs = [rec.ref(t, "vectorized_map") for t in results]
        finally:
            ctx.recorder, ctx.tapes = saved_rec, saved_tapes
        self.structure = _nest.pack_like(result, results) if results else result
        steps, self.outputs = folded(rec.steps, self.outputs)
        self.steps = live_steps(steps, self.outputs)
        _refuse_stateful(self.steps)
        self.captured = [x for _, _, x in rec.captures]
        self.capture_slots = [slot for slot, _, _ in rec.captures]
        read = [r[1] for s in self.steps for r in s.ins if r[0] == VARIABLE]
        # what tapes outside may differentiate: Variables read, Tensors captured
        self.sources = list({id(x): x for x in read + rec.constant_tensors
                             + self.captured}.values())

    def run(self, arrays, captured, size, fallback=True, warn=True):
        """The batched output arrays for the batched input ``arrays``."""
        bound = {s: (a, True) for s, a in zip(self.inputs, arrays)}
        bound.update((s, (a, False)) for s, a in zip(self.capture_slots, captured))
        token = _quiet.enter()              # numpy's warnings off, as in eager ops
        try:
            return batched.run(self.steps, bound, self.outputs, size, fallback, warn)
        finally:
            _quiet.leave(token)

    def nested_rule(self, size):
        """The batching rule of this map inside another ``vectorized_map``: B outer
        examples of ``size`` inner ones are one batch of B * size."""
        n = len(self.inputs)

        def rule(batched, *arrays):
            if True in batched[n:]:
                return NotImplemented                # captures that differ by example
            outer = next(len(a) for a, b in zip(arrays, batched) if b)
            flat = [(a if b else np.broadcast_to(a, (outer,) + a.shape)).reshape(
                (outer * size,) + a.shape[1 + b:]) for a, b in zip(arrays[:n], batched)]
            outs = self.run(flat, arrays[n:], outer * size)
            return tuple(o.reshape((outer, size) + o.shape[1:]) for o in outs)
        return batching.flagged(rule)

    def runner(self, size):
        """The step function an enclosing ``mtf.function`` trace replays."""
        n = len(self.inputs)

        def run(*arrays):
            return self.run(arrays[:n], arrays[n:], size)
        return run


def _flat_results(result):
    """fn's result as a flat list of Tensors (IndexedSlices made dense)."""
    return [_result_tensor(r) for r in _nest.flatten(result)]


def _result_tensor(x):
    if type(x) is IndexedSlices:
        return x._densify()
    if type(x) is Variable:
        from ..ops.elementwise import identity
        return identity(x)
    return x if type(x) is Tensor else as_tensor(x, op="vectorized_map")


def _refuse_stateful(steps):
    for step in steps:
        if step.stateful:
            raise ValueError(
                f"vectorized_map: fn runs the stateful op {step.op!r} (a random draw, a "
                f"Variable write or a print), which cannot run once for the whole batch. "
                f"Call fn in a Python loop, or draw the random values outside fn and pass "
                f"them in elems.")

