"""band_part, trace, diag_part, diag, triangular_solve, inv, solve, det, slogdet:
forward against numpy.linalg, gradients against float64 central differences
(second order for the solvers and determinants), errors, shape properties."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitf as mtf
from minitf.testing import check_gradients
from _helpers import finite_difference, second_order_along

la = mtf.linalg
ALL_DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_]
FLOATS = [np.float32, np.float64]
TOL = {np.float32: 2e-4, np.float64: 1e-11}


def well_conditioned(shape, seed=0, dtype=np.float64):
    """A batch of n x n matrices Q diag(s) Q^T, s in [1, 3], plus a small skew part."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    s = rng.uniform(1, 3, shape[:-1])
    a = np.einsum("...ij,...j,...kj->...ik", q, s, q)
    skew = rng.standard_normal(shape) * 0.1
    return (a + skew - np.swapaxes(skew, -1, -2)).astype(dtype) if n else a.astype(dtype)


def values(shape, seed=0, dtype=np.float64):
    v = np.random.default_rng(seed).integers(-4, 5, shape)
    return v.astype(dtype)


def band_ref(x, lower, upper):
    m, n = x.shape[-2:]
    off = np.arange(n)[None, :] - np.arange(m)[:, None]
    keep = ((lower < 0) | (off >= -lower)) & ((upper < 0) | (off <= upper))
    return np.where(keep, x, np.zeros((), x.dtype))


def diag_ref(d, k, rows, cols, pad=0):
    out = np.full(d.shape[:-1] + (rows, cols), pad, d.dtype)
    for i in range(d.shape[-1]):
        out[..., i - min(k, 0), i + max(k, 0)] = d[..., i]
    return out


# ---------------------------------------------------------------- band_part

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("lower, upper", [(-1, 0), (0, -1), (0, 0), (1, 2), (-1, -1),
                                          (3, 1), (2, 4)])
def test_band_part_matches_numpy(dtype, lower, upper):
    x = values((2, 3, 4), dtype=dtype)
    got = la.band_part(x, lower, upper)
    assert got.dtype == dtype and got.shape == x.shape
    np.testing.assert_array_equal(got.numpy(), band_ref(x, lower, upper))


def test_band_part_causal_mask_and_tensor_bounds():
    mask = la.band_part(mtf.ones((4, 4)), -1, 0).numpy()
    np.testing.assert_array_equal(mask, np.tril(np.ones((4, 4), np.float32)))
    got = la.band_part(np.ones((3, 3)), mtf.constant(0), np.int64(1), name="band")
    np.testing.assert_array_equal(got.numpy(), np.triu(np.tril(np.ones((3, 3)), 1)))


def test_band_part_keeps_nan_outside_nothing_and_empty():
    x = np.full((2, 2), np.nan)
    assert la.band_part(x, 0, 0).numpy()[0, 1] == 0.0
    assert la.band_part(np.zeros((0, 2, 3)), 1, 1).shape == (0, 2, 3)
    assert la.band_part(np.zeros((3, 0)), 0, 0).shape == (3, 0)


def test_band_part_errors():
    with pytest.raises(ValueError, match="band_part.*rank >= 2"):
        la.band_part([1.0, 2.0], 0, 0)
    with pytest.raises(ValueError, match="band_part.*num_lower"):
        la.band_part(np.ones((2, 3)), 3, 0)
    with pytest.raises(ValueError, match="band_part.*num_upper"):
        la.band_part(np.ones((2, 3)), 0, 4)
    with pytest.raises(TypeError, match="band_part.*num_lower"):
        la.band_part(np.ones((2, 3)), 0.5, 0)


# ---------------------------------------------------------------- trace

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 4), (2, 1, 4, 2), (0, 2, 2), (2, 0, 3)])
def test_trace_matches_numpy(dtype, shape):
    x = values(shape, dtype=dtype)
    got = la.trace(x)
    want = np.trace(x, axis1=-2, axis2=-1).astype(dtype)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


def test_trace_errors():
    with pytest.raises(TypeError, match="trace.*bool"):
        la.trace(np.ones((2, 2), bool))
    with pytest.raises(ValueError, match="trace.*rank >= 2"):
        la.trace(3.0)


