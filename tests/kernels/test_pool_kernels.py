"""Pooling kernels: compiled vs py_func vs direct numpy loops; adjointness."""
import numpy as np
import pytest

from minitf.kernels import pool as K
from minitf.kernels import scatter

rng = np.random.default_rng(4)

# (kh, kw, sh, sw, pad_top, pad_left, out_h, out_w) for a 5 x 6 image
GEOMS = [(3, 3, 2, 2, 1, 1, 3, 3), (2, 2, 2, 2, 0, 0, 2, 3), (3, 2, 1, 1, 1, 0, 5, 6),
         (2, 3, 1, 2, 0, 1, 4, 3)]


def _windows(x, geom):
    """Yield (b, i, j, rows, cols) with each window clipped to the image."""
    kh, kw, sh, sw, pt, pl, oh, ow = geom
    for b in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                r0, c0 = i * sh - pt, j * sw - pl
                yield (b, i, j, slice(max(r0, 0), min(r0 + kh, x.shape[1])),
                       slice(max(c0, 0), min(c0 + kw, x.shape[2])))


def pool_ref(x, geom, reduce):
    out = np.zeros((x.shape[0], geom[6], geom[7], x.shape[3]))
    for b, i, j, rows, cols in _windows(x, geom):
        out[b, i, j] = reduce(x[b, rows, cols].reshape(-1, x.shape[3]), axis=0)
    return out


@pytest.mark.parametrize("geom", GEOMS)
def test_max_pool_values_and_argmax(geom):
    x = rng.standard_normal((2, 5, 6, 3))
    out, arg = K.max_pool(x, geom)
    np.testing.assert_array_equal(out, pool_ref(x, geom, np.max))
    np.testing.assert_array_equal(x.reshape(-1)[arg], out)   # argmax points at the max
    py_out, py_arg = K._max_pool.py_func(x, *geom)
    np.testing.assert_array_equal(py_out, out)
    np.testing.assert_array_equal(py_arg, arg)


@pytest.mark.parametrize("geom", GEOMS)
def test_avg_pool_and_its_adjoint(geom):
    x = rng.standard_normal((2, 5, 6, 3))
    out = K.avg_pool(x, geom)
    np.testing.assert_allclose(out, pool_ref(x, geom, np.mean), rtol=1e-13)
    np.testing.assert_allclose(K._avg_pool.py_func(x, *geom), out, rtol=1e-13)
    g = rng.standard_normal(out.shape)
    back = K.avg_pool_grad(g, x.shape, geom)
    np.testing.assert_allclose(np.sum(out * g), np.sum(x * back), rtol=1e-12)
    np.testing.assert_allclose(K._avg_pool_grad.py_func(g, 5, 6, *geom[:6]), back,
                               rtol=1e-13)


def test_scatter_add_sums_duplicates_like_add_at():
    values = rng.standard_normal(20)
    index = rng.integers(0, 7, 20)
    expected = np.zeros(7)
    np.add.at(expected, index, values)
    np.testing.assert_allclose(K.scatter_add(values, index, (7,)), expected, rtol=1e-13)
    np.testing.assert_allclose(scatter._scatter_add_flat.py_func(values, index, 7), expected,
                               rtol=1e-13)


def test_half_precision_keeps_dtype():
    x = rng.standard_normal((1, 5, 6, 2)).astype(np.float16)
    out, _ = K.max_pool(x, GEOMS[0])
    assert out.dtype == np.float16
    np.testing.assert_array_equal(out, pool_ref(x.astype(np.float64), GEOMS[0], np.max))
    assert K.avg_pool(x, GEOMS[1]).dtype == np.float16


def argmax_ref(x, geom):
    """Flat input index of each window's maximum: numpy's argmax, which takes the first
    NaN if there is one, else the first maximum, in row-major window order."""
    index = np.arange(x.size).reshape(x.shape)
    out = np.zeros((x.shape[0], geom[6], geom[7], x.shape[3]), np.int64)
    for b, i, j, rows, cols in _windows(x, geom):
        values = x[b, rows, cols].reshape(-1, x.shape[3])
        flat = index[b, rows, cols].reshape(-1, x.shape[3])
        out[b, i, j] = flat[np.argmax(values, axis=0), np.arange(x.shape[3])]
    return out


@pytest.mark.parametrize("geom", GEOMS)
def test_max_pool_nan_wins_in_compiled_and_python_kernels(geom):
    x = rng.standard_normal((2, 5, 6, 3))
    x[rng.random(x.shape) < 0.2] = np.nan
    out, arg = K.max_pool(x, geom)
    np.testing.assert_array_equal(out, pool_ref(x, geom, np.max))     # np.max keeps NaN
    np.testing.assert_array_equal(arg, argmax_ref(x, geom))
    py_out, py_arg = K._max_pool.py_func(x, *geom)
    np.testing.assert_array_equal(py_out, out)
    np.testing.assert_array_equal(py_arg, arg)


def test_max_pool_huge_window_visits_only_the_image():
    x = rng.standard_normal((1, 5, 6, 2))
    huge = (10**9, 10**9, 1, 1, 5 * 10**8, 5 * 10**8, 5, 6)   # SAME-like, mostly padding
    out, arg = K.max_pool(x, huge)       # looping over the whole window takes minutes
    np.testing.assert_array_equal(out, np.broadcast_to(x.max(axis=(1, 2)), out.shape))
    assert K.avg_pool(x, huge).shape == out.shape


@pytest.mark.parametrize("geom", GEOMS)
@pytest.mark.parametrize("dtype", [np.int32, np.float32])
def test_max_pool_ties_go_to_the_first_element_of_the_window(geom, dtype):
    x = rng.integers(0, 3, (2, 5, 6, 4)).astype(dtype)     # many equal values per window
    out, arg = K.max_pool(x, geom)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, pool_ref(x, geom, np.max))
    np.testing.assert_array_equal(arg, argmax_ref(x, geom))
    py_out, py_arg = K._max_pool.py_func(x, *geom)
    np.testing.assert_array_equal(py_arg, arg)
