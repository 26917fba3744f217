"""``mtf.cond`` and ``mtf.while_loop``: branches and loops decided on every call.

Eagerly they are plain Python: ``cond`` calls the branch ``pred`` picks and the
tape records its ops. While ``mtf.function`` traces with a traced predicate,
each branch (or the loop's condition and body) is traced into a sub-program
whose captured Tensors become its parameters; the trace records one step that
picks or repeats sub-programs at replay time. The branch the trace's values do
not take is traced "dry": its Variable writes and prints are recorded, not
done. Gradients follow TF's rules: a cond's gradient is a cond of the branches'
gradients; a loop's gradient runs the body's gradient backwards over the
iterations the forward loop saved.
"""
import numpy as np

from .. import _nest
from .._context import ctx
from .. import tape as _tape
from ..ops._dispatch import as_tensor, wrap_constant
from ..tensor import Tensor, Variable, _TensorLike
from .program import Program
from .recorder import Recorder

_new = object.__new__


# ------------------------------------------------------------------ cond

def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``, decided on every call (as
    ``tf.cond``). Both branches must return the same structure, dtypes and shapes."""
    if not callable(true_fn) or not callable(false_fn):
        raise TypeError("mtf.cond: true_fn and false_fn must be callables taking no "
                        f"arguments. Received: true_fn={true_fn!r}, false_fn={false_fn!r}")
    taken = _predicate_value("cond", pred)
    rec = ctx.recorder
    if rec is None or not isinstance(pred, _TensorLike) or not rec.is_live(pred):
        return true_fn() if taken else false_fn()
    return _traced_cond(rec, pred, taken, true_fn, false_fn, name)


def _predicate_value(op, pred):
    """The Python bool of a scalar bool Tensor or a Python bool."""
    if isinstance(pred, _TensorLike):
        value = pred._value
        if value.dtype.kind != "b" or value.size != 1 or value.ndim > 1:
            raise TypeError(f"mtf.{op}: pred must be a scalar bool Tensor. Received: "
                            f"dtype {value.dtype}, shape {value.shape}")
        return bool(value.reshape(()))
    if isinstance(pred, bool) or type(pred).__name__ == "bool_":
        return bool(pred)
    raise TypeError(f"mtf.{op}: pred must be a bool or a scalar bool Tensor. "
                    f"Received: {pred!r}")


def _traced_cond(rec, pred, taken, true_fn, false_fn, name):
    branches = [_trace_branch(rec, fn, "run" if taken == is_true else "dry")
                for fn, is_true in ((true_fn, True), (false_fn, False))]
    (t_rec, t_out, t_struct), (f_rec, f_out, f_struct) = branches
    _check_same_outputs("cond", t_struct, t_out, f_struct, f_out)
    t_prog, f_prog = (_branch_program(r, outs) for r, outs in ((t_rec, t_out), (f_rec, f_out)))
    n_true = len(t_rec.captures)

    def run(p, *captured):
        if p:
            return t_prog.run(*captured[:n_true])
        return f_prog.run(*captured[n_true:])

    chosen = t_out if taken else f_out
    outs = [_fresh(y) for y in chosen]
    ins = [rec.ref(pred, "cond")] + [ref for _, ref, _ in t_rec.captures + f_rec.captures]
    step = rec.op_refs("cond", run, ins, outs, label=name,
                       stateful=t_prog.stateful or f_prog.stateful, many=True)
    step.body = (t_prog, f_prog)
    _record_cond_gradient(pred, true_fn, false_fn, outs, t_rec, f_rec)
    return _nest.pack_like(t_struct, outs)


def _trace_branch(rec, fn, effects):
    """Run ``fn`` under a child recorder; (recorder, flat output Tensors, structure)."""
    child = Recorder(rec.function_name, rec.root().allow_variables, parent=rec,
                     effects=effects if rec.effects == "run" else rec.effects)
    saved_rec, saved_tapes = ctx.recorder, ctx.tapes
    ctx.recorder, ctx.tapes = child, []
    try:
        structure = fn()
        flat = [_as_output(y) for y in _nest.flatten(structure)]
    finally:
        ctx.recorder, ctx.tapes = saved_rec, saved_tapes
    return child, flat, structure


def _as_output(y):
    """A branch or loop result as a Tensor recorded in the current recorder."""
    if type(y) is Tensor:
        return y
    if type(y) is Variable:
        from ..ops import identity
        return identity(y)
    return as_tensor(y)


def _branch_program(child, outs):
    refs = [child.ref(y, "return") for y in outs]
    return Program(child.steps, [slot for slot, _, _ in child.captures], refs,
                   f"{child.function_name}_branch")


def _check_same_outputs(op, a_struct, a, b_struct, b):
    if len(a) != len(b):
        raise ValueError(f"mtf.{op}: the branches return different structures: "
                         f"{_describe(a_struct)} and {_describe(b_struct)}.")
    i = _first_mismatch(a, b)
    if i is not None:
        x, y = a[i], b[i]
        raise ValueError(f"mtf.{op}: output {i} of the branches differs: "
                         f"{x.dtype}{list(x.shape)} and {y.dtype}{list(y.shape)}; "
                         f"both branches must return the same dtypes and shapes.")


def _first_mismatch(xs, ys):
    """The first position where two lists of Tensors differ in dtype or shape."""
    return next((i for i, (x, y) in enumerate(zip(xs, ys))
                 if x.dtype != y.dtype or x.shape != y.shape), None)


def _describe(structure):
    return type(structure).__name__ + f" of {len(_nest.flatten(structure))} value(s)"


def _fresh(y):
    out = _new(Tensor)
    out._value = y._value
    return out


def _record_cond_gradient(pred, true_fn, false_fn, outs, t_rec, f_rec):
    """Record the cond's outputs on the active tapes with the cond-of-gradients rule."""
    if not ctx.tapes:
        return
    sources = _sources(t_rec, f_rec)
    if not sources:
        return

    def rule(upstreams, needs):
        ups = [u if u is not None else wrap_constant(_zeros(y)) for u, y in zip(upstreams, outs)]
        return cond(pred, lambda: _branch_gradients(true_fn, sources, ups),
                    lambda: _branch_gradients(false_fn, sources, ups))

    joint = _tape.MultiOutputGrad(rule)
    joint.outputs.extend(outs)
    for y in outs:
        _tape.record("cond", tuple(sources), y, joint)


