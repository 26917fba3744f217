"""Matrix decompositions: cholesky, eigh, svd and qr (``tf.linalg``), batched.

Each op runs numpy.linalg on the last two axes (leading axes are a batch) and
takes float32/float64 only. Their gradients are TensorFlow's (linalg_grad.py),
written with minitf ops on the op's own outputs, so they differentiate again.
Ops with several outputs record one multi-output node: the rule sees every
output's gradient at once. Triangular inverses in the rules are a private
primitive (``_inverse``) with its own gradient.
"""
import numpy as np

from .. import dtypes, tape as _tape
from .._context import ctx
from . import _validate as check
from ._dispatch import apply, apply_with_aux, wrap_constant
from ._quiet import enter as _quiet_enter, leave as _quiet_leave
from .elementwise import reciprocal
from .indexing import getitem
from .linalg import matmul
from .shape import expand_dims, transpose

_FLOATS = (dtypes.float32, dtypes.float64)


# ---------------------------------------------------------------- arguments

def _matrices(op, x, what, square=False):
    """``x`` as a float32/float64 Tensor of rank >= 2 (square matrices if ``square``)."""
    t = check.tensor(op, x, what)
    if t._value.dtype not in _FLOATS:
        raise TypeError(f"{op}: {what} has dtype {t.dtype.name} of shape {t.shape}; "
                        f"only float32 and float64 are supported. {check.received(what, x)}")
    if t.ndim < 2:
        raise ValueError(f"{op}: {what} must have rank >= 2 (a batch of matrices), got "
                         f"shape {t.shape}.")
    if square and t.shape[-1] != t.shape[-2]:
        raise ValueError(f"{op}: {what} must be square matrices, got shape {t.shape}.")
    return t


def _run(op, fn, args, rule, label):
    """The outputs of ``fn`` (a tuple of arrays) as one trace step, recorded on the
    tapes as one node per output sharing ``rule(outs)``."""
    token = _quiet_enter()
    try:
        outs = apply_with_aux(op, fn, args, label=label)
    finally:
        _quiet_leave(token)
    if ctx.tapes:
        joint = _tape.MultiOutputGrad(rule(outs))
        joint.outputs.extend(outs)
        for y in outs:
            _tape.record(op, args, y, joint)
    return outs


# ---------------------------------------------------------------- helpers (minitf ops)

def _mT(x):
    """``x`` with its last two axes swapped."""
    n = x.ndim
    return transpose(x, list(range(n - 2)) + [n - 1, n - 2])


def _eye(n, dtype):
    return wrap_constant(np.eye(n, dtype=dtype))


def _half_lower(n, dtype):
    """Strictly lower ones and 0.5 on the diagonal (TF's band_part + half diagonal)."""
    return wrap_constant((np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)).astype(dtype))


def _diag(vec):
    """Diagonal matrices with ``vec`` (last axis) on the diagonal."""
    return expand_dims(vec, -1) * _eye(vec.shape[-1], vec.dtype)


def _gaps(e):
    """f[..., i, j] = 1 / (e_j - e_i) off the diagonal, 0 on it."""
    eye = _eye(e.shape[-1], e.dtype)
    return reciprocal(expand_dims(e, -2) - expand_dims(e, -1) + eye) * (1.0 - eye)


def _add(a, b):
    """a + b where either may be None (no term)."""
    return b if a is None else a if b is None else a + b


def _inverse(op, a, lower):
    """The inverse of triangular matrices ``a`` (lower or upper), with its gradient."""
    keep = np.tril if lower else np.triu

    def kernel(v):
        try:
            return keep(np.linalg.inv(v))
        except np.linalg.LinAlgError:
            raise ValueError(f"{op}: the gradient needs invertible triangular factors, "
                             f"got singular ones (shape {v.shape}).") from None

    def grad(g, _):
        return (-matmul(matmul(out, g * mask, transpose_a=True), out, transpose_b=True),)
    mask = wrap_constant(keep(np.ones(a.shape[-2:], a.dtype)))
    token = _quiet_enter()
    try:
        out = apply("triangular_inverse", kernel, (a,), grad)
    finally:
        _quiet_leave(token)
    return out