# ---------------------------------------------------------------- diag_part

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("k", [0, 1, 3, -1, -2])
def test_diag_part_matches_numpy(dtype, k):
    x = values((2, 3, 4), dtype=dtype)
    got = la.diag_part(x, k=k)
    want = np.diagonal(x, k, -2, -1)
    assert got.dtype == dtype and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


def test_diag_part_edges():
    assert la.diag_part(np.zeros((0, 0))).shape == (0,)
    assert la.diag_part(np.zeros((4, 2, 0)), k=0).shape == (4, 0)
    assert la.diag_part(np.ones((2, 2)), name="d", k=mtf.constant(1), padding_value=7.0
                        ).numpy().tolist() == [1.0]


def test_diag_part_errors():
    x = np.ones((2, 3))
    for k in (3, -2, 10):
        with pytest.raises(ValueError, match="diag_part.*k"):
            la.diag_part(x, k=k)
    with pytest.raises(ValueError, match="diag_part.*lo <= hi"):
        la.diag_part(x, k=(1, -1))
    with pytest.raises(ValueError, match="diag_part.*k"):
        la.diag_part(x, k=(-2, 1))
    with pytest.raises(ValueError, match="diag_part.*pair"):
        la.diag_part(x, k=[0, 1, 2])
    with pytest.raises(TypeError, match="diag_part.*k"):
        la.diag_part(x, k=1.5)
    with pytest.raises(ValueError, match="diag_part.*rank >= 2"):
        la.diag_part([1.0])
    with pytest.raises(TypeError, match="diag_part.*padding_value"):
        la.diag_part(np.ones((2, 2), np.int32), padding_value=0.5)


# ---------------------------------------------------------------- diag

@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("k", [0, 2, -1])
def test_diag_matches_reference(dtype, k):
    d = values((2, 3), dtype=dtype)
    got = la.diag(d, k=k)
    n = 3 + abs(k)
    assert got.dtype == dtype and got.shape == (2, n, n)
    np.testing.assert_array_equal(got.numpy(), diag_ref(d, k, n, n))


@pytest.mark.parametrize("k, rows, cols, want", [
    (0, 5, -1, (5, 3)), (0, -1, 4, (3, 4)), (1, -1, -1, (4, 4)), (1, 3, -1, (3, 4)),
    (1, 4, 4, (4, 4)), (-2, -1, 3, (5, 3)), (-2, -1, 6, (5, 6)), (2, 3, 5, (3, 5))])
def test_diag_sizes_and_padding_follow_tensorflow(k, rows, cols, want):
    d = np.arange(1.0, 4.0)
    got = la.diag(d, k=k, num_rows=rows, num_cols=cols, padding_value=9.0)
    assert got.shape == want
    np.testing.assert_array_equal(got.numpy(), diag_ref(d, k, *want, pad=9.0))


def test_diag_edges():
    assert la.diag(np.zeros((2, 0))).shape == (2, 0, 0)
    assert la.diag(np.zeros((0, 2)), k=1).shape == (0, 3, 3)
    assert la.diag([True, False]).dtype == np.bool_
    got = la.diag(mtf.constant([1, 2]), name="d", padding_value=mtf.constant(-1))
    assert got.numpy().tolist() == [[1, -1], [-1, 2]]


def test_diag_errors():
    with pytest.raises(ValueError, match="diag.*rank >= 1"):
        la.diag(3.0)
    with pytest.raises(ValueError, match="diag.*num_rows"):
        la.diag([1.0, 2.0], num_rows=1)
    with pytest.raises(ValueError, match="diag.*num_rows"):
        la.diag([1.0, 2.0], num_rows=3, num_cols=3)
    with pytest.raises(ValueError, match="diag.*num_rows"):
        la.diag([1.0, 2.0], num_rows=-2)
    with pytest.raises(ValueError, match="diag.*2 diagonals"):
        la.diag([[1.0, 2.0]], k=[0, 1])
    with pytest.raises(ValueError, match="diag.*rank >= 2"):
        la.diag([1.0, 2.0], k=(0, 1))
    with pytest.raises(TypeError, match="diag.*padding_value"):
        la.diag([1, 2], padding_value=1.5)
    with pytest.raises(ValueError, match="diag.*padding_value"):
        la.diag(np.array([1, 2], np.int32), padding_value=2**40)


