"""Reductions over axes: sum, mean, max, min, prod, logsumexp, variance, std, argmax.

Every reduction takes ``axis`` (None, int, or tuple; negative counts from the
end) and ``keepdims``. Gradient rules reshape the upstream gradient so that it
broadcasts back against the input (``_expand_reduced``).
"""
import math

import numpy as np

from .. import dtypes
from . import _validate as check
from ._batching import shifted
from ._dispatch import apply, wrap_constant
from ._quiet import quiet, quietly
from . import elementwise as _ew  # a module: elementwise imports _dispatch, which imports us
from .shape import reshape, spread


def _expand_reduced(g, axes, keepdims, in_shape):
    """Reshape a reduced gradient so it broadcasts back against the input."""
    if keepdims or axes is None:      # a full reduction's 0-d gradient broadcasts as it is
        return g
    shape = tuple(1 if i in axes else n for i, n in enumerate(in_shape))
    return reshape(g, shape)


def _kept_shape(in_shape, axes):
    """``in_shape`` with the reduced axes set to 1 (the keepdims shape)."""
    if axes is None:
        return (1,) * len(in_shape)
    return tuple(1 if i in axes else n for i, n in enumerate(in_shape))


def _count(in_shape, axes):
    """Number of input elements that fall into one output element."""
    if axes is None:
        return math.prod(in_shape)
    return math.prod([in_shape[i] for i in axes])


def _sum_dtype(v):
    """Accumulate integers in their own dtype (TensorFlow), not numpy's int64."""
    return None if v.dtype.kind == "b" else v.dtype


# ---------------------------------------------------------------- sum, mean

def _arguments(op, input_tensor, axis, keepdims, floating=False):
    """(x, axes, keepdims) of a reduction, validated; ``floating`` asks for floats."""
    x = (check.float_tensor if floating else check.tensor)(op, input_tensor, "input_tensor")
    if keepdims is not False and keepdims is not True:
        keepdims = check.flag(op, "keepdims", keepdims)
    return x, check.axes(op, axis, x._value.ndim), keepdims


@quiet
def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum over ``axis`` (all axes when None)."""
    x, axes, keepdims = _arguments("reduce_sum", input_tensor, axis, keepdims)
    dtype = _sum_dtype(x._value)

    def grad(g, _):
        return (spread(_expand_reduced(g, axes, keepdims, x.shape), x.shape),)
    return apply("reduce_sum", lambda v: np.add.reduce(v, axes, dtype, None, keepdims), (x,),
                 grad, saves=False, label=name,
                 batch=_reducing(np.add.reduce, axes, x.ndim, keepdims, dtype))


@quiet
def sum_to(g, shape):
    """``g`` summed over the axes that broadcasting ``shape`` to ``g.shape`` added or
    stretched, with ``shape`` (the gradient of a broadcasting op's input)."""
    v = g._value
    lead = v.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and v.shape[lead + i] != 1)
    dtype, in_shape = _sum_dtype(v), v.shape
    return apply("reduce_sum", lambda a: np.add.reduce(a, axes, dtype).reshape(shape), (g,),
                 lambda h, _: (spread(h, in_shape),), saves=False,
                 batch=lambda a: np.add.reduce(a, shifted(axes, len(in_shape)), dtype).reshape(
                     a.shape[:1] + shape))


