"""silu/swish, relu6, l2_normalize, bias_add, embedding_lookup: forward against numpy,
gradients against central differences (two orders), errors and edge cases."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitf as mtf
from minitf.testing import check_gradients
from _helpers import finite_difference

FLOATS = [np.float16, np.float32, np.float64]
RNG = np.random.default_rng(7)


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _grad(fn, x):
    t = x if isinstance(x, (mtf.Tensor, mtf.Variable)) else mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    return tape.gradient(y, t)


def _second(fn, x):
    """The gradient of sum(gradient of sum(fn)) at ``x``."""
    t = mtf.constant(x)
    with mtf.GradientTape() as outer:
        outer.watch(t)
        with mtf.GradientTape() as inner:
            inner.watch(t)
            y = mtf.reduce_sum(fn(t))
        g = inner.gradient(y, t)
        s = mtf.reduce_sum(g)
    return outer.gradient(s, t)


# ---------------------------------------------------------------- namespaces

def test_namespaces_and_aliases():
    assert mtf.nn.swish is mtf.nn.silu
    assert mtf.math.l2_normalize is mtf.nn.l2_normalize
    for name in ("silu", "swish", "relu6", "l2_normalize", "bias_add", "embedding_lookup"):
        assert callable(getattr(mtf.nn, name))


# ---------------------------------------------------------------- silu

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, -1.5, 0.0])
def test_silu_matches_numpy(dtype, beta):
    x = RNG.uniform(-6, 6, (3, 4)).astype(dtype)
    got = mtf.nn.silu(x, beta)
    assert got.dtype == dtype and got.shape == x.shape
    want = x.astype(np.float64) * _sigmoid(beta * x.astype(np.float64))
    tol = {np.float16: 2e-3, np.float32: 1e-6, np.float64: 1e-13}[dtype]
    np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol)


def test_silu_swish_defaults_keywords_and_extremes():
    x = np.array([-1e4, -50.0, 0.0, 50.0, 1e4, np.inf, -np.inf, np.nan])
    with np.errstate(all="raise"):
        got = mtf.nn.swish(features=x, beta=1.0, name="s").numpy()
    np.testing.assert_allclose(got[:5], [-0.0, -50 * _sigmoid(-50.0), 0.0, 50.0, 1e4],
                               rtol=1e-15)
    assert got[5] == np.inf and np.isnan(got[6]) and np.isnan(got[7])
    assert mtf.nn.silu(2.0).shape == () and mtf.nn.silu(np.zeros((0, 3))).shape == (0, 3)


@pytest.mark.parametrize("beta", [1.0, 0.7, -2.0])
def test_silu_gradients_two_orders(beta):
    x = RNG.standard_normal((2, 5))
    check_gradients(lambda t: mtf.nn.silu(t, beta), [x])
    check_gradients(lambda t: _grad(lambda u: mtf.reduce_sum(mtf.nn.silu(u, beta)), t), [x])
    fd = finite_difference(lambda v: np.sum(v * _sigmoid(beta * v)), x)
    np.testing.assert_allclose(_grad(lambda t: mtf.nn.silu(t, beta), x).numpy(), fd,
                               rtol=1e-6, atol=1e-8)


def test_silu_gradient_is_finite_far_out():
    g = _grad(mtf.nn.silu, np.array([-800.0, 800.0])).numpy()
    np.testing.assert_array_equal(g, [0.0, 1.0])


@pytest.mark.parametrize("bad, error", [
    (dict(features=[1, 2]), TypeError), (dict(features=[True]), TypeError),
    (dict(features=[1.0], beta="2"), TypeError), (dict(features=[1.0], beta=np.nan), ValueError),
    (dict(features=[1.0], beta=[1.0, 2.0]), TypeError)])
def test_silu_errors(bad, error):
    with pytest.raises(error, match="silu"):
        mtf.nn.silu(**bad)


# ---------------------------------------------------------------- relu6

@pytest.mark.parametrize("dtype", FLOATS + [np.int32, np.int64])
def test_relu6_matches_numpy(dtype):
    x = np.arange(-4, 12).reshape(4, 4).astype(dtype)
    got = mtf.nn.relu6(x)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), np.clip(x, 0, 6))


def test_relu6_nan_empty_scalar():
    got = mtf.nn.relu6(np.array([np.nan, -np.inf, np.inf, 6.5], np.float32)).numpy()
    assert np.isnan(got[0]) and got[1:].tolist() == [0.0, 6.0, 6.0]
    assert mtf.nn.relu6(np.zeros((2, 0))).shape == (2, 0)
    assert mtf.nn.relu6(features=7.0, name="r").numpy() == 6.0


def test_relu6_gradients():
    x = np.array([[-2.0, -0.5, 0.5, 3.0], [5.5, 6.5, 9.0, 1.0]])
    g = _grad(mtf.nn.relu6, x).numpy()
    np.testing.assert_array_equal(g, ((x > 0) & (x < 6)).astype(float))
    check_gradients(mtf.nn.relu6, [x])
    assert _second(mtf.nn.relu6, x) is None      # piecewise linear: not connected
    np.testing.assert_array_equal(_grad(mtf.nn.relu6, np.array([0.0, 6.0, np.nan])).numpy(),
                                  [0.0, 0.0, 0.0])


def test_relu6_errors():
    with pytest.raises(TypeError, match="relu6"):
        mtf.nn.relu6([True, False])
    with pytest.raises(TypeError, match="relu6"):
        mtf.nn.relu6("abc")


# ---------------------------------------------------------------- l2_normalize

def _l2n_ref(x, axis, eps):
    s = np.sum(x * x, axis=axis, keepdims=True)
    return x / np.sqrt(np.maximum(s, eps))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("axis", [None, 0, 1, -1, -3, [0, 2], (1, -1)])
def test_l2_normalize_matches_numpy(dtype, axis):
    x = RNG.standard_normal((2, 3, 4)).astype(dtype)
    got = mtf.nn.l2_normalize(x, axis)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    want = _l2n_ref(x.astype(np.float64), np_axis, 1e-12)
    assert got.dtype == dtype and got.shape == x.shape
    tol = {np.float16: 3e-3, np.float32: 1e-6, np.float64: 1e-14}[dtype]
    np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol)


def test_l2_normalize_epsilon_zero_empty_and_scalar():
    x = np.array([[0.0, 0.0], [3e-5, 4e-5]])
    np.testing.assert_allclose(mtf.math.l2_normalize(x, 1, epsilon=1.0).numpy(), x)
    np.testing.assert_allclose(mtf.nn.l2_normalize(x, axis=1).numpy()[1], [0.6, 0.8])
    np.testing.assert_array_equal(mtf.nn.l2_normalize(x, 1).numpy()[0], [0.0, 0.0])
    assert mtf.nn.l2_normalize(np.zeros((0, 3))).shape == (0, 3)
    assert mtf.nn.l2_normalize(np.float64(-2.0)).numpy() == -1.0
    got = mtf.nn.l2_normalize(np.zeros(2), epsilon=0.0).numpy()
    assert np.isnan(got).all()       # 0 / sqrt(0), as TensorFlow


@pytest.mark.parametrize("axis", [None, 0, -1, [0, 1]])
def test_l2_normalize_gradients(axis):
    x = RNG.standard_normal((3, 4))
    check_gradients(lambda t: mtf.nn.l2_normalize(t, axis), [x])
    check_gradients(lambda t: _grad(lambda u: mtf.reduce_sum(
        mtf.nn.l2_normalize(u, axis) * np.arange(12.0).reshape(3, 4)), t), [x])


def test_l2_normalize_gradient_below_epsilon_is_the_scale():
    x = np.array([1e-8, -2e-8])
    g = _grad(lambda t: mtf.nn.l2_normalize(t, epsilon=1e-4), x).numpy()
    np.testing.assert_allclose(g, [100.0, 100.0])


@pytest.mark.parametrize("bad, error", [
    (dict(x=[1, 2]), TypeError), (dict(x=[1.0], axis=1), ValueError),
    (dict(x=[1.0], axis=1.0), TypeError), (dict(x=[1.0], epsilon=-1.0), ValueError),
    (dict(x=[1.0], epsilon="a"), TypeError), (dict(x=[[1.0]], axis=[0, 0]), ValueError)])
def test_l2_normalize_errors(bad, error):
    with pytest.raises(error, match="l2_normalize"):
        mtf.nn.l2_normalize(**bad)


# ---------------------------------------------------------------- bias_add

FORMATS = [(None, 3, -1), ("NHWC", 4, -1), ("NWC", 3, -1), ("NDHWC", 5, -1), ("N...C", 2, -1),
           ("NCHW", 4, 1), ("NCW", 3, 1), ("NCDHW", 5, 1), ("NC...", 2, 1), (None, 2, -1)]


@pytest.mark.parametrize("dtype", FLOATS + [np.int32, np.int64])
@pytest.mark.parametrize("data_format, ndim, axis", FORMATS)
def test_bias_add_matches_numpy(dtype, data_format, ndim, axis):
    shape = (2, 3, 4, 5, 2)[:ndim]
    x = RNG.integers(-5, 5, shape).astype(dtype)
    b = RNG.integers(-5, 5, shape[axis]).astype(dtype)
    got = mtf.nn.bias_add(x, b, data_format)
    view = [1] * ndim
    view[axis] = -1
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), x + b.reshape(view))


def test_bias_add_empty_and_keywords():
    got = mtf.nn.bias_add(value=np.zeros((0, 3)), bias=np.ones(3), data_format="NHWC", name="b")
    assert got.shape == (0, 3)
    assert mtf.nn.bias_add(np.zeros((2, 0, 4)), np.zeros(0), "NCHW").shape == (2, 0, 4)


@pytest.mark.parametrize("data_format, ndim, axis", FORMATS)
def test_bias_add_gradients(data_format, ndim, axis):
    shape = (2, 3, 2, 2, 2)[:ndim]
    x, b = RNG.standard_normal(shape), RNG.standard_normal(shape[axis])
    check_gradients(lambda u, c: mtf.nn.bias_add(u, c, data_format) ** 2, [x, b])
    vb, cb = mtf.constant(x), mtf.constant(b)
    with mtf.GradientTape() as tape:
        tape.watch([vb, cb])
        y = mtf.nn.bias_add(vb, cb, data_format)
    gv, gc = tape.gradient(y, [vb, cb])
    np.testing.assert_array_equal(gv.numpy(), np.ones(shape))
    np.testing.assert_array_equal(gc.numpy(), np.full(shape[axis], x.size / shape[axis]))


@pytest.mark.parametrize("value, bias, data_format, error", [
    (np.ones((2, 3)), np.ones(2), None, ValueError),
    (np.ones((2, 3)), np.ones((1, 3)), None, ValueError),
    (np.ones(3), np.ones(3), None, ValueError),
    (np.ones((2, 3)), np.ones(3, np.float32), None, TypeError),
    (np.ones((2, 3)), np.ones(3), "HWCN", ValueError),
    (np.ones((2, 3)), np.ones(3), 3, TypeError),
    (np.ones((2, 3), bool), np.ones(3, bool), None, TypeError),
    (np.ones((2, 3, 4)), np.ones(4), "NCHW", ValueError)])
def test_bias_add_errors(value, bias, data_format, error):
    with pytest.raises(error, match="bias_add"):
        mtf.nn.bias_add(value, bias, data_format)


# ---------------------------------------------------------------- embedding_lookup

@pytest.mark.parametrize("dtype", FLOATS + [np.int32, np.int64])
@pytest.mark.parametrize("id_shape", [(), (4,), (2, 3), (0,), (2, 0)])
@pytest.mark.parametrize("id_dtype", [np.int32, np.int64])
def test_embedding_lookup_matches_numpy(dtype, id_shape, id_dtype):
    params = RNG.integers(-9, 9, (5, 3)).astype(dtype)
    ids = RNG.integers(0, 5, id_shape).astype(id_dtype)
    got = mtf.nn.embedding_lookup(params, ids)
    assert got.dtype == dtype and got.shape == id_shape + (3,)
    np.testing.assert_array_equal(got.numpy(), params[ids])


def test_embedding_lookup_one_shard_list_and_rank_one_params():
    params = mtf.Variable(np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(mtf.nn.embedding_lookup([params], [2, 0]).numpy(),
                                  [[4.0, 5.0], [0.0, 1.0]])
    np.testing.assert_array_equal(mtf.nn.embedding_lookup(np.array([7.0, 8.0]), [1, 1]).numpy(),
                                  [8.0, 8.0])


def _clip_ref(rows, max_norm, ndim_ids):
    axes = tuple(range(ndim_ids, rows.ndim))
    norm = np.sqrt(np.sum(rows * rows, axis=axes, keepdims=True))
    return rows * max_norm / np.maximum(norm, max_norm)


@pytest.mark.parametrize("params_shape", [(5,), (5, 3), (5, 2, 3)])
@pytest.mark.parametrize("id_shape", [(), (4,), (2, 3)])
@pytest.mark.parametrize("max_norm", [0.5, 2.0, 100.0])
def test_embedding_lookup_max_norm_clips_each_embedding(params_shape, id_shape, max_norm):
    params = RNG.standard_normal(params_shape) * 2
    ids = RNG.integers(0, 5, id_shape)
    got = mtf.nn.embedding_lookup(params, ids, max_norm=max_norm).numpy()
    np.testing.assert_allclose(got, _clip_ref(params[ids], max_norm, len(id_shape)),
                               rtol=1e-12)


def test_embedding_lookup_gradient_is_indexed_slices():
    params = mtf.Variable(np.arange(8.0).reshape(4, 2))
    with mtf.GradientTape() as tape:
        y = mtf.nn.embedding_lookup(params, [[1, 3], [1, 0]])
        loss = mtf.reduce_sum(y * y)
    g = tape.gradient(loss, params)
    assert isinstance(g, mtf.IndexedSlices)
    assert g.indices.numpy().tolist() == [1, 3, 1, 0] and g.values.shape == (4, 2)
    want = np.zeros((4, 2))
    for i in [1, 3, 1, 0]:
        want[i] += 2 * params.numpy()[i]
    np.testing.assert_array_equal(g._densify().numpy(), want)


@pytest.mark.parametrize("max_norm", [None, 1.5])
def test_embedding_lookup_gradients_against_differences(max_norm):
    params = RNG.standard_normal((4, 3))
    ids = np.array([[0, 2], [2, 3]])
    w = RNG.standard_normal((2, 2, 3))

    def f(p):
        return mtf.reduce_sum(mtf.nn.embedding_lookup(p, ids, max_norm) * w)
    g = _grad(f, params)
    g = g._densify() if isinstance(g, mtf.IndexedSlices) else g
    fd = finite_difference(lambda p: f(mtf.constant(p)).numpy(), params)
    np.testing.assert_allclose(g.numpy(), fd, rtol=1e-6, atol=1e-8)


def test_embedding_lookup_second_order_with_max_norm():
    params = RNG.standard_normal((4, 3)) * 2
    ids = np.array([1, 2, 1])
    check_gradients(lambda p: _grad(lambda u: mtf.reduce_sum(
        mtf.nn.embedding_lookup(u, ids, 1.0) ** 3), p)._densify(), [params])


@pytest.mark.parametrize("kwargs, error", [
    (dict(ids=[5]), IndexError), (dict(ids=[-1]), IndexError), (dict(ids=[0.5]), TypeError),
    (dict(ids=[0], max_norm=0.0), ValueError), (dict(ids=[0], max_norm=-1.0), ValueError),
    (dict(ids=[0], max_norm="1"), TypeError), (dict(ids=[True]), TypeError)])
def test_embedding_lookup_errors(kwargs, error):
    with pytest.raises(error, match="embedding_lookup"):
        mtf.nn.embedding_lookup(np.ones((3, 2)), **kwargs)


def test_embedding_lookup_refuses_shards_scalars_and_int_clipping():
    with pytest.raises(ValueError, match="embedding_lookup: sharded"):
        mtf.nn.embedding_lookup([mtf.constant([[1.0]]), mtf.constant([[2.0]])], [0])
    with pytest.raises(ValueError, match="embedding_lookup"):
        mtf.nn.embedding_lookup(3.0, [0])
    with pytest.raises(TypeError, match="embedding_lookup"):
        mtf.nn.embedding_lookup(np.ones((3, 2), np.int32), [0], max_norm=1.0)


# ---------------------------------------------------------------- properties

@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 3), min_size=2, max_size=4),
       nc=st.booleans(), seed=st.integers(0, 2**16))
def test_bias_add_any_shape(shape, nc, seed):
    rng = np.random.default_rng(seed)
    axis = 1 if nc else len(shape) - 1
    x, b = rng.standard_normal(shape), rng.standard_normal(shape[axis])
    view = [1] * len(shape)
    view[axis] = -1
    got = mtf.nn.bias_add(x, b, "NCHW" if nc else "NHWC")
    np.testing.assert_array_equal(got.numpy(), x + b.reshape(view))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 4), id_shape=st.lists(st.integers(0, 3), max_size=3),
       tail=st.lists(st.integers(0, 3), max_size=2), seed=st.integers(0, 2**16))
def test_embedding_lookup_any_shape(rows, id_shape, tail, seed):
    rng = np.random.default_rng(seed)
    params = rng.standard_normal([rows] + tail)
    ids = rng.integers(0, rows, id_shape)
    got = mtf.nn.embedding_lookup(params, ids)
    assert got.shape == tuple(id_shape) + tuple(tail)
    np.testing.assert_array_equal(got.numpy(), params[ids])


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), seed=st.integers(0, 2**16),
       pick=st.integers(0, 7))
def test_l2_normalize_has_unit_norm(shape, seed, pick):
    x = np.random.default_rng(seed).standard_normal(shape) + 0.1
    axes = [a for a in range(len(shape)) if pick >> a & 1] or None
    got = mtf.nn.l2_normalize(x, axes).numpy()
    norms = np.sqrt(np.sum(got * got, axis=None if axes is None else tuple(axes)))
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)


def test_all_products_of_formats_are_listed():
    assert len(list(itertools.product(FORMATS, FLOATS))) == len(FORMATS) * 3
