"""Optimizer calls inside ``mtf.function``: each is one step of the traced program.

An optimizer step is numpy and kernel code with Python decisions that read
values (the iteration count for EMA and bias correction, a schedule's
learning rate, whether a clip norm is exceeded, accumulation cycles). A trace
therefore records the whole call as one step that runs the same eager code on
the replayed gradient arrays: every decision is taken again on every call, and
the result is bit-identical to eager by construction. Ops the call runs
itself (a custom ``update_step``) are not recorded separately.
"""
from .._context import ctx
from ..indexed_slices import IndexedSlices
from ..ops._dispatch import as_tensor, wrap_constant
from ..tensor import Tensor, Variable, _TensorLike


def call(rec, op, run, pairs, outputs, run_dense=None):
    """Run ``run(pairs)`` now and record it as one "update" step of ``rec``.

    ``pairs`` are (value, variable) items (values: Tensors, IndexedSlices, None or
    array-likes); ``outputs`` says whether ``run`` returns (Tensor, variable) pairs.
    ``run_dense([(array, variable)])``, when given, replays a call whose gradients are
    all dense: the trace validated them, so it skips the per-call checks.
    """
    pairs = list(pairs)
    if rec.effects == "skip":
        return [] if outputs else None
    plan, inputs = _plan(pairs)
    if run_dense is not None and all(entry[0] == "dense" for entry in plan):
        variables = [entry[1] for entry in plan]

        def step(*arrays):
            run_dense(list(zip(arrays, variables)))
    else:
        def step(*arrays):
            result = run(_rebuilt(plan, arrays))
            return tuple(u._value for u, _ in result) if outputs else None

    if rec.effects == "dry" and outputs:
        raise NotImplementedError(f"{op} inside a branch of mtf.cond or mtf.while_loop "
                                  f"is not supported; call it outside the branch.")
    saved_recorder, saved_part = ctx.recorder, rec.part
    ctx.recorder = None
    try:
        result = run(pairs) if rec.effects == "run" else None
    finally:
        ctx.recorder = saved_recorder
    rec.part = "update"
    try:
        if not outputs:
            rec.effect(op, step, inputs)
            return result
        fresh = [(_fresh(u), v) for u, v in result]
        rec.op(op, step, inputs, [u for u, _ in fresh], stateful=True, many=True)
        return fresh
    finally:
        rec.part = saved_part


def _plan(pairs):
    """How to rebuild each pair from the step's input arrays, and those inputs."""
    plan, inputs = [], []
    for item in pairs:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            plan.append(("as is", item))
            continue
        g, var = item
        if type(g) is IndexedSlices:
            inputs += [g.values, g.indices]
            plan.append(("slices", var, g.dense_shape))
        elif isinstance(g, _TensorLike):
            inputs.append(g)
            plan.append(("dense", var))
        elif g is None:
            plan.append(("none", var))
        else:
            inputs.append(as_tensor(g))
            plan.append(("dense", var))
    return plan, inputs


def _rebuilt(plan, arrays):
    """The (gradient, variable) pairs of one replay, from its arrays."""
    pairs, i = [], 0
    for entry in plan:
        kind = entry[0]
        if kind == "dense":
            pairs.append((_tensor(arrays[i]), entry[1]))
            i += 1
        elif kind == "slices":
            pairs.append((IndexedSlices(_tensor(arrays[i]), _tensor(arrays[i + 1]),
                                        entry[2]), entry[1]))
            i += 2
        elif kind == "none":
            pairs.append((None, entry[1]))
        else:
            pairs.append(entry[1])
    return pairs


def _tensor(array):
    out = object.__new__(Tensor)
    out._value = array
    return out


def _fresh(u):
    """A new Tensor for an output (a Variable's value is copied)."""
    if type(u) is Variable:
        return wrap_constant(u.numpy())
    return _tensor(u._value)
