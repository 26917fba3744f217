"""Linear systems and determinants under their ``tf.linalg`` names: triangular_solve,
inv, solve, det, slogdet.

float32 and float64 only (TensorFlow's kernels register no other real dtype here).
A singular matrix makes inv and solve raise ValueError ("not invertible"), as
TensorFlow's InvalidArgumentError; det gives 0 and slogdet (0, -inf). Gradients
are the closed forms of TensorFlow, built from these ops and matmul so that they
differentiate again.
"""
import numpy as np

from . import _quiet, _validate as check
from ._arith import broadcasts, quiet_apply
from ._dispatch import apply_with_aux, unbroadcast
from .elementwise import multiply, negative
from .linalg import _product
from .matrix import _band_mask, _banded
from .shape import expand_dims

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _float_matrices(op, x, what):
    """``x`` as a float32/float64 Tensor of rank >= 2."""
    x = check.tensor(op, x, what)
    if x.dtype not in _FLOATS:
        raise TypeError(f"{op}: {what} has dtype {x.dtype.name}, but {op} supports float32 "
                        f"and float64 only; convert it with mtf.cast({what}, mtf.float32). "
                        f"{check.received(what, x)}")
    if x.ndim < 2:
        raise ValueError(f"{op}: {what} must have rank >= 2 (a batch of matrices), got "
                         f"shape {x.shape}. {check.received(what, x)}")
    return x


def _square(op, x, what="input"):
    """``x`` as a batch of square float32/float64 matrices."""
    x = _float_matrices(op, x, what)
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{op}: {what} must be a batch of square matrices, got shape "
                         f"{x.shape}. {check.received(what, x)}")
    return x


def _system(op, matrix, rhs, broadcast):
    """(matrix, rhs) of a solve: square matrices, right-hand sides of the same dtype and
    rows, batch axes equal (or broadcasting, for ``broadcast``)."""
    a, b = _square(op, matrix, "matrix"), _float_matrices(op, rhs, "rhs")
    if a.dtype != b.dtype:
        raise TypeError(f"{op}: matrix and rhs must have the same dtype, got {a.dtype.name} "
                        f"and {b.dtype.name} (shapes {a.shape} and {b.shape}).")
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"{op}: matrix of shape {a.shape} and rhs of shape {b.shape} must "
                         f"have the same number of rows.")
    same = a.shape[:-2] == b.shape[:-2]
    if not same and not (broadcast and broadcasts(a.shape[:-2], b.shape[:-2])):
        how = "broadcast together" if broadcast else "be equal"
        raise ValueError(f"{op}: the batch axes of matrix {a.shape} and rhs {b.shape} must "
                         f"{how}.")
    return a, b


def _guarded(op, fn):
    """``fn`` with numpy's LinAlgError (a singular matrix) as a ValueError naming ``op``."""
    def run(*arrays):
        try:
            return fn(*arrays)
        except np.linalg.LinAlgError:
            raise ValueError(f"{op}: the input matrix is not invertible (singular); "
                             f"shape {arrays[0].shape}.") from None
    return run


def _t(x):
    return np.swapaxes(x, -1, -2)


def _times_matrices(scalars, matrices):
    """``scalars[..., None, None] * matrices``."""
    return multiply(expand_dims(expand_dims(scalars, -1), -1), matrices)


# ---------------------------------------------------------------- triangular_solve

def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """Solve ``matrix @ x = rhs`` for triangular ``matrix`` (only its triangle is read).

    >>> mtf.linalg.triangular_solve([[2.0, 0.0], [1.0, 1.0]], [[2.0], [3.0]]).numpy().tolist()
    [[1.0], [2.0]]
    """
    op = "triangular_solve"
    a, b = _system(op, matrix, rhs, broadcast=True)
    lower = check.flag(op, "lower", lower)
    adjoint = check.flag(op, "adjoint", adjoint)
    return _triangular(a, b, lower, adjoint, name)


def _triangular(a, b, lower, adjoint, label=None):
    """triangular_solve without argument checks (the gradient's path)."""
    m = a.shape[-1]
    mask = _band_mask(m, m, -1, 0) if lower else _band_mask(m, m, 0, -1)

    def grad(g, needs):
        gb = _triangular(a, g, lower, not adjoint)
        ga = None
        if needs[0]:
            ga = _product(out, gb, False, True) if adjoint else _product(gb, out, False, True)
            ga = unbroadcast(_banded(negative(ga), mask), a.shape)
        return ga, unbroadcast(gb, b.shape) if needs[1] else None
    out = quiet_apply("triangular_solve", _substitution(lower, adjoint), (a, b), grad,
                      label=label)
    return out


