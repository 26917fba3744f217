"""mtf.cond, mtf.while_loop and mtf.where: eager and traced, with gradients.

Truth: closed-form derivatives and the eager (Python) versions of the same
computations; traced calls must replay with new predicates and trip counts.
"""
import numpy as np
import pytest

import minitf as mtf
import _replay


def f32(*values):
    return mtf.constant(np.array(values, np.float32))


# ---------------------------------------------------------------- cond

def cond_and_gradient(x, p):
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.cond(p, lambda: x * x, lambda: mtf.tanh(x) * 3.0)
    return y, tape.gradient(y, x)


@pytest.mark.parametrize("traced", [False, True])
def test_cond_picks_a_branch_and_differentiates_it(traced):
    fn = mtf.function(cond_and_gradient) if traced else cond_and_gradient
    for value in (0.5, -1.5, 2.0):
        x = f32(value, 2 * value)
        y, g = fn(x, mtf.constant(True))
        np.testing.assert_allclose(g.numpy(), 2 * x.numpy(), rtol=1e-6)
        y, g = fn(x, mtf.constant(False))
        want = 3 * (1 - np.tanh(x.numpy()) ** 2)
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-5)
    if traced:
        assert fn.experimental_get_tracing_count() == 1


def test_traced_cond_replays_like_eager_bit_for_bit():
    def make(seed):
        rng = np.random.default_rng(seed)
        x = mtf.constant(rng.normal(size=(3,)).astype(np.float32))
        return x, mtf.constant(bool(seed % 2))
    _replay.assert_replays(cond_and_gradient, make, seeds=(1, 2, 3, 4))


def test_cond_runs_only_the_taken_branch_effects_on_each_call():
    v = mtf.Variable(0.0)

    @mtf.function
    def f(p):
        return mtf.cond(p, lambda: v.assign_add(1.0) * 1.0, lambda: v.assign_sub(10.0) * 1.0)

    f(mtf.constant(True))
    assert float(v) == 1.0                        # the untaken branch traced dry
    f(mtf.constant(False))
    f(mtf.constant(True))
    assert float(v) == -8.0
    assert f.experimental_get_tracing_count() == 1


def test_cond_gradient_reaches_variables_read_in_branches():
    w = mtf.Variable([2.0, 3.0])

    @mtf.function
    def f(x, p):
        with mtf.GradientTape() as tape:
            y = mtf.cond(p, lambda: w * x, lambda: w * w)
        return tape.gradient(y, w)

    x = f32(5.0, 7.0)
    assert f(x, mtf.constant(True)).numpy().tolist() == [5.0, 7.0]
    assert f(x, mtf.constant(False)).numpy().tolist() == [4.0, 6.0]


def test_cond_with_a_python_or_constant_predicate_is_plain_python():
    calls = []
    out = mtf.function(lambda x: mtf.cond(True, lambda: x + 1.0,
                                          lambda: calls.append(1) or x))(f32(1))
    assert out.numpy().tolist() == [2.0] and calls == []


def test_cond_errors():
    x = f32(1.0)
    with pytest.raises(TypeError, match="bool"):
        mtf.cond(mtf.constant(1.0), lambda: x, lambda: x)
    with pytest.raises(TypeError, match="callable"):
        mtf.cond(True, x, lambda: x)
    f = mtf.function(lambda p: mtf.cond(p, lambda: f32(1.0), lambda: f32(1.0, 2.0)))
    with pytest.raises(ValueError, match="dtypes and shapes"):
        f(mtf.constant(True))
    g = mtf.function(lambda p: mtf.cond(p, lambda: (f32(1.0), f32(2.0)), lambda: f32(1.0)))
    with pytest.raises(ValueError, match="structures"):
        g(mtf.constant(True))


def test_nested_conds_replay():
    def fn(x, p, q):
        return mtf.cond(p, lambda: mtf.cond(q, lambda: x * 2.0, lambda: x * 3.0),
                        lambda: x - 1.0)

    def make(seed):
        return f32(seed + 1.0), mtf.constant(seed % 2 == 0), mtf.constant(seed % 3 == 0)
    _replay.assert_replays(fn, make, seeds=range(1, 7))


