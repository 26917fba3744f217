"""mtf.vectorized_map: per-example results and gradients equal a Python loop's, and
the batch runs as one computation (no per-example loop hidden inside)."""
import warnings

import numpy as np
import pytest

import minitf as mtf
from minitf._vectorize import api, batched, gradient

SIZES = (32, 64, 64, 10)


class MLP:
    """A ReLU MLP whose per-example loss gradient vectorized_map computes."""

    def __init__(self, dtype, seed=0):
        rng = np.random.default_rng(seed)
        self.ws = [mtf.Variable((rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype))
                   for a, b in zip(SIZES, SIZES[1:])]
        self.bs = [mtf.Variable(rng.standard_normal(b).astype(dtype) * 0.1) for b in SIZES[1:]]
        self.variables = [v for pair in zip(self.ws, self.bs) for v in pair]

    def __call__(self, x):
        for i, (w, b) in enumerate(zip(self.ws, self.bs)):
            x = mtf.matmul(x, w) + b
            x = mtf.nn.relu(x) if i < len(self.ws) - 1 else x
        return x

    def per_example(self, example):
        x, y = example
        with mtf.GradientTape() as tape:
            logits = self(x[None])
            loss = mtf.reduce_mean(mtf.nn.softmax_cross_entropy_with_logits(y[None], logits))
        return loss, tape.gradient(loss, self.variables)


def data(dtype, n=16, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, SIZES[0])).astype(dtype)
    y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], n)]
    return mtf.constant(x), mtf.constant(y)


def loop(fn, elems, n):
    """The reference: fn's results on each example, in a list."""
    return [fn(_example(elems, i)) for i in range(n)]


def _example(elems, i):
    if isinstance(elems, (tuple, list)):
        return type(elems)(_example(e, i) for e in elems)
    if isinstance(elems, dict):
        return {k: _example(v, i) for k, v in elems.items()}
    return elems[i]


