"""Elementwise, comparison, activation, clipping, norm, loss and nn ops replay under
``mtf.function`` bit for bit as they run eagerly: forward, first- and (where the op
is twice differentiable) second-order gradients, on new values every call.

Seeds 2 and 3 of most generators plant special values (0, ties, NaN, inf) so that
value-dependent branches (NaN picks, masks, zero norms) change between the trace
and the replays.
"""
import numpy as np
import pytest

import minitf as mtf
import _replay

F32, F64 = np.float32, np.float64


def _rng(seed):
    return np.random.default_rng(seed)


def _floats(seed, shape=(3, 4), dtype=F32, low=-2.0, high=2.0, special=True):
    """Uniform values; seed 2 plants two zeros and a 1, seed 3 NaN and infinities."""
    v = _rng(seed).uniform(low, high, shape)
    if special and v.size >= 3:
        flat = v.reshape(-1)
        if seed == 2:
            flat[:2] = 0.0
            flat[2] = 1.0
        elif seed == 3:
            flat[:3] = np.nan, np.inf, -np.inf
    return mtf.constant(v.astype(dtype))


def _ints(seed, shape=(3, 4), dtype=np.int32, low=-3, high=4):
    return mtf.constant(_rng(seed).integers(low, high, shape).astype(dtype))


def _bools(seed, shape=(3, 4)):
    return mtf.constant(_rng(seed).random(shape) > 0.5)


def _check(op, make_args, order):
    """Forward only (order 0) or with gradients w.r.t. the first argument."""
    fn = op if order == 0 else _replay.with_gradient(op, order)
    _replay.assert_replays(fn, make_args)


def _swap(op):
    """``op`` with its first two arguments swapped (to differentiate w.r.t. y)."""
    return lambda y, x, *rest: op(x, y, *rest)


# ------------------------------------------------------------------ unary floats

UNARY = [  # name, op, low, high, order
    ("negative", mtf.negative, -2, 2, 2),
    ("abs", mtf.abs, -2, 2, 2),
    ("sign", mtf.sign, -2, 2, 1),
    ("square", mtf.square, -2, 2, 2),
    ("reciprocal", mtf.reciprocal, 0.5, 2, 2),
    ("exp", mtf.exp, -2, 2, 2),
    ("expm1", mtf.expm1, -2, 2, 2),
    ("log", mtf.log, 0.1, 3, 2),
    ("log1p", mtf.log1p, -0.5, 2, 2),
    ("sqrt", mtf.sqrt, 0.1, 3, 2),
    ("rsqrt", mtf.rsqrt, 0.1, 3, 2),
    ("sin", mtf.sin, -2, 2, 2),
    ("cos", mtf.cos, -2, 2, 2),
    ("tan", mtf.tan, -1, 1, 2),
    ("tanh", mtf.tanh, -2, 2, 2),
    ("sigmoid", mtf.sigmoid, -30, 30, 2),
    ("softplus", mtf.nn.softplus, -30, 30, 2),
    ("erf", mtf.erf, -2, 2, 2),
    ("floor", mtf.floor, -2, 2, 0),
    ("ceil", mtf.ceil, -2, 2, 0),
    ("round", mtf.round, -2, 2, 0),
    ("identity", mtf.identity, -2, 2, 2),
    ("stop_gradient", mtf.stop_gradient, -2, 2, 1),
    ("cast_f64", lambda x: mtf.cast(x, mtf.float64), -2, 2, 2),
    ("cast_f16", lambda x: mtf.cast(x, mtf.float16), -2, 2, 2),
    ("cast_int32", lambda x: mtf.cast(x * 3.0, mtf.int32), -2, 2, 1),
    ("cast_bool", lambda x: mtf.cast(x, mtf.bool), -2, 2, 0),
    ("relu", mtf.nn.relu, -2, 2, 2),
    ("leaky_relu", mtf.nn.leaky_relu, -2, 2, 2),
    ("leaky_relu_alpha", lambda x: mtf.nn.leaky_relu(x, alpha=0.01), -2, 2, 2),
    ("elu", mtf.nn.elu, -2, 2, 2),
    ("selu", mtf.nn.selu, -2, 2, 2),
    ("gelu", mtf.nn.gelu, -3, 3, 2),
    ("gelu_tanh", lambda x: mtf.nn.gelu(x, approximate=True), -3, 3, 2),
    ("softmax", mtf.nn.softmax, -3, 3, 2),
    ("softmax_axis0", lambda x: mtf.nn.softmax(x, axis=0), -3, 3, 2),
    ("log_softmax", mtf.nn.log_softmax, -3, 3, 2),
    ("log_softmax_axis0", lambda x: mtf.nn.log_softmax(x, axis=0), -3, 3, 2),
    ("l2_loss", mtf.nn.l2_loss, -2, 2, 2),
]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name, op, low, high, order", UNARY, ids=[u[0] for u in UNARY])
def test_unary_float_ops_replay(name, op, low, high, order, dtype):
    _check(op, lambda s: (_floats(s, dtype=dtype, low=low, high=high),), order)


