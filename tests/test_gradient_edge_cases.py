"""Gradients at the edges: reduce_prod with zeros (every order), norms at zero.

Truths: closed forms of the derivatives of a product (the product of the
entries not differentiated, 0 if one is differentiated twice), float64 central
differences, and the fact that clip_by_global_norm is the identity near 0.
"""
import itertools

import numpy as np
import pytest

import minitf as mtf
from _helpers import finite_difference

RNG = np.random.default_rng(7)


def _groups(shape, axis):
    """Index lists (into the flat input) of the groups reduce_prod multiplies."""
    axes = tuple(range(len(shape))) if axis is None else tuple(np.atleast_1d(axis))
    kept = [d for d in range(len(shape)) if d not in axes]
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    moved = np.moveaxis(flat, kept, list(range(len(kept))))
    return moved.reshape(int(np.prod([shape[d] for d in kept])), -1)


def prod_derivative(x, indices, groups):
    """d^k prod / dx_i1 ... dx_ik summed over outputs: the product of the rest."""
    flat = x.reshape(-1)
    for group in groups:
        if set(indices) <= set(group.tolist()):
            if len(set(indices)) < len(indices):
                return 0.0
            return float(np.prod([flat[j] for j in group if j not in indices]))
    return 0.0


def _with_zeros(shape, zeros, axis):
    """Random entries in [0.5, 1.5] * sign with ``zeros`` zeros in the first group."""
    x = RNG.uniform(0.5, 1.5, shape) * RNG.choice([-1.0, 1.0], shape)
    group = _groups(shape, axis)[0]
    x.reshape(-1)[RNG.choice(group, size=zeros, replace=False)] = 0.0
    return x


def _tape_derivatives(x, axis, keepdims):
    """Gradient, Hessian and third-derivative tensor of sum(reduce_prod(x, axis))."""
    t = mtf.constant(x)
    with mtf.GradientTape() as t3:
        t3.watch(t)
        with mtf.GradientTape() as t2:
            t2.watch(t)
            with mtf.GradientTape() as t1:
                t1.watch(t)
                y = mtf.reduce_prod(t, axis, keepdims)
            g = mtf.reshape(t1.gradient(y, t), (-1,))
        h = mtf.reshape(t2.jacobian(g, t), (x.size, x.size))
    third = t3.jacobian(h, t, unconnected_gradients="zero")
    return g.numpy(), h.numpy(), third.numpy().reshape((x.size,) * 3)


CASES = [((5,), None), ((3, 4), 1), ((3, 4), 0), ((2, 3, 2), (0, 2)), ((2, 3), None)]


