"""mtf.linalg cholesky, eigh, svd and qr: forward against numpy (through invariants
where signs are free), gradients of both orders against central differences on
batched float64 inputs, dtypes, empty and error cases."""
import numpy as np
import pytest

import minitf as mtf
from minitf.testing import check_gradients

RNG = np.random.default_rng(7)
DTYPES = [np.float32, np.float64]
TOL = {np.float32: 1e-4, np.float64: 1e-10}
SHAPES = [(3, 3), (2, 4, 2), (2, 2, 4), (2, 1, 3, 3), (1, 1)]


def _t(a):
    return np.swapaxes(a, -1, -2)


def spd(shape, dtype=np.float64, seed=0):
    """Symmetric positive-definite matrices of ``shape`` (..., n, n)."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return (x @ _t(x) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def separated(shape, dtype=np.float64, seed=0):
    """Symmetric matrices with eigenvalues about 2 apart."""
    x = np.random.default_rng(seed).standard_normal(shape)
    n = shape[-1]
    return (np.diag(2.0 * np.arange(n)) + 0.1 * (x + _t(x))).astype(dtype)


def distinct(shape, dtype=np.float64, seed=0):
    """Matrices with well-separated singular values."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return (2.0 * np.eye(*shape[-2:]) * (1 + np.arange(shape[-1])) + 0.2 * x).astype(dtype)


def grad_of(f):
    """The tape gradient of scalar ``f`` (for second-order checks)."""
    def g(a):
        with mtf.GradientTape() as tape:
            tape.watch(a)
            y = f(a)
        return tape.gradient(y, a)
    return g


# ---------------------------------------------------------------- cholesky

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2), (1, 1)])
def test_cholesky_matches_numpy(shape, dtype):
    a = spd(shape, dtype)
    got = mtf.linalg.cholesky(a).numpy()
    assert got.dtype == dtype
    np.testing.assert_allclose(got, np.linalg.cholesky(a), rtol=TOL[dtype], atol=TOL[dtype])


def test_cholesky_symmetrises_the_input():
    a = spd((3, 3))
    skew = a + np.triu(np.ones((3, 3)), 1) * 0.3
    np.testing.assert_allclose(mtf.linalg.cholesky(skew).numpy(),
                               np.linalg.cholesky((skew + skew.T) / 2))


def test_cholesky_gradients_first_and_second_order():
    a = spd((2, 3, 3))
    check_gradients(mtf.linalg.cholesky, [a])
    w = RNG.standard_normal((2, 3, 3))
    check_gradients(grad_of(lambda t: mtf.reduce_sum(mtf.linalg.cholesky(t) ** 3 * w)), [a])


def test_cholesky_not_positive_definite_raises():
    with pytest.raises(ValueError, match="cholesky.*not positive definite"):
        mtf.linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))


# ---------------------------------------------------------------- eigh

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 2, 2), (1, 1)])
def test_eigh_reconstructs_and_is_ascending(shape, dtype):
    a = separated(shape, dtype, seed=3)
    e, v = mtf.linalg.eigh(a)
    e, v = e.numpy(), v.numpy()
    assert e.dtype == v.dtype == dtype
    np.testing.assert_allclose(e, np.linalg.eigvalsh(a), rtol=TOL[dtype], atol=TOL[dtype])
    assert np.all(np.diff(e, axis=-1) >= 0)
    np.testing.assert_allclose((v * e[..., None, :]) @ _t(v), a, atol=10 * TOL[dtype])


def test_eigh_reads_the_lower_triangle():
    a = separated((3, 3))
    e, _ = mtf.linalg.eigh(a + np.triu(np.ones((3, 3)), 1))
    np.testing.assert_allclose(e.numpy(), np.linalg.eigvalsh(a))