def _sources(*recorders):
    """The floating Tensors and Variables the branches read from outside."""
    found, seen = [], set()
    for child in recorders:
        for x in child.captured:
            if id(x) not in seen and x._value.dtype.kind == "f":
                seen.add(id(x))
                found.append(x)
    return found


def _branch_gradients(fn, sources, upstreams):
    """Gradients of ``fn``'s outputs (weighted by ``upstreams``) w.r.t. ``sources``."""
    rec = ctx.recorder
    saved, rec.effects = rec.effects, "skip"     # the forward pass already did them
    try:
        with _tape.GradientTape(watch_accessed_variables=False) as t:
            t.watch(sources)
            outs = [_as_output(y) for y in _nest.flatten(fn())]
    finally:
        rec.effects = saved
    grads = t.gradient(outs, sources, output_gradients=upstreams,
                       unconnected_gradients=_tape.UnconnectedGradients.ZERO)
    return [_dense(g) for g in grads]


def _dense(g):
    return g._densify() if hasattr(g, "_densify") else g


def _zeros(y):
    return np.zeros_like(y._value)


# ------------------------------------------------------------------ while_loop

def while_loop(cond, body, loop_vars, maximum_iterations=None, name=None):
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds (at
    most ``maximum_iterations`` times), decided on every call (as ``tf.while_loop``).
    The body must keep each loop variable's dtype and shape."""
    if not callable(cond) or not callable(body):
        raise TypeError(f"mtf.while_loop: cond and body must be callables. Received: "
                        f"cond={cond!r}, body={body!r}")
    many = isinstance(loop_vars, (list, tuple))
    flat = [_as_loop_var(v) for v in _nest.flatten(loop_vars)]
    if not flat:
        raise ValueError("mtf.while_loop: loop_vars must hold at least one value.")
    limit = _limit(maximum_iterations)
    rec = ctx.recorder
    if rec is None:
        return _eager_loop(cond, body, loop_vars, flat, many, limit)
    return _traced_loop(rec, cond, body, loop_vars, flat, many, limit, name)


def _as_loop_var(v):
    return v if isinstance(v, _TensorLike) else as_tensor(v)