def test_ops_on_3d_and_scalar_inputs_replay():
    _check(mtf.nn.softmax, lambda s: (_floats(s, (2, 3, 4)),), 2)
    _check(mtf.exp, lambda s: (_floats(s, ()),), 2)
    _check(mtf.nn.relu, lambda s: (_floats(s, (5,)),), 2)


INT_UNARY = [
    ("negative", mtf.negative), ("abs", mtf.abs), ("sign", mtf.sign),
    ("square", mtf.square), ("relu", mtf.nn.relu), ("identity", mtf.identity),
    ("stop_gradient", mtf.stop_gradient), ("cast_f32", lambda x: mtf.cast(x, mtf.float32)),
    ("cast_int64", lambda x: mtf.cast(x, mtf.int64)),
]


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("name, op", INT_UNARY, ids=[u[0] for u in INT_UNARY])
def test_unary_integer_ops_replay(name, op, dtype):
    _check(op, lambda s: (_ints(s, dtype=dtype),), 0)


# ------------------------------------------------------------------ binary arithmetic

BINARY = [  # name, op, x low/high, y low/high
    ("add", mtf.add, (-2, 2), (-2, 2)),
    ("subtract", mtf.subtract, (-2, 2), (-2, 2)),
    ("multiply", mtf.multiply, (-2, 2), (-2, 2)),
    ("divide", mtf.divide, (-2, 2), (0.5, 2)),
    ("pow", mtf.pow, (0.1, 2), (-2, 2)),
    ("pow_negative_base", mtf.pow, (-2, 2), (-2, 2)),
    ("squared_difference", mtf.squared_difference, (-2, 2), (-2, 2)),
    ("maximum", mtf.maximum, (-2, 2), (-2, 2)),
    ("minimum", mtf.minimum, (-2, 2), (-2, 2)),
]
SHAPES = {"same": ((3, 4), (3, 4)), "broadcast": ((3, 4), (4,)),
          "both_broadcast": ((3, 1), (1, 4))}


def _binary_args(x_range, y_range, shapes, dtype):
    """``make_args`` for (x, y); y ties with x's zeros (its first entries) on seed 2."""
    def make(seed):
        y = _rng(seed + 100).uniform(*y_range, shapes[1])
        if seed == 2:
            y.reshape(-1)[:2] = 0.0
        return _floats(seed, shapes[0], dtype, *x_range), mtf.constant(y.astype(dtype))
    return make


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("shapes", list(SHAPES.values()), ids=list(SHAPES))
@pytest.mark.parametrize("name, op, x_range, y_range", BINARY, ids=[b[0] for b in BINARY])
def test_binary_float_ops_replay_with_gradients_of_both_operands(name, op, x_range,
                                                                  y_range, shapes, dtype):
    make = _binary_args(x_range, y_range, shapes, dtype)
    _check(op, make, 2)
    _check(_swap(op), lambda s: make(s)[::-1], 2)


