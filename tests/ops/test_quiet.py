"""Ops compute NaN and Inf silently, as TensorFlow: no numpy RuntimeWarning escapes,
the values are numpy's, and numpy's own error state is left as the user set it."""
import warnings

import numpy as np
import pytest

import minitf as mtf

nn = mtf.nn
F32 = np.float32
EDGE = np.array([-1.0, 0.0, np.inf, -np.inf, np.nan, 3e38, 1e-45], F32)
HALF = np.array([60000.0, -60000.0, 1.0], np.float16)
BIG = np.array([3e38, np.inf, 0.0, -np.inf, -3e38], F32)     # overflow, inf - inf, 0 * inf

# (name, minitf call, numpy reference), on inputs where numpy itself warns.
CASES = [
    ("sqrt", lambda: mtf.sqrt(EDGE), lambda: np.sqrt(EDGE)),
    ("rsqrt", lambda: mtf.rsqrt(EDGE), lambda: 1 / np.sqrt(EDGE)),
    ("log", lambda: mtf.log(EDGE), lambda: np.log(EDGE)),
    ("log1p", lambda: mtf.log1p(EDGE - 1), lambda: np.log1p(EDGE - F32(1))),
    ("exp", lambda: mtf.exp(EDGE), lambda: np.exp(EDGE)),
    ("expm1", lambda: mtf.expm1(EDGE), lambda: np.expm1(EDGE)),
    ("sin", lambda: mtf.sin(EDGE), lambda: np.sin(EDGE)),
    ("cos", lambda: mtf.cos(EDGE), lambda: np.cos(EDGE)),
    ("tan", lambda: mtf.tan(EDGE), lambda: np.tan(EDGE)),
    ("reciprocal", lambda: mtf.reciprocal(EDGE), lambda: np.reciprocal(EDGE)),
    ("square", lambda: mtf.square(EDGE), lambda: np.square(EDGE)),
    ("add", lambda: mtf.add(BIG, -BIG[::-1]), lambda: BIG - BIG[::-1]),
    ("subtract", lambda: mtf.subtract(EDGE, EDGE), lambda: EDGE - EDGE),
    ("multiply", lambda: mtf.multiply(BIG, BIG[::-1]), lambda: BIG * BIG[::-1]),
    ("divide", lambda: mtf.divide(EDGE, EDGE[::-1].copy()), lambda: EDGE / EDGE[::-1]),
    ("pow", lambda: mtf.pow(EDGE, F32(-1.5)), lambda: EDGE ** F32(-1.5)),
    ("squared_difference", lambda: mtf.squared_difference(EDGE, -EDGE),
     lambda: np.square(EDGE + EDGE)),
    ("floordiv", lambda: mtf.floordiv(EDGE, 0.0), lambda: np.floor_divide(EDGE, F32(0))),
    ("mod", lambda: mtf.mod(EDGE, 0.0), lambda: np.mod(EDGE, F32(0))),
    ("cast", lambda: mtf.cast(np.array([1e300, -1e300]), mtf.float32),
     lambda: np.array([1e300, -1e300]).astype(F32)),
    ("cast to int", lambda: mtf.cast(np.array([np.nan, 1.5], F32), mtf.int32),
     lambda: np.array([np.nan, 1.5], F32).astype(np.int32)),
    ("reduce_sum", lambda: mtf.reduce_sum(HALF[:1].repeat(4)),
     lambda: np.add.reduce(HALF[:1].repeat(4), dtype=np.float16)),
    ("reduce_mean", lambda: mtf.reduce_mean(HALF[:1].repeat(4)),
     lambda: np.add.reduce(HALF[:1].repeat(4), dtype=np.float16) / np.float16(4)),
    ("reduce_mean of empty", lambda: mtf.reduce_mean(np.zeros(0, F32)), lambda: F32(np.nan)),
    ("reduce_prod", lambda: mtf.reduce_prod(EDGE[5:6].repeat(2)), lambda: F32(np.inf)),
    ("reduce_logsumexp", lambda: mtf.reduce_logsumexp(np.array([np.nan, 1e30], F32)),
     lambda: F32(np.nan)),
    ("reduce_variance", lambda: mtf.reduce_variance(np.array([3e38, -3e38], F32)),
     lambda: F32(np.inf)),
    ("matmul", lambda: mtf.matmul(np.full((2, 2), 3e38, F32), np.full((2, 2), 3e38, F32)),
     lambda: np.full((2, 2), np.inf, F32)),
    ("norm", lambda: mtf.norm(np.full(3, 3e38, F32)), lambda: F32(np.inf)),
    ("l2_loss", lambda: nn.l2_loss(np.full(3, 3e38, F32)), lambda: F32(np.inf)),
    ("selu float16", lambda: nn.selu(HALF * np.float16(1.08)), lambda: _selu(HALF * 1.08)),
    ("leaky_relu float16", lambda: nn.leaky_relu(HALF, alpha=2.0),
     lambda: np.array([60000.0, -np.inf, 1.0], np.float16)),
    ("clip_by_value", lambda: mtf.clip_by_value(EDGE, -1e300, 1e300), lambda: EDGE),
    ("normal", lambda: mtf.random.normal([2], mean=1e300, seed=1),
     lambda: np.full(2, np.inf, F32)),
    ("linspace", lambda: mtf.linspace(0.0, np.inf, 3),
     lambda: np.linspace(0.0, np.inf, 3).astype(F32)),
    ("sigmoid_cross_entropy", lambda: nn.sigmoid_cross_entropy_with_logits(
        labels=np.array([1e30], F32), logits=np.array([1e30], F32)),
     lambda: F32([1e30]) - F32([1e30]) * F32([1e30]) + np.log1p(np.exp(F32([-1e30])))),
]


