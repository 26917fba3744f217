"""scatter_nd, tensor_scatter_nd_update, tensor_scatter_nd_add and map_fn: forward
against numpy loop references, gradients against central differences, errors,
hypothesis properties (random shapes, duplicate indices, slice updates)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitf as mtf
from _helpers import finite_difference

DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64]


def scatter_ref(tensor, indices, updates, add=True):
    """The numpy loop reference: each index's slice added (or written, in order)."""
    out = np.array(tensor, copy=True)
    indices, updates = np.asarray(indices), np.asarray(updates)
    m = indices.shape[-1]
    lead = indices.shape[:-1]
    for k in np.ndindex(lead):
        at = tuple(int(c) for c in indices[k])
        assert len(at) == m
        if add:
            out[at] = out[at] + updates[k]
        else:
            out[at] = updates[k]
    return out


def tape_grads(f, *values):
    """Gradients of the scalar ``f`` at float64 arrays ``values``."""
    ts = [mtf.constant(np.asarray(v, np.float64)) for v in values]
    with mtf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        y = f(*ts)
    return [g.numpy() for g in tape.gradient(y, ts)]


# ---------------------------------------------------------------- forward

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("itype", [np.int32, np.int64])
def test_scatter_nd_matches_loop_with_duplicates(dtype, itype):
    indices = np.array([[1, 0], [3, 2], [1, 0], [0, 1]], itype)
    updates = np.array([1, 2, 3, 4]).astype(dtype)
    got = mtf.scatter_nd(indices, updates, [4, 3])
    want = scatter_ref(np.zeros((4, 3), dtype), indices, updates)
    assert got.dtype == dtype and got.shape == (4, 3)
    np.testing.assert_array_equal(got.numpy(), want)


def test_scatter_nd_slices_tensorflow_example():
    indices = np.array([[0], [2]])
    updates = np.array([[[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]],
                        [[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]]], np.int32)
    got = mtf.scatter_nd(indices, updates, mtf.constant([4, 4, 4]))
    np.testing.assert_array_equal(got.numpy(), scatter_ref(np.zeros((4, 4, 4), np.int32),
                                                           indices, updates))
    np.testing.assert_array_equal(got.numpy()[1], 0)


def test_scatter_nd_shape_forms_and_keywords():
    want = np.array([0.0, 2.0, 0.0], np.float32)
    for shape in ([3], (3,), np.array([3]), mtf.constant([3], mtf.int64), 3):
        got = mtf.scatter_nd(indices=[[1]], updates=mtf.constant([2.0]), shape=shape, name="s")
        np.testing.assert_array_equal(got.numpy(), want)


def test_index_depth_zero_adds_whole_tensor():
    got = mtf.scatter_nd(np.zeros((2, 0), np.int32), np.ones((2, 2, 3)), [2, 3])
    np.testing.assert_array_equal(got.numpy(), np.full((2, 3), 2.0))


@pytest.mark.parametrize("shape, index_shape", [((0,), (0, 1)), ((0, 0, 3), (0, 2)),
                                                ((2, 3), (0, 1)), ((2, 0), (3, 1))])
def test_empty_scatters(shape, index_shape):
    indices = np.zeros(index_shape, np.int32)
    updates_shape = index_shape[:-1] + shape[index_shape[-1]:]
    updates = np.ones(updates_shape)
    got = mtf.scatter_nd(indices, updates, shape)
    np.testing.assert_array_equal(got.numpy(), scatter_ref(np.zeros(shape), indices, updates))
    t = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    np.testing.assert_array_equal(mtf.tensor_scatter_nd_add(t, indices, updates).numpy(),
                                  scatter_ref(t, indices, updates))
    np.testing.assert_array_equal(mtf.tensor_scatter_nd_update(t, indices, updates).numpy(),
                                  scatter_ref(t, indices, updates, add=False))


