"""Interop through numpy's array protocols and DLPack, for Tensors and Variables.

numpy 2's ``__array__(dtype, copy)`` rules: ``copy=True`` always copies,
``copy=False`` never does (ValueError when it would have to), ``None`` copies only
when needed. A Tensor is immutable, so numpy gets a read-only view of it; a
Variable changes in place, so numpy gets a snapshot (as ``np.asarray`` of a
``tf.Variable`` does) and ``copy=False`` raises. torch and JAX are not installed:
``np.from_dlpack`` and a hand-written stand-in for ``torch.as_tensor`` (its DLPack
check, then its sequence walk) are the consumers.
"""
import threading

import numpy as np
import pytest

import minitf as mtf

VALUES = {
    "float32": np.array([[1.5, -2.0, 3.25], [0.5, 4.0, -1.0]], np.float32),
    "float64": np.array([0.1, -1e300, 7.0]),
    "float16": np.array([1.0, -0.5, 65504.0], np.float16),
    "int32": np.array([[-(2**31), 0], [7, 2**31 - 1]], np.int32),
    "int64": np.array([-(2**63), 2**40, 2**63 - 1], np.int64),
    "bool": np.array([True, False, True]),
    "0-d": np.array(2.5, np.float32),
    "empty": np.zeros((0, 3), np.float64),
}


def _make(kind, value):
    return mtf.constant(value) if kind == "tensor" else mtf.Variable(value)


# ------------------------------------------------ Variables: snapshots

def test_asarray_of_a_variable_is_a_snapshot_that_training_does_not_change():
    """Keeping the best weights: the kept array must stay what it was."""
    start = np.array([1.0, -2.0, 0.5])
    v = mtf.Variable(start)
    best = np.asarray(v)
    opt = mtf.optimizers.SGD(learning_rate=0.1)
    for _ in range(3):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(v * v)
        opt.apply_gradients([(tape.gradient(loss, v), v)])
    np.testing.assert_array_equal(best, start)
    np.testing.assert_allclose(v.numpy(), start * 0.8 ** 3)  # d(x^2) = 2x: x <- 0.8 x
    assert best.flags.writeable


@pytest.mark.parametrize("convert", [
    np.asarray, np.array, lambda v: np.asarray(v, dtype=np.float64),
    lambda v: np.array(v, copy=None), lambda v: np.from_dlpack(v),
    lambda v: np.stack([v, v])[0], lambda v: np.add(v, 0)])
def test_every_numpy_reading_of_a_variable_is_independent_of_later_assigns(convert):
    v = mtf.Variable([1.0, 2.0, 3.0])
    seen = convert(v)
    v.assign([7.0, 8.0, 9.0])
    v.assign_add([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(seen, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("read", [np.asarray, lambda v: v.numpy(), lambda v: v.value().numpy()],
                         ids=["asarray", "numpy", "value"])
def test_snapshots_taken_while_another_thread_assigns_are_whole_states(read):
    """Every element gets +1 per assign, so a whole state has all elements equal."""
    v = mtf.Variable(np.zeros(500_000))
    ones = np.ones(500_000)
    finished = threading.Event()

    def writer():
        for _ in range(100):
            v.assign_add(ones)
        finished.set()
    thread = threading.Thread(target=writer)
    thread.start()
    torn = 0
    while not finished.is_set():
        seen = read(v)
        torn += int(seen.min() != seen.max())
    thread.join()
    assert torn == 0 and v.numpy().min() == 100.0


def test_copy_false_on_a_variable_raises_as_numpy_requires():
    v = mtf.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError, match=r"Variable.*'w:0'.*copy=False"):
        np.asarray(v, copy=False)
    with pytest.raises(ValueError):
        np.array(v, copy=False)
    with pytest.raises(BufferError, match="copy=False"):
        np.from_dlpack(v, copy=False)


# ---------------------------------------------------- Tensors: views

def test_asarray_of_a_tensor_is_a_read_only_view_and_copy_false_is_allowed():
    t = mtf.constant([1.0, 2.0, 3.0])
    for view in (np.asarray(t), np.asarray(t, copy=False), np.array(t, copy=False)):
        assert np.shares_memory(view, t._value) and not view.flags.writeable
    fresh = np.array(t, copy=True)
    assert fresh.flags.writeable and not np.shares_memory(fresh, t._value)


def test_tensor_copy_false_with_another_dtype_raises_like_numpy():
    source = np.array([1.0, 2.0], np.float32)
    with pytest.raises(ValueError):   # numpy's own rule, on its own array
        np.array(source, dtype=np.float64, copy=False)
    with pytest.raises(ValueError, match=r"float32.*float64.*copy=False"):
        np.array(mtf.constant(source), dtype=np.float64, copy=False)
    widened = np.asarray(mtf.constant(source), dtype=np.float64)
    assert widened.dtype == np.float64
    np.testing.assert_array_equal(widened, source.astype(np.float64))


# ------------------------------------------------------------- DLPack

@pytest.mark.parametrize("kind", ["tensor", "variable"])
@pytest.mark.parametrize("name", sorted(VALUES))
def test_from_dlpack_gives_the_values_and_dtype_of_every_dtype_and_shape(kind, name):
    value = VALUES[name]
    x = _make(kind, value)
    out = np.from_dlpack(x)
    assert out.dtype == value.dtype and out.shape == value.shape
    np.testing.assert_array_equal(out, value)
    assert x.__dlpack_device__() == np.asarray(value).__dlpack_device__()


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_dlpack_export_is_private_so_writing_it_leaves_the_value_alone(kind):
    x = _make(kind, np.array([1.0, 2.0, 3.0]))
    out = np.from_dlpack(x)
    out[0] = 100.0
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0, 3.0])


