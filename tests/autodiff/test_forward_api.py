"""ForwardAccumulator: HVPs both ways, nesting with tapes and accumulators,
unconnected values, Variable primals, bad primals and tangents."""
import numpy as np
import pytest

import minitf as mtf

FA = mtf.autodiff.ForwardAccumulator
ZERO = mtf.UnconnectedGradients.ZERO


def c64(x):
    return mtf.constant(np.asarray(x, np.float64))


def mlp_params(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(4, 8), (8,), (8, 3), (3,)]
    return [mtf.Variable(rng.standard_normal(s) * 0.5) for s in shapes]


def mlp_loss(params, x):
    w1, b1, w2, b2 = params
    h = mtf.tanh(mtf.matmul(x, w1) + b1)
    y = mtf.tanh(mtf.matmul(h, w2) + b2)
    return mtf.reduce_mean(mtf.square(y - 0.25))


def mlp_data(seed=1):
    rng = np.random.default_rng(seed)
    return c64(rng.standard_normal((5, 4))), [c64(rng.standard_normal(p.shape))
                                              for p in mlp_params()]


def hvp_forward_over_reverse(params, x, vs):
    with FA(params, vs) as acc:
        with mtf.GradientTape() as tape:
            loss = mlp_loss(params, x)
        grads = tape.gradient(loss, params)
    return [t.numpy() for t in acc.jvp(grads)]


def hvp_reverse_over_reverse(params, x, vs):
    with mtf.GradientTape() as outer:
        with mtf.GradientTape() as inner:
            loss = mlp_loss(params, x)
        grads = inner.gradient(loss, params)
        dot = mtf.add_n([mtf.reduce_sum(g * v) for g, v in zip(grads, vs)])
    return [g.numpy() for g in outer.gradient(dot, params)]


def gradients_at(values, x):
    params = [mtf.Variable(v) for v in values]
    with mtf.GradientTape() as tape:
        loss = mlp_loss(params, x)
    return [g.numpy() for g in tape.gradient(loss, params)]


# ---------------------------------------------------------------- HVP

def test_forward_over_reverse_hvp_equals_reverse_over_reverse():
    params, (x, vs) = mlp_params(), mlp_data()
    forward = hvp_forward_over_reverse(params, x, vs)
    reverse = hvp_reverse_over_reverse(params, x, vs)
    for f, r in zip(forward, reverse):
        np.testing.assert_allclose(f, r, rtol=0, atol=1e-10)
    assert max(float(np.abs(f).max()) for f in forward) > 1e-3   # not trivially zero


def test_forward_over_reverse_hvp_equals_difference_of_gradients():
    params, (x, vs) = mlp_params(), mlp_data()
    forward = hvp_forward_over_reverse(params, x, vs)
    h = 1e-5
    values = [p.numpy() for p in params]
    plus = gradients_at([p + h * v.numpy() for p, v in zip(values, vs)], x)
    minus = gradients_at([p - h * v.numpy() for p, v in zip(values, vs)], x)
    for f, a, b in zip(forward, plus, minus):
        np.testing.assert_allclose(f, (a - b) / (2 * h), rtol=1e-6, atol=1e-8)


def test_reverse_over_forward_hvp():
    params, (x, vs) = mlp_params(), mlp_data()
    with mtf.GradientTape() as tape:
        with FA(params, vs) as acc:
            loss = mlp_loss(params, x)
        directional = acc.jvp(loss)
    hv = tape.gradient(directional, params)
    for a, b in zip(hv, hvp_reverse_over_reverse(params, x, vs)):
        np.testing.assert_allclose(a.numpy(), b, rtol=0, atol=1e-10)


def test_reverse_over_forward_differentiates_the_tangent_too():
    x, v = c64([0.3, -1.2]), c64([2.0, 0.5])
    with mtf.GradientTape() as tape:
        tape.watch([x, v])
        with FA(x, v) as acc:
            y = mtf.sin(x) * x
        j = mtf.reduce_sum(acc.jvp(y))
    dx, dv = tape.gradient(j, [x, v])
    xs, vs = x.numpy(), v.numpy()
    np.testing.assert_allclose(dv.numpy(), np.cos(xs) * xs + np.sin(xs), rtol=1e-14)
    np.testing.assert_allclose(dx.numpy(), (2 * np.cos(xs) - xs * np.sin(xs)) * vs,
                               rtol=1e-14)


# ---------------------------------------------------------------- forward over forward

