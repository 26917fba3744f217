"""Scans along one axis: cumsum and cumprod (TensorFlow's ``exclusive``/``reverse``).

cumprod's gradient divides by nothing: it is built from exclusive products and a
first-order linear recurrence (``_linear_scan``), so it is exact with zeros, and
so are its derivatives of every order.
"""
import numpy as np

from . import _validate as check
from ._arith import quiet_apply
from ._dispatch import wrap_constant
from .indexing import getitem
from .shape import concat


def _arguments(op, x, axis, exclusive, reverse):
    """(x, axis, exclusive, reverse) of a scan, validated (numbers only, rank >= 1)."""
    x = check.tensor(op, x, "x")
    if x.dtype.kind == "b":
        raise TypeError(f"{op}: bool input of shape {x.shape} is not supported; cast it "
                        f"with mtf.cast(x, mtf.int32) first.")
    if x.ndim == 0:
        raise ValueError(f"{op}: x must have rank >= 1, got a scalar (shape ()).")
    axis = check.axis(op, axis, x.ndim)
    return (x, axis, check.flag(op, "exclusive", exclusive),
            check.flag(op, "reverse", reverse))


def _scan_fn(ufunc, identity, axis, exclusive, reverse):
    """The kernel of a scan: ``ufunc.accumulate`` along ``axis``, shifted, flipped."""
    def scan(a):
        if reverse:
            a = np.flip(a, axis)
        out = ufunc.accumulate(a, axis=axis, dtype=a.dtype)
        if exclusive:
            out = _shifted(out, axis, identity)
        return np.flip(out, axis) if reverse else out
    return scan


def _shifted(a, axis, fill):
    """``a`` moved one step toward the end of ``axis``, ``fill`` at its start."""
    out = np.full_like(a, fill)
    head = (slice(None),) * axis
    out[head + (slice(1, None),)] = a[head + (slice(None, -1),)]
    return out


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along ``axis``.

    >>> mtf.cumsum([1, 2, 3], exclusive=True).numpy().tolist()
    [0, 1, 3]
    """
    x, axis, exclusive, reverse = _arguments("cumsum", x, axis, exclusive, reverse)

    def grad(g, _):
        return (cumsum(g, axis, exclusive, not reverse),)
    return quiet_apply("cumsum", _scan_fn(np.add, 0, axis, exclusive, reverse), (x,), grad,
                       saves=False, label=name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along ``axis``; its gradient is exact with zeros.

    >>> mtf.cumprod([2, 3, 4], reverse=True).numpy().tolist()
    [24, 12, 4]
    """
    x, axis, exclusive, reverse = _arguments("cumprod", x, axis, exclusive, reverse)

    def grad(g, _):
        return (_cumprod_grad(x, g, axis, exclusive, reverse),)
    return quiet_apply("cumprod", _scan_fn(np.multiply, 1, axis, exclusive, reverse), (x,),
                       grad, label=name)


def _cumprod_grad(x, g, axis, exclusive, reverse):
    """dx_i = (product of the x before i) * sum over outputs j after i of g_j times
    the x strictly between i and j, the sum by a recurrence (no division)."""
    before = cumprod(x, axis, True, reverse)
    if exclusive:
        return before * _neighbour(_linear_scan(g, x, axis, not reverse), axis, reverse)
    return before * _linear_scan(g, _neighbour(x, axis, reverse), axis, not reverse)


def _neighbour(t, axis, toward_end):
    """``t`` moved one step along ``axis`` (toward its end or its start), 0 filled in."""
    n = t.shape[axis]
    head = (slice(None),) * axis
    zero = np.zeros(t.shape[:axis] + (min(n, 1),) + t.shape[axis + 1:], t.dtype)
    if toward_end:
        return concat([wrap_constant(zero), getitem(t, head + (slice(0, n - 1),))], axis)
    return concat([getitem(t, head + (slice(1, n),)), wrap_constant(zero)], axis)


def _linear_scan(g, a, axis, from_end):
    """s_i = g_i + a_i * s_(i+1) along ``axis`` (s_(i-1) unless ``from_end``)."""
    def grad(h, _):
        back = _linear_scan(h, _neighbour(a, axis, from_end), axis, not from_end)
        return back, back * _neighbour(out, axis, not from_end)
    out = quiet_apply("linear_scan", _recurrence(axis, from_end), (g, a), grad)
    return out


def _recurrence(axis, from_end):
    """The kernel of ``_linear_scan``: one vectorised step per position along ``axis``."""
    def run(g, a):
        out = np.array(g, dtype=np.result_type(g, a), copy=True)
        s, c = np.moveaxis(out, axis, 0), np.moveaxis(a, axis, 0)
        n = s.shape[0]
        for i in (range(n - 2, -1, -1) if from_end else range(1, n)):
            s[i] += c[i] * s[i + 1 if from_end else i - 1]
        return out
    return run