def test_dlpack_of_a_strided_tensor_keeps_its_values():
    t = mtf.transpose(mtf.constant(np.arange(12.0).reshape(3, 4)))[1:, ::2]
    np.testing.assert_array_equal(np.from_dlpack(t), np.arange(12.0).reshape(3, 4).T[1:, ::2])


def test_tensor_dlpack_without_copy_shares_read_only_memory():
    t = mtf.constant([1.0, 2.0])
    shared = np.from_dlpack(t, copy=False)
    assert np.shares_memory(shared, t._value) and not shared.flags.writeable
    with pytest.raises(BufferError, match=r"Tensor.__dlpack__.*copy=False"):
        t.__dlpack__(copy=False)  # an unversioned consumer cannot be told "read-only"


# ------------------------------------- a stand-in for torch.as_tensor

def _is_sequence(obj):
    """PySequence_Check for Python classes: the type defines __getitem__ (not a dict)."""
    return hasattr(type(obj), "__getitem__") and not isinstance(obj, dict)


def _sequence_sizes(obj):
    """torch's compute_sizes: len() then item 0, while the object is a sequence."""
    sizes = []
    while _is_sequence(obj):
        sizes.append(len(obj))
        if not sizes[-1]:
            break
        obj = obj[0]
    return sizes


def _torch_like_as_tensor(obj):
    """torch.as_tensor for an object that is neither a torch tensor nor an ndarray:
    DLPack when the object offers it (torch >= 2.6), else the sequence walk."""
    if hasattr(obj, "__dlpack__"):
        return np.from_dlpack(obj)
    _sequence_sizes(obj)
    return np.array(obj, copy=True)


@pytest.mark.parametrize("kind", ["tensor", "variable"])
@pytest.mark.parametrize("name", ["float32", "int64", "0-d", "empty"])
def test_a_torch_like_consumer_converts_tensors_and_variables(kind, name):
    out = _torch_like_as_tensor(_make(kind, VALUES[name]))
    assert out.dtype == VALUES[name].dtype
    np.testing.assert_array_equal(out, VALUES[name])


@pytest.mark.parametrize("kind", ["tensor", "variable"])
def test_the_sequence_walk_stops_at_a_0d_element_with_a_clear_type_error(kind):
    x = _make(kind, np.array([1.5, 2.5], np.float32))
    with pytest.raises(TypeError) as numpys:
        _sequence_sizes(np.array(1.5, np.float32))
    with pytest.raises(type(numpys.value)) as ours:
        _sequence_sizes(x)
    message = str(ours.value)
    assert "0-d tensor" in message and "numpy.float32" not in message
    element = list(x)[0]
    with pytest.raises(TypeError, match="0-d tensor"):
        len(element)
    with pytest.raises(TypeError, match="0-d"):
        iter(element)


# -------------------------------------------- foreign arrays come in

class _ForeignArray:
    """An array-like from another library: only numpy's __array__ protocol."""

    def __init__(self, value):
        self._data = np.asarray(value)

    def __array__(self, dtype=None, copy=None):
        return np.array(self._data, dtype=dtype, copy=True)


@pytest.mark.parametrize("make", [
    lambda a: _ForeignArray(a), memoryview, lambda a: _ForeignArray(a.astype(">f8"))])
def test_array_likes_keep_their_dtype_like_numpy_arrays(make):
    value = np.array([0.1, 2.0, -3.5])          # float64: Python data would give float32
    for convert in (mtf.constant, mtf.convert_to_tensor, mtf.Tensor, mtf.Variable):
        out = convert(make(value))
        assert out.dtype == np.float64 and out.dtype.isnative
        np.testing.assert_array_equal(out.numpy(), value)