def assert_matches_loop(fn, elems, n, rtol):
    got = mtf.vectorized_map(fn, elems)
    want = loop(fn, elems, n)
    flat_got = mtf._nest.flatten(got)
    flat_want = [mtf._nest.flatten(w) for w in want]
    assert len(flat_got) == len(flat_want[0])
    for k, g in enumerate(flat_got):
        expected = np.stack([np.asarray(w[k].numpy()) for w in flat_want])
        assert g.dtype == expected.dtype and g.shape == expected.shape
        np.testing.assert_allclose(g.numpy(), expected, rtol=rtol, atol=rtol)
    return got


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_mlp_losses_and_per_example_gradients_equal_a_loop(dtype, rtol):
    model = MLP(dtype)
    elems = data(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no op may fall back to a loop
        loss, grads = assert_matches_loop(model.per_example, elems, 16, rtol)
    assert loss.shape == (16,)
    assert [g.shape for g in grads] == [(16,) + v.shape for v in model.variables]


def test_the_mlp_runs_each_matmul_once_for_the_whole_batch(monkeypatch):
    model = MLP(np.float64)
    elems = data(np.float64, n=64)
    mtf.vectorized_map(model.per_example, elems)         # traces, cached
    (trace,) = [t for owner, t, _ in api._TRACES[MLP.per_example].values()
                 if owner() is model]
    calls = []
    for step in trace.steps:
        if step.op == "matmul" and step.batch is not None:
            step.batch = _counting(step.batch, calls)
    monkeypatch.setattr(batched, "per_example", _refuse)
    mtf.vectorized_map(model.per_example, elems)
    matmuls = sum(step.op == "matmul" for step in trace.steps)
    assert matmuls == 8                                   # 3 forward, 5 backward
    assert len(calls) == matmuls                          # once each, not 64 times


def _counting(rule, calls):
    def counted(*args):
        calls.append(1)
        return rule(*args)
    counted.flagged = getattr(rule, "flagged", False)
    return counted


def _refuse(*args):
    raise AssertionError("a step ran once per example")


def test_variables_are_read_on_every_call_and_stay_unbatched():
    v = mtf.Variable([1.0, 2.0, 3.0])

    def fn(x):
        return mtf.reduce_sum(x * v) + v[0]
    xs = mtf.constant(np.arange(12.0, dtype=np.float32).reshape(4, 3))
    first = mtf.vectorized_map(fn, xs).numpy()
    np.testing.assert_allclose(first, xs.numpy() @ [1.0, 2.0, 3.0] + 1.0)
    v.assign([0.0, 1.0, 0.0])
    np.testing.assert_allclose(mtf.vectorized_map(fn, xs).numpy(), xs.numpy()[:, 1])


def test_nested_elems_and_outputs():
    a = mtf.constant(np.arange(6.0).reshape(3, 2))
    b = mtf.constant(np.arange(3.0))
    c = mtf.constant(np.ones((3, 2, 2)))

    def fn(example):
        pair, rest = example["pair"], example["rest"]
        return {"sum": pair[0] + pair[1], "out": (mtf.matmul(rest, rest), 2.0 * pair[1])}
    elems = {"pair": (a, b), "rest": c}
    got = assert_matches_loop(fn, elems, 3, 1e-12)
    assert set(got) == {"sum", "out"} and got["out"][1].shape == (3,)


def test_outputs_that_do_not_depend_on_the_example_are_repeated():
    w = mtf.constant([1.0, 2.0])
    got = mtf.vectorized_map(lambda x: (w * 2.0, 3.0), mtf.constant(np.zeros((4, 5))))
    np.testing.assert_array_equal(got[0].numpy(), np.tile([2.0, 4.0], (4, 1)))
    np.testing.assert_array_equal(got[1].numpy(), np.full(4, 3.0, np.float32))


@pytest.mark.parametrize("make", [
    lambda x: x * mtf.random.normal(()),
    lambda x: x + mtf.random.uniform((3,)),
])
def test_random_draws_inside_fn_raise_naming_the_op(make):
    with pytest.raises(ValueError, match=r"vectorized_map: fn runs the stateful op '\w+"):
        mtf.vectorized_map(make, mtf.ones((2, 3)))


def test_variable_writes_inside_fn_raise_and_write_nothing():
    v = mtf.Variable(0.0)

    def fn(x):
        v.assign_add(mtf.reduce_sum(x))
        return x
    with pytest.raises(ValueError, match="stateful op 'assign_add'"):
        mtf.vectorized_map(fn, mtf.ones((2, 3)))
    assert float(v) == 0.0


def test_an_op_without_a_rule_falls_back_to_a_loop_and_warns_once():
    batched._WARNED.discard("cumsum")
    xs = mtf.constant(np.random.default_rng(0).standard_normal((5, 4)))
    with pytest.warns(UserWarning, match="'cumsum' has no batching rule"):
        assert_matches_loop(lambda x: mtf.cumsum(x) * 2.0, xs, 5, 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mtf.vectorized_map(lambda x: mtf.cumsum(x) + 1.0, xs)       # warned already
    with pytest.raises(ValueError, match="'cumsum' has no batching rule and "
                                         "fallback_to_while_loop is False"):
        mtf.vectorized_map(lambda x: mtf.cumsum(x), xs, fallback_to_while_loop=False)


def test_gradients_through_vectorized_map_equal_a_loops():
    model = MLP(np.float64)
    x, y = data(np.float64, n=6)

    def loss_of(example):
        xi, yi = example
        return mtf.reduce_sum(mtf.nn.softmax_cross_entropy_with_logits(yi[None], model(xi[None])))
    with mtf.GradientTape() as tape:
        total = mtf.reduce_sum(mtf.vectorized_map(loss_of, (x, y)))
    got = tape.gradient(total, model.variables)
    with mtf.GradientTape() as tape:
        total = sum(loss_of((x[i], y[i])) for i in range(6))
    want = tape.gradient(total, model.variables)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-12)


def test_the_gradient_through_it_is_batched_too(monkeypatch):
    model = MLP(np.float64)
    x, y = data(np.float64, n=8)
    monkeypatch.setattr(batched, "per_example", _refuse)
    with mtf.GradientTape() as tape:
        losses = mtf.vectorized_map(lambda e: model.per_example(e)[0], (x, y))
        total = mtf.reduce_sum(losses * mtf.constant(np.arange(8.0)))
    got = tape.gradient(total, model.variables + [x])
    with mtf.GradientTape() as tape:
        total = sum(model.per_example((x[i], y[i]))[0] * float(i) for i in range(8))
    want = tape.gradient(total, model.variables)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-12)
    assert got[-1] is None                               # x is not watched