def test_eigh_gradients_first_and_second_order():
    a = separated((2, 3, 3), seed=4)
    w = RNG.standard_normal((2, 3, 3))

    def f(t):
        e, v = mtf.linalg.eigh(t)
        return e * w[..., 0], (v * v) * w
    check_gradients(f, [a])
    check_gradients(lambda t: mtf.linalg.eigh(t)[0], [a])

    def scalar(t):
        e, v = mtf.linalg.eigh(t)
        return mtf.reduce_sum(e * e * w[..., 0]) + mtf.reduce_sum(v * v * w)
    check_gradients(grad_of(scalar), [a])


# ---------------------------------------------------------------- svd

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_svd_matches_numpy(shape, full, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    s, u, v = (t.numpy() for t in mtf.linalg.svd(a, full_matrices=full))
    ref_u, ref_s, ref_vt = np.linalg.svd(a, full_matrices=full)
    assert s.dtype == u.dtype == v.dtype == dtype
    assert u.shape == ref_u.shape and v.shape == _t(ref_vt).shape
    np.testing.assert_allclose(s, ref_s, rtol=TOL[dtype], atol=TOL[dtype])
    k = min(shape[-2:])
    recon = (u[..., :k] * s[..., None, :]) @ _t(v[..., :k])
    np.testing.assert_allclose(recon, a, atol=10 * TOL[dtype])
    only = mtf.linalg.svd(a, full, compute_uv=False).numpy()
    np.testing.assert_array_equal(only, s)


def test_svd_of_non_finite_matrices_is_nan():
    a = np.stack([np.eye(2), np.array([[np.nan, 1.0], [0.0, 1.0]])])
    s, u, v = mtf.linalg.svd(a)
    assert np.isnan(s.numpy()[1]).all() and np.isnan(u.numpy()[1]).all()
    np.testing.assert_allclose(s.numpy()[0], [1.0, 1.0])


@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 4, 2), (2, 2, 4)])
def test_svd_gradients_first_order(shape):
    a = distinct(shape, seed=5)
    check_gradients(lambda t: mtf.linalg.svd(t, compute_uv=False), [a])
    check_gradients(lambda t: mtf.linalg.svd(t, True, compute_uv=False), [a])

    def f(t):
        s, u, v = mtf.linalg.svd(t)
        return s, u * u, v * v, mtf.matmul(u * s[..., None, :], v, transpose_b=True)
    check_gradients(f, [a])


@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 4, 2), (2, 2, 4)])
def test_svd_gradients_second_order(shape):
    a = distinct(shape, seed=6)

    def scalar(t):
        s, u, v = mtf.linalg.svd(t)
        return (mtf.reduce_sum(s ** 3) + mtf.reduce_sum(u * u * u[..., :1] ** 2)
                + mtf.reduce_sum(v * v * v[..., :1] ** 2))
    check_gradients(grad_of(scalar), [a])


def test_svd_full_square_gradient_through_u_v():
    a = distinct((2, 3, 3), seed=8)

    def f(t):
        s, u, v = mtf.linalg.svd(t, full_matrices=True)
        return u * u, v * v
    check_gradients(f, [a])


def test_svd_full_non_square_gradient_through_u_raises():
    a = mtf.constant(distinct((3, 2)))
    with mtf.GradientTape() as tape:
        tape.watch(a)
        _, u, _ = mtf.linalg.svd(a, full_matrices=True)
        y = mtf.reduce_sum(u * u * np.arange(9.0).reshape(3, 3))
    with pytest.raises(NotImplementedError, match="svd gradient through u/v"):
        tape.gradient(y, a)


# ---------------------------------------------------------------- qr

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_qr_matches_numpy(shape, full, dtype):
    a = RNG.standard_normal(shape).astype(dtype)
    q, r = (t.numpy() for t in mtf.linalg.qr(a, full_matrices=full))
    ref_q, ref_r = np.linalg.qr(a, mode="complete" if full else "reduced")
    assert q.dtype == r.dtype == dtype
    assert q.shape == ref_q.shape and r.shape == ref_r.shape
    np.testing.assert_allclose(q @ r, a, atol=10 * TOL[dtype])
    np.testing.assert_allclose(np.abs(r), np.abs(ref_r), atol=10 * TOL[dtype])
    np.testing.assert_array_equal(np.tril(r, -1), 0)
    eye = np.eye(q.shape[-1])
    np.testing.assert_allclose(_t(q) @ q, np.broadcast_to(eye, _t(q).shape[:-1] + (q.shape[-1],)),
                               atol=10 * TOL[dtype])


