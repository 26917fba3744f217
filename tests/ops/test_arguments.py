"""Shapes, axes and hyperparameters: every op accepts and rejects the same things.

A wrong kind (None, a float where an int belongs, a bool axis, a string) is a
TypeError and a wrong value (negative size, axis out of range, NaN) a
ValueError; both name the op and the argument. Nothing is coerced silently.
"""
import numpy as np
import pytest

import minitf as mtf

nn, R = mtf.nn, mtf.random
X = np.arange(6, dtype=np.float32).reshape(2, 3)
IMG = np.ones((1, 4, 4, 2), np.float32)

# ------------------------------------------------------- float hyperparameters

# (op name, call taking the hyperparameter value, parameter name)
FLOAT_PARAMS = [
    ("leaky_relu", lambda v: nn.leaky_relu(X, alpha=v), "alpha"),
    ("normal", lambda v: R.normal([3], stddev=v), "stddev"),
    ("normal", lambda v: R.normal([3], mean=v), "mean"),
    ("truncated_normal", lambda v: R.truncated_normal([3], stddev=v), "stddev"),
    ("truncated_normal", lambda v: R.truncated_normal([3], mean=v), "mean"),
    ("uniform", lambda v: R.uniform([3], minval=v), "minval"),
    ("uniform", lambda v: R.uniform([3], maxval=v), "maxval"),
    ("dropout", lambda v: nn.dropout(X, rate=v), "rate"),
    ("clip_by_norm", lambda v: mtf.clip_by_norm(X, v), "clip_norm"),
    ("clip_by_global_norm", lambda v: mtf.clip_by_global_norm([X], v), "clip_norm"),
]


# Parameters whose None means "the default" (None is right there, not a wrong kind).
NONE_IS_DEFAULT = {("uniform", "maxval"), ("eye", "num_columns"), ("unstack", "num")}


def _cases(table, values):
    """(op, call, param, value) for every entry and value but a default None."""
    return [pytest.param(op, call, param, value, id=f"{op}-{param}-{label}")
            for op, call, param in table for label, value in values
            if not (value is None and (op, param) in NONE_IS_DEFAULT)]


def assert_raises_naming(error, call, value, op, *fragments):
    """``call(value)`` raises ``error`` whose message starts with ``op`` and holds each
    fragment; returns the message."""
    with pytest.raises(error) as info:
        call(value)
    text = str(info.value)
    assert text.startswith(op) and all(f in text for f in fragments), text
    return text


@pytest.mark.parametrize("op, call, param, value", _cases(FLOAT_PARAMS, [
    ("None", None), ("str", "0.5"), ("bool", True), ("bytes", b"1"), ("object", object()),
    ("complex", 1j), ("dict", {"a": 1})]))
def test_wrong_kinds_of_float_hyperparameters_raise_type_error(op, call, param, value):
    assert_raises_naming(TypeError, call, value, op, param)


@pytest.mark.parametrize("op, call, param", FLOAT_PARAMS,
                         ids=[f"{o}-{p}" for o, _, p in FLOAT_PARAMS])
@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_float_hyperparameters_raise_value_error(op, call, param, value):
    assert_raises_naming(ValueError, call, value, op, param)


@pytest.mark.parametrize("op, call, param", FLOAT_PARAMS,
                         ids=[f"{o}-{p}" for o, _, p in FLOAT_PARAMS])
def test_float_hyperparameters_take_python_numpy_and_0d_tensor_numbers(op, call, param):
    for value in (0.5, np.float32(0.5), np.float64(0.5), mtf.constant(0.5), np.array(0.5)):
        out = call(value)
        out = out[0][0] if isinstance(out, tuple) else out
        assert np.isfinite(np.asarray(out)).all()


def test_leaky_relu_alpha_array_is_a_type_error_not_a_numba_error():
    with pytest.raises(TypeError, match=r"leaky_relu: alpha must be a real number"):
        nn.leaky_relu(X, alpha=np.array([0.1, 0.2]))


# --------------------------------------------------------- int hyperparameters

