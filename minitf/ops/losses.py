"""Losses of ``mtf.nn``: the cross-entropies with logits and l2_loss.

Gradients reach every floating input, labels included. The softmax
cross-entropies compute loss and backprop in one fused kernel pass per row; the
backward wraps that backprop as an op of its own (``_xent_backprop``) whose
rule is written with minitf ops, so an enclosing tape records second order.
"""
import numpy as np

from ..kernels import softmax as _ks
from . import _validate as check
from ._batching import BROADCAST
from ._dispatch import TENSOR_TYPES, apply, apply_with_aux, as_tensor
from ._quiet import quiet
from .activations import _class_axis, _softmax_grad, log_softmax, softmax
from .elementwise import sigmoid
from .reduce import reduce_sum
from .shape import reshape


@quiet
def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """-labels * log(sigmoid(logits)) - (1 - labels) * log(1 - sigmoid(logits)),
    computed as max(x, 0) - x * z + log(1 + exp(-|x|)) so it never overflows."""
    op = "sigmoid_cross_entropy_with_logits"
    labels, logits = _pair(op, labels, logits)

    def grad(g, needs):
        return (-g * logits if needs[0] else None,
                g * (sigmoid(logits) - labels) if needs[1] else None)
    return apply(op, _sigmoid_xent, (labels, logits), grad, label=name, batch=BROADCAST)


def _sigmoid_xent(z, x):
    """The sigmoid cross-entropy of labels ``z`` and logits ``x`` on numpy values."""
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


@quiet
def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-sum(labels * log_softmax(logits)) along ``axis`` (dropped from the result).

    Labels need not sum to one: d/dlogits = softmax(logits) * sum(labels) - labels
    exactly, and d/dlabels = -log_softmax(logits).
    """
    op = "softmax_cross_entropy_with_logits"
    labels, logits = _pair(op, labels, logits)
    axis = _class_axis(op, axis, logits)

    def grad(g, needs):
        g = reshape(g, logits.shape[:axis] + (1,) + logits.shape[axis + 1:])
        return (-g * log_softmax(logits, axis) if needs[0] else None,
                g * _xent_backprop(labels, logits, backprop, axis) if needs[1] else None)
    loss, backprop = apply_with_aux(op, lambda z, x: _ks.softmax_xent(z, x, axis),
                                  (labels, logits), grad, label=name,
                                    batch=lambda z, x: _ks.softmax_xent(z, x, axis + 1))
    return loss


def _xent_backprop(labels, logits, backprop, axis):
    """softmax(logits) * sum(labels) - labels, already computed by the forward kernel
    (``backprop``), as an op of (labels, logits)."""

    def grad(h, needs):
        p = softmax(logits, axis)
        return (reduce_sum(h * p, axis, keepdims=True) - h if needs[0] else None,
                _softmax_grad(p, h, axis) * reduce_sum(labels, axis, keepdims=True)
                if needs[1] else None)
    return apply("softmax_cross_entropy_backprop", _same, (backprop,), grad,
                 inputs=(labels, logits), batch=BROADCAST)


@quiet
def sparse_softmax_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """logsumexp(logits) - logits[label] over the last axis; ``labels`` are class
    indices of shape ``logits.shape[:-1]`` (no gradient)."""
    op = "sparse_softmax_cross_entropy_with_logits"
    _require(op, labels, logits)
    logits = check.float_tensor(op, logits, "logits")
    labels = _class_indices(op, labels, logits)
    shape = logits.shape

    def xent(indices, values):
        """The kernel, after the range check it relies on (made on every replay too)."""
        _check_range(op, indices, shape)
        return _ks.sparse_xent(indices, values)

    def grad(g, needs):
        g = reshape(g, logits.shape[:-1] + (1,))
        return None, g * _sparse_backprop(logits, backprop)
    loss, backprop = apply_with_aux(op, xent, (labels, logits), grad, label=name, batch=xent)
    return loss


def _sparse_backprop(logits, backprop):
    """softmax(logits) - one_hot(labels), already computed by the forward kernel
    (``backprop``), as an op of logits."""
    return apply("sparse_softmax_cross_entropy_backprop", _same, (backprop,),
                 lambda h, _: (_softmax_grad(softmax(logits), h, logits.ndim - 1),),
                 inputs=(logits,), batch=BROADCAST)


def _same(v):
    """The array itself: a saved kernel result becomes an op's output."""
    return v


def _class_indices(op, labels, logits):
    """``labels`` as an integer Tensor of shape logits.shape[:-1] (the range of its
    values is checked by the op itself)."""
    labels = check.tensor(op, labels, "labels")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integer class indices, got dtype "
                        f"{labels.dtype}. Use softmax_cross_entropy_with_logits for "
                        f"one-hot or soft labels.")
    if logits.ndim == 0 or labels.shape != logits.shape[:-1]:
        raise ValueError(f"{op}: labels must have shape logits.shape[:-1]. Received: "
                         f"labels.shape={labels.shape}, logits.shape={logits.shape}")
    return labels


def _check_range(op, v, logits_shape):
    """Raise ValueError unless every class index in ``v`` lies in [0, classes)."""
    classes = logits_shape[-1]
    if v.size and (v.min() < 0 or v.max() >= classes):
        bad = v[(v < 0) | (v >= classes)].reshape(-1)[0]
        raise ValueError(f"{op}: label {bad} is out of range; labels must lie in "
                         f"[0, {classes}) for logits of shape {logits_shape}.")


def _pair(op, labels, logits):
    """(labels, logits) as Tensors of one floating dtype (labels take the logits') and
    one shape."""
    _require(op, labels, logits)
    logits = check.float_tensor(op, logits, "logits")
    if type(labels) not in TENSOR_TYPES:
        try:
            labels = as_tensor(labels, logits.dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise TypeError(f"{op}: cannot use labels as a {logits.dtype} tensor: {e} "
                            f"{check.received('labels', labels)}") from None
    elif labels.dtype != logits.dtype:
        raise TypeError(f"{op}: labels dtype {labels.dtype} does not match logits "
                        f"dtype {logits.dtype}; cast labels with "
                        f"mtf.cast(labels, mtf.{logits.dtype}).")
    if labels.shape != logits.shape:
        raise ValueError(f"{op}: logits and labels must have the same shape. "
                         f"Received: logits.shape={logits.shape}, "
                         f"labels.shape={labels.shape}")
    return labels, logits


def _require(op, labels, logits):
    if labels is None or logits is None:
        raise ValueError(f"{op}: both labels= and logits= are required. Received: "
                         f"labels={'None' if labels is None else 'given'}, "
                         f"logits={'None' if logits is None else 'given'}")


@quiet
def l2_loss(t, name=None):
    """sum(t ** 2) / 2, a scalar (weight decay's penalty)."""
    t = check.float_tensor("l2_loss", t, "t")
    return apply("l2_loss", _half_sum_of_squares, (t,), lambda g, _: (g * t,), label=name,
                 batch=_batched_half_sums)


def _half_sum_of_squares(v):
    return np.asarray(np.sum(np.square(v)) / 2, dtype=v.dtype)


def _batched_half_sums(v):
    """l2_loss of each example of a batch (the batch axis first)."""
    return (np.sum(np.square(v), axis=tuple(range(1, v.ndim))) / 2).astype(v.dtype)