SCALAR_OPERANDS = [
    ("add_scalar", lambda x: x + 1.5), ("radd_scalar", lambda x: 1.5 + x),
    ("rsub_scalar", lambda x: 0.5 - x), ("rdiv_scalar", lambda x: 2.0 / (x * x + 1.0)),
    ("pow_2", lambda x: mtf.pow(x, 2.0)), ("pow_int_scalar", lambda x: x ** 3),
    ("rpow", lambda x: mtf.pow(2.0, x)),
    ("maximum_scalar", lambda x: mtf.maximum(x, 0.5)),
    ("minimum_scalar_first", lambda x: mtf.minimum(0.25, x)),
    ("maximum_zero_int_scalar", lambda x: mtf.maximum(x, 0)),
    ("squared_difference_scalar", lambda x: mtf.squared_difference(x, 1.5)),
    ("clip_scalars", lambda x: mtf.clip_by_value(x, -0.5, 0.75)),
    ("clip_int_scalars", lambda x: mtf.clip_by_value(x, -1, 1)),
    ("where_scalar", lambda x: mtf.where(x > 0.0, x, 0.0)),
    ("where_scalar_first", lambda x: mtf.where(x > 0.0, -1.0, x)),
]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name, op", SCALAR_OPERANDS, ids=[s[0] for s in SCALAR_OPERANDS])
def test_python_scalar_operands_replay(name, op, dtype):
    _check(op, lambda s: (_floats(s, dtype=dtype),), 2)


INT_BINARY = [
    ("add", mtf.add), ("subtract", mtf.subtract), ("multiply", mtf.multiply),
    ("divide", mtf.divide), ("maximum", mtf.maximum), ("minimum", mtf.minimum),
    ("squared_difference", mtf.squared_difference),
    ("pow", lambda x, y: mtf.pow(x, mtf.abs(y))),
    ("floordiv", lambda x, y: mtf.floordiv(x, _nonzero(y))),
    ("mod", lambda x, y: mtf.mod(x, _nonzero(y))),
    ("clip", lambda x, y: mtf.clip_by_value(x, -mtf.abs(y), mtf.abs(y))),
    ("where", lambda x, y: mtf.where(x > y, x, y)),
    ("scalar", lambda x, y: mtf.maximum(x, 1) + y * 2),
]


def _nonzero(y):
    """``y`` with each 0 replaced by 1 (as ops, so the trace follows new values)."""
    return mtf.where(mtf.equal(y, 0), mtf.ones_like(y), y)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("name, op", INT_BINARY, ids=[b[0] for b in INT_BINARY])
def test_binary_integer_ops_replay(name, op, dtype):
    _check(op, lambda s: (_ints(s, (3, 4), dtype), _ints(s + 100, (4,), dtype)), 0)


# ------------------------------------------------------------------ comparisons and logic

COMPARISONS = [mtf.equal, mtf.not_equal, mtf.less, mtf.less_equal, mtf.greater,
               mtf.greater_equal, mtf.floordiv, mtf.mod]


def _small_floats(seed, shape):
    """Floats from a few values, so that ties (and zero divisors) occur."""
    return mtf.constant(_rng(seed).integers(-2, 3, shape).astype(F32) / 2)


@pytest.mark.parametrize("shapes", list(SHAPES.values()), ids=list(SHAPES))
@pytest.mark.parametrize("op", COMPARISONS, ids=lambda op: op.__name__)
def test_comparisons_replay(op, shapes):
    _check(op, lambda s: (_small_floats(s, shapes[0]), _small_floats(s + 9, shapes[1])), 0)
    _check(op, lambda s: (_floats(s, shapes[0]), _floats(s + 9, shapes[1])), 0)   # NaN, inf


@pytest.mark.parametrize("op", COMPARISONS[:6], ids=lambda op: op.__name__)
def test_comparisons_of_integers_and_with_scalars_replay(op):
    _check(op, lambda s: (_ints(s, (3, 4), np.int64), _ints(s + 9, (3, 1), np.int64)), 0)
    _check(lambda x: op(x, 0.5), lambda s: (_small_floats(s, (3, 4)),), 0)
    _check(lambda x: op(1, x), lambda s: (_ints(s, (3, 4)),), 0)


@pytest.mark.parametrize("op", [mtf.floordiv, mtf.mod], ids=lambda op: op.__name__)
def test_integer_division_by_zero_raises_on_replay_too(op):
    traced = mtf.function(op)
    traced(mtf.constant([7, -7]), mtf.constant([2, 3]))
    with pytest.raises(ZeroDivisionError, match=rf"^{op.__name__}: integer division by zero"):
        traced(mtf.constant([7, -7]), mtf.constant([2, 0]))
    assert traced.experimental_get_tracing_count() == 1