@pytest.mark.parametrize("dtype", DTYPES + [np.bool_])
def test_tensor_scatter_nd_update_last_duplicate_wins(dtype):
    tensor = np.arange(10).reshape(5, 2).astype(dtype)
    indices = np.array([[4], [1], [4], [4]], np.int64)
    updates = (np.arange(8).reshape(4, 2) + 20).astype(dtype)
    got = mtf.tensor_scatter_nd_update(tensor, indices, updates)
    assert got.dtype == dtype
    want = scatter_ref(tensor, indices, updates, add=False)
    np.testing.assert_array_equal(got.numpy(), want)
    if dtype != np.bool_:
        np.testing.assert_array_equal(got.numpy()[4], updates[3])
    np.testing.assert_array_equal(tensor, np.arange(10).reshape(5, 2).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_tensor_scatter_nd_add_matches_loop(dtype):
    tensor = np.arange(12).reshape(3, 4).astype(dtype)
    indices = np.array([[2, 1], [0, 0], [2, 1]], np.int32)
    updates = np.array([5, 6, 7]).astype(dtype)
    got = mtf.tensor_scatter_nd_add(tensor, indices, updates)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), scatter_ref(tensor, indices, updates))


def test_updates_lists_take_the_tensor_dtype():
    t = mtf.zeros([3], mtf.float64)
    got = mtf.tensor_scatter_nd_update(t, [[0]], [2])
    assert got.dtype == np.float64 and got.numpy().tolist() == [2.0, 0.0, 0.0]
    got = mtf.tensor_scatter_nd_add(t, [[1]], [1.5])
    assert got.numpy().tolist() == [0.0, 1.5, 0.0]


def test_scatters_are_quiet_on_overflow():
    t = np.full(2, 6e4, np.float16)
    with np.errstate(all="raise"):
        got = mtf.tensor_scatter_nd_add(t, [[0]], np.array([6e4], np.float16))
    assert np.isinf(got.numpy()[0])


# ---------------------------------------------------------------- errors

SCATTER_OPS = {
    "scatter_nd": lambda i, u, shape=(4, 3): mtf.scatter_nd(i, u, shape),
    "tensor_scatter_nd_update":
        lambda i, u, shape=(4, 3): mtf.tensor_scatter_nd_update(np.zeros(shape), i, u),
    "tensor_scatter_nd_add":
        lambda i, u, shape=(4, 3): mtf.tensor_scatter_nd_add(np.zeros(shape), i, u),
}


@pytest.mark.parametrize("name", sorted(SCATTER_OPS))
def test_out_of_range_indices_name_op_index_and_shape(name):
    op = SCATTER_OPS[name]
    with pytest.raises(IndexError, match=rf"{name}: indices\[1\] = \[4, 0\] does not index "
                                         rf"into shape \[4, 3\]"):
        op(np.array([[0, 0], [4, 0]]), np.ones(2))
    with pytest.raises(IndexError, match=rf"{name}: indices\[0, 1\] = \[-1\] does not"):
        op(np.array([[[0], [-1]]]), np.ones((1, 2, 3)))


@pytest.mark.parametrize("name", sorted(SCATTER_OPS))
def test_argument_errors(name):
    op = SCATTER_OPS[name]
    with pytest.raises(TypeError, match=f"{name}: indices must be int32 or int64"):
        op(np.array([[0.0]]), np.ones((1, 3)))
    with pytest.raises(TypeError, match=f"{name}: .*uint8"):
        op(np.array([[0]], np.uint8), np.ones((1, 3)))
    with pytest.raises(ValueError, match=f"{name}: indices must have rank >= 1"):
        op(np.array(0), np.ones(3))
    with pytest.raises(ValueError, match=rf"{name}: indices of shape \(1, 3\) have 3"):
        op(np.array([[0, 0, 0]]), np.ones(1))
    with pytest.raises(ValueError, match=rf"{name}: updates must have shape .* = \(2, 3\)"):
        op(np.array([[0], [1]]), np.ones((2, 4)))


def test_scatter_nd_specific_errors():
    with pytest.raises(ValueError, match="scatter_nd: the output shape must have rank >= 1"):
        mtf.scatter_nd(np.zeros((1, 0), np.int32), [1.0], [])
    with pytest.raises(ValueError, match="scatter_nd: shape must hold ints >= 0"):
        mtf.scatter_nd([[0]], [1.0], [-3])
    with pytest.raises(TypeError, match="scatter_nd: updates of dtype bool"):
        mtf.scatter_nd([[0]], [True], [2])


