"""Linear algebra: matmul, einsum, tensordot (norm is in norm.py).

``einsum`` is the primitive behind ``tensordot`` and behind its own gradients:
the gradient of an operand is another einsum of the upstream gradient with the
other operands, so every order of derivative comes for free.
"""
import functools
import math
import string

import numpy as np

from . import _validate as check, reduce as _reduce
from ._batching import aligned, flagged
from ._dispatch import TENSOR_TYPES, apply, unbroadcast
from ._quiet import enter as _quiet_enter, leave as _quiet_leave
from .shape import broadcast_to, reshape


# ---------------------------------------------------------------- matmul

def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Product of the last two axes of ``a`` and ``b``; leading axes broadcast.

    ``adjoint_*`` equals ``transpose_*`` for real dtypes; the ``*_is_sparse``
    hints are accepted and ignored. Only the gradients ``needs`` asks for are
    computed (the hot path of every dense layer).
    """
    if not (transpose_a is False and transpose_b is False and adjoint_a is False
            and adjoint_b is False):       # the common call needs no flag checks
        _check_matmul_flags(transpose_a, transpose_b, adjoint_a, adjoint_b, a_is_sparse,
                            b_is_sparse)
    if transpose_a and adjoint_a or transpose_b and adjoint_b:
        raise ValueError("matmul: transpose_a and adjoint_a (or transpose_b and "
                         "adjoint_b) cannot both be True.")
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)  # numpy bools
    a, b = check.pair("matmul", a, b)
    if (type(a) not in TENSOR_TYPES or type(b) not in TENSOR_TYPES
            or a._value.ndim < 2 or b._value.ndim < 2 or a._value.dtype.kind == "b"):
        _check_matmul_inputs(a, b)
    av = a._value
    if output_type is not None and check.dtype("matmul", output_type, "output_type") != av.dtype:
        raise TypeError(f"matmul: output_type must be None or the input dtype "
                        f"{av.dtype}. Received: output_type={output_type!r}")
    return _product(a, b, ta, tb, name)


def _product(a, b, ta, tb, label=None):
    """``a @ b`` (either transposed) of two Tensors of one float or int dtype and rank
    >= 2, checked by the caller: the path of the gradient rules, with no argument
    checks. A rank > 2 ``a`` times a matrix is one 2-D product."""
    if b._value.ndim == 2 and a._value.ndim > 2 and not ta:
        return _matmul_rows(a, b, tb, label)

    def grad(g, needs):
        ga = gb = None
        if needs[0]:
            ga = _product(b, g, tb, True) if ta else _product(g, b, False, not tb)
            ga = unbroadcast(ga, a.shape)
        if needs[1]:
            gb = _product(g, a, True, ta) if tb else _product(a, g, not ta, False)
            gb = unbroadcast(gb, b.shape)
        return ga, gb
    token = _quiet_enter()
    try:
        return apply("matmul", _MATMUL[ta][tb], (a, b), grad, label=label, batch=_BATCHED[ta][tb])
    except ValueError as e:
        raise check.op_error(e, ValueError(_matmul_mismatch(a.shape, b.shape, ta, tb))) from None
    finally:
        _quiet_leave(token)


def _swapped(x):
    return x.swapaxes(-1, -2)


# np.matmul of a and b, each with its last two axes swapped or not: [ta][tb]
_MATMUL = ((np.matmul, lambda a, b: np.matmul(a, _swapped(b))),
           (lambda a, b: np.matmul(_swapped(a), b),
            lambda a, b: np.matmul(_swapped(a), _swapped(b))))


def _batched_product(ta, tb):
    """The batching rule of ``_MATMUL[ta][tb]``: an unbatched matrix ``b`` times the
    rows of a whole batch of ``a`` is one 2-D product."""
    fn = _MATMUL[ta][tb]

    def rule(batched, av, bv):
        if batched == (True, False) and not ta and bv.ndim == 2:
            return _rows_rule(av.shape[-1], tb, av.shape[1:-1] + (bv.shape[0 if tb else 1],))(
                batched, av, bv)
        av, bv = aligned((av, bv), batched)
        if batched == (True, True) and av.shape[-2 if ta else -1] == 1:
            return _outer(av, bv, ta, tb)     # matmul is slow on a stack of outer products
        return fn(av, bv)
    return flagged(rule)


def _outer(av, bv, ta, tb):
    """``_MATMUL[ta][tb](av, bv)`` with einsum (fast for a contracted axis of size 1)."""
    a = "...ki" if ta else "...ik"
    b = "...jk" if tb else "...kj"
    return np.einsum(f"{a},{b}->...ij", av, bv)


def _rows_rule(k, tb, out_shape):
    """The batching rule of ``a @ b`` for ``a`` of rank >= 2 and a matrix ``b`` (the
    per-example ``out_shape``)."""
    def rule(batched, av, bv):
        if not batched[1]:
            return np.matmul(av.reshape(-1, k), bv.T if tb else bv).reshape(
                av.shape[:1] + out_shape)
        av = av if batched[0] else np.broadcast_to(av, bv.shape[:1] + av.shape)
        product = np.matmul(av.reshape(len(bv), -1, k), _swapped(bv) if tb else bv)
        return product.reshape(bv.shape[:1] + out_shape)
    return flagged(rule)


_BATCHED = ((_batched_product(False, False), _batched_product(False, True)),
            (_batched_product(True, False), _batched_product(True, True)))


def _matmul_rows(a, b, tb, label=None):
    """``a @ b`` for ``a`` of rank > 2 and a matrix ``b``: the rows of all of ``a``'s
    matrices times ``b`` as one 2-D product (one GEMM instead of one per batch entry,
    and ``b``'s gradient without a batch of products to sum)."""
    a_shape, b_shape = a._value.shape, b._value.shape
    k, n = a_shape[-1], b_shape[1 if tb else 0]
    if k != n:
        raise ValueError(_matmul_mismatch(a_shape, b_shape, False, tb))
    rows = math.prod(a_shape[:-1])
    out_shape = a_shape[:-1] + (b_shape[0 if tb else 1],)

    def product(av, bv):
        return np.matmul(av.reshape(rows, k), bv.T if tb else bv).reshape(out_shape)

    def grad(g, needs):
        ga = _product(g, b, False, not tb) if needs[0] else None
        gb = None
        if needs[1]:
            g2, a2 = reshape(g, (rows, g.shape[-1])), reshape(a, (rows, k))
            gb = _product(g2, a2, True, False) if tb else _product(a2, g2, True, False)
        return ga, gb
    token = _quiet_enter()
    try:
        return apply("matmul", product, (a, b), grad, label=label,
                     batch=_rows_rule(k, tb, out_shape))
    finally:
        _quiet_leave(token)


def affine(x, w, b):
    """``x @ w + b`` as one op (``Linear``'s forward): the numbers of matmul then add,
    one node on the tape and one rule for all three gradients. ``x`` is a float
    Tensor of rank >= 2 whose last axis matches ``w`` ([in, out]); ``b`` is [out];
    one dtype, checked by the caller."""
    x_shape, w_shape, b_shape = x._value.shape, w._value.shape, b._value.shape
    flat = len(x_shape) == 2
    rows_shape = x_shape if flat else (math.prod(x_shape[:-1]), x_shape[-1])
    value_shape = (rows_shape[0], w_shape[1])
    out_shape = x_shape[:-1] + w_shape[1:]

    def grad(g, needs):
        g2 = g if g._value.ndim == 2 else reshape(g, value_shape)
        gx = _product(g, w, False, True) if needs[0] else None
        gw = gb = None
        if needs[1]:
            gw = _product(x if flat else reshape(x, rows_shape), g2, True, False)
        if needs[2]:
            gb = _reduce.sum_to(g2, b_shape)
        return gx, gw, gb

    def value(xv, wv, bv):
        return _affine_value(xv if flat else xv.reshape(-1, x_shape[-1]), wv, bv).reshape(
            out_shape)
    token = _quiet_enter()
    try:
        return apply("affine", value, (x, w, b), grad,
                     batch=_affine_rule(x_shape[-1], out_shape))
    finally:
        _quiet_leave(token)


def _affine_rule(k, out_shape):
    """The batching rule of ``affine`` (per-example ``out_shape``; ``k`` input features)."""
    def rule(batched, xv, wv, bv):
        if not (batched[1] or batched[2]):
            return _affine_value(xv.reshape(-1, k), wv, bv).reshape(xv.shape[:1] + out_shape)
        n = next(v.shape[0] for v, flag in zip((xv, wv, bv), batched) if flag)
        rows = xv.reshape(n, -1, k) if batched[0] else xv.reshape(1, -1, k)
        product = np.matmul(rows, wv) + (bv[:, None, :] if batched[2] else bv)
        return np.broadcast_to(product, (n,) + product.shape[1:]).reshape((n,) + out_shape)
    return flagged(rule)


def _affine_value(rows, w, b):
    out = np.matmul(rows, w)
    out += b
    return out


def _check_matmul_flags(transpose_a, transpose_b, adjoint_a, adjoint_b, a_is_sparse,
                        b_is_sparse):
    """Every flag of matmul must be a bool."""
    for what, value in (("transpose_a", transpose_a), ("transpose_b", transpose_b),
                        ("adjoint_a", adjoint_a), ("adjoint_b", adjoint_b),
                        ("a_is_sparse", a_is_sparse), ("b_is_sparse", b_is_sparse)):
        check.flag("matmul", what, value)


def _check_matmul_inputs(a, b):
    """Raise for operands matmul cannot take (rank < 2, bool)."""
    a, b = check.tensor("matmul", a, "a"), check.tensor("matmul", b, "b")
    for label, t in (("a", a), ("b", b)):
        if t.ndim < 2:
            raise ValueError(f"matmul: both operands need rank >= 2, but {label} has "
                             f"shape {t.shape} (a: {a.shape}, b: {b.shape}). For "
                             f"vectors use tensordot or reshape to a matrix first.")
        if t.dtype.kind == "b":
            raise TypeError(f"matmul: bool operands are not supported ({label} has "
                            f"dtype bool, shape {t.shape}).")


def _matmul_mismatch(a_shape, b_shape, ta, tb):
    """The message for operands whose inner or batch dimensions do not fit."""
    desc = (f"a has shape {a_shape}{' (transposed)' if ta else ''} and b has shape "
            f"{b_shape}{' (transposed)' if tb else ''}")
    k_a, k_b = a_shape[-2 if ta else -1], b_shape[-1 if tb else -2]
    if k_a != k_b:
        return f"matmul: inner dimensions do not match: {desc}, so {k_a} != {k_b}."
    return (f"matmul: batch dimensions {a_shape[:-2]} and {b_shape[:-2]} cannot be "
            f"broadcast together: {desc}.")


# ---------------------------------------------------------------- einsum

_LETTERS = string.ascii_letters


def einsum(equation, *inputs, **kwargs):
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", x, y)``.

    Supports explicit (``->``) and implicit outputs, ``...`` and broadcasting
    of size-1 axes. A subscript repeated within one operand (trace, diagonal)
    is rejected with ``ValueError``: write it with explicit ops instead.
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(kwargs)}.")
    if not isinstance(equation, str):
        raise TypeError(f"einsum: equation must be a string. Received: {equation!r}")
    tensors = _same_dtype("einsum", inputs)
    terms, out = _parse_einsum(equation, tuple(t.shape for t in tensors))
    return _einsum(terms, out, tensors, name)


