"""Tensor values, dtype rules, conversion, operators and Python protocols."""
import numpy as np
import pytest

import minitf as mtf


# ------------------------------------------------------------------ dtypes

def test_dtypes_are_numpy_dtypes():
    assert mtf.float16 == np.float16 and mtf.float32 == np.float32
    assert mtf.float64 == np.float64 and mtf.int32 == np.int32
    assert mtf.int64 == np.int64 and mtf.bool == np.bool_


@pytest.mark.parametrize("value, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1.0], [2.5]], np.float32),
    (3, np.int32), ([1, 2, 3], np.int32), (True, np.bool_), ([True, False], np.bool_),
    (np.float64(2.0), np.float64), (np.arange(3, dtype=np.int64), np.int64),
    (np.ones(2, np.float16), np.float16), (np.zeros(3), np.float64),
])
def test_python_values_take_tf_defaults_and_numpy_keeps_dtype(value, dtype):
    t = mtf.constant(value)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(value))


def test_python_ints_beyond_int32_become_int64():
    assert mtf.constant(2**40).dtype == np.int64


def test_python_scalars_are_weak():
    half = mtf.constant([1.0, 2.0], dtype=mtf.float16)
    for result in (half + 2.0, 2.0 + half, half * 3, half - 1, 1 / half):
        assert result.dtype == np.float16
    f64 = mtf.constant([1.0], dtype=mtf.float64)
    assert (f64 * 2.5).dtype == np.float64
    ints = mtf.constant([1, 2], dtype=mtf.int64)
    assert (ints + 1).dtype == np.int64
    np.testing.assert_array_equal((ints + 1).numpy(), [2, 3])


def test_lists_take_the_other_operands_dtype():
    f64 = mtf.constant([1.0, 2.0], dtype=mtf.float64)
    out = f64 + [0.5, 0.25]
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.numpy(), [1.5, 2.25])


@pytest.mark.parametrize("other", [
    lambda: mtf.constant([1.0], dtype=mtf.float64), lambda: np.ones(2, np.float64),
    lambda: mtf.constant([1.0], dtype=mtf.float16)])
def test_mixing_float_dtypes_raises_naming_both(other):
    t = mtf.constant([1.0, 2.0])
    with pytest.raises(TypeError) as info:
        t + other()
    message = str(info.value)
    assert "float32" in message and str(np.asarray(other()).dtype) in message
    assert "mtf.cast" in message and "add" in message


def test_int_tensor_with_python_float_raises():
    with pytest.raises(TypeError, match=r"multiply.*Python float.*int32.*mtf.cast"):
        mtf.constant([1, 2]) * 1.5


def test_int32_and_int64_do_not_mix():
    with pytest.raises(TypeError, match="int32.*int64"):
        mtf.constant([1]) + mtf.constant([1], dtype=mtf.int64)


# ----------------------------------------------------- constant, convert

def test_constant_dtype_and_shape():
    t = mtf.constant(2.0, shape=(2, 3))
    np.testing.assert_array_equal(t.numpy(), np.full((2, 3), 2.0, np.float32))
    r = mtf.constant([1, 2, 3, 4, 5, 6], dtype=mtf.float64, shape=[3, 2])
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r.numpy(), np.arange(1, 7.0).reshape(3, 2))
    assert mtf.constant(3, dtype="float16").dtype == np.float16


def test_constant_bad_shape_names_the_sizes():
    with pytest.raises(ValueError, match=r"constant.*\(3,\).*\(2, 2\)"):
        mtf.constant([1.0, 2.0, 3.0], shape=(2, 2))


def test_constant_refuses_float_to_int_truncation():
    with pytest.raises(TypeError, match="mtf.cast"):
        mtf.constant(1.5, dtype=mtf.int32)


def test_constant_of_unsupported_values_raises():
    with pytest.raises(TypeError, match="constant: cannot convert str"):
        mtf.constant("text")


def test_constant_copies_its_numpy_input():
    array = np.array([1.0, 2.0])
    t = mtf.constant(array)
    array[0] = 99.0
    assert t.numpy()[0] == 1.0


def test_convert_to_tensor_passes_tensors_through_and_reads_variables():
    t = mtf.constant([1.0])
    assert mtf.convert_to_tensor(t) is t
    v = mtf.Variable([1.0, 2.0])
    read = mtf.convert_to_tensor(v)
    assert type(read) is mtf.Tensor
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(read.numpy(), [1.0, 2.0])


def test_convert_to_tensor_values_and_dtype():
    assert mtf.convert_to_tensor([[1, 2]]).dtype == np.int32
    assert mtf.convert_to_tensor(np.float16(1)).dtype == np.float16
    assert mtf.convert_to_tensor([1, 2], dtype=mtf.float64).dtype == np.float64
    with pytest.raises(TypeError, match=r"float32.*float64"):
        mtf.convert_to_tensor(mtf.constant(1.0), dtype=mtf.float64)


def test_convert_to_tensor_densifies_indexed_slices_summing_duplicates():
    rows = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    slices = mtf.IndexedSlices(mtf.constant(rows), mtf.constant([2, 0, 2]), (4, 2))
    expected = np.zeros((4, 2), np.float32)
    np.add.at(expected, [2, 0, 2], rows)
    dense = mtf.convert_to_tensor(slices)
    assert type(dense) is mtf.Tensor
    np.testing.assert_array_equal(dense.numpy(), expected)


# -------------------------------------------------------------- operators

A = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
B = np.array([[2.0, 0.5, -1.5], [3.0, -2.5, 1.0]], np.float32)


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a // b, lambda a, b: a % b, lambda a, b: abs(a) ** b,
    lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b,
    lambda a, b: a == b, lambda a, b: a != b])
def test_binary_operators_match_numpy(op):
    expected = op(A, B)
    for a, b in ((mtf.constant(A), mtf.constant(B)), (mtf.constant(A), B),
                 (A, mtf.constant(B))):
        out = op(a, b)
        assert isinstance(out, mtf.Tensor)
        assert out.dtype == expected.dtype
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("op", [
    lambda a: 2.0 + a, lambda a: 2.0 - a, lambda a: 2.0 * a, lambda a: 2.0 / a,
    lambda a: 7.0 // a, lambda a: 7.0 % a, lambda a: 2.0 ** a, lambda a: -a,
    lambda a: abs(a), lambda a: +a])
def test_reflected_and_unary_operators_match_numpy(op):
    expected = op(A)
    out = op(mtf.constant(A))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_matmul_operator_both_ways():
    x = mtf.constant(A)
    y = np.array([[1.0, 2.0], [0.0, 1.0], [-1.0, 0.5]], np.float32)
    np.testing.assert_allclose((x @ mtf.constant(y)).numpy(), A @ y, rtol=1e-6)
    reflected = y.T @ mtf.constant(A.T)
    assert isinstance(reflected, mtf.Tensor)
    np.testing.assert_allclose(reflected.numpy(), y.T @ A.T, rtol=1e-6)


def test_numpy_scalar_on_the_left_gives_a_tensor():
    t = mtf.constant([1.0, 2.0])
    for out in (np.float32(2) * t, np.float32(1) + t, np.array([1.0, 1.0], np.float32) - t):
        assert isinstance(out, mtf.Tensor)
    np.testing.assert_array_equal((np.float32(2) * t).numpy(), [2.0, 4.0])


def test_comparisons_are_elementwise():
    t = mtf.constant([1, 2, 3])
    eq = t == mtf.constant([1, 0, 3])
    assert eq.dtype == np.bool_
    np.testing.assert_array_equal(eq.numpy(), [True, False, True])
    np.testing.assert_array_equal((t != 2).numpy(), [True, False, True])
    assert (t == None) is False and (t != None) is True  # noqa: E711


def test_logical_operators_on_bools():
    p, q = mtf.constant([True, True, False]), mtf.constant([True, False, False])
    np.testing.assert_array_equal((p & q).numpy(), [True, False, False])
    np.testing.assert_array_equal((p | q).numpy(), [True, True, False])
    np.testing.assert_array_equal((~p).numpy(), [False, False, True])


def test_tensors_hash_by_identity():
    a, b = mtf.constant([1.0]), mtf.constant([1.0])
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and len(table) == 2
    assert hash(a) == object.__hash__(a)
    assert len({a, b, a}) == 2


# ------------------------------------------------------ Python protocols

def test_properties():
    t = mtf.constant(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.ndim == 3 and t.size == 24 and t.dtype == np.float64


def test_numpy_returns_a_mutable_copy():
    t = mtf.constant([1.0, 2.0])
    copy = t.numpy()
    copy[0] = 10.0
    assert copy.flags.writeable
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_asarray_is_read_only_and_shares_memory():
    t = mtf.constant([1.0, 2.0, 3.0])
    view = np.asarray(t)
    assert not view.flags.writeable
    assert np.shares_memory(view, np.asarray(t))
    with pytest.raises(ValueError):
        view[0] = 5.0
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_scalar_conversions_of_single_elements():
    assert float(mtf.constant(2.5)) == 2.5 and type(float(mtf.constant(2.5))) is float
    assert int(mtf.constant(7)) == 7
    assert float(mtf.constant([[3.25]])) == 3.25
    assert int(mtf.constant([9])) == 9
    assert bool(mtf.constant(0.0)) is False and bool(mtf.constant([[1]])) is True


@pytest.mark.parametrize("convert", [float, int, bool])
def test_scalar_conversions_of_many_elements_raise_numpys_error(convert):
    values = np.array([1.0, 2.0], np.float32)
    with pytest.raises(Exception) as expected:
        convert(values)
    with pytest.raises(type(expected.value)) as got:
        convert(mtf.constant(values))
    assert str(got.value) == str(expected.value)


def test_len_and_iteration_over_axis_0():
    value = np.arange(6.0).reshape(3, 2)
    t = mtf.constant(value)
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, mtf.Tensor) for r in rows)
    for row, expected in zip(rows, value):
        np.testing.assert_array_equal(row.numpy(), expected)
    with pytest.raises(TypeError):
        len(mtf.constant(1.0))
    with pytest.raises(TypeError):
        iter(mtf.constant(1.0))


def test_repr_shows_values_shape_and_dtype():
    text = repr(mtf.constant([[1.5, 2.0]]))
    assert "shape=(1, 2)" in text and "dtype=float32" in text
    assert "1.5" in text and "2." in text
    scalar = repr(mtf.constant(7))
    assert "shape=()" in scalar and "int32" in scalar and "7" in scalar


def test_format_of_scalars():
    assert f"{mtf.constant(0.25):.3f}" == "0.250"


def test_tensor_constructor():
    t = mtf.Tensor([1, 2], dtype=mtf.float64)
    assert t.dtype == np.float64
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
