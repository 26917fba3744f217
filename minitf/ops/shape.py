"""Shape ops: reshape, transpose, concat, stack, split, tile, pad, broadcast_to, ...

Many numpy results here are *views* of the input. A Variable's array changes in
place on ``assign``, so results read from a Variable are copied (``_owned``): a
Tensor never changes after it is made.
"""
import numpy as np

from .. import dtypes
from ..indexed_slices import dense
from ..tensor import Variable
from . import _dispatch, _validate as check
from ._batching import batched_key, lifted, reshaped
from ._dispatch import TENSOR_TYPES, apply, value_of, wrap_constant
from ._quiet import quietly


def _owned(x, fn):
    """``fn``, made to copy its result when ``x`` is a Variable: a view of a
    Variable's array would change on ``assign``."""
    if type(x) is not Variable:
        return fn
    return lambda *arrays: fn(*arrays).copy()


# ------------------------------------------------------------ reshaping

def reshape(tensor, shape, name=None):
    """``tensor`` with a new shape of the same size (one entry may be -1)."""
    x = check.tensor("reshape", tensor, "tensor")
    shape = check.shape("reshape", shape, unknown=True)
    try:
        return apply("reshape", _owned(x, lambda v: v.reshape(shape)), (x,),
                     lambda g, _: (reshape(g, x.shape),), saves=False, label=name,
                     batch=reshaped(shape))
    except ValueError as e:
        raise check.op_error(e, ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
            f"shape {shape}.")) from None


def broadcast_to(input, shape, name=None):
    """``input`` broadcast to ``shape`` (numpy rules)."""
    x = check.tensor("broadcast_to", input, "input")
    shape = check.shape("broadcast_to", shape)
    if x.shape == shape and type(x) is not Variable:
        return x
    try:
        return apply("broadcast_to", _owned(x, lambda v: np.broadcast_to(v, shape)), (x,),
                     lambda g, _: (_dispatch.unbroadcast(g, x.shape),), saves=False,
                     label=name,
                     batch=lambda v: np.broadcast_to(lifted(v, len(shape)), v.shape[:1] + shape))
    except ValueError as e:
        raise check.op_error(e, ValueError(f"broadcast_to: cannot broadcast shape {x.shape} "
                                           f"to {shape}.")) from None


def spread(x, shape):
    """``x`` broadcast to ``shape``, which it is known to broadcast to: the path of the
    reduction gradients, without ``broadcast_to``'s argument checks."""
    in_shape = x._value.shape
    if in_shape == shape:
        return x
    return apply("broadcast_to", _owned(x, lambda a: np.broadcast_to(a, shape)), (x,),
                 lambda g, _: (_dispatch.unbroadcast(g, in_shape),), saves=False,
                 batch=lambda v: np.broadcast_to(lifted(v, len(shape)), v.shape[:1] + shape))


def transpose(a, perm=None, conjugate=False, name=None):
    """``a`` with its axes permuted by ``perm`` (reversed when None)."""
    x = check.tensor("transpose", a, "a")
    check.flag("transpose", "conjugate", conjugate)
    if perm is None:
        perm = tuple(reversed(range(x.ndim)))
    else:
        given, perm = perm, tuple(check.shape("transpose", perm, "perm"))
        if sorted(perm) != list(range(x.ndim)):
            raise ValueError(f"transpose: perm {perm} is not a permutation of the axes of a "
                             f"tensor of shape {x.shape}. {check.received('perm', given)}")

    def grad(g, _):
        return (transpose(g, tuple(perm.index(i) for i in range(len(perm)))),)
    return apply("transpose", _owned(x, lambda v: v.transpose(perm)), (x,), grad,
                 saves=False, label=name,
                 batch=lambda v: v.transpose((0,) + tuple(p + 1 for p in perm)))


def expand_dims(input, axis, name=None):
    """``input`` with a new axis of size 1 inserted at ``axis``."""
    x = check.tensor("expand_dims", input, "input")
    a = check.axis("expand_dims", axis, x.ndim + 1, rank=x.ndim)
    return apply("expand_dims", _owned(x, lambda v: np.expand_dims(v, a)), (x,),
                 lambda g, _: (reshape(g, x.shape),), saves=False, label=name,
                 batch=lambda v: np.expand_dims(v, a + 1))


