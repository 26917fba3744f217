"""The learning rate of an optimizer: a Variable, a schedule or a callable (Keras 3).

A number becomes a non-trainable float64 Variable named
``<optimizer>/learning_rate`` that is listed in ``variables``, checkpointed and
assignable (``opt.learning_rate.assign(0.01)``). float64, not Keras's float32
``floatx``: learning rates are computed in float64 and rounded once to each
variable's dtype, so a float64 model trains with exactly the rate it was given.
A ``LearningRateSchedule`` (called with the step) or a zero-argument callable
is kept as given and has no Variable.
"""
import math

import numpy as np

from .._context import name_scope
from ..tensor import Variable
from . import schedules
from ._hyper import check_learning_rate


def tracked(opt, value):
    """The learning-rate state for a checked ``value``: a new Variable for a number."""
    if callable(value):
        return value
    with name_scope(f"{opt.name}/"):
        return Variable(np.float64(value), trainable=False, name="learning_rate")


def replaced(opt, value):
    """The learning-rate state after ``opt.learning_rate = value`` (Keras 3 semantics).

    A number is assigned into the existing Variable (one is made if the
    optimizer had a plain callable); a schedule or callable replaces it.
    """
    owner = type(opt).__name__
    current = opt._learning_rate
    if isinstance(current, schedules.LearningRateSchedule) and not callable(value):
        raise TypeError(f"{owner}.learning_rate: the optimizer was created with a "
                        f"LearningRateSchedule, so its learning rate cannot be set to a "
                        f"number; create the optimizer with a float learning rate to make "
                        f"it settable. Received: learning_rate={value!r}")
    checked = check_learning_rate(owner, value)
    if type(current) is Variable and not callable(checked):
        current.assign(np.float64(checked))
        return current
    return tracked(opt, checked)


def current(opt):
    """The learning rate to use now, as a float >= 0 (schedules see ``schedule_step``)."""
    lr = opt._learning_rate
    if type(lr) is Variable:
        value = float(lr._value)
    elif isinstance(lr, schedules.LearningRateSchedule):
        value = _as_float(lr(opt._schedule_step()))
    else:
        value = _as_float(lr())
    if not value >= 0:
        raise ValueError(f"{type(opt).__name__}: the learning rate must be a number >= 0; "
                         f"{_describe(lr)} gave {value!r}.")
    return value


def _as_float(value):
    """``float(value)``, NaN for values that are not numbers (reported by the caller)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _describe(lr):
    """How an error message names the learning-rate source."""
    return "the learning_rate Variable" if type(lr) is Variable else repr(lr)


def config_value(opt):
    """``get_config``'s ``learning_rate``: a float, or a serialised schedule."""
    lr = opt._learning_rate
    if type(lr) is Variable:
        return float(lr._value)
    if isinstance(lr, schedules.LearningRateSchedule):
        return schedules.serialize(lr)
    raise ValueError(f"{type(opt).__name__}.get_config: the learning rate is a plain "
                     f"callable ({lr!r}), which cannot be serialised; use a "
                     f"LearningRateSchedule subclass with get_config instead.")