def _limit(maximum_iterations):
    if maximum_iterations is None:
        return None
    value = maximum_iterations
    if isinstance(value, _TensorLike):
        value = value._value            # read at trace time: the bound is static
    try:
        return int(value)
    except (TypeError, ValueError):
        raise TypeError(f"mtf.while_loop: maximum_iterations must be an int. Received: "
                        f"{maximum_iterations!r}") from None


def _call(fn, structure, flat, many):
    """``fn`` on the loop variables, unpacked as the user's ``loop_vars``."""
    values = _nest.pack_like(structure, flat) if many else flat[0]
    return fn(*values) if many else fn(values)


def _eager_loop(cond, body, structure, flat, many, limit):
    i = 0
    while (limit is None or i < limit) and _predicate_value(
            "while_loop", _call(cond, structure, flat, many)):
        flat = _body_outputs(body, structure, flat, many)
        i += 1
    return _nest.pack_like(structure, flat) if many else flat[0]


def _body_outputs(body, structure, flat, many):
    """The body's results, flat, checked against the loop variables."""
    out = _call(body, structure, flat, many)
    if not many or len(flat) == 1 and not isinstance(out, (list, tuple)):
        out = [out]
    new = [_as_output(y) for y in _nest.flatten(out)]
    if len(new) != len(flat):
        raise ValueError(f"mtf.while_loop: body returned {len(new)} value(s) for "
                         f"{len(flat)} loop variable(s); return the same structure.")
    i = _first_mismatch(flat, new)
    if i is not None:
        x, y = flat[i], new[i]
        raise ValueError(f"mtf.while_loop: loop variable {i} enters the body as "
                         f"{x.dtype}{list(x.shape)} and leaves as {y.dtype}{list(y.shape)}; "
                         f"the body must keep dtypes and shapes.")
    return new


def _traced_loop(rec, cond, body, structure, flat, many, limit, name):
    dry = "dry" if rec.effects == "run" else rec.effects
    c_rec, c_inputs, c_out = _trace_loop_part(
        rec, dry, flat, lambda xs: [_loop_predicate(_call(cond, structure, xs, many))])
    b_rec, b_inputs, b_out = _trace_loop_part(
        rec, dry, flat, lambda xs: _body_outputs(body, structure, xs, many))
    c_prog = _loop_program(c_rec, c_inputs, c_out)
    b_prog = _loop_program(b_rec, b_inputs, b_out)
    sources = _sources(b_rec)
    keep = bool(ctx.tapes) and bool(sources or any(x._value.dtype.kind == "f" for x in flat))
    run = _loop_runner(len(flat), len(c_rec.captures), c_prog, b_prog, limit, keep)
    captured = [x for _, _, x in c_rec.captures + b_rec.captures]
    outs = rec.run_and_record("while_loop", run, flat + captured, label=name,
                              stateful=c_prog.stateful or b_prog.stateful)
    final = outs[:len(flat)]
    if keep:
        _record_loop_gradient(flat, final, outs[-1], body, structure, many, sources)
    return _nest.pack_like(structure, final) if many else final[0]


def _loop_predicate(pred):
    _predicate_value("while_loop", pred)
    return _as_output(pred)


def _trace_loop_part(rec, effects, flat, fn):
    """Trace ``fn(placeholders)`` under a child recorder whose inputs are fresh
    placeholders for the loop variables; (recorder, input slots, outputs)."""
    child = Recorder(rec.function_name, rec.root().allow_variables, parent=rec,
                     effects=effects)
    placeholders = [child.placeholder(x._value) for x in flat]
    inputs = [child.slots[id(p)] for p in placeholders]
    saved_rec, saved_tapes = ctx.recorder, ctx.tapes
    ctx.recorder, ctx.tapes = child, []
    try:
        outs = fn(placeholders)
    finally:
        ctx.recorder, ctx.tapes = saved_rec, saved_tapes
    return child, inputs, outs


def _loop_program(child, inputs, outs):
    refs = [child.ref(y, "return") for y in outs]
    captured = [slot for slot, _, _ in child.captures]
    return Program(child.steps, inputs + captured, refs, f"{child.function_name}_loop")


def _loop_runner(n, n_cond_captures, c_prog, b_prog, limit, keep):
    """The replayed loop: (final loop values...) plus, with ``keep``, the list of
    every iteration's inputs (the gradient runs the body backwards over them)."""
    def run(*arrays):
        values = arrays[:n]
        c_caps = arrays[n:n + n_cond_captures]
        b_caps = arrays[n + n_cond_captures:]
        history, i = [], 0
        while (limit is None or i < limit) and c_prog.run(*values, *c_caps)[0]:
            if keep:
                history.append(values)
            values = b_prog.run(*values, *b_caps)
            i += 1
        return (*values, history) if keep else values
    return run


