"""Keras 3's learning rate (an optimizer Variable), default names and ``get(None)``."""
import numpy as np
import pytest

import minitf as mtf

O = mtf.optimizers


def test_learning_rate_is_a_float64_variable_listed_after_iterations():
    opt = O.Adam(0.01)
    lr = opt.learning_rate
    assert isinstance(lr, mtf.Variable) and lr.name == "adam/learning_rate:0"
    assert lr.dtype == np.float64 and not lr.trainable and float(lr) == 0.01
    assert opt.variables == [opt.iterations, lr]
    assert opt.get_weights()[1] == 0.01


def test_assigning_the_learning_rate_variable_changes_the_next_step():
    v = mtf.Variable(np.array([1.0, 1.0]))
    opt = O.SGD(0.5)
    opt.apply_gradients([([1.0, 2.0], v)])          # 1 - 0.5 * [1, 2]
    opt.learning_rate.assign(0.25)
    opt.apply_gradients([([1.0, 2.0], v)])          # then - 0.25 * [1, 2]
    np.testing.assert_array_equal(v.numpy(), [1 - 0.5 - 0.25, 1 - 1.0 - 0.5])
    opt.learning_rate = 0.125                       # the setter assigns into the same Variable
    assert opt.variables[1] is opt.learning_rate and float(opt.learning_rate) == 0.125
    assert opt.get_config()["learning_rate"] == 0.125


def test_a_negative_learning_rate_assigned_to_the_variable_fails_at_the_step():
    v = mtf.Variable([1.0])
    opt = O.SGD(0.1)
    opt.learning_rate.assign(-1.0)
    with pytest.raises(ValueError, match=r"SGD: the learning rate must be a number >= 0; "
                                         r"the learning_rate Variable gave -1\.0"):
        opt.apply_gradients([([1.0], v)])
    assert v.numpy()[0] == 1.0 and int(opt.iterations) == 0


def test_schedules_have_no_variable_and_replacing_the_rate_untracks_it():
    schedule = O.schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    scheduled = O.SGD(schedule)
    assert scheduled.variables == [scheduled.iterations]
    assert scheduled.learning_rate == 1.0                 # the schedule at step 0
    opt = O.SGD(0.1)
    opt.learning_rate = schedule                          # Keras: the Variable is untracked
    assert opt.variables == [opt.iterations] and opt.learning_rate == 1.0
    opt = O.SGD(lambda: 0.3)
    opt.learning_rate = 0.2                               # a number makes a Variable again
    assert opt.variables[1] is opt.learning_rate and float(opt.learning_rate) == 0.2


def test_learning_rate_is_checkpointed_under_the_optimizer(tmp_path):
    opt = O.SGD(0.1)
    opt.learning_rate.assign(0.03)
    path = mtf.train.Checkpoint(optimizer=opt).write(str(tmp_path / "c"))
    assert dict(mtf.train.list_variables(path))["optimizer/learning_rate"] == ()
    fresh = O.SGD(0.1)
    mtf.train.Checkpoint(optimizer=fresh).read(path).assert_consumed()
    assert float(fresh.learning_rate) == 0.03


# Keras 3's `name=` defaults (keras/src/optimizers/*.py), written out here.
KERAS_NAMES = {O.SGD: "SGD", O.RMSprop: "rmsprop", O.Adagrad: "adagrad",
               O.Adadelta: "adadelta", O.Adam: "adam", O.AdamW: "adamw",
               O.Adamax: "adamax", O.Nadam: "nadam", O.Ftrl: "ftrl", O.Lion: "lion"}


@pytest.mark.parametrize("cls", list(KERAS_NAMES), ids=lambda c: c.__name__)
def test_default_names_are_keras_3(cls):
    opt = cls()
    assert opt.name == KERAS_NAMES[cls] == opt.get_config()["name"]
    assert opt.iterations.name == f"{KERAS_NAMES[cls]}/iterations:0"


def _unnamed(class_name):
    """A custom optimizer class called ``class_name`` that passes no name."""
    def update_step(self, gradient, variable, learning_rate):
        variable.assign_sub(learning_rate * gradient)
    return type(class_name, (O.Optimizer,), {"update_step": update_step})


# Keras's `to_snake_case`, applied by hand: "(.)([A-Z][a-z]+)" -> "\1_\2", then
# "([a-z])([A-Z])" -> "\1_\2", then lower-case.
@pytest.mark.parametrize("class_name, expected", [
    ("HeavyBall", "heavy_ball"), ("MomentumSGD", "momentum_sgd"),
    ("AdamWithLAMBTrust", "adam_with_lamb_trust"), ("RAdam", "r_adam"),
    ("SGD2", "sgd2"), ("lowerCase", "lower_case")])
def test_unnamed_custom_optimizers_are_named_by_keras_snake_case(class_name, expected):
    first, second = _unnamed(class_name)(0.1), _unnamed(class_name)(0.1)
    assert first.name == expected
    assert second.name == expected            # no uniquifying counter (see docs/choices.md)


def test_get_none_is_none():
    assert O.get(None) is None
    with pytest.raises(TypeError, match=r"optimizers.get: could not interpret optimizer "
                                        r"identifier.*Received: identifier=3"):
        O.get(3)
