"""Indexing: __getitem__, gather, gather_nd, boolean_mask and the scatter kernels."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minitf as mtf
from minitf.kernels import scatter
from minitf.testing import check_gradients
from _helpers import finite_difference

rng = np.random.default_rng(1)
X = rng.standard_normal((4, 5, 3))

# Every kind of key numpy accepts, each checked for value and gradient.
KEYS = {
    "int": 2,
    "negative_int": -1,
    "int_tuple": (1, 2),
    "scalar_element": (3, 4, 2),
    "slice": slice(1, 3),
    "slice_step": (slice(None), slice(None, None, 2)),
    "negative_step": (slice(None, None, -1), slice(4, 0, -2)),
    "none": (None, 1),
    "ellipsis": (Ellipsis, 0),
    "ellipsis_none_mix": (1, None, Ellipsis, None, slice(None, None, -1)),
    "int_list": [0, 3],
    "duplicate_ints": [2, 0, 2, 2],
    "negative_ints": [-1, 0, -1],
    "int_array_2d": np.array([[0, 1], [1, 1]]),
    "numpy_int_scalar": np.int64(3),
    "tensor_int": mtf.constant([3, 1, 3]),
    "tensor_scalar": (mtf.constant(1), slice(None)),
    "mixed_advanced": (np.array([0, 0, 3]), slice(1, 3), [1, 1, 2]),
    "slice_then_array": (slice(None), [4, 4, 0]),
    "separated_arrays": ([1, 2], slice(None), [0, 0]),
    "full_mask": X > 0,
    "row_mask": np.array([True, False, True, True]),
    "mask_2d": (X[:, :, 0] > 0,),
    "mask_after_slice": (slice(None), np.array([False, True, True, False, True])),
    "tensor_mask": mtf.constant(np.array([False, True, False, True])),
    "array_and_none": (None, [1, 1]),
    "bool_scalar": True,
    "empty_list": [],
}


def _numpy_key(key):
    if isinstance(key, tuple):
        return tuple(_numpy_key(k) for k in key)
    return key.numpy() if isinstance(key, mtf.Tensor) else key


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem_matches_numpy(name):
    key = KEYS[name]
    expected = X[_numpy_key(key)]
    out = mtf.constant(X)[key]
    assert isinstance(out, mtf.Tensor)
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem_gradient_matches_finite_differences(name):
    key = KEYS[name]
    check_gradients(lambda t: t[key], [X])


def test_duplicate_indices_sum_their_gradients():
    x = mtf.constant(np.arange(4.0))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.reduce_sum(x[[0, 2, 0, 0]] * [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(mtf.convert_to_tensor(tape.gradient(y, x)).numpy(),
                                  [8.0, 0.0, 2.0, 0.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.reduce_sum(x[..., [1, 1, 3]])
    np.testing.assert_array_equal(mtf.convert_to_tensor(tape.gradient(y, x)).numpy(),
                                  [0.0, 2.0, 0.0, 1.0])


def test_row_indexing_returns_indexed_slices_with_wrapped_negative_indices():
    v = mtf.Variable(rng.standard_normal((4, 2)))
    with mtf.GradientTape() as tape:
        y = mtf.reduce_sum(v[np.array([[-1, 0], [3, 1]])] * 3.0)
    g = tape.gradient(y, v)
    assert isinstance(g, mtf.IndexedSlices)
    assert g.indices.dtype == mtf.int64
    np.testing.assert_array_equal(g.indices.numpy(), [3, 0, 3, 1])
    assert g.values.shape == (4, 2) and g.dense_shape == (4, 2)
    np.testing.assert_array_equal(g.numpy(), [[3, 3], [3, 3], [0, 0], [6, 6]])


def test_getitem_on_variable_copies_views():
    v = mtf.Variable(np.arange(12.0).reshape(3, 4))
    outs = [v[1], v[:, ::-1], v[None, ..., 2], v[0, 0], v[[0, 2]], v[v > 5.0]]
    before = [o.numpy() for o in outs]
    v.assign(np.zeros((3, 4)))
    for o, b in zip(outs, before):
        np.testing.assert_array_equal(o.numpy(), b)


def test_getitem_second_derivative():
    # y = sum(x[[0, 0, 1]] ** 3) = 2 x0^3 + x1^3, so d2y/dx2 = [12 x0, 6 x1, 0].
    x = mtf.constant([0.5, -2.0, 3.0], dtype=mtf.float64)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = mtf.reduce_sum(x[[0, 0, 1]] ** 3) + mtf.reduce_sum(x[::-2] ** 2)
        dy = mtf.convert_to_tensor(inner.gradient(y, x))
    d2 = mtf.convert_to_tensor(outer.gradient(dy, x))
    np.testing.assert_allclose(d2.numpy(), [12 * 0.5 + 2, 6 * -2.0, 2.0])


@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), st.data())
def test_random_slices_match_numpy(shape, data):
    key = tuple(slice(data.draw(st.none() | st.integers(-6, 6)),
                      data.draw(st.none() | st.integers(-6, 6)),
                      data.draw(st.none() | st.sampled_from([-3, -2, -1, 1, 2, 3])))
                for _ in shape)
    x = rng.standard_normal(shape)
    np.testing.assert_array_equal(mtf.constant(x)[key].numpy(), x[key])
    check_gradients(lambda t: t[key], [x])


# ------------------------------------------------------------------ gather

@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_gather_on_any_axis_matches_numpy_take(axis):
    index = np.array([[2, 0], [1, 2]])
    out = mtf.gather(X, index, axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.take(X, index, axis=axis))
    check_gradients(lambda t: mtf.gather(t, index, axis=axis), [X])


def test_gather_defaults_to_axis_0_and_accepts_tensor_indices():
    index = mtf.constant([3, 3, 0], dtype=mtf.int64)
    np.testing.assert_array_equal(mtf.gather(X, index).numpy(), X[[3, 3, 0]])
    check_gradients(lambda t: mtf.gather(t, index), [X])


def test_gather_on_variable_gives_indexed_slices_equal_to_finite_differences():
    init = rng.standard_normal((5, 3))
    weights = rng.standard_normal((4, 3))
    index = [4, 1, 4, 0]

    def loss(p):
        return mtf.reduce_sum(mtf.gather(p, index) ** 2 * weights)
    v = mtf.Variable(init)
    with mtf.GradientTape() as tape:
        y = loss(v)
    g = tape.gradient(y, v)
    assert isinstance(g, mtf.IndexedSlices)
    np.testing.assert_array_equal(g.indices.numpy(), index)
    numeric = finite_difference(loss, init)
    np.testing.assert_allclose(mtf.convert_to_tensor(g).numpy(), numeric, atol=1e-6)
    assert np.abs(numeric[4]).sum() > 0 and (numeric[[2, 3]] == 0).all()


def test_gather_along_other_axes_gives_dense_gradient():
    v = mtf.Variable(rng.standard_normal((2, 3)))
    with mtf.GradientTape() as tape:
        y = mtf.reduce_sum(mtf.gather(v, [2, 2], axis=1))
    g = tape.gradient(y, v)
    assert isinstance(g, mtf.Tensor)
    np.testing.assert_array_equal(g.numpy(), [[0, 0, 2], [0, 0, 2]])


def test_gather_nd_matches_numpy_and_sums_duplicates():
    index = np.array([[1, 2], [0, 4], [1, 2]])
    out = mtf.gather_nd(X, index)
    np.testing.assert_array_equal(out.numpy(), X[[1, 0, 1], [2, 4, 2]])
    check_gradients(lambda t: mtf.gather_nd(t, index), [X])
    rows = np.array([[[3], [0]], [[3], [3]]])
    np.testing.assert_array_equal(mtf.gather_nd(X, rows).numpy(), X[rows[..., 0]])
    check_gradients(lambda t: mtf.gather_nd(t, rows), [X])
    full = np.array([[3, 4, 2], [0, 0, 0]])
    np.testing.assert_array_equal(mtf.gather_nd(X, full).numpy(), [X[3, 4, 2], X[0, 0, 0]])


def test_boolean_mask_matches_numpy_on_any_axis():
    mask = np.array([True, False, True, True, False])
    out = mtf.boolean_mask(X, mask, axis=1)
    np.testing.assert_array_equal(out.numpy(), X[:, mask])
    check_gradients(lambda t: mtf.boolean_mask(t, mask, axis=1), [X])
    mask2 = X[..., 0] > 0
    np.testing.assert_array_equal(mtf.boolean_mask(X, mask2).numpy(), X[mask2])
    check_gradients(lambda t: mtf.boolean_mask(t, mtf.constant(mask2)), [X])


# ----------------------------------------------------------- scatter kernels

def _loop_scatter_rows(values, indices, n_rows):
    out = np.zeros((n_rows,) + values.shape[1:], values.dtype)
    for k, row in enumerate(indices):
        out[row] = out[row] + values[k]
    return out


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64, np.bool_])
def test_scatter_add_rows_kernel_matches_python_loop(dtype):
    values = (rng.standard_normal((7, 2, 3)) * 4).astype(dtype)
    indices = np.array([0, 4, 4, 2, 0, 4, 1])
    if dtype == np.float16:  # accumulated in float32, then rounded once
        expected = _loop_scatter_rows(values.astype(np.float32), indices, 5).astype(dtype)
    else:
        expected = _loop_scatter_rows(values, indices, 5)
    got = scatter.scatter_add_rows(values, indices, 5)
    assert got.dtype == dtype and got.shape == (5, 2, 3)
    np.testing.assert_array_equal(got, expected)
    flat = np.ascontiguousarray(values.reshape(7, 6), np.float64)
    np.testing.assert_array_equal(scatter._scatter_add_rows(flat, indices, 5),
                                  scatter._scatter_add_rows.py_func(flat, indices, 5))


def test_scatter_add_flat_kernel_matches_python_loop():
    values = rng.standard_normal(50)
    positions = rng.integers(0, 9, size=50)
    expected = np.zeros(9)
    for v, p in zip(values, positions):
        expected[p] += v
    np.testing.assert_allclose(scatter.scatter_add_flat(values, positions, 9), expected)
    np.testing.assert_array_equal(scatter._scatter_add_flat(values, positions, 9),
                                  scatter._scatter_add_flat.py_func(values, positions, 9))


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("key, words", [
    (5, ["getitem", "5", "(4, 5, 3)"]),
    ((0, 0, 0, 0), ["getitem", "(0, 0, 0, 0)", "(4, 5, 3)"]),
    ([0, 4], ["getitem", "4", "(4, 5, 3)", "[0, 4]"]),
    ([-5], ["getitem", "-5", "(4, 5, 3)"]),
    (1.5, ["getitem", "1.5", "(4, 5, 3)"]),
    ("a", ["getitem", "'a'", "(4, 5, 3)"]),
    ([0.5, 1.0], ["getitem", "float64", "(4, 5, 3)"]),
    (np.array([True, False]), ["getitem", "(4, 5, 3)"]),
    ((slice(None), [0, 9]), ["getitem", "9", "(4, 5, 3)"]),
])
def test_bad_getitem_keys_raise_index_error(key, words):
    with pytest.raises(IndexError) as info:
        mtf.constant(X)[key]
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize("call, exc, words", [
    (lambda: mtf.gather(X, [0, 4]), IndexError, ["gather", "index 4", "size 4"]),
    (lambda: mtf.gather(X, [-1]), IndexError, ["gather", "index -1", "size 4"]),
    (lambda: mtf.gather(X, [7], axis=1), IndexError, ["gather", "index 7", "axis 1", "size 5"]),
    (lambda: mtf.gather(X, [0.0]), TypeError, ["gather", "float32"]),
    (lambda: mtf.gather(X, [0], axis=3), ValueError, ["gather", "axis 3"]),
    (lambda: mtf.gather(X, [[0]], batch_dims=1), ValueError, ["gather", "batch_dims=1"]),
    (lambda: mtf.gather(mtf.constant(1.0), [0]), ValueError, ["gather", "rank"]),
    (lambda: mtf.gather_nd(X, [[0, 5]]), IndexError, ["gather_nd", "index 5", "size 5"]),
    (lambda: mtf.gather_nd(X, [[0, 0, 0, 0]]), ValueError, ["gather_nd", "(1, 4)", "(4, 5, 3)"]),
    (lambda: mtf.boolean_mask(X, [True, False]), ValueError, ["boolean_mask", "(2,)", "(4, 5, 3)"]),
    (lambda: mtf.boolean_mask(X, [1, 0, 1, 1]), TypeError, ["boolean_mask", "int32"]),
])
def test_gather_errors_name_the_op_index_and_size(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))