# ---------------------------------------------------------------- cholesky

def cholesky(input, name=None):
    """Lower Cholesky factor L (A = L L^T) of symmetric positive-definite matrices.

    The input is symmetrised first (A + A^T) / 2, so the gradient is TF's
    symmetric one; a matrix that is not positive definite raises ValueError.

    >>> mtf.linalg.cholesky([[4.0, 2.0], [2.0, 5.0]]).numpy().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    a = _matrices("cholesky", input, "input", square=True)

    def grad(g, _):
        return (_cholesky_grad(out, g),)
    token = _quiet_enter()
    try:
        out = apply("cholesky", _cholesky_kernel, (a,), grad, label=name)
    finally:
        _quiet_leave(token)
    return out


def _cholesky_kernel(a):
    sym = (a + np.swapaxes(a, -1, -2)) * a.dtype.type(0.5)
    try:
        return np.linalg.cholesky(sym)
    except np.linalg.LinAlgError:
        raise ValueError(f"cholesky: the input (shape {a.shape}) is not positive "
                         f"definite; the decomposition failed.") from None


def _cholesky_grad(l, g):
    """(L^-T Phi(L^T g) L^-1) symmetrised, Phi = lower part with half diagonal."""
    inv = _inverse("cholesky", l, lower=True)
    middle = matmul(l, g, transpose_a=True) * _half_lower(l.shape[-1], l.dtype)
    ga = matmul(matmul(inv, middle, transpose_a=True), inv)
    return (ga + _mT(ga)) * 0.5


# ---------------------------------------------------------------- eigh

def eigh(tensor, name=None):
    """``(e, v)``: eigenvalues (ascending) and eigenvectors (columns) of symmetric
    matrices, read from their lower triangle (as TF); no convergence: ValueError.

    >>> mtf.linalg.eigh([[2.0, 0.0], [0.0, 1.0]])[0].numpy().tolist()
    [1.0, 2.0]
    """
    a = _matrices("eigh", tensor, "tensor", square=True)
    e, v = _run("eigh", _eigh_kernel, (a,), _eigh_rule, name)
    return e, v


def _eigh_kernel(a):
    try:
        return np.linalg.eigh(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"eigh: the eigendecomposition of the input (shape {a.shape}) "
                         f"did not converge.") from None


def _eigh_rule(outs):
    e, v = outs

    def rule(ups, needs):
        ge, gv = ups
        inner = None if ge is None else _diag(ge)
        if gv is not None:
            inner = _add(inner, _gaps(e) * matmul(v, gv, transpose_a=True))
        ga = matmul(v, matmul(inner, v, transpose_b=True))
        return ((ga + _mT(ga)) * _half_lower(e.shape[-1], e.dtype),)
    return rule


# ---------------------------------------------------------------- svd

def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """Singular values ``s`` (descending), or ``(s, u, v)`` with a = u diag(s) v^T
    (``v`` not transposed, as TF). Matrices with NaN/Inf give NaN.

    >>> mtf.linalg.svd([[3.0, 0.0], [0.0, -4.0]], compute_uv=False).numpy().tolist()
    [4.0, 3.0]
    """
    a = _matrices("svd", tensor, "tensor")
    full = check.flag("svd", "full_matrices", full_matrices)
    uv = check.flag("svd", "compute_uv", compute_uv)
    full = full and uv            # s alone: the reduced u, v serve its gradients
    s, u, v = _run("svd", lambda x: _svd_kernel(x, full), (a,),
                   lambda outs: _svd_rule(a.shape, full, outs), name)
    return (s, u, v) if uv else s


def _svd_kernel(a, full):
    bad = ~np.isfinite(a).all(axis=(-2, -1))
    u, s, vt = np.linalg.svd(np.where(bad[..., None, None], 0, a), full_matrices=full)
    if bad.any():
        s, u, vt = (np.where(bad[(...,) + (None,) * k], np.nan, t).astype(a.dtype)
                    for t, k in ((s, 1), (u, 2), (vt, 2)))
    return s, u, np.ascontiguousarray(np.swapaxes(vt, -1, -2))


def _svd_rule(shape, full, outs):
    s, u, v = outs
    m, n = shape[-2:]
    k = min(m, n)
    u1 = getitem(u, (Ellipsis, slice(None), slice(0, k))) if full and m > n else u
    v1 = getitem(v, (Ellipsis, slice(None), slice(0, k))) if full and n > m else v

    def rule(ups, needs):
        gs, gu, gv = ups
        if gu is None and gv is None:
            return (matmul(u1 * expand_dims(gs, -2), v1, transpose_b=True),)
        if full and m != n:
            raise NotImplementedError(
                f"svd gradient through u/v is not implemented for full_matrices=True "
                f"with non-square matrices (shape {shape}); use full_matrices=False.")
        if m > n:
            return (_mT(_svd_uv_grad(s, v, u, gs, gv, gu)),)
        return (_svd_uv_grad(s, u, v, gs, gu, gv),)
    return rule


def _svd_uv_grad(s, u, v, gs, gu, gv):
    """TF's gradient of a = u diag(s) v^T (m <= n, reduced), distinct values."""
    f = _gaps(s * s)
    rows, cols = expand_dims(s, -1), expand_dims(s, -2)
    inner = None if gs is None else _diag(gs)
    if gu is not None:
        fu = f * matmul(u, gu, transpose_a=True)
        inner = _add(inner, (fu + _mT(fu)) * cols)
    if gv is not None:
        fv = f * matmul(v, gv, transpose_a=True)
        inner = _add(inner, rows * (fv + _mT(fv)))
    ga = matmul(u, matmul(inner, v, transpose_b=True))
    if gv is None or u.shape[-2] == v.shape[-2]:
        return ga
    gvt = _mT(gv)
    rest = gvt - matmul(matmul(gvt, v), v, transpose_b=True)
    return ga + matmul(u * reciprocal(cols), rest)


