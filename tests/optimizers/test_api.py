"""The Optimizer API: compute/apply, update-level access, errors, learning rate."""
import numpy as np
import pytest

import minitf as mtf

O = mtf.optimizers


def test_tf1_to_tf2_migration_example():
    var0 = mtf.Variable([1.0, 2.0])
    var1 = mtf.Variable([3.0, 4.0])
    cost = lambda: 5 * var0 + 3 * var1  # noqa: E731
    O.SGD(3.0).minimize(cost, [var0, var1])
    np.testing.assert_array_equal(var0.numpy(), [-14.0, -13.0])
    np.testing.assert_array_equal(var1.numpy(), [-6.0, -5.0])


def test_processing_gradients_between_compute_and_apply():
    w = mtf.Variable([1.0, -2.0, 3.0])
    opt = O.SGD(0.5)
    grads_and_vars = opt.compute_gradients(lambda: mtf.reduce_sum(w * w * w), [w])
    (g, var), = grads_and_vars
    assert var is w
    np.testing.assert_allclose(g.numpy(), 3 * np.array([1.0, 4.0, 9.0]))   # d/dw w^3
    capped = [(mtf.clip_by_value(g, -5.0, 5.0), v) for g, v in grads_and_vars]
    opt.apply_gradients(capped)
    np.testing.assert_allclose(w.numpy(), [1 - 0.5 * 3, -2 - 0.5 * 5, 3 - 0.5 * 5])


def test_compute_gradients_with_a_tensor_loss_and_its_tape():
    w = mtf.Variable([2.0, 3.0])
    frozen = mtf.Variable([1.0, 1.0], trainable=False)
    with mtf.GradientTape() as tape:
        tape.watch(frozen)
        loss = mtf.reduce_sum(w * w * frozen)
    opt = O.SGD(0.1)
    (gw, _), (gf, _) = opt.compute_gradients(loss, [w, frozen], tape=tape)
    np.testing.assert_allclose(gw.numpy(), [4.0, 6.0])
    np.testing.assert_allclose(gf.numpy(), [4.0, 9.0])


def test_compute_gradients_watches_non_trainable_variables_and_takes_grad_loss():
    frozen = mtf.Variable([1.0, 2.0], trainable=False)
    opt = O.SGD(1.0)
    (g, _), = opt.compute_gradients(lambda: frozen * frozen, [frozen],
                                    grad_loss=mtf.constant([1.0, 10.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, 40.0])


def test_compute_gradients_var_list_may_be_a_callable():
    made = []

    def loss():
        if not made:
            made.append(mtf.Variable([3.0]))
        return made[0] * made[0]
    (g, v), = O.SGD().compute_gradients(loss, lambda: made)
    assert v is made[0]
    np.testing.assert_allclose(g.numpy(), [6.0])


def test_get_updates_masking_then_apply_updates():
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(4, 3)).astype(np.float32)
    grads = rng.normal(size=(3, 4, 3)).astype(np.float32)
    mask = (rng.random((4, 3)) > 0.5).astype(np.float32)
    full, masked = mtf.Variable(p0), mtf.Variable(p0)
    opt_full, opt_masked = O.Adam(0.1), O.Adam(0.1)
    for g in grads:
        before_full = full.numpy()
        opt_full.apply_gradients([(g, full)])
        (update, var), = opt_masked.get_updates([(g, masked)])
        assert var is masked
        unchanged = masked.numpy()
        opt_masked.apply_updates([(update * mask, masked)])
        step_full = full.numpy() - before_full
        np.testing.assert_array_equal(masked.numpy()[mask == 0], unchanged[mask == 0])
        np.testing.assert_allclose(masked.numpy() - unchanged, step_full * mask,
                                   rtol=1e-6, atol=1e-7)
    assert int(opt_masked.iterations) == 3


def test_get_updates_does_not_touch_variables():
    v = mtf.Variable([1.0, 2.0])
    opt = O.Adam(0.1, use_ema=True, weight_decay=0.1)
    updates = opt.get_updates([(mtf.constant([1.0, 1.0]), v)])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert v._version == 0
    assert int(opt.iterations) == 1
    assert updates[0][0].shape == (2,) and updates[0][1] is v


