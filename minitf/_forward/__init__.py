"""Forward-mode autodiff: ``ForwardAccumulator`` and the JVP of one recorded op.

An accumulator sits in ``ctx.tapes`` beside the GradientTapes and has the part
of their interface that ``tape.record`` uses (``_tracked``, ``_auto_watch``,
``_nodes.append``), so every op that reads a value with a tangent reaches it
with no extra test on the recording path. Appending a node queues the op; its
tangent is computed at the next look-up (the next op on this accumulator,
``jvp`` or the end of the ``with``), once the op has returned: gradient rules
may close over the op's own output. An op with a rule in ``rules.RULES`` uses
it; any other transposes its VJP ``u -> sum_i J_i^T u``, which is linear in
``u``: ``J xdot = d/du sum_i <vjp_i(u), xdot_i>`` (a double backward through
the op's gradient rule with a zero dummy ``u``). While a tangent is computed,
only the tapes and accumulators entered before this one are active: they
record the tangent arithmetic (reverse-over-forward, forward-over-forward),
while this accumulator and those entered after it see none of it. Entries hold
their values weakly, so a value that dies drops its tangent.
"""
import weakref

import numpy as np

from .. import _nest
from .._context import ctx
from ..indexed_slices import dense
from ..tape import GradientTape, MultiOutputGrad, UnconnectedGradients, _unconnected_mode
from ..tensor import Variable, _TensorLike
from .rules import RULES


class _Tangents:
    """The accumulator's ``_nodes``: appending a recorded op computes its tangent."""

    __slots__ = ("_acc",)

    def __init__(self, acc):
        self._acc = acc

    def append(self, node):
        """Queue the op for its tangent (``tape.record`` calls this)."""
        self._acc._forward(node)


class ForwardAccumulator:
    """Jacobian-vector products by forward-mode autodiff (``tf.autodiff.ForwardAccumulator``).

    >>> x = mtf.constant([1.0, 2.0])
    >>> with mtf.autodiff.ForwardAccumulator(x, mtf.constant([1.0, 0.0])) as acc:
    ...     y = x * x * 3.0
    >>> acc.jvp(y).numpy()
    array([6., 0.], dtype=float32)
    """

    def __init__(self, primals, tangents):
        self._tracked = set()        # ids of values with a tangent entry (tape interface)
        self._tangents = {}          # id(value) -> (weakref to value, tangent or None)
        self._nodes = _Tangents(self)
        self._pending = []           # (node, outer tapes) of ops whose tangent is pending
        self._recorder = None        # the mtf.function trace the accumulator was entered in
        self._watch(primals, tangents)

    def __enter__(self):
        if any(t is self for t in ctx.tapes):
            raise ValueError("ForwardAccumulator.__enter__: this accumulator is already "
                             "recording; it cannot be entered again inside its own `with`.")
        ctx.tapes.append(self)
        self._recorder = ctx.recorder
        return self

    def __exit__(self, *exc):
        ctx.tapes[:] = [t for t in ctx.tapes if t is not self]
        if exc[0] is None:
            self._settle()
        else:                          # leave the error raised in the block alone
            for node, _ in self._pending:
                self._tracked.discard(id(node[2]))
            self._pending.clear()
        return False

    def jvp(self, primals, unconnected_gradients=UnconnectedGradients.NONE):
        """The tangents of ``primals`` (a Tensor or nest of them): ``None`` where a
        value does not depend on the watched primals, zeros if ``unconnected_gradients``
        is ZERO."""
        mode = _unconnected_mode(unconnected_gradients)
        self._settle()
        flat = _nest.flatten(primals)
        for x in flat:
            if not isinstance(x, _TensorLike):
                raise TypeError(f"ForwardAccumulator.jvp: primals must be Tensors or "
                                f"Variables. Received: {type(x).__name__} {x!r}")
        return _nest.pack_like(primals, [self._fetch(x, mode) for x in flat])

    def _fetch(self, x, mode):
        tangent = self._tangent(x)
        if tangent is None and mode is UnconnectedGradients.ZERO:
            from ..ops import creation
            return creation.zeros_like(x)
        return tangent

    def _tangent(self, x):
        """The tangent of ``x`` (None: zero), once the queued ops have theirs."""
        if self._pending:
            self._settle()
        return self._stored(x)

    def _stored(self, x):
        entry = self._tangents.get(id(x))
        return entry[1] if entry is not None and entry[0]() is x else None

    def _store(self, x, tangent):
        """Record ``x``'s tangent; the entry goes when ``x`` dies (its id may be reused)."""
        key = id(x)
        self._tangents[key] = (weakref.ref(x, lambda _: self._drop(key)), tangent)
        self._tracked.add(key)

    def _drop(self, key):
        self._tangents.pop(key, None)
        self._tracked.discard(key)

    # ---- the tape interface of tape.record

    _watch_accessed = False    # as a tape made with watch_accessed_variables=False

    def _auto_watch(self, variable):
        """Accumulators watch only their primals, never Variables that ops read."""
        return False

    def _forward(self, node):
        """Queue a recorded op: its gradient rule may close over its own output, which
        exists once the op returns, so the tangent is computed at the next look-up."""
        if self._pending:
            self._settle()
        saved = ctx.tapes
        outer = saved[:next(i for i, t in enumerate(saved) if t is self)]
        self._pending.append((node, outer))

    def _settle(self):
        """Compute the tangents of the queued ops, oldest first, except an op still being
        recorded on other tapes (its output is not returned yet)."""
        i = 0
        while i < len(self._pending):
            node, outer = self._pending[i]
            if any(out is node[2] for out in ctx.open_records):
                i += 1
                continue
            del self._pending[i]
            self._store(node[2], self._compute(node, outer))

    def _compute(self, node, outer):
        """The tangent of a recorded op's output (None: zero or not floating), with only
        the tapes and accumulators ``outer`` (entered before this one) recording, and
        the trace the accumulator was entered in (a function traced inside the
        accumulator does not get the tangent arithmetic)."""
        name, inputs, out, grad = node[0], node[1], node[2], node[3]
        if out._value.dtype.kind != "f":
            return None
        dots = [self._stored(x) if need else None for x, need in zip(inputs, node[6])]
        if all(d is None for d in dots):
            return None
        if node[4]:
            _check_versions(name, node[4])
        saved = ctx.tapes, ctx.recorder
        ctx.tapes, ctx.recorder = list(outer), self._recorder
        try:
            return op_jvp(name, inputs, out, grad, dots)
        finally:
            ctx.tapes, ctx.recorder = saved

    # ---- primals

    def _watch(self, primals, tangents):
        flat_p, flat_t = _nest.flatten(primals), _nest.flatten(tangents)
        if len(flat_p) != len(flat_t):
            raise ValueError(f"ForwardAccumulator: primals and tangents must have the same "
                             f"structure; got {len(flat_p)} primals and {len(flat_t)} "
                             f"tangents.")
        for i, (p, t) in enumerate(zip(flat_p, flat_t)):
            if id(p) in self._tangents:
                raise ValueError(f"ForwardAccumulator: primal {i} ({_describe(p)}) is given "
                                 f"more than once; sum its tangents instead.")
            self._store(p, _checked_tangent(i, p, t))