def test_tensor_scatter_specific_errors():
    with pytest.raises(TypeError, match="tensor_scatter_nd_update: updates must have the "
                                        "dtype of tensor"):
        mtf.tensor_scatter_nd_update(np.zeros(3), [[0]], np.ones(1, np.float32))
    with pytest.raises(ValueError, match="tensor_scatter_nd_add: tensor must have rank >= 1"):
        mtf.tensor_scatter_nd_add(1.0, [[0]], [1.0])
    with pytest.raises(TypeError, match="tensor_scatter_nd_add: tensor of dtype bool"):
        mtf.tensor_scatter_nd_add([True], [[0]], [True])
    with pytest.raises(TypeError, match="tensor_scatter_nd_update: cannot convert updates"):
        mtf.tensor_scatter_nd_update(np.zeros(3, np.int32), [[0]], ["a"])


# ---------------------------------------------------------------- gradients

IDX = np.array([[1, 0], [3, 2], [1, 0], [0, 1]])
IDX_ROWS = np.array([[2], [0], [2]])
RNG = np.random.default_rng(5)
W = RNG.standard_normal((4, 3))


def test_scatter_nd_gradient_matches_finite_differences():
    u = RNG.standard_normal(4)

    def f(t):
        return mtf.reduce_sum(mtf.scatter_nd(IDX, t, [4, 3]) ** 2 * W)

    def ref(v):
        return np.sum(scatter_ref(np.zeros((4, 3)), IDX, v) ** 2 * W)
    np.testing.assert_allclose(tape_grads(f, u)[0], finite_difference(ref, u), atol=1e-6)


def test_tensor_scatter_nd_add_gradients():
    t, u = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))

    def f(a, b):
        return mtf.reduce_sum(mtf.sin(mtf.tensor_scatter_nd_add(a, IDX_ROWS, b)) * W)
    gt, gu = tape_grads(f, t, u)
    np.testing.assert_allclose(gt, finite_difference(
        lambda v: np.sum(np.sin(scatter_ref(v, IDX_ROWS, u)) * W), t), atol=1e-6)
    np.testing.assert_allclose(gu, finite_difference(
        lambda v: np.sum(np.sin(scatter_ref(t, IDX_ROWS, v)) * W), u), atol=1e-6)


def test_tensor_scatter_nd_update_gradients_with_duplicates():
    """Row 2 is written twice: the later update wins and alone gets the gradient; the
    tensor's overwritten rows get 0."""
    t, u = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))

    def f(a, b):
        return mtf.reduce_sum(mtf.sin(mtf.tensor_scatter_nd_update(a, IDX_ROWS, b)) * W)
    gt, gu = tape_grads(f, t, u)
    np.testing.assert_allclose(gt, finite_difference(
        lambda v: np.sum(np.sin(scatter_ref(v, IDX_ROWS, u, add=False)) * W), t), atol=1e-6)
    np.testing.assert_allclose(gu, finite_difference(
        lambda v: np.sum(np.sin(scatter_ref(t, IDX_ROWS, v, add=False)) * W), u), atol=1e-6)
    np.testing.assert_array_equal(gu[0], 0.0)
    np.testing.assert_array_equal(gt[[0, 2]], 0.0)


@pytest.mark.parametrize("name", sorted(SCATTER_OPS))
def test_second_derivatives(name):
    t, u = RNG.standard_normal((4, 3)), RNG.standard_normal(4)
    ops = {"scatter_nd": lambda a, b: mtf.scatter_nd(IDX, b, [4, 3]) + a,
           "tensor_scatter_nd_update": lambda a, b: mtf.tensor_scatter_nd_update(a, IDX, b),
           "tensor_scatter_nd_add": lambda a, b: mtf.tensor_scatter_nd_add(a, IDX, b)}
    op = ops[name]

    def f(a, b):
        return mtf.reduce_sum(op(a, b) ** 3 * W)
    mtf.testing.check_gradients(f, [t, u])

    def grad_u(b):
        with mtf.GradientTape() as inner:
            inner.watch(b)
            y = f(mtf.constant(t), b)
        return mtf.reduce_sum(inner.gradient(y, b) * np.arange(4.0))
    mtf.testing.check_gradients(grad_u, [u])


# ---------------------------------------------------------------- hypothesis

@st.composite
def scatter_case(draw):
    """(shape, indices, updates shape) with index depth 1..rank, duplicates likely."""
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    m = draw(st.integers(1, rank))
    lead = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=2)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    indices = np.stack([rng.integers(0, n, lead) for n in shape[:m]], axis=-1)
    indices = indices.reshape(lead + (m,)).astype(draw(st.sampled_from([np.int32, np.int64])))
    updates = rng.integers(-5, 6, lead + shape[m:])
    return shape, indices, updates


