"""Helpers shared by several test files: numpy references and numerical derivatives.

Test files import it as ``_helpers`` (pytest puts tests/, the folder of
conftest.py, on sys.path).
"""
import numpy as np

import minitf as mtf


def finite_difference(f, value, step=1e-6):
    """Central differences of scalar ``f`` (called on numpy arrays) at ``value``."""
    grad = np.zeros(value.shape)
    for i in np.ndindex(value.shape):
        plus, minus = value.copy(), value.copy()
        plus[i] += step
        minus[i] -= step
        grad[i] = (float(f(plus)) - float(f(minus))) / (2 * step)
    return grad


def hessian(f, x):
    """The Hessian of scalar ``f`` at ``x``: the Jacobian of the gradient (nested tapes)."""
    x = mtf.constant(x)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        g = inner.gradient(y, x)
    return outer.jacobian(g, x).numpy()


def tape_gradient(f, x):
    """The gradient of scalar ``f`` at the numpy array ``x``, by a tape."""
    t = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = f(t)
    return tape.gradient(y, t)


def second_order_along(f, x, direction, step=1e-6):
    """(tapes, central differences) of d/dx <grad f(x), direction>: second order."""
    t = mtf.constant(x)
    with mtf.GradientTape() as outer:
        outer.watch(t)
        with mtf.GradientTape() as inner:
            inner.watch(t)
            y = f(t)
        along = mtf.reduce_sum(inner.gradient(y, t) * direction)
    numeric = finite_difference(
        lambda v: np.sum(tape_gradient(f, v).numpy() * direction), x, step)
    return outer.gradient(along, t).numpy(), numeric


def softmax_ref(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis``, with the max subtracted first."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_ref(x, axis=-1):
    """x - logsumexp(x) along ``axis``."""
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))
