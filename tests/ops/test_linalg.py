"""matmul, einsum, tensordot, norm: values against numpy, gradients against finite
differences and closed forms, errors naming the op and the shapes."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
from minitf.ops import linalg
from minitf.testing import check_gradients
from _helpers import hessian

RNG = np.random.default_rng(1)


def _randn(*shape):
    return RNG.standard_normal(shape)


def _t(m, flag):
    return np.swapaxes(m, -1, -2) if flag else m


# ---------------------------------------------------------------- matmul

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),              # plain matrices
    ((2, 3, 4), (2, 4, 5)),        # equal batches
    ((2, 3, 4), (4, 5)),           # b broadcast over a's batch
    ((3, 4), (2, 4, 5)),           # a broadcast over b's batch
    ((2, 1, 3, 4), (5, 4, 6)),     # size-1 and missing batch axes in a and b
    ((1, 3, 4), (2, 1, 4, 2)),     # b broadcast in both directions
]


@pytest.mark.parametrize("transpose_a", [False, True])
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_values_and_gradients(transpose_a, transpose_b, shapes):
    a = _t(_randn(*shapes[0]), transpose_a).copy()
    b = _t(_randn(*shapes[1]), transpose_b).copy()
    got = mtf.matmul(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
    np.testing.assert_allclose(got.numpy(), _t(a, transpose_a) @ _t(b, transpose_b),
                               rtol=1e-12)
    check_gradients(lambda x, y: mtf.matmul(x, y, transpose_a=transpose_a,
                                            transpose_b=transpose_b), [a, b])


def test_matmul_gradient_closed_form():
    a, b, g = _randn(3, 4), _randn(4, 5), _randn(3, 5)
    ta, tb = mtf.constant(a), mtf.constant(b)
    with mtf.GradientTape() as tape:
        tape.watch([ta, tb])
        y = ta @ tb
    ga, gb = tape.gradient(y, [ta, tb], output_gradients=g)
    np.testing.assert_allclose(ga.numpy(), g @ b.T)
    np.testing.assert_allclose(gb.numpy(), a.T @ g)


def test_matmul_batch_gradient_is_summed_over_broadcast_batch():
    a, b = _randn(2, 3, 4), _randn(4, 5)
    tb = mtf.constant(b)
    with mtf.GradientTape() as tape:
        tape.watch(tb)
        y = mtf.reduce_sum(mtf.matmul(a, tb))
    # d/db sum(a @ b) = sum over batch and rows of a, repeated along b's columns.
    want = np.repeat(a.sum(axis=(0, 1))[:, None], 5, axis=1)
    np.testing.assert_allclose(tape.gradient(y, tb).numpy(), want)


@pytest.mark.parametrize("adjoint_a", [False, True])
@pytest.mark.parametrize("adjoint_b", [False, True])
def test_matmul_adjoint_equals_transpose_for_real(adjoint_a, adjoint_b):
    a, b = _randn(2, 4, 3), _randn(2, 5, 4)
    a = a if adjoint_a else np.swapaxes(a, -1, -2).copy()
    b = b if adjoint_b else np.swapaxes(b, -1, -2).copy()
    got = mtf.matmul(a, b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)
    np.testing.assert_allclose(got.numpy(), _t(a, adjoint_a) @ _t(b, adjoint_b))
    check_gradients(lambda x, y: mtf.matmul(x, y, adjoint_a=adjoint_a,
                                            adjoint_b=adjoint_b), [a, b])


def test_matmul_operator_dtypes_and_integers():
    a32, b32 = _randn(2, 3).astype(np.float32), _randn(3, 2).astype(np.float32)
    got = mtf.constant(a32) @ mtf.constant(b32)
    assert got.dtype == mtf.float32
    np.testing.assert_allclose(got.numpy(), a32 @ b32, rtol=1e-6)
    ints = mtf.matmul(np.array([[1, 2]], np.int32), np.array([[3], [4]], np.int32))
    assert ints.dtype == mtf.int32 and ints.numpy().tolist() == [[11]]


@pytest.mark.parametrize("watch,calls", [("a", 1), ("b", 1), ("ab", 2)])
def test_matmul_gradient_computes_only_what_is_needed(monkeypatch, watch, calls):
    original = linalg._product
    count = []

    def counting(*args, **kwargs):
        count.append(1)
        return original(*args, **kwargs)
    a, b = mtf.constant(_randn(3, 4)), mtf.constant(_randn(4, 2))
    with mtf.GradientTape() as tape:
        tape.watch([t for name, t in (("a", a), ("b", b)) if name in watch])
        y = linalg.matmul(a, b)
    monkeypatch.setattr(linalg, "_product", counting)  # what the gradient rule calls
    tape.gradient(y, [a, b])
    assert len(count) == calls


def test_matmul_second_derivative():
    h = hessian(lambda x: mtf.reduce_sum(mtf.matmul(x, x)), _randn(2, 2))
    # f = sum_pqr x_pq x_qr, so d2f / dx_ij dx_kl = [j == k] + [l == i].
    want = np.zeros((2, 2, 2, 2))
    for i, j, k, m in np.ndindex(2, 2, 2, 2):
        want[i, j, k, m] = (j == k) + (m == i)
    np.testing.assert_allclose(h, want)


@pytest.mark.parametrize("lead", [(2,), (2, 3), (0,), (3, 1, 2)])
@pytest.mark.parametrize("transpose_b", [False, True])
def test_matmul_of_a_batch_by_a_matrix_is_one_product(lead, transpose_b):
    """rank > 2 times a matrix runs as one 2-D product; b's gradient is a^T g over all
    rows at once (not a batch of products summed)."""
    a = _randn(*lead, 3, 4)
    b = _t(_randn(4, 5), transpose_b).copy()
    g = _randn(*lead, 3, 5)
    ta, tb = mtf.constant(a), mtf.constant(b)
    with mtf.GradientTape() as tape:
        tape.watch([ta, tb])
        y = mtf.matmul(ta, tb, transpose_b=transpose_b)
    bm = _t(b, transpose_b)
    np.testing.assert_allclose(y.numpy(), a @ bm, rtol=1e-12, atol=1e-12)
    ga, gb = tape.gradient(y, [ta, tb], output_gradients=g)
    rows_a, rows_g = a.reshape(-1, 4), g.reshape(-1, 5)
    np.testing.assert_allclose(ga.numpy(), g @ bm.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb.numpy(), _t(rows_a.T @ rows_g, transpose_b), rtol=1e-12,
                               atol=1e-12)
    if 0 not in lead:
        check_gradients(lambda x, w: mtf.matmul(x, w, transpose_b=transpose_b), [a, b])


def test_matmul_of_a_batch_by_a_matrix_second_order_and_views():
    a = _randn(4, 3, 2).transpose(1, 0, 2)          # not C-contiguous
    b = _randn(2, 2)
    np.testing.assert_allclose(mtf.matmul(a, b).numpy(), a @ b, rtol=1e-12)
    h = hessian(lambda x: mtf.reduce_sum(mtf.square(mtf.matmul(x, b))), _randn(2, 1, 2))
    # f = sum_r |x_r b|^2 over rows r, so d2f / dx_ri dx_sj = 2 [r == s] (b b^T)_ij.
    np.testing.assert_allclose(h.reshape(4, 4), np.kron(2 * np.eye(2), b @ b.T), rtol=1e-12)


def test_matmul_of_a_batch_by_a_matrix_mismatch():
    with pytest.raises(ValueError, match=r"matmul: inner dimensions do not match: a has shape "
                                         r"\(2, 3, 4\) and b has shape \(5, 6\), so 4 != 5"):
        mtf.matmul(np.ones((2, 3, 4)), np.ones((5, 6)))
    with pytest.raises(ValueError, match=r"b has shape \(6, 5\) \(transposed\), so 4 != 5"):
        mtf.matmul(np.ones((2, 3, 4)), np.ones((6, 5)), transpose_b=True)


@pytest.mark.parametrize("a,b,pattern", [
    ((3,), (3, 2), r"matmul: both operands need rank >= 2, but a has shape \(3,\)"),
    ((2, 3), (3,), r"matmul: both operands need rank >= 2, but b has shape \(3,\)"),
    ((2, 3), (4, 5), r"matmul: inner dimensions do not match: a has shape \(2, 3\) and "
                     r"b has shape \(4, 5\), so 3 != 4"),
    ((2, 2, 3), (3, 3, 5), r"matmul: batch dimensions \(2,\) and \(3,\) cannot be "
                           r"broadcast.*\(2, 2, 3\).*\(3, 3, 5\)"),
])
def test_matmul_shape_errors(a, b, pattern):
    with pytest.raises(ValueError, match=pattern):
        mtf.matmul(np.ones(a), np.ones(b))


def test_matmul_transposed_mismatch_names_transpose():
    with pytest.raises(ValueError, match=r"a has shape \(2, 3\) \(transposed\).*2 != 3"):
        mtf.matmul(np.ones((2, 3)), np.ones((3, 4)), transpose_a=True)


def test_matmul_type_errors():
    with pytest.raises(TypeError, match=r"matmul: cannot mix dtypes float32 and float64"):
        mtf.matmul(np.ones((2, 2), np.float32), np.ones((2, 2)))
    with pytest.raises(TypeError, match=r"matmul: bool operands.*\(2, 2\)"):
        mtf.matmul(np.ones((2, 2), bool), np.ones((2, 2), bool))
    with pytest.raises(ValueError, match=r"matmul: transpose_a and adjoint_a"):
        mtf.matmul(np.ones((2, 2)), np.ones((2, 2)), transpose_a=True, adjoint_a=True)


@st.composite
def _broadcast_batches(draw):
    batch = draw(st.lists(st.integers(1, 3), max_size=3))
    def operand_batch():
        dropped = draw(st.integers(0, len(batch)))
        return [1 if draw(st.booleans()) else n for n in batch[dropped:]]
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    return (tuple(operand_batch()) + (m, k), tuple(operand_batch()) + (k, n),
            draw(st.integers(0, 2**16)))


@given(_broadcast_batches())
def test_property_matmul_broadcast_batches(case):
    sa, sb, seed = case
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    np.testing.assert_allclose(mtf.matmul(a, b).numpy(), np.matmul(a, b), rtol=1e-12,
                               atol=1e-12)
    check_gradients(mtf.matmul, [a, b])


# ---------------------------------------------------------------- einsum

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),              # matmul
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),     # batch matmul
    ("i,j->ij", [(3,), (4,)]),                    # outer product
    ("ij->ji", [(2, 3)]),                         # transpose
    ("ij->j", [(2, 3)]),                          # column sums
    ("ijk->", [(2, 3, 2)]),                       # total sum
    ("i,i->", [(4,), (4,)]),                      # dot product
    ("ij,j->i", [(2, 3), (3,)]),                  # matrix-vector
    ("ij,j->i", [(2, 3), (1,)]),                  # size-1 broadcast of a subscript
    ("ij,kl->", [(2, 3), (4, 2)]),                # both operands summed out
    ("bij,jk", [(2, 2, 3), (3, 4)]),              # implicit output
    ("...ij,...jk->...ik", [(1, 2, 3), (5, 3, 4)]),  # ellipsis with broadcasting
    ("...i,i", [(2, 3, 4), (4,)]),                # implicit output with ellipsis
    ("abc,cd,de->ae", [(2, 3, 4), (4, 5), (5, 2)]),  # three operands
    (" ij , jk -> ki ", [(2, 3), (3, 2)]),        # spaces
]


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_values_and_gradients(equation, shapes):
    xs = [_randn(*s) for s in shapes]
    got = mtf.einsum(equation, *xs)
    want = np.einsum(equation, *xs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    check_gradients(lambda *args: mtf.einsum(equation, *args), xs)


def test_einsum_float32():
    x, y = _randn(2, 3).astype(np.float32), _randn(3).astype(np.float32)
    got = mtf.einsum("ij,j->i", x, y)
    assert got.dtype == mtf.float32
    np.testing.assert_allclose(got.numpy(), x @ y, rtol=1e-6)


def test_einsum_quadratic_formhessian():
    a = _randn(3, 3)
    got = hessian(lambda x: mtf.einsum("i,ij,j->", x, a, x), _randn(3))
    np.testing.assert_allclose(got, a + a.T)


@pytest.mark.parametrize("equation,shapes,exc,pattern", [
    ("ii->i", [(3, 3)], ValueError, r"subscript repeated within operand 'ii'"),
    ("ij,jk->ik", [(2, 3)], ValueError, r"has 2 operand\(s\), but 1 were given"),
    ("ij,jk->ik", [(2, 3), (4, 5)], ValueError, r"subscript 'j' has sizes 3 and 4"),
    ("ijk->i", [(2, 3)], ValueError, r"'ijk' do not match the rank 2.*\(2, 3\)"),
    ("ij->ik", [(2, 3)], ValueError, r"output subscripts 'ik' must be distinct"),
    ("ij->ii", [(2, 3)], ValueError, r"output subscripts 'ii' must be distinct"),
    ("i1->i", [(2, 3)], ValueError, r"subscripts must be letters.*'i1'"),
    ("...i->i", [(2, 3)], ValueError, r"'\.\.\.' stands for 1 axes.*must contain"),
])
def test_einsum_bad_equations(equation, shapes, exc, pattern):
    with pytest.raises(exc, match=r"einsum: equation .* with operand shapes \[.*\]: .*"
                                  + pattern):
        mtf.einsum(equation, *[np.ones(s) for s in shapes])


def test_einsum_type_errors():
    with pytest.raises(TypeError, match=r"einsum: operands must share one dtype.*float32"):
        mtf.einsum("i,i->", np.ones(2, np.float32), np.ones(2))
    with pytest.raises(TypeError, match=r"einsum: equation must be a string"):
        mtf.einsum(3, np.ones(2))
    with pytest.raises(TypeError, match=r"tensordot: operands must share one dtype.*float32"):
        mtf.tensordot(np.ones(2, np.float32), np.ones(2), 1)


# ---------------------------------------------------------------- tensordot

TENSORDOTS = [
    (1, (2, 3), (3, 4)),
    (2, (2, 3, 4), (3, 4, 5)),
    (0, (2,), (3,)),
    ([1, 0], (2, 3), (3, 2)),
    ([[0, 2], [1, 0]], (2, 3, 4), (4, 2, 5)),
    ([[-1], [-2]], (2, 3), (3, 2)),
]


@pytest.mark.parametrize("axes,sa,sb", TENSORDOTS, ids=str)
def test_tensordot_values_and_gradients(axes, sa, sb):
    a, b = _randn(*sa), _randn(*sb)
    np.testing.assert_allclose(mtf.tensordot(a, b, axes).numpy(), np.tensordot(a, b, axes),
                               rtol=1e-12)
    check_gradients(lambda x, y: mtf.tensordot(x, y, axes), [a, b])


@pytest.mark.parametrize("axes,sb,pattern", [
    (1, (4, 2), r"tensordot: axis 1 of a \(shape \(2, 3\)\) has size 3 but axis 0 of b "
                r"\(shape \(4, 2\)\) has size 4"),
    (3, (3, 2), r"tensordot: axes=3 must be in \[0, 2\] for shapes \(2, 3\) and \(3, 2\)"),
    ([[0, 1], [0]], (3, 2), r"tensordot: axes .* give 2 axes of a and 1 of b"),
    ([[5], [0]], (3, 2), r"tensordot: axis 5 is out of range"),
])
def test_tensordot_errors(axes, sb, pattern):
    with pytest.raises(ValueError, match=pattern):
        mtf.tensordot(np.ones((2, 3)), np.ones(sb), axes)


# ---------------------------------------------------------------- norm

X = _randn(3, 4, 5)


def _numpy_norm(x, ord, axis, keepdims):
    np_ord = None if ord in ("euclidean", "fro") else ord
    if axis is None:
        value = np.linalg.norm(x.reshape(-1), np_ord)
        return value.reshape((1,) * x.ndim) if keepdims else value
    return np.linalg.norm(x, np_ord, axis=axis, keepdims=keepdims)


NORMS = [("euclidean", None), (2, None), (1, None), (np.inf, None), (3, None),
         ("euclidean", 1), (2, -1), (1, 0), (np.inf, 2), (0.5, 1),
         ("fro", (0, 2)), ("euclidean", (1, 2)), (1, (1, 2)), (1, (2, 0)),
         (np.inf, (0, 1)), (np.inf, (2, 1)), (2, (1, 2)), (2, (2, 0))]


@pytest.mark.parametrize("ord,axis", NORMS, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_values_and_gradients(ord, axis, keepdims):
    got = mtf.norm(X, ord=ord, axis=axis, keepdims=keepdims)
    want = _numpy_norm(X, ord, axis, keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    check_gradients(lambda x: mtf.norm(x, ord=ord, axis=axis, keepdims=keepdims), [X])


def test_norm_float32_and_closed_form_gradient():
    x = np.array([3.0, -4.0], np.float32)
    assert mtf.norm(x).dtype == mtf.float32 and float(mtf.norm(x)) == 5.0
    t = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = mtf.norm(t)
    np.testing.assert_allclose(tape.gradient(y, t).numpy(), [0.6, -0.8])


def test_euclidean_norm_gradient_is_zero_at_zero():
    x = np.zeros((2, 3))
    x[1] = [1.0, 2.0, 2.0]
    t = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = mtf.norm(t, axis=1)
    np.testing.assert_allclose(y.numpy(), [0.0, 3.0])
    np.testing.assert_allclose(tape.gradient(y, t).numpy(),
                               [[0, 0, 0], [1 / 3, 2 / 3, 2 / 3]])


def test_euclidean_norm_second_derivative():
    x = _randn(3)
    r = np.linalg.norm(x)
    np.testing.assert_allclose(hessian(mtf.norm, x),
                               (np.eye(3) - np.outer(x, x) / r**2) / r, rtol=1e-10)


def test_spectral_norm_second_derivative_raises():
    with pytest.raises(NotImplementedError, match=r"norm: second derivatives .*ord=2"):
        hessian(lambda x: mtf.norm(x, ord=2, axis=(0, 1)), _randn(2, 2))


@pytest.mark.parametrize("ord,axis,pattern", [
    ("fro", None, r"unsupported ord='fro'.*\(3, 4, 5\).*vector norms"),
    (0, 1, r"unsupported ord=0.*vector norms"),
    (-1, None, r"unsupported ord=-1"),
    (3, (0, 1), r"unsupported ord=3.*matrix norms"),
    ("nuc", (0, 1), r"unsupported ord='nuc'"),
    (2, (0, 1, 2), r"axis must be None, an int or a pair"),
    (2, 3, r"axis 3 is out of range for a tensor of rank 3"),
    (2, (1, 1), r"repeated axis"),
])
def test_norm_errors(ord, axis, pattern):
    with pytest.raises(ValueError, match=r"norm: " + pattern):
        mtf.norm(X, ord=ord, axis=axis)


def test_norm_rejects_integers():
    with pytest.raises(TypeError, match=r"norm: expected a floating-point tensor.*int32"):
        mtf.norm(np.array([3, 4], np.int32))


def test_matmul_flags_may_be_numpy_bools():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = mtf.matmul(mtf.constant(a), mtf.constant(a), transpose_a=np.True_,
                     transpose_b=np.False_)
    np.testing.assert_array_equal(got.numpy(), a.T @ a)
