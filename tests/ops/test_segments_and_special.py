"""log_sigmoid, xlogy, divide_no_nan, segment_sum, unsorted_segment_sum: forward
against numpy, gradients against central differences (TensorFlow's rules at the
guarded points), errors, shape properties."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitf as mtf
from _helpers import finite_difference, hessian
from minitf.testing import check_gradients

m = mtf.math
FLOATS = [np.float16, np.float32, np.float64]
NUMBERS = [np.int32, np.int64, np.float32, np.float64]


def grads(fn, *values):
    """Tape gradients of sum(fn(*tensors)) w.r.t. every float64 argument."""
    ts = [mtf.constant(np.asarray(v, np.float64)) for v in values]
    with mtf.GradientTape() as tape:
        tape.watch(ts)
        y = mtf.reduce_sum(fn(*ts))
    return [g.numpy() for g in tape.gradient(y, ts)]


# ---------------------------------------------------------------- references

def log_sigmoid_ref(x):
    return -np.logaddexp(0, -np.asarray(x, np.float64))


def xlogy_ref(x, y):
    x, y = np.broadcast_arrays(np.float64(x), np.float64(y))
    with np.errstate(all="ignore"):
        return np.where(x == 0, 0.0, x * np.log(y))


def divide_no_nan_ref(x, y):
    x, y = np.broadcast_arrays(np.float64(x), np.float64(y))
    with np.errstate(all="ignore"):
        return np.where(y == 0, 0.0, x / y)


def segment_ref(data, ids, n):
    """Rows of data added at ids (negatives dropped) into n rows, with np.add.at."""
    data, ids = np.asarray(data), np.asarray(ids)
    rows = data.reshape((ids.size,) + data.shape[ids.ndim:])
    flat = ids.reshape(-1)
    out = np.zeros((n,) + data.shape[ids.ndim:], data.dtype)
    np.add.at(out, flat[flat >= 0], rows[flat >= 0])
    return out


# ---------------------------------------------------------------- log_sigmoid

@pytest.mark.parametrize("dtype", FLOATS)
def test_log_sigmoid_matches_numpy(dtype):
    x = np.array([-1e4, -50.0, -3.0, -0.5, 0.0, 0.5, 3.0, 50.0, 1e4], dtype)
    got = m.log_sigmoid(x)
    assert got.dtype == dtype and got.shape == x.shape
    tol = 1e-3 if dtype == np.float16 else 1e-6
    np.testing.assert_allclose(got.numpy(), log_sigmoid_ref(x), rtol=tol, atol=tol)


def test_log_sigmoid_edges_are_quiet():
    x = np.array([np.inf, -np.inf, np.nan, 0.0])
    with np.errstate(all="raise"):
        got = m.log_sigmoid(x, name="ls").numpy()
    np.testing.assert_array_equal(got, [0.0, -np.inf, np.nan, -np.log(2.0)])
    assert m.log_sigmoid(np.zeros((0, 3))).shape == (0, 3)
    assert m.log_sigmoid(np.float32(1.0)).shape == ()


def test_log_sigmoid_errors():
    with pytest.raises(TypeError, match="log_sigmoid: expected a floating-point"):
        m.log_sigmoid([1, 2])
    with pytest.raises(TypeError, match="log_sigmoid"):
        m.log_sigmoid([True])


def test_log_sigmoid_gradients():
    x = np.array([[-30.0, -2.0, -0.3], [0.0, 1.7, 25.0]])
    np.testing.assert_allclose(grads(m.log_sigmoid, x)[0],
                               finite_difference(lambda v: log_sigmoid_ref(v).sum(), x),
                               rtol=1e-6, atol=1e-8)
    check_gradients(m.log_sigmoid, [x])
    h = hessian(lambda t: mtf.reduce_sum(m.log_sigmoid(t)), x.reshape(-1))
    s = 1 / (1 + np.exp(-x.reshape(-1)))
    np.testing.assert_allclose(h, np.diag(-s * (1 - s)), atol=1e-12)


# ---------------------------------------------------------------- xlogy

X_XLOGY = np.array([0.0, 0.0, 0.0, 1.5, -2.0, 3.0, 0.0, 1.0])
Y_XLOGY = np.array([0.0, np.nan, -1.0, 2.0, 0.5, 0.0, np.inf, -1.0])


@pytest.mark.parametrize("dtype", FLOATS)
def test_xlogy_matches_numpy(dtype):
    x, y = X_XLOGY.astype(dtype), Y_XLOGY.astype(dtype)
    with np.errstate(all="raise"):
        got = m.xlogy(x, y)
    assert got.dtype == dtype
    tol = 1e-3 if dtype == np.float16 else 1e-6
    np.testing.assert_allclose(got.numpy(), xlogy_ref(x, y), rtol=tol, equal_nan=True)


@pytest.mark.parametrize("op, ref", [(m.xlogy, xlogy_ref),
                                     (m.divide_no_nan, divide_no_nan_ref)])
@pytest.mark.parametrize("xs, ys", [((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)),
                                    ((), (2, 3)), ((0, 3), (3,))])
def test_guarded_binary_ops_broadcast(op, ref, xs, ys):
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, xs).astype(np.float32)
    y = rng.integers(-1, 3, ys).astype(np.float32)
    got = op(x, y)
    assert got.shape == np.broadcast_shapes(xs, ys) and got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), ref(x, y), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("op, ref", [(m.xlogy, xlogy_ref),
                                     (m.divide_no_nan, divide_no_nan_ref)])
def test_guarded_binary_ops_take_python_scalars(op, ref):
    v = np.array([0.0, 0.5, 2.0], np.float32)
    for x, y in [(v, 2.0), (2.0, v), (0.0, v), (v, 0), (v, 3), (3.0, 4.0)]:
        got = op(x, y)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), ref(x, y), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("op", [m.xlogy, m.divide_no_nan], ids=lambda o: o.__name__)
def test_guarded_binary_op_errors(op):
    name = op.__name__
    with pytest.raises(TypeError, match=f"{name}: expected floating-point operands"):
        op([1, 2], [3, 4])
    with pytest.raises(TypeError, match=f"{name}: cannot mix dtypes"):
        op(np.ones(2, np.float32), np.ones(2, np.float64))
    with pytest.raises(TypeError, match=name):
        op([True], [False])
    with pytest.raises(ValueError, match=f"{name}: shapes \\(2,\\) and \\(3,\\) cannot"):
        op(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match=name):
        op("a", 1.0)


def test_xlogy_gradients_match_finite_differences():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-2, 2, (2, 3)), rng.uniform(0.5, 2, (3,))
    gx, gy = grads(m.xlogy, x, y)
    np.testing.assert_allclose(gx, finite_difference(lambda v: xlogy_ref(v, y).sum(), x),
                               rtol=1e-6)
    np.testing.assert_allclose(gy, finite_difference(lambda v: xlogy_ref(x, v).sum(), y),
                               rtol=1e-6)
    check_gradients(m.xlogy, [y, np.abs(x) + 0.5])   # broadcast the other way
    check_gradients(lambda a, b: m.xlogy(a, b) * m.xlogy(a, b), [x, y])


def test_xlogy_gradients_at_x_zero_are_tensorflows():
    """d/dx is log(y) only where x != 0 and d/dy is x / y only where x != 0."""
    x, y = np.array([0.0, 0.0, 0.0, 2.0]), np.array([0.0, -1.0, 3.0, 4.0])
    gx, gy = grads(m.xlogy, x, y)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0, np.log(4.0)])
    np.testing.assert_array_equal(gy, [0.0, 0.0, 0.0, 0.5])


def test_xlogy_second_derivatives():
    x, y = np.array([0.7, -1.2]), np.array([1.5, 0.4])
    both = np.concatenate([x, y])
    h = hessian(lambda t: mtf.reduce_sum(m.xlogy(t[:2], t[2:])), both)
    want = np.zeros((4, 4))
    want[[0, 1], [2, 3]] = want[[2, 3], [0, 1]] = 1 / y
    want[[2, 3], [2, 3]] = -x / y ** 2
    np.testing.assert_allclose(h, want, rtol=1e-12)
    zero = hessian(lambda t: mtf.reduce_sum(m.xlogy(t[:2], t[2:])), np.array([0, 0, 0, 2.0]))
    np.testing.assert_array_equal(zero, np.zeros((4, 4)))


# ---------------------------------------------------------------- divide_no_nan

@pytest.mark.parametrize("dtype", FLOATS)
def test_divide_no_nan_matches_numpy(dtype):
    x = np.array([3.0, np.nan, np.inf, -1.0, 0.0, 5.0, 0.0], dtype)
    y = np.array([2.0, 0.0, 0.0, 0.0, 0.0, -0.0, 4.0], dtype)
    with np.errstate(all="raise"):
        got = m.divide_no_nan(x, y, name="d")
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), divide_no_nan_ref(x, y).astype(dtype))


def test_divide_no_nan_keeps_nan_and_inf_of_nonzero_denominators():
    got = m.divide_no_nan([np.nan, 1.0, 1.0], [1.0, np.inf, np.nan]).numpy()
    np.testing.assert_array_equal(got, [np.nan, 0.0, np.nan])


def test_divide_no_nan_gradients():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-2, 2, (3, 2)), rng.uniform(0.5, 2, (2,)) * [1, -1]
    gx, gy = grads(m.divide_no_nan, x, y)
    np.testing.assert_allclose(gx, finite_difference(
        lambda v: divide_no_nan_ref(v, y).sum(), x), rtol=1e-6)
    np.testing.assert_allclose(gy, finite_difference(
        lambda v: divide_no_nan_ref(x, v).sum(), y), rtol=1e-6)
    check_gradients(m.divide_no_nan, [y, x])
    check_gradients(lambda a, b: m.divide_no_nan(a, b) ** 2, [x, y])


def test_divide_no_nan_gradients_are_zero_where_y_is_zero():
    x, y = np.array([1.0, 0.0, 2.0]), np.array([0.0, 0.0, 4.0])
    gx, gy = grads(m.divide_no_nan, x, y)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.25])
    np.testing.assert_array_equal(gy, [0.0, 0.0, -0.125])
    h = hessian(lambda t: mtf.reduce_sum(m.divide_no_nan(t[:3], t[3:])),
                np.concatenate([x, y]))
    assert np.all(np.isfinite(h))
    np.testing.assert_array_equal(h[[0, 1, 3, 4]][:, [0, 1, 3, 4]], np.zeros((4, 4)))
    np.testing.assert_allclose(h[5, 5], 2 * 2.0 / 4.0 ** 3)
    np.testing.assert_allclose(h[2, 5], -1 / 16)


# ---------------------------------------------------------------- segment_sum

@pytest.mark.parametrize("dtype", NUMBERS)
@pytest.mark.parametrize("shape", [(6,), (6, 2), (6, 2, 3)])
def test_segment_sum_matches_numpy(dtype, shape):
    data = np.random.default_rng(3).integers(-5, 6, shape).astype(dtype)
    for ids in ([0, 0, 1, 1, 1, 4], [2, 2, 2, 2, 2, 2], [0, 1, 2, 3, 4, 5], [0, 0, 0, 3, 3, 7]):
        for id_dtype in (np.int32, np.int64):
            got = m.segment_sum(data, np.array(ids, id_dtype))
            want = segment_ref(data, ids, max(ids) + 1)
            assert got.dtype == dtype and got.shape == want.shape
            np.testing.assert_array_equal(got.numpy(), want)


def test_segment_sum_examples_and_empty():
    np.testing.assert_array_equal(
        m.segment_sum([[1, 2, 3, 4], [4, 3, 2, 1], [5, 6, 7, 8]], [0, 0, 1]).numpy(),
        [[5, 5, 5, 5], [5, 6, 7, 8]])
    empty = m.segment_sum(np.zeros((0, 3), np.float32), [], name="s")
    assert empty.shape == (0, 3) and empty.dtype == np.float32
    assert m.segment_sum(np.zeros((2, 0)), [1, 1]).shape == (2, 0)
    assert m.segment_sum(mtf.Variable([1.0, 2.0]), mtf.constant([0, 0])).numpy().tolist() == [3.0]


def test_segment_sum_errors():
    with pytest.raises(ValueError, match="segment_sum: segment ids are not sorted"):
        m.segment_sum([1.0, 2.0, 3.0], [0, 2, 1])
    with pytest.raises(ValueError, match="segment_sum: segment ids must be >= 0"):
        m.segment_sum([1.0, 2.0], [-1, 0])
    with pytest.raises(ValueError, match="segment_sum: segment_ids must be 1-D"):
        m.segment_sum([1.0, 2.0], [0, 0, 0])
    with pytest.raises(ValueError, match="segment_sum: segment_ids must be 1-D"):
        m.segment_sum(np.ones((2, 2)), [[0, 0], [1, 1]])
    with pytest.raises(ValueError, match="segment_sum: segment_ids must be 1-D"):
        m.segment_sum(3.0, [0])
    with pytest.raises(TypeError, match="segment_sum: segment_ids must be int32 or int64"):
        m.segment_sum([1.0, 2.0], [0.0, 1.0])
    with pytest.raises(TypeError, match="segment_sum: data of dtype bool"):
        m.segment_sum([True, False], [0, 1])
    with pytest.raises(TypeError, match="segment_sum"):
        m.segment_sum("ab", [0, 1])


def test_segment_sum_gradients():
    data = np.random.default_rng(4).standard_normal((5, 2))
    ids = np.array([0, 0, 2, 2, 3])
    w = np.random.default_rng(5).standard_normal((4, 2))
    g = grads(lambda t: m.segment_sum(t, ids) * w, data)[0]
    np.testing.assert_allclose(g, finite_difference(
        lambda v: (segment_ref(v, ids, 4) * w).sum(), data), rtol=1e-6)
    check_gradients(lambda t: m.segment_sum(t, ids) ** 2, [data])


# ---------------------------------------------------------------- unsorted_segment_sum

@pytest.mark.parametrize("dtype", NUMBERS)
@pytest.mark.parametrize("ids", [[3, 0, -1, 3, 1, 0], [[0, 2, -1], [2, -4, 1]], [[[1]], [[1]]]],
                         ids=["1d", "2d", "3d"])
def test_unsorted_segment_sum_matches_numpy(dtype, ids):
    data = np.random.default_rng(6).integers(-5, 6, (6, 1, 2)).reshape(
        np.shape(ids) + (-1,)).astype(dtype)
    for n in (4, 6):
        got = m.unsorted_segment_sum(data, np.array(ids, np.int32), n)
        want = segment_ref(data, ids, n)
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.numpy(), want)


def test_unsorted_segment_sum_edges():
    c = [[1, 2, 3, 4], [5, 6, 7, 8], [4, 3, 2, 1]]
    np.testing.assert_array_equal(m.unsorted_segment_sum(c, [0, 1, 0], 2).numpy(),
                                  [[5, 5, 5, 5], [5, 6, 7, 8]])
    whole = m.unsorted_segment_sum(np.ones((2, 3)), 1, 3)       # 0-d ids: one segment
    np.testing.assert_array_equal(whole.numpy(), [np.zeros((2, 3)), np.ones((2, 3)),
                                                  np.zeros((2, 3))])
    assert m.unsorted_segment_sum(np.ones((2, 3)), [-1, -1], 0).shape == (0, 3)
    assert m.unsorted_segment_sum(np.ones((0, 3)), [], 2).numpy().tolist() == [[0] * 3] * 2
    got = m.unsorted_segment_sum([1.0, 2.0], [1, 1], mtf.constant(3, mtf.int64), name="u")
    np.testing.assert_array_equal(got.numpy(), [0.0, 3.0, 0.0])
    np.testing.assert_array_equal(
        m.unsorted_segment_sum([1.0, 2.0], [1, 1], np.int32(2)).numpy(), [0.0, 3.0])


def test_unsorted_segment_sum_errors():
    op = "unsorted_segment_sum"
    with pytest.raises(ValueError, match=f"{op}: segment id 2 is out of range \\[0, 2\\)"):
        m.unsorted_segment_sum([1.0, 2.0], [0, 2], 2)
    with pytest.raises(ValueError, match=f"{op}: segment_ids of shape \\(3,\\) must be a "
                                         f"prefix of data's shape \\(2,\\)"):
        m.unsorted_segment_sum([1.0, 2.0], [0, 0, 0], 2)
    with pytest.raises(ValueError, match=f"{op}: segment_ids of shape"):
        m.unsorted_segment_sum(np.ones((2, 3)), [[0, 1]], 2)
    with pytest.raises(ValueError, match=f"{op}: num_segments must be an int >= 0"):
        m.unsorted_segment_sum([1.0], [0], -1)
    for bad in (2.0, None, True, [2]):
        with pytest.raises(TypeError, match=f"{op}: num_segments must be an int"):
            m.unsorted_segment_sum([1.0], [0], bad)
    with pytest.raises(ValueError, match=f"{op}: num_segments and data's shape"):
        m.unsorted_segment_sum(np.ones((1, 3)), [0], 2**62)
    with pytest.raises(TypeError, match=f"{op}: segment_ids must be int32 or int64"):
        m.unsorted_segment_sum([1.0], [0.5], 1)
    with pytest.raises(TypeError, match=f"{op}: data of dtype bool"):
        m.unsorted_segment_sum([True], [0], 1)


def test_unsorted_segment_sum_gradients_drop_negative_ids():
    data = np.random.default_rng(7).standard_normal((2, 3, 2))
    ids = np.array([[0, -1, 3], [3, 1, -2]])
    w = np.random.default_rng(8).standard_normal((4, 2))
    g = grads(lambda t: m.unsorted_segment_sum(t, ids, 4) * w, data)[0]
    np.testing.assert_allclose(g, finite_difference(
        lambda v: (segment_ref(v, ids, 4) * w).sum(), data), rtol=1e-6)
    np.testing.assert_array_equal(g[0, 1], 0.0)
    np.testing.assert_array_equal(g[1, 2], 0.0)
    check_gradients(lambda t: mtf.sin(m.unsorted_segment_sum(t, ids, 5)), [data])


def test_segment_sums_second_order_through_the_gather():
    """The backward is itself differentiable: d/dg of the gradient is a segment sum."""
    data, ids = np.array([0.3, -1.2, 0.8, 2.0]), np.array([1, -1, 1, 0])
    h = hessian(lambda t: mtf.reduce_sum(m.unsorted_segment_sum(t, ids, 2) ** 2), data)
    same = (ids[:, None] == ids[None, :]) & (ids[:, None] >= 0)
    np.testing.assert_allclose(h, 2.0 * same)
    h = hessian(lambda t: mtf.reduce_sum(m.segment_sum(t, [0, 0, 1, 1]) ** 3), data)
    sums = np.array([data[0] + data[1]] * 2 + [data[2] + data[3]] * 2)
    block = np.kron(np.eye(2), np.ones((2, 2)))
    np.testing.assert_allclose(h, 6 * sums[:, None] * block, rtol=1e-12)


# ---------------------------------------------------------------- properties

@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-2, 5), min_size=0, max_size=8),
       st.lists(st.integers(0, 3), min_size=0, max_size=2), st.integers(6, 8))
def test_unsorted_segment_sum_property(ids, inner, n):
    ids = np.array(ids, np.int64)
    data = np.arange(ids.size * int(np.prod(inner)), dtype=np.float64).reshape(
        (ids.size,) + tuple(inner))
    got = m.unsorted_segment_sum(data, ids, n)
    assert got.shape == (n,) + tuple(inner)
    np.testing.assert_array_equal(got.numpy(), segment_ref(data, ids, n))
    np.testing.assert_allclose(got.numpy().sum(), data[ids >= 0].sum())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=8),
       st.lists(st.integers(0, 3), min_size=0, max_size=2))
def test_segment_sum_property(ids, inner):
    ids = np.sort(np.array(ids, np.int32))
    data = np.arange(ids.size * int(np.prod(inner)), dtype=np.int64).reshape(
        (ids.size,) + tuple(inner))
    got = m.segment_sum(data, ids)
    rows = int(ids.max()) + 1 if ids.size else 0
    assert got.shape == (rows,) + tuple(inner) and got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), segment_ref(data, ids, rows))