@pytest.mark.parametrize("shape", [(2, 3, 3), (2, 4, 2)])
@pytest.mark.parametrize("full", [False, True])
def test_qr_gradients(shape, full):
    if full and shape[-2] != shape[-1]:
        return
    a = distinct(shape, seed=9)

    def f(t):
        q, r = mtf.linalg.qr(t, full)
        return q * q, r * r, mtf.matmul(q, r)
    check_gradients(f, [a])
    check_gradients(lambda t: mtf.linalg.qr(t, full)[1] ** 2, [a])

    def scalar(t):
        q, r = mtf.linalg.qr(t, full)
        return mtf.reduce_sum(q * q * q) + mtf.reduce_sum(r * r * r)
    check_gradients(grad_of(scalar), [a])


@pytest.mark.parametrize("shape, full", [((2, 3), False), ((3, 2), True)])
def test_qr_gradient_unsupported_shapes_raise(shape, full):
    a = mtf.constant(RNG.standard_normal(shape))
    with mtf.GradientTape() as tape:
        tape.watch(a)
        q, r = mtf.linalg.qr(a, full)
        y = mtf.reduce_sum(q) + mtf.reduce_sum(r)
    with pytest.raises(NotImplementedError, match="qr: the gradient"):
        tape.gradient(y, a)


# ---------------------------------------------------------------- edges and errors

OPS = {
    "cholesky": lambda a: [mtf.linalg.cholesky(a)],
    "eigh": lambda a: list(mtf.linalg.eigh(a)),
    "svd": lambda a: list(mtf.linalg.svd(a)),
    "qr": lambda a: list(mtf.linalg.qr(a)),
}


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (0, 3, 3)])
def test_empty_inputs(name, shape):
    outs = OPS[name](np.zeros(shape, np.float32))
    assert all(o.dtype == mtf.float32 and 0 in o.shape for o in outs)


@pytest.mark.parametrize("name", ["svd", "qr"])
def test_empty_matrices_of_rectangular_ops(name):
    for shape in [(0, 3), (2, 3, 0)]:
        assert all(o.dtype == mtf.float64 for o in OPS[name](np.zeros(shape)))


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("value", [np.eye(2, dtype=np.int32), np.eye(2, dtype=np.float16),
                                   np.eye(2, dtype=bool)])
def test_other_dtypes_raise_type_error(name, value):
    with pytest.raises(TypeError, match=f"{name}: .*dtype {value.dtype}"):
        OPS[name](value)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("value", [2.0, [1.0, 2.0]])
def test_rank_below_two_raises(name, value):
    with pytest.raises(ValueError, match=f"{name}: .*rank >= 2"):
        OPS[name](value)


@pytest.mark.parametrize("name", ["cholesky", "eigh"])
def test_non_square_raises(name):
    with pytest.raises(ValueError, match=f"{name}: .*square.*\\(2, 3\\)"):
        OPS[name](np.ones((2, 3)))


@pytest.mark.parametrize("op", [mtf.linalg.svd, mtf.linalg.qr])
def test_flags_must_be_bools(op):
    with pytest.raises(TypeError, match="full_matrices"):
        op(np.eye(2), full_matrices="yes")


def test_svd_compute_uv_flag_checked():
    with pytest.raises(TypeError, match="compute_uv"):
        mtf.linalg.svd(np.eye(2), compute_uv=1.5)


def test_nan_inputs_never_leak_numpy_errors():
    bad = np.full((2, 2), np.nan)
    for name in OPS:
        try:
            OPS[name](bad)
        except ValueError as e:
            assert str(e).startswith(name)


def test_exported_from_ops_and_linalg():
    assert mtf.linalg.svd is mtf.ops.svd and mtf.linalg.qr is mtf.ops.qr