# ---------------------------------------------------------------- qr

def qr(input, full_matrices=False, name=None):
    """``(q, r)``: orthonormal q and upper-triangular r with input = q r.

    >>> mtf.abs(mtf.linalg.qr([[3.0], [4.0]])[1]).numpy().tolist()
    [[5.0]]
    """
    a = _matrices("qr", input, "input")
    full = check.flag("qr", "full_matrices", full_matrices)
    mode = "complete" if full else "reduced"
    q, r = _run("qr", lambda x: tuple(np.linalg.qr(x, mode=mode)), (a,),
                lambda outs: _qr_rule(a.shape, full, outs), name)
    return q, r


def _qr_rule(shape, full, outs):
    q, r = outs
    m, n = shape[-2:]

    def rule(ups, needs):
        if m < n or full and m != n:
            raise NotImplementedError(
                f"qr: the gradient is implemented for m >= n with full_matrices=False "
                f"(or square matrices) only, got shape {shape} and "
                f"full_matrices={full}.")
        dq, dr = ups
        return (_qr_grad(q, r, dq, dr),)
    return rule


def _qr_grad(q, r, dq, dr):
    """TF's gradient for reduced QR of tall (m >= n) matrices."""
    r_inv_t = _mT(_inverse("qr", r, lower=False))
    sym = None
    if dq is not None:
        qdq = matmul(q, dq, transpose_a=True)
        sym = qdq - _mT(qdq)
    if dr is not None:
        rdr = matmul(r, dr, transpose_b=True)
        sym = _add(sym, rdr - _mT(rdr))
    lower = sym * wrap_constant(np.tril(np.ones(r.shape[-2:], r.dtype)))
    ga = matmul(q, _add(dr, matmul(lower, r_inv_t)))
    if dq is None:
        return ga
    return ga + matmul(dq - matmul(q, qdq), r_inv_t)
