"""Clipping by norm: clip_by_norm, global_norm, clip_by_global_norm (as TensorFlow).

All three are compositions of differentiable ops. ``IndexedSlices`` entries are
handled as TensorFlow does: their ``values`` are measured and scaled, and the
result is an ``IndexedSlices`` with the same indices.
"""
import numpy as np

from ..indexed_slices import IndexedSlices
from . import elementwise as _ew  # a module: elementwise imports _dispatch
from . import reduce as _reduce
from . import _validate as check
from ._dispatch import TENSOR_TYPES, as_tensor, wrap_constant
from ._quiet import quiet
from .comparison import greater, not_equal


@quiet
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t * clip_norm / max(l2norm(t, axes), clip_norm)``: rescale ``t`` so its
    L2 norm over ``axes`` (all when None) is at most ``clip_norm``.

    The norm is taken with TensorFlow's two-``where`` trick, so a zero ``t``
    has a zero (not NaN) gradient.
    """
    op = "clip_by_norm"
    values = check.float_tensor(op, t.values if type(t) is IndexedSlices else t, "t")
    clip_norm = _clip_norm(op, clip_norm, values.dtype)
    axes = check.axes(op, axes, values.ndim, "axes")
    l2sum = _reduce.reduce_sum(values * values, axes, keepdims=True)
    positive = greater(l2sum, 0)
    l2norm = _ew.where(positive, _ew.sqrt(_ew.where(positive, l2sum, 1.0)), l2sum)
    shape = np.shape(clip_norm._value if type(clip_norm) in TENSOR_TYPES else clip_norm)
    if not _broadcasts_into(shape, values.shape):
        raise ValueError(f"clip_by_norm: clip_norm of shape {shape} would change the "
                         f"shape {values.shape} of t (or does not broadcast to it); "
                         f"give a scalar clip_norm.")
    scaled = values * clip_norm
    clipped = _ew.divide(scaled, _ew.maximum(l2norm, clip_norm), name=name)
    if type(t) is IndexedSlices:
        return IndexedSlices(clipped, t.indices, t.dense_shape)
    return clipped


@quiet
def global_norm(t_list, name=None):
    """sqrt(sum of squares of every entry of every tensor in ``t_list``).

    ``None`` entries are ignored; ``IndexedSlices`` count their values. Mixed
    float dtypes are summed in the widest one; an all-``None`` list gives 0.
    At 0 the gradient is 0 (as ``norm``; TensorFlow gives NaN), by the
    two-``where`` trick.
    """
    values = _values_of("global_norm", t_list)
    present = [v for v in values if v is not None]
    if not present:
        return wrap_constant(np.float32(0.0))
    dtype = np.result_type(*[v.dtype for v in present])
    total = None
    for v in present:
        squares = _reduce.reduce_sum(_ew.square(_ew.cast(v, dtype)))
        total = squares if total is None else total + squares
    nonzero = not_equal(total, 0)   # NaN and inf stay, as TensorFlow's
    return _ew.where(nonzero, _ew.sqrt(_ew.where(nonzero, total, 1.0)), 0.0, name=name)


@quiet
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scale every tensor by ``clip_norm / max(global_norm, clip_norm)``.

    Returns ``(list_clipped, global_norm)``; ``use_norm`` replaces the computed
    global norm. A non-finite norm makes every clipped entry NaN (TensorFlow's
    signal that something went wrong). ``None`` entries stay ``None``.
    """
    op = "clip_by_global_norm"
    values = _values_of(op, t_list)
    clip_norm = _clip_norm(op, clip_norm, None, scalar=True)
    if use_norm is not None:
        use_norm = _norm_value(op, use_norm)
    if use_norm is None:
        use_norm = global_norm(values)
    norm = as_tensor(use_norm)
    limit = _ew.cast(as_tensor(clip_norm), norm.dtype)
    scale = limit / _ew.maximum(norm, limit) + (norm - norm)  # + NaN for inf/NaN norms
    clipped = []
    for t, v in zip(t_list, values):
        if v is None:
            clipped.append(None)
            continue
        c = v * _ew.cast(scale, v.dtype)
        clipped.append(IndexedSlices(c, t.indices, t.dense_shape)
                       if type(t) is IndexedSlices else c)
    return clipped, use_norm


def _values_of(op, t_list):
    """The dense values of each entry (``None`` kept); ``t_list`` must be a sequence."""
    if isinstance(t_list, (str, bytes)) or not isinstance(t_list, (list, tuple)):
        raise TypeError(f"{op}: t_list should be a list or tuple of tensors. "
                        f"Received: {type(t_list).__name__}")
    values = []
    for i, t in enumerate(t_list):
        if t is not None:
            t = check.float_tensor(op, t.values if type(t) is IndexedSlices else t,
                                   f"t_list[{i}]")
        values.append(t)
    return values


def _broadcasts_into(shape, target):
    """Whether an array of ``shape`` broadcasts to ``target`` without changing it."""
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _clip_norm(op, clip_norm, dtype, scalar=False):
    """``clip_norm``: a finite number > 0, or a float tensor (of ``dtype`` when given;
    arrays and lists are converted to it) used as given, a scalar if ``scalar``."""
    if not (type(clip_norm) in TENSOR_TYPES or isinstance(clip_norm, (np.ndarray, list))):
        return check.number(op, "clip_norm", clip_norm, low=0, open_low=True)
    norm = check.float_tensor(op, clip_norm, "clip_norm")
    if scalar and norm.ndim:
        raise ValueError(f"{op}: clip_norm must be a scalar. "
                         f"{check.received('clip_norm', clip_norm)}")
    if dtype is not None and norm.dtype != dtype:
        if type(clip_norm) in TENSOR_TYPES:
            raise TypeError(f"{op}: clip_norm has dtype {norm.dtype} but t is {dtype}; "
                            f"cast one with mtf.cast. {check.received('clip_norm', clip_norm)}")
        norm = wrap_constant(norm._value.astype(dtype))   # converted Python data
    return norm


def _norm_value(op, use_norm):
    """``use_norm``: a number (inf and NaN allowed: they clip to NaN) or a float scalar."""
    if type(use_norm) in TENSOR_TYPES or isinstance(use_norm, np.ndarray):
        norm = check.float_tensor(op, use_norm, "use_norm")
        if norm.ndim:
            raise ValueError(f"{op}: use_norm must be a scalar. "
                             f"{check.received('use_norm', use_norm)}")
        return norm
    value = check.as_real(use_norm)
    if value is None:
        raise TypeError(f"{op}: use_norm must be a number or a scalar tensor. "
                        f"{check.received('use_norm', use_norm)}")
    return value
