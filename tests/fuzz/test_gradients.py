"""Gradient fuzzer: random compositions of 2-6 differentiable ops against float64
central finite differences, first order always and second order for a quarter.

hypothesis (derandomized, so every run checks the same examples) draws the op
sequence and a seed; the seed draws shapes (broadcastable operands, axes,
indices, ...), parameters and float64 values. The ops come from the table in
``_gradient_ops*.py``; every differentiable public op has an entry (checked
below against the namespaces). The chain's output is projected on random
weights; the tape's derivative along a random direction of all the leaves must
match a Richardson-extrapolated central difference, and for second order the
derivative of ``gradient . u`` must match the difference of tape gradients.
An example whose evaluation points sit on different sides of a kink (an op's
regime), or whose values overflow, is rejected, never counted as a pass.

``MINITF_FUZZ_EXAMPLES`` sets the number of examples (2000 by default).
"""
import importlib
import inspect
import os
import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings, strategies as st

import minitf as mtf
from _gradient_ops import TABLE, Reject, _spread_regime
import _gradient_ops_nn  # noqa: F401  (registers the rest of the table)

# Each research-op area registers its entries in its own _gradient_ops_<area>.py.
_AREAS = [importlib.import_module(path.stem) for path in
          sorted(pathlib.Path(__file__).parent.glob("_gradient_ops_*.py"))]

EXAMPLES = int(os.environ.get("MINITF_FUZZ_EXAMPLES", "2000"))
STEP = 1e-3          # finite-difference step along the direction (Richardson: h, h/2)
RTOL = 1e-6          # of the summed |component| scale of the derivative
NOISE = 100 * np.finfo(np.float64).eps   # rounding allowed per unit of |w . f| / STEP

NOT_DIFFERENTIABLE = {  # public functions without a gradient, by design or as TF
    "argmax", "argmin", "ceil", "floor", "round", "floordiv", "mod",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_not", "shape", "size", "rank", "zeros", "ones", "zeros_like",
    "ones_like", "fill", "range", "eye", "linspace", "one_hot", "normal", "uniform",
    "truncated_normal", "set_seed", "constant", "convert_to_tensor",
    "reduce_all", "reduce_any", "is_finite", "is_nan", "is_inf",
    "function", "print"}   # a decorator (differentiable through), and an effect
for _area in _AREAS:
    NOT_DIFFERENTIABLE |= getattr(_area, "NOT_DIFFERENTIABLE", set())


