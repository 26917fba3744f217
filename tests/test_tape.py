"""GradientTape recording, gradient(), higher order, Jacobians, errors."""
import numpy as np
import pytest

import minitf as mtf

C = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def mixing(x):
    """R^3 -> R^2 with every output depending on every input."""
    row = mtf.reshape(x, (1, 3))
    return mtf.tanh(mtf.reduce_sum(row * C, axis=1)) * mtf.reduce_sum(x * x)


def mixing_np(x):
    return np.tanh(C @ x) * np.sum(x * x)


def numeric_jacobian(f, x, eps=1e-6):
    """Central differences of numpy ``f`` at ``x``: shape f(x).shape + x.shape."""
    x = np.asarray(x, np.float64)
    columns = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = eps
        step = step.reshape(x.shape)
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    out_shape = np.shape(f(x))
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


def test_classic_example():
    x = mtf.constant(3.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_non_persistent_tape_allows_one_call_and_frees_its_recording():
    x = mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * x * x
    assert len(tape._nodes) == 2
    assert float(tape.gradient(y, x)) == 12.0
    assert tape._nodes == []
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="only once"):
        tape.jacobian(y, x)


def test_persistent_tape_allows_many_calls():
    x = mtf.constant(2.0)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x)) == 4.0
    assert float(tape.gradient(z, x)) == 12.0
    assert float(tape.gradient(z, y)) == 2.0
    assert len(tape._nodes) == 2


def test_trainable_variables_are_watched_automatically():
    w = mtf.Variable(2.0)
    frozen = mtf.Variable(5.0, trainable=False)
    with mtf.GradientTape() as tape:
        y = w * frozen
    dw, dfrozen = tape.gradient(y, [w, frozen])
    assert float(dw) == 5.0 and dfrozen is None
    assert tape.watched_variables() == (w,)


def test_non_trainable_variable_watched_explicitly_gets_a_gradient():
    frozen = mtf.Variable(5.0, trainable=False)
    with mtf.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * frozen
    assert float(tape.gradient(y, frozen)) == 10.0


def test_watch_accessed_variables_false():
    w, u = mtf.Variable(2.0), mtf.Variable(3.0)
    with mtf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(u)
        y = w * u
    dw, du = tape.gradient(y, [w, u])
    assert dw is None and float(du) == 2.0
    assert tape.watched_variables() == (u,)


def test_watched_variables_in_creation_order_as_tf():
    a, b, c = mtf.Variable(1.0), mtf.Variable(2.0), mtf.Variable(3.0)
    with mtf.GradientTape() as tape:
        tape.watch(c)
        y = b * a
        y = y + c * a
    assert tape.watched_variables() == (a, b, c)   # not (c, b, a): first watched


def test_watched_variables_order_ignores_watch_and_read_order():
    first = [mtf.Variable(float(i), name=f"v{i}") for i in range(6)]
    with mtf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(first[::-1])
    assert [v.name for v in tape.watched_variables()] == [f"v{i}:0" for i in range(6)]
    with mtf.GradientTape() as reading:
        total = 0.0
        for i in (4, 1, 5, 0, 3, 2):
            total = total + first[i] * 2.0
    assert reading.watched_variables() == tuple(first)


def test_watch_nested_structures_and_rejects_non_tensors():
    x, y, z = mtf.constant(1.0), mtf.constant(2.0), mtf.constant(3.0)
    with mtf.GradientTape() as tape:
        tape.watch({"a": [x, (y,)], "b": z})
        out = x * y * z
    grads = tape.gradient(out, [x, y, z])
    assert [float(g) for g in grads] == [6.0, 3.0, 2.0]
    with pytest.raises(ValueError, match="watch.*float 1.0"):
        mtf.GradientTape().watch([x, [1.0, 2.0]])


@pytest.mark.parametrize("bad", [np.ones(2), 3.0, "x", None])
def test_watch_of_a_non_tensor_raises_value_error_as_tf(bad):
    with mtf.GradientTape() as tape:
        with pytest.raises(ValueError, match=f"GradientTape.watch.*{type(bad).__name__}"):
            tape.watch(bad)