@settings(max_examples=60, deadline=None)
@given(scatter_case(), st.sampled_from([np.int32, np.int64, np.float64]))
def test_scatters_match_loop_reference(case, dtype):
    shape, indices, updates = case
    updates = updates.astype(dtype)
    tensor = np.arange(np.prod(shape)).reshape(shape).astype(dtype)
    np.testing.assert_array_equal(mtf.scatter_nd(indices, updates, shape).numpy(),
                                  scatter_ref(np.zeros(shape, dtype), indices, updates))
    np.testing.assert_array_equal(mtf.tensor_scatter_nd_add(tensor, indices, updates).numpy(),
                                  scatter_ref(tensor, indices, updates))
    np.testing.assert_array_equal(
        mtf.tensor_scatter_nd_update(tensor, indices, updates).numpy(),
        scatter_ref(tensor, indices, updates, add=False))


@settings(max_examples=30, deadline=None)
@given(scatter_case())
def test_scatter_nd_and_gather_nd_are_adjoint(case):
    """<scatter_nd(u), g> == <u, gather_nd(g)>, so the gradients are right for any case."""
    shape, indices, updates = case
    u = updates.astype(np.float64)
    g = np.random.default_rng(0).standard_normal(shape)
    left = np.sum(mtf.scatter_nd(indices, u, shape).numpy() * g)
    right = np.sum(u * mtf.gather_nd(g, indices).numpy())
    np.testing.assert_allclose(left, right, atol=1e-9)


# ---------------------------------------------------------------- map_fn

def test_map_fn_matches_a_loop():
    x = np.arange(12.0).reshape(3, 4)
    got = mtf.map_fn(lambda r: mtf.reduce_sum(r * r), x)
    np.testing.assert_array_equal(got.numpy(), (x * x).sum(axis=1))
    got = mtf.map_fn(lambda r: r[::-1] * 2, mtf.constant(x))
    np.testing.assert_array_equal(got.numpy(), x[:, ::-1] * 2)


def test_map_fn_nested_elems_and_outputs():
    a, b = np.arange(6.0).reshape(3, 2), np.arange(3, dtype=np.int32)
    sig = {"sum": mtf.float64, "pair": (mtf.TensorSpec([2], mtf.float64), mtf.int32)}

    def fn(e):
        x, (i,) = e["x"], e["i"]
        return {"sum": mtf.reduce_sum(x), "pair": (x + 1.0, i * 2)}
    got = mtf.map_fn(fn, {"x": a, "i": (b,)}, fn_output_signature=sig)
    np.testing.assert_array_equal(got["sum"].numpy(), a.sum(1))
    np.testing.assert_array_equal(got["pair"][0].numpy(), a + 1)
    assert got["pair"][1].dtype == np.int32
    np.testing.assert_array_equal(got["pair"][1].numpy(), b * 2)


def test_map_fn_tuple_elems_without_signature_keeps_structure():
    a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
    got = mtf.map_fn(lambda e: (e[1], e[0]), (a, b))
    assert isinstance(got, tuple)
    np.testing.assert_array_equal(got[0].numpy(), b)


def test_map_fn_dtype_alias_and_python_results():
    got = mtf.map_fn(lambda r: mtf.cast(r, mtf.int64), np.ones(3, np.float32), dtype=mtf.int64)
    assert got.dtype == np.int64
    got = mtf.map_fn(lambda r: 1.5, np.ones(3, np.float32))
    assert got.dtype == np.float32 and got.numpy().tolist() == [1.5] * 3


def test_map_fn_empty_elems():
    got = mtf.map_fn(lambda r: r * 2, np.zeros((0, 3), np.float32))
    assert got.shape == (0, 3) and got.dtype == np.float32
    got = mtf.map_fn(lambda r: mtf.reduce_sum(r), np.zeros((0, 3)),
                     fn_output_signature=mtf.TensorSpec([], mtf.float64))
    assert got.shape == (0,) and got.dtype == np.float64
    got = mtf.map_fn(lambda r: (r, r), np.zeros((0, 2)),
                     fn_output_signature=(mtf.TensorSpec([2], mtf.float64),
                                          mtf.TensorSpec([1, 2], mtf.int32)))
    assert got[0].shape == (0, 2) and got[1].shape == (0, 1, 2) and got[1].dtype == np.int32
    with pytest.raises(ValueError, match="map_fn: elems are empty"):
        mtf.map_fn(lambda r: r, np.zeros((0, 2)), fn_output_signature=mtf.float32)


