"""JVPs of every differentiable public op against float64 central differences.

The ops and their operands come from the gradient fuzzer's table
(tests/fuzz/_gradient_ops*.py, with its Builder), so an op added there is checked
here too. For each chain: the accumulator's tangent of the output, projected on
random weights, must match a Richardson-extrapolated difference along the
tangent (the fuzzer's tolerance); the forward-over-reverse product of the tape
gradient must match the difference of tape gradients (second order).
"""
import pathlib
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings, strategies as st

import minitf as mtf

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent / "fuzz"))
import test_gradients as fuzz  # noqa: E402  (the gradient fuzzer: table and checks)
from _gradient_ops import TABLE, Reject  # noqa: E402

ZERO = mtf.UnconnectedGradients.ZERO


def _dense(g, leaf):
    """A tangent as float64 numpy of the leaf's shape; None is zero."""
    return fuzz._dense(g, leaf)


def jvp_of_chain(b, leaves, tangents, variables):
    """The accumulator's tangent of the chain's output (numpy)."""
    ts = fuzz._leaf_tensors(b, leaves, variables)
    with mtf.autodiff.ForwardAccumulator(ts, [mtf.constant(t) for t in tangents]) as acc:
        out = fuzz.run(b, ts)
    tangent = acc.jvp(out, unconnected_gradients=ZERO)
    assert tangent.dtype == np.float64 and tangent.shape == out.shape
    return tangent.numpy()


def check_jvp(b, rng):
    """First order: w . (J v) against the difference along v."""
    w = rng.standard_normal(b.values[-1].shape)
    v = [rng.standard_normal(x.shape) for x in b.leaves]
    variables = [bool(rng.random() < 0.3) for _ in b.leaves]
    analytic = float(np.sum(w * jvp_of_chain(b, b.leaves, v, variables)))

    def projected(leaves):
        return float(np.sum(w * fuzz.run(b, [mtf.constant(x) for x in leaves]).numpy()))
    numeric = fuzz.along(b, v, projected)
    grads = fuzz.tape_gradients(b, b.leaves, w, variables)
    components = sum(float(np.sum(np.abs(g * d))) for g, d in zip(grads, v))
    fuzz._agree("first", b, analytic, numeric, components,
                float(np.sum(np.abs(w * b.values[-1]))))
    return w, v, variables, grads


def check_hvp(b, rng, w, v, variables, grads):
    """Second order: u . (H v) by forward-over-reverse against differenced gradients."""
    u = [rng.standard_normal(x.shape) for x in b.leaves]
    ts = fuzz._leaf_tensors(b, b.leaves, variables)
    with mtf.autodiff.ForwardAccumulator(ts, [mtf.constant(d) for d in v]) as acc:
        with mtf.GradientTape() as tape:
            tape.watch(ts)
            loss = mtf.reduce_sum(fuzz.run(b, ts) * w)
        first = tape.gradient(loss, ts)
    hv = [_gradient_tangent(acc, g, x) for g, x in zip(first, b.leaves)]
    analytic = sum(float(np.sum(h * k)) for h, k in zip(hv, u))

    def gradient_dot_u(leaves):
        return sum(float(np.sum(g * k))
                   for g, k in zip(fuzz.tape_gradients(b, leaves, w, variables), u))
    numeric = fuzz.along(b, v, gradient_dot_u)
    components = sum(float(np.sum(np.abs(h * k))) for h, k in zip(hv, u))
    magnitude = sum(float(np.sum(np.abs(g * k))) for g, k in zip(grads, u))
    outputs = float(np.sum(np.abs(w * b.values[-1])))
    fuzz._agree("second", b, analytic, numeric, components, 10 * magnitude + outputs)


