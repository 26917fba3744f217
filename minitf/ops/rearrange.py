"""Rearranging ops: roll, reverse, repeat and meshgrid (TensorFlow's signatures).

All four move or copy elements without arithmetic, so each gradient moves the
incoming gradient back: roll the other way, reverse again, sum the copies of
``repeat``, sum the broadcast axes of ``meshgrid``.
"""
import numpy as np

from ..kernels import scatter

from . import _validate as check
from ._dispatch import TENSOR_TYPES, apply, wrap_constant
from .reduce import reduce_sum
from .shape import _owned, reshape


# ------------------------------------------------------------------ roll

def roll(input, shift, axis, name=None):
    """Elements shifted by ``shift[i]`` along ``axis[i]``, wrapping around.

    >>> mtf.roll([1, 2, 3, 4], shift=1, axis=0).numpy().tolist()
    [4, 1, 2, 3]
    """
    x = check.tensor("roll", input, "input")
    if x.ndim == 0:
        raise ValueError("roll: input must have rank >= 1, got a scalar (shape ()).")
    axes = _roll_axes(axis, x.ndim)
    s = _roll_shift(shift, len(axes))
    return _rolled(x, s, axes, False, name)


def _roll_axes(axis, ndim):
    """``axis`` (an int or a 1-D list, repeats allowed: their shifts add) in [0, ndim)."""
    items = check._int_items("roll", "axis", axis)
    for a in items:
        if not -ndim <= a < ndim:
            raise ValueError(f"roll: axis {a} is out of range for a tensor of rank {ndim} "
                             f"(valid: [{-ndim}, {ndim})). {check.received('axis', axis)}")
    return tuple(a % ndim for a in items)


def _roll_shift(shift, count):
    """``shift`` as an integer Tensor with one entry per axis (0-d for a single axis)."""
    s = _int_tensor("roll", "shift", shift)
    if s.ndim > 1 or s.size != count:
        raise ValueError(f"roll: shift of shape {s.shape} must hold one entry per axis "
                         f"({count} axes). {check.received('shift', shift)}")
    return s


def _rolled(x, s, axes, back, name=None):
    """``x`` rolled by the values of Tensor ``s`` (negated when ``back``)."""
    def fn(v, k):
        shifts = [int(n) for n in k.reshape(-1).tolist()]
        return np.roll(v, [-n if back else n for n in shifts], axes) if axes else v.copy()

    def grad(g, _):
        return (_rolled(g, s, axes, not back),)
    return apply("roll", fn, (x, s), grad, inputs=(x,), saves=False, label=name)


# --------------------------------------------------------------- reverse

def reverse(tensor, axis, name=None):
    """``tensor`` with the order of its elements reversed along each axis in ``axis``.

    >>> mtf.reverse([[1, 2], [3, 4]], axis=[1]).numpy().tolist()
    [[2, 1], [4, 3]]
    """
    x = check.tensor("reverse", tensor, "tensor")
    if check.as_index(axis) is not None or (type(axis) in TENSOR_TYPES and axis.ndim != 1):
        raise ValueError(f"reverse: axis must be a 1-D list of axes, e.g. [0]. "
                         f"{check.received('axis', axis)}")
    axes = tuple(check.axis_list("reverse", axis, x.ndim))
    return _reversed(x, axes, name)


def _reversed(x, axes, name=None):
    return apply("reverse", _owned(x, lambda v: np.flip(v, axes)), (x,),
                 lambda g, _: (_reversed(g, axes),), saves=False, label=name)


# ---------------------------------------------------------------- repeat

def repeat(input, repeats, axis=None, name=None):
    """Each element (or slice along ``axis``; of the flattened input when None)
    copied ``repeats`` times (one count, or one per element).

    >>> mtf.repeat([[1, 2], [3, 4]], repeats=[1, 2], axis=0).numpy().tolist()
    [[1, 2], [3, 4], [3, 4]]
    """
    x = check.tensor("repeat", input, "input")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    elif x.ndim == 0:
        raise ValueError(f"repeat: input must have rank >= 1 when axis is given, got a "
                         f"scalar. {check.received('axis', axis)}")
    axis = check.axis("repeat", axis, x.ndim)
    r = _int_tensor("repeat", "repeats", repeats)
    return _repeated(x, r, axis, name, dynamic=type(repeats) in TENSOR_TYPES)


def _int_tensor(op, what, value):
    """``value`` as an int32/int64 Tensor (an empty list passes); TypeError otherwise."""
    t = check.tensor(op, value, what)
    if t.dtype.kind != "i":
        if t.size == 0 and type(value) not in TENSOR_TYPES:
            return wrap_constant(np.zeros(t.shape, np.int64))
        raise TypeError(f"{op}: {what} must be int32 or int64, got {t.dtype}. "
                        f"{check.received(what, value)}")
    return t


