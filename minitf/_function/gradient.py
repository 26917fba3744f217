"""Gradients of a traced function called under a GradientTape outside it.

The call replays the forward program and is recorded on the tapes as one op.
Its gradient rule calls a second traced function, the *backward function*,
which runs the Python function again under a private tape (once per
signature, with Variable writes, prints and optimizer steps skipped) and
returns the gradients of its outputs with respect to its Tensor inputs and the
Variables it reads. A program that draws random numbers or has effects would
not give the same values when run again, so such a function runs eagerly under
a tape instead (its ops are then recorded one by one).
"""
from .. import tape as _tape
from ..indexed_slices import IndexedSlices
from ..tensor import Tensor


def can_recompute(concrete):
    """Whether running ``concrete``'s Python again gives its forward values: no
    random draw, no Variable write, print or optimizer step, no IndexedSlices out."""
    if any(type(leaf) is IndexedSlices for leaf in _leaves(concrete.structured_outputs)):
        return False
    return not any(_stateful(step) for step in concrete._recorder_steps)


def _stateful(step):
    if step.stateful:
        return True
    bodies = step.body if isinstance(step.body, tuple) else ()
    return any(_stateful(s) for program in bodies for s in program.steps)


def record(function, concrete, args, kwargs, inputs, result):
    """Record the replayed call on the active tapes (``inputs``: its Tensor leaves)."""
    outputs = [leaf for leaf in _leaves(result) if type(leaf) is Tensor]
    variables = _variables_read(concrete)
    sources = tuple(inputs) + tuple(variables)
    if not outputs or not sources:
        return
    rule = _CallGradient(function, args, kwargs, variables, outputs)
    joint = _tape.MultiOutputGrad(rule)
    joint.outputs.extend(outputs)
    for y in outputs:
        _tape.record(function._name, sources, y, joint)


def _variables_read(concrete):
    """The floating Variables the program reads, in the order it first reads them."""
    from .recorder import VARIABLE
    found = {}
    for step in concrete._recorder_steps:
        for kind, what in step.ins:
            if kind == VARIABLE and what.dtype.kind == "f":
                found.setdefault(id(what), what)
    return list(found.values())


def _leaves(structure):
    from .. import _nest
    return _nest.flatten(structure)


class _CallGradient:
    """The rule of a recorded call: one gradient per Tensor input and Variable."""

    def __init__(self, function, args, kwargs, variables, outputs):
        self.function, self.args, self.kwargs = function, args, kwargs
        self.variables, self.outputs = variables, outputs

    def __call__(self, upstreams, needs):
        from ..ops import creation
        ups = [creation.zeros_like(y) if u is None else u
               for u, y in zip(upstreams, self.outputs)]
        backward = self.function._backward_function()
        return backward(self.args, self.kwargs, self.variables, ups)


def backward_of(python_function):
    """``backward(args, kwargs, variables, upstreams)``: the gradients of
    ``python_function``'s Tensor outputs (weighted by ``upstreams``) with respect to
    the Tensor leaves of the arguments, then to ``variables``."""
    from .function import _leaf_tensors

    def backward(args, kwargs, variables, upstreams):
        inputs = _leaf_tensors((args, kwargs))
        with _tape.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch([x for x in inputs + list(variables) if x.dtype.kind == "f"])
            result = python_function(*args, **kwargs)
            outputs = [leaf for leaf in _leaves(result) if type(leaf) is Tensor]
        return tape.gradient(outputs, inputs + list(variables), output_gradients=upstreams)
    return backward

