"""GradientTape: records ops eagerly and plays them back in reverse.

Recording: every op calls ``record`` through ``ops._dispatch.emit``. A tape
records an op when one of its inputs is *tracked* on it (watched, or produced
by an op it recorded); it then tracks the output. The backward pass is one
forward sweep (which recorded values lead from the sources) and one reversed
loop calling each op's ``grad`` with minitf ops, so enclosing tapes record it.
An op with several outputs records one node per output sharing one
``MultiOutputGrad``, which the backward pass calls once with every output's
gradient.
"""
import enum

import numpy as np

from . import _nest
from ._context import ctx
from ._tape_messages import _warn_not_floating, _warn_recording_own_gradient, _watch_names
from .indexed_slices import IndexedSlices, add_gradients
from .tensor import Variable, _TensorLike


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on."""
    NONE = "none"
    ZERO = "zero"


# A recorded op is a plain tuple (cheapest to build on the hot path):
#   (name, inputs, out, grad, versions, scope, needs)
# ``versions`` holds (variable, version) for Variable inputs whose values the
# gradient reads; ``scope`` is the name scope the op ran in; ``needs[i]`` says
# whether input i was tracked on the tape (only those get gradients).
NAME, INPUTS, OUT, GRAD, VERSIONS, SCOPE, NEEDS = range(7)


class MultiOutputGrad:
    """The gradient rule shared by the nodes of an op with several outputs.

    ``outputs`` lists the op's output Tensors; ``rule(upstreams, needs)`` gets
    one gradient per output (``None`` where an output has none) and returns one
    per input. ``backward`` calls it once, at the first of the op's nodes it
    reaches, so the rule never runs once per output.
    """

    __slots__ = ("outputs", "rule")

    def __init__(self, rule):
        self.outputs = []
        self.rule = rule


def record(name, inputs, out, grad, saves=True):
    """Record an op on each active tape that tracks one of its inputs (reading a
    trainable Variable watches it).

    With nested tapes, ``out`` is marked open meanwhile: an accumulator computing an
    earlier op's tangent here records arithmetic on the tapes outside it, and those
    must not compute this op's tangent before the op has returned its output. The
    outputs of a several-output op stay open together, so no tangent of one is
    computed before every tape holds its siblings."""
    tapes = ctx.tapes
    opened = _open(out, grad) if len(tapes) > 1 else 0
    versions = None
    try:
        for tape in tapes:
            tracked = tape._tracked
            if len(inputs) == 1:           # the common arities without a comprehension
                x = inputs[0]
                if not (id(x) in tracked or type(x) is Variable and tape._auto_watch(x)):
                    continue
                needs = _ONE_INPUT
            elif len(inputs) == 2:
                x, y = inputs
                needs = (id(x) in tracked or type(x) is Variable and tape._auto_watch(x),
                         id(y) in tracked or type(y) is Variable and tape._auto_watch(y))
                if needs == _NEITHER:
                    continue
            else:
                needs = tuple([id(x) in tracked or type(x) is Variable and tape._auto_watch(x)
                               for x in inputs])
                if True not in needs:
                    continue
            if versions is None:
                versions = _versions(inputs) if saves and Variable in map(type, inputs) else ()
            tape._nodes.append((name, inputs, out, grad, versions, ctx.scope, needs))
            tracked.add(id(out))
    finally:
        if opened:
            del ctx.open_records[-opened:]


def _open(out, grad):
    """Mark ``out`` (and its recorded siblings) as being recorded; how many were marked."""
    opened = [*grad.outputs, out] if type(grad) is MultiOutputGrad else [out]
    ctx.open_records.extend(opened)
    return len(opened)


_ONE_INPUT, _NEITHER = (True,), (False, False)


def _versions(inputs):
    """(variable, version) for each Variable input, checked before backward."""
    found = ()
    for x in inputs:
        if type(x) is Variable:
            found += ((x, x._version),)
    return found


class GradientTape:
    """Record operations for automatic differentiation (as ``tf.GradientTape``).

    >>> x = mtf.constant(3.0)
    >>> with mtf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> float(tape.gradient(y, x))
    6.0
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._clear()

    def _clear(self):
        self._nodes = []
        self._tracked = set()    # ids of watched values and recorded outputs
        self._watched = []       # watched objects, kept alive so ids stay valid
        self._used = False
        self._names = {}         # id(value) -> the name given to watch(..., name=)
        self._gradient_spans = []  # (start, end) node indices a backward pass recorded
        self._scope_marks = []   # (node count, scope, entered?) per name scope entered/left

    def __enter__(self):
        if self in ctx.tapes:
            raise ValueError("GradientTape.__enter__: this tape is already recording; "
                             "a tape cannot be entered again inside its own `with`.")
        ctx.tapes.append(self)
        return self

    def __exit__(self, *exc):
        if self in ctx.tapes:
            ctx.tapes.remove(self)
        return False

    def watch(self, tensor, name=None):
        """Track a Tensor, Variable, or nested structure of them.

        ``name`` labels it in ``mtf.viz`` pictures (a str, or a structure of
        names like ``tensor``).
        """
        flat = _nest.flatten(tensor)
        names = _watch_names(flat, name)
        for x, label in zip(flat, names):
            if not isinstance(x, _TensorLike):
                raise ValueError(f"GradientTape.watch: tensor must be a Tensor, a Variable "
                                 f"or a nested structure of them. Received: "
                                 f"{type(x).__name__} {x!r}")
            if not self._watch_one(x):
                _warn_not_floating(x)
            if label is not None:
                self._names[id(x)] = label

    def _auto_watch(self, variable):
        """Watch a Variable an op reads, if this tape watches accessed ones."""
        return (self._watch_accessed and variable._trainable
                and self._watch_one(variable))

    def _watch_one(self, x):
        """Track ``x`` if it is floating; return whether it is now tracked."""
        if x._value.dtype.kind != "f":
            return False
        if id(x) not in self._tracked:
            self._tracked.add(id(x))
            self._watched.append(x)
        return True

    def watched_variables(self):
        """The Variables this tape watches, oldest first (TensorFlow's order)."""
        found = [x for x in self._watched if type(x) is Variable]
        return tuple(sorted(found, key=_creation_order))

    def stop_recording(self):
        """Context manager during which this tape records nothing."""
        return _Paused(self)

    def reset(self):
        """Forget everything recorded and watched, as if entered anew (while recording)."""
        if self not in ctx.tapes:
            raise ValueError("GradientTape.reset: the tape is not recording; call reset() "
                             "inside its `with` block (outside stop_recording()).")
        self._clear()

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of the sum of ``target`` w.r.t. ``sources`` (same structure)."""
        return self._gradient(target, sources, output_gradients, unconnected_gradients)

    def _gradient(self, target, sources, output_gradients, unconnected_gradients,
                  on_step=None, caller="GradientTape.gradient"):
        """``gradient``; ``on_step`` sees each op of the reverse pass (mtf.viz)."""
        unconnected = _unconnected_mode(unconnected_gradients)
        flat_sources = _checked_sources("gradient", sources)
        targets = _checked_targets(target)
        if any(type(t) is Variable for t in targets):
            raise ValueError(f"{caller}: a Variable target is not supported "
                             f"(as in TensorFlow); differentiate mtf.identity(variable).")
        upstreams = _upstreams(targets, output_gradients)
        if self._persistent and self in ctx.tapes:
            _warn_recording_own_gradient(caller)
        nodes = self._begin_call("gradient", caller)
        with _backward_part():
            grads = backward(nodes, targets, upstreams, flat_sources, on_step,
                             caller=f"{caller}()")
        results = [_result(grads.get(id(s)), s, unconnected) for s in flat_sources]
        return _nest.pack_like(sources, results)

    def jacobian(self, target, sources, unconnected_gradients=UnconnectedGradients.NONE,
                 parallel_iterations=None, experimental_use_pfor=True):
        """Full Jacobians: shape ``target.shape + source.shape`` per source."""
        from . import _jacobian
        unconnected = _unconnected_mode(unconnected_gradients)
        flat_sources = _checked_sources("jacobian", sources)
        target = _checked_targets(target, allow_list=False)[0]
        nodes = self._begin_call("jacobian")
        with _backward_part():
            results = _jacobian.full(nodes, target, flat_sources, unconnected)
        return _nest.pack_like(sources, results)

    def batch_jacobian(self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
                       parallel_iterations=None, experimental_use_pfor=True):
        """Per-example Jacobians: ``[b] + target.shape[1:] + source.shape[1:]``."""
        from . import _jacobian
        unconnected = _unconnected_mode(unconnected_gradients)
        source = _checked_sources("batch_jacobian", source)[0]
        target = _checked_targets(target, allow_list=False)[0]
        nodes = self._begin_call("batch_jacobian")
        with _backward_part():
            return _jacobian.batched(nodes, target, source, unconnected)

    def _begin_call(self, what, caller=None):
        """The recorded nodes for one gradient call; frees them if not persistent."""
        if self._used:
            raise RuntimeError(
                f"{caller or 'GradientTape.' + what}: a non-persistent GradientTape can "
                f"compute gradients only once. Create it with persistent=True to call "
                f"gradient()/jacobian() several times.")
        nodes = list(self._nodes)
        if not self._persistent:
            self._used = True
            self._nodes, self._tracked = [], set()
            self._gradient_spans, self._scope_marks = [], []
            if self in ctx.tapes:    # inside its `with`: stop recording (TensorFlow)
                ctx.tapes.remove(self)
        return nodes


class _backward_part:
    """While a gradient is computed, a trace labels the ops it records "backward",
    and each recording tape notes which of its nodes the backward pass added."""

    def __enter__(self):
        rec = self.recorder = ctx.recorder
        if rec is not None:
            self.saved, rec.part = rec.part, "backward"
        self.starts = [(tape, len(tape._nodes)) for tape in ctx.tapes
                       if isinstance(tape, GradientTape)]   # not forward accumulators

    def __exit__(self, *exc):
        if self.recorder is not None:
            self.recorder.part = self.saved
        for tape, start in self.starts:
            end = len(tape._nodes)
            if end > start:
                tape._gradient_spans.append((start, end))
        return False


def _creation_order(variable):
    """The serial ``Variable.__init__`` gave ``variable``; -1 for one made without it."""
    return getattr(variable, "_serial", -1)


class _Paused:
    """Context of ``GradientTape.stop_recording``."""

    def __init__(self, tape):
        self._tape = tape
        self._index = None

    def __enter__(self):
        if self._tape not in ctx.tapes:
            raise RuntimeError("stop_recording: the tape is not recording; "
                               "use it inside the tape's `with` block.")
        self._index = ctx.tapes.index(self._tape)
        ctx.tapes.remove(self._tape)

    def __exit__(self, *exc):
        ctx.tapes.insert(self._index, self._tape)
        return False


def backward(nodes, targets, upstreams, sources, on_step=None, caller="gradient()"):
    """Map ``id(value) -> gradient`` for the sources, targets seeded with upstreams.

    One reversed loop: an op's output gradient is complete when the loop reaches
    it (its consumers were recorded later), so it is popped and passed back.
    ``on_step(node, upstream, input_gradients, grads, found)`` (mtf.viz) sees
    each op the loop runs; ``caller`` names the call in error messages.
    """
    source_ids = {id(s) for s in sources}
    grads = {}
    for t, u in zip(targets, upstreams):
        prev = grads.get(id(t))
        grads[id(t)] = u if prev is None else add_gradients(prev, u)
    found = {}
    pop, get = grads.pop, grads.get
    for node in reversed(nodes):
        name, inputs, out, grad, versions, _, needs = node
        key = id(out)
        g = pop(key, None)
        if g is None:
            continue
        if key in source_ids:
            found[key] = g
        if versions:
            _check_versions(name, versions, caller)
        if type(grad) is MultiOutputGrad:
            g = _output_gradients(grad, out, g, grads, source_ids, found)
            grad = grad.rule
        elif type(g) is IndexedSlices:
            g = g._densify()
        input_grads = grad(g, needs)
        if on_step is not None:
            input_grads = tuple(input_grads)
        for x, need, gx in zip(inputs, needs, input_grads):
            if need and gx is not None:
                x = id(x)
                prev = get(x)
                grads[x] = gx if prev is None else add_gradients(prev, gx)
        if on_step is not None:
            on_step(node, g, input_grads, grads, found)
    grads.update(found)
    return grads


def _output_gradients(joint, out, g, grads, source_ids, found):
    """Every output's gradient (``None`` if it has none), taken out of ``grads``.

    The outputs' nodes are recorded one after the other, so when the loop
    reaches the first of them every output's gradient is complete; taking them
    out makes the loop skip the op's other nodes.
    """
    upstreams = []
    for y in joint.outputs:
        gy = g if y is out else grads.pop(id(y), None)
        if gy is not None and y is not out and id(y) in source_ids:
            found[id(y)] = gy
        upstreams.append(gy._densify() if type(gy) is IndexedSlices else gy)
    return upstreams


def _check_versions(name, versions, caller):
    for var, version in versions:
        if var._version != version:
            raise RuntimeError(
                f"Variable {var.name!r} was modified in place (assign, or an optimizer "
                f"step) after op {name!r} recorded it and before {caller} used its "
                f"value; the result would be wrong. Call {caller} before assigning "
                f"(before optimizer.apply_gradients), or record a copy with "
                f"mtf.identity(variable).")


def _unconnected_mode(mode):
    try:
        return UnconnectedGradients(mode.value if isinstance(mode, UnconnectedGradients)
                                    else mode)
    except ValueError:
        raise ValueError(f"unconnected_gradients must be 'none' or 'zero'. "
                         f"Received: unconnected_gradients={mode!r}") from None


def _checked_sources(what, sources):
    flat = _nest.flatten(sources)
    for s in flat:
        if not isinstance(s, _TensorLike):
            raise TypeError(f"GradientTape.{what}: sources must be Tensors or Variables. "
                            f"Received: {type(s).__name__} {s!r}")
    return flat


def _checked_targets(target, allow_list=True):
    flat = _nest.flatten(target) if allow_list else [target]
    for t in flat:
        if not isinstance(t, _TensorLike):
            raise TypeError(f"GradientTape: target must be a Tensor or a list of "
                            f"Tensors. Received: {type(t).__name__} {t!r}")
    return flat


def _upstreams(targets, output_gradients):
    from .ops import creation, _dispatch
    if output_gradients is None:      # seeds need no recording: no op dispatch
        rec = ctx.recorder
        return [_dispatch.apply("ones_like", np.ones_like, (t,), any_shape=True)
                if rec is not None and rec.value_shaped(t)   # its shape may change
                else _dispatch.wrap_constant(np.ones_like(t._value)) for t in targets]
    given = _nest.flatten(output_gradients)
    if len(given) != len(targets):
        raise ValueError(f"GradientTape.gradient: {len(given)} output_gradients for "
                         f"{len(targets)} targets.")
    result = []
    for t, g in zip(targets, given):
        g = creation.ones_like(t) if g is None else _dispatch.as_tensor(g, t.dtype)
        if g.shape != t.shape:
            raise ValueError(f"GradientTape.gradient: output_gradients shape {g.shape} "
                             f"does not match target shape {t.shape}.")
        result.append(g)
    return result


def _result(grad, source, unconnected):
    if grad is None and unconnected is UnconnectedGradients.ZERO:
        from .ops import creation
        return creation.zeros_like(source)
    return grad