INT_PARAMS = [
    ("one_hot", lambda v: mtf.one_hot([0, 1], v), "depth"),
    ("linspace", lambda v: mtf.linspace(0.0, 1.0, v), "num"),
    ("eye", lambda v: mtf.eye(v), "num_rows"),
    ("eye", lambda v: mtf.eye(2, v), "num_columns"),
    ("unstack", lambda v: mtf.unstack(X, num=v), "num"),
    ("split", lambda v: mtf.split(X, v, axis=1), "num_or_size_splits"),
    ("max_pool2d", lambda v: nn.max_pool2d(IMG, v, 1, "SAME"), "ksize"),
    ("avg_pool2d", lambda v: nn.avg_pool2d(IMG, 2, v, "SAME"), "strides"),
    ("conv2d", lambda v: nn.conv2d(IMG, np.ones((1, 1, 2, 1), np.float32), v, "SAME"),
     "strides"),
    ("gather", lambda v: mtf.gather(X, [0], batch_dims=v), "batch_dims"),
]


@pytest.mark.parametrize("op, call, param, value", _cases(INT_PARAMS, [
    ("2.7", 2.7), ("3.0", 3.0), ("np.float64", np.float64(2.0)), ("bool", True), ("str", "3"),
    ("None", None)]))
def test_int_hyperparameters_refuse_floats_bools_and_junk(op, call, param, value):
    with pytest.raises((TypeError, ValueError)) as info:
        call(value)
    assert str(info.value).startswith(op) and param in str(info.value), str(info.value)


# ----------------------------------------------------------------- flags

FLAGS = [
    ("reduce_sum", lambda v: mtf.reduce_sum(X, keepdims=v), "keepdims"),
    ("reduce_logsumexp", lambda v: mtf.reduce_logsumexp(X, keepdims=v), "keepdims"),
    ("norm", lambda v: mtf.norm(X, keepdims=v), "keepdims"),
    ("moments", lambda v: nn.moments(X, [0], keepdims=v), "keepdims"),
    ("gelu", lambda v: nn.gelu(X, approximate=v), "approximate"),
    ("matmul", lambda v: mtf.matmul(X, X, transpose_b=v), "transpose_b"),
    ("transpose", lambda v: mtf.transpose(X, conjugate=v), "conjugate"),
]


@pytest.mark.parametrize("op, call, param", FLAGS, ids=[f"{o}-{p}" for o, _, p in FLAGS])
@pytest.mark.parametrize("value", ["no", 1, None, [True]], ids=["str", "int", "None", "list"])
def test_flags_are_bools_not_truthy_values(op, call, param, value):
    assert_raises_naming(TypeError, call, value, op, param)


# ----------------------------------------------------------------- shapes

SHAPE_OPS = [
    ("zeros", lambda s: mtf.zeros(s)), ("ones", lambda s: mtf.ones(s)),
    ("fill", lambda s: mtf.fill(s, 1.0)), ("reshape", lambda s: mtf.reshape(X, s)),
    ("broadcast_to", lambda s: mtf.broadcast_to(X, s)),
    ("tile", lambda s: mtf.tile(X, s)), ("normal", lambda s: R.normal(s)),
    ("uniform", lambda s: R.uniform(s)), ("eye", lambda s: mtf.eye(2, batch_shape=s)),
]
SHAPE_TABLE = [(op, call, "batch_shape" if op == "eye" else "shape") for op, call in SHAPE_OPS]
NONE_IS_DEFAULT.add(("eye", "batch_shape"))


@pytest.mark.parametrize("op, call, param, shape", _cases(SHAPE_TABLE, [
    ("2.7", 2.7), ("float-dim", [2.0, 3]), ("bool-dim", [True, 3]), ("None", None),
    ("str", "23"), ("nested", [[2, 3]]), ("float-array", np.array([2.5])),
    ("None-dim", [2, None])]))
def test_shapes_refuse_non_integers(op, call, param, shape):
    with pytest.raises((TypeError, ValueError)) as info:
        call(shape)
    assert str(info.value).startswith(op), str(info.value)