def squeeze(input, axis=None, name=None):
    """``input`` without its size-1 axes (only those in ``axis`` when given)."""
    x = check.tensor("squeeze", input, "input")
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = check.axes("squeeze", axis, x.ndim)
        for i in axes:
            if x.shape[i] != 1:
                raise ValueError(f"squeeze: cannot squeeze axis {i} of size {x.shape[i]} "
                                 f"in a tensor of shape {x.shape}.")
    return apply("squeeze", _owned(x, lambda v: v.squeeze(axes)), (x,),
                 lambda g, _: (reshape(g, x.shape),), saves=False, label=name,
                 batch=lambda v: v.squeeze(tuple(i + 1 for i in axes)))


# ------------------------------------------------- joining and splitting

def concat(values, axis, name=None):
    """The tensors in ``values`` joined along an existing ``axis``."""
    single = type(values) in TENSOR_TYPES or isinstance(values, np.ndarray)
    xs = _tensor_list("concat", [values] if single else check.tensor_list("concat", values))
    if xs[0].ndim == 0:
        raise ValueError("concat: cannot concatenate scalars (rank 0 tensors); "
                         "use mtf.stack.")
    a = check.axis("concat", axis, xs[0].ndim)
    sizes = [x.shape[a] for x in xs]
    try:
        return apply("concat", lambda *arrays: np.concatenate(arrays, axis=a), tuple(xs),
                     lambda g, needs: _pieces(g, a, sizes, needs), saves=False, label=name,
                     batch=lambda *arrays: np.concatenate(arrays, axis=a + 1))
    except ValueError as e:
        raise check.op_error(e, ValueError(f"concat: shapes {[x.shape for x in xs]} must "
                                           f"match on every axis except axis {a}.")) from None


def stack(values, axis=0, name=None):
    """The same-shaped tensors in ``values`` joined along a new ``axis``."""
    xs = _tensor_list("stack", check.tensor_list("stack", values))
    a = check.axis("stack", axis, xs[0].ndim + 1, rank=xs[0].ndim)
    shapes = [x.shape for x in xs]
    if shapes.count(shapes[0]) != len(shapes):
        raise ValueError(f"stack: all tensors must have the same shape. Received shapes "
                         f"{shapes}.")
    lead = (slice(None),) * a

    def grad(g, needs):
        return tuple(_strided("unstack", g, lead + (i,)) if need else None
                     for i, need in enumerate(needs))
    return apply("stack", lambda *arrays: np.stack(arrays, axis=a), tuple(xs), grad,
                 saves=False, label=name, batch=lambda *arrays: np.stack(arrays, axis=a + 1))


def unstack(value, num=None, axis=0, name=None):
    """The list of slices of ``value`` along ``axis`` (that axis removed)."""
    x = check.tensor("unstack", value, "value")
    if x.ndim == 0:
        raise ValueError("unstack: cannot unstack a scalar (rank 0) tensor.")
    a = check.axis("unstack", axis, x.ndim)
    if num is not None and check.integer("unstack", "num", num, low=0) != x.shape[a]:
        raise ValueError(f"unstack: num={num} does not match axis {a} of size "
                         f"{x.shape[a]} in a tensor of shape {x.shape}.")
    lead = (slice(None),) * a
    return [_strided("unstack", x, lead + (i,), label=name) for i in range(x.shape[a])]


def split(value, num_or_size_splits, axis=0, num=None, name=None):
    """``value`` cut along ``axis`` into equal pieces or pieces of given sizes."""
    x = check.tensor("split", value, "value")
    if num is not None:
        check.integer("split", "num", num, low=0)
    if x.ndim == 0:
        raise ValueError("split: cannot split a scalar (rank 0) tensor.")
    a = check.axis("split", axis, x.ndim)
    sizes = _split_sizes(num_or_size_splits, a, x.shape)
    return list(_pieces(x, a, sizes, (True,) * len(sizes), label=name))


