"""mtf.layers.Linear against numpy and closed-form gradients."""
import numpy as np
import pytest

import minitf as mtf
from minitf import initializers


def test_output_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    layer = mtf.layers.Linear(5)
    y = layer(x)
    expected = x @ layer.w.numpy() + layer.b.numpy()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6, atol=1e-6)
    assert layer.w.shape == (3, 5) and layer.b.shape == (5,)


def test_batched_inputs_use_last_axis():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4))
    layer = mtf.layers.Linear(2)
    y = layer(x)
    np.testing.assert_allclose(y.numpy(), x @ layer.w.numpy() + layer.b.numpy(), rtol=1e-12)


def test_variables_created_lazily_in_name_scope():
    with mtf.name_scope("encoder"):
        layer = mtf.layers.Linear(2)
    assert layer.variables == ()
    assert layer.input_size is None
    with mtf.name_scope("elsewhere"):
        layer(np.ones((1, 3), np.float32))
    assert layer.input_size == 3
    assert layer.w.name == "encoder/linear/w:0"
    assert layer.b.name == "encoder/linear/b:0"
    assert layer.trainable_variables == (layer.b, layer.w)


def test_variables_take_the_input_dtype():
    layer = mtf.layers.Linear(2)
    layer(np.ones((1, 3), np.float64))
    assert layer.w.dtype == np.float64 and layer.b.dtype == np.float64


def test_default_w_init_is_truncated_normal_with_stddev_one_over_sqrt_fan_in():
    mtf.random.set_seed(0)
    layer = mtf.layers.Linear(500)
    layer(np.ones((1, 400), np.float32))
    w = layer.w.numpy()
    stddev = 1 / np.sqrt(400)
    # A unit normal truncated at +-2 has standard deviation 0.8796.
    assert abs(w.std() - 0.87962566 * stddev) < 0.02 * stddev
    assert abs(w.mean()) < 0.01 * stddev
    assert np.abs(w).max() <= 2 * stddev
    np.testing.assert_array_equal(layer.b.numpy(), np.zeros(500, np.float32))


def test_custom_initializers():
    layer = mtf.layers.Linear(2, w_init=initializers.Constant(0.5),
                              b_init=initializers.Constant(-1.0))
    y = layer(np.array([[1.0, 2.0, 3.0]], np.float32))
    np.testing.assert_allclose(y.numpy(), [[2.0, 2.0]])


def test_any_callable_initializer():
    layer = mtf.layers.Linear(2, w_init=lambda shape, dtype: np.full(shape, 2.0, dtype))
    y = layer(np.ones((1, 3), np.float32))
    np.testing.assert_allclose(y.numpy(), [[6.0, 6.0]])


def test_without_bias():
    layer = mtf.layers.Linear(2, with_bias=False, w_init=initializers.Ones())
    y = layer(np.array([[1.0, 2.0]], np.float32))
    np.testing.assert_allclose(y.numpy(), [[3.0, 3.0]])
    assert layer.variables == (layer.w,)
    assert not hasattr(layer, "b")


def test_b_init_without_bias_raises():
    with pytest.raises(ValueError, match="Linear: b_init was given but with_bias=False"):
        mtf.layers.Linear(2, with_bias=False, b_init=initializers.Zeros())


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True, None])
def test_bad_output_size_raises(bad):
    with pytest.raises(ValueError, match="Linear: output_size must be a positive int"):
        mtf.layers.Linear(bad)


def test_changed_input_size_raises():
    layer = mtf.layers.Linear(2)
    layer(np.ones((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"Linear: built for size 3 .*shape \(1, 4\)"):
        layer(np.ones((1, 4), np.float32))


def test_integer_inputs_raise_type_error():
    with pytest.raises(TypeError, match="Linear: inputs must be floating point.*int32"):
        mtf.layers.Linear(2)(mtf.constant([[1, 2]]))


def test_scalar_inputs_raise():
    with pytest.raises(ValueError, match=r"Linear: inputs must have rank >= 1.*\(\)"):
        mtf.layers.Linear(2)(mtf.constant(1.0))


def test_gradients_closed_form():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3))
    g = rng.standard_normal((4, 2))
    layer = mtf.layers.Linear(2)
    layer(x)
    with mtf.GradientTape() as tape:
        xt = mtf.constant(x)
        tape.watch(xt)
        loss = mtf.reduce_sum(layer(xt) * g)
    dx, dw, db = tape.gradient(loss, [xt, layer.w, layer.b])
    np.testing.assert_allclose(dw.numpy(), x.T @ g, rtol=1e-12)
    np.testing.assert_allclose(db.numpy(), g.sum(0), rtol=1e-12)
    np.testing.assert_allclose(dx.numpy(), g @ layer.w.numpy().T, rtol=1e-12)


