"""Gradient fuzzer entries of the linalg matrix research ops. The solvers and
determinants get well-conditioned inputs: the chain's value bridged to a batch of
n x n matrices, then tanh(x) + (n + 1) I (strictly diagonally dominant, positive
determinant), so every chain is invertible whatever its leaves."""
import numpy as np

import minitf as mtf
from _gradient_ops import entry


def _batch(b):
    """A batch shape of 0-2 axes of 1-2."""
    return tuple(int(n) for n in b.rng.integers(1, 3, b.rng.integers(0, 3)))


def _invertible(b, batch=None):
    """(node of a well-conditioned [..., n, n] batch, its batch shape, n)."""
    batch = _batch(b) if batch is None else batch
    n = int(b.rng.integers(1, 4))
    x = b.bridge(b.cur, batch + (n, n))
    eye = np.eye(n) * (n + 1)
    a = b.add("to_invertible", lambda t: mtf.tanh(t) + eye, [x], current=False)
    return a, batch, n


@entry("band_part")
def _band_part(b):
    x = b.rank_at_least(b.cur, 2)
    m, n = b.shape(x)[-2:]
    lower, upper = int(b.rng.integers(-1, m + 1)), int(b.rng.integers(-1, n + 1))
    b.add("band_part", lambda t: mtf.linalg.band_part(t, lower, upper), [x])


@entry("trace")
def _trace(b):
    b.add("trace", mtf.linalg.trace, [b.rank_at_least(b.cur, 2)])


@entry("diag_part")
def _diag_part(b):
    x = b.rank_at_least(b.cur, 2)
    m, n = b.shape(x)[-2:]
    k = sorted(int(v) for v in b.rng.integers(1 - m, n, 2))
    k = k[0] if b.rng.random() < 0.5 else k
    pad = float(b.rng.uniform(-1, 1))
    b.add("diag_part", lambda t: mtf.linalg.diag_part(t, k=k, padding_value=pad), [x])


@entry("diag")
def _diag(b):
    if b.rng.random() < 0.3:                       # a stack of diagonals k=(lo, hi)
        lo = int(b.rng.integers(-2, 2))
        hi = lo + int(b.rng.integers(0, 3))
        x = b.bridge(b.cur, b.shape(b.cur)[:-2] + (hi - lo + 1, int(b.rng.integers(1, 4))))
        b.add("diag", lambda t: mtf.linalg.diag(t, k=(lo, hi), padding_value=0.5), [x])
        return
    x = b.rank_at_least(b.cur, 1)
    k = int(b.rng.integers(-2, 3))
    rows = -1 if b.rng.random() < 0.6 else b.shape(x)[-1] - min(k, 0)
    cols = -1 if rows == -1 else b.shape(x)[-1] + max(k, 0) + int(b.rng.integers(0, 2))
    b.add("diag", lambda t: mtf.linalg.diag(t, k=k, num_rows=rows, num_cols=cols), [x])


@entry("inv")
def _inv(b):
    a, _, _ = _invertible(b)
    adjoint = bool(b.rng.integers(2))
    b.add("inv", lambda t: mtf.linalg.inv(t, adjoint=adjoint), [a])


def _rhs(b, batch, n):
    return b.operand(batch + (n, int(b.rng.integers(1, 3))), scalar=False)


@entry("solve")
def _solve(b):
    a, batch, n = _invertible(b)
    rhs, adjoint = _rhs(b, batch, n), bool(b.rng.integers(2))
    pair = [a, rhs]
    b.add("solve", lambda t, r: mtf.linalg.solve(t, r, adjoint=adjoint), pair)


@entry("triangular_solve")
def _triangular_solve(b):
    a, batch, n = _invertible(b)
    rhs = _rhs(b, b.broadcastable(batch), n)
    lower, adjoint = (bool(f) for f in b.rng.integers(2, size=2))
    b.add("triangular_solve",
          lambda t, r: mtf.linalg.triangular_solve(t, r, lower=lower, adjoint=adjoint),
          [a, rhs])


@entry("det")
def _det(b):
    a, _, _ = _invertible(b)
    b.add("det", mtf.linalg.det, [a])


@entry("slogdet")
def _slogdet(b):
    a, _, _ = _invertible(b)

    def log_abs_det(t):
        sign, log_abs = mtf.linalg.slogdet(t)
        return sign * log_abs
    b.add("slogdet", log_abs_det, [a])