def test_nested_sources_give_the_same_structure():
    a, b, c = mtf.Variable(1.0), mtf.Variable(2.0), mtf.Variable(3.0)
    with mtf.GradientTape() as tape:
        y = a * b * c
    grads = tape.gradient(y, {"z": a, "y": [b, (c,)]})
    assert set(grads) == {"z", "y"} and isinstance(grads["y"], list)
    assert isinstance(grads["y"][1], tuple)
    assert float(grads["z"]) == 6.0 and float(grads["y"][0]) == 3.0
    assert float(grads["y"][1][0]) == 2.0


def test_list_target_is_the_sum():
    x = mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y1, y2 = x * x, mtf.sin(x)
    np.testing.assert_allclose(float(tape.gradient([y1, y2], x)), 4.0 + np.cos(2.0),
                               rtol=1e-6)


def test_non_scalar_target_is_the_gradient_of_its_sum():
    value = np.array([0.3, -1.2, 2.0])
    x = mtf.constant(value, dtype=mtf.float64)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mixing(x)
    expected = numeric_jacobian(mixing_np, value).sum(axis=0)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), expected, rtol=1e-6)


def test_output_gradients_give_the_vector_jacobian_product():
    value = np.array([0.3, -1.2, 2.0])
    x = mtf.constant(value)
    x = mtf.cast(x, mtf.float64)
    upstream = np.array([2.0, -0.5])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mixing(x)
    vjp = tape.gradient(y, x, output_gradients=mtf.constant(upstream))
    expected = upstream @ numeric_jacobian(mixing_np, value.astype(np.float32))
    np.testing.assert_allclose(vjp.numpy(), expected, rtol=1e-5)