def test_operators_replay():
    def fn(x, y):
        return [x < y, x <= y, x > y, x >= y, x == y, x != y, x // y, x % y, -x, abs(x)]
    _check(fn, lambda s: (_small_floats(s, (3, 4)), _small_floats(s + 9, (4,))), 0)


def test_logical_ops_replay():
    def fn(a, b, c):
        return [mtf.logical_and(a, b), mtf.logical_or(a, c), mtf.logical_not(a),
                a & b, a | c, ~b]
    _check(fn, lambda s: (_bools(s), _bools(s + 1, (4,)), _bools(s + 2, (3, 1))), 0)


def test_comparison_results_feed_later_ops():
    def fn(x, y):
        mask = mtf.logical_and(mtf.greater(x, y), mtf.not_equal(x, 0.0))
        return mtf.where(mask, x - y, mtf.floor(x) + mtf.round(y) * mtf.ceil(x))
    _check(fn, lambda s: (_floats(s), _floats(s + 5, (4,))), 2)


# ------------------------------------------------------------------ where and clip_by_value

def test_where_broadcasts_and_replays_with_gradients_of_both_branches():
    def where(x, c, y):
        return mtf.where(c, x, y)
    make = lambda s: (_floats(s, (3, 4)), _bools(s, (3, 1)), _floats(s + 7, (4,)))  # noqa: E731
    _check(where, make, 2)
    _check(lambda y, c, x: mtf.where(c, x, y), lambda s: tuple(make(s)[i] for i in (2, 1, 0)),
           2)
    _check(lambda c, x, y: mtf.where(c, x, y),
           lambda s: (_bools(s, (1, 4)), _ints(s, (3, 1)), _ints(s + 7, (4,))), 0)


def test_where_with_only_a_condition_replays_new_counts_of_true_elements():
    traced = _replay.assert_replays(lambda c: mtf.where(c), lambda s: (_bools(s, (4, 5)),),
                                    seeds=(1, 2, 3, 4, 5))
    assert traced(mtf.constant(np.zeros((4, 5), bool))).shape == (0, 2)
    assert traced(mtf.constant(np.ones((4, 5), bool))).shape == (20, 2)


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_clip_by_value_with_tensor_bounds_replays(dtype):
    def clip(t, lo, hi):
        return mtf.clip_by_value(t, lo, hi)

    def make(seed):
        lo = _floats(seed + 1, (4,), dtype, -1.5, -0.25, special=False)
        hi = _floats(seed + 2, (3, 1), dtype, 0.25, 1.5, special=False)
        return _floats(seed, (3, 4), dtype), lo, hi
    _check(clip, make, 2)
    _check(lambda t: mtf.clip_by_value(t, -0.5, 0.5, name="clipped"),
           lambda s: (_floats(s, dtype=dtype),), 2)


# ------------------------------------------------------------------ clipping by norm

def _scaled(seed, shape=(3, 4), dtype=F32):
    """Values whose norm is below 1 on odd seeds, above it on even ones; zero on seed 4,
    non-finite on seed 5 (clip_norm is 1 in the tests)."""
    v = _rng(seed).uniform(-1, 1, shape)
    v = v / np.linalg.norm(v) * (0.5 if seed % 2 else 3.0)
    if seed == 4:
        v[...] = 0.0
    elif seed == 5:
        v.reshape(-1)[0] = np.inf
    return mtf.constant(v.astype(dtype))


NORM_SEEDS = (1, 2, 3, 4, 5)


def _check_norm_op(op, make_args, order):
    fn = op if order == 0 else _replay.with_gradient(op, order)
    _replay.assert_replays(fn, make_args, seeds=NORM_SEEDS)


@pytest.mark.parametrize("axes", [None, [1], [0, 1], -1], ids=str)
@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_clip_by_norm_replays_below_above_and_at_zero(axes, dtype):
    _check_norm_op(lambda t: mtf.clip_by_norm(t, 1.0, axes=axes),
                   lambda s: (_scaled(s, dtype=dtype),), 2)


def test_clip_by_norm_with_a_tensor_clip_norm_and_indexed_slices_replays():
    _check_norm_op(lambda t, c: mtf.clip_by_norm(t, c),
                   lambda s: (_scaled(s), mtf.constant(np.float32(0.5 + s))), 2)

    def sliced(values, indices):
        clipped = mtf.clip_by_norm(mtf.IndexedSlices(values, indices, (7, 4)), 1.0)
        return [clipped.values, clipped.indices]
    _check_norm_op(sliced, lambda s: (_scaled(s), mtf.constant(np.array([0, 2, 5]) + s % 2)), 0)


def _norm_list(seed):
    return _scaled(seed, (3, 4)), _scaled(seed + 10, (5,), F64)


def test_global_norm_replays_mixed_dtypes_zero_and_non_finite_norms():
    _check_norm_op(lambda a, b: mtf.global_norm([a, None, b]), _norm_list, 2)
    _check_norm_op(lambda a, b: mtf.global_norm([b, None, a]), lambda s: _norm_list(s)[::-1],
                   2)
    _check_norm_op(lambda a: mtf.global_norm((a,)), lambda s: (_scaled(s),), 2)
    _check_norm_op(lambda a: mtf.global_norm([None]) + a, lambda s: (_scaled(s),), 0)


def test_clip_by_global_norm_replays_below_above_and_non_finite_norms():
    def clip(a, b):
        clipped, norm = mtf.clip_by_global_norm([a, None, b], 1.0)
        return [clipped[0], clipped[1], clipped[2], norm]
    _check_norm_op(clip, _norm_list, 0)

    def first(a, b):
        return mtf.clip_by_global_norm([a, b], 1.0)[0][0]
    _check_norm_op(first, _norm_list, 2)
    _check_norm_op(lambda b, a: mtf.clip_by_global_norm([a, b], 1.0)[0][1],
                   lambda s: _norm_list(s)[::-1], 2)


def test_clip_by_global_norm_with_use_norm_and_tensor_clip_norm_replays():
    def clip(a, norm, limit):
        return mtf.clip_by_global_norm([a], limit, use_norm=norm)[0][0]

    def make(seed):
        norm = [1.0, 0.5, 3.0, 0.0, np.inf, np.nan][seed]
        return _scaled(seed), mtf.constant(np.float32(norm)), mtf.constant(np.float32(1.0))
    _check_norm_op(clip, make, 2)
    _check_norm_op(lambda a: mtf.clip_by_global_norm([a], 1.0, use_norm=2.0)[0][0],
                   lambda s: (_scaled(s),), 2)

    def sliced(values):
        clipped, _ = mtf.clip_by_global_norm([mtf.IndexedSlices(values, [0, 2, 3], (5, 4))],
                                             1.0)
        return clipped[0].values
    _check_norm_op(sliced, lambda s: (_scaled(s),), 2)


# ------------------------------------------------------------------ norm

NORMS = [  # ord, axis, keepdims, order
    ("euclidean", None, False, 2), ("euclidean", 1, False, 2), ("euclidean", 0, True, 2),
    (2, -1, False, 2), (1, 1, False, 2), (np.inf, 0, False, 1), (np.inf, None, True, 1),
    (3, 1, False, 2), (0.5, None, False, 1),
    ("fro", (0, 1), False, 2), ("euclidean", [1, 0], True, 2), (1, (0, 1), False, 1),
    (np.inf, (1, 0), True, 1), (2, (0, 1), False, 1), (2, (1, 0), True, 1),
]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("ord, axis, keepdims, order", NORMS, ids=str)
def test_norm_replays(ord, axis, keepdims, order, dtype):
    def norm(x):
        return mtf.norm(x, ord=ord, axis=axis, keepdims=keepdims)

    def make(seed):        # zero rows (the euclidean gradient's 0/0) on seed 2
        v = _rng(seed).uniform(-2, 2, (3, 4))
        if seed == 2:
            v[1] = 0.0
        return (mtf.constant(v.astype(dtype)),)
    _check(norm, make, order)


def test_spectral_norm_of_a_batch_replays_with_non_finite_matrices():
    def make(seed):
        v = _rng(seed).uniform(-2, 2, (2, 3, 4))
        if seed == 3:
            v[0, 1, 2] = np.nan
        return (mtf.constant(v.astype(F32)),)
    _check(lambda x: mtf.norm(x, ord=2, axis=(1, 2)), make, 1)
    _check(lambda x: mtf.norm(x, ord=2, axis=(2, 0)), make, 1)


def test_norm_axis_given_as_a_tensor_must_be_static_in_a_trace():
    _check(lambda x: mtf.norm(x, axis=mtf.constant(1)), lambda s: (_floats(s),), 2)
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError):
        mtf.function(lambda x, axis: mtf.norm(x, axis=axis))(_floats(0), mtf.constant(1))