def test_map_fn_gradients():
    x = RNG.standard_normal((3, 4))
    w = RNG.standard_normal((4,))

    def f(t):
        return mtf.reduce_sum(mtf.map_fn(lambda r: mtf.sin(r) * w, t) ** 2)
    np.testing.assert_allclose(tape_grads(f, x)[0], finite_difference(
        lambda v: np.sum((np.sin(v) * w) ** 2), x), atol=1e-6)
    mtf.testing.check_gradients(lambda t: mtf.map_fn(lambda r: r * r, t), [x])


def test_map_fn_gradient_reaches_captured_variables():
    v = mtf.Variable(np.array([1.0, 2.0]))
    with mtf.GradientTape() as tape:
        y = mtf.reduce_sum(mtf.map_fn(lambda r: r * v, np.ones((3, 2))))
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [3.0, 3.0])


def test_map_fn_back_prop_false_stops_gradients():
    x = mtf.constant(np.ones((2, 2)))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.reduce_sum(mtf.map_fn(lambda r: r * 3, x, back_prop=False))
    assert tape.gradient(y, x) is None


def test_map_fn_inside_function():
    traced = mtf.function(lambda x: mtf.map_fn(lambda r: mtf.reduce_max(r), x))
    for seed in range(3):
        x = np.random.default_rng(seed).standard_normal((3, 4))
        np.testing.assert_array_equal(traced(mtf.constant(x)).numpy(), x.max(1))
    assert traced.experimental_get_tracing_count() == 1


def test_map_fn_errors():
    with pytest.raises(ValueError, match=r"map_fn: .* same size along axis 0, got sizes "
                                         r"\[2, 3\]"):
        mtf.map_fn(lambda e: e[0], (np.ones(2), np.ones(3)))
    with pytest.raises(ValueError, match="map_fn: every tensor in elems must have rank >= 1"):
        mtf.map_fn(lambda e: e, 3.0)
    with pytest.raises(ValueError, match="map_fn: elems must be a tensor"):
        mtf.map_fn(lambda e: e, [])
    with pytest.raises(TypeError, match="map_fn: fn must be callable"):
        mtf.map_fn(3, np.ones(2))
    with pytest.raises(ValueError, match="map_fn: fn returned a result of structure"):
        mtf.map_fn(lambda e: (e, e), np.ones(2))
    with pytest.raises(TypeError, match="map_fn: fn returned dtype int32 for output 0 of "
                                        "element 0, expected float64"):
        mtf.map_fn(lambda e: mtf.cast(e, mtf.int32), np.ones(2))
    with pytest.raises(ValueError, match="map_fn: give fn_output_signature or"):
        mtf.map_fn(lambda e: e, np.ones(2), dtype=mtf.float64,
                   fn_output_signature=mtf.float64)
    with pytest.raises(ValueError, match=r"map_fn: fn returned shape \(\) for output 0, which "
                                         r"does not match"):
        mtf.map_fn(lambda e: e, np.ones(2), fn_output_signature=mtf.TensorSpec([2], "float64"))
    with pytest.raises(TypeError, match="map_fn: back_prop must be True or False"):
        mtf.map_fn(lambda e: e, np.ones(2), back_prop=1)
    with pytest.raises(ValueError, match="map_fn: parallel_iterations must be"):
        mtf.map_fn(lambda e: e, np.ones(2), parallel_iterations=0)


def test_map_fn_output_changing_between_elements():
    calls = []

    def changing(kind):
        def fn(r):
            calls.append(1)
            late = len(calls) > 1
            if kind == "structure":
                return (r, r) if late else r
            if kind == "dtype":
                return mtf.cast(r, mtf.int32) if late else r
            return mtf.concat([r, r], 0) if late else r
        return fn
    with pytest.raises(ValueError, match="structure .* for element 1"):
        mtf.map_fn(changing("structure"), np.ones((2, 2)))
    calls.clear()
    with pytest.raises(TypeError, match="dtype int32 for output 0 of element 1"):
        mtf.map_fn(changing("dtype"), np.ones((2, 2)), fn_output_signature=mtf.float64)
    calls.clear()
    with pytest.raises(ValueError, match=r"shape \(4,\) for output 0 of element 1, but "
                                         r"shape \(2,\) for element 0"):
        mtf.map_fn(changing("shape"), np.ones((2, 2)))
