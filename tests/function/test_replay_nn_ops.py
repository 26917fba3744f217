"""Replays of random, creation, conversion, conv, pooling and layer-norm ops, custom
gradients, Jacobians, IndexedSlices gradients and the layers under mtf.function.

Every replay must equal eager execution on the same values bit for bit; random
ops must continue the seeded stream exactly as the same number of eager calls.
"""
import numpy as np
import pytest

import _replay
import minitf as mtf
from minitf.ops.conv import conv2d_bias
from minitf.ops.layer_norm import layer_norm


@pytest.fixture(autouse=True)
def _no_global_seed():
    """Each test starts and ends without a global seed (the seed state is global)."""
    mtf.random.set_seed(None)
    yield
    mtf.random.set_seed(None)


def floats(seed, shape, dtype=np.float32):
    return mtf.constant(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def ints(seed, shape, high, dtype=np.int32):
    return mtf.constant(np.random.default_rng(seed).integers(0, high, shape).astype(dtype))


def with_all_gradients(op, order=2):
    """``fn(*args)``: ``op(*args)``, the gradients of sum(y * y) w.r.t. every floating
    argument and, for ``order=2``, the gradients of the sum of their squares."""
    def fn(*args):
        sources = [a for a in args if a.dtype.kind == "f"]
        with mtf.GradientTape(persistent=True) as outer:
            outer.watch(sources)
            with mtf.GradientTape() as inner:
                inner.watch(sources)
                y = op(*args)
                loss = mtf.reduce_sum(y * y)
            first = inner.gradient(loss, sources)
            total = sum(mtf.reduce_sum(g * g) for g in first if g is not None)
        if order == 1:
            return [y] + first
        return [y] + first + outer.gradient(total, sources)
    return fn


def assert_same_stream(fn, args=(), global_seed=None, calls=4):
    """``calls`` calls of ``mtf.function(fn)`` draw what as many eager calls draw."""
    traced = mtf.function(fn)
    mtf.random.set_seed(global_seed)
    got = [traced(*args) for _ in range(calls)]
    mtf.random.set_seed(global_seed)
    want = [fn(*args) for _ in range(calls)]
    _replay.assert_same(got, want, "replayed stream")
    assert traced.experimental_get_tracing_count() == 1
    return got


# ------------------------------------------------------------------ random

ONES = np.ones((3, 4), np.float32)
DRAWS = {
    "normal": lambda s: mtf.random.normal([3, 4], seed=s),
    "normal_arrays": lambda s: mtf.random.normal([3, 4], mean=[1.0, 2.0, 3.0, 4.0],
                                                 stddev=0.5, dtype=mtf.float64, seed=s),
    "truncated_normal": lambda s: mtf.random.truncated_normal([3, 4], 1.0, 2.0, seed=s),
    "truncated_normal_f16": lambda s: mtf.random.truncated_normal(
        [3, 4], dtype=mtf.float16, seed=s),
    "uniform": lambda s: mtf.random.uniform([3, 4], seed=s),
    "uniform_bounds": lambda s: mtf.random.uniform([3, 4], -2.0, [[3.5]] * 3,
                                                   dtype=mtf.float64, seed=s),
    "uniform_f16": lambda s: mtf.random.uniform([3, 4], dtype=mtf.float16, seed=s),
    "uniform_int32": lambda s: mtf.random.uniform([3, 4], 0, 100, mtf.int32, seed=s),
    "uniform_int64": lambda s: mtf.random.uniform([3, 4], -5, 2**40, mtf.int64, seed=s),
    "dropout": lambda s: mtf.nn.dropout(ONES, 0.4, seed=s),
    "dropout_noise_shape": lambda s: mtf.nn.dropout(ONES, 0.5, noise_shape=[1, 4], seed=s),
}


@pytest.mark.parametrize("draw", list(DRAWS))
@pytest.mark.parametrize("global_seed,op_seed", [(123, None), (None, 7), (123, 7)])
def test_replays_continue_the_random_stream_as_eager_calls(draw, global_seed, op_seed):
    make = DRAWS[draw]

    def fn(x):
        return [make(op_seed), x * mtf.cast(make(op_seed), x.dtype)]
    got = assert_same_stream(fn, (floats(0, (3, 4)),), global_seed)
    assert not np.array_equal(got[0][0].numpy(), got[1][0].numpy())   # the stream moves


def test_interleaved_streams_and_the_counter_replay_in_eager_order():
    def fn():
        return [mtf.random.normal([2], seed=1), mtf.random.uniform([2]),
                mtf.random.normal([2], seed=2), mtf.random.normal([2], seed=1),
                mtf.random.truncated_normal([2])]
    assert_same_stream(fn, global_seed=5, calls=5)


def test_a_replay_and_eager_calls_share_one_stream():
    traced = mtf.function(lambda: mtf.random.normal([3], seed=4))
    mtf.random.set_seed(9)
    mixed = [traced(), mtf.random.normal([3], seed=4), traced(), traced()]
    mtf.random.set_seed(9)
    eager = [mtf.random.normal([3], seed=4) for _ in range(4)]
    _replay.assert_same(mixed, eager)


def test_unseeded_replays_draw_new_numbers():
    traced = mtf.function(lambda: [mtf.random.normal([50]), mtf.random.uniform([50]),
                                   mtf.random.uniform([50], 0, 2**30, mtf.int64)])
    first, second = traced(), traced()
    for a, b in zip(first, second):
        assert a.shape == (50,) and not np.array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("sampler", ["normal", "truncated_normal", "uniform"])
def test_tensor_parameters_replay_with_their_gradients(sampler):
    def fn(a, b):
        with mtf.GradientTape() as tape:
            tape.watch([a, b])
            if sampler == "uniform":
                z = mtf.random.uniform([2, 3], minval=a, maxval=a + mtf.exp(b), seed=3)
            else:
                z = getattr(mtf.random, sampler)([2, 3], mean=a, stddev=b, seed=3)
            loss = mtf.reduce_sum(z * z)
        return [z] + tape.gradient(loss, [a, b])
    assert_same_stream(fn, (floats(1, (3,)), floats(2, (2, 1))), global_seed=11)


def test_dropout_replays_and_differentiates_with_the_same_mask():
    def fn(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = mtf.nn.dropout(x, 0.3, seed=2)
            loss = mtf.reduce_sum(y * y)
        return y, tape.gradient(loss, x)
    assert_same_stream(fn, (floats(3, (4, 5)),), global_seed=1)


# ---------------------------------------------------------------- creation

def test_creation_from_python_values_replays():
    def fn(x):
        made = [mtf.zeros([2, 3]), mtf.ones([3], mtf.int64), mtf.zeros_like(x),
                mtf.ones_like(x, dtype=mtf.float64), mtf.fill([2, 2], 1.5),
                mtf.range(5), mtf.range(1.0, 2.0, 0.25), mtf.range(10, 1, -3, dtype=mtf.int64),
                mtf.eye(3), mtf.eye(2, 3, batch_shape=[2]), mtf.linspace(0.0, 1.0, 5),
                mtf.linspace([0, 1], 4, 3, axis=1), mtf.constant([[1, 2, 3, 4]], shape=[2, 2]),
                mtf.convert_to_tensor([1.0, 2.0]), mtf.constant(3.0, mtf.float16)]
        return made + [x * mtf.ones_like(x) + mtf.reduce_sum(mtf.eye(3) * 2.0)]
    _replay.assert_replays(fn, lambda s: (floats(s, (3, 2)),))


def test_creation_from_tensor_values_replays():
    dims = mtf.constant([2, 3])                          # made outside: a constant shape

    def fn(x, n, v, idx):
        return [mtf.zeros(dims), mtf.ones(dims, mtf.int32), mtf.fill(dims, v),
                mtf.fill([2, 3], v), mtf.eye(2, batch_shape=dims),
                mtf.range(n), mtf.range(n, dtype=mtf.int64), mtf.range(-n, n, 2),
                mtf.range(v, v + 2.0, 0.5), mtf.range(0.0, mtf.cast(n, mtf.float32)),
                mtf.linspace(v, v * 3.0, 4), mtf.linspace(x[0], x[1], 3, axis=-1),
                mtf.one_hot(idx, 4), mtf.one_hot(idx, 3, on_value=v, off_value=-v, axis=0),
                mtf.one_hot(idx, 5, dtype=mtf.int64), mtf.constant(x),
                mtf.constant(x, mtf.float64, shape=[6]), mtf.constant(v, shape=[2]),
                mtf.convert_to_tensor(x), mtf.zeros_like(x), mtf.ones_like(idx)]

    def make_args(s):
        return (floats(s, (2, 3)), mtf.constant(np.int32(3 + s)),
                mtf.constant(np.float32(0.5 + s)), ints(s, (5,), 6))
    _replay.assert_replays(fn, make_args)


@pytest.mark.parametrize("make", [
    lambda d: mtf.zeros(d), lambda d: mtf.ones(d), lambda d: mtf.fill(d, 1.0),
    lambda d: mtf.eye(2, batch_shape=d), lambda d: mtf.constant(1.0, shape=d),
    lambda d: mtf.one_hot([1], d[0]), lambda d: mtf.linspace(0.0, 1.0, d[0]),
    lambda d: mtf.eye(d[0])])
def test_a_traced_shape_or_size_raises_instead_of_being_baked(make):
    traced = mtf.function(make)
    with pytest.raises(TypeError):      # OperatorNotAllowedInGraphError, or "must be an int"
        traced(mtf.constant([2, 3]))


def test_constant_and_convert_of_a_variable_read_it_on_every_call():
    v = mtf.Variable(np.arange(4.0))

    def fn(x):
        return mtf.constant(v), mtf.convert_to_tensor(v) * x, mtf.fill([2], v[1])
    traced = mtf.function(fn)
    for step in range(3):
        v.assign_add(np.ones(4))
        _replay.assert_same(traced(floats(step, (4,), np.float64)),
                            fn(floats(step, (4,), np.float64)))


# ------------------------------------------------------------ convolution

CONV_CASES = {                                # x shape, w shape, strides, padding, dilations
    "columns_kept": ((2, 6, 6, 1), (3, 3, 1, 9), 1, "SAME", None),
    "strided_valid": ((2, 7, 7, 3), (3, 3, 3, 4), 2, "VALID", None),
    "strided_same": ((1, 6, 5, 2), (2, 3, 2, 3), [1, 2, 1, 1], "SAME", None),
    "dilated": ((1, 7, 6, 2), (3, 2, 2, 3), 1, "VALID", [2, 1]),
    "explicit": ((1, 5, 6, 2), (3, 2, 2, 3), 2, [[0, 0], [1, 0], [2, 1], [0, 0]], None),
    "pointwise": ((2, 4, 4, 3), (1, 1, 3, 5), 1, "VALID", None),
    "empty_batch": ((0, 4, 4, 2), (3, 3, 2, 2), 1, "SAME", None),
    "empty_channels": ((1, 4, 4, 0), (2, 2, 0, 3), 1, "VALID", None),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(CONV_CASES))
def test_conv2d_replays_with_gradients(case, dtype):
    x_shape, w_shape, strides, padding, dilations = CONV_CASES[case]

    def conv(x, w):
        return mtf.nn.conv2d(x, w, strides, padding, dilations=dilations)
    _replay.assert_replays(with_all_gradients(conv),
                           lambda s: (floats(s, x_shape, dtype), floats(s + 50, w_shape, dtype)))


def test_conv2d_float16_replays():
    def conv(x, w):
        return mtf.nn.conv2d(x, w, 1, "SAME")
    _replay.assert_replays(with_all_gradients(conv, order=1),
                           lambda s: (floats(s, (1, 5, 5, 2), np.float16),
                                      floats(s + 50, (3, 3, 2, 18), np.float16)))


@pytest.mark.parametrize("case", ["columns_kept", "strided_valid", "pointwise", "empty_batch"])
def test_conv2d_bias_replays_with_gradients(case):
    x_shape, w_shape, strides, padding, _ = CONV_CASES[case]

    def conv(x, w, b):
        return conv2d_bias(x, w, b, strides, padding)
    _replay.assert_replays(with_all_gradients(conv),
                           lambda s: (floats(s, x_shape), floats(s + 50, w_shape),
                                      floats(s + 99, w_shape[3:])))


# ---------------------------------------------------------------- pooling

POOL_CASES = [((3, 3), 2, "SAME"), ((3, 3), 1, "VALID"), ((2, 2), 2, "VALID"),
              ([1, 2, 3, 1], [1, 1, 2, 1], "SAME")]


@pytest.mark.parametrize("pool", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("ksize,strides,padding", POOL_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooling_replays_with_gradients(pool, ksize, strides, padding, dtype):
    def op(x):
        return getattr(mtf.nn, pool)(x, ksize, strides, padding)
    _replay.assert_replays(with_all_gradients(op), lambda s: (floats(s, (2, 5, 6, 3), dtype),))


def test_max_pool_replays_new_maxima_ties_and_nan():
    def make_args(s):
        x = np.random.default_rng(s).integers(0, 3, (1, 4, 5, 2)).astype(np.float64)
        x[0, s % 4, s % 5, 0] = np.nan
        return (mtf.constant(x),)
    _replay.assert_replays(with_all_gradients(lambda x: mtf.nn.max_pool2d(x, 2, 1, "SAME")),
                           make_args)


def test_max_pool_of_integers_replays():
    _replay.assert_replays(lambda x: mtf.nn.max_pool2d(x, 2, 2, "VALID"),
                           lambda s: (ints(s, (2, 4, 4, 3), 100),))


# ------------------------------------------------------------- layer norm

@pytest.mark.parametrize("params", ["both", "scale", "offset", "none"])
@pytest.mark.parametrize("n_axes", [1, 2])
def test_layer_norm_replays_with_gradients(params, n_axes):
    shape = (3, 4, 5)

    def op(x, *given):
        scale = given[0] if params in ("both", "scale") else None
        offset = given[-1] if params in ("both", "offset") else None
        return layer_norm(x, scale, offset, n_axes, 1e-5)

    def make_args(s):
        count = {"both": 2, "scale": 1, "offset": 1, "none": 0}[params]
        return (floats(s, shape),) + tuple(floats(s + 9 * i, shape[3 - n_axes:])
                                           for i in range(1, count + 1))
    _replay.assert_replays(with_all_gradients(op), make_args)


def test_layer_norm_third_order_replays():
    def op(x, scale):
        return layer_norm(x, scale, None, 1, 1e-3)
    fn = _replay.with_gradient(op, order=3)
    _replay.assert_replays(fn, lambda s: (floats(s, (2, 6), np.float64),
                                          floats(s + 1, (6,), np.float64)))


# ------------------------------------------------------- custom_gradient

@mtf.custom_gradient
def clipped_square(x):
    y = x * x

    def grad_fn(g):
        return mtf.clip_by_value(g * 2.0 * x, -1.0, 1.0)
    return y, grad_fn


@mtf.custom_gradient
def pair(x, y):
    def grad_fn(ga, gb):
        return [ga * y + gb, ga * x - gb]
    return (x * y, x - y), grad_fn


SCALE = mtf.Variable(np.float32(1.5), name="scale")


@mtf.custom_gradient
def scaled(x):
    def grad_fn(g, variables):
        return g * SCALE, [mtf.reduce_sum(g * x)]
    return x * SCALE, grad_fn


@mtf.custom_gradient
def variable_output(x):
    return SCALE, lambda g: g * x


def test_custom_gradient_replays_with_its_rule_to_second_order():
    _replay.assert_replays(_replay.with_gradient(clipped_square, order=2),
                           lambda s: (floats(s, (5,)),))


def test_custom_gradient_with_several_outputs_replays():
    def op(x, y):
        a, b = pair(x, y)
        return a * b
    _replay.assert_replays(with_all_gradients(op, order=1),
                           lambda s: (floats(s, (4,)), floats(s + 1, (4,))))


def test_custom_gradient_with_variables_replays():
    def fn(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = scaled(x)
            loss = mtf.reduce_sum(y * y)
        return [y] + tape.gradient(loss, [x, SCALE])
    traced = _replay.assert_replays(fn, lambda s: (floats(s, (3,)),))
    SCALE.assign(2.5)                                  # read on every call, not baked
    _replay.assert_same(traced(floats(7, (3,))), fn(floats(7, (3,))))
    SCALE.assign(1.5)


def test_custom_gradient_returning_a_variable_copies_it():
    def fn(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = variable_output(x)
        return y, tape.gradient(y, x)
    traced = mtf.function(fn)
    x = floats(1, ())
    first = traced(x)
    SCALE.assign(4.0)
    _replay.assert_same(traced(x), fn(x))
    assert float(first[0]) == 1.5                      # a copy, not the Variable's array
    SCALE.assign(1.5)


# ------------------------------------------------------------- jacobians

def test_jacobian_replays():
    def fn(x, w):
        with mtf.GradientTape(persistent=True) as tape:
            tape.watch([x, w])
            y = mtf.tanh(mtf.matmul(x, w))
            z = mtf.reduce_sum(x)
        return [tape.jacobian(y, [x, w]), tape.jacobian(z, x), tape.jacobian(
            y, floats(0, (2,)), unconnected_gradients="zero")]
    _replay.assert_replays(fn, lambda s: (floats(s, (2, 3)), floats(s + 1, (3, 2))))


def test_batch_jacobian_replays_and_differentiates():
    def fn(x):
        with mtf.GradientTape() as outer:
            outer.watch(x)
            with mtf.GradientTape() as tape:
                tape.watch(x)
                y = mtf.sigmoid(x * x[:, ::-1])
            jac = tape.batch_jacobian(y, x)
            total = mtf.reduce_sum(jac * jac)
        return jac, outer.gradient(total, x)
    _replay.assert_replays(fn, lambda s: (floats(s, (3, 4), np.float64),))


# ------------------------------------------------------- IndexedSlices

def gather_gradients(params, ids, more_ids):
    """Sparse gradients of gathers (two gathers: added as IndexedSlices; one mixed with
    a dense use: densified), returned as values, indices and dense tensors."""
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(params)
        rows = mtf.gather(params, ids) * 2.0 + mtf.reduce_sum(mtf.gather(params, more_ids))
        loss = mtf.reduce_sum(rows * rows)
        mixed = loss + mtf.reduce_sum(params * params)
    sparse = tape.gradient(loss, params)
    dense = tape.gradient(mixed, params)
    return [sparse.values, sparse.indices, mtf.convert_to_tensor(sparse), dense]


def test_gather_gradients_replay_as_indexed_slices():
    _replay.assert_replays(gather_gradients, lambda s: (floats(s, (5, 3)), ints(s, (6,), 5),
                                                        ints(s + 1, (2,), 5)))


def test_gather_gradient_of_a_variable_replays():
    table = mtf.Variable(np.arange(15.0).reshape(5, 3))

    def fn(ids):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.square(mtf.gather(table, ids)))
        g = tape.gradient(loss, table)
        return g.values, g.indices, mtf.convert_to_tensor(g)
    _replay.assert_replays(fn, lambda s: (ints(s, (4,), 5),))


def test_an_indexed_slices_output_replays():
    table = mtf.Variable(np.arange(15.0).reshape(5, 3))

    def fn(ids):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.square(mtf.gather(table, ids)))
        return tape.gradient(loss, table)
    _replay.assert_replays(fn, lambda s: (ints(s, (4,), 5),))


# ---------------------------------------------------------------- layers

def step_of(layer, **call_kwargs):
    """A forward and backward pass: the output and the gradients of the trainable
    variables (and of the input)."""
    def step(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, **call_kwargs)
            loss = mtf.reduce_sum(y * y)
        return [y] + tape.gradient(loss, [x] + list(layer.trainable_variables))
    return step


def assert_layer_replays(make_layer, make_args, build_first=False, calls=3, **call_kwargs):
    """A traced step of one layer and an eager step of its twin (same initial values)
    agree over ``calls`` calls, and so do their variables afterwards."""
    twins = []
    for _ in range(2):
        mtf.random.set_seed(21)
        layer = make_layer()
        if build_first:
            layer(make_args(100), **call_kwargs)
        twins.append(layer)
    traced, eager = mtf.function(step_of(twins[0], **call_kwargs)), step_of(twins[1],
                                                                           **call_kwargs)
    mtf.random.set_seed(5)
    got = [traced(make_args(i)) for i in range(calls)]
    mtf.random.set_seed(5)
    want = [eager(make_args(i)) for i in range(calls)]
    _replay.assert_same(got, want, "layer step")
    assert traced.experimental_get_tracing_count() == 1
    _replay.assert_same(list(twins[0].variables), list(twins[1].variables), "variables")
    return twins


def image(s):
    return floats(s, (2, 6, 6, 3))


def rows(s):
    return floats(s, (4, 5))


LAYERS = {
    "linear": (lambda: mtf.layers.Linear(3), rows, {}),
    "linear_no_bias": (lambda: mtf.layers.Linear(3, with_bias=False), rows, {}),
    "mlp": (lambda: mtf.layers.MLP([6, 4, 2]), rows, {}),
    "conv2d": (lambda: mtf.layers.Conv2D(4, 3), image, {}),
    "conv2d_strided": (lambda: mtf.layers.Conv2D(2, [2, 3], stride=2, padding="VALID"),
                       image, {}),
    "layer_norm": (lambda: mtf.layers.LayerNorm(), rows, {}),
    "layer_norm_axes": (lambda: mtf.layers.LayerNorm(axis=[1, 2]), image, {}),
    "layer_norm_leading_axis": (lambda: mtf.layers.LayerNorm(axis=0), rows, {}),
    "batch_norm": (lambda: mtf.layers.BatchNorm(momentum=0.5), rows, {"training": True}),
    "batch_norm_eval": (lambda: mtf.layers.BatchNorm(), rows, {"training": False}),
    "sequential": (lambda: mtf.layers.Sequential([
        mtf.layers.Conv2D(3, 3), mtf.nn.relu, mtf.layers.Flatten(), mtf.layers.Linear(2)]),
        image, {}),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_step_replays(name):
    make_layer, make_args, kwargs = LAYERS[name]
    assert_layer_replays(make_layer, make_args, **kwargs)


def test_batch_norm_moving_statistics_after_three_replays_equal_eager():
    traced_bn, eager_bn = assert_layer_replays(
        lambda: mtf.layers.BatchNorm(momentum=0.7), image, training=True)
    for v in ("moving_mean", "moving_variance"):
        traced_value, eager_value = getattr(traced_bn, v), getattr(eager_bn, v)
        np.testing.assert_array_equal(traced_value.numpy(), eager_value.numpy())
        assert not np.array_equal(traced_value.numpy(), np.zeros_like(traced_value.numpy())
                                  if v == "moving_mean" else np.ones_like(traced_value.numpy()))


def test_embedding_lookup_replays_with_sparse_gradients():
    mtf.random.set_seed(3)
    embed = mtf.layers.Embedding(7, 4)
    embed(ints(0, (1,), 7))                               # built outside the trace

    def fn(ids):
        with mtf.GradientTape() as tape:
            y = embed(ids)
            loss = mtf.reduce_sum(y * y)
        g = tape.gradient(loss, embed.embeddings)
        return y, g.values, g.indices, mtf.convert_to_tensor(g)
    _replay.assert_replays(fn, lambda s: (ints(s, (3, 2), 7),))


DROPOUT_LAYERS = {
    "dropout": lambda: mtf.layers.Sequential([mtf.layers.Linear(5), mtf.layers.Dropout(0.4)]),
    "mlp_dropout": lambda: mtf.layers.MLP([6, 6, 3], dropout_rate=0.3),
    "seeded_dropout": lambda: mtf.layers.Sequential([
        mtf.layers.Linear(6), mtf.nn.relu, mtf.layers.Dropout(0.5, seed=4),
        mtf.layers.Linear(2)]),
}


@pytest.mark.parametrize("build_first", [True, False])
@pytest.mark.parametrize("name", list(DROPOUT_LAYERS))
def test_layers_with_dropout_replay_the_random_stream(name, build_first):
    """Built inside the trace or before it: the initializers' draws are not replayed."""
    assert_layer_replays(DROPOUT_LAYERS[name], rows, build_first=build_first, training=True)


def test_dropout_layer_in_training_mode_replays_the_stream():
    drop = mtf.layers.Dropout(0.5)

    def fn(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = drop(x, training=True)
        return y, tape.gradient(y, x), drop(x, training=False)
    assert_same_stream(fn, (floats(1, (4, 6)),), global_seed=8)
