"""Gradient fuzzer entries of the linalg decompositions. Each op gets well-conditioned
inputs built from the chain's value (bounded by tanh, added to a matrix with well-
separated spectrum) and the step returns sign-invariant functions of its outputs
(eigenvalues, singular values, squared vector entries, q r): the signs of
eigenvectors, singular vectors and QR factors are free."""
import numpy as np

import minitf as mtf
from _gradient_ops import entry


def _matrices(b, rows, cols):
    """(node of the chain's value bridged to a [..., rows, cols] batch, the batch)."""
    batch = tuple(int(n) for n in b.rng.integers(1, 3, b.rng.integers(0, 3)))
    return b.bridge(b.cur, batch + (rows, cols)), batch


def _sizes(b):
    return (int(n) for n in b.rng.integers(1, 4, 2))


@entry("cholesky")
def _cholesky(b):
    n, _ = _sizes(b)
    x, _ = _matrices(b, n, n)
    eye = np.eye(n)

    def op(t):
        c = mtf.tanh(t) * 0.5
        return mtf.linalg.cholesky(mtf.matmul(c, c, transpose_b=True) + eye)
    b.add("cholesky", op, [x])


@entry("eigh")
def _eigh(b):
    n, _ = _sizes(b)
    x, _ = _matrices(b, n, n)
    spread = np.diag(2.0 * np.arange(n))

    def op(t):
        e, v = mtf.linalg.eigh(mtf.tanh(t) * 0.1 + spread)
        return mtf.concat([mtf.expand_dims(e, -2), v * v], -2)
    b.add("eigh", op, [x])


@entry("svd")
def _svd(b):
    m, n = _sizes(b)
    x, _ = _matrices(b, m, n)
    spread = 2.0 * np.eye(m, n) * (1 + np.arange(n))
    compute_uv = bool(b.rng.integers(2))
    full = bool(b.rng.integers(2)) and not compute_uv

    def op(t):
        a = mtf.tanh(t) * 0.1 + spread
        if not compute_uv:
            return mtf.linalg.svd(a, full, compute_uv=False)
        s, u, v = mtf.linalg.svd(a)
        return mtf.concat([mtf.expand_dims(s, -2), u * u, v * v], -2)
    b.add("svd", op, [x])


@entry("qr")
def _qr(b):
    m, n = sorted(_sizes(b), reverse=True)
    x, _ = _matrices(b, m, n)
    spread = 2.0 * np.eye(m, n)

    def op(t):
        q, r = mtf.linalg.qr(mtf.tanh(t) * 0.2 + spread)
        return mtf.concat([q * q, r * r, mtf.matmul(q, r)], -2)
    b.add("qr", op, [x])
