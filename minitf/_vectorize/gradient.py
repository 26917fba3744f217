"""Gradients through ``vectorized_map`` for tapes outside it.

The batched run is recorded on the tapes as one op whose inputs are the mapped
tensors and the values fn reads (Variables, captured tensors). Its gradient rule
is itself a ``vectorized_map``: of fn's vector-Jacobian product on one example,
which re-runs fn under a private tape. Mapped inputs get the per-example
gradients, the others the sum over the batch. The rule is written with minitf
ops, so tapes around it record it too (higher orders, batched the same way).
"""
from .. import _nest
from .. import tape as _tape
from ..ops.creation import zeros_like
from ..ops.reduce import reduce_sum


def record(fn, elems, leaves, sources, outputs, flatten_result):
    """Record ``outputs`` (the batched results) on the active tapes."""
    picked = [i for i, y in enumerate(outputs) if y.dtype.kind == "f"]
    floats = [outputs[i] for i in picked]
    if not floats:
        return
    inputs = tuple(leaves) + tuple(sources)
    n = len(leaves)

    def rule(upstreams, needs):
        from .api import vectorized_map
        ups = [u if u is not None else zeros_like(y) for u, y in zip(upstreams, floats)]
        wrt = [k for k, x in enumerate(inputs) if needs[k] and x.dtype.kind == "f"]
        vjp = _vjp(fn, elems, inputs, wrt, n, picked, flatten_result)
        grads = vectorized_map(vjp, (list(leaves), ups))
        found = [None] * len(inputs)
        for k, g in zip(wrt, grads):
            found[k] = g if k < n else reduce_sum(g, axis=0)
        return found

    joint = _tape.MultiOutputGrad(rule)
    joint.outputs.extend(floats)
    for y in floats:
        _tape.record("vectorized_map", inputs, y, joint)


def _vjp(fn, elems, inputs, wrt, n, picked, flatten_result):
    """fn's vector-Jacobian product on one example: (example, upstreams) -> the
    gradients of the inputs ``wrt``."""
    def vjp(args):
        examples, ups = args
        with _tape.GradientTape(watch_accessed_variables=False) as tape:
            watched = [examples[k] if k < n else inputs[k] for k in wrt]
            tape.watch(watched)
            results = flatten_result(fn(_nest.pack_like(elems, examples)))
        return tape.gradient([results[i] for i in picked], watched, output_gradients=ups,
                             unconnected_gradients=_tape.UnconnectedGradients.ZERO)
    return vjp
