"""A trace's steps compiled into one Python function over numpy arrays.

Replay must cost little more than the kernels themselves, so the steps become
straight-line Python source, one line per step (``r7 = f3(r2, c1)``), compiled
once with ``exec``: slots are local variables, each step's function and
constants are bound by name, and a Variable input reads ``v0._value`` at that
line, as eager reads it. Steps whose results nothing uses are dropped unless
they are stateful (random numbers, writes, prints), which keeps the eager order
of every effect. ``Program.source`` is the generated code, for the curious.
"""
import copy

import numpy as np

from ..ops._dispatch import DRAW

FREE_ABOVE = 32 * 1024    # bytes: smaller intermediates live until the call returns
from .recorder import CONSTANT, SLOT, VARIABLE


class Program:
    """Compiled steps: ``run(*input_arrays)`` returns the output arrays (a tuple)."""

    def __init__(self, steps, input_slots, output_refs, name="program", init_slots=()):
        steps, output_refs = folded(steps, output_refs)
        self.steps = live_steps(steps, output_refs, init_slots)
        self.stateful = any(step.stateful for step in self.steps)
        self.input_slots = list(input_slots)
        self.output_refs = list(output_refs)
        self.name = name
        self._lines = {}           # file name of a compiled variant -> {line: step}
        self.source, self.run = self._compiled(check=False)
        self._checked_run = None

    def checked_run(self):
        """``run`` that checks each step's output for NaN/Inf (for
        ``mtf.debugging.enable_check_numerics``), compiled on first use."""
        if self._checked_run is None:
            self._checked_run = self._compiled(check=True)[1]
        return self._checked_run

    def _compiled(self, check):
        namespace = {}
        name = _identifier(self.name)
        source, line_steps = _source(self.steps, self.input_slots, self.output_refs,
                                     namespace, name, check)
        filename = f"<mtf.function {self.name}{' (checked)' if check else ''}>"
        self._lines[filename] = line_steps
        exec(compile(source, filename, "exec"), namespace)
        return source, namespace[name]

    def failed_step(self, error):
        """The step whose line raised ``error`` (None if it came from elsewhere)."""
        tb, found = error.__traceback__, None
        while tb is not None:
            lines = self._lines.get(tb.tb_frame.f_code.co_filename)
            if lines is not None:
                found = lines.get(tb.tb_lineno, found)
            tb = tb.tb_next
        return found


def folded(steps, output_refs):
    """Steps that read only constants replaced by their (trace-time) values."""
    values = {}
    kept = []
    for step in steps:
        if step.constant is not None:
            values[step.outs[0]] = step.constant
        else:
            kept.append(step)
    if not values:
        return steps, output_refs

    def resolved(ref):
        return (CONSTANT, values[ref[1]]) if ref[0] == SLOT and ref[1] in values else ref
    for i, step in enumerate(kept):
        if any(r[0] == SLOT and r[1] in values for r in step.ins):
            kept[i] = copy.copy(step)          # the recorded step stays as traced
            kept[i].ins = [resolved(r) for r in step.ins]
    return kept, [resolved(r) for r in output_refs]


def live_steps(steps, output_refs, init_slots=()):
    """``steps`` without those whose outputs no later step or output reads.

    Stateful steps stay, in order, with one exception: a random draw that only
    fed Variables' initial values ran once, when the trace created them, as eager
    code draws them once (``init_slots``)."""
    initial = _feeding(steps, init_slots)
    needed = {ref[1] for ref in output_refs if ref[0] == SLOT}
    kept = []
    for step in reversed(steps):
        used = any(s in needed for s in step.outs)
        only_initial = step.stateful == DRAW and all(s in initial for s in step.outs)
        if used or step.stateful and not only_initial:
            kept.append(step)
            needed.update(ref[1] for ref in step.ins if ref[0] == SLOT)
    kept.reverse()
    return kept


def _feeding(steps, slots):
    """``slots`` and every slot they were computed from."""
    found = set(slots)
    if found:
        for step in reversed(steps):
            if any(s in found for s in step.outs):
                found.update(ref[1] for ref in step.ins if ref[0] == SLOT)
    return found