def _counts(r, n, axis):
    """The repeat count of each of the ``n`` slices along ``axis`` (a 1-D array)."""
    if r.ndim > 1 or r.size not in (1, n):
        raise ValueError(f"repeat: repeats of shape {r.shape} must be a scalar or hold 1 "
                         f"or {n} counts (the size of axis {axis}).")
    if r.size and r.min() < 0:
        raise ValueError(f"repeat: repeats must be >= 0, got {int(r.min())}.")
    return np.broadcast_to(r.reshape(-1), (n,))


def _repeat_fn(axis):
    """The kernel: ``np.repeat`` with the counts checked (their values may change on
    every call of a traced function) and impossible sizes refused."""
    def run(v, r):
        counts = _counts(r, v.shape[axis], axis)
        rest = int(np.prod(v.shape, dtype=object)) // max(v.shape[axis], 1)
        total = sum(int(c) for c in counts) * rest
        if total > check._MAX_ELEMENTS // 8:
            raise ValueError(f"repeat: the result would hold {total} elements, more than "
                             f"fit in memory.")
        try:
            return np.repeat(v, counts, axis)
        except MemoryError:
            raise ValueError(f"repeat: the result of {total} elements does not fit in "
                             f"memory.") from None
    return run


def _repeated(x, r, axis, name=None, dynamic=False):
    """``x`` repeated by the counts of Tensor ``r`` along ``axis``."""
    n = x._value.shape[axis]

    def grad(g, _):
        return (_summed_copies(g, r, axis, n, dynamic),)
    return apply("repeat", _repeat_fn(axis), (x, r), grad, inputs=(x,), saves=False,
                 label=name, value_shaped=dynamic)


def _summed_copies(g, r, axis, n, dynamic):
    """The adjoint of ``repeat``: each run of copies in ``g`` along ``axis`` summed (for
    any length of ``g`` along ``axis``: it follows the counts when they are a Tensor)."""
    def run(h, k):
        counts = _counts(k, n, axis)
        ids = np.repeat(np.arange(n), counts)
        out = scatter.scatter_add_rows(np.moveaxis(h, axis, 0), ids, n)
        return np.moveaxis(out, 0, axis)
    return apply("repeat_grad", run, (g, r),
                 lambda h, _: (_repeated(h, r, axis, dynamic=dynamic),), inputs=(g,),
                 saves=False, any_shape=True)


# -------------------------------------------------------------- meshgrid

def meshgrid(*args, indexing="xy", name=None):
    """Coordinate grids from 1-D ``args``: output i holds ``args[i]`` along its axis
    (``indexing="xy"`` swaps the first two axes, ``"ij"`` keeps them in order).

    >>> [t.numpy().tolist() for t in mtf.meshgrid([1, 2], [5, 6, 7])][1]
    [[5, 5], [6, 6], [7, 7]]
    """
    if not isinstance(indexing, str) or indexing not in ("xy", "ij"):
        raise ValueError(f'meshgrid: indexing must be "xy" or "ij". '
                         f"{check.received('indexing', indexing)}")
    xs = [check.tensor("meshgrid", a, f"args[{i}]") for i, a in enumerate(args)]
    dtypes = {x.dtype for x in xs}
    if len(dtypes) > 1:
        raise TypeError(f"meshgrid: all args must have the same dtype, got "
                        f"{[x.dtype.name for x in xs]}.")
    sizes = [x.size for x in xs]
    if indexing == "xy" and len(xs) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    check.shape("meshgrid", tuple(sizes), "the grid shape")
    return [_grid_axis(x, _grid_position(i, len(xs), indexing), tuple(sizes), name)
            for i, x in enumerate(xs)]


def _grid_position(i, count, indexing):
    """The axis of the grid along which ``args[i]`` varies."""
    if indexing == "xy" and count >= 2 and i < 2:
        return 1 - i
    return i


def _grid_axis(x, position, shape, name):
    """``x`` flattened, laid along axis ``position`` of a grid of ``shape``."""
    in_shape = x._value.shape
    line = tuple(n if j == position else 1 for j, n in enumerate(shape))
    others = tuple(j for j in range(len(shape)) if j != position)

    def grad(g, _):
        return (reshape(reduce_sum(g, axis=others), in_shape),)
    return apply("meshgrid", _owned(x, lambda v: np.broadcast_to(v.reshape(line), shape)),
                 (x,), grad, saves=False, label=name)
