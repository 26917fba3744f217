"""Clipping, weight decay, EMA, gradient accumulation against numpy references,
and apply_gradients == apply_updates(get_updates(...)) to the last bit."""
import numpy as np
import pytest

import minitf as mtf
from optimizer_cases import BIT_CASES
from optimizer_references import adam_rule

O = mtf.optimizers


def _both_ways(make, dtype, shape=(3, 4), steps=6, sparse=False):
    rng = np.random.default_rng(5)
    p0 = rng.normal(size=shape).astype(dtype)
    grads = rng.normal(size=(steps,) + shape).astype(dtype)
    direct, staged = mtf.Variable(p0), mtf.Variable(p0)
    opt_direct, opt_staged = make(), make()
    for g in grads:
        if sparse:
            g = mtf.IndexedSlices(mtf.constant(g[:2]), mtf.constant([2, 0]), shape)
        opt_direct.apply_gradients([(g, direct)])
        updates = opt_staged.get_updates([(g, staged)])
        opt_staged.apply_updates(updates)
    assert direct.numpy().tobytes() == staged.numpy().tobytes()
    for a, b in zip(opt_direct.get_weights(), opt_staged.get_weights()):
        assert a.tobytes() == b.tobytes()
    assert not np.array_equal(direct.numpy(), p0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("name", sorted(BIT_CASES))
def test_apply_gradients_equals_apply_updates_of_get_updates(name, dtype):
    _both_ways(BIT_CASES[name], dtype)


@pytest.mark.parametrize("name", ["adam-ema-overwrite", "custom", "lion-ema-accumulation"])
def test_bit_identity_with_sparse_gradients(name):
    _both_ways(BIT_CASES[name], np.float32, shape=(4, 3), sparse=True)


def test_bit_identity_on_a_large_variable_uses_threads():
    _both_ways(lambda: O.Adam(0.01, weight_decay=0.1), np.float32, shape=(300, 300),
               steps=3)


# ---- clipping

def _sgd_step_with(grads, **clip):
    """Variables after one SGD(1.0) step: p - processed gradient."""
    variables = [mtf.Variable(np.zeros_like(g)) for g in grads]
    O.SGD(1.0, **clip).apply_gradients(zip(grads, variables))
    return [-v.numpy() for v in variables]


def test_clipnorm_scales_each_gradient_to_at_most_the_norm():
    grads = [np.array([3.0, 4.0]), np.array([0.3, 0.4]), np.zeros(2)]
    clipped = _sgd_step_with(grads, clipnorm=1.0)
    np.testing.assert_allclose(clipped[0], [0.6, 0.8], rtol=1e-12)
    np.testing.assert_array_equal(clipped[1], grads[1])
    np.testing.assert_array_equal(clipped[2], grads[2])


def test_global_clipnorm_scales_all_gradients_together():
    grads = [np.array([3.0, 0.0]), np.array([[0.0], [4.0]])]
    clipped = _sgd_step_with(grads, global_clipnorm=2.5)     # global norm 5 -> halve
    np.testing.assert_allclose(clipped[0], [1.5, 0.0], rtol=1e-12)
    np.testing.assert_allclose(clipped[1], [[0.0], [2.0]], rtol=1e-12)
    unchanged = _sgd_step_with(grads, global_clipnorm=6.0)
    np.testing.assert_array_equal(unchanged[1], grads[1])
    poisoned = _sgd_step_with([np.array([np.inf, 1.0]), np.array([1.0])], global_clipnorm=1.0)
    assert np.isnan(poisoned[1]).all()       # Keras: a non-finite norm gives NaN


def test_clipvalue_clips_elementwise():
    clipped = _sgd_step_with([np.array([-3.0, 0.2, 7.0])], clipvalue=0.5)
    np.testing.assert_array_equal(clipped[0], [-0.5, 0.2, 0.5])


def test_clipping_applies_to_densified_sparse_gradients():
    v = mtf.Variable(np.zeros((3, 2)))
    g = mtf.IndexedSlices(mtf.constant([[3.0, 0.0], [1.0, 0.0]], mtf.float64),
                          mtf.constant([1, 1]), (3, 2))
    O.SGD(1.0, clipnorm=2.0).apply_gradients([(g, v)])      # dense row 1 = [4, 0]
    np.testing.assert_allclose(v.numpy(), [[0, 0], [-2.0, 0], [0, 0]])


# ---- weight decay

def test_decoupled_weight_decay_uses_the_current_learning_rate():
    schedule = O.schedules.ExponentialDecay(0.5, decay_steps=1, decay_rate=0.5)
    v = mtf.Variable(np.array([2.0, -4.0]))
    opt = O.SGD(schedule, weight_decay=0.1)
    p = v.numpy()
    for step in range(4):
        g = np.array([1.0, 1.0]) * step
        opt.apply_gradients([(g, v)])
        lr = 0.5 * 0.5 ** step
        p = (p - p * 0.1 * lr) - lr * g        # Keras: decay first, then the update
        np.testing.assert_allclose(v.numpy(), p, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_with_weight_decay_is_adamw(dtype):
    rng = np.random.default_rng(3)
    p0, grads = rng.normal(size=5).astype(dtype), rng.normal(size=(15, 5)).astype(dtype)
    v = mtf.Variable(p0)
    opt = O.Adam(0.01, weight_decay=0.2)
    step, expected = adam_rule(dtype, learning_rate=0.01, weight_decay=0.2), p0
    for g in grads:
        opt.apply_gradients([(g, v)])
        expected = step(expected, g)
    np.testing.assert_allclose(v.numpy(), expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


# ---- EMA

def test_ema_follows_keras_3():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(9, 3))
    v = mtf.Variable(np.zeros(3))
    opt = O.SGD(0.1, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=4)
    p, average = np.zeros(3), None
    for step, g in enumerate(grads):
        opt.apply_gradients([(g, v)])
        p = p - 0.1 * g
        average = p.copy() if step == 0 else 0.8 * average + 0.2 * p
        if (step + 1) % 4 == 0:
            p = average.copy()
        np.testing.assert_allclose(v.numpy(), p, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(opt.get_slot(v, "average").numpy(), average, rtol=1e-13)
    opt.finalize_variable_values([v])
    np.testing.assert_array_equal(v.numpy(), opt.get_slot(v, "average").numpy())


def test_ema_average_of_a_variable_seen_late_starts_from_its_value():
    a, late = mtf.Variable([1.0]), mtf.Variable([10.0])
    opt = O.SGD(1.0, use_ema=True, ema_momentum=0.5)
    opt.apply_gradients([([0.0], a)])
    opt.apply_gradients([([2.0], late)])       # late: 10 -> 8, average 0.5*10 + 0.5*8
    assert opt.get_slot(late, "average").numpy()[0] == 9.0


# ---- gradient accumulation

class Recorder(O.schedules.LearningRateSchedule):
    def __init__(self, rate):
        self.rate, self.steps = rate, []

    def __call__(self, step):
        self.steps.append(step)
        return self.rate


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradient_accumulation_applies_the_mean_every_k_calls(dtype):
    rng = np.random.default_rng(2)
    p0, grads = rng.normal(size=4).astype(dtype), rng.normal(size=(9, 4)).astype(dtype)
    v = mtf.Variable(p0)
    schedule = Recorder(0.05)
    opt = O.Adam(schedule, gradient_accumulation_steps=3)
    rule, expected = adam_rule(dtype, learning_rate=0.05), p0
    for call, g in enumerate(grads):
        opt.apply_gradients([(g, v)])
        if call % 3 == 2:
            expected = rule(expected, grads[call - 2:call + 1].mean(axis=0))
        np.testing.assert_allclose(v.numpy(), expected,
                                   rtol=1e-5 if dtype == np.float32 else 1e-12)
        assert int(opt.iterations) == (call + 1) // 3
    assert schedule.steps == [2, 5, 8]         # schedules count every call (Keras)
    assert not opt.get_slot(v, "gradient_accumulator").numpy().any()


def test_accumulation_updates_every_variable_touched_in_the_cycle():
    a, b = mtf.Variable([0.0]), mtf.Variable([0.0])
    opt = O.SGD(1.0, gradient_accumulation_steps=2)
    opt.apply_gradients([([4.0], a), ([2.0], b)])
    assert a.numpy()[0] == 0.0
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([([2.0], a), (None, b)])
    assert a.numpy()[0] == -3.0 and b.numpy()[0] == -1.0


def test_accumulation_of_sparse_gradients():
    v = mtf.Variable(np.zeros((3, 1)))
    opt = O.SGD(1.0, gradient_accumulation_steps=2)
    for idx in ([0, 0], [2, 0]):
        g = mtf.IndexedSlices(mtf.constant([[1.0], [1.0]], mtf.float64), mtf.constant(idx),
                              (3, 1))
        opt.apply_gradients([(g, v)])
    np.testing.assert_array_equal(v.numpy(), [[-1.5], [0.0], [-0.5]])


def test_float16_variables_keep_float16_slots_and_track_float32():
    p0 = np.array([0.5, -1.0, 2.0])
    half, single = mtf.Variable(p0.astype(np.float16)), mtf.Variable(p0.astype(np.float32))
    opt_half, opt_single = O.Adam(0.01), O.Adam(0.01)
    for step in range(5):
        g = np.array([1.0, -0.5, 0.25]) * (step + 1)
        opt_half.apply_gradients([(g.astype(np.float16), half)])
        opt_single.apply_gradients([(g.astype(np.float32), single)])
    assert half.dtype == np.float16 and opt_half.get_slot(half, "momentum").dtype == np.float16
    np.testing.assert_allclose(half.numpy(), single.numpy(), rtol=2e-3)
