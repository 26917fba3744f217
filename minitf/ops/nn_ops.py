"""Neural-network helpers of ``tf.nn``: l2_normalize, bias_add, embedding_lookup.

l2_normalize and embedding_lookup's ``max_norm`` are built from other ops (as in
TensorFlow), so their gradients of every order come from those ops; bias_add is
one op whose bias gradient sums over every axis but the channel one.
"""
from . import _validate as check
from ._arith import quiet_apply
from ._dispatch import TENSOR_TYPES
from .clip import clip_by_norm
from .elementwise import maximum, multiply, rsqrt
from .indexing import _index_tensor, _take_rows
from .reduce import reduce_sum


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """x / sqrt(max(sum(x**2, axis), epsilon)) (all axes when ``axis`` is None).

    >>> mtf.nn.l2_normalize([3.0, 4.0]).numpy().tolist()
    [0.6000000238418579, 0.800000011920929]
    """
    x = check.float_tensor("l2_normalize", x, "x")
    axes = check.axes("l2_normalize", axis, x.ndim)
    epsilon = check.number("l2_normalize", "epsilon", epsilon, low=0.0)
    square_sum = reduce_sum(x * x, axes, keepdims=True)
    return multiply(x, rsqrt(maximum(square_sum, epsilon)), name=name)


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis: the last one, or axis 1 for "NC..." formats.

    >>> mtf.nn.bias_add([[1, 2], [3, 4]], [10, 20]).numpy().tolist()
    [[11, 22], [13, 24]]
    """
    v = check.tensor("bias_add", value, "value")
    b = check.tensor("bias_add", bias, "bias")
    if v.dtype.kind == "b" or b.dtype.kind == "b":
        raise TypeError(f"bias_add: bool tensors are not supported. Received: value of "
                        f"dtype {v.dtype}, bias of dtype {b.dtype}")
    if v.dtype != b.dtype:
        raise TypeError(f"bias_add: value and bias must have the same dtype, got "
                        f"{v.dtype} and {b.dtype}.")
    axis = _channel_axis(data_format, v.ndim)
    if b.ndim != 1 or b.shape[0] != v.shape[axis]:
        raise ValueError(f"bias_add: bias must be 1-D of size {v.shape[axis]} (axis {axis} "
                         f"of value of shape {v.shape}), got shape {b.shape}.")
    lead = (-1,) + (1,) * (v.ndim - 1 - axis)
    others = tuple(a for a in range(v.ndim) if a != axis)

    def grad(g, needs):
        return (g if needs[0] else None,
                reduce_sum(g, others) if needs[1] else None)
    return quiet_apply("bias_add", lambda a, c: a + c.reshape(lead), (v, b), grad,
                       saves=False, label=name)


def _channel_axis(data_format, ndim):
    """The channel axis of ``data_format`` (None or "N...C": last; "NC...": 1)."""
    if ndim < 2:
        raise ValueError(f"bias_add: value must have rank >= 2, got rank {ndim}.")
    if data_format is None:
        return ndim - 1
    if not isinstance(data_format, str):
        raise TypeError(f"bias_add: data_format must be None or a string such as "
                        f"'NHWC' or 'NCHW'. {check.received('data_format', data_format)}")
    if data_format.startswith("NC"):
        return 1
    if data_format.startswith("N") and data_format.endswith("C"):
        return ndim - 1
    raise ValueError(f"bias_add: data_format must be 'N...C' or 'NC...', e.g. 'NHWC' or "
                     f"'NCHW'. {check.received('data_format', data_format)}")


def embedding_lookup(params, ids, max_norm=None, name=None):
    """Rows of ``params`` at ``ids`` (any shape), each clipped to L2 norm ``max_norm``
    if given; the gradient of ``params`` is an ``IndexedSlices``.

    >>> mtf.nn.embedding_lookup([[1.0, 0.0], [0.0, 2.0]], [1, 1, 0]).numpy().tolist()
    [[0.0, 2.0], [0.0, 2.0], [1.0, 0.0]]
    """
    table = check.tensor("embedding_lookup", _one_shard(params), "params")
    if table.ndim == 0:
        raise ValueError("embedding_lookup: params must have rank >= 1, got a scalar.")
    index = _index_tensor("embedding_lookup", ids)
    if max_norm is not None:
        max_norm = check.number("embedding_lookup", "max_norm", max_norm, low=0.0,
                                open_low=True)
        if table.dtype.kind != "f":
            raise TypeError(f"embedding_lookup: max_norm needs floating-point params, got "
                            f"{table.dtype}.")
    rows = _take_rows("embedding_lookup", table, index,
                      label=name if max_norm is None else None)
    if max_norm is None:
        return rows
    axes = list(range(index.ndim, rows.ndim))
    return clip_by_norm(rows, max_norm, axes=axes, name=name)


def _one_shard(params):
    """``params``, or the tensor of a one-element list of tensors (a list of several
    tensors, a sharded table, is refused)."""
    if not isinstance(params, (list, tuple)) or not params or not all(
            type(p) in TENSOR_TYPES for p in params):
        return params
    if len(params) == 1:
        return params[0]
    raise ValueError(f"embedding_lookup: sharded params (a list of {len(params)} tensors) "
                     f"are not supported; concatenate them with mtf.concat first.")