def _pieces(x, axis, sizes, needs, label=None):
    """Consecutive slices of ``sizes`` along ``axis`` (None where not needed)."""
    lead, start, out = (slice(None),) * axis, 0, []
    for n, need in zip(sizes, needs):
        out.append(_strided("split", x, lead + (slice(start, start + n),), label=label)
                   if need else None)
        start += n
    return tuple(out)


def _split_sizes(spec, axis, shape):
    """Piece sizes for ``split``: n equal pieces, or a list with at most one -1."""
    dim = shape[axis]
    if not isinstance(spec, (list, tuple)) and np.ndim(value_of(spec)) == 0:
        n = check.integer("split", "num_or_size_splits", spec)
        if n <= 0 or dim % n:
            raise ValueError(f"split: axis {axis} of size {dim} (shape {shape}) cannot be "
                             f"split into {n} equal pieces. "
                             f"{check.received('num_or_size_splits', spec)}")
        return [dim // n] * n
    sizes = list(check.shape("split", spec, "num_or_size_splits", unknown=True))
    if not sizes:
        raise ValueError(f"split: size_splits must not be empty. "
                         f"{check.received('num_or_size_splits', spec)}")
    if sizes.count(-1) > 1 or any(n < -1 for n in sizes):
        raise ValueError(f"split: size_splits {sizes} may hold at most one -1 and "
                         f"otherwise non-negative sizes.")
    if -1 in sizes:
        sizes[sizes.index(-1)] = dim - sum(sizes) - 1
    if sum(sizes) != dim or min(sizes, default=0) < 0:
        raise ValueError(f"split: size_splits {list(value_of(spec))} do not add up to "
                         f"{dim}, the size of axis {axis} of a tensor of shape {shape}.")
    return sizes


def tile(input, multiples, name=None):
    """``input`` repeated ``multiples[i]`` times along each axis i."""
    x = check.tensor("tile", input, "input")
    reps = check.shape("tile", multiples, "multiples")
    if len(reps) != x.ndim:
        raise ValueError(f"tile: multiples {reps} must hold one non-negative count per "
                         f"axis of the input of shape {x.shape}.")
    check.shape("tile", tuple(m * n for m, n in zip(reps, x.shape)), "multiples")
    folded = tuple(n for pair in zip(reps, x.shape) for n in pair)
    rep_axes = tuple(range(0, 2 * x.ndim, 2))

    def grad(g, _):
        return (_reduce.reduce_sum(reshape(g, folded), axis=rep_axes),)
    return apply("tile", lambda v: np.tile(v, reps), (x,), grad, saves=False, label=name,
                 batch=lambda v: np.tile(v, (1,) + tuple(reps)))


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """``tensor`` padded by ``paddings[i] = [before, after]`` along each axis i.

    Modes as TensorFlow: CONSTANT fills with ``constant_values``, REFLECT mirrors
    without the edge (pads < size), SYMMETRIC mirrors with it (pads <= size).
    """
    x = check.tensor("pad", tensor, "tensor")
    kind = mode.upper() if isinstance(mode, str) else None
    if kind not in ("CONSTANT", "REFLECT", "SYMMETRIC"):
        raise ValueError(f'pad: mode must be "CONSTANT", "REFLECT" or "SYMMETRIC". '
                         f"Received: mode={mode!r}")
    pads = _paddings(x, paddings, kind)
    if kind == "CONSTANT":
        return _pad_constant(x, pads, check.pair("pad", x, constant_values)[1], name)
    shape, mode = x._value.shape, kind.lower()

    def grad(g, _):
        source = np.pad(np.arange(x.size).reshape(shape), pads, mode=mode)
        return (_indexing._scatter_flat(g, wrap_constant(source), shape),)
    return apply("pad", lambda v: np.pad(v, pads, mode=mode), (x,), grad, saves=False,
                 label=name, batch=lambda v: np.pad(v, [(0, 0)] + pads, mode=mode))


def _pad_constant(x, pads, fill, name):
    """``pad`` in CONSTANT mode; ``fill`` is a Python scalar or a Tensor (read when the
    op runs)."""
    if np.ndim(value_of(fill)) != 0:
        raise ValueError(f"pad: constant_values must be a scalar. Received shape "
                         f"{np.shape(value_of(fill))}.")
    key = tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, x.shape))

    def grad(g, _):
        return (_strided("pad_grad", g, key),)
    if type(fill) in TENSOR_TYPES:
        return apply("pad", lambda v, f: quietly(_padded, v, pads, f), (x, fill), grad,
                     inputs=(x,), saves=False, label=name)
    return apply("pad", lambda v: quietly(_padded, v, pads, fill), (x,), grad, saves=False,
                 label=name, batch=lambda v: quietly(_padded, v, [(0, 0)] + pads, fill))