def _record_loop_gradient(initial, final, history, body, structure, many, sources):
    """Record the loop on the tapes: its gradient runs the body's gradient program
    backwards over the saved iterations."""
    floats = [i for i, x in enumerate(initial) if x._value.dtype.kind == "f"]
    inputs = tuple(sources) + tuple(initial)   # the eager backward pass's order of sums

    def rule(upstreams, needs):
        ups = [upstreams[i] if upstreams[i] is not None else wrap_constant(_zeros(final[i]))
               for i in floats]
        grads = _loop_gradients(initial, history, body, structure, many, sources, floats,
                                ups)
        by_var = dict(zip(floats, grads[:len(floats)]))
        return grads[len(floats):] + [by_var.get(i) for i in range(len(initial))]

    joint = _tape.MultiOutputGrad(rule)
    joint.outputs.extend(final)
    for y in final:
        _tape.record("while_loop", inputs, y, joint)


def _loop_gradients(initial, history, body, structure, many, sources, floats, ups):
    """Trace the body's vector-Jacobian product once, then record the step that runs
    it from the last iteration to the first."""
    rec = ctx.recorder
    child = Recorder(rec.function_name, rec.root().allow_variables, parent=rec,
                     effects="skip")
    placeholders = [child.placeholder(x._value) for x in initial]
    upstream_phs = [child.placeholder(u._value) for u in ups]
    inputs = [child.slots[id(p)] for p in placeholders + upstream_phs]
    saved_rec, saved_tapes = ctx.recorder, ctx.tapes
    ctx.recorder, ctx.tapes = child, []
    try:
        wrt = [placeholders[i] for i in floats] + list(sources)
        with _tape.GradientTape(watch_accessed_variables=False) as t:
            t.watch(wrt)
            outs = _body_outputs(body, structure, placeholders, many)
        grads = t.gradient([outs[i] for i in floats], wrt, output_gradients=upstream_phs,
                           unconnected_gradients=_tape.UnconnectedGradients.ZERO)
        grads = [_as_output(_dense(g)) for g in grads]
    finally:
        ctx.recorder, ctx.tapes = saved_rec, saved_tapes
    vjp = _loop_program(child, inputs, grads)
    zeros = [(g.shape, g.dtype) for g in grads[len(floats):]]
    run = _reverse_runner(len(floats), len(child.captures), vjp, zeros)
    captured = [x for _, _, x in child.captures]
    grads = rec.run_and_record("while_loop_grad", run, [history] + list(ups) + captured)
    _refuse_higher_order(grads, list(initial) + list(sources) + list(ups))
    return grads


def _refuse_higher_order(grads, inputs):
    """Make differentiating a traced loop's gradient raise instead of giving None
    (``inputs``: what the gradient depends on, through the saved iterations too)."""
    if not ctx.tapes:
        return

    def rule(upstreams, needs):
        raise NotImplementedError(
            "Second-order gradients through mtf.while_loop inside mtf.function are not "
            "supported: differentiate the loop eagerly (outside mtf.function), or unroll "
            "it with a Python loop over a fixed number of steps.")
    joint = _tape.MultiOutputGrad(rule)
    joint.outputs.extend(grads)
    tracked = tuple(x for x in inputs if isinstance(x, _TensorLike))
    for g in grads:
        _tape.record("while_loop_grad", tracked, g, joint)


def _reverse_runner(n_floats, n_captures, vjp, zeros):
    """The replayed loop gradient: the body's vjp from the last iteration back."""
    def run(history, *arrays):
        g = arrays[:n_floats]
        caps = arrays[n_floats:n_floats + n_captures] if n_captures else ()
        totals = None
        for values in reversed(history):
            out = vjp.run(*values, *g, *caps)
            g, contribution = out[:n_floats], out[n_floats:]
            totals = contribution if totals is None else tuple(
                a + b for a, b in zip(totals, contribution))
        if totals is None:                   # no iteration ran
            totals = tuple(np.zeros(shape, dtype) for shape, dtype in zeros)
        return (*g, *totals)
    return run