# ---- errors

def test_all_none_gradients_raise():
    v = mtf.Variable([1.0])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        O.SGD().apply_gradients([(None, v)])


def test_none_gradients_are_skipped_with_a_warning():
    a, b = mtf.Variable([1.0]), mtf.Variable([5.0])
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        O.SGD(1.0).apply_gradients([(None, a), (mtf.constant([2.0]), b)])
    assert a.numpy()[0] == 1.0 and b.numpy()[0] == 3.0


def test_non_variable_raises_type_error():
    with pytest.raises(TypeError, match="not a mtf.Variable"):
        O.SGD().apply_gradients([(mtf.constant([1.0]), mtf.constant([1.0]))])
    with pytest.raises(TypeError, match="not a mtf.Variable"):
        O.SGD().apply_gradients([(None, np.zeros(2))])


def test_shape_mismatch_raises_before_anything_is_updated():
    a, b = mtf.Variable([1.0, 2.0]), mtf.Variable([3.0, 4.0])
    opt = O.Adam(0.1, use_ema=True)
    with pytest.raises(ValueError, match=r"gradient shape \(3,\).*shape \(2,\)"):
        opt.apply_gradients([(mtf.constant([1.0, 1.0]), a),
                             (mtf.constant([1.0, 1.0, 1.0]), b)])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    assert int(opt.iterations) == 0 and len(opt.variables) == 2     # iterations, learning_rate