def _source(steps, input_slots, output_refs, namespace, name, check=False):
    """The program's Python source, and which step each of its lines runs."""
    names = _Names(namespace)
    if check:
        namespace["check_numerics"] = _check_numerics
    params = ", ".join(f"r{s}" for s in input_slots)
    lines, line_steps = [f"def {name}({params}):"], {}
    dying = _freed_after(steps, output_refs)
    read_later = {ref[1] for step in steps if not step.any_shape
                  for ref in step.ins if ref[0] == SLOT}
    for i, step in enumerate(steps):
        line_steps[len(lines) + 1] = step
        call = f"{names.bind('f', step.fn)}({', '.join(names.expr(r) for r in step.ins)})"
        if not step.outs:
            lines.append(f"    {call}")
        elif not step.many:
            lines.append(f"    r{step.outs[0]} = {call}")
        else:
            lines.append(f"    {', '.join(f'r{s}' for s in step.outs)}, = {call}")
        if step.value_shaped and step.outs[0] in read_later:
            namespace["check_shape"] = _check_shape
            line_steps[len(lines) + 1] = step
            lines.append(f"    check_shape(r{step.outs[0]}, {tuple(step.shapes[0])!r}, "
                         f"{step.scope + (step.label or step.op)!r})")
        if check and step.outs and not step.many:
            line_steps[len(lines) + 1] = step
            lines.append(f"    check_numerics({step.scope + step.op!r}, r{step.outs[0]})")
        if dying.get(i):
            lines.append(f"    del {', '.join(f'r{s}' for s in dying[i])}")
    outs = "".join(f"{names.expr(r)}, " for r in output_refs)
    lines.append(f"    return ({outs})")
    return "\n".join(lines) + "\n", line_steps


def _freed_after(steps, output_refs, min_bytes=FREE_ABOVE):
    """Step index -> the big slots whose last reader it is: freeing them there lets
    the allocator reuse their memory within the call instead of faulting in new
    pages for every intermediate."""
    size, last = {}, {}
    for i, step in enumerate(steps):
        for slot, shape, dtype in zip(step.outs, step.shapes, step.dtypes):
            size[slot] = int(np.prod(shape)) * getattr(dtype, "itemsize", 0)
            last[slot] = i
        for kind, slot in step.ins:
            if kind == SLOT:
                last[slot] = i
    kept = {r[1] for r in output_refs if r[0] == SLOT}
    dying = {}
    for slot, i in last.items():
        if size.get(slot, 0) >= min_bytes and slot not in kept:
            dying.setdefault(i, []).append(slot)
    return dying


class _Names:
    """Names for the functions, Variables and constants the source refers to."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.by_id = {}

    def bind(self, prefix, obj):
        key = (prefix, id(obj))
        name = self.by_id.get(key)
        if name is None:
            name = self.by_id[key] = f"{prefix}{len(self.by_id)}"
            self.namespace[name] = obj
        return name

    def expr(self, ref):
        kind, what = ref
        if kind == SLOT:
            return f"r{what}"
        if kind == VARIABLE:
            return f"{self.bind('v', what)}._value"
        return self.bind("c", what)


def _check_shape(value, traced, op):
    """Refuse a value-shaped result whose shape differs from the traced one: the
    steps after it were specialised to the traced shape."""
    if value.shape != traced:
        raise ValueError(
            f"{op}: its result has shape {value.shape} on this call but had {traced} when "
            f"mtf.function traced it, and the ops after it were specialised to that shape. "
            f"Inside mtf.function, return value-dependent shapes (boolean_mask, where(c), "
            f"range(n)) or keep their size fixed; else call this code eagerly.")


def _check_numerics(op, value):
    from ..ops import _dispatch
    if _dispatch.numerics_check is not None and hasattr(value, "dtype"):
        _dispatch.numerics_check(op, value)


def _identifier(name):
    cleaned = "".join(c if c.isalnum() else "_" for c in name)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"_{cleaned}"