# ------------------------------------------------------------------ moments and dropout

@pytest.mark.parametrize("axes, keepdims", [([0], False), ([0, 1], False), ([1], True),
                                            ([0, 2], True)], ids=str)
def test_moments_replay(axes, keepdims):
    def mean_and_variance(x):
        mean, variance = mtf.nn.moments(x, axes, keepdims=keepdims)
        return mean + variance
    _check(mean_and_variance, lambda s: (_floats(s, (3, 4, 2), special=False),), 2)
    _check(lambda x: list(mtf.nn.moments(x, axes, keepdims=keepdims)),
           lambda s: (_floats(s, (3, 4, 2)),), 0)


def _assert_seeded_replays(fn, make_args, seeds=(1, 2, 3)):
    """As ``assert_replays``, with the global seed set before each call, so that the
    random draws of the replay and of eager execution are the same ones."""
    traced = mtf.function(fn)
    try:
        mtf.random.set_seed(0)
        first = traced(*make_args(0))
        mtf.random.set_seed(0)
        _replay.assert_same(first, fn(*make_args(0)), "first (traced) call")
        for seed in seeds:
            mtf.random.set_seed(seed)
            got = traced(*make_args(seed))
            assert traced.experimental_get_tracing_count() == 1
            mtf.random.set_seed(seed)
            _replay.assert_same(got, fn(*make_args(seed)), f"replay with seed {seed}")
    finally:
        mtf.random.set_seed(None)
    return traced


