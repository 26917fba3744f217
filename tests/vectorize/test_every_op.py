"""Every differentiable public op under vectorized_map equals a Python loop.

The chains are the gradient fuzzer's (``tests/fuzz/_gradient_ops*.py``: every
differentiable public op, random shapes, axes, broadcasting, indices), so an op
added there is covered here too. Some leaves are mapped over (a batch of
perturbed copies), the others are captured by fn as constants or Variables; fn
returns the chain's output and its tape gradients w.r.t. every leaf. Ops with a
batching rule check the rule; the others check the per-example fallback.
"""
import pathlib
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings, strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "fuzz"))

import minitf as mtf  # noqa: E402
from _gradient_ops import TABLE, Reject  # noqa: E402
from test_gradients import build, run  # noqa: E402  (imports every area's entries)

BATCH = 3


def check(names, seed):
    """Build the chain of ``names`` from ``seed`` and compare vectorized_map with a
    loop; raises Reject when the example cannot be checked."""
    b = build(names, seed)
    rng = np.random.default_rng(seed + 7)
    mapped = [bool(rng.random() < 0.6) for _ in b.leaves]
    mapped[int(rng.integers(len(b.leaves)))] = True
    variables = [not m and bool(rng.random() < 0.5) for m in mapped]
    fixed = [mtf.Variable(x) if v else mtf.constant(x)
             for x, v in zip(b.leaves, variables)]
    w = mtf.constant(rng.standard_normal(b.values[-1].shape))
    batches = [np.stack([x] + [x + 0.05 * rng.standard_normal(x.shape)
                               for _ in range(BATCH - 1)])
               for x, m in zip(b.leaves, mapped) if m]

    def fn(examples):
        it = iter(examples)
        leaves = [next(it) if m else f for m, f in zip(mapped, fixed)]
        with mtf.GradientTape() as tape:
            tape.watch([x for x in leaves if not isinstance(x, mtf.Variable)])
            out = run(b, leaves)
            loss = mtf.reduce_sum(out * w)
        grads = tape.gradient(loss, leaves)
        return [out] + [_dense(g, x) for g, x in zip(grads, leaves)]

    loop = []
    for i in range(BATCH):
        loop.append([r.numpy() for r in fn([mtf.constant(x[i]) for x in batches])])
    shapes = [{r[k].shape for r in loop} for k in range(len(loop[0]))]
    if any(len(s) > 1 for s in shapes):
        raise Reject("value-dependent shapes differ between examples")
    try:
        got = mtf.vectorized_map(fn, [mtf.constant(x) for x in batches])
    except ValueError as e:
        if "stateful op" in str(e):            # random draws: refused, by design
            return
        raise
    for k, g in enumerate(got):
        want = np.stack([r[k] for r in loop])
        assert g.shape == want.shape and g.dtype == want.dtype, (names, k)
        scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-9, atol=1e-9 * scale,
                                   err_msg=f"{names} seed {seed}, result {k}")


def _dense(g, x):
    if g is None:
        return mtf.zeros_like(x)
    return g._densify() if isinstance(g, mtf.IndexedSlices) else g


@pytest.mark.filterwarnings("ignore::UserWarning")        # per-example fallbacks
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_op_alone(name):
    checked = 0
    for seed in range(12):
        try:
            check([name], seed)
        except Reject:
            continue
        checked += 1
        if checked == 3:
            break
    assert checked >= 1, f"{name}: no example could be checked"


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=60, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(names=st.lists(st.sampled_from(sorted(TABLE)), min_size=2, max_size=4),
       seed=st.integers(0, 2**32 - 1))
def test_random_compositions(names, seed):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check(names, seed)
    except Reject:
        reject()