# ---------------------------------------------------------------- k ranges

def band_ref_stack(x, lo, hi, pad=0):
    """diag_part with k=(lo, hi): diagonals hi..lo, superdiagonals right-aligned."""
    m, n = x.shape[-2:]
    length = max(0, min(m + min(hi, 0), n - max(lo, 0)))
    rows = []
    for d in range(hi, lo - 1, -1):
        v = np.diagonal(x, d, -2, -1)
        fill = np.full(v.shape[:-1] + (length - v.shape[-1],), pad, x.dtype)
        rows.append(np.concatenate([fill, v] if d > 0 else [v, fill], -1))
    return np.stack(rows, -2)


def diag_stack_ref(d, lo, hi, rows, cols, pad=0):
    out = np.full(d.shape[:-2] + (rows, cols), pad, d.dtype)
    length = d.shape[-1]
    for j, k in enumerate(range(hi, lo - 1, -1)):
        size = min(rows + min(k, 0), cols - max(k, 0))
        values = d[..., j, length - size:] if k > 0 else d[..., j, :size]
        for i in range(size):
            out[..., i - min(k, 0), i + max(k, 0)] = values[..., i]
    return out


def test_only_the_default_alignment():
    x = np.ones((2, 2))
    assert la.diag_part(x, align="RIGHT_LEFT").shape == (2,)
    with pytest.raises(NotImplementedError, match="diag_part.*RIGHT_LEFT"):
        la.diag_part(x, align="LEFT_RIGHT")
    with pytest.raises(NotImplementedError, match="diag.*RIGHT_LEFT"):
        la.diag([1.0], align="RIGHT_RIGHT")
    with pytest.raises(ValueError, match="diag.*align"):
        la.diag([1.0], align="left")


def test_k_ranges_follow_the_tensorflow_examples():
    x = np.array([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 8, 7, 6]],
                  [[5, 4, 3, 2], [1, 2, 3, 4], [5, 6, 7, 8]]])
    assert la.diag_part(x, k=(-1, 2)).numpy().tolist() == [
        [[0, 3, 8], [2, 7, 6], [1, 6, 7], [5, 8, 0]],
        [[0, 3, 4], [4, 3, 8], [5, 2, 7], [1, 6, 0]]]
    assert la.diag_part(x, k=(1, 3), padding_value=9).numpy().tolist() == [
        [[9, 9, 4], [9, 3, 8], [2, 7, 6]], [[9, 9, 2], [9, 3, 4], [4, 3, 8]]]
    diagonals = np.array([[[0, 8, 9], [1, 2, 3], [4, 5, 0]],
                          [[0, 2, 3], [6, 7, 9], [9, 1, 0]]])
    assert la.diag(diagonals, k=(-1, 1)).numpy().tolist() == [
        [[1, 8, 0], [4, 2, 9], [0, 5, 3]], [[6, 2, 0], [9, 7, 3], [0, 1, 9]]]


@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3), (5, 2), (1, 1)])
@pytest.mark.parametrize("lo, hi", [(-1, 2), (0, 1), (-2, 0), (1, 1), (-1, -1), (0, 0)])
def test_diag_part_k_ranges_match_reference(shape, lo, hi):
    x = values(shape, 2)
    m, n = shape[-2:]
    if any(k and not -m < k < n for k in (lo, hi)):
        return
    got = la.diag_part(x, k=(lo, hi), padding_value=-7.0)
    want = band_ref_stack(x, lo, hi, -7.0)
    np.testing.assert_array_equal(got.numpy(), want[..., 0, :] if lo == hi else want)
    k = mtf.constant([lo, hi])
    assert la.diag_part(x, k=k).shape == got.shape


@pytest.mark.parametrize("lo, hi, rows, cols", [(-1, 2, -1, -1), (0, 2, 3, -1),
                                                (-2, 1, -1, 5), (1, 3, -1, -1),
                                                (-3, -1, -1, -1), (-1, 1, 3, 3)])