@pytest.mark.parametrize("seed", [None, 5])
@pytest.mark.parametrize("noise_shape", [None, [3, 1], [None, 4]], ids=str)
def test_dropout_replays_the_same_draws_as_eager(noise_shape, seed):
    def dropout(x):
        return mtf.nn.dropout(x, 0.4, noise_shape=noise_shape, seed=seed)
    make = lambda s: (_floats(s, special=False),)  # noqa: E731
    _assert_seeded_replays(dropout, make)
    _assert_seeded_replays(_replay.with_gradient(dropout, 2), make)


def test_dropout_draws_anew_on_every_replay():
    traced = mtf.function(lambda x: mtf.nn.dropout(x, 0.5))
    x = mtf.ones((50, 50))
    masks = [traced(x).numpy() for _ in range(3)]
    assert traced.experimental_get_tracing_count() == 1
    assert not np.array_equal(masks[1], masks[2])
    _replay.assert_replays(lambda x: mtf.nn.dropout(x, 0.0), lambda s: (_floats(s),))


# ------------------------------------------------------------------ losses

def _labels_logits(seed, shape=(4, 5), dtype=F32):
    """Soft labels in [0, 1) and logits, saturated (+-40) at two entries on seed 3."""
    r = _rng(seed)
    logits = r.uniform(-3, 3, shape)
    if seed == 3:
        logits.reshape(-1)[:2] = 40.0, -40.0
    labels = r.uniform(0, 1, shape)
    return mtf.constant(labels.astype(dtype)), mtf.constant(logits.astype(dtype))


