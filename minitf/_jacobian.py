"""Jacobians: one backward pass per output element, rows stacked with ops.

``GradientTape.jacobian`` and ``batch_jacobian`` call these with the nodes the
tape recorded. Each row is a vector-Jacobian product with a one-hot upstream;
rows are stacked with differentiable ops, so an enclosing tape can
differentiate a Jacobian (Hessians, ...).
"""
import numpy as np

from .indexed_slices import dense
from .ops import creation, shape
from .ops._dispatch import wrap_constant
from .tape import UnconnectedGradients, backward


def full(nodes, target, sources, unconnected):
    """Per source, the Jacobian of shape ``target.shape + source.shape``."""
    rows = [[] for _ in sources]
    for i in range(target.size):
        seed = np.zeros(target.size, target.dtype)
        seed[i] = 1
        grads = backward(nodes, [target], [wrap_constant(seed.reshape(target.shape))], sources,
                         caller="GradientTape.jacobian()")
        for source_rows, s in zip(rows, sources):
            source_rows.append(grads.get(id(s)))
    return [_assemble(source_rows, 0, target.shape, (), s, unconnected)
            for source_rows, s in zip(rows, sources)]


def batched(nodes, target, source, unconnected):
    """Per-example Jacobian: ``[b] + target.shape[1:] + source.shape[1:]``.

    As in TensorFlow, example ``i`` of the target may depend only on example
    ``i`` of the source; one backward pass per non-batch target element.
    """
    if target.ndim < 2 or source.ndim < 2:
        raise ValueError(f"GradientTape.batch_jacobian: target and source must have "
                         f"rank at least 2 (a batch axis, then the example's axes), "
                         f"as in TensorFlow. Received: target shape {target.shape}, "
                         f"source shape {source.shape}.")
    if target.shape[0] != source.shape[0]:
        raise ValueError(f"GradientTape.batch_jacobian: target and source need the same "
                         f"leading batch dimension. Received: target shape "
                         f"{target.shape}, source shape {source.shape}.")
    batch, inner = target.shape[0], target.shape[1:]
    per_example = int(np.prod(inner))
    rows = []
    for j in range(per_example):
        seed = np.zeros((batch, per_example), target.dtype)
        seed[:, j] = 1
        grads = backward(nodes, [target], [wrap_constant(seed.reshape(target.shape))], [source],
                         caller="GradientTape.batch_jacobian()")
        rows.append(grads.get(id(source)))
    return _assemble(rows, 1, inner, (batch,), source, unconnected)


def _assemble(rows, axis, inner, batch, source, unconnected):
    """Stack ``rows`` (gradients or None) along ``axis``; reshape to the result."""
    out_shape = batch + tuple(inner) + source.shape[len(batch):]
    if all(r is None for r in rows):
        if rows and unconnected is not UnconnectedGradients.ZERO:
            return None
        return creation.zeros(out_shape, source.dtype)
    zero = creation.zeros_like(source)
    rows = [zero if r is None else dense(r) for r in rows]
    return shape.reshape(shape.stack(rows, axis), out_shape)