# ---------------------------------------------------------------- while_loop

def power_loop(x, n):
    """x * 1.5 ** n by a loop, with its gradient (closed form: 1.5 ** n)."""
    with mtf.GradientTape() as tape:
        tape.watch(x)
        i, y = mtf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * 1.5), [0, x])
    return i, y, tape.gradient(y, x)


@pytest.mark.parametrize("traced", [False, True])
def test_while_loop_runs_the_trip_count_of_each_call(traced):
    fn = mtf.function(power_loop) if traced else power_loop
    x = f32(1.0, -2.0)
    for n in (3, 0, 5, 1):
        i, y, g = fn(x, mtf.constant(n))
        assert int(i) == n
        np.testing.assert_array_equal(y.numpy(), x.numpy() * np.float32(1.5) ** n)
        np.testing.assert_array_equal(g.numpy(), np.full(2, np.float32(1.5) ** n))
    if traced:
        assert fn.experimental_get_tracing_count() == 1


def test_traced_while_loop_gradient_reaches_captured_values():
    w = mtf.Variable(0.9)

    def fn(x, n):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            _, y = mtf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, mtf.tanh(y * w + x)),
                                  (0, x))
        return y, tape.gradient(y, [x, w])

    def make(seed):
        rng = np.random.default_rng(seed)
        return (mtf.constant(rng.normal(size=(4,)).astype(np.float32)),
                mtf.constant(seed % 3 + 1))        # at least one iteration: see below
    traced = _replay.assert_replays(fn, make, seeds=(1, 3, 4, 2))
    _, (gx, gw) = traced(*make(2))
    x = make(2)[0].numpy().astype(np.float64)
    y, dy_dx, dy_dw = x, np.ones(4), np.zeros(4)            # forward-mode by hand
    for _ in range(3):
        pre = y * 0.9 + x
        dy_dx = (1 - np.tanh(pre) ** 2) * (dy_dx * 0.9 + 1)
        dy_dw = (1 - np.tanh(pre) ** 2) * (dy_dw * 0.9 + y)
        y = np.tanh(pre)
    np.testing.assert_allclose(gx.numpy(), dy_dx, rtol=1e-4)
    np.testing.assert_allclose(float(gw), dy_dw.sum(), rtol=1e-4)
    _, (_, gw) = traced(make(2)[0], mtf.constant(0))
    assert float(gw) == 0.0      # no iteration: zeros in a function (eagerly: None, as TF)


def test_while_loop_maximum_iterations_and_single_loop_variable():
    f = mtf.function(lambda x: mtf.while_loop(lambda y: mtf.reduce_sum(y) < 1e9,
                                              lambda y: y * 2.0, x, maximum_iterations=4))
    assert f(f32(1.0)).numpy().tolist() == [16.0]
    assert f(f32(1e9)).numpy().tolist() == [1e9]
    eager = mtf.while_loop(lambda y: mtf.reduce_sum(y) < 1e9, lambda y: y * 2.0, f32(1.0),
                           maximum_iterations=4)
    assert eager.numpy().tolist() == [16.0]


def test_while_loop_body_effects_run_once_per_iteration():
    v = mtf.Variable(0.0)

    @mtf.function
    def f(n):
        return mtf.while_loop(lambda i: i < n, lambda i: i + v.assign_add(1.0) * 0 + 1, [0.0])

    f(mtf.constant(3.0))
    assert float(v) == 3.0
    f(mtf.constant(2.0))
    assert float(v) == 5.0