def _same_dtype(op, inputs):
    """The inputs as Tensors of one dtype (TypeError naming them otherwise)."""
    tensors = [check.tensor(op, x, f"operand {i}") for i, x in enumerate(inputs)]
    if not tensors:
        raise ValueError(f"{op}: at least one operand is required.")
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise TypeError(
                f"{op}: operands must share one dtype, got "
                f"{[str(u.dtype) for u in tensors]} (shapes {[u.shape for u in tensors]}); "
                f"convert with mtf.cast first.")
    return tensors


def _einsum(terms, out, tensors, label=None):
    """einsum on parsed subscripts (a tuple; no ellipsis, no repeats), recorded."""
    equation = ",".join(terms) + "->" + out
    plan = _einsum_plan(terms, tuple(t.shape for t in tensors))

    def grad(g, needs):
        return tuple(_einsum_operand_grad(terms, out, tensors, i, g) if need else None
                     for i, need in enumerate(needs))
    token = _quiet_enter()
    try:
        return apply("einsum", functools.partial(_contract, equation, plan), tuple(tensors),
                     grad, label=label, batch=_batched_einsum(terms, out))
    finally:
        _quiet_leave(token)


def _batched_einsum(terms, out):
    """The batching rule of einsum: the batch axis gets a subscript of its own."""
    used = "".join(terms) + out
    free = [c for c in string.ascii_letters if c not in used]
    if not free:
        return None

    def rule(batched, *arrays):
        inputs = ",".join(free[0] + t if b else t for t, b in zip(terms, batched))
        return np.einsum(f"{inputs}->{free[0]}{out}", *arrays, optimize="greedy")
    return flagged(rule)