class Builder:
    """Builds a chain of steps on float64 leaves, evaluating it as it grows."""

    def __init__(self, rng, zeros=None):
        self.rng, self.nodes, self.leaves, self.values = rng, [], [], []
        self.second, self.zeros = True, zeros
        dims = rng.integers(1, 4, rng.integers(0, 4)).tolist()
        self.cur = self.leaf(dims)

    def leaf(self, shape, unit=False):
        """A new leaf of ``shape``: uniform in (0, 1), or standard normal with exact
        zeros (the edge of products and norms) as ``zeros`` says: "none", "some"
        (up to three), "all", or None: "some" for one leaf in 8, "all" for 1 in 32."""
        value = self.rng.uniform(0, 1, shape) if unit else self.rng.standard_normal(shape)
        zeros = self.zeros or ("some" if self.rng.random() < 0.125 else
                               "all" if self.rng.random() < 0.036 else "none")
        if not unit and zeros != "none":
            flat = np.reshape(value, -1)
            count = flat.size if zeros == "all" else min(flat.size, self.rng.integers(1, 4))
            flat[self.rng.choice(flat.size, count, replace=False)] = 0.0
            value = flat.reshape(np.shape(value))
        self.leaves.append(np.asarray(value, np.float64))
        self.nodes.append(("leaf", len(self.leaves) - 1))
        self.values.append(self.leaves[-1])
        return len(self.nodes) - 1

    def add(self, name, fn, refs, regime=None, second=True, current=True):
        """Append the step ``fn(*refs)``; it becomes the current value (unless a
        bridge: bridges feed an op, the chain goes on from the op)."""
        out = fn(*[mtf.constant(self.values[r]) for r in refs])
        value = np.asarray(out.numpy())
        if value.dtype != np.float64:
            raise AssertionError(f"{name} turned float64 into {value.dtype}")
        if value.size == 0 or not np.all(np.abs(value) < 1e6):
            raise Reject(f"{name}: empty or huge")
        self.nodes.append((name, fn, refs, regime))
        self.values.append(value)
        self.second &= second
        if current:
            self.cur = len(self.nodes) - 1
        return len(self.nodes) - 1

    def shape(self, i):
        return tuple(self.values[i].shape)

    def size(self, i):
        return self.values[i].size

    def value(self, i):
        return self.values[i]

    def domain(self, i, domain):
        """Bridge node ``i`` into an op's domain: positive, or bounded by tanh."""
        if domain is None:
            return i
        if domain == "positive":
            return self.add("to_positive", lambda x: x * x + 0.5, [i], current=False)
        return self.add("to_bounded", lambda x: mtf.tanh(x) * domain, [i], current=False)

    def bridge(self, i, shape):
        """Node ``i`` reshaped to ``shape``, cut or extended (by x * -0.7 + 0.3) to fit."""
        shape, have = tuple(int(n) for n in shape), self.size(i)
        if self.shape(i) == shape:
            return i
        need = int(np.prod(shape))

        def fn(x):
            flat, n = mtf.reshape(x, (-1,)), have
            while n < need:
                flat, n = mtf.concat([flat, flat * -0.7 + 0.3], 0), 2 * n
            return mtf.reshape(flat[:need], shape)
        return self.add("bridge", fn, [i], current=False)

    def rank_at_least(self, i, rank):
        shape = self.shape(i)
        extra = self.rng.integers(1, 4, max(0, rank - len(shape))).tolist()
        return self.bridge(i, shape + tuple(extra))

    def operand(self, shape, scalar=True, unit=False):
        """A second operand of ``shape``: a new leaf, an earlier value bridged, or a
        Python float (``None``) when ``scalar``."""
        pick = self.rng.random()
        if scalar and pick < 0.15:
            return None
        if pick < 0.45:
            return self.bridge(int(self.rng.integers(len(self.nodes))), shape)
        return self.leaf(shape, unit)

    def broadcastable(self, shape):
        """A random shape that broadcasts with ``shape`` (either may be the larger)."""
        dims = [n if self.rng.random() < 0.6 else 1 for n in shape]
        if self.rng.random() < 0.3:                      # fewer axes
            return tuple(dims[int(self.rng.integers(0, len(dims) + 1)):])
        lead = self.rng.integers(1, 3, self.rng.integers(0, 2) if len(dims) < 3 else 0)
        return tuple(lead.tolist() + dims)               # as many or more axes

    def axes(self, ndim):
        """None, an int (maybe negative) or a list of distinct axes."""
        pick = self.rng.random()
        if ndim == 0 or pick < 0.25:
            return None
        if pick < 0.6:
            return int(self.rng.integers(-ndim, ndim))
        return self.rng.choice(ndim, self.rng.integers(1, ndim + 1), replace=False).tolist()


def build(names, seed, zeros=None):
    """The Builder of the chain applying ``names`` in order, from ``seed``."""
    b = Builder(np.random.default_rng(seed), zeros)
    for name in names:
        TABLE[name][0](b)
    return b


def run(b, leaves, regimes=None):
    """The chain's output for the given leaf Tensors; appends each kink regime."""
    values = []
    for node in b.nodes:
        if node[0] == "leaf":
            values.append(leaves[node[1]])
            continue
        _, fn, refs, regime = node
        args = [values[r] for r in refs]
        if regime is not None and regimes is not None:
            regimes.append(np.asarray(regime(*[np.asarray(a) for a in args])))
        values.append(fn(*args))
    return values[-1]


def describe(b):
    return " -> ".join(f"{n[0]}{[b.shape(r) for r in n[2]]}" for n in b.nodes if n[0] != "leaf")


def _leaf_tensors(b, leaves, variables):
    return [mtf.Variable(x) if v else mtf.constant(x) for x, v in zip(leaves, variables)]