def test_forward_over_forward_second_directional_derivative():
    x = c64([0.4, -0.7, 1.1])
    u, v = c64([1.0, 0.5, -2.0]), c64([0.3, -1.0, 0.25])
    with FA(x, u) as outer:
        with FA(x, v) as inner:
            y = mtf.reduce_sum(mtf.exp(x) * mtf.sin(x))
        first = inner.jvp(y)
    second = outer.jvp(first)
    xs = x.numpy()
    np.testing.assert_allclose(float(first), np.sum(np.exp(xs) * (np.sin(xs) + np.cos(xs))
                                                    * v.numpy()), rtol=1e-14)
    np.testing.assert_allclose(float(second), np.sum(2 * np.exp(xs) * np.cos(xs)
                                                     * u.numpy() * v.numpy()), rtol=1e-13)


def test_forward_over_forward_third_order():
    x = c64(0.6)
    one = c64(1.0)
    with FA(x, one) as a3:
        with FA(x, one) as a2:
            with FA(x, one) as a1:
                y = mtf.tanh(x)
            d1 = a1.jvp(y)
        d2 = a2.jvp(d1)
    d3 = a3.jvp(d2)
    t = np.tanh(0.6)
    np.testing.assert_allclose([float(d1), float(d2), float(d3)],
                               [1 - t**2, -2 * t * (1 - t**2), (1 - t**2) * (6 * t**2 - 2)],
                               rtol=1e-13)


# ---------------------------------------------------------------- nesting order

def test_a_tape_entered_inside_the_accumulator_does_not_see_the_tangents():
    x, v = c64([1.0, 2.0]), c64([1.0, 1.0])
    with FA(x, v) as acc:
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = x * x
            j = acc.jvp(y)
    assert tape.gradient(j, x) is None
    np.testing.assert_allclose(j.numpy(), [2.0, 4.0])


def test_an_inner_accumulator_does_not_see_the_outer_ones_tangents():
    x = c64([1.0, 2.0])
    with FA(x, c64([1.0, 0.0])) as outer:
        with FA(x, c64([0.0, 1.0])) as inner:
            y = x * x
    assert inner.jvp(outer.jvp(y)) is None
    np.testing.assert_allclose(outer.jvp(inner.jvp(y)).numpy(), [0.0, 0.0])


def test_entering_a_recording_accumulator_again_raises():
    acc = FA(c64(1.0), c64(1.0))
    with acc:
        with pytest.raises(ValueError, match="already recording"):
            acc.__enter__()
    with acc:                         # entering again after exit is allowed
        pass


def test_jvp_inside_and_after_the_context():
    x, v = c64([1.0, 3.0]), c64([0.5, 1.0])
    with FA(x, v) as acc:
        y = mtf.square(x)
        inside = acc.jvp(y).numpy()
        z = y * 2.0
    np.testing.assert_allclose(inside, [1.0, 6.0])
    np.testing.assert_allclose(acc.jvp(z).numpy(), [2.0, 12.0])
    after = y * 5.0                   # not recorded: the accumulator has exited
    assert acc.jvp(after) is None


def test_an_error_in_the_block_is_not_hidden():
    x = c64([1.0])
    with pytest.raises(KeyError):
        with FA(x, c64([1.0])):
            mtf.sin(x)
            raise KeyError("boom")


# ---------------------------------------------------------------- what has a tangent

def test_unconnected_values_and_integer_outputs():
    x, other = c64([1.0, 2.0]), c64([3.0, 4.0])
    with FA(x, c64([1.0, 1.0])) as acc:
        unrelated = other * 2.0
        index = mtf.argmax(x)
        stopped = mtf.stop_gradient(x) * 3.0
    assert acc.jvp(unrelated) is None and acc.jvp(index) is None and acc.jvp(stopped) is None
    np.testing.assert_array_equal(acc.jvp(unrelated, unconnected_gradients=ZERO).numpy(),
                                  [0.0, 0.0])
    np.testing.assert_array_equal(acc.jvp(stopped, unconnected_gradients="zero").numpy(),
                                  [0.0, 0.0])
    with pytest.raises(ValueError, match="unconnected_gradients"):
        acc.jvp(unrelated, unconnected_gradients="maybe")


def test_jvp_of_a_nest_and_of_the_primals():
    x, y = c64([1.0, 2.0]), c64(3.0)
    tx, ty = c64([1.0, -1.0]), c64(2.0)
    with FA({"a": x, "b": [y]}, {"a": tx, "b": [ty]}) as acc:
        z = x * y
    got = acc.jvp({"x": x, "pair": (y, z)})
    assert got["x"] is tx and got["pair"][0] is ty
    np.testing.assert_allclose(got["pair"][1].numpy(), tx.numpy() * 3.0 + x.numpy() * 2.0)