LOSSES = [
    ("sigmoid", lambda z, x: mtf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)),
    ("softmax", lambda z, x: mtf.nn.softmax_cross_entropy_with_logits(z, x)),
    ("softmax_axis0", lambda z, x: mtf.nn.softmax_cross_entropy_with_logits(z, x, axis=0)),
]
REDUCTIONS = [("none", lambda loss: loss), ("sum", mtf.reduce_sum), ("mean", mtf.reduce_mean)]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", [r[1] for r in REDUCTIONS], ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("loss", [loss[1] for loss in LOSSES], ids=[loss[0] for loss in LOSSES])
def test_losses_replay_with_gradients_of_logits_and_labels(loss, reduction, dtype):
    def of_labels(z, x):
        return reduction(loss(z, x))
    make = lambda s: _labels_logits(s, dtype=dtype)  # noqa: E731
    _check(_swap(of_labels), lambda s: make(s)[::-1], 2)     # d/dlogits
    _check(of_labels, make, 2)


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", [r[1] for r in REDUCTIONS], ids=[r[0] for r in REDUCTIONS])
def test_sparse_softmax_cross_entropy_replays_new_labels(reduction, dtype, label_dtype):
    def loss(logits, labels):
        return reduction(mtf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                          logits=logits))

    def make(seed):
        logits = _labels_logits(seed, (2, 3, 5), dtype)[1]
        return logits, mtf.constant(_rng(seed).integers(0, 5, (2, 3)).astype(label_dtype))
    _check(loss, make, 2)


def test_sparse_softmax_cross_entropy_checks_the_labels_on_every_replay():
    def loss(logits, labels):
        return mtf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    traced = mtf.function(loss)
    logits = _labels_logits(0, (2, 5))[1]
    traced(logits, mtf.constant([0, 4]))
    for labels, bad in (([0, 5], 5), ([-1, 2], -1)):
        with pytest.raises(ValueError, match=f"label {bad} is out of range"):
            traced(logits, mtf.constant(labels))
    assert traced.experimental_get_tracing_count() == 1


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
def test_l2_loss_of_a_scalar_and_a_tensor_replays(dtype):
    _check(mtf.nn.l2_loss, lambda s: (_floats(s, (), dtype, special=False),), 2)
    _check(lambda t: mtf.nn.l2_loss(t) * 1e-3, lambda s: (_floats(s, (2, 3, 4), dtype),), 2)


# ------------------------------------------------------------------ names

