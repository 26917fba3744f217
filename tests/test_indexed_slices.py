"""IndexedSlices: sparse row gradients from gather and row indexing."""
import numpy as np
import pytest

import minitf as mtf
from minitf.ops.indexing import scatter_rows
from minitf.testing import check_gradients
from _helpers import finite_difference

rng = np.random.default_rng(2)


def test_convert_to_tensor_densifies_and_sums_duplicates():
    s = mtf.IndexedSlices(np.array([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]]),
                          np.array([2, 0, 2]), (3, 2))
    dense = mtf.convert_to_tensor(s)
    assert isinstance(dense, mtf.Tensor)
    np.testing.assert_array_equal(dense.numpy(), [[10, 20], [0, 0], [101, 202]])
    np.testing.assert_array_equal(s.numpy(), dense.numpy())


def test_variable_gathered_twice_keeps_a_sparse_gradient():
    init = rng.standard_normal((6, 2))

    def loss(p):
        a = mtf.gather(p, [1, 5])
        b = p[np.array([5, 0, 5])]
        return mtf.reduce_sum(a * a) + mtf.reduce_sum(mtf.sin(b))
    v = mtf.Variable(init)
    with mtf.GradientTape() as tape:
        y = loss(v)
    g = tape.gradient(y, v)
    assert isinstance(g, mtf.IndexedSlices)
    assert sorted(g.indices.numpy().tolist()) == [0, 1, 5, 5, 5]
    assert g.values.shape == (5, 2)
    np.testing.assert_allclose(mtf.convert_to_tensor(g).numpy(),
                               finite_difference(loss, init), atol=1e-6)


def test_sparse_gradient_through_a_later_op_is_densified():
    # gather reads a computed tensor: its IndexedSlices must be densified before
    # flowing back through the multiply to the source.
    init = rng.standard_normal((4, 3))

    def loss(p):
        return mtf.reduce_sum(mtf.gather(p * 3.0, [3, 3, 1]) ** 2)
    x = mtf.constant(init)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = loss(x)
    g = tape.gradient(y, x)
    assert isinstance(g, mtf.Tensor)
    np.testing.assert_allclose(g.numpy(), finite_difference(loss, init), atol=1e-6)


def test_mixing_sparse_and_dense_gradients_of_one_variable():
    init = rng.standard_normal((3, 2))

    def loss(p):
        return mtf.reduce_sum(mtf.gather(p, [2, 2])) + mtf.reduce_sum(p * p)
    v = mtf.Variable(init)
    with mtf.GradientTape() as tape:
        y = loss(v)
    g = mtf.convert_to_tensor(tape.gradient(y, v))
    np.testing.assert_allclose(g.numpy(), finite_difference(loss, init), atol=1e-6)


def test_scatter_rows_is_differentiable_in_values():
    index = np.array([3, 0, 3, 3])
    check_gradients(lambda v: scatter_rows(v, index, 5), [rng.standard_normal((4, 2))])
    check_gradients(lambda v: scatter_rows(v, index, 4), [rng.standard_normal(4)])


def test_second_derivative_through_gather():
    # y = sum(gather(x, [0, 0, 2]) ** 3): d2y/dx2 = [2 * 6 x0, 0, 6 x2].
    x = mtf.Variable([1.5, -1.0, 2.0], dtype=mtf.float64)
    with mtf.GradientTape() as outer:
        with mtf.GradientTape() as inner:
            y = mtf.reduce_sum(mtf.gather(x, [0, 0, 2]) ** 3)
        dy = mtf.convert_to_tensor(inner.gradient(y, x))
    d2 = mtf.convert_to_tensor(outer.gradient(dy, x))
    np.testing.assert_allclose(d2.numpy(), [18.0, 0.0, 12.0])


def test_indexed_slices_validates_its_parts():
    with pytest.raises(TypeError, match="IndexedSlices: indices must be a 1-D integer"):
        mtf.IndexedSlices(np.zeros((2, 3)), np.array([0.0, 1.0]), (4, 3))
    with pytest.raises(ValueError, match=r"IndexedSlices: values shape \(2, 3\)"):
        mtf.IndexedSlices(np.zeros((2, 3)), np.array([0, 1, 2]), (4, 3))


def test_densifying_out_of_range_rows_raises():
    s = mtf.IndexedSlices(np.ones((2, 3)), np.array([0, 4]), (4, 3))
    with pytest.raises(IndexError) as info:
        mtf.convert_to_tensor(s)
    assert "scatter_rows" in str(info.value) and "index 4" in str(info.value)
    assert "size 4" in str(info.value)


def test_concat_and_stack_densify_indexed_slices_differentiably():
    values = mtf.constant([[1.0, 2.0], [3.0, 4.0]], dtype=mtf.float64)
    with mtf.GradientTape() as tape:
        tape.watch(values)
        s = mtf.IndexedSlices(values, np.array([1, 1]), (3, 2))
        out = mtf.stack([s, mtf.zeros([3, 2], mtf.float64)])
        y = mtf.reduce_sum(out * np.arange(12.0).reshape(2, 3, 2))
    np.testing.assert_array_equal(out.numpy()[0], [[0, 0], [4, 6], [0, 0]])
    # Both value rows land on row 1, whose weights are [2, 3].
    np.testing.assert_array_equal(tape.gradient(y, values).numpy(), [[2, 3], [2, 3]])
    np.testing.assert_array_equal(mtf.concat([s, [[7.0, 7.0]]], 0).numpy(),
                                  [[0, 0], [4, 6], [0, 0], [7, 7]])


@pytest.mark.parametrize("ids", [3, [4, 1, 4], [[0, 2], [2, 2]]], ids=["scalar", "1d", "2d"])
def test_gather_gradient_rows_follow_the_flattened_ids(ids):
    v = mtf.Variable(rng.standard_normal((5, 2)))
    upstream = rng.standard_normal(np.shape(ids) + (2,))
    with mtf.GradientTape() as tape:
        loss = mtf.reduce_sum(mtf.gather(v, ids) * upstream)
    g = tape.gradient(loss, v)
    assert type(g) is mtf.IndexedSlices and g.dense_shape == (5, 2)
    np.testing.assert_array_equal(g.indices.numpy(), np.reshape(ids, -1))
    np.testing.assert_array_equal(g.values.numpy(), upstream.reshape(-1, 2))
    dense = np.zeros((5, 2))
    np.add.at(dense, np.reshape(ids, -1), upstream.reshape(-1, 2))
    np.testing.assert_array_equal(g.numpy(), dense)
