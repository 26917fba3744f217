"""Checks that a traced function replays exactly what eager execution computes.

``assert_replays(fn, make_args)`` traces ``mtf.function(fn)`` on
``make_args(0)``, then for other seeds calls it again (a replay, no new trace)
and compares every output bit for bit (NaN where eager has NaN, same dtype and
shape) with ``fn`` run eagerly on the same arguments. New values on every call
are the point: a value baked into the trace at trace time shows up as a
mismatch. Test files import it as ``_replay``.
"""
import numpy as np

import minitf as mtf
from minitf import _nest


def assert_replays(fn, make_args, seeds=(1, 2, 3)):
    """Trace on ``make_args(0)``; each later seed must replay bit-identically."""
    traced = mtf.function(fn)
    assert_same(traced(*make_args(0)), fn(*make_args(0)), "first (traced) call")
    for seed in seeds:
        args = make_args(seed)
        got = traced(*args)
        assert traced.experimental_get_tracing_count() == 1, "the call traced again"
        assert_same(got, fn(*make_args(seed)), f"replay with seed {seed}")
    return traced


def planted(seed, shape=(3, 4), dtype=np.float64, low=-2.0, high=2.0):
    """A Tensor of uniform values in [low, high); seed 2 plants zeros, seed 3 NaN and
    infinities (the edges a replay must reproduce)."""
    v = np.random.default_rng(seed).uniform(low, high, shape)
    flat = v.reshape(-1)
    if seed == 2:
        flat[::3] = 0.0
    elif seed == 3 and flat.size >= 3:
        flat[:3] = np.nan, np.inf, -np.inf
    return mtf.constant(v.astype(dtype))


def with_gradient(op, order=1):
    """``fn(x, *rest)`` returning ``op(x, *rest)`` and its gradients w.r.t. ``x`` up
    to ``order`` (each taken of the sum of the previous one)."""
    def fn(x, *rest):
        tapes = [mtf.GradientTape() for _ in range(order)]
        for t in tapes:
            t.__enter__()
            t.watch(x)
        y = op(x, *rest)
        results, target = [y], y
        for t in reversed(tapes):
            t.__exit__(None, None, None)
            target = t.gradient(target, x)
            results.append(target)
        return results
    return fn


def assert_same(got, want, what="", rtol=0.0):
    """Every leaf equal bit for bit (``rtol=0``), else to ``rtol`` of the largest
    magnitude of its array."""
    got_leaves, want_leaves = _nest.flatten(got), _nest.flatten(want)
    assert len(got_leaves) == len(want_leaves), f"{what}: {got!r} vs {want!r}"
    for g, w in zip(got_leaves, want_leaves):
        if w is None or not hasattr(w, "dtype") and not isinstance(w, mtf.IndexedSlices):
            assert g == w, f"{what}: {g!r} != {w!r}"
            continue
        if isinstance(w, mtf.IndexedSlices):
            assert isinstance(g, mtf.IndexedSlices), what
            assert_same([g.values, g.indices], [w.values, w.indices], what, rtol)
            continue
        a, b = np.asarray(g._value), np.asarray(w._value)
        assert a.dtype == b.dtype and a.shape == b.shape, (
            f"{what}: {a.dtype}{a.shape} vs {b.dtype}{b.shape}")
        if rtol and a.dtype.kind == "f" and a.size:
            scale = float(np.nanmax(np.abs(b))) if np.isfinite(b).any() else 1.0
            np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale, equal_nan=True,
                                       err_msg=what)
            continue
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), (
            f"{what}: replay differs from eager:\n{a}\nvs\n{b}")