def test_diag_k_ranges_match_reference_and_invert_diag_part(lo, hi, rows, cols):
    d = values((2, hi - lo + 1, 3), 3)
    got = la.diag(d, k=(lo, hi), num_rows=rows, num_cols=cols, padding_value=0.5)
    m, n = got.shape[-2:]
    np.testing.assert_array_equal(got.numpy(), diag_stack_ref(d, lo, hi, m, n, 0.5))
    back = la.diag_part(got, k=(lo, hi), padding_value=0.5).numpy()
    np.testing.assert_array_equal(back, band_ref_stack(got.numpy(), lo, hi, 0.5))


@pytest.mark.parametrize("lo, hi", [(-1, 2), (0, 1), (-2, -1)])
def test_k_range_gradients(lo, hi):
    check_gradients(lambda t: la.diag_part(t, k=(lo, hi), padding_value=3.0),
                    [values((2, 3, 4), 4)])
    check_gradients(lambda t: la.diag(t, k=(lo, hi), padding_value=3.0),
                    [values((2, hi - lo + 1, 3), 5)])


# ---------------------------------------------------------------- shape properties

_SHAPES = st.lists(st.integers(0, 3), min_size=2, max_size=4).map(tuple)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(shape=_SHAPES, data=st.data())
def test_structure_op_shapes(shape, data):
    x = values(shape)
    m, n = shape[-2:]
    lower = data.draw(st.integers(-1, m))
    upper = data.draw(st.integers(-1, n))
    np.testing.assert_array_equal(la.band_part(x, lower, upper).numpy(),
                                  band_ref(x, lower, upper))
    assert la.trace(x).shape == shape[:-2]
    k = data.draw(st.integers(1 - m, n - 1)) if m and n else 0
    part = la.diag_part(x, k=k)
    np.testing.assert_array_equal(part.numpy(), np.diagonal(x, k, -2, -1))
    back = la.diag(part, k=k, num_rows=m, num_cols=n)
    np.testing.assert_array_equal(back.numpy(), diag_ref(part.numpy(), k, m, n))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(shape=st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple),
       k=st.integers(-3, 3))
def test_diag_then_diag_part_round_trips(shape, k):
    d = values(shape, 1)
    out = la.diag(d, k=k)
    n = shape[-1] + abs(k)
    assert out.shape == shape[:-1] + (n, n)
    if shape[-1] or not k:          # else k is out of range for the 1 x 1 or 2 x 2 result
        np.testing.assert_array_equal(la.diag_part(out, k=k).numpy(), d)
    assert la.trace(out).shape == shape[:-1]


# ---------------------------------------------------------------- solvers: forward

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("adjoint", [False, True])
def test_inv_and_solve_match_numpy(dtype, adjoint):
    a = well_conditioned((2, 3, 3), dtype=dtype)
    rhs = values((2, 3, 2), 1, dtype)
    at = np.swapaxes(a, -1, -2) if adjoint else a
    got = la.inv(a, adjoint=adjoint)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.numpy(), np.linalg.inv(at), rtol=TOL[dtype])
    got = la.solve(a, rhs, adjoint=adjoint)
    assert got.dtype == dtype and got.shape == (2, 3, 2)
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(at, rhs), rtol=TOL[dtype],
                               atol=TOL[dtype])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
def test_triangular_solve_reads_only_its_triangle(dtype, lower, adjoint):
    a = well_conditioned((2, 4, 4), 2, dtype)
    rhs = values((2, 4, 3), 3, dtype)
    tri = np.tril(a) if lower else np.triu(a)
    tri = np.swapaxes(tri, -1, -2) if adjoint else tri
    got = la.triangular_solve(a, rhs, lower=lower, adjoint=adjoint)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.numpy(), np.linalg.solve(tri, rhs), rtol=TOL[dtype],
                               atol=TOL[dtype])


@pytest.mark.parametrize("a_batch, b_batch, out", [((2, 1), (3,), (2, 3)),
                                                   ((), (2,), (2,)), ((2,), (), (2,))])
def test_triangular_solve_broadcasts_batch_axes(a_batch, b_batch, out):
    a = well_conditioned(a_batch + (3, 3))
    rhs = values(b_batch + (3, 2))
    got = la.triangular_solve(a, rhs)
    want = np.linalg.solve(np.broadcast_to(np.tril(a), out + (3, 3)),
                           np.broadcast_to(rhs, out + (3, 2)))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-11, atol=1e-12)