def test_second_order_through_per_example_gradients():
    v = mtf.Variable([0.5, -1.0, 2.0], dtype=mtf.float64)
    xs = mtf.constant(np.random.default_rng(0).standard_normal((5, 3)))

    def per_example_grad(x):
        with mtf.GradientTape() as inner:
            loss = mtf.reduce_sum(mtf.sin(x * v) * v)
        return inner.gradient(loss, v)
    with mtf.GradientTape() as tape:
        total = mtf.reduce_sum(mtf.square(mtf.vectorized_map(per_example_grad, xs)))
    got = tape.gradient(total, v)
    with mtf.GradientTape() as tape:
        total = sum(mtf.reduce_sum(mtf.square(per_example_grad(xs[i]))) for i in range(5))
    np.testing.assert_allclose(got.numpy(), tape.gradient(total, v).numpy(), rtol=1e-12)


def test_gradients_reach_mapped_inputs_under_an_outer_tape():
    xs = mtf.constant(np.random.default_rng(0).standard_normal((4, 3)))
    with mtf.GradientTape() as tape:
        tape.watch(xs)
        y = mtf.reduce_sum(mtf.vectorized_map(lambda x: mtf.sin(x) * x, xs))
    np.testing.assert_allclose(tape.gradient(y, xs).numpy(),
                               np.cos(xs.numpy()) * xs.numpy() + np.sin(xs.numpy()))


def test_a_tape_that_watches_nothing_fn_reads_leaves_it_batched(monkeypatch):
    other = mtf.Variable(1.0)
    xs = mtf.constant(np.ones((3, 2)))
    monkeypatch.setattr(gradient, "record", _refuse)
    with mtf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(other)
        out = mtf.vectorized_map(lambda x: x * 2.0, xs)
    np.testing.assert_array_equal(out.numpy(), np.full((3, 2), 2.0))