def test_while_loop_errors():
    with pytest.raises(ValueError, match="keep dtypes and shapes"):
        mtf.while_loop(lambda x: mtf.reduce_sum(x) < 10.0,
                       lambda x: mtf.concat([x, x], 0), [f32(1.0)])
    with pytest.raises(ValueError, match="returned 1"):
        mtf.while_loop(lambda a, b: a < 3, lambda a, b: a + 1, [0, 1])
    with pytest.raises(TypeError, match="callables"):
        mtf.while_loop(None, lambda a: a, [0])
    traced = mtf.function(lambda x: mtf.while_loop(lambda x: x < 3.0,
                                                   lambda x: mtf.concat([x, x], 0), [x]))
    with pytest.raises(ValueError, match="keep dtypes and shapes"):
        traced(f32(1.0))


# ---------------------------------------------------------------- where

def test_where_replays_with_new_conditions_and_gradients():
    def fn(c, x, y):
        with mtf.GradientTape() as tape:
            tape.watch([x, y])
            z = mtf.where(c, x * x, y * 3.0)
        return z, tape.gradient(z, [x, y])

    def make(seed):
        rng = np.random.default_rng(seed)
        return (mtf.constant(rng.normal(size=(5,)) > 0),
                mtf.constant(rng.normal(size=(5,)).astype(np.float32)),
                mtf.constant(rng.normal(size=(5,)).astype(np.float32)))
    traced = _replay.assert_replays(fn, make)
    c, x, y = make(2)
    _, (gx, gy) = traced(c, x, y)
    np.testing.assert_array_equal(gx.numpy(), np.where(c.numpy(), 2 * x.numpy(), 0))
    np.testing.assert_array_equal(gy.numpy(), np.where(c.numpy(), 0, 3.0))


def test_second_order_through_a_traced_while_loop_raises_instead_of_none():
    @mtf.function
    def f(x):
        with mtf.GradientTape() as outer:
            outer.watch(x)
            with mtf.GradientTape() as inner:
                inner.watch(x)
                y = mtf.while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, a * a), [0, x])[1]
            g = inner.gradient(y, x)
        return outer.gradient(g, x)

    with pytest.raises(NotImplementedError, match="Second-order.*while_loop"):
        f(f32(1.5))
    eager = f.python_function(f32(1.5))                 # eagerly: 12 x^2 for x^4
    np.testing.assert_allclose(eager.numpy(), [12 * 1.5 ** 2], rtol=1e-6)


def test_a_value_shaped_result_may_be_returned_but_not_computed_on_at_a_new_size():
    f = mtf.function(lambda x: mtf.boolean_mask(x, x > 0.0))
    assert f(f32(1.0, -2.0, 3.0)).numpy().tolist() == [1.0, 3.0]
    assert f(f32(1.0, 2.0, 3.0)).numpy().tolist() == [1.0, 2.0, 3.0]    # returned: fine
    g = mtf.function(lambda x: mtf.reduce_mean(mtf.boolean_mask(x, x > 0.0)))
    assert float(g(f32(1.0, -2.0, 3.0))) == 2.0
    assert float(g(f32(4.0, -2.0, 6.0))) == 5.0                          # same size
    with pytest.raises(ValueError, match=r"^boolean_mask: its result has shape \(3,\)"):
        g(f32(1.0, 2.0, 3.0))

    @mtf.function
    def grad_of_masked(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = mtf.boolean_mask(x, x > 0.0) * 2.0
        return tape.gradient(y, x)
    assert grad_of_masked(f32(1.0, -2.0)).numpy().tolist() == [2.0, 0.0]
    with pytest.raises(ValueError, match="^boolean_mask: its result has shape"):
        grad_of_masked(f32(1.0, 2.0))        # `* 2.0` was specialised: refused, loudly


def test_the_gradient_seed_of_a_value_shaped_target_follows_its_shape():
    @mtf.function
    def f(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = mtf.boolean_mask(x, x > 0.0)
        return tape.gradient(y, x)
    assert f(f32(1.0, -2.0, 3.0)).numpy().tolist() == [1.0, 0.0, 1.0]
    assert f(f32(1.0, 2.0, -3.0)).numpy().tolist() == [1.0, 1.0, 0.0]
    assert f(f32(1.0, 2.0, 3.0)).numpy().tolist() == [1.0, 1.0, 1.0]
