"""Warnings a student meets on the tape: what went wrong and the fix, as TensorFlow warns."""
import warnings

import numpy as np
import pytest

import minitf as mtf


@pytest.mark.parametrize("value, dtype", [(mtf.constant(3), "int32"),
                                          (mtf.constant([1, 2], dtype=mtf.int64), "int64"),
                                          (mtf.constant(True), "bool")])
def test_watching_an_integer_or_bool_tensor_warns_with_the_fix(value, dtype):
    with mtf.GradientTape() as tape:
        with pytest.warns(UserWarning, match=rf"watched value has dtype {dtype}, which has "
                                             rf"no gradient.*mtf.cast\(x, mtf.float32\)"):
            tape.watch(value)
        y = mtf.cast(value, mtf.float32) * 2.0
    assert tape.gradient(y, value) is None          # what the warning announced


def test_the_warning_points_at_the_users_line():
    with mtf.GradientTape() as tape:
        with pytest.warns(UserWarning) as record:
            tape.watch([mtf.constant(1.0), mtf.constant(2)])     # one float, one int
    assert len(record) == 1 and record[0].filename == __file__


def test_floating_values_and_auto_watched_variables_do_not_warn():
    counter = mtf.Variable(0, name="counter")      # an int Variable read by an op
    x = mtf.constant(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = x * mtf.cast(counter + 1, mtf.float32)
        assert float(tape.gradient(y, x)) == 1.0


def test_gradient_inside_a_persistent_tapes_block_warns_with_the_fix():
    x = mtf.constant(3.0)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        with pytest.warns(UserWarning, match=r"GradientTape.gradient was called inside "
                                              r"the `with` block.*records the backward "
                                              r"pass.*after the `with` block.*"
                                              r"stop_recording"):
            dy = tape.gradient(y, x)
    assert float(dy) == 6.0
    # TensorFlow warns even when the recorded backward pass is then used (higher order)
    assert float(tape.gradient(dy, x)) == 2.0


def test_no_warning_outside_the_block_under_stop_recording_or_when_not_persistent():
    x = mtf.constant(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with mtf.GradientTape(persistent=True) as tape:
            tape.watch(x)
            y = x * x
            with tape.stop_recording():
                assert float(tape.gradient(y, x)) == 6.0
        assert float(tape.gradient(y, x)) == 6.0
        with mtf.GradientTape() as once:        # non-persistent: it stops recording
            once.watch(x)
            z = x * x
            assert float(once.gradient(z, x)) == 6.0
        with mtf.GradientTape() as outer:       # nested tapes: the usual second derivative
            outer.watch(x)
            with mtf.GradientTape() as inner:
                inner.watch(x)
                z = x * x * x
            dz = inner.gradient(z, x)
        assert float(outer.gradient(dz, x)) == 18.0


def test_gradient_after_an_optimizer_step_says_what_happened():
    w = mtf.Variable([1.0, 2.0], name="w")
    with mtf.GradientTape(persistent=True) as tape:
        loss = mtf.reduce_sum(w * w)
    grads = tape.gradient(loss, [w])
    mtf.optimizers.SGD(0.1).apply_gradients(zip(grads, [w]))
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    with pytest.raises(RuntimeError, match=r"'w:0' was modified in place \(assign, or an "
                                           r"optimizer step\).*before GradientTape.gradient"
                                           r"\(\) used.*before optimizer.apply_gradients"):
        tape.gradient(loss, [w])