NAMED = [  # op type, fn(x, z, b, classes, name): the op called with name=
    ("add", lambda x, z, b, c, name: mtf.add(x, 1.0, name=name)),
    ("subtract", lambda x, z, b, c, name: mtf.subtract(x, 1.0, name=name)),
    ("multiply", lambda x, z, b, c, name: mtf.multiply(x, 2.0, name=name)),
    ("divide", lambda x, z, b, c, name: mtf.divide(x, 2.0, name=name)),
    ("pow", lambda x, z, b, c, name: mtf.pow(x, 2.0, name=name)),
    ("negative", lambda x, z, b, c, name: mtf.negative(x, name=name)),
    ("abs", lambda x, z, b, c, name: mtf.abs(x, name=name)),
    ("sign", lambda x, z, b, c, name: mtf.sign(x, name=name)),
    ("square", lambda x, z, b, c, name: mtf.square(x, name=name)),
    ("reciprocal", lambda x, z, b, c, name: mtf.reciprocal(x, name=name)),
    ("squared_difference", lambda x, z, b, c, name: mtf.squared_difference(x, z, name=name)),
    ("maximum", lambda x, z, b, c, name: mtf.maximum(x, z, name=name)),
    ("minimum", lambda x, z, b, c, name: mtf.minimum(x, z, name=name)),
    ("exp", lambda x, z, b, c, name: mtf.exp(x, name=name)),
    ("expm1", lambda x, z, b, c, name: mtf.expm1(x, name=name)),
    ("log", lambda x, z, b, c, name: mtf.log(x, name=name)),
    ("log1p", lambda x, z, b, c, name: mtf.log1p(x, name=name)),
    ("sqrt", lambda x, z, b, c, name: mtf.sqrt(x, name=name)),
    ("rsqrt", lambda x, z, b, c, name: mtf.rsqrt(x, name=name)),
    ("sin", lambda x, z, b, c, name: mtf.sin(x, name=name)),
    ("cos", lambda x, z, b, c, name: mtf.cos(x, name=name)),
    ("tan", lambda x, z, b, c, name: mtf.tan(x, name=name)),
    ("tanh", lambda x, z, b, c, name: mtf.tanh(x, name=name)),
    ("sigmoid", lambda x, z, b, c, name: mtf.sigmoid(x, name=name)),
    ("softplus", lambda x, z, b, c, name: mtf.nn.softplus(x, name=name)),
    ("erf", lambda x, z, b, c, name: mtf.erf(x, name=name)),
    ("where", lambda x, z, b, c, name: mtf.where(b, x, z, name=name)),
    ("where", lambda x, z, b, c, name: mtf.where(b, name=name)),
    ("cast", lambda x, z, b, c, name: mtf.cast(x, mtf.float64, name=name)),
    ("clip_by_value", lambda x, z, b, c, name: mtf.clip_by_value(x, 0.0, 1.0, name=name)),
    ("identity", lambda x, z, b, c, name: mtf.identity(x, name=name)),
    ("stop_gradient", lambda x, z, b, c, name: mtf.stop_gradient(x, name=name)),
    ("floor", lambda x, z, b, c, name: mtf.floor(x, name=name)),
    ("ceil", lambda x, z, b, c, name: mtf.ceil(x, name=name)),
    ("round", lambda x, z, b, c, name: mtf.round(x, name=name)),
    ("floordiv", lambda x, z, b, c, name: mtf.floordiv(x, z, name=name)),
    ("mod", lambda x, z, b, c, name: mtf.mod(x, z, name=name)),
    ("equal", lambda x, z, b, c, name: mtf.equal(x, z, name=name)),
    ("not_equal", lambda x, z, b, c, name: mtf.not_equal(x, z, name=name)),
    ("less", lambda x, z, b, c, name: mtf.less(x, z, name=name)),
    ("less_equal", lambda x, z, b, c, name: mtf.less_equal(x, z, name=name)),
    ("greater", lambda x, z, b, c, name: mtf.greater(x, z, name=name)),
    ("greater_equal", lambda x, z, b, c, name: mtf.greater_equal(x, z, name=name)),
    ("logical_and", lambda x, z, b, c, name: mtf.logical_and(b, b, name=name)),
    ("logical_or", lambda x, z, b, c, name: mtf.logical_or(b, b, name=name)),
    ("logical_not", lambda x, z, b, c, name: mtf.logical_not(b, name=name)),
    ("relu", lambda x, z, b, c, name: mtf.nn.relu(x, name=name)),
    ("leaky_relu", lambda x, z, b, c, name: mtf.nn.leaky_relu(x, name=name)),
    ("elu", lambda x, z, b, c, name: mtf.nn.elu(x, name=name)),
    ("selu", lambda x, z, b, c, name: mtf.nn.selu(x, name=name)),
    ("gelu", lambda x, z, b, c, name: mtf.nn.gelu(x, name=name)),
    ("softmax", lambda x, z, b, c, name: mtf.nn.softmax(x, name=name)),
    ("log_softmax", lambda x, z, b, c, name: mtf.nn.log_softmax(x, name=name)),
    ("l2_loss", lambda x, z, b, c, name: mtf.nn.l2_loss(x, name=name)),
    ("sigmoid_cross_entropy_with_logits", lambda x, z, b, c, name:
        mtf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x, name=name)),
    ("softmax_cross_entropy_with_logits", lambda x, z, b, c, name:
        mtf.nn.softmax_cross_entropy_with_logits(z, x, name=name)),
    ("sparse_softmax_cross_entropy_with_logits", lambda x, z, b, c, name:
        mtf.nn.sparse_softmax_cross_entropy_with_logits(labels=c, logits=x, name=name)),
    ("multiply", lambda x, z, b, c, name: mtf.nn.dropout(x, 0.5, name=name)),
    ("divide", lambda x, z, b, c, name: mtf.clip_by_norm(x, 1.0, name=name)),
    ("where", lambda x, z, b, c, name: mtf.global_norm([x], name=name)),
]


@pytest.mark.parametrize("op_type, call", NAMED, ids=[f"{t}-{i}" for i, (t, _) in enumerate(NAMED)])
def test_name_reaches_the_traced_graph(op_type, call):
    def fn(x, z, b, classes):
        return call(x, z, b, classes, "given_name")
    traced = mtf.function(fn)
    concrete = traced.get_concrete_function(
        mtf.TensorSpec((3, 4), mtf.float32), mtf.TensorSpec((3, 4), mtf.float32),
        mtf.TensorSpec((3, 4), mtf.bool), mtf.TensorSpec((3,), mtf.int64))
    assert concrete.graph.get_operation_by_name("given_name").type == op_type