def _padded(value, pads, fill):
    """np.pad with a constant; a Python int fill beyond the dtype raises ValueError."""
    try:
        return np.pad(value, pads, constant_values=fill)
    except OverflowError:
        raise ValueError(f"pad: constant_values {fill} does not fit the dtype "
                         f"{value.dtype}. Received: constant_values={fill!r}") from None


def _paddings(x, paddings, kind):
    """``paddings`` as a validated list of (before, after) pairs."""
    p = check.static_value(paddings) if type(paddings) in TENSOR_TYPES else paddings
    try:
        p = np.asarray(p)
    except ValueError:   # ragged nested lists
        p = np.zeros((0, 3), np.int64)
    if p.size == 0 and x.ndim == 0 and p.dtype.kind in "iuf":
        return []
    if p.dtype.kind not in "iu":
        raise TypeError(f"pad: paddings must be ints, a [{x.ndim}, 2] array of them. "
                        f"{check.received('paddings', paddings)}")
    if (p.shape != (x.ndim, 2) or p.dtype.kind not in "iu" or (p < 0).any()
            or (p > 2**62).any()):
        raise ValueError(f"pad: paddings must be a [{x.ndim}, 2] array of non-negative "
                         f"ints for a tensor of shape {x.shape}. Received: "
                         f"paddings={p.tolist()!r}")
    slack = {"REFLECT": 1, "SYMMETRIC": 0}.get(kind)
    if slack is not None and (p > np.array(x.shape)[:, None] - slack).any():
        raise ValueError(f"pad: {kind} paddings {p.tolist()} must be "
                         f"{'<' if slack else '<='} the axis sizes {x.shape}.")
    pads = [(int(lo), int(hi)) for lo, hi in p]
    check.shape("pad", tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pads)), "paddings")
    return pads


# ------------------------------------------------------ basic slicing

def _strided(op, x, key, dynamic=(), label=None):
    """``x[key]`` for a basic key (ints, slices, None, Ellipsis) as op ``op``.

    ``dynamic`` holds 0-d integer Tensors read when the op runs, one for each
    ``DYNAMIC`` entry of ``key``. The gradient writes into zeros of ``x``'s shape
    (basic keys never repeat).
    """
    if dynamic:
        return apply(op, _owned(x, _dynamic_indexer(key, dynamic)), (x,) + dynamic,
                     lambda g, _: (_unstrided(g, key, x.shape, dynamic),), inputs=(x,),
                     saves=False, label=label)
    return apply(op, _owned(x, lambda v: v[key]), (x,),
                 lambda g, _: (_unstrided(g, key, x.shape),), saves=False, label=label,
                 batch=lambda v: v[batched_key(key)])


def _unstrided(g, key, shape, dynamic=()):
    """Zeros of ``shape`` with ``g`` written at ``[key]``: basic indexing's backward."""
    if dynamic:
        fill = key_filler(key, dynamic)

        def place(v, *arrays):
            return _placed(fill(arrays), shape, v)
    else:
        def place(v):
            return _placed(key, shape, v)
    return apply("getitem_grad", place, (g,) + dynamic,
                 lambda h, _: (_strided("getitem", h, key, dynamic),),
                 inputs=(g,) if dynamic else None, saves=False,
                 batch=None if dynamic else lambda v: _placed(batched_key(key),
                                                             v.shape[:1] + shape, v))