def _dense(g, leaf):
    """A leaf's gradient as float64 numpy; None is zero. Checks dtype and shape."""
    if g is None:
        return np.zeros(leaf.shape)
    g = g._densify() if isinstance(g, mtf.IndexedSlices) else g
    assert g.dtype == np.float64 and g.shape == leaf.shape, (g.dtype, g.shape, leaf.shape)
    return g.numpy()


def tape_gradients(b, leaves, w, variables):
    """Tape gradients of sum(w * chain(leaves)) w.r.t. every leaf (numpy)."""
    ts = _leaf_tensors(b, leaves, variables)
    with mtf.GradientTape() as tape:
        tape.watch(ts)
        loss = mtf.reduce_sum(run(b, ts) * w)
    return [_dense(g, x) for g, x in zip(tape.gradient(loss, ts), leaves)]


def along(b, direction, fn):
    """Richardson-extrapolated d/dt fn(leaves + t * direction) at 0, and its error
    estimate |D(h) - D(h/2)|; Reject when the points are on different sides of a kink.

    The estimate covers what the noise model cannot: rounding that is absolute
    rather than relative, as in 1 - tanh(x)**2 where tanh saturates."""
    base = []
    run(b, [mtf.constant(x) for x in b.leaves], base)
    values = {}
    for t in (STEP, -STEP, STEP / 2, -STEP / 2):
        moved = [x + t * d for x, d in zip(b.leaves, direction)]
        regimes = []
        run(b, [mtf.constant(x) for x in moved], regimes)
        if any(r.shape != s.shape or np.any(r != s) for r, s in zip(regimes, base)):
            raise Reject("a kink lies within the step")
        values[t] = fn(moved)
    d1 = (values[STEP] - values[-STEP]) / (2 * STEP)
    d2 = (values[STEP / 2] - values[-STEP / 2]) / STEP
    return (4 * d2 - d1) / 3, abs(d1 - d2)


def _agree(what, b, analytic, numeric, components, magnitude):
    """Raise AssertionError unless the two derivatives agree within the error model."""
    numeric, spread = numeric
    tol = RTOL * components + NOISE * magnitude / STEP + 2 * spread + 1e-12
    assert abs(analytic - numeric) <= tol, (
        f"{what} derivative mismatch for {describe(b)}: tape {analytic!r}, finite "
        f"difference {numeric!r} (|diff| {abs(analytic - numeric):.3g} > {tol:.3g})")


def check(b, rng, second):
    """First-order (and, if ``second``, second-order) checks of one chain."""
    w = rng.standard_normal(b.values[-1].shape)
    v = [rng.standard_normal(x.shape) for x in b.leaves]
    variables = [bool(rng.random() < 0.3) for _ in b.leaves]
    grads = tape_gradients(b, b.leaves, w, variables)
    analytic = sum(float(np.sum(g * d)) for g, d in zip(grads, v))

    def projected(leaves):
        return float(np.sum(w * run(b, [mtf.constant(x) for x in leaves]).numpy()))
    numeric = along(b, v, projected)
    components = sum(float(np.sum(np.abs(g * d))) for g, d in zip(grads, v))
    _agree("first", b, analytic, numeric, components, float(np.sum(np.abs(w * b.values[-1]))))
    if second and b.second:
        check_second(b, rng, w, v, variables, grads)


def check_second(b, rng, w, v, variables, grads):
    """d/dt (gradient(leaves + t v) . u): nested tapes against differenced gradients."""
    u = [rng.standard_normal(x.shape) for x in b.leaves]
    ts = _leaf_tensors(b, b.leaves, variables)
    with mtf.GradientTape() as outer:
        outer.watch(ts)
        with mtf.GradientTape() as inner:
            inner.watch(ts)
            loss = mtf.reduce_sum(run(b, ts) * w)
        first = inner.gradient(loss, ts)
        s = sum(mtf.reduce_sum((g._densify() if isinstance(g, mtf.IndexedSlices) else g) * k)
                for g, k in zip(first, u) if g is not None)
    hv = outer.gradient(s, ts) if not isinstance(s, int) else [None] * len(ts)
    hv = [_dense(g, x) for g, x in zip(hv, b.leaves)]
    analytic = sum(float(np.sum(h * d)) for h, d in zip(hv, v))

    def gradient_dot_u(leaves):
        return sum(float(np.sum(g * k))
                   for g, k in zip(tape_gradients(b, leaves, w, variables), u))
    numeric = along(b, v, gradient_dot_u)
    components = sum(float(np.sum(np.abs(h * d))) for h, d in zip(hv, v))
    magnitude = sum(float(np.sum(np.abs(g * k))) for g, k in zip(grads, u))
    # gradients round relative to the values they are built from, not to themselves
    outputs = float(np.sum(np.abs(w * b.values[-1])))
    _agree("second", b, analytic, numeric, components, 10 * magnitude + outputs)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # overflow in rejected examples
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(names=st.lists(st.sampled_from(sorted(TABLE)), min_size=2, max_size=6),
       seed=st.integers(0, 2**32 - 1))
