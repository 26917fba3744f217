"""NaN through every max/min-like op: it propagates wherever it sits, and gradients
go where the value came from (numpy and reduce_max semantics, independent of order)."""
import itertools

import numpy as np
import pytest

import minitf as mtf

nn = mtf.nn


def _windows_ref(x, k, s):
    """VALID max pooling by numpy's max, which propagates NaN."""
    n, h, w, c = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = np.empty((n, oh, ow, c), x.dtype)
    for i, j in itertools.product(range(oh), range(ow)):
        out[:, i, j] = x[:, i * s:i * s + k, j * s:j * s + k].max(axis=(1, 2))
    return out


@pytest.mark.parametrize("k", [2, 3])
def test_max_pool_propagates_nan_at_every_window_position(k):
    for position in range(k * k):
        window = np.arange(k * k, dtype=np.float32) + 1
        window[position] = np.nan
        x = window.reshape(1, k, k, 1)
        out = nn.max_pool2d(x, k, k, "VALID").numpy()
        assert np.isnan(out).all(), (position, out)
        np.testing.assert_array_equal(out, _windows_ref(x, k, k))


def test_max_pool_with_nans_matches_numpy_over_random_images():
    rng = np.random.default_rng(7)
    for trial in range(30):
        x = rng.standard_normal((2, 6, 7, 3)).astype(np.float32)
        x[rng.random(x.shape) < 0.15] = np.nan
        k, s = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        np.testing.assert_array_equal(nn.max_pool2d(x, k, s, "VALID").numpy(),
                                      _windows_ref(x, k, s))


def test_max_pool_gradient_of_a_nan_window_goes_to_its_first_nan():
    for first, second in itertools.combinations(range(9), 2):
        window = np.arange(9, dtype=np.float64)
        window[[first, second]] = np.nan
        x = mtf.constant(window.reshape(1, 3, 3, 1))
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = nn.max_pool2d(x, 3, 3, "VALID")
        grad = tape.gradient(y, x).numpy().reshape(-1)
        expected = np.zeros(9)
        expected[np.argmax(window)] = 1.0            # numpy's argmax: the first NaN
        assert np.argmax(window) == first
        np.testing.assert_array_equal(grad, expected)


def _grad(op, x, y):
    xs, ys = mtf.constant(x), mtf.constant(y)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch([xs, ys])
        out = op(xs, ys)
    return out.numpy(), tape.gradient(out, xs).numpy(), tape.gradient(out, ys).numpy()


@pytest.mark.parametrize("op, ref", [(mtf.maximum, np.maximum), (mtf.minimum, np.minimum)])
def test_maximum_minimum_propagate_nan_and_route_its_gradient_to_it(op, ref):
    x = np.array([np.nan, 1.0, np.nan, 2.0, 3.0])
    y = np.array([0.0, np.nan, np.nan, 2.0, -3.0])
    out, gx, gy = _grad(op, x, y)
    np.testing.assert_array_equal(out, ref(x, y))
    took_x = np.isnan(x) | (~np.isnan(y) & (ref(x, y) == x))   # NaN x, else x's value
    np.testing.assert_array_equal(gx, took_x.astype(float))
    np.testing.assert_array_equal(gy, (~took_x).astype(float))


def test_clip_by_value_keeps_nan_and_passes_its_gradient():
    x = mtf.constant([np.nan, -5.0, 0.5, 5.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.clip_by_value(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.numpy(), [np.nan, -1.0, 0.5, 1.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 0.0, 1.0, 0.0])


MAX_LIKE = [
    ("reduce_max", lambda x: mtf.reduce_max(x, axis=1), lambda x: np.max(x, axis=1)),
    ("reduce_min", lambda x: mtf.reduce_min(x, axis=1), lambda x: np.min(x, axis=1)),
    ("maximum", lambda x: mtf.maximum(x, 0.5), lambda x: np.maximum(x, 0.5)),
    ("minimum", lambda x: mtf.minimum(0.5, x), lambda x: np.minimum(0.5, x)),
    ("relu", nn.relu, lambda x: np.maximum(x, 0)),
    ("clip_by_value", lambda x: mtf.clip_by_value(x, -0.5, 0.5),
     lambda x: np.clip(x, -0.5, 0.5)),
    ("norm inf", lambda x: mtf.norm(x, ord=np.inf, axis=1), lambda x: np.max(abs(x), axis=1)),
    ("max_pool2d", lambda x: mtf.reshape(nn.max_pool2d(mtf.reshape(x, (1, 4, 4, 1)), 4, 4,
                                                       "VALID"), (1,)),
     lambda x: np.array([np.max(x)])),
    ("reduce_logsumexp", lambda x: mtf.reduce_logsumexp(x, axis=1),
     lambda x: np.log(np.sum(np.exp(x), axis=1))),
    ("softmax", nn.softmax, lambda x: np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)),
    ("log_softmax", nn.log_softmax,
     lambda x: x - np.log(np.sum(np.exp(x), axis=1, keepdims=True))),
    ("argmax", lambda x: mtf.argmax(x, axis=1), lambda x: np.argmax(x, axis=1)),
]


@pytest.mark.parametrize("name, op, ref", MAX_LIKE, ids=[m[0] for m in MAX_LIKE])
def test_every_max_like_op_propagates_nan_wherever_it_sits(name, op, ref):
    for position in range(16):
        x = np.linspace(-2, 2, 16).reshape((1, 16) if name == "max_pool2d" else (4, 4))
        x.reshape(-1)[position] = np.nan
        with np.errstate(all="ignore"):
            expected = ref(x)
        got = op(mtf.constant(x)).numpy()
        np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_reduce_max_gradient_of_a_nan_group_is_nan_as_tensorflow():
    x = mtf.constant([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.reduce_max(x, axis=1)
    g = tape.gradient(y, x).numpy()
    assert np.isnan(g[0]).all()        # TensorFlow: 0/0 shares in a NaN group
    np.testing.assert_array_equal(g[1], [0, 0, 1])
