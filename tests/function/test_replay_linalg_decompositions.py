"""mtf.linalg cholesky, eigh, svd and qr replay under ``mtf.function`` bit for bit as
they run eagerly, with two orders of gradient (new well-conditioned values per seed)."""
import numpy as np
import pytest

import minitf as mtf
import _replay

F32, F64 = np.float32, np.float64


def _matrices(seed, shape, dtype, kind):
    """Batched matrices: ``spd``, ``sym`` (separated eigenvalues) or ``general``."""
    x = np.random.default_rng(seed).standard_normal(shape)
    n = shape[-1]
    if kind == "spd":
        x = x @ np.swapaxes(x, -1, -2) + n * np.eye(n)
    elif kind == "sym":
        x = np.diag(2.0 * np.arange(n)) + 0.1 * (x + np.swapaxes(x, -1, -2))
    else:
        x = 2.0 * np.eye(*shape[-2:]) * (1 + np.arange(n)) + 0.2 * x
    return mtf.constant(x.astype(dtype))


CASES = {
    "cholesky": (lambda x: mtf.linalg.cholesky(x), (2, 3, 3), "spd"),
    "eigh": (lambda x: mtf.linalg.eigh(x), (2, 3, 3), "sym"),
    "svd": (lambda x: mtf.linalg.svd(x), (2, 4, 3), "general"),
    "svd_wide": (lambda x: mtf.linalg.svd(x), (2, 2, 4), "general"),
    "svd_values": (lambda x: mtf.linalg.svd(x, True, False), (3, 2), "general"),
    "svd_full_square": (lambda x: mtf.linalg.svd(x, True), (3, 3), "general"),
    "qr": (lambda x: mtf.linalg.qr(x), (2, 4, 3), "general"),
    "qr_full_square": (lambda x: mtf.linalg.qr(x, True), (2, 3, 3), "general"),
}


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_decompositions_replay_with_two_orders_of_gradient(case, dtype):
    op, shape, kind = CASES[case]
    _replay.assert_replays(_replay.with_gradient(op, 2),
                           lambda s: (_matrices(s, shape, dtype, kind),))


@pytest.mark.parametrize("case", ["svd", "qr"])
def test_full_matrices_forward_replays(case):
    op = getattr(mtf.linalg, case)
    _replay.assert_replays(lambda x: op(x, True),
                           lambda s: (_matrices(s, (2, 4, 3), F64, "general"),))


def test_empty_batches_replay():
    _replay.assert_replays(lambda x: [mtf.linalg.cholesky(x), *mtf.linalg.eigh(x),
                                      *mtf.linalg.svd(x), *mtf.linalg.qr(x)],
                           lambda s: (mtf.constant(np.zeros((0, 2, 2))),))