@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
@pytest.mark.parametrize("shape, axis", CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_prod_derivatives_match_closed_forms(zeros, shape, axis, keepdims):
    x = _with_zeros(shape, zeros, axis)
    groups = _groups(shape, axis)
    g, h, third = _tape_derivatives(x, axis, keepdims)
    n = x.size
    want_g = [prod_derivative(x, (i,), groups) for i in range(n)]
    want_h = [[prod_derivative(x, (i, j), groups) for j in range(n)] for i in range(n)]
    want_3 = np.zeros((n, n, n))
    for i, j, k in itertools.product(range(n), repeat=3):
        want_3[i, j, k] = prod_derivative(x, (i, j, k), groups)
    np.testing.assert_allclose(g, want_g, rtol=1e-12, atol=1e-12)   # entries are O(1)
    np.testing.assert_allclose(h, want_h, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(third, want_3, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("zeros", [0, 1, 2, 3])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_reduce_prod_hessian_matches_finite_differences_of_the_gradient(zeros, axis):
    x = _with_zeros((4, 3), zeros, axis)
    w = RNG.standard_normal(x.shape)
    reduced_shape = np.prod(x, axis=axis).shape
    upstream = RNG.standard_normal(reduced_shape)

    def gradient(v):
        t = mtf.constant(v)
        with mtf.GradientTape() as tape:
            tape.watch(t)
            y = mtf.reduce_prod(t, axis)
        return tape.gradient(y, t, output_gradients=mtf.constant(upstream)).numpy()

    t = mtf.constant(x)
    with mtf.GradientTape() as outer:
        outer.watch(t)
        with mtf.GradientTape() as inner:
            inner.watch(t)
            y = mtf.reduce_prod(t, axis)
        g = inner.gradient(y, t, output_gradients=mtf.constant(upstream))
        projected = mtf.reduce_sum(g * w)
    hvp = outer.gradient(projected, t).numpy()
    want = finite_difference(lambda v: np.sum(gradient(v) * w), x, step=1e-6)
    np.testing.assert_allclose(hvp, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("x, want", [
    ([np.inf, 2.0], [2.0, np.inf]),            # out / x would give inf / inf = NaN
    ([1e-200, 1e-200], [1e-200, 1e-200]),      # the product underflows to 0
    ([1e200, 1e200, 0.0], [0.0, 0.0, 1e400]),  # 0 * inf in out / x; the exact value overflows
])
def test_reduce_prod_gradient_exact_when_the_product_is_not_finite_and_nonzero(x, want):
    t = mtf.constant(np.array(x))
    with mtf.GradientTape() as tape:
        tape.watch(t)
        with np.errstate(over="ignore", invalid="ignore"):   # 1e200 * 1e200 * 0
            y = mtf.reduce_prod(t)
    with np.errstate(over="ignore", invalid="ignore"):
        got = tape.gradient(y, t).numpy()
    np.testing.assert_array_equal(got, np.array(want))


def _norm_gradient(fn, values):
    ts = [mtf.constant(v) for v in values]
    with mtf.GradientTape() as tape:
        tape.watch(ts)
        y = fn(ts)
    return y, tape.gradient(y, ts)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_global_norm_gradient_at_zero_is_zero_like_norm(dtype):
    values = [np.zeros((2, 3), dtype), np.zeros(4, dtype)]
    norm, grads = _norm_gradient(mtf.global_norm, values)
    assert float(norm) == 0.0
    for g, v in zip(grads, values):
        np.testing.assert_array_equal(g.numpy(), np.zeros_like(v))
    _, (norm_grad,) = _norm_gradient(lambda ts: mtf.norm(ts[0]), values[:1])
    np.testing.assert_array_equal(norm_grad.numpy(), np.zeros((2, 3)))


def test_global_norm_gradient_elsewhere_and_with_one_zero_entry():
    values = [RNG.standard_normal((2, 3)), np.zeros(4)]
    _, grads = _norm_gradient(mtf.global_norm, values)
    total = np.sqrt(np.sum(values[0] ** 2))
    np.testing.assert_allclose(grads[0].numpy(), values[0] / total, rtol=1e-12)
    np.testing.assert_array_equal(grads[1].numpy(), np.zeros(4))


def test_global_norm_keeps_nan_and_inf():
    assert np.isnan(float(mtf.global_norm([np.array([1.0, np.nan])])))
    assert float(mtf.global_norm([np.array([1.0, np.inf])])) == np.inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_by_global_norm_is_the_identity_near_zero(dtype):
    values = [np.zeros((2, 2), dtype), np.zeros(3, dtype)]
    weights = [RNG.standard_normal(v.shape).astype(dtype) for v in values]

    def loss(ts):
        clipped, _ = mtf.clip_by_global_norm(ts, 1.0)
        return sum(mtf.reduce_sum(c * w) for c, w in zip(clipped, weights))
    _, grads = _norm_gradient(loss, values)
    for g, w in zip(grads, weights):
        assert not np.isnan(g.numpy()).any()
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-6)   # d(x . w)/dx = w


def test_clip_by_global_norm_gradient_near_zero_matches_finite_differences():
    x = np.zeros(3)

    def value(v):
        clipped, _ = mtf.clip_by_global_norm([v], 0.5)
        return float(mtf.reduce_sum(clipped[0] * np.array([1.0, -2.0, 0.5])))
    _, (g,) = _norm_gradient(
        lambda ts: mtf.reduce_sum(mtf.clip_by_global_norm(ts, 0.5)[0][0]
                                  * np.array([1.0, -2.0, 0.5])), [x])
    np.testing.assert_allclose(g.numpy(), finite_difference(value, x), rtol=1e-8)
