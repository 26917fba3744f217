"""Variables: names, trainability, assignment checks, snapshots, versions."""
import numpy as np
import pytest

import minitf as mtf


def test_default_name_and_explicit_name():
    assert mtf.Variable(1.0).name == "Variable:0"
    assert mtf.Variable(1.0, name="w").name == "w:0"


def test_names_take_the_name_scope_at_creation():
    with mtf.name_scope("a"):
        with mtf.name_scope("b"):
            v = mtf.Variable(1.0, name="v")
            unnamed = mtf.Variable(1.0)
        sibling = mtf.Variable(1.0, name="u")
    after = mtf.Variable(1.0, name="z")
    assert v.name == "a/b/v:0"
    assert unnamed.name == "a/b/Variable:0"
    assert sibling.name == "a/u:0"
    assert after.name == "z:0"


def test_bad_name_type_raises():
    with pytest.raises(TypeError, match="name"):
        mtf.Variable(1.0, name=3)


def test_value_shape_dtype_and_numpy():
    v = mtf.Variable([[1, 2], [3, 4]], dtype=mtf.float64)
    assert v.shape == (2, 2) and v.dtype == np.float64
    np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    assert mtf.Variable(1.0).dtype == np.float32
    assert mtf.Variable(lambda: np.ones(3)).shape == (3,)


def test_variable_copies_its_initial_value():
    init = np.array([1.0, 2.0])
    v = mtf.Variable(init)
    init[0] = 100.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_trainable_is_read_only():
    v = mtf.Variable(1.0, trainable=False)
    assert v.trainable is False and mtf.Variable(1.0).trainable is True
    with pytest.raises(AttributeError):
        v.trainable = True
    assert v.trainable is False


def test_assign_family_updates_in_place_and_returns_the_variable():
    v = mtf.Variable([1.0, 2.0])
    buffer = v._value  # the variable's own array (np.asarray(v) is a snapshot)
    assert v.assign([3.0, 4.0]) is v
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    v.assign_add(mtf.constant([1.0, 1.5]))
    np.testing.assert_array_equal(v.numpy(), [4.0, 5.5])
    v.assign_sub(np.array([0.5, 0.5], np.float32))
    np.testing.assert_array_equal(v.numpy(), [3.5, 5.0])
    assert v._value is buffer  # same memory, no reallocation
    np.testing.assert_array_equal(buffer, [3.5, 5.0])


@pytest.mark.parametrize("method", ["assign", "assign_add", "assign_sub"])
def test_shape_mismatch_raises_value_error_and_keeps_the_value(method):
    v = mtf.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError) as info:
        getattr(v, method)([1.0, 2.0, 3.0])
    message = str(info.value)
    assert method in message and "(2,)" in message and "(3,)" in message and "w:0" in message
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("method", ["assign", "assign_add", "assign_sub"])
def test_dtype_mismatch_raises_type_error_and_keeps_the_value(method):
    v = mtf.Variable([1.0, 2.0])
    with pytest.raises(TypeError) as info:
        getattr(v, method)(mtf.constant([1.0, 2.0], dtype=mtf.float64))
    message = str(info.value)
    assert "float32" in message and "float64" in message and "mtf.cast" in message
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_float_into_int_variable_raises_and_keeps_the_value():
    v = mtf.Variable([1, 2])
    with pytest.raises(TypeError):
        v.assign([1.5, 2.5])
    np.testing.assert_array_equal(v.numpy(), [1, 2])
    v.assign([7, 8])
    np.testing.assert_array_equal(v.numpy(), [7, 8])


def test_value_is_a_snapshot():
    v = mtf.Variable([1.0, 2.0])
    snapshot, read = v.value(), v.read_value()
    assert type(snapshot) is mtf.Tensor
    v.assign([9.0, 9.0])
    np.testing.assert_array_equal(snapshot.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(read.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(v.value().numpy(), [9.0, 9.0])


def test_numpy_is_a_copy():
    v = mtf.Variable([1.0, 2.0])
    copy = v.numpy()
    copy[0] = 5.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variables_work_in_operators_and_ops():
    v = mtf.Variable([1.0, 4.0])
    np.testing.assert_array_equal((v + 1).numpy(), [2.0, 5.0])
    np.testing.assert_array_equal((2 * v).numpy(), [2.0, 8.0])
    np.testing.assert_array_equal((v * v).numpy(), [1.0, 16.0])
    np.testing.assert_allclose(mtf.sqrt(v).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal((v > 2).numpy(), [False, True])
    assert float(mtf.Variable(3.5)) == 3.5 and len(v) == 2


def test_variables_hash_by_identity():
    a, b = mtf.Variable(1.0), mtf.Variable(1.0)
    assert len({a: 0, b: 1}) == 2 and {a: "a"}[a] == "a"


def test_repr_names_the_variable():
    text = repr(mtf.Variable([1.5], name="bias"))
    assert "bias:0" in text and "shape=(1,)" in text and "float32" in text
    assert "1.5" in text


# ------------------------------------------------------- in-place safety

def test_assign_after_recording_a_saving_op_raises_naming_the_variable():
    v = mtf.Variable(3.0, name="weight")
    with mtf.GradientTape() as tape:
        y = v * v
    v.assign(10.0)
    with pytest.raises(RuntimeError, match="weight:0"):
        tape.gradient(y, v)


@pytest.mark.parametrize("op", [mtf.sin, mtf.log, mtf.square])
def test_assign_before_gradient_raises_for_ops_that_read_the_value(op):
    v = mtf.Variable(2.0, name="p")
    with mtf.GradientTape() as tape:
        y = op(v)
    v.assign_add(1.0)
    with pytest.raises(RuntimeError, match="p:0"):
        tape.gradient(y, v)


def test_assign_after_a_linear_op_is_allowed():
    v = mtf.Variable(3.0)
    with mtf.GradientTape() as tape:
        y = v + 1
    v.assign(10.0)
    assert float(tape.gradient(y, v)) == 1.0


def test_assign_after_gradient_is_fine_and_versions_count_assigns():
    v = mtf.Variable(3.0)
    with mtf.GradientTape() as tape:
        y = v * v
    assert float(tape.gradient(y, v)) == 6.0
    v.assign(1.0)
    assert v._version == 1
    v.assign_add(1.0)
    v.assign_sub(1.0)
    assert v._version == 3


def test_failed_assign_does_not_bump_the_version():
    v = mtf.Variable([3.0, 1.0])
    with mtf.GradientTape() as tape:
        y = v * v
    with pytest.raises(ValueError):
        v.assign([1.0])
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [6.0, 2.0])