def test_inside_mtf_function_it_traces_and_replays_with_new_values():
    model = MLP(np.float64)
    offset = mtf.Variable(0.0, dtype=mtf.float64)

    @mtf.function
    def per_example_losses(x, y, scale):
        shift = scale * 2.0 + offset                   # a value of the enclosing trace
        return mtf.vectorized_map(lambda e: model.per_example(e)[0] * shift, (x, y))
    for seed in (1, 2, 3):
        x, y = data(np.float64, n=5, seed=seed)
        scale = mtf.constant(float(seed), mtf.float64)
        got = per_example_losses(x, y, scale).numpy()
        want = [float(model.per_example((x[i], y[i]))[0]) * (2.0 * seed) for i in range(5)]
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert per_example_losses.experimental_get_tracing_count() == 1
    offset.assign(1.0)
    got = per_example_losses(x, y, scale).numpy()
    want = [float(model.per_example((x[i], y[i]))[0]) * (2.0 * 3 + 1) for i in range(5)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_per_example_gradients_inside_mtf_function_with_an_outer_tape():
    xs = mtf.constant(np.random.default_rng(0).standard_normal((4, 3)))
    v = mtf.Variable(np.ones(3))

    @mtf.function
    def step(xs):
        with mtf.GradientTape() as tape:
            y = mtf.reduce_sum(mtf.vectorized_map(lambda x: mtf.sin(x * v), xs))
        return tape.gradient(y, v)
    for _ in range(2):
        np.testing.assert_allclose(step(xs).numpy(),
                                   np.sum(np.cos(xs.numpy() * v.numpy()) * xs.numpy(), 0))


def test_the_trace_is_cached_per_example_shape():
    calls = []

    def fn(x):
        calls.append(x.shape)
        return x * 2.0
    for n in (3, 5, 3):
        mtf.vectorized_map(fn, mtf.constant(np.ones((n, 2))))
    mtf.vectorized_map(fn, mtf.constant(np.ones((3, 4))))
    assert calls == [(2,), (4,)]


def test_scalar_examples_and_integer_inputs():
    xs = mtf.constant([1, 2, 3])
    got = mtf.vectorized_map(
        lambda x: mtf.cast(x, mtf.float32) * 0.5 + mtf.cast(x * x, mtf.float32), xs)
    np.testing.assert_allclose(got.numpy(), [1.5, 5.0, 10.5])


def test_an_empty_batch_gives_empty_results():
    out = mtf.vectorized_map(lambda x: mtf.reduce_sum(x * x, axis=0), mtf.zeros((0, 3)))
    assert out.shape == (0,)


@pytest.mark.parametrize("elems, match", [
    (mtf.constant(1.0), "needs a leading axis"),
    ((mtf.zeros((2, 3)), mtf.zeros((3, 3))), "same size along axis 0"),
    ((), "has no tensors"),
])
def test_bad_elems_raise_naming_the_problem(elems, match):
    with pytest.raises(ValueError, match=f"vectorized_map: .*{match}"):
        mtf.vectorized_map(lambda x: x, elems)


def test_fn_must_be_callable():
    with pytest.raises(TypeError, match="vectorized_map: fn must be callable"):
        mtf.vectorized_map(3, mtf.zeros((2,)))


@pytest.mark.parametrize("fn", [
    lambda x: mtf.one_hot(mtf.argmax(x), 4),
    lambda x: mtf.fill([2], mtf.reduce_max(x)),
    lambda x: mtf.cast(mtf.reduce_any(mtf.cast(x, mtf.bool)), mtf.int64) + mtf.argmin(x),
    lambda x: mtf.gather(mtf.constant(np.arange(10.0)), mtf.cast(mtf.abs(x) * 3, mtf.int32)),
    lambda x: mtf.einsum("i,j->ij", x, x[::-1]),
    lambda x: (mtf.transpose(mtf.reshape(mtf.tile(x, [2]), (2, 4)))[:, 0]
               + mtf.pad(x[1:3], [[1, 1]])),
    lambda x: mtf.stack(mtf.split(mtf.concat([x, x], 0), 2)) * mtf.expand_dims(x, 0),
])
def test_ops_without_gradients_batch_without_a_loop(fn, monkeypatch):
    monkeypatch.setattr(batched, "per_example", _refuse)
    xs = mtf.constant(np.random.default_rng(3).standard_normal((6, 4)))
    got = mtf.vectorized_map(fn, xs)
    monkeypatch.undo()
    want = np.stack([fn(xs[i]).numpy() for i in range(6)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    assert got.dtype == want.dtype


def test_a_nested_vectorized_map_is_one_batch(monkeypatch):
    w = mtf.constant(np.arange(3.0))
    xs = mtf.constant(np.random.default_rng(5).standard_normal((4, 2, 3)))

    def inner(row):
        return mtf.reduce_sum(mtf.sin(row) * w)

    def outer(block):
        return mtf.vectorized_map(inner, block) * 2.0
    want = np.stack([[float(inner(xs[i][j])) * 2.0 for j in range(2)] for i in range(4)])
    monkeypatch.setattr(batched, "per_example", _refuse)
    np.testing.assert_allclose(mtf.vectorized_map(outer, xs).numpy(), want, rtol=1e-12)


SCALE = mtf.constant(2.0, mtf.float64)


def _scaled(x):
    return x * SCALE


def test_a_rebound_global_tensor_is_read_again_not_a_stale_trace():
    global SCALE
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(mtf.vectorized_map(_scaled, x).numpy(), 2 * x)
    SCALE = mtf.constant(5.0, mtf.float64)
    np.testing.assert_array_equal(mtf.vectorized_map(_scaled, x).numpy(), 5 * x)


def test_rebound_closure_variables_and_attributes_trace_again():
    x = np.arange(4.0).reshape(2, 2)
    shift = mtf.constant(1.0, mtf.float64)

    def shifted(e):
        return e + shift

    class Scaler:
        def __init__(self):
            self.factor = mtf.constant(3.0, mtf.float64)

        def __call__(self, e):
            return e * self.factor

    scaler = Scaler()
    for value in (1.0, -4.0):
        shift = mtf.constant(value, mtf.float64)
        np.testing.assert_array_equal(mtf.vectorized_map(shifted, x).numpy(), x + value)
        scaler.factor = mtf.constant(value, mtf.float64)
        np.testing.assert_array_equal(mtf.vectorized_map(scaler.__call__, x).numpy(),
                                      x * value)


def test_a_custom_gradient_function_runs_batched_and_its_gradient_too():
    @mtf.custom_gradient
    def clipped_identity(x):
        return mtf.identity(x), lambda g: mtf.clip_by_value(g, -0.5, 0.5)

    def per_example(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = mtf.reduce_sum(clipped_identity(x) * x)
        return y, tape.gradient(y, x)

    x = mtf.constant(np.linspace(-1.0, 1.0, 12).reshape(4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # no step falls back to a loop
        y, g = assert_matches_loop(per_example, x, 4, rtol=1e-12)
        doubled = mtf.vectorized_map(lambda e: clipped_identity(e) * 2.0, x)
    # d/dx (c(x) * x) = clip(x) + x, with c the identity whose gradient is clipped
    np.testing.assert_allclose(g.numpy(), np.clip(x.numpy(), -0.5, 0.5) + x.numpy())
    np.testing.assert_allclose(doubled.numpy(), 2 * x.numpy())