def test_triangular_solve_of_a_zero_diagonal_is_inf_quietly():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = la.triangular_solve([[0.0, 0.0], [1.0, 1.0]], [[1.0], [1.0]]).numpy()
    assert np.isinf(got[0, 0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_det_and_slogdet_match_numpy(dtype):
    a = well_conditioned((3, 2, 4, 4), 4, dtype)
    a[0, 0, 0] *= -1.0
    got = la.det(a)
    assert got.dtype == dtype and got.shape == (3, 2)
    np.testing.assert_allclose(got.numpy(), np.linalg.det(a), rtol=TOL[dtype])
    sign, log_abs = la.slogdet(a)
    want_sign, want_log = np.linalg.slogdet(a)
    assert sign.dtype == log_abs.dtype == dtype
    np.testing.assert_array_equal(sign.numpy(), want_sign)
    np.testing.assert_allclose(log_abs.numpy(), want_log, rtol=TOL[dtype])


def test_singular_matrices():
    singular = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])
    for call in (lambda: la.inv(singular), lambda: la.solve(singular, np.ones((2, 2, 1)))):
        with pytest.raises(ValueError, match="(inv|solve).*not invertible"):
            call()
    assert la.det(np.zeros((3, 3))).numpy() == 0.0
    sign, log_abs = la.slogdet(np.zeros((2, 3, 3)))
    np.testing.assert_array_equal(sign.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(log_abs.numpy(), [-np.inf, -np.inf])


def test_nan_inputs_never_raise_numpy_errors():
    nan = np.full((2, 2), np.nan)
    for call in (la.inv, la.det, la.slogdet, lambda a: la.solve(a, np.ones((2, 1))),
                 lambda a: la.triangular_solve(a, np.ones((2, 1)))):
        try:
            call(nan)
        except ValueError as e:
            assert "not invertible" in str(e)


def test_empty_and_zero_size_matrices():
    assert la.inv(np.zeros((0, 3, 3))).shape == (0, 3, 3)
    assert la.det(np.zeros((0, 0))).numpy() == 1.0
    assert la.det(np.zeros((2, 0, 0), np.float32)).numpy().tolist() == [1.0, 1.0]
    assert la.solve(np.zeros((0, 2, 2)), np.zeros((0, 2, 3))).shape == (0, 2, 3)
    assert la.triangular_solve(np.eye(2), np.zeros((2, 0))).shape == (2, 0)
    sign, log_abs = la.slogdet(np.zeros((0, 0)))
    assert (sign.numpy(), log_abs.numpy()) == (1.0, 0.0)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "solve", "triangular_solve"])
@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.int64, np.bool_])
def test_solvers_refuse_other_dtypes(name, dtype):
    a = np.eye(2).astype(dtype)
    call = (lambda: getattr(la, name)(a, a)) if "solve" in name else (
        lambda: getattr(la, name)(a))
    with pytest.raises(TypeError, match=f"{name}.*{np.dtype(dtype).name}"):
        call()


def test_solver_shape_errors():
    with pytest.raises(ValueError, match="inv.*square"):
        la.inv(np.ones((2, 3)))
    with pytest.raises(ValueError, match="det.*rank >= 2"):
        la.det([1.0, 2.0])
    with pytest.raises(ValueError, match="solve.*rows"):
        la.solve(np.eye(2), np.ones((3, 1)))
    with pytest.raises(ValueError, match="solve.*batch axes.*equal"):
        la.solve(np.stack([np.eye(2)] * 2), np.ones((1, 2, 1)))
    with pytest.raises(ValueError, match="triangular_solve.*broadcast"):
        la.triangular_solve(np.stack([np.eye(2)] * 2), np.ones((3, 2, 1)))
    with pytest.raises(TypeError, match="solve.*same dtype"):
        la.solve(np.eye(2), np.ones((2, 1), np.float32))
    with pytest.raises(TypeError, match="inv.*adjoint"):
        la.inv(np.eye(2), adjoint=1)
    with pytest.raises(TypeError, match="triangular_solve.*lower"):
        la.triangular_solve(np.eye(2), np.ones((2, 1)), lower=None)


