"""custom_gradient: a function whose backward pass the user writes (as TF).

The decorated ``f(*args)`` returns ``(y, grad_fn)``. As in TensorFlow, ``f``
runs with the active tapes still recording (plus a private tape that learns
which trainable Variables ``f`` reads), then its outputs are recorded as new
Tensors of one op whose gradient calls ``grad_fn`` once with every output's
upstream. The gradient of an output therefore comes from ``grad_fn`` only,
while values computed inside ``f`` stay connected to its inputs: when an
enclosing tape differentiates ``grad_fn``'s ops (higher-order gradients), the
values ``grad_fn`` closes over are differentiated too.
"""
import functools
import inspect

import numpy as np

from . import _nest
from ._context import ctx
from .indexed_slices import IndexedSlices
from .ops import creation
from .ops._dispatch import apply, as_tensor
from .tape import GradientTape, MultiOutputGrad
from .tensor import Variable, _TensorLike


def custom_gradient(f=None):
    """Decorate ``f`` so that its gradient is computed by the ``grad_fn`` it returns.

    ``grad_fn(*upstreams)`` gets one upstream gradient per output of ``f``
    (zeros for an output the target does not use; one call per backward pass)
    and returns one gradient per positional argument (a Tensor for one
    argument, a list for several; ``None`` for no gradient). When ``f`` reads
    trainable Variables that are not its arguments, ``grad_fn`` is called with
    ``variables=[...]`` and returns ``(input_grads, variable_grads)``. Values
    ``grad_fn`` closes over stay differentiable (higher orders, as TensorFlow).

    >>> @mtf.custom_gradient
    ... def clipped_identity(x):
    ...     return mtf.identity(x), lambda g: mtf.clip_by_value(g, -1.0, 1.0)
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        return _call(f, args, kwargs)
    return decorated


def _call(f, args, kwargs):
    """Run ``f`` (recorded), then record its outputs as one op with ``grad_fn``."""
    private = GradientTape(persistent=True)   # only to learn the Variables f reads
    ctx.tapes.append(private)
    try:
        returned = f(*args, **kwargs)
    finally:
        ctx.tapes.remove(private)
    if not (isinstance(returned, tuple) and len(returned) == 2 and callable(returned[1])):
        raise TypeError(f"custom_gradient {f.__name__}: the function must return "
                        f"(y, grad_fn). Received: {returned!r}")
    result, grad_fn = returned
    flat_args = _nest.flatten(list(args))
    variables = [v for v in private.watched_variables()
                 if not any(v is a for a in flat_args)]
    if variables and not _accepts_variables(grad_fn):
        raise TypeError(
            f"custom_gradient {f.__name__}: the function reads trainable variables "
            f"{[v.name for v in variables]}, so its grad_fn must accept a keyword "
            f"argument 'variables' and return (input_grads, variable_grads).")
    outputs = [as_tensor(y) for y in _nest.flatten(result)]
    inputs = tuple(a for a in flat_args if isinstance(a, _TensorLike)) + tuple(variables)
    joint = MultiOutputGrad(_Backward(f.__name__, grad_fn, flat_args, variables, outputs))
    for y in outputs:
        value = _copy if type(y) is Variable else _same
        joint.outputs.append(apply(f.__name__, value, (y,), joint, inputs=inputs,
                                   batch=value))     # both act on a batch as on one example
    return _nest.pack_like(result, joint.outputs)


def _same(value):
    """An output of ``f`` as the op's output (the trace aliases it)."""
    return value


def _copy(value):
    """A Variable output's value, copied (the Variable may be assigned later)."""
    return np.array(value, copy=True)


def _accepts_variables(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in params)


class _Backward:
    """Calls the user's ``grad_fn`` and checks what it returns."""

    def __init__(self, name, grad_fn, flat_args, variables, outputs):
        self.name, self.grad_fn = name, grad_fn
        self.flat_args, self.variables, self.outputs = flat_args, variables, outputs

    def __call__(self, upstreams, needs):
        """Call ``grad_fn`` once; outputs without a gradient get zeros (TensorFlow)."""
        upstreams = [creation.zeros_like(y) if g is None else g
                     for g, y in zip(upstreams, self.outputs)]
        if self.variables:
            returned = self.grad_fn(*upstreams, variables=self.variables)
            if not isinstance(returned, (list, tuple)) or len(returned) != 2:
                raise TypeError(f"custom_gradient {self.name}: grad_fn(..., variables=) "
                                f"must return (input_grads, variable_grads). "
                                f"Received: {returned!r}")
            input_grads, variable_grads = returned
            variable_grads = _nest.flatten(variable_grads)
        else:
            input_grads, variable_grads = self.grad_fn(*upstreams), []
        input_grads = _nest.flatten(input_grads)
        if len(input_grads) != len(self.flat_args):
            raise ValueError(f"custom_gradient {self.name}: grad_fn returned "
                             f"{len(input_grads)} gradients for {len(self.flat_args)} "
                             f"inputs.")
        if len(variable_grads) != len(self.variables):
            raise ValueError(f"custom_gradient {self.name}: grad_fn returned "
                             f"{len(variable_grads)} variable gradients for "
                             f"{len(self.variables)} variables.")
        pairs = [(a, g) for a, g in zip(self.flat_args, input_grads)
                 if isinstance(a, _TensorLike)] + list(zip(self.variables, variable_grads))
        return tuple(self._checked(i, x, g) for i, (x, g) in enumerate(pairs))

    def _checked(self, i, x, g):
        """``g`` as a Tensor (or IndexedSlices) of ``x``'s shape and dtype, or None."""
        if x.dtype.kind != "f":
            return None
        if g is None or type(g) is IndexedSlices:
            return g
        g = as_tensor(g, x.dtype)
        if g.dtype != x.dtype:
            raise TypeError(f"custom_gradient {self.name}: grad_fn returned a {g.dtype} "
                            f"gradient for input {i} of dtype {x.dtype}.")
        if g.shape != x.shape:
            raise ValueError(f"custom_gradient {self.name}: grad_fn returned a gradient "
                             f"of shape {g.shape} for input {i} of shape {x.shape}.")
        return g
