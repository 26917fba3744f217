"""map_fn: a user function applied to each slice along axis 0, results stacked.

It is a Python loop of recorded ops (``unstack``, the function's ops, ``stack``),
so gradients flow through it and ``mtf.function`` unrolls it in the trace.
"""
import numpy as np

from .. import _nest
from .._function.signature import TensorSpec
from . import _validate as check
from ._dispatch import TENSOR_TYPES, wrap_constant
from .convert import convert_to_tensor
from .elementwise import stop_gradient
from .shape import stack, unstack

_OP = "map_fn"


def _leaf_tensors(elems):
    """The leaves of ``elems`` as Tensors of rank >= 1 with one leading size."""
    leaves = _nest.flatten(elems)
    if not leaves:
        raise ValueError(f"{_OP}: elems must be a tensor or a nested structure holding at "
                         f"least one tensor. {check.received('elems', elems)}")
    tensors = [check.tensor(_OP, leaf, "elems") for leaf in leaves]
    for t in tensors:
        if t.ndim == 0:
            raise ValueError(f"{_OP}: every tensor in elems must have rank >= 1 (it is "
                             f"sliced along axis 0), got a scalar.")
    sizes = [t.shape[0] for t in tensors]
    if len(set(sizes)) > 1:
        raise ValueError(f"{_OP}: the tensors in elems must have the same size along axis "
                         f"0, got sizes {sizes}.")
    return tensors, sizes[0]


def _spec(leaf):
    """A signature leaf (a dtype or TensorSpec) as a TensorSpec."""
    if isinstance(leaf, TensorSpec):
        return leaf
    return TensorSpec(None, check.dtype(_OP, leaf, "fn_output_signature"))


def _signature(fn_output_signature, dtype, elems, tensors):
    """(structure, list of TensorSpec) that every output of ``fn`` must match; without
    a signature, the structure and dtypes of ``elems`` (shapes free)."""
    if dtype is not None and fn_output_signature is not None:
        raise ValueError(f"{_OP}: give fn_output_signature or its deprecated alias dtype, "
                         f"not both.")
    signature = fn_output_signature if fn_output_signature is not None else dtype
    if signature is None:
        return elems, [TensorSpec(t.shape[1:], t.dtype) for t in tensors], False
    leaves = _nest.flatten(signature)
    if not leaves:
        raise ValueError(f"{_OP}: fn_output_signature holds no dtype or TensorSpec. "
                         f"{check.received('fn_output_signature', signature)}")
    return signature, [_spec(leaf) for leaf in leaves], True


def _shape_of(structure):
    """``structure`` with lists and tuples as lists and every leaf as None (to compare
    nests)."""
    if isinstance(structure, dict):
        return {key: _shape_of(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_shape_of(item) for item in structure]
    return None


def _checked_output(out, k, structure, specs, first):
    """The leaves of ``fn``'s ``k``-th result as Tensors, after checking its structure,
    dtypes and shapes against the signature and the first result."""
    if _shape_of(out) != _shape_of(structure):
        raise ValueError(f"{_OP}: fn returned a result of structure {_shape_of(out)!r} for "
                         f"element {k}, expected {_shape_of(structure)!r}; give "
                         f"fn_output_signature when fn's output differs from elems.")
    leaves = []
    for j, (leaf, spec) in enumerate(zip(_nest.flatten(out), specs)):
        t = leaf if type(leaf) in TENSOR_TYPES else _converted(leaf, spec, k)
        if t.dtype != spec.dtype:
            raise TypeError(f"{_OP}: fn returned dtype {t.dtype.name} for output {j} of "
                            f"element {k}, expected {spec.dtype.name}.")
        want = first[j].shape if first else None
        if want is not None and t.shape != want:
            raise ValueError(f"{_OP}: fn returned shape {t.shape} for output {j} of element "
                             f"{k}, but shape {want} for element 0; the results are stacked, "
                             f"so their shapes must agree.")
        leaves.append(t)
    return leaves


def _converted(leaf, spec, k):
    try:
        return convert_to_tensor(leaf)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{_OP}: fn returned {type(leaf).__name__} for element {k}, which "
                        f"is not a tensor ({e}).") from None


def _empty(structure, specs):
    """The result for elems of size 0: zeros of shape ``(0,) + spec.shape`` per output."""
    leaves = []
    for spec in specs:
        if spec.shape is None or any(n is None for n in spec.shape):
            raise ValueError(f"{_OP}: elems are empty and fn_output_signature does not give "
                             f"a full shape ({spec}); the empty result's shape is unknown.")
        leaves.append(wrap_constant(np.zeros((0,) + tuple(spec.shape), spec.dtype)))
    return _nest.pack_like(structure, leaves)


def _flags(parallel_iterations, back_prop, swap_memory, infer_shape):
    if parallel_iterations is not None:
        check.integer(_OP, "parallel_iterations", parallel_iterations, low=1)
    for what, value in (("back_prop", back_prop), ("swap_memory", swap_memory),
                        ("infer_shape", infer_shape)):
        check.flag(_OP, what, value)


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):
    """``fn`` applied to each slice of ``elems`` along axis 0, the results stacked.

    >>> mtf.map_fn(lambda r: mtf.reduce_sum(r), np.array([[1, 2], [3, 4]])).numpy().tolist()
    [3, 7]
    """
    if not callable(fn):
        raise TypeError(f"{_OP}: fn must be callable. {check.received('fn', fn)}")
    _flags(parallel_iterations, back_prop, swap_memory, infer_shape)
    tensors, n = _leaf_tensors(elems)
    structure, specs, explicit = _signature(fn_output_signature, dtype, elems, tensors)
    if n == 0:
        return _empty(structure, specs)
    columns = [unstack(t) for t in tensors]
    results = []
    for k in range(n):
        out = fn(_nest.pack_like(elems, [c[k] for c in columns]))
        results.append(_checked_output(out, k, structure, specs, results[0] if results
                                       else None))
        if not explicit and k == 0:
            specs = [TensorSpec(t.shape, t.dtype) for t in results[0]]
    for j, spec in enumerate(specs):
        _check_spec(spec, results[0][j], j)
    stacked = [stack([r[j] for r in results]) for j in range(len(specs))]
    if not back_prop:
        stacked = [stop_gradient(s) for s in stacked]
    return _nest.pack_like(structure, stacked)


def _check_spec(spec, t, j):
    """ValueError if output ``j`` does not have the shape its TensorSpec gives."""
    if spec.shape is None:
        return
    ok = len(spec.shape) == t.ndim and all(a is None or a == b
                                            for a, b in zip(spec.shape, t.shape))
    if not ok:
        raise ValueError(f"{_OP}: fn returned shape {t.shape} for output {j}, which does "
                         f"not match fn_output_signature {spec}.")