def _contract(equation, plan, *arrays):
    """np.einsum; integer results keep the operands' dtype (numpy widens bools)."""
    return np.einsum(equation, *arrays, optimize=plan)


@functools.lru_cache(maxsize=1024)
def _einsum_plan(terms, shapes):
    """numpy's plain loop for small contractions; BLAS via a greedy path for big ones
    or many operands (the path search costs ~15 us, the loop is slow past ~30k
    multiply-adds)."""
    sizes = {}
    for term, shape in zip(terms, shapes):
        sizes.update(zip(term, shape))
    return "greedy" if len(terms) > 2 or math.prod(sizes.values()) > 32768 else False


def _einsum_operand_grad(terms, out, tensors, i, g):
    """Gradient of operand ``i``: einsum of ``g`` with the other operands.

    Subscripts of operand i that appear nowhere else were summed out: the
    gradient is broadcast along them. Axes where the operand had size 1 but
    the others a larger size were broadcast: the gradient is summed there.
    """
    others = terms[:i] + terms[i + 1:]
    seen = set(out).union(*others)
    target = "".join(c for c in terms[i] if c in seen)
    gi = _einsum((out,) + others, target, [g] + tensors[:i] + tensors[i + 1:])
    shape = tensors[i].shape
    widened = tuple(k for k, c in enumerate(target)
                    if gi.shape[k] != 1 and shape[terms[i].index(c)] == 1)
    if widened:
        gi = _reduce.reduce_sum(gi, widened, keepdims=True)
    if len(target) < len(terms[i]):
        dims = dict(zip(target, gi.shape))
        gi = reshape(gi, tuple(dims.get(c, 1) for c in terms[i]))
    return broadcast_to(gi, shape)