@pytest.mark.parametrize("op, call", SHAPE_OPS, ids=[o for o, _ in SHAPE_OPS])
@pytest.mark.parametrize("shape", [[-2, 3], [2**63], [2**40, 2**40]],
                         ids=["negative", "beyond-int64", "too-many-elements"])
def test_shapes_refuse_impossible_sizes(op, call, shape):
    assert_raises_naming(ValueError, call, shape, op)


def test_integer_shapes_in_every_form_agree():
    for shape in ([2, 3], (2, 3), np.array([2, 3]), mtf.constant([2, 3]),
                  [np.int64(2), mtf.constant(3)], np.array([2, 3], np.int64)):
        assert mtf.zeros(shape).shape == (2, 3)
    assert mtf.zeros(3).shape == (3,) and mtf.zeros([]).shape == ()


# ------------------------------------------------------------------- axes

AXIS_OPS = [
    ("reduce_sum", lambda a: mtf.reduce_sum(X, axis=a)),
    ("reduce_mean", lambda a: mtf.reduce_mean(X, axis=a)),
    ("reduce_max", lambda a: mtf.reduce_max(X, axis=a)),
    ("reduce_prod", lambda a: mtf.reduce_prod(X, axis=a)),
    ("reduce_std", lambda a: mtf.reduce_std(X, axis=a)),
    ("argmax", lambda a: mtf.argmax(X, axis=a)),
    ("squeeze", lambda a: mtf.squeeze(X[None], axis=a)),
    ("expand_dims", lambda a: mtf.expand_dims(X, a)),
    ("concat", lambda a: mtf.concat([X, X], a)),
    ("stack", lambda a: mtf.stack([X, X], a)),
    ("unstack", lambda a: mtf.unstack(X, axis=a)),
    ("gather", lambda a: mtf.gather(X, [0], axis=a)),
    ("softmax", lambda a: nn.softmax(X, axis=a)),
    ("moments", lambda a: nn.moments(X, a)),
    ("clip_by_norm", lambda a: mtf.clip_by_norm(X, 1.0, axes=a)),
    ("norm", lambda a: mtf.norm(X, axis=a)),
    ("one_hot", lambda a: mtf.one_hot([0, 1], 3, axis=a)),
    ("linspace", lambda a: mtf.linspace(0.0, 1.0, 3, axis=a)),
]


@pytest.mark.parametrize("op, call", AXIS_OPS, ids=[o for o, _ in AXIS_OPS])
@pytest.mark.parametrize("axis", [True, np.bool_(False), 1.0, 0.5, "0", [1.5], [None]],
                         ids=["True", "np.False_", "1.0", "0.5", "str", "float-list",
                              "None-list"])
def test_axes_refuse_bools_floats_and_strings(op, call, axis):
    text = assert_raises_naming(TypeError, call, axis, op)
    assert "axis" in text or "axes" in text, text


@pytest.mark.parametrize("op, call", AXIS_OPS, ids=[o for o, _ in AXIS_OPS])
def test_axes_out_of_range_are_value_errors(op, call):
    assert_raises_naming(ValueError, call, 7, op, "7")


def test_axis_true_no_longer_means_axis_1():
    assert mtf.reduce_sum(X, axis=1).shape == (2,)
    with pytest.raises(TypeError, match=r"reduce_sum: axis .*True"):
        mtf.reduce_sum(X, axis=True)


# ------------------------------------------------------------------ dtypes

@pytest.mark.parametrize("call, op", [
    (lambda d: mtf.zeros([2], dtype=d), "zeros"), (lambda d: mtf.cast(X, d), "cast"),
    (lambda d: mtf.eye(2, dtype=d), "eye"), (lambda d: mtf.argmax(X, output_type=d), "argmax"),
    (lambda d: R.normal([2], dtype=d), "normal"), (lambda d: mtf.ones_like(X, dtype=d),
                                                   "ones_like"),
])
@pytest.mark.parametrize("dtype", ["complex64", np.uint8, object, "foo", 3, [mtf.float32]],
                         ids=["complex64", "uint8", "object", "foo", "int", "list"])
def test_dtype_arguments_outside_minitfs_dtypes_raise(call, op, dtype):
    assert_raises_naming(TypeError, call, dtype, op)
