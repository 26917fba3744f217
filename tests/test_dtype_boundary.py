"""Every way an array enters minitf normalises it the same way: native byte order,
one of minitf's six dtypes, else a TypeError naming the dtype and the entry point.

So no numba kernel ever sees a big-endian or long-double array: each numba-backed
op and an optimizer step give on a big-endian input exactly what they give on the
native one. numpy scalars are weak like Python scalars (TensorFlow, PyTorch), and
integers that do not fit the target dtype raise instead of wrapping (numpy wraps).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import minitf as mtf

SUPPORTED = {"bool", "int32", "int64", "float16", "float32", "float64"}
BIG = ">" if np.little_endian else "<"     # the non-native byte order


def _foreign(dtype):
    """``dtype`` in the byte order this machine does not use."""
    return np.dtype(dtype).newbyteorder(BIG)


# ------------------------------------------------------ the property

_DTYPES = st.one_of(
    hnp.boolean_dtypes(), hnp.integer_dtypes(endianness="?"),
    hnp.unsigned_integer_dtypes(endianness="?"),
    hnp.floating_dtypes(endianness="?", sizes=(16, 32, 64, 128)),
    hnp.complex_number_dtypes(endianness="?"), hnp.datetime64_dtypes(endianness="?"),
    hnp.timedelta64_dtypes(endianness="?"), hnp.byte_string_dtypes(endianness="?"),
    hnp.unicode_string_dtypes(endianness="?"), st.just(np.dtype(object)),
    hnp.array_dtypes(subtype_strategy=hnp.integer_dtypes(), max_size=2))


@st.composite
def _arrays(draw):
    """Arrays of any dtype: 0-d, empty, strided, reversed, read-only or plain."""
    dtype = draw(_DTYPES)
    shape = draw(st.sampled_from([(), (0,), (3,), (2, 3), (0, 2)]))
    elements = st.integers(-5, 5) if dtype.kind == "O" else None
    array = draw(hnp.arrays(dtype, (2,) + shape, elements=elements))
    layout = draw(st.sampled_from(["plain", "strided", "reversed", "read-only", "fortran"]))
    if layout == "strided":
        array = array[::2]
    elif layout == "reversed":
        array = array[::-1]
    elif layout == "fortran":
        array = np.asfortranarray(array)
    elif layout == "read-only":
        array.flags.writeable = False
    return array if draw(st.booleans()) else array[0, ...]


def _is_supported(array):
    return array.dtype.names is None and array.dtype.name in SUPPORTED


def _added_to_zeros(array):
    """``zeros + array`` (``or`` for bools) with zeros of the array's dtype: the
    array enters as the second operand of a binary op."""
    dtype = array.dtype.newbyteorder("=") if _is_supported(array) else np.float32
    op = mtf.logical_or if array.dtype.kind == "b" else mtf.add
    return op(mtf.zeros(array.shape, dtype), array)


ENTRY_POINTS = {
    "constant": mtf.constant,
    "convert_to_tensor": mtf.convert_to_tensor,
    "Tensor": mtf.Tensor,
    "Variable": mtf.Variable,
    "identity": mtf.identity,
    "reshape": lambda a: mtf.reshape(a, np.shape(a)),
    "add": _added_to_zeros,
}


def _check_entry(array, entry):
    """``entry(array)`` gives the native dtype and equal values, or a TypeError that
    names the dtype, the entry point and the supported dtypes; ``array`` is untouched."""
    before = array.copy()
    try:
        out = ENTRY_POINTS[entry](array)
    except TypeError as error:
        assert not _is_supported(array), f"{array.dtype.str} refused: {error}"
        message = str(error)
        assert array.dtype.name in message and entry in message, message
        assert "float32" in message, message      # the supported dtypes are listed
    else:
        assert _is_supported(array), f"{array.dtype.str} accepted as {out.dtype}"
        native = array.dtype.newbyteorder("=")
        assert out.dtype == native and out.dtype.isnative and out.shape == array.shape
        np.testing.assert_array_equal(out.numpy(), array.astype(native))
    np.testing.assert_array_equal(array, before)


@settings(max_examples=150)
@given(_arrays(), st.sampled_from(sorted(ENTRY_POINTS)))
def test_arrays_of_any_dtype_enter_native_and_equal_or_raise_naming_the_dtype(array, entry):
    _check_entry(array, entry)


_EVERY_DTYPE = ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "g",
                "c8", "c16", "O", "U3", "S3", "M8[s]", "m8[s]", [("a", "i4"), ("b", "f8")]]


def _layouts(array):
    """The same values as plain, strided, read-only, 0-d and empty arrays."""
    strided = np.repeat(array, 2)[::2]
    frozen = array.copy()
    frozen.flags.writeable = False
    return [array, strided, frozen, array[0, ...], array[:0]]


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("spec", _EVERY_DTYPE, ids=str)
def test_every_dtype_kind_in_both_byte_orders_at_every_entry_point(spec, order):
    dtype = np.dtype(spec).newbyteorder(order)
    array = (np.arange(1, 4) % 2).astype(dtype) if dtype.names is None else np.zeros(3, dtype)
    for value in _layouts(array):
        for entry in ENTRY_POINTS:
            _check_entry(value, entry)


@pytest.mark.parametrize("name", sorted(SUPPORTED))
@pytest.mark.parametrize("layout", ["plain", "strided", "read-only", "0-d"])
def test_assign_takes_either_byte_order(name, layout):
    native = np.dtype(name)
    value = np.arange(1, 9).reshape(2, 4).astype(native.newbyteorder(BIG))
    if layout == "strided":
        value = value[:, ::2]
    elif layout == "read-only":
        value.flags.writeable = False
    elif layout == "0-d":
        value = value[1, 2, ...]
    v = mtf.Variable(np.zeros(value.shape, native))
    for method in ("assign", "assign_add"):
        getattr(v, method)(value)
    np.testing.assert_array_equal(v.numpy(), value.astype(native) * (2 if name != "bool" else 1))
    assert v.dtype == native and v._value.dtype.isnative


def test_numpy_scalars_entering_as_values_keep_or_refuse_their_dtype():
    assert mtf.constant(np.float64(1.5)).dtype == np.float64
    assert mtf.Tensor(np.int64(3)).dtype == np.int64
    for scalar in (np.longdouble(1.5), np.complex64(1j), np.uint8(3), np.str_("a")):
        with pytest.raises(TypeError, match=f"constant.*{scalar.dtype.name}"):
            mtf.constant(scalar)


@pytest.mark.parametrize("dtype", [
    np.longdouble, np.complex64, np.uint8, np.int8, np.uint64, object, "U3", "M8[s]",
    np.dtype([("a", np.float32)])])
def test_unsupported_dtypes_raise_type_error_everywhere(dtype):
    array = np.zeros(2, dtype)
    name = np.dtype(dtype).name
    calls = {"relu": lambda: mtf.nn.relu(array), "exp": lambda: mtf.exp(array),
             "reduce_sum": lambda: mtf.reduce_sum(array), "matmul": lambda: mtf.matmul(
                 array.reshape(1, 2), array.reshape(2, 1)),
             "assign": lambda: mtf.Variable([0.0, 0.0]).assign(array),
             "IndexedSlices": lambda: mtf.IndexedSlices(array, [0, 1], [2]),
             "multiply": lambda: mtf.constant([1.0, 2.0]) * array,
             "constant": lambda: mtf.constant([1.0], dtype),
             "convert_to_tensor": lambda: mtf.convert_to_tensor([1.0], dtype),
             "Variable": lambda: mtf.Variable([1.0], dtype=dtype)}
    for op, call in calls.items():
        with pytest.raises(TypeError) as info:
            call()
        message = str(info.value)
        assert op in message and name in message, message
    for call in (lambda: mtf.cast([1.0], dtype), lambda: mtf.zeros(2, dtype)):
        with pytest.raises(TypeError):
            call()


def test_dtype_arguments_are_normalised_to_native():
    for dtype in (_foreign("float32"), _foreign("int64"), ">f2"):
        native = np.dtype(dtype).newbyteorder("=")
        for out in (mtf.zeros(3, dtype), mtf.constant([1, 2], dtype),
                    mtf.cast(mtf.constant([1.0]), dtype), mtf.Variable([1], dtype=dtype)):
            assert out.dtype == native and out.dtype.isnative


def test_a_big_endian_operand_mixes_as_its_native_dtype_and_messages_stay_readable():
    x = mtf.constant([1.0, 2.0])
    np.testing.assert_array_equal((x + np.array([0.5, 0.25], _foreign("f4"))).numpy(),
                                  [1.5, 2.25])
    with pytest.raises(TypeError) as info:
        x + np.ones(2, _foreign("f8"))
    message = str(info.value)
    assert "float32" in message and "float64" in message and "mtf.cast" in message
    assert ">" not in message and "<" not in message


# ---------------------------- numba kernels see only native arrays

_R = np.random.default_rng(7)
_X = _R.standard_normal((2, 5)).astype(np.float32)
_IMG = _R.standard_normal((1, 5, 5, 2)).astype(np.float32)
_FILT = _R.standard_normal((3, 3, 2, 2)).astype(np.float32)
_LABELS = np.array([1, 4], np.int32)
_ONEHOT = np.eye(5, dtype=np.float32)[_LABELS]


def _with_gradient(f, *inputs):
    """f(*inputs) and its gradient with respect to every input (sum of the output)."""
    xs = [mtf.constant(a) for a in inputs]
    with mtf.GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        y = f(*xs)
        total = mtf.reduce_sum(y)
    grads = tape.gradient(total, xs)
    return [y.numpy()] + [mtf.convert_to_tensor(g).numpy() for g in grads]


KERNEL_OPS = {
    "relu": (lambda x: mtf.nn.relu(x), [_X]),
    "leaky_relu": (lambda x: mtf.nn.leaky_relu(x, 0.3), [_X]),
    "elu": (lambda x: mtf.nn.elu(x), [_X]),
    "selu": (lambda x: mtf.nn.selu(x), [_X]),
    "gelu": (lambda x: mtf.nn.gelu(x), [_X]),
    "softmax": (lambda x: mtf.nn.softmax(x) * _X, [_X]),
    "log_softmax": (lambda x: mtf.nn.log_softmax(x) * _X, [_X]),
    "tanh": (lambda x: mtf.tanh(x), [_X]),
    "sigmoid": (lambda x: mtf.sigmoid(x), [_X]),
    "erf": (lambda x: mtf.math.erf(x), [_X]),
    "conv2d": (lambda x, w: mtf.nn.conv2d(x, w, 1, "SAME"), [_IMG, _FILT]),
    "max_pool2d": (lambda x: mtf.nn.max_pool2d(x, 2, 1, "VALID"), [_IMG]),
    "avg_pool2d": (lambda x: mtf.nn.avg_pool2d(x, 2, 2, "SAME"), [_IMG]),
    "softmax_xent": (lambda x: mtf.nn.softmax_cross_entropy_with_logits(_ONEHOT, x), [_X]),
    "gather": (lambda x: mtf.gather(x, [1, 1, 0]), [_X]),
}


@pytest.mark.parametrize("name", sorted(KERNEL_OPS))
def test_numba_backed_ops_give_the_same_bits_on_big_endian_inputs(name):
    f, inputs = KERNEL_OPS[name]
    native = _with_gradient(f, *inputs)
    foreign = _with_gradient(f, *[a.astype(_foreign(a.dtype)) for a in inputs])
    for a, b in zip(native, foreign):
        assert b.dtype.isnative and a.tobytes() == b.tobytes()


def test_sparse_labels_in_big_endian_give_the_same_loss():
    logits = mtf.constant(_X)
    f = mtf.nn.sparse_softmax_cross_entropy_with_logits
    native = f(_LABELS, logits).numpy()
    foreign = f(_LABELS.astype(_foreign(np.int32)), logits).numpy()
    assert native.tobytes() == foreign.tobytes()


@pytest.mark.parametrize("make", [
    lambda: mtf.optimizers.SGD(0.1, momentum=0.9), lambda: mtf.optimizers.Adam(0.01)])
def test_an_optimizer_step_on_big_endian_data_matches_native(make):
    start, grad = _R.standard_normal((4, 3)), _R.standard_normal((4, 3))
    rows, index = _R.standard_normal((2, 3)), np.array([3, 0])
    results = []
    for order in ("=", BIG):
        def ordered(a):
            return a.astype(a.dtype.newbyteorder(order))
        v = mtf.Variable(ordered(start))
        opt = make()
        for _ in range(2):
            opt.apply_gradients([(ordered(grad), v)])
        opt.apply_gradients([(mtf.IndexedSlices(ordered(rows), ordered(index), (4, 3)), v)])
        assert v.dtype.isnative
        results.append(v.numpy())
    assert results[0].tobytes() == results[1].tobytes()


# ----------------------------------- numpy scalars are weak scalars

_SCALARS = [np.float16(1.5), np.float32(0.25), np.float64(-2.5), np.int8(3),
            np.int32(-7), np.int64(2), np.uint8(200), np.uint64(5), np.bool_(True)]
_TENSORS = {"float16": [1.0, -2.0], "float32": [1.5, 4.0], "float64": [0.1, -3.0],
            "int32": [3, -8], "int64": [2**40, 5], "bool": [True, False]}


def _outcome(f):
    """(dtype, values) of a result, or the exception type it raised."""
    try:
        out = f()
    except TypeError:
        return TypeError
    return out.dtype, out.numpy().tolist()


@pytest.mark.parametrize("scalar", _SCALARS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("dtype", sorted(_TENSORS))
def test_numpy_scalars_follow_the_python_scalar_rules(scalar, dtype):
    t = mtf.constant(_TENSORS[dtype], dtype=dtype)
    number = scalar.item()
    ops = [lambda a, b: a + b, lambda a, b: b - a, lambda a, b: a * b,
           lambda a, b: mtf.maximum(a, b), lambda a, b: a == b]
    for op in ops:
        assert _outcome(lambda: op(t, scalar)) == _outcome(lambda: op(t, number))
        assert _outcome(lambda: op(scalar, t)) == _outcome(lambda: op(number, t))


def test_the_reported_numpy_scalar_cases():
    scores = mtf.constant([[2.0, 4.0]])
    out = scores / np.sqrt(4)                     # np.sqrt of an int is a float64 scalar
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[1.0, 2.0]])
    assert (mtf.constant([1.0, 3.0]) * np.float64(0.5)).numpy().tolist() == [0.5, 1.5]
    ints = mtf.constant([1, 2]) * np.int64(2)
    assert ints.dtype == np.int32 and ints.numpy().tolist() == [2, 4]
    with pytest.raises(TypeError, match=r"multiply.*numpy float64 scalar.*int32.*mtf.cast"):
        mtf.constant([1, 2]) * np.float64(0.5)


# ------------------------------------------- integers that do not fit

@pytest.mark.parametrize("dtype, low, high", [
    ("int32", -(2**31), 2**31 - 1), ("int64", -(2**63), 2**63 - 1)])
def test_integers_at_the_edge_of_the_range_convert_and_beyond_raise(dtype, low, high):
    t = mtf.constant([0], dtype=dtype)
    for fits in (low, high):
        assert (t + fits).numpy().tolist() == [fits]
        assert mtf.constant(fits, dtype=dtype).numpy() == fits
        assert mtf.Variable([0], dtype=dtype).assign([fits]).numpy().tolist() == [fits]
    for beyond in (low - 1, high + 1):
        for call in (lambda: t + beyond, lambda: t * np.uint64(2**64 - 1),
                     lambda: mtf.constant(beyond, dtype=dtype),
                     lambda: mtf.Variable([0], dtype=dtype).assign([beyond])):
            with pytest.raises(TypeError, match="out of range"):
                call()


def test_python_ints_beyond_int64_raise_rather_than_wrap():
    for value in (2**63, 2**64, -(2**63) - 1, [1, 2**64], [[-(2**63) - 1]]):
        with pytest.raises(TypeError, match=r"constant.*(int64|out of range)"):
            mtf.constant(value)
    with pytest.raises(TypeError, match="multiply"):
        mtf.constant([1.0]) * 2**1100


def test_complex_python_values_raise_instead_of_dropping_the_imaginary_part():
    v = mtf.Variable([1.0, 2.0])
    for call in (lambda: v.assign(1 + 2j), lambda: v.assign([1j, 2.0]),
                 lambda: mtf.constant(1j, dtype=mtf.float32), lambda: mtf.constant([1j])):
        with pytest.raises(TypeError, match="complex"):
            call()
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