def _substitution(lower, adjoint):
    """The kernel: forward (or back) substitution, one row of every system per step."""
    def run(a, b):
        t = _t(a) if adjoint else a
        forward = lower != adjoint
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        t = np.broadcast_to(t, batch + t.shape[-2:])
        b = np.broadcast_to(b, batch + b.shape[-2:])
        x = np.zeros(b.shape, b.dtype)
        m = t.shape[-1]
        for i in (range(m) if forward else range(m - 1, -1, -1)):
            known = slice(0, i) if forward else slice(i + 1, m)
            rest = np.matmul(t[..., i:i + 1, known], x[..., known, :])[..., 0, :]
            x[..., i, :] = (b[..., i, :] - rest) / t[..., i, i, None]
        return x
    return run


# ---------------------------------------------------------------- inv / solve

def inv(input, adjoint=False, name=None):
    """Inverse of each square matrix (of its transpose when ``adjoint``).

    >>> mtf.linalg.inv([[2.0, 0.0], [0.0, 4.0]]).numpy().tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    x = _square("inv", input)
    adjoint = check.flag("inv", "adjoint", adjoint)

    def grad(g, _):
        if adjoint:     # y = inv(x^T): dx = -y g^T y
            return (negative(_product(out, _product(g, out, True, False), False, False)),)
        return (negative(_product(out, _product(g, out, False, True), True, False)),)
    out = quiet_apply("inv", _guarded("inv", lambda v: np.linalg.inv(_t(v) if adjoint else v)),
                      (x,), grad, label=name)
    return out


def solve(matrix, rhs, adjoint=False, name=None):
    """Solve ``matrix @ x = rhs`` (``matrix^T @ x`` when ``adjoint``); batch axes equal.

    >>> mtf.linalg.solve([[2.0, 0.0], [0.0, 4.0]], [[2.0], [2.0]]).numpy().tolist()
    [[1.0], [0.5]]
    """
    a, b = _system("solve", matrix, rhs, broadcast=False)
    return _solve(a, b, check.flag("solve", "adjoint", adjoint), name)


def _solve(a, b, adjoint, label=None):
    """solve without argument checks (the gradient's path)."""
    def grad(g, needs):
        gb = _solve(a, g, not adjoint)
        ga = None
        if needs[0]:
            ga = negative(_product(out, gb, False, True) if adjoint
                          else _product(gb, out, False, True))
        return ga, gb if needs[1] else None

    def kernel(av, bv):
        return np.linalg.solve(_t(av) if adjoint else av, bv)
    out = quiet_apply("solve", _guarded("solve", kernel), (a, b), grad, label=label)
    return out


# ---------------------------------------------------------------- det / slogdet

def det(input, name=None):
    """Determinant of each square matrix (0 for a singular one).

    >>> mtf.linalg.det([[2.0, 1.0], [1.0, 3.0]]).numpy().item()
    5.0
    """
    x = _square("det", input)

    def grad(g, _):
        return (_times_matrices(g * out, inv(x, adjoint=True)),)
    out = quiet_apply("det", lambda v: np.asarray(np.linalg.det(v)), (x,), grad, label=name)
    return out


def slogdet(input, name=None):
    """(sign, log of the absolute determinant) of each square matrix: (0, -inf) if singular.

    >>> [round(t.numpy().item(), 4) for t in mtf.linalg.slogdet([[-2.0, 0.0], [0.0, 1.0]])]
    [-1.0, 0.6931]
    """
    x = _square("slogdet", input)

    def grad(g, _):
        return (_times_matrices(g, inv(x, adjoint=True)),)

    def kernel(v):
        sign, log_abs = np.linalg.slogdet(v)
        return np.asarray(log_abs), np.asarray(sign)
    token = _quiet.enter()
    try:
        log_abs, sign = apply_with_aux("slogdet", kernel, (x,), grad, label=name)
    finally:
        _quiet.leave(token)
    return sign, log_abs