def _check_versions(name, versions):
    """Raise if a Variable the op read was assigned before its tangent was computed."""
    for var, version in versions:
        if var._version != version:
            raise RuntimeError(
                f"ForwardAccumulator: Variable {var.name!r} was modified in place (assign) "
                f"after op {name!r} read it and before its tangent was computed (at the "
                f"next op reading a value with a tangent, jvp() or the end of the `with`); "
                f"the tangent would be wrong. Read it with mtf.identity(variable) first.")


def _describe(x):
    """A value in words for messages: a Variable's name, a Tensor's shape and dtype."""
    if type(x) is Variable:
        return f"Variable {x.name!r} of shape {x.shape} and dtype {x.dtype.name}"
    return f"Tensor of shape {x.shape} and dtype {x.dtype.name}"


def _checked_tangent(i, primal, tangent):
    """``tangent`` as a Tensor of ``primal``'s shape and (floating) dtype."""
    from ..ops import _dispatch
    if not isinstance(primal, _TensorLike):
        raise TypeError(f"ForwardAccumulator: primal {i} must be a Tensor or a Variable. "
                        f"Received: {type(primal).__name__} {primal!r}")
    if primal.dtype.kind != "f":
        raise TypeError(f"ForwardAccumulator: primal {i} ({_describe(primal)}) must be "
                        f"floating to have a tangent.")
    if isinstance(tangent, _TensorLike) or isinstance(tangent, np.ndarray):
        if tangent.dtype != primal.dtype:
            raise TypeError(f"ForwardAccumulator: the tangent of primal {i} "
                            f"({_describe(primal)}) has dtype {tangent.dtype.name}; it "
                            f"must be {primal.dtype.name}.")
    if type(tangent) is Variable:
        tangent = _dispatch.wrap_constant(np.array(tangent._value))   # a snapshot
    tangent = _dispatch.as_tensor(tangent, primal.dtype, op="ForwardAccumulator")
    if tangent.shape != primal.shape:
        raise ValueError(f"ForwardAccumulator: the tangent of primal {i} "
                         f"({_describe(primal)}) has shape {tangent.shape}; it must have "
                         f"the primal's shape {primal.shape}.")
    return tangent


def op_jvp(name, inputs, out, grad, dots):
    """``J xdot`` of one recorded op (``dots[i]``: input i's tangent or None): its
    rule in ``RULES`` (never for a custom gradient or a function call, which may share
    an op's name), else the generic rule ``vjp_jvp``."""
    rule = RULES.get(name)
    if rule is not None and type(grad) is not MultiOutputGrad:
        return rule(inputs, out, dots)
    return vjp_jvp(name, out, grad, dots)


def vjp_jvp(name, out, grad, dots):
    """``J xdot`` by transposing the op's VJP ``g_i(u) = J_i^T u``: the gradient of the
    ``g_i`` with respect to a dummy ``u``, weighted by ``dots``, is ``sum_i J_i xdot_i``."""
    from ..ops import _dispatch
    needs = tuple(d is not None for d in dots)
    u = _dispatch.wrap_constant(np.zeros_like(out._value))
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(u)
        grads = _vjp(grad, out, u, needs)
        pairs = [(dense(g), d) for g, d in zip(grads, dots) if g is not None and d is not None]
    if not pairs:
        return None
    try:
        return tape.gradient([g for g, _ in pairs], u,
                             output_gradients=[d for _, d in pairs])
    except NotImplementedError as e:
        raise NotImplementedError(f"ForwardAccumulator: no JVP for op {name!r}: its "
                                  f"gradient cannot be differentiated ({e})") from None


def _vjp(grad, out, u, needs):
    """The op's gradient rule applied to ``u`` as the upstream of ``out`` (the other
    outputs of a several-output op get None)."""
    if type(grad) is not MultiOutputGrad:
        return grad(u, needs)
    known = grad.outputs
    at = next((k for k, y in enumerate(known) if y is out), len(known))
    count = max(len(known), at + 1, len(getattr(grad.rule, "outputs", ())))
    return grad.rule([u if k == at else None for k in range(count)], needs)
