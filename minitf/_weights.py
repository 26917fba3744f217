"""Weights as numpy arrays: ``get_weights`` / ``set_weights`` / ``load_weights``.

What porting a model needs (Keras' names): every array is checked before any
Variable is written, so a failed call changes nothing. ``load_weights`` is
keyed by the Variables' paths relative to the module, as checkpoint keys
without the root (``"layers/0/w"``).
"""
import numpy as np

from . import dtypes
from .tensor import _TensorLike


def get_weights(variables):
    """Writable numpy copies of ``variables``' values, in order."""
    return [v.numpy() for v in variables]


def checked_arrays(op, variables, weights, hint=""):
    """``weights`` as arrays of ``variables``' shapes and dtypes (ValueError naming the
    variable otherwise), copied where they share memory with a variable."""
    weights = list(weights)
    if len(weights) != len(variables):
        raise ValueError(f"{op}: expected {len(variables)} arrays for the variables "
                         f"{[v.name for v in variables]}, received {len(weights)}.{hint}")
    arrays = [_checked(op, v, w) for v, w in zip(variables, weights)]
    return _unshared(arrays, variables)


def _checked(op, var, w, cast=False):
    """``w`` as an array for ``var``: its shape, and its dtype (floats cast if ``cast``)."""
    a = dtypes.check_array(np.asarray(w._value if isinstance(w, _TensorLike) else w), op)
    if cast and a.dtype != var.dtype and a.dtype.kind == var.dtype.kind == "f":
        a = a.astype(var.dtype)
    if a.shape != var.shape or a.dtype != var.dtype:
        raise ValueError(f"{op}: {var.name!r} has shape {var.shape} and dtype {var.dtype}; "
                         f"received shape {a.shape}, dtype {a.dtype}.")
    return a


def _unshared(arrays, variables):
    """Each array copied if it is (a view of) one of ``variables``' memory: every value
    is read before any is written."""
    from .optimizers._step import memory_root, snapshot
    written = {id(memory_root(v._value)) for v in variables}
    return [snapshot(a, written) for a in arrays]


def assign_all(variables, arrays):
    for var, a in zip(variables, arrays):
        var.assign(a)


def load_weights(module, mapping):
    """Assign the Variables of ``module`` named by ``mapping``'s keys (paths relative
    to the module); returns the keys that name no Variable, in ``mapping``'s order."""
    from .module import _is_variable
    from .train._graph import join
    if not hasattr(mapping, "items"):
        raise TypeError(f"load_weights: expects a mapping from paths ('layers/0/w') to "
                        f"arrays. Received: {type(mapping).__name__}")
    by_path = {join(path): v
               for path, v in module._flatten(predicate=_is_variable, with_path=True)}
    matched, unmatched = [], []
    for key, value in mapping.items():
        var = by_path.get(key) if isinstance(key, str) else None
        if var is None:
            unmatched.append(key)
        else:
            matched.append((var, _checked(f"load_weights[{key!r}]", var, value, cast=True)))
    variables = [v for v, _ in matched]
    assign_all(variables, _unshared([a for _, a in matched], variables))
    return unmatched