def test_output_gradients_shape_mismatch_raises():
    x = mtf.constant([1.0, 2.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * 2
    with pytest.raises(ValueError, match=r"output_gradients shape \(3,\).*\(2,\)"):
        tape.gradient(y, x, output_gradients=mtf.constant([1.0, 1.0, 1.0]))


@pytest.mark.parametrize("mode", ["zero", mtf.UnconnectedGradients.ZERO])
def test_unconnected_sources(mode):
    x, unused = mtf.constant([1.0, 2.0]), mtf.constant([[3.0, 4.0]])
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch([x, unused])
        y = mtf.reduce_sum(x * x)
    assert tape.gradient(y, unused) is None
    assert tape.gradient(y, unused, unconnected_gradients="none") is None
    zeros = tape.gradient(y, unused, unconnected_gradients=mode)
    assert zeros.shape == (1, 2) and zeros.dtype == np.float32
    np.testing.assert_array_equal(zeros.numpy(), [[0.0, 0.0]])
    np.testing.assert_array_equal(tape.gradient(y, x, unconnected_gradients=mode).numpy(),
                                  [2.0, 4.0])


def test_bad_unconnected_gradients_raises():
    x = mtf.constant(1.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(ValueError, match="unconnected_gradients.*'zeros'"):
        tape.gradient(y, x, unconnected_gradients="zeros")


def test_non_tensor_source_and_target_raise():
    x = mtf.constant(1.0)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    with pytest.raises(TypeError, match="sources must be Tensors.*float"):
        tape.gradient(y, [x, 1.0])
    with pytest.raises(TypeError, match="target.*ndarray"):
        tape.gradient(np.ones(2), x)


@pytest.mark.parametrize("point", [-2.0, -0.7, 0.0, 0.4, 1.5])
def test_third_derivative_of_tanh_through_three_nested_tapes(point):
    x = mtf.constant(point, dtype=mtf.float64)
    with mtf.GradientTape() as t3:
        t3.watch(x)
        with mtf.GradientTape() as t2:
            t2.watch(x)
            with mtf.GradientTape() as t1:
                t1.watch(x)
                y = mtf.tanh(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    t = np.tanh(point)
    np.testing.assert_allclose(float(d1), 1 - t**2, rtol=1e-12)
    np.testing.assert_allclose(float(d2), -2 * t * (1 - t**2), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(float(d3), (1 - t**2) * (6 * t**2 - 2), rtol=1e-12)


def test_second_derivative_with_one_persistent_tape_inside_its_own_with():
    x = mtf.constant(0.7, dtype=mtf.float64)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = mtf.sin(x) * x
        with pytest.warns(UserWarning, match="inside the `with` block"):
            dy = tape.gradient(y, x)
    d2y = tape.gradient(dy, x)
    np.testing.assert_allclose(float(dy), np.cos(0.7) * 0.7 + np.sin(0.7), rtol=1e-12)
    np.testing.assert_allclose(float(d2y), -np.sin(0.7) * 0.7 + 2 * np.cos(0.7),
                               rtol=1e-12)


def test_jacobian_matches_finite_differences():
    value = np.array([0.3, -1.2, 2.0])
    x = mtf.constant(value, dtype=mtf.float64)
    u = mtf.constant([[1.0, 2.0]], dtype=mtf.float64)
    with mtf.GradientTape() as tape:
        tape.watch([x, u])
        y = mixing(x)
    jx, ju = tape.jacobian(y, [x, u])
    assert jx.shape == (2, 3) and ju is None
    np.testing.assert_allclose(jx.numpy(), numeric_jacobian(mixing_np, value), rtol=1e-6)


def test_jacobian_shapes_with_matrices_and_unconnected_zero():
    value = np.arange(6.0).reshape(2, 3) / 5
    x = mtf.constant(value, dtype=mtf.float64)
    other = mtf.constant([1.0, 2.0, 3.0, 4.0], dtype=mtf.float64)
    with mtf.GradientTape() as tape:
        tape.watch([x, other])
        y = mtf.sin(x) * mtf.reduce_sum(x, axis=0)
    jac = tape.jacobian(y, {"x": x, "other": other}, unconnected_gradients="zero")
    assert jac["x"].shape == (2, 3, 2, 3)
    assert jac["other"].shape == (2, 3, 4) and not jac["other"].numpy().any()
    expected = numeric_jacobian(lambda v: np.sin(v) * v.sum(axis=0), value)
    np.testing.assert_allclose(jac["x"].numpy(), expected, rtol=1e-6, atol=1e-9)


def test_hessian_through_a_jacobian():
    value = np.array([0.3, -1.2, 2.0])
    x = mtf.constant(value, dtype=mtf.float64)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = mtf.reduce_sum(mtf.sin(x) * x * x)
        grad = inner.gradient(y, x)
    hessian = outer.jacobian(grad, x)
    expected = np.diag(2 * np.sin(value) + 4 * value * np.cos(value)
                       - value**2 * np.sin(value))
    np.testing.assert_allclose(hessian.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_an_enclosing_tape_differentiates_a_jacobian():
    value = np.array([0.5, -1.0, 2.0])
    x = mtf.constant(value, dtype=mtf.float64)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = x * x * x + mtf.reduce_sum(x) * x
        jac = inner.jacobian(y, x)          # diag(3 x**2) + sum(x) I + x 1^T
        total = mtf.reduce_sum(jac * jac)
    expected_jac = np.diag(3 * value**2) + value.sum() * np.eye(3) + np.outer(value, [1, 1, 1])
    np.testing.assert_allclose(jac.numpy(), expected_jac, rtol=1e-12)
    numeric = numeric_jacobian(lambda v: np.sum((np.diag(3 * v**2) + v.sum() * np.eye(3)
                                                 + np.outer(v, [1, 1, 1])) ** 2), value)
    np.testing.assert_allclose(outer.gradient(total, x).numpy(), numeric, rtol=1e-6)


def test_batch_jacobian_matches_per_example_finite_differences():
    rng = np.random.default_rng(0)
    value = rng.standard_normal((4, 3))
    x = mtf.constant(value, dtype=mtf.float64)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        row_sum = mtf.reduce_sum(x, axis=1, keepdims=True)
        y = mtf.tanh(mtf.reshape(x, (4, 1, 3)) * mtf.reshape(row_sum, (4, 1, 1)) * C)
    jac = tape.batch_jacobian(y, x)
    assert jac.shape == (4, 2, 3, 3)
    for b in range(4):
        expected = numeric_jacobian(lambda v: np.tanh(v * v.sum() * C), value[b])
        np.testing.assert_allclose(jac.numpy()[b], expected, rtol=1e-6, atol=1e-9)


def test_batch_jacobian_needs_matching_batch_dimensions():
    x = mtf.constant(np.ones((3, 2)))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.reshape(x, (2, 3)) * 2.0
    with pytest.raises(ValueError, match=r"batch_jacobian.*\(2, 3\).*\(3, 2\)"):
        tape.batch_jacobian(y, x)


@pytest.mark.parametrize("target_shape, source_shape", [
    ((3,), (3,)), ((3, 2), (3,)), ((3,), (3, 2)), ((), (3, 2)), ((3, 2), ())])
def test_batch_jacobian_needs_rank_two_target_and_source(target_shape, source_shape):
    x = mtf.constant(np.ones(source_shape))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.reduce_sum(x) * mtf.ones(target_shape, mtf.float64)
    with pytest.raises(ValueError, match=r"batch_jacobian.*rank.*at least 2"):
        tape.batch_jacobian(y, x)


def test_stop_recording():
    x = mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        with tape.stop_recording():
            hidden = x * x
        y = x * hidden
    assert float(tape.gradient(y, x)) == 4.0  # hidden is a constant: d(x*4)/dx
    with pytest.raises(RuntimeError, match="not recording"):
        with tape.stop_recording():
            pass


def test_reset_forgets_recording_and_watches():
    x = mtf.constant(2.0)
    w = mtf.Variable(1.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * w
        tape.reset()
        assert tape.watched_variables() == ()
        z = x * x * w
    assert tape.watched_variables() == (w,)  # read again after the reset
    dx, dw = tape.gradient(z, [x, w])
    assert dx is None and float(dw) == 4.0
    assert float(y) == 2.0


def test_reset_outside_recording_raises_value_error_as_tf():
    tape = mtf.GradientTape()
    with pytest.raises(ValueError, match="reset.*not recording"):
        tape.reset()
    with tape:
        with tape.stop_recording():
            with pytest.raises(ValueError, match="reset.*not recording"):
                tape.reset()


def test_variable_target_raises_value_error_as_tf():
    w = mtf.Variable([1.0, 2.0])
    with mtf.GradientTape() as tape:
        y = w * 2.0
    with pytest.raises(ValueError, match="gradient.*Variable target"):
        tape.gradient([y, w], w)


def test_non_persistent_gradient_inside_its_with_stops_recording_as_tf():
    w = mtf.Variable(3.0)
    with mtf.GradientTape() as tape:
        y = w * w
        assert float(tape.gradient(y, w)) == 6.0
        later = mtf.sin(w) * w          # reads w: a recording tape would watch it
        with pytest.raises(RuntimeError, match="not recording"):
            with tape.stop_recording():
                pass
    assert tape._nodes == [] and float(later) == pytest.approx(np.sin(3.0) * 3.0)


def test_stop_gradient_blocks_only_its_path():
    x = mtf.constant(3.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * mtf.stop_gradient(x * x)
    assert float(tape.gradient(y, x)) == 9.0


def test_gradient_with_respect_to_an_intermediate_tensor():
    x = mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        h = x * x
        y = mtf.sin(h) + h
    np.testing.assert_allclose(float(tape.gradient(y, h)), np.cos(4.0) + 1, rtol=1e-6)


def test_integer_sources_and_non_float_paths_give_none():
    i = mtf.constant([1, 2])
    x = mtf.constant([0.5, 1.5])
    with mtf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="no gradient"):
            tape.watch([i, x])
        y = mtf.reduce_sum(mtf.cast(i, mtf.float32) * x)
    di, dx = tape.gradient(y, [i, x])
    assert di is None
    np.testing.assert_array_equal(dx.numpy(), [1.0, 2.0])


def test_entering_a_recording_tape_twice_raises_value_error_as_tf():
    tape = mtf.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="already recording"):
            with tape:
                pass
        x = mtf.constant(2.0)
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0   # the failed re-entry left it intact


def test_unconnected_gradients_enum_values():
    assert mtf.UnconnectedGradients("none") is mtf.UnconnectedGradients.NONE
    assert mtf.UnconnectedGradients.ZERO.value == "zero"
