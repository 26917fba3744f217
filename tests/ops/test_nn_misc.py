"""dropout and moments: values, statistics, gradients (moments to 2nd order), errors."""
import re

import numpy as np
import pytest

import minitf as mtf
from minitf.testing import check_gradients

rng = np.random.default_rng(40)
nn = mtf.nn


@pytest.fixture(autouse=True)
def _no_global_seed_afterwards():
    yield
    mtf.random.set_seed(None)


# ------------------------------------------------------------------ dropout

def test_dropout_keeps_scaled_values_and_zeroes_the_rest():
    x = rng.random((100, 100)) + 1.0               # no zeros of its own
    y = nn.dropout(x, 0.3).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-15)
    assert abs(1 - kept.mean() - 0.3) < 0.02       # 10k draws: std of the rate ~0.005


def test_dropout_rate_zero_is_the_identity():
    x = mtf.constant(rng.standard_normal(5))
    np.testing.assert_array_equal(nn.dropout(x, 0.0).numpy(), x.numpy())


def test_dropout_gradient_is_the_scaled_mask():
    def f(x):
        mtf.random.set_seed(3)                     # the same mask at every evaluation
        return nn.dropout(x, 0.5, seed=1)
    x = rng.standard_normal((4, 5))
    check_gradients(f, [x])
    xt = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(xt)
        y = f(xt)
    np.testing.assert_array_equal(tape.gradient(y, xt).numpy(),
                                  np.where(y.numpy() != 0, 2.0, 0.0))


def test_dropout_is_reproducible_with_seeds():
    x = np.ones((8, 8))
    mtf.random.set_seed(11)
    a, b = nn.dropout(x, 0.5, seed=2), nn.dropout(x, 0.5, seed=2)
    mtf.random.set_seed(11)
    a2, b2 = nn.dropout(x, 0.5, seed=2), nn.dropout(x, 0.5, seed=2)
    np.testing.assert_array_equal(a.numpy(), a2.numpy())
    np.testing.assert_array_equal(b.numpy(), b2.numpy())
    assert not np.array_equal(a.numpy(), b.numpy())    # the stream moves on


def test_dropout_noise_shape_shares_decisions():
    x = np.ones((50, 6))
    y = nn.dropout(x, 0.5, noise_shape=[None, 1]).numpy()
    assert np.all(y == y[:, :1])                       # whole rows kept or dropped
    assert 0 < (y[:, 0] == 0).sum() < 50
    y = nn.dropout(x, 0.5, noise_shape=[1, 6]).numpy()
    assert np.all(y == y[:1, :])


def test_dropout_keeps_float32():
    assert nn.dropout(np.ones(4, np.float32), 0.5).dtype == np.float32


@pytest.mark.parametrize("rate, exc", [(1.0, ValueError), (-0.1, ValueError),
                                       (1.5, ValueError), (float("nan"), ValueError),
                                       ("half", TypeError), (None, TypeError),
                                       (True, TypeError), ([0.5], TypeError)])
def test_dropout_rate_must_be_in_unit_interval(rate, exc):
    with pytest.raises(exc, match=r"dropout: rate must be a number in \[0, 1\)\. "
                                  r"Received: rate=" + re.escape(repr(rate))):
        nn.dropout(np.ones(3), rate)


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"dropout: noise_shape \(2, 2\).*\(3, 2\)"):
        nn.dropout(np.ones((3, 2)), 0.5, noise_shape=[2, 2])
    with pytest.raises(ValueError, match=r"dropout: noise_shape \(3,\)"):
        nn.dropout(np.ones((3, 2)), 0.5, noise_shape=[3])
    with pytest.raises(TypeError, match=r"dropout.*int32"):
        nn.dropout(mtf.constant([1, 2]), 0.5)


# ------------------------------------------------------------------ moments

@pytest.mark.parametrize("axes", [[0], [1, 2], [0, 2], [-1], [0, 1, 2]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_moments_values(axes, keepdims):
    x = rng.standard_normal((3, 4, 5)) * 2 + 1
    mean, variance = nn.moments(x, axes, keepdims=keepdims)
    axis = tuple(axes)
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=axis, keepdims=keepdims),
                               rtol=1e-12)
    np.testing.assert_allclose(variance.numpy(), x.var(axis=axis, keepdims=keepdims),
                               rtol=1e-12)


@pytest.mark.parametrize("axes", [[0], [0, 1]])
def test_moments_gradients_first_and_second_order(axes):
    x = rng.standard_normal((4, 3))
    check_gradients(lambda t: nn.moments(t, axes), [x])

    def grads(t):
        with mtf.GradientTape() as tape:
            tape.watch(t)
            mean, variance = nn.moments(t, axes)
            total = mtf.reduce_sum(variance * variance + mean * variance)
        return tape.gradient(total, t)
    check_gradients(grads, [x], rtol=1e-4)


def test_moments_variance_hessian_in_closed_form():
    # var(x) = |x - mean|^2 / n has Hessian 2/n (I - 1 1^T / n).
    x = mtf.constant(rng.standard_normal(4))
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            _, variance = nn.moments(x, [0])
        g = inner.gradient(variance, x)
    hessian = outer.jacobian(g, x).numpy()
    np.testing.assert_allclose(hessian, 2 / 4 * (np.eye(4) - 1 / 4), atol=1e-15)


def test_moments_errors():
    with pytest.raises(ValueError, match=r"moments: axis 3 is out of range.*rank 2"):
        nn.moments(np.zeros((2, 2)), [3])
    with pytest.raises(TypeError, match=r"moments.*int32"):
        nn.moments(mtf.constant([1, 2]), [0])