def _selu(x):
    """selu in float64 by its definition, rounded to x's dtype (inf past its range)."""
    v = np.asarray(x, np.float64)
    out = 1.0507009873554805 * np.where(v > 0, v, 1.6732632423543772 * np.expm1(v))
    return out.astype(np.asarray(x).dtype)


@pytest.mark.parametrize("name, call, ref", CASES, ids=[c[0] for c in CASES])
def test_ops_compute_nan_and_inf_without_warnings(name, call, ref):
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = call()
    assert np.geterr() == before
    with np.errstate(all="ignore"):
        expected = ref()
    got = np.asarray(got)
    assert got.dtype == np.asarray(expected).dtype, (got.dtype, np.asarray(expected).dtype)
    np.testing.assert_allclose(got.astype(np.float64), np.asarray(expected, np.float64),
                               rtol=1e-3, equal_nan=True)


def test_gradients_through_nan_and_inf_are_silent_too():
    x = mtf.constant(EDGE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with mtf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            ys = [mtf.sqrt(x), mtf.log(x), mtf.reduce_max(x), mtf.divide(1.0, x),
                  mtf.pow(x, 0.5), mtf.maximum(x, 0.0)]
        for y in ys:
            tape.gradient(y, x)


def test_numpys_error_state_outside_ops_is_the_users():
    from minitf.ops import _quiet
    with np.errstate(all="raise"):
        mtf.sqrt(EDGE)                      # silent inside the op...
        with pytest.raises(FloatingPointError):
            np.sqrt(EDGE)                   # ...while the user's setting stands outside
    with np.errstate(divide="warn"):
        token = _quiet.enter()
        _quiet.leave(token)
        assert np.geterr()["divide"] == "warn"


def test_quiet_helpers_restore_the_state_after_an_exception():
    from minitf.ops import _quiet
    before = np.geterr()

    @_quiet.quiet
    def failing():
        raise KeyError("x")

    with pytest.raises(KeyError):
        failing()
    with pytest.raises(KeyError):
        _quiet.quietly(failing)
    assert np.geterr() == before