@functools.lru_cache(maxsize=1024)
def _parse_einsum(equation, shapes):
    """Input subscripts and output subscript with ``...`` expanded into letters
    (cached: parsing costs more than a small contraction)."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    where = f"einsum: equation {equation!r} with operand shapes {list(shapes)}"
    if len(terms) != len(shapes):
        raise ValueError(f"{where}: the equation has {len(terms)} operand(s), "
                         f"but {len(shapes)} were given.")
    for term in terms + [out]:
        if term.replace("...", "", 1).strip(_LETTERS):
            raise ValueError(f"{where}: subscripts must be letters with at most one "
                             f"'...' per operand; {term!r} is not.")
    free = [c for c in _LETTERS if c not in eq]
    ranks = [_ellipsis_rank(where, t, s) for t, s in zip(terms, shapes)]
    ellipsis = "".join(free[:max(ranks, default=0)])
    terms = [t.replace("...", ellipsis[len(ellipsis) - r:]) for t, r in zip(terms, ranks)]
    if arrow:
        if ellipsis and "..." not in out:
            raise ValueError(f"{where}: '...' stands for {len(ellipsis)} axes in the "
                             f"inputs, so the output must contain '...' too.")
        out = out.replace("...", ellipsis)
    else:
        counts = "".join(terms)
        out = ellipsis + "".join(sorted(c for c in set(counts) - set(ellipsis)
                                        if counts.count(c) == 1))
    _check_subscripts(where, terms, out, shapes)
    return tuple(terms), out


def _ellipsis_rank(where, term, shape):
    """How many axes ``...`` stands for in one operand (0 without one)."""
    letters = len(term.replace("...", ""))
    if "..." not in term and letters != len(shape) or letters > len(shape):
        raise ValueError(f"{where}: subscripts {term!r} do not match the rank "
                         f"{len(shape)} of an operand of shape {shape}.")
    return len(shape) - letters


def _check_subscripts(where, terms, out, shapes):
    """Reject repeats, unknown output letters and inconsistent sizes."""
    for term in terms:
        if len(set(term)) != len(term):
            raise ValueError(f"{where}: subscript repeated within operand {term!r}; "
                             f"traces and diagonals are not supported by einsum here.")
    if len(set(out)) != len(out) or not set(out) <= set("".join(terms)):
        raise ValueError(f"{where}: the output subscripts {out!r} must be distinct "
                         f"and each appear in an input.")
    sizes = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            if n != 1 and sizes.setdefault(c, n) != n:
                raise ValueError(f"{where}: subscript {c!r} has sizes {sizes[c]} and "
                                 f"{n}, which do not match.")


# ---------------------------------------------------------------- tensordot

def tensordot(a, b, axes, name=None):
    """Sum of products over ``axes`` (an int N: last N of a with first N of b,
    or a pair of axis lists); the free axes of a, then of b, remain."""
    a, b = _same_dtype("tensordot", (a, b))
    axes_a, axes_b = _tensordot_axes(a, b, axes)
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: axis {i} of a (shape {a.shape}) has size "
                             f"{a.shape[i]} but axis {j} of b (shape {b.shape}) has "
                             f"size {b.shape[j]}.")
    if a.ndim + b.ndim > len(_LETTERS):
        raise ValueError(f"tensordot: ranks {a.ndim} + {b.ndim} exceed {len(_LETTERS)}.")
    ta = _LETTERS[:a.ndim]
    rest = iter(_LETTERS[a.ndim:])
    tb = "".join(ta[axes_a[axes_b.index(j)]] if j in axes_b else next(rest)
                 for j in range(b.ndim))
    out = ("".join(c for k, c in enumerate(ta) if k not in axes_a)
           + "".join(c for k, c in enumerate(tb) if k not in axes_b))
    return _einsum((ta, tb), out, [a, b], name)


def _tensordot_axes(a, b, axes):
    """``axes`` as two equally long lists of non-negative, distinct axes."""
    op = "tensordot"
    if type(axes) in TENSOR_TYPES:
        axes = check.static_value(axes).tolist()
    if not isinstance(axes, (list, tuple, np.ndarray)) or getattr(axes, "ndim", 1) == 0:
        n = check.integer(op, "axes", axes, low=0)
        if n > min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={n} must be in [0, {min(a.ndim, b.ndim)}] "
                             f"for shapes {a.shape} and {b.shape}. "
                             f"{check.received('axes', axes)}")
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    if not isinstance(axes, (list, tuple, np.ndarray)) or len(axes) != 2:
        raise ValueError(f"tensordot: axes must be an int or a pair of axis lists. "
                         f"{check.received('axes', axes)}")
    first = check.axis_list(op, axes[0], a.ndim, "axes[0]")
    second = check.axis_list(op, axes[1], b.ndim, "axes[1]")
    if len(first) != len(second):
        raise ValueError(f"tensordot: axes {axes!r} give {len(first)} axes of a and "
                         f"{len(second)} of b; they must be equally many.")
    return first, second