def test_two_clip_options_raise():
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue`"):
        O.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="only one of"):
        O.Adam(global_clipnorm=1.0, clipnorm=2.0)


@pytest.mark.parametrize("bad", [-0.1, float("nan")])
@pytest.mark.parametrize("cls, name", [
    (O.SGD, "learning_rate"), (O.SGD, "momentum"), (O.RMSprop, "rho"),
    (O.RMSprop, "epsilon"), (O.Adagrad, "initial_accumulator_value"),
    (O.Adadelta, "rho"), (O.Adam, "beta_1"), (O.Adam, "beta_2"), (O.Adam, "epsilon"),
    (O.AdamW, "weight_decay"), (O.Adamax, "beta_2"), (O.Nadam, "epsilon"),
    (O.Ftrl, "l1_regularization_strength"), (O.Ftrl, "beta"), (O.Lion, "beta_1"),
    (O.Adam, "clipnorm"), (O.Adam, "ema_momentum"), (O.SGD, "weight_decay")])
def test_negative_or_nan_hyperparameters_raise(cls, name, bad):
    with pytest.raises(ValueError, match=f"`{name}`.*Received: {name}=(-0.1|nan)"):
        cls(**{name: bad})


def test_other_invalid_options_raise():
    with pytest.raises(ValueError, match="learning_rate_power"):
        O.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        O.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="ema_overwrite_frequency"):
        O.SGD(use_ema=True, ema_overwrite_frequency=0)
    with pytest.raises(ValueError, match="beta_1"):
        O.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        O.AdamW(weight_decay=None)
    with pytest.raises(TypeError, match="learning_rate"):
        O.SGD("fast")
    with pytest.raises(TypeError, match="unexpected keyword"):
        O.Adam(beta_3=0.5)


def test_other_bad_inputs_raise():
    v = mtf.Variable([1.0, 2.0])
    opt = O.SGD()
    with pytest.raises(ValueError, match="appears twice"):
        opt.apply_gradients([([1.0, 1.0], v), ([1.0, 1.0], v)])
    with pytest.raises(TypeError, match="not a \\(gradient, variable\\) pair"):
        opt.apply_gradients([v])
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        opt.apply([[1.0, 1.0], [1.0, 1.0]], [v])
    with pytest.raises(TypeError, match="only floating-point variables"):
        opt.apply_gradients([([1, 1], mtf.Variable([1, 2]))])
    with pytest.raises(TypeError, match="must be numeric"):
        opt.apply_gradients([(["a", "b"], v)])
    with pytest.raises(IndexError, match=r"indices must be in \[0, 2\)"):
        opt.apply_gradients([(mtf.IndexedSlices(mtf.constant([1.0]), mtf.constant([2]),
                                                (2,)), v)])
    with pytest.raises(ValueError, match="`tape` is required"):
        opt.compute_gradients(mtf.constant(1.0), [v])
    with pytest.raises(ValueError, match="update of shape"):
        opt.apply_updates([(np.zeros(3, np.float32), v)])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


# ---- learning rate and iterations

def test_learning_rate_is_settable_and_schedules_are_not():
    v = mtf.Variable([0.0])
    opt = O.SGD(1.0)
    opt.learning_rate = 0.25
    opt.apply_gradients([([1.0], v)])
    assert v.numpy()[0] == -0.25 and opt.learning_rate == 0.25
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1.0
    scheduled = O.SGD(O.schedules.ExponentialDecay(1.0, 1, 0.5))
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        scheduled.learning_rate = 0.1
    scheduled.learning_rate = O.schedules.ExponentialDecay(2.0, 1, 0.5)
    assert scheduled.learning_rate == 2.0


def test_schedule_and_callable_learning_rates():
    v = mtf.Variable([0.0])
    opt = O.SGD(O.schedules.PiecewiseConstantDecay([1], [1.0, 0.1]))
    for _ in range(3):               # steps 0, 1, 2 -> 1.0, 1.0, 0.1
        opt.apply_gradients([([1.0], v)])
    np.testing.assert_allclose(v.numpy(), [-2.1], rtol=1e-6)
    rate = {"lr": 0.5}
    w = mtf.Variable([0.0])
    opt = O.SGD(lambda: rate["lr"])
    opt.apply_gradients([([1.0], w)])
    rate["lr"] = 2.0
    opt.apply_gradients([([1.0], w)])
    assert w.numpy()[0] == -2.5
    rate["lr"] = float("nan")
    with pytest.raises(ValueError, match="learning rate must be a number >= 0"):
        opt.apply_gradients([([1.0], w)])
    assert w.numpy()[0] == -2.5 and int(opt.iterations) == 2


def test_iterations_is_a_non_trainable_int64_variable():
    opt = O.Adam()
    assert isinstance(opt.iterations, mtf.Variable)
    assert opt.iterations.dtype == np.int64 and not opt.iterations.trainable
    v = mtf.Variable([1.0])
    for _ in range(4):
        opt.apply([[1.0]], [v])
    assert int(opt.iterations) == 4


def test_updates_bump_versions_so_the_tape_catches_in_place_changes():
    v = mtf.Variable([1.0, 2.0])
    with mtf.GradientTape() as tape:
        y = mtf.reduce_sum(v * v)
    O.SGD(0.1).apply_gradients([([1.0, 1.0], v)])
    with pytest.raises(RuntimeError, match="modified in place"):
        tape.gradient(y, v)


def test_apply_gradients_returns_iterations_and_accepts_the_variable_as_gradient():
    v = mtf.Variable(np.arange(4.0))
    opt = O.Adam(0.5)
    assert opt.apply_gradients([(v, v)]) is opt.iterations
    # first Adam step: m_hat = g, v_hat = g^2, eps' = eps / sqrt(1 - beta_2); g = v
    g = np.arange(4.0)
    np.testing.assert_allclose(v.numpy(), g - 0.5 * g / (np.abs(g) + 1e-7 / np.sqrt(0.001)),
                               rtol=1e-12)


def test_apply_updates_and_set_weights_take_big_endian_arrays():
    """Arrays from np.frombuffer/FITS/network data are big-endian: same values, native result."""
    v = mtf.Variable(np.zeros(3, np.float32))
    opt = mtf.optimizers.SGD(0.5, momentum=0.9)
    opt.apply_updates([(np.arange(3, dtype=">f4"), v)])
    np.testing.assert_array_equal(v.numpy(), [0.0, 1.0, 2.0])
    opt.apply_gradients([(np.ones(3, np.float32), v)])
    weights = opt.get_weights()
    swapped = [w.astype(w.dtype.newbyteorder(">")) for w in weights]
    for w in opt.variables:
        w.assign(np.zeros(w.shape, w.dtype))
    opt.set_weights(swapped)
    for got, want in zip(opt.get_weights(), weights):
        assert got.dtype == want.dtype and got.dtype.isnative
        np.testing.assert_array_equal(got, want)