def _placed(key, shape, v):
    out = np.zeros(shape, v.dtype)
    out[key] = v
    return out


DYNAMIC = object()   # a key entry standing for an index Tensor, read when the op runs


def key_filler(key, dynamic):
    """A function of the arrays of ``dynamic`` (Tensors) that returns ``key`` (a tuple)
    with its ``DYNAMIC`` entries replaced by them, in order; 0-d integers become ints."""
    where = [i for i, k in enumerate(key) if k is DYNAMIC]
    scalar = [t._value.ndim == 0 and t._value.dtype.kind in "iu" for t in dynamic]

    def fill(arrays):
        full = list(key)
        for i, array, is_int in zip(where, arrays, scalar):
            full[i] = int(array) if is_int else array
        return tuple(full)
    return fill


def _dynamic_indexer(key, dynamic):
    """``fn(array, *index arrays)``: ``array[key]`` with ``dynamic`` filled in; errors
    name the key and shape (indices out of range are found when the op runs)."""
    fill = key_filler(key, dynamic)
    return lambda v, *arrays: index_value(fill(arrays), v)


def index_value(key, v, shown=None):
    """``v[key]``; an invalid key raises IndexError naming ``v``'s shape and ``shown``
    (the key as the user gave it), else ``key``."""
    try:
        return v[key]
    except (IndexError, TypeError, ValueError, OverflowError) as e:
        shown = key if shown is None else shown
        raise IndexError(f"getitem: invalid key {shown!r} for a tensor of shape {v.shape} "
                         f"({e}).") from None


# ------------------------------------------- shape queries (no gradient)

_INDEX_DTYPES = (dtypes.int32, dtypes.int64)


def shape(input, out_type=dtypes.int32, name=None):
    """The shape of ``input`` as a 1-D int32 (or int64) tensor."""
    out_type = check.dtype("shape", out_type, "out_type", _INDEX_DTYPES)
    dims = check.tensor("shape", input, "input").shape
    return wrap_constant(_index_array("shape", dims, out_type))


def size(input, out_type=dtypes.int32, name=None):
    """The number of elements of ``input`` as an int32 (or int64) scalar tensor."""
    out_type = check.dtype("size", out_type, "out_type", _INDEX_DTYPES)
    count = check.tensor("size", input, "input").size
    return wrap_constant(_index_array("size", count, out_type))


def rank(input, name=None):
    """The number of axes of ``input`` as an int32 scalar tensor."""
    return wrap_constant(np.array(check.tensor("rank", input, "input").ndim, dtypes.int32))


def _index_array(op, value, dtype):
    """``value`` (sizes) as an array of ``dtype``; sizes past int32 need int64 (TF)."""
    if max(np.ravel(value), default=0) > np.iinfo(dtype).max:
        raise ValueError(f"{op}: a size in {value} does not fit {dtype}; ask for "
                         f"out_type=mtf.int64. Received: out_type={dtype}")
    return np.array(value, dtype)


# ------------------------------------------------------------ helpers

def _tensor_list(op, values):
    """``values`` as Tensors of one dtype, by the rules of ``operands``.

    Python scalars and lists take the dtype of the first Tensor or array; two
    tensors of different dtypes raise ``TypeError``; IndexedSlices are densified.
    """
    if not values:
        raise ValueError(f"{op}: expected a non-empty list of tensors. Received: values=[]")
    values = [dense(v) for v in values]
    ref = next((v for v in values if type(v) in TENSOR_TYPES or isinstance(v, np.ndarray)),
               values[0])
    ref = check.tensor(op, ref, "values")
    out = []
    for v in values:
        v = check.pair(op, ref, v)[1]
        out.append(v if type(v) in TENSOR_TYPES else _dispatch.as_tensor(v, ref.dtype))
    return out


def _shape_tuple(shape, op="shape", what="shape"):
    """A shape (int, sequence, 1-D integer array or Tensor) as a tuple of ints >= 0."""
    return check.shape(op, shape, what)


from . import indexing as _indexing, reduce as _reduce  # noqa: E402