@quiet
def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over ``axis``; integers give an integer mean truncated toward 0 (TF)."""
    x, axes, keepdims = _arguments("reduce_mean", input_tensor, axis, keepdims)
    v = x._value
    if v.dtype.kind == "b":
        raise TypeError(f"reduce_mean: bool input of shape {x.shape} is not supported; "
                        f"cast it with mtf.cast(x, mtf.float32) first.")
    n = _count(v.shape, axes)
    if v.dtype.kind in "iu":
        def int_mean_of(a, over):
            total = np.add.reduce(a, over, a.dtype, None, keepdims)
            return (np.abs(total) // max(n, 1) * np.sign(total)).astype(a.dtype)

        def int_mean(a):
            total = np.add.reduce(a, axes, a.dtype, None, keepdims)
            return (np.abs(total) // max(n, 1) * np.sign(total)).astype(a.dtype)
        return apply("reduce_mean", int_mean, (x,), label=name,
                     batch=lambda a: int_mean_of(a, shifted(axes, v.ndim)))

    def grad(g, _):
        return (spread(_expand_reduced(g, axes, keepdims, x.shape) * (1.0 / n), x.shape),)
    # an empty mean is 0 / 0 = NaN, as in TF
    return apply("reduce_mean", lambda a: np.add.reduce(a, axes, a.dtype, None, keepdims) / n,
                 (x,), grad, saves=False, label=name,
                 batch=lambda a: _reducing(np.add.reduce, axes, v.ndim, keepdims, a.dtype)(a) / n)


# ---------------------------------------------------------------- max, min

@quiet
def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    """Maximum over ``axis``; tied maxima share the gradient equally (TF)."""
    return _extremum("reduce_max", np.maximum.reduce, -np.inf, input_tensor, axis, keepdims,
                     name)


@quiet
def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    """Minimum over ``axis``; tied minima share the gradient equally (TF)."""
    return _extremum("reduce_min", np.minimum.reduce, np.inf, input_tensor, axis, keepdims,
                     name)


def _extremum(op, fn, identity, input_tensor, axis, keepdims, name):
    """reduce_max / reduce_min; an empty reduction gives the identity (-inf / inf).

    NaN propagates; where a group's extremum is NaN, every element of the group
    gets a NaN gradient (0 / 0 shares, as TensorFlow's rule gives)."""
    x, axes, keepdims = _arguments(op, input_tensor, axis, keepdims)
    v = x._value
    initial = _identity_of(v.dtype, identity)

    def extremum(a, over=axes):
        if v.size:
            return fn(a, over, None, None, keepdims)
        return fn(a, over, None, None, keepdims, initial)

    def grad(g, _):
        kept_shape = _kept_shape(x.shape, axes)

        def share(a, value, over=axes):
            picked = (a == np.reshape(value, a.shape[:a.ndim - len(kept_shape)] + kept_shape)
                      ).astype(a.dtype)
            return quietly(np.divide, picked, np.sum(picked, axis=over, keepdims=True))
        shares = apply(op + "_share", share, (x, out),
                       batch=lambda a, value: share(a, value, shifted(axes, x.ndim)))
        return (_expand_reduced(g, axes, keepdims, x.shape) * shares,)
    out = apply(op, extremum, (x,), grad, label=name,
                batch=lambda a: extremum(a, shifted(axes, x.ndim)))
    return out


def _identity_of(dtype, identity):
    """The value an empty max/min reduction returns for ``dtype``."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return info.min if identity < 0 else info.max
    if dtype.kind == "b":
        return identity > 0
    return identity


# ---------------------------------------------------------------- prod

@quiet
def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    """Product over ``axis``; its derivatives of every order are exact with zeros."""
    x, axes, keepdims = _arguments("reduce_prod", input_tensor, axis, keepdims)
    dtype = _sum_dtype(x._value)

    def grad(g, _):
        return (_prod_grad(x, out, _expand_reduced(g, axes, keepdims, x.shape), axes,
                           keepdims),)
    out = apply("reduce_prod",
                lambda v: np.multiply.reduce(v, axis=axes, dtype=dtype, keepdims=keepdims),
                (x,), grad, label=name,
                batch=_reducing(np.multiply.reduce, axes, x.ndim, keepdims, dtype))
    return out


def _prod_grad(x, out, g, axes, keepdims):
    """g times the product of the other elements of each reduced group.

    That is ``out / x`` while every product is finite and non-zero. Otherwise
    (zeros, underflow, inf) the products of the others are built from
    multiplications only (``_others_product``), so the gradient and every
    derivative of it are exact however many zeros a group holds. The choice is
    an ``mtf.cond``: a trace makes it on every call.
    """
    from .._function.control_flow import cond
    return cond(apply("reduce_prod_divisible", _finite_nonzero, (out,), batch=_each_finite_nonzero),
                lambda: g * _expand_reduced(out, axes, keepdims, x.shape) / x,
                lambda: g * _others_product(x, axes))


def _each_finite_nonzero(v):
    """``_finite_nonzero`` of each example of a batch (the batch axis first)."""
    rows = v.reshape(v.shape[0], -1)
    return np.isfinite(rows).all(axis=1) & np.all(rows != 0, axis=1)


def _reducing(reduce, axes, ndim, keepdims, dtype=None):
    """The batching rule of ``reduce(v, axes, dtype, None, keepdims)``."""
    return lambda a: reduce(a, shifted(axes, ndim), dtype, None, keepdims)


def _finite_nonzero(v):
    """Whether every element of ``v`` is finite and non-zero (a bool array)."""
    return np.asarray(np.isfinite(v).all() and np.all(v))


def _others_product(x, axes):
    """For each element, the product of the other elements of its reduced group."""
    from .shape import transpose
    axes = tuple(range(x.ndim)) if axes is None else axes
    perm = [i for i in range(x.ndim) if i not in axes] + list(axes)
    moved = transpose(x, perm)
    groups = math.prod(moved.shape[:x.ndim - len(axes)])
    flat = reshape(moved, (groups, _count(x.shape, axes)))
    others = reshape(_exclusive_products(flat), moved.shape)
    return transpose(others, np.argsort(perm).tolist())


def _exclusive_products(a):
    """Row-wise products of all entries but one of a 2-D tensor, by a product tree.

    The rows are padded with ones to a power-of-two width; a pass up multiplies
    pairs, a pass down gives each child its parent's value times its sibling.
    """
    from .shape import concat, stack
    rows, n = a.shape
    width = 1 << max(n - 1, 0).bit_length()
    if width > n:
        a = concat([a, wrap_constant(np.ones((rows, width - n), a.dtype))], axis=1)
    levels = [a]
    while levels[-1].shape[1] > 1:
        pairs = reshape(levels[-1], (rows, levels[-1].shape[1] // 2, 2))
        levels.append(pairs[:, :, 0] * pairs[:, :, 1])
    down = wrap_constant(np.ones((rows, 1), a.dtype))
    for level in reversed(levels[:-1]):
        pairs = reshape(level, (rows, level.shape[1] // 2, 2))
        down = reshape(stack([down * pairs[:, :, 1], down * pairs[:, :, 0]], axis=2),
                       level.shape)
    return down[:, :n]


# ------------------------------------------------- logsumexp, variance, std

@quiet
def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) over ``axis``, shifted by the maximum so it cannot overflow."""
    x, axes, keepdims = _arguments("reduce_logsumexp", input_tensor, axis, keepdims, True)

    def logsumexp(v, axes=axes):
        shift = np.max(v, axis=axes, keepdims=True, initial=-np.inf)
        shift = np.where(np.isfinite(shift), shift, 0).astype(v.dtype, copy=False)
        value = np.log(np.sum(np.exp(v - shift), axis=axes, keepdims=True)) + shift
        if not keepdims:
            value = value.reshape(()) if axes is None else np.squeeze(value, axis=axes)
        return value

    def grad(g, _):
        lse = _expand_reduced(out, axes, keepdims, x.shape)
        return (_expand_reduced(g, axes, keepdims, x.shape) * _ew.exp(x - lse),)
    out = apply("reduce_logsumexp", logsumexp, (x,), grad, label=name,
                batch=lambda v: logsumexp(v, shifted(axes, x.ndim)))
    return out


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Population variance (divides by n) over ``axis``; floating inputs only."""
    x, axes, keepdims = _arguments("reduce_variance", input_tensor, axis, keepdims, True)
    mean = reduce_mean(x, axes, keepdims=True)
    return reduce_mean(_ew.square(x - mean), axes, keepdims, name=name)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Population standard deviation over ``axis`` (gradient NaN where it is 0, as TF)."""
    x, axes, keepdims = _arguments("reduce_std", input_tensor, axis, keepdims, True)
    return _ew.sqrt(reduce_variance(x, axes, keepdims), name=name)


# ------------------------------------------------- argmax, argmin: no gradient

_INDEX_DTYPES = (dtypes.int32, dtypes.int64)


def argmax(input, axis=None, output_type=dtypes.int64, name=None):
    """Index of the largest value along ``axis`` (0 when None, as TF); first on ties."""
    return _arg("argmax", np.argmax, input, axis, output_type, name)


def argmin(input, axis=None, output_type=dtypes.int64, name=None):
    """Index of the smallest value along ``axis`` (0 when None, as TF); first on ties."""
    return _arg("argmin", np.argmin, input, axis, output_type, name)


def _arg(op, fn, input, axis, output_type, name):
    """argmax / argmin: NaN counts as the extremum (numpy: the first NaN wins)."""
    x = check.tensor(op, input, "input")
    out_dtype = check.dtype(op, output_type, "output_type", _INDEX_DTYPES)
    if x.ndim == 0:
        raise ValueError(f"{op}: input must have rank >= 1, got a scalar (shape ()).")
    axis = check.axis(op, 0 if axis is None else axis, x.ndim)
    if x.shape[axis] == 0:
        raise ValueError(f"{op}: cannot take {op} over axis {axis} of size 0 "
                         f"(input shape {x.shape}).")
    return apply(op, lambda v: fn(v, axis=axis).astype(out_dtype), (x,), label=name,
                 batch=lambda v: fn(v, axis=axis + 1).astype(out_dtype))


# ------------------------------------------------- all, any: bool, no gradient

def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical and over ``axis`` of a bool tensor (True when empty).

    >>> mtf.reduce_all([[True, False], [True, True]], axis=1).numpy().tolist()
    [False, True]
    """
    return _logical("reduce_all", np.logical_and.reduce, input_tensor, axis, keepdims, name)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical or over ``axis`` of a bool tensor (False when empty).

    >>> mtf.reduce_any([[True, False], [False, False]], axis=1).numpy().tolist()
    [True, False]
    """
    return _logical("reduce_any", np.logical_or.reduce, input_tensor, axis, keepdims, name)


def _logical(op, fn, input_tensor, axis, keepdims, name):
    """reduce_all / reduce_any: bool inputs only (TypeError otherwise, as TF)."""
    x, axes, keepdims = _arguments(op, input_tensor, axis, keepdims)
    if x.dtype.kind != "b":
        raise TypeError(f"{op}: expected a bool tensor, got {x.dtype} of shape {x.shape}; "
                        f"compare it first (e.g. mtf.not_equal(x, 0)).")
    return apply(op, lambda v: fn(v, axes, None, None, keepdims), (x,), label=name,
                 batch=_reducing(fn, axes, x.ndim, keepdims))