def check_forward_over_forward(b, w, v, variables):
    """Second order by two nested accumulators: w . (d/dt J(x + t v) v) against the
    difference of first-order JVPs along v (an op's rule may close over its own output,
    which must exist before any accumulator computes its tangent)."""
    ts = fuzz._leaf_tensors(b, b.leaves, variables)
    tangents = [mtf.constant(d) for d in v]
    with mtf.autodiff.ForwardAccumulator(ts, tangents) as outer:
        with mtf.autodiff.ForwardAccumulator(ts, tangents) as inner:
            out = fuzz.run(b, ts)
        first = inner.jvp(out, unconnected_gradients=ZERO)
    second = outer.jvp(first, unconnected_gradients=ZERO).numpy()
    analytic = float(np.sum(w * second))

    def projected_jvp(leaves):
        return float(np.sum(w * jvp_of_chain(b, leaves, v, variables)))
    numeric = fuzz.along(b, v, projected_jvp)
    first_size = float(np.sum(np.abs(w * first.numpy())))
    fuzz._agree("second", b, analytic, numeric, float(np.sum(np.abs(w * second))),
                10 * first_size + float(np.sum(np.abs(w * b.values[-1]))))


def _gradient_tangent(acc, g, leaf):
    """The tangent of a leaf's gradient as numpy: None is zero, IndexedSlices scatter."""
    if g is None:
        return np.zeros(leaf.shape)
    if not isinstance(g, mtf.IndexedSlices):
        return _dense(acc.jvp(g), leaf)
    dense, values = np.zeros(leaf.shape), acc.jvp(g.values)
    if values is not None:
        np.add.at(dense, g.indices.numpy(), values.numpy())
    return dense


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_op_jvp_matches_finite_differences(name):
    checked = 0
    for seed in range(16):
        try:
            b = fuzz.build([name], seed, zeros=["none", "some", "all", "none"][seed % 4])
            rng = np.random.default_rng(seed + 1)
            found = check_jvp(b, rng)
            if TABLE[name][1] and b.second:
                check_hvp(b, rng, *found)
                check_forward_over_forward(b, found[0], found[1], found[2])
        except Reject:
            continue
        checked += 1
    assert checked >= 6, f"{name}: only {checked} of 16 examples could be checked"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(names=st.lists(st.sampled_from(sorted(TABLE)), min_size=2, max_size=5),
       seed=st.integers(0, 2**32 - 1))
def test_random_compositions_jvp(names, seed):
    try:
        b = fuzz.build(names, seed)
        rng = np.random.default_rng(seed + 1)
        found = check_jvp(b, rng)
        if seed % 4 == 0 and b.second:
            check_hvp(b, rng, *found)
    except Reject:
        reject()


def test_every_differentiable_public_op_has_a_jvp_check():
    public = set(fuzz._public_functions())
    missing = public - set(TABLE) - fuzz.NOT_DIFFERENTIABLE
    assert not missing, f"differentiable ops without a JVP check: {sorted(missing)}"
    assert set(TABLE) - public == {"getitem"}


def test_the_check_catches_a_slightly_wrong_jvp():
    @mtf.custom_gradient
    def wrong_sin(x):
        return mtf.sin(x), lambda g: g * mtf.cos(x) * (1 + 1e-4)

    b = fuzz.Builder(np.random.default_rng(0))
    b.add("wrong_sin", wrong_sin, [b.cur])
    with pytest.raises(AssertionError, match="first derivative mismatch"):
        check_jvp(b, np.random.default_rng(1))


def test_the_check_catches_a_lost_second_derivative():
    @mtf.custom_gradient
    def cut_sigmoid(x):
        y = mtf.sigmoid(x)
        frozen = mtf.stop_gradient(y)
        return y, lambda g: g * frozen * (1 - frozen)

    b = fuzz.Builder(np.random.default_rng(3))
    b.add("cut_sigmoid", cut_sigmoid, [b.cur])
    found = check_jvp(b, np.random.default_rng(4))
    with pytest.raises(AssertionError, match="second derivative mismatch"):
        check_hvp(b, np.random.default_rng(5), *found)