def test_random_compositions_match_finite_differences(names, seed):
    try:
        b = build(names, seed)
        check(b, np.random.default_rng(seed + 1), second=seed % 4 == 0)
    except Reject:
        reject()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_op_alone_to_second_order(name):
    checked = 0
    for seed in range(16):
        try:
            b = build([name], seed, zeros=["none", "some", "all", "none"][seed % 4])
            check(b, np.random.default_rng(seed + 1), second=True)
        except Reject:
            continue
        checked += 1
    assert checked >= 6, f"{name}: only {checked} of 16 examples could be checked"


def _public_functions():
    found = {}
    for namespace in (mtf, mtf.math, mtf.nn, mtf.random, getattr(mtf, "linalg", mtf)):
        for name, obj in vars(namespace).items():
            if not name.startswith("_") and inspect.isfunction(obj):
                found[name] = obj
    return found


def test_the_table_covers_every_differentiable_public_op():
    public = set(_public_functions())
    missing = public - set(TABLE) - NOT_DIFFERENTIABLE
    assert not missing, f"differentiable ops without a fuzzer entry: {sorted(missing)}"
    assert not set(TABLE) & NOT_DIFFERENTIABLE
    assert set(TABLE) - public == {"getitem"}   # Tensor.__getitem__, not a function


@pytest.mark.parametrize("factor", [1 + 1e-4, 1 - 1e-4])
def test_the_checks_catch_a_slightly_wrong_gradient(factor):
    @mtf.custom_gradient
    def wrong_sin(x):
        return mtf.sin(x), lambda g: g * mtf.cos(x) * factor

    b = Builder(np.random.default_rng(0))
    b.add("wrong_sin", wrong_sin, [b.cur])
    with pytest.raises(AssertionError, match="first derivative mismatch"):
        check(b, np.random.default_rng(1), second=False)


def test_the_checks_catch_a_lost_second_derivative():
    @mtf.custom_gradient
    def cut_sigmoid(x):
        y = mtf.sigmoid(x)
        frozen = mtf.stop_gradient(y)
        return y, lambda g: g * frozen * (1 - frozen)

    b = Builder(np.random.default_rng(3))
    b.add("cut_sigmoid", cut_sigmoid, [b.cur])
    check(b, np.random.default_rng(4), second=False)
    with pytest.raises(AssertionError, match="second derivative mismatch"):
        check(b, np.random.default_rng(4), second=True)


@pytest.mark.parametrize("name, value", [("relu", 0.3 * STEP), ("abs", -0.2 * STEP),
                                         ("reduce_max", 0.0)])
def test_a_kink_within_the_step_is_rejected_not_checked(name, value):
    b = Builder(np.random.default_rng(0))
    b.leaves[0] = np.array([value, value + 1.0 if name != "reduce_max" else value])
    b.values[0] = b.leaves[0]
    TABLE[name][0](b)
    with pytest.raises(Reject, match="kink"):
        check(b, np.random.default_rng(1), second=False)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # std's NaN gradient there
def test_a_point_on_a_kink_is_rejected():
    b = Builder(np.random.default_rng(0))
    b.leaves[0] = b.values[0] = np.full((2, 3), 0.5)
    b.add("reduce_std", lambda x: mtf.reduce_std(x, 1), [b.cur],
          regime=_spread_regime([1]))
    with pytest.raises(Reject, match="equal values"):
        check(b, np.random.default_rng(1), second=False)
