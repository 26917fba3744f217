"""norm: vector norms (any p > 0, inf) and matrix norms (Frobenius, 1, 2, inf).

Compositions of differentiable ops, except the euclidean norm (its own op, so
its gradient at 0 is 0) and the spectral norm (an SVD; first derivatives only).
"""
import numpy as np

from . import elementwise as _ew, reduce as _reduce, _validate as check
from ._dispatch import TENSOR_TYPES, apply, apply_with_aux
from ._quiet import quiet
from .comparison import greater
from .shape import reshape


@quiet
def norm(tensor, ord="euclidean", axis=None, keepdims=False, name=None):
    """Vector norm (``axis`` None or int) or matrix norm (``axis`` a pair).

    Vectors: ``'euclidean'``/2, 1, ``np.inf`` or any ``p > 0``; matrices:
    ``'euclidean'``/``'fro'``, 1, 2 (largest singular value), ``np.inf``. The
    euclidean norm's gradient at 0 is 0 (TensorFlow gives NaN).
    """
    x = check.float_tensor("norm", tensor, "tensor")
    keepdims = check.flag("norm", "keepdims", keepdims)
    axes, matrix = _norm_axes(axis, x.ndim)
    _check_ord(ord, matrix, x)
    if matrix and _is(ord, 2):
        result = _spectral_norm(x, axes)
    elif isinstance(ord, str) or _is(ord, 2):
        result = _euclidean(x, axes)
    elif _is(ord, 1) or _is(ord, np.inf):
        result = _abs_norm(x, axes, matrix, _is(ord, 1))
    else:
        p = check.as_real(ord)
        total = _reduce.reduce_sum(_ew.abs(x) ** p, axes, keepdims=True)
        result = total ** (1.0 / p)
    if keepdims:
        return result
    return reshape(result, tuple(n for k, n in enumerate(x.shape)
                                 if axes is not None and k not in axes))


def _is(ord, number):
    """Whether ``ord`` (validated: a string or a real scalar) is ``number``."""
    return not isinstance(ord, str) and check.as_real(ord) == number


def _norm_axes(axis, ndim):
    """Normalised axes and whether they ask for a matrix norm."""
    if type(axis) in TENSOR_TYPES:
        axis = check.static_value(axis).tolist()
    if axis is None:
        return None, False
    items = check.axis_list("norm", axis, ndim)
    if len(items) > 2 or not isinstance(axis, (list, tuple, np.ndarray)) and len(items) != 1:
        raise ValueError(f"norm: axis must be None, an int or a pair of distinct ints. "
                         f"{check.received('axis', axis)}")
    matrix = len(items) == 2
    return (tuple(items) if matrix else tuple(sorted(items))), matrix


def _check_ord(ord, matrix, x):
    """``ord`` must be 'euclidean'/'fro' or a real number the norm kind supports."""
    number = None if isinstance(ord, str) else check.as_real(ord)
    if isinstance(ord, str):
        ok = ord == "euclidean" or matrix and ord == "fro"
    elif number is None:
        ok = False
    elif matrix:
        ok = number in (1, 2, np.inf)
    else:
        ok = number > 0
    if not ok:
        kind = ("matrix norms take 'euclidean', 'fro', 1, 2 or np.inf" if matrix else
                "vector norms take 'euclidean' or a number > 0 (1, 2, np.inf, ...)")
        raise ValueError(f"norm: unsupported ord={ord!r} for a tensor of shape "
                         f"{x.shape}: {kind}. {check.received('ord', ord)}")


def _euclidean(x, axes):
    """sqrt(sum(x**2)) with keepdims; the gradient x / norm is 0 where norm is 0."""

    def euclidean(v):
        return np.sqrt(np.sum(v * v, axis=axes, keepdims=True))

    def grad(g, _):
        return (g * x / _ew.where(greater(out, 0), out, 1.0),)
    out = apply("norm", euclidean, (x,), grad)
    return out


def _abs_norm(x, axes, matrix, one):
    """1-norm / inf-norm: vectors reduce |x|; matrices take max column/row sums."""
    magnitude = _ew.abs(x)
    if not matrix:
        reduce = _reduce.reduce_sum if one else _reduce.reduce_max
        return reduce(magnitude, axes, keepdims=True)
    sum_axis, max_axis = (axes[0], axes[1]) if one else (axes[1], axes[0])
    sums = _reduce.reduce_sum(magnitude, sum_axis, keepdims=True)
    return _reduce.reduce_max(sums, max_axis, keepdims=True)


def _spectral_norm(x, axes):
    """Largest singular value over the matrix ``axes``, kept as size-1 axes."""
    if x.size == 0:
        raise ValueError(f"norm: ord=2 needs non-empty matrices, got shape {x.shape}.")
    wide = np.promote_types(x.dtype, np.float32)

    def spectral(v):
        """(largest singular value, u1 v1^T) of each matrix of ``v``, in ``v``'s dtype."""
        m = np.moveaxis(v, axes, (-2, -1)).astype(wide)
        bad = ~np.isfinite(m).all(axis=(-2, -1))          # SVD cannot converge: NaN, as TF
        u, s, vt = np.linalg.svd(np.where(bad[..., None, None], 0, m), full_matrices=False)
        top = np.where(bad, np.nan, s[..., 0])
        outer = np.where(bad[..., None, None], np.nan, u[..., :, :1] * vt[..., :1, :])
        direction = np.moveaxis(outer, (-2, -1), axes).astype(v.dtype)
        return np.expand_dims(top, axes).astype(v.dtype, copy=False), direction

    out, direction = apply_with_aux("norm", spectral, (x,),
                                  lambda g, _: (_spectral_grad(x, g, direction),))
    return out


def _spectral_grad(x, g, direction):
    """g times u1 v1^T (``direction``, saved by the forward); differentiable in g only
    (second derivatives raise)."""

    def grad(h, needs):
        if needs[0]:
            raise NotImplementedError("norm: second derivatives of the matrix 2-norm "
                                      "(ord=2) are not implemented.")
        axes = tuple(k for k, n in enumerate(g.shape) if n == 1 and x.shape[k] != 1)
        return None, _reduce.reduce_sum(h * direction, axes, keepdims=True)
    return apply("norm_grad", np.multiply, (g, direction), grad, inputs=(x, g))
