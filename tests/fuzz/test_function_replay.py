"""Replay fuzzer: random op chains traced by mtf.function must replay, on new
values, exactly what eager execution computes (forward, first- and second-order
gradients), bit for bit.

The chains are the gradient fuzzer's (every differentiable public op, random
shapes, axes, broadcasting, indices). Each is traced once on its leaves, then
called with fresh leaves of the same shapes; any value the trace fixed (a
Python decision on a value, an array computed outside the recorded program)
shows up as a mismatch with eager. ``MINITF_FUZZ_EXAMPLES`` scales it as the
gradient fuzzer (a quarter of its examples).
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings, strategies as st

import minitf as mtf
import _replay
from _gradient_ops import TABLE, Reject
from test_gradients import EXAMPLES, build, run


# A traced while_loop's gradient sums the contributions of a value it reads in a
# different order than the unrolled eager backward pass when that value also feeds
# other ops, so chains with one are compared to 1e-13 of their largest value.
# The gradient fuzzer's dropout entry calls mtf.random.set_seed inside the op (a
# Python side effect, so only while tracing): its replays draw on, as TF's would.
# Dropout's replays are checked in tests/function/test_replay_elementwise.py.
REPLAYABLE = sorted(set(TABLE) - {"dropout"})


def chain_and_gradients(b, second):
    """``fn(*leaves)``: the chain's output and its gradients w.r.t. every leaf (and
    the gradients of their sum, when ``second``), as the traced function."""
    def fn(*leaves):
        with mtf.GradientTape() as outer:
            outer.watch(leaves)
            with mtf.GradientTape() as tape:
                tape.watch(leaves)
                out = run(b, leaves)
                loss = mtf.reduce_sum(out * out)
            grads = tape.gradient(loss, list(leaves))
            total = sum(mtf.reduce_sum(_dense(g)) for g in grads if g is not None)
        results = [out, grads]
        if second:
            results.append(outer.gradient(total, list(leaves)))
        return results
    return fn


def _dense(g):
    return g._densify() if isinstance(g, mtf.IndexedSlices) else g


def _densified(results):
    """IndexedSlices made dense: a loop's gradient is dense in a function even where
    eagerly a loop that ran no iteration passes a sparse gradient through (as TF)."""
    return [_dense(r) if not isinstance(r, list) else _densified(r) for r in results]


def fresh_leaves(b, seed):
    """New float64 values of the leaves' shapes (seed 0: the traced values)."""
    if seed == 0:
        return [mtf.constant(x) for x in b.leaves]
    rng = np.random.default_rng(seed)
    return [mtf.constant(rng.standard_normal(np.shape(x))) for x in b.leaves]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=max(EXAMPLES // 4, 50), derandomize=True, deadline=None,
          database=None, suppress_health_check=list(HealthCheck))
@given(names=st.lists(st.sampled_from(REPLAYABLE), min_size=1, max_size=5),
       seed=st.integers(0, 2**32 - 1))
def test_random_chains_replay_like_eager(names, seed):
    try:
        b = build(names, seed)
    except Reject:
        reject()
    # (second order through a traced while_loop raises: test_control_flow.py)
    second = seed % 2 == 0 and b.second and "while_loop" not in names
    fn = chain_and_gradients(b, second)
    try:
        for s in (1, 2):
            fn(*fresh_leaves(b, s))      # new values must be valid eagerly
    except (ValueError, IndexError, TypeError):
        reject()
    traced = mtf.function(fn)
    for s in (0, 1, 2):            # the same random stream for both (dropout draws)
        mtf.random.set_seed(s)
        got = traced(*fresh_leaves(b, s))
        mtf.random.set_seed(s)
        _replay.assert_same(_densified(got), _densified(fn(*fresh_leaves(b, s))),
                            f"call with values {s}", rtol=1e-13 if "while_loop" in names else 0)
    assert traced.experimental_get_tracing_count() == 1
