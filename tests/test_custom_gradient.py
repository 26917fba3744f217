"""mtf.custom_gradient (as tf.custom_gradient)."""
import numpy as np
import pytest

import minitf as mtf


@mtf.custom_gradient
def log1pexp(x):
    """log(1 + e**x) with a gradient that stays finite for large x."""
    y = mtf.log(1 + mtf.exp(x))

    def grad(upstream):
        return upstream * mtf.sigmoid(x)
    return y, grad


def sigmoid_np(v):
    return 1 / (1 + np.exp(-v))


def test_keeps_name_and_docstring():
    assert log1pexp.__name__ == "log1pexp"
    assert "stays finite" in log1pexp.__doc__


@pytest.mark.parametrize("point", [-3.0, 0.0, 0.5, 4.0])
def test_custom_rule_gives_the_closed_form_gradient(point):
    x = mtf.constant(point, dtype=mtf.float64)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    np.testing.assert_allclose(float(y), np.log1p(np.exp(point)), rtol=1e-12)
    np.testing.assert_allclose(float(tape.gradient(y, x)), sigmoid_np(point), rtol=1e-12)


def test_custom_rule_replaces_the_recorded_one():
    x = mtf.constant(100.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        with np.errstate(over="ignore"):
            y = log1pexp(x)
    assert np.isinf(float(y))
    assert float(tape.gradient(y, x)) == 1.0   # the automatic rule would give NaN


def test_inner_ops_are_recorded_but_the_output_gradient_comes_from_grad_fn():
    @mtf.custom_gradient
    def square(x):
        return x * x, lambda g: g * 10.0     # deliberately not 2 x

    x = mtf.constant([1.0, 2.0])
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = square(x)
    assert [node[0] for node in tape._nodes] == ["multiply", "square"]   # as TF
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [10.0, 10.0])


def test_second_order_through_grad_fn():
    x = mtf.constant(0.3, dtype=mtf.float64)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = log1pexp(x)
        dy = inner.gradient(y, x)
    s = sigmoid_np(0.3)
    np.testing.assert_allclose(float(outer.gradient(dy, x)), s * (1 - s), rtol=1e-12)


def test_several_inputs_return_a_list_and_numpy_results_are_converted():
    @mtf.custom_gradient
    def scaled(x, y):
        def grad(g):
            return [np.asarray(g) * 3.0, mtf.reduce_sum(g * x)]
        return x * y, grad

    x = mtf.constant([1.0, 2.0])
    y = mtf.constant(4.0)
    with mtf.GradientTape() as tape:
        tape.watch([x, y])
        out = scaled(x, y)
    dx, dy = tape.gradient(out, [x, y])
    assert type(dx) is mtf.Tensor and dx.dtype == np.float32
    np.testing.assert_array_equal(dx.numpy(), [3.0, 3.0])
    assert float(dy) == 3.0


def test_none_gradient_and_non_tensor_arguments():
    @mtf.custom_gradient
    def affine(x, scale, shift):
        return x * scale + shift, lambda g: (g * scale, None, None)

    x = mtf.constant([1.0, -1.0])
    shift = mtf.constant(0.5)
    with mtf.GradientTape() as tape:
        tape.watch([x, shift])
        y = affine(x, 2.0, shift)
    dx, dshift = tape.gradient(y, [x, shift])
    np.testing.assert_array_equal(y.numpy(), [2.5, -1.5])
    np.testing.assert_array_equal(dx.numpy(), [2.0, 2.0])
    assert dshift is None