def test_variable_primals_and_unwatched_variables():
    w = mtf.Variable(np.array([1.0, 2.0]))
    other = mtf.Variable(np.array([5.0, 6.0]))
    with FA(w, c64([1.0, 0.5])) as acc:
        y = w * other
        z = other * 2.0
    np.testing.assert_allclose(acc.jvp(y).numpy(), [5.0, 3.0])
    assert acc.jvp(z) is None           # trainable Variables are not watched by reading
    assert acc.jvp(w).numpy().tolist() == [1.0, 0.5]


def test_tangents_given_as_arrays_and_python_floats():
    x, s = mtf.constant([1.0, 2.0]), mtf.constant(2.0)
    with FA([x, s], [np.array([1.0, 0.0], np.float32), 0.5]) as acc:
        y = x * s
    assert acc.jvp(y).dtype == mtf.float32
    np.testing.assert_allclose(acc.jvp(y).numpy(), [2.5, 1.0])
    with pytest.raises(TypeError, match="dtype float64; it must be float32"):
        FA(x, np.array([1.0, 0.0]))


# ---------------------------------------------------------------- bad primals and tangents

def test_bad_tangents_raise():
    x = c64([1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(2,\)"):
        FA(x, c64([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="same structure"):
        FA([x, x * 2.0], [c64([1.0, 1.0])])
    with pytest.raises(TypeError, match="dtype float32; it must be float64"):
        FA(x, mtf.constant([1.0, 1.0]))
    with pytest.raises(TypeError, match="must be floating"):
        FA(mtf.constant([1, 2]), mtf.constant([1, 1]))
    with pytest.raises(ValueError, match="more than once"):
        FA([x, x], [c64([1.0, 1.0]), c64([1.0, 1.0])])
    with pytest.raises(TypeError, match="must be a Tensor or a Variable"):
        FA([1.0, 2.0], [1.0, 1.0])
    acc = FA(x, c64([1.0, 1.0]))
    with pytest.raises(TypeError, match="primals must be Tensors"):
        acc.jvp([1.0])


# ---------------------------------------------------------------- custom and traced

def test_custom_gradient_gives_the_tangent():
    @mtf.custom_gradient
    def scaled_identity(x):
        return mtf.identity(x), lambda g: g * 3.0

    x = c64([1.0, 2.0])
    with FA(x, c64([1.0, -1.0])) as acc:
        y = scaled_identity(x)
    np.testing.assert_allclose(acc.jvp(y).numpy(), [3.0, -3.0])


def test_custom_gradient_with_several_outputs():
    @mtf.custom_gradient
    def sin_cos(x):
        return (mtf.sin(x), mtf.cos(x)), lambda ga, gb: ga * mtf.cos(x) - gb * mtf.sin(x)

    x, v = c64([0.3, -0.5]), c64([1.0, 2.0])
    with FA(x, v) as acc:
        a, b = sin_cos(x)
    ta, tb = acc.jvp([a, b])
    np.testing.assert_allclose(ta.numpy(), np.cos(x.numpy()) * v.numpy(), rtol=1e-15)
    np.testing.assert_allclose(tb.numpy(), -np.sin(x.numpy()) * v.numpy(), rtol=1e-15)


def test_a_traced_function_call_has_a_tangent():
    @mtf.function
    def f(x):
        return mtf.reduce_sum(mtf.sin(x) * x)

    x, v = c64([0.3, -0.5]), c64([1.0, 2.0])
    f(x)
    with FA(x, v) as acc:
        y = f(x)
    xs = x.numpy()
    np.testing.assert_allclose(float(acc.jvp(y)),
                               np.sum((np.cos(xs) * xs + np.sin(xs)) * v.numpy()), rtol=1e-14)


def test_a_traced_loop_without_second_derivatives_raises_clearly():
    @mtf.function
    def g(x):
        return mtf.while_loop(lambda i, a: i < 3,
                              lambda i, a: (i + 1, mtf.sin(a) * 0.9 + x), [0, x])[1]

    x = c64([0.3, -0.5])
    g(x)
    with pytest.raises(NotImplementedError, match="ForwardAccumulator: no JVP for op 'g'"):
        with FA(x, c64([1.0, 1.0])):
            g(x)


def test_an_eager_while_loop_has_a_tangent():
    x = c64(0.5)
    with FA(x, c64(1.0)) as acc:
        y = mtf.while_loop(lambda i, a: i < 2, lambda i, a: (i + 1, a * a), [0, x])[1]
    np.testing.assert_allclose(float(acc.jvp(y)), 4 * 0.5**3)


def test_assigning_a_variable_an_op_read_before_its_tangent_is_computed_raises():
    w = mtf.Variable(np.array([1.0, 2.0]))
    x = c64([3.0, 4.0])
    with pytest.raises(RuntimeError, match="modified in place"):
        with FA(x, c64([1.0, 1.0])) as acc:
            y = x * w          # its tangent is computed at the next look-up
            w.assign([5.0, 6.0])
            acc.jvp(y)


def test_a_value_that_dies_drops_its_tangent():
    x = c64([1.0, 2.0])
    with FA(x, c64([1.0, 1.0])) as acc:
        for _ in range(50):
            y = mtf.sin(x) * 2.0
        last = acc.jvp(y)
    assert len(acc._tangents) <= 4       # x, the live y and sin(x) of the last step
    np.testing.assert_allclose(last.numpy(), 2 * np.cos([1.0, 2.0]))


def test_a_function_traced_under_an_accumulator_does_not_trace_the_tangents():
    @mtf.function
    def f(x):
        return mtf.reduce_sum(mtf.sin(x) * x)

    x, v = c64([0.3, -0.5]), c64([1.0, 2.0])
    with FA(x, v) as acc:
        y = f(x)                      # the first call traces
    xs = x.numpy()
    np.testing.assert_allclose(float(acc.jvp(y)),
                               np.sum((np.cos(xs) * xs + np.sin(xs)) * v.numpy()), rtol=1e-14)
    steps = [s.op for s in f.get_concrete_function(x)._recorder_steps]
    assert steps == ["sin", "multiply", "reduce_sum"]


def test_an_accumulator_inside_a_function_replays_with_new_values():
    @mtf.function
    def directional(x, v):
        with FA(x, v) as acc:
            y = mtf.sin(x) * x
        return acc.jvp(y)

    v = c64([1.0, 2.0])
    for xs in ([0.3, -0.5], [1.0, 2.0]):
        xs = np.array(xs)
        np.testing.assert_allclose(directional(c64(xs), v).numpy(),
                                   (np.cos(xs) * xs + np.sin(xs)) * v.numpy(), rtol=1e-14)


def test_map_fn_and_vectorized_map_have_tangents():
    x, v = c64([[0.3, -0.5], [1.0, 2.0]]), c64(np.ones((2, 2)))
    w = mtf.Variable(np.array([1.0, 2.0]))        # read, not watched
    with FA(x, v) as acc:
        y = mtf.vectorized_map(lambda r: mtf.reduce_sum(mtf.sin(r) * r), x)
        z = mtf.map_fn(lambda r: mtf.reduce_sum(mtf.sin(r) * r), x)
        unwatched = mtf.vectorized_map(lambda r: r * 2.0, w)
    xs = x.numpy()
    expected = np.sum(np.cos(xs) * xs + np.sin(xs), 1)
    np.testing.assert_allclose(acc.jvp(y).numpy(), expected, rtol=1e-14)
    np.testing.assert_allclose(acc.jvp(z).numpy(), expected, rtol=1e-14)
    assert acc.jvp(unwatched) is None


def test_forward_over_forward_replays_in_mtf_function_after_a_variable_changes():
    """The inner accumulator's tangent arithmetic must read the traced op's output, not
    a value captured while the op was still being recorded."""
    w = mtf.Variable(0.7, dtype=mtf.float64)

    def second_derivative(x):
        with mtf.autodiff.ForwardAccumulator(x, mtf.ones_like(x)) as outer:
            with mtf.autodiff.ForwardAccumulator(x, mtf.ones_like(x)) as inner:
                y = mtf.tanh(mtf.tanh(x) * w)
            dy = inner.jvp(y)
        return outer.jvp(dy)

    def closed_form(x, w):
        # y = tanh(w t), t = tanh x: y'' = w (1 - y^2) (t'' - 2 w y t'^2), t' = 1 - t^2
        t = np.tanh(x)
        y = np.tanh(w * t)
        dt = 1 - t * t
        return w * (1 - y * y) * (-2 * t * dt - 2 * w * y * dt * dt)

    traced = mtf.function(second_derivative)
    x = mtf.constant([0.5, -1.2], dtype=mtf.float64)
    np.testing.assert_allclose(traced(x).numpy(), closed_form(x.numpy(), 0.7), rtol=1e-12)
    w.assign(1.5)
    np.testing.assert_allclose(traced(x).numpy(), closed_form(x.numpy(), 1.5), rtol=1e-12)
    np.testing.assert_allclose(second_derivative(x).numpy(), closed_form(x.numpy(), 1.5),
                               rtol=1e-12)