def test_input_gradient_matches_finite_differences():
    layer = mtf.layers.Linear(3)
    x = np.random.default_rng(3).standard_normal((2, 4))
    layer(x)
    mtf.testing.check_gradients(lambda t: mtf.tanh(layer(t)), [x])


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_sequence_inputs_gradients_closed_form(dtype, tol):
    """[batch, time, features] inputs: w's gradient sums over batch and time."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5, 4)).astype(dtype)
    g = rng.standard_normal((3, 5, 2)).astype(dtype)
    layer = mtf.layers.Linear(2)
    layer(x)
    xt = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
    dx, dw, db = tape.gradient(y, [xt, layer.w, layer.b], output_gradients=g)
    w = layer.w.numpy().astype(np.float64)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    np.testing.assert_allclose(y.numpy(), x64 @ w + layer.b.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(dw.numpy(), np.einsum("bti,btj->ij", x64, g64), rtol=tol,
                               atol=tol)
    np.testing.assert_allclose(db.numpy(), g64.sum((0, 1)), rtol=tol, atol=tol)
    np.testing.assert_allclose(dx.numpy(), g64 @ w.T, rtol=tol, atol=tol)
    assert dx.dtype == dw.dtype == db.dtype == dtype


def test_sequence_inputs_second_order():
    layer = mtf.layers.Linear(3)
    x = np.random.default_rng(5).standard_normal((2, 3, 4))
    layer(x)

    def grad_of_input(t):
        with mtf.GradientTape() as tape:
            tape.watch(t)
            loss = mtf.reduce_sum(mtf.tanh(layer(t)) ** 2)
        return tape.gradient(loss, t)
    mtf.testing.check_gradients(grad_of_input, [x])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (1, 2, 2, 3), (0, 3)])
def test_linear_is_one_op_with_the_numbers_of_matmul_then_add(shape, dtype):
    """Linear runs x @ w + b as one op ("affine"): its value is matmul then add bit for
    bit, and its gradients (first and second order) are those of the two ops."""
    rng = np.random.default_rng(3)
    layer = mtf.layers.Linear(4, b_init=initializers.TruncatedNormal(seed=1))
    x = mtf.constant(rng.standard_normal(shape).astype(dtype))
    layer(x)
    direction = mtf.constant(rng.standard_normal(shape[:-1] + (4,)).astype(dtype))

    def both(fused):
        with mtf.GradientTape() as outer:
            outer.watch(x)
            with mtf.GradientTape() as inner:
                inner.watch(x)
                y = layer(x) if fused else mtf.matmul(x, layer.w) + layer.b
                loss = mtf.reduce_sum(mtf.tanh(y) * direction)
            grads = inner.gradient(loss, [x, layer.w, layer.b])
            second = mtf.reduce_sum(grads[0] * grads[0]) + mtf.reduce_sum(grads[1] ** 2)
        return y, grads, outer.gradient(second, [x, layer.w, layer.b])

    with mtf.GradientTape() as tape:
        layer(x)
    assert [node[0] for node in tape._nodes] == ["affine"]
    (y, g1, g2), (y_ref, g1_ref, g2_ref) = both(True), both(False)
    np.testing.assert_array_equal(y.numpy(), y_ref.numpy())
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for got, want in zip(g1 + g2, g1_ref + g2_ref):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=tol, atol=tol)


def test_linear_affine_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    layer = mtf.layers.Linear(3, b_init=initializers.TruncatedNormal(seed=2))
    x = mtf.constant(rng.standard_normal((2, 3, 5)))
    layer(x)
    mtf.testing.check_gradients(lambda t, w, b: mtf.tanh(layer(t)), [x, layer.w, layer.b])