# ---------------------------------------------------------------- gradients

A = well_conditioned((2, 3, 3), 7)
RHS = values((2, 3, 2), 8)


@pytest.mark.parametrize("adjoint", [False, True])
def test_inv_and_solve_gradients(adjoint):
    check_gradients(lambda a: la.inv(a, adjoint=adjoint), [A])
    check_gradients(lambda a, b: la.solve(a, b, adjoint=adjoint), [A, RHS])


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("adjoint", [False, True])
def test_triangular_solve_gradient_keeps_the_triangle(lower, adjoint):
    check_gradients(lambda a, b: la.triangular_solve(a, b, lower, adjoint), [A, RHS])
    check_gradients(lambda a, b: la.triangular_solve(a, b, lower, adjoint),
                    [A[0], values((2, 1, 3, 2), 9)])
    a = mtf.constant(A)
    with mtf.GradientTape() as tape:
        tape.watch(a)
        y = mtf.reduce_sum(la.triangular_solve(a, RHS, lower, adjoint))
    g = tape.gradient(y, a).numpy()
    outside = np.triu(g, 1) if lower else np.tril(g, -1)
    assert not outside.any()


def test_det_and_slogdet_gradients():
    check_gradients(la.det, [A])
    check_gradients(lambda a: la.slogdet(a)[1], [A])
    flipped = A * np.array([-1.0, 1.0])[:, None, None]
    check_gradients(lambda a: la.slogdet(a)[1], [flipped])


@pytest.mark.parametrize("k", [0, 1, -2])
def test_structure_gradients(k):
    x = values((2, 3, 4), 5)
    check_gradients(lambda t: la.band_part(t, 1, 0), [x])
    check_gradients(la.trace, [x])
    check_gradients(lambda t: la.diag_part(t, k=k), [x])
    check_gradients(lambda t: la.diag(t, k=k, padding_value=1.0), [values((2, 3), 6)])
    check_gradients(lambda t: la.diag(t, k=k, num_rows=5, num_cols=3 + max(k, 0)),
                    [values((2, 3), 6)])


def test_integer_structure_ops_have_no_gradient():
    x = mtf.constant(np.ones((2, 2), np.int32))
    with mtf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="no gradient"):
            tape.watch(x)
        y = la.trace(la.band_part(x, 0, 0))
    assert tape.gradient(y, x) is None


SECOND_ORDER = {
    "inv": lambda a: mtf.reduce_sum(mtf.sin(la.inv(a))),
    "inv_adjoint": lambda a: mtf.reduce_sum(mtf.sin(la.inv(a, adjoint=True))),
    "solve": lambda a: mtf.reduce_sum(mtf.sin(la.solve(a, RHS))),
    "solve_adjoint": lambda a: mtf.reduce_sum(mtf.sin(la.solve(a, RHS, adjoint=True))),
    "det": lambda a: mtf.reduce_sum(la.det(a) ** 2),
    "slogdet": lambda a: mtf.reduce_sum(la.slogdet(a)[1] ** 2),
    "triangular_solve": lambda a: mtf.reduce_sum(mtf.sin(la.triangular_solve(a, RHS))),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_order_matches_differenced_gradients(name):
    direction = np.random.default_rng(3).standard_normal(A.shape)
    hv, numeric = second_order_along(SECOND_ORDER[name], A, direction, 1e-5)
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-6)


def test_solve_gradient_of_the_right_hand_side_only():
    b = mtf.constant(RHS)
    with mtf.GradientTape() as tape:
        tape.watch(b)
        y = mtf.reduce_sum(la.solve(mtf.constant(A), b))
    want = finite_difference(lambda r: np.sum(np.linalg.solve(A, r)), RHS)
    np.testing.assert_allclose(tape.gradient(y, b).numpy(), want, rtol=1e-6, atol=1e-8)


def test_float32_gradients_stay_float32():
    a = mtf.constant(A.astype(np.float32))
    with mtf.GradientTape() as tape:
        tape.watch(a)
        y = mtf.reduce_sum(la.inv(a)) + mtf.reduce_sum(la.det(a)) + la.slogdet(a)[1][0]
    assert tape.gradient(y, a).dtype == np.float32