def test_variables_read_inside_are_passed_to_grad_fn():
    w = mtf.Variable([2.0, 3.0], name="w")
    captured = {}

    @mtf.custom_gradient
    def scale_by_w(x):
        def grad(g, variables=None):
            captured["variables"] = variables
            return g * w, [g * x * 10]   # deliberately not the true gradient
        return x * w, grad

    x = mtf.constant([1.0, 5.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = scale_by_w(x)
    dx, dw = tape.gradient(y, [x, w])
    assert captured["variables"] == [w] and captured["variables"][0] is w
    np.testing.assert_array_equal(dx.numpy(), [2.0, 3.0])
    np.testing.assert_array_equal(dw.numpy(), [10.0, 50.0])


def test_reading_variables_without_a_variables_parameter_raises():
    w = mtf.Variable(2.0, name="weights")

    @mtf.custom_gradient
    def uses_w(x):
        return x * w, lambda g: g * w

    with pytest.raises(TypeError, match=r"uses_w.*weights:0.*variables"):
        uses_w(mtf.constant(1.0))


def test_variable_arguments_are_inputs_not_captured_variables():
    v = mtf.Variable(3.0)

    @mtf.custom_gradient
    def cube(x):
        return x * x * x, lambda g: g * 3 * x * x

    with mtf.GradientTape() as tape:
        y = cube(v)
    assert float(tape.gradient(y, v)) == 27.0


def test_several_outputs_get_one_upstream_each():
    @mtf.custom_gradient
    def both(x):
        def grad(g_sin, g_cos):
            return g_sin * mtf.cos(x) - g_cos * mtf.sin(x)
        return (mtf.sin(x), mtf.cos(x)), grad

    x = mtf.constant(0.7, dtype=mtf.float64)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s, c = both(x)
        total = 2 * s + 3 * c
    np.testing.assert_allclose(float(tape.gradient(total, x)),
                               2 * np.cos(0.7) - 3 * np.sin(0.7), rtol=1e-12)
    np.testing.assert_allclose(float(tape.gradient(c, x)), -np.sin(0.7), rtol=1e-12)


def test_keyword_arguments_pass_through_and_parentheses_form():
    @mtf.custom_gradient()
    def power(x, exponent=2.0):
        return x ** exponent, lambda g: g * exponent * x ** (exponent - 1)

    x = mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = power(x, exponent=3.0)
    assert float(y) == 8.0 and float(tape.gradient(y, x)) == 12.0


def test_runs_without_any_tape():
    np.testing.assert_allclose(log1pexp(mtf.constant(0.0)).numpy(), np.log(2.0), rtol=1e-6)


def test_wrong_number_of_gradients_raises():
    @mtf.custom_gradient
    def add(x, y):
        return x + y, lambda g: g

    x, y = mtf.constant(1.0), mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch([x, y])
        z = add(x, y)
    with pytest.raises(ValueError, match="add: grad_fn returned 1 gradients for 2 inputs"):
        tape.gradient(z, [x, y])


def test_wrong_gradient_shape_raises():
    @mtf.custom_gradient
    def total(x):
        return mtf.reduce_sum(x), lambda g: g

    x = mtf.constant([1.0, 2.0, 3.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = total(x)
    with pytest.raises(ValueError, match=r"total.*shape \(\).*input 0 of shape \(3,\)"):
        tape.gradient(y, x)


def test_wrong_variable_gradient_count_raises():
    w = mtf.Variable(1.0)

    @mtf.custom_gradient
    def f(x):
        return x * w, lambda g, variables: (g * w, [])

    x = mtf.constant(1.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    with pytest.raises(ValueError, match="0 variable gradients for 1 variables"):
        tape.gradient(y, x)


def test_wrong_gradient_dtype_raises():
    @mtf.custom_gradient
    def double(x):
        return x * 2, lambda g: mtf.cast(g, mtf.float64) * 2

    x = mtf.constant([1.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = double(x)
    with pytest.raises(TypeError, match="double.*float64 gradient for input 0 of dtype float32"):
        tape.gradient(y, x)


def test_function_must_return_value_and_grad_fn():
    @mtf.custom_gradient
    def forgot(x):
        return x * 2

    with pytest.raises(TypeError, match=r"forgot: the function must return \(y, grad_fn\)"):
        forgot(mtf.constant(1.0))


@mtf.custom_gradient
def sigmoid_from_output(x):
    """sigmoid whose grad_fn closes over the output y (TF's documented pattern)."""
    y = 1 / (1 + mtf.exp(-x))
    return y, lambda g: g * y * (1 - y)


def second_derivative_nested(f, point, dtype=mtf.float64, **gradient_kwargs):
    """d2f/dx2 at ``point`` with two nested tapes."""
    x = mtf.constant(point, dtype=dtype)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        dy = inner.gradient(y, x)
    return outer.gradient(dy, x, **gradient_kwargs)


def sigmoid_second_np(v):
    s = sigmoid_np(v)
    return s * (1 - s) * (1 - 2 * s)


def test_second_derivative_through_values_grad_fn_closes_over_as_tf():
    d2 = second_derivative_nested(sigmoid_from_output, 0.3, dtype=mtf.float32)
    np.testing.assert_allclose(float(d2), -0.036396, rtol=1e-4)   # TF's value
    zero_mode = second_derivative_nested(sigmoid_from_output, 0.3,
                                         unconnected_gradients="zero")
    np.testing.assert_allclose(float(zero_mode), sigmoid_second_np(0.3), rtol=1e-12)


@pytest.mark.parametrize("point", [-2.5, -0.4, 0.0, 0.3, 1.7])
def test_second_derivative_matches_closed_form_and_finite_differences(point):
    d2 = float(second_derivative_nested(sigmoid_from_output, point))
    np.testing.assert_allclose(d2, sigmoid_second_np(point), rtol=1e-10, atol=1e-14)

    def first(v):
        x = mtf.constant(v, dtype=mtf.float64)
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = sigmoid_from_output(x)
        return float(tape.gradient(y, x))
    h = 1e-5
    np.testing.assert_allclose(d2, (first(point + h) - first(point - h)) / (2 * h),
                               rtol=1e-6, atol=1e-9)


def test_hessian_with_jacobian_and_third_order():
    value = np.array([-1.2, 0.1, 0.8])
    x = mtf.constant(value, dtype=mtf.float64)
    with mtf.GradientTape() as t3:
        t3.watch(x)
        with mtf.GradientTape() as t2:
            t2.watch(x)
            with mtf.GradientTape() as t1:
                t1.watch(x)
                y = mtf.reduce_sum(sigmoid_from_output(x))
            g = t1.gradient(y, x)
        hessian = t2.jacobian(g, x)
        diag = mtf.reduce_sum(hessian, axis=1)
    third = t3.gradient(diag, x)
    s = sigmoid_np(value)
    np.testing.assert_allclose(hessian.numpy(), np.diag(sigmoid_second_np(value)),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(third.numpy(), s * (1 - s) * (1 - 6 * s + 6 * s * s),
                               rtol=1e-10)


def test_second_derivative_with_one_persistent_tape():
    x = mtf.constant(0.6, dtype=mtf.float64)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = sigmoid_from_output(x)
        with pytest.warns(UserWarning, match="inside the `with` block"):
            dy = tape.gradient(y, x)
    np.testing.assert_allclose(float(tape.gradient(dy, x)), sigmoid_second_np(0.6),
                               rtol=1e-12)


def test_mixed_second_derivative_through_a_captured_variable():
    w = mtf.Variable(0.8, dtype=mtf.float64)

    @mtf.custom_gradient
    def scaled_sigmoid(x):
        s = mtf.sigmoid(x * w)

        def grad(g, variables):
            local = g * s * (1 - s)
            return local * w, [local * x]
        return s, grad

    x = mtf.constant(0.5, dtype=mtf.float64)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = scaled_sigmoid(x)
        dx = inner.gradient(y, x)
    dxdw = float(outer.gradient(dx, w))
    s = sigmoid_np(0.4)
    # d/dw [s'(xw) w] = s''(xw) x w + s'(xw)
    np.testing.assert_allclose(dxdw, sigmoid_second_np(0.4) * 0.4 + s * (1 - s),
                               rtol=1e-12)


def test_several_outputs_call_grad_fn_once_per_backward_pass():
    calls = []

    @mtf.custom_gradient
    def polar(x):
        def grad(g_sin, g_cos):
            calls.append((float(g_sin), float(g_cos)))
            return g_sin * mtf.cos(x) - g_cos * mtf.sin(x)
        return (mtf.sin(x), mtf.cos(x)), grad

    x = mtf.constant(0.7, dtype=mtf.float64)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        s, c = polar(x)
        total = 2 * s + 3 * c
    np.testing.assert_allclose(float(tape.gradient(total, x)),
                               2 * np.cos(0.7) - 3 * np.sin(0.7), rtol=1e-12)
    assert calls == [(2.0, 3.0)]
    np.testing.assert_allclose(float(tape.gradient(s, x)), np.cos(0.7), rtol=1e-12)
    assert calls[1:] == [(1.0, 0.0)]    # the unused output's upstream is zero (TF)
    ds, dc = tape.gradient(total, [s, c])        # outputs as sources keep theirs
    assert (float(ds), float(dc)) == (2.0, 3.0)


def test_second_derivative_of_several_outputs():
    @mtf.custom_gradient
    def polar(x):
        s, c = mtf.sin(x), mtf.cos(x)
        return (s, c), lambda gs, gc: gs * c - gc * s

    x = mtf.constant(0.4, dtype=mtf.float64)
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            s, c = polar(x)
            y = s * c                    # sin(2x) / 2
        dy = inner.gradient(y, x)
    np.testing.assert_allclose(float(dy), np.cos(0.8), rtol=1e-12)
    np.testing.assert_allclose(float(outer.gradient(dy, x)), -2 * np.sin(0.8), rtol=1e-12)
