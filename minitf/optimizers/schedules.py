"""Learning-rate schedules: callables from the optimizer step to a learning rate.

Formulas and edge cases follow Keras 3 (``keras.optimizers.schedules``):
inclusive piecewise boundaries (``step <= boundaries[0]`` gives ``values[0]``),
the step clamped at ``decay_steps`` (plus ``warmup_steps``) where Keras clamps,
the geometric restart count of SGDR. They compute in float64 and return a
Python float (Keras computes in the dtype of ``initial_learning_rate``,
float32 by default). An optimizer calls its schedule with the number of
``apply`` calls made so far (counting every call under gradient accumulation,
as Keras).

>>> s = mtf.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> s(20)
0.025
"""
import math
import numbers
from functools import partial

from . import _config
from ._hyper import check_bool, check_float, check_optional_float

__all__ = [
    "CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
    "LearningRateSchedule", "PiecewiseConstantDecay", "PolynomialDecay", "deserialize",
    "serialize"]


class LearningRateSchedule:
    """Base class: override ``__call__(self, step)`` and ``get_config(self)``."""

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  f"override `__call__(self, step)`.")

    def get_config(self):
        """The constructor arguments as a JSON-serialisable dict."""
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  f"override `get_config()` to be serialisable.")

    @classmethod
    def from_config(cls, config):
        """A new schedule from the output of ``get_config``."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _step(step):
    """The step as a float (ints, numpy scalars and 0-d Tensors/Variables)."""
    try:
        return float(step)
    except (TypeError, ValueError):
        raise TypeError(f"A learning rate schedule takes a scalar step. "
                        f"Received: step={step!r}") from None


def _unchecked(owner, key, value):
    return value


# How the built-in schedules check an argument, by its name (the same in every schedule).
_CHECKS = {
    "initial_learning_rate": check_float, "decay_rate": check_float,
    "end_learning_rate": check_float, "power": check_float, "m_mul": check_float,
    "warmup_steps": check_float, "warmup_target": check_optional_float,
    "decay_steps": partial(check_float, low_open=True),
    "first_decay_steps": partial(check_float, low_open=True),
    "t_mul": partial(check_float, low_open=True),
    "alpha": partial(check_float, high=1.0),
    "staircase": check_bool, "cycle": check_bool, "name": _unchecked,
}


class _Builtin(LearningRateSchedule):
    """A built-in schedule: its checked constructor arguments are its config."""

    def _keep(self, owner, **arguments):
        """Check each argument (``_CHECKS``, errors name ``owner``) and keep it as an
        attribute; ``get_config`` returns them in the order given."""
        for key, value in arguments.items():
            setattr(self, key, _CHECKS[key](owner, key, value))
        self._config_keys = tuple(arguments)

    def get_config(self):
        return {key: getattr(self, key) for key in self._config_keys}


def _decay_progress(schedule, step):
    """``step / decay_steps``, floored if the schedule is a staircase."""
    p = _step(step) / schedule.decay_steps
    return math.floor(p) if schedule.staircase else p


class ExponentialDecay(_Builtin):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored if staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self._keep("ExponentialDecay", initial_learning_rate=initial_learning_rate,
                   decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase,
                   name=name)

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** _decay_progress(self, step)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ..., ``values[-1]`` after the last."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        owner = "PiecewiseConstantDecay"
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"{owner}: the length of boundaries should be 1 less than the "
                             f"length of values. Received: boundaries={boundaries} of "
                             f"length {len(boundaries)}, and values={values} of length "
                             f"{len(values)}.")
        for b in boundaries:
            if isinstance(b, bool) or not isinstance(b, numbers.Real) or math.isnan(b):
                raise TypeError(f"{owner}: boundaries must be numbers. "
                                f"Received: boundaries={boundaries}")
        if any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"{owner}: boundaries must be strictly increasing. "
                             f"Received: boundaries={boundaries}")
        self.boundaries = boundaries
        self.values = [check_float(owner, f"values[{i}]", v) for i, v in enumerate(values)]
        self.name = name

    def __call__(self, step):
        step = _step(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(_Builtin):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``, step clamped or cycled."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self._keep("PolynomialDecay", initial_learning_rate=initial_learning_rate,
                   decay_steps=decay_steps, end_learning_rate=end_learning_rate, power=power,
                   cycle=cycle, name=name)

    def __call__(self, step):
        step, decay_steps = _step(step), self.decay_steps
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        fraction = step / decay_steps
        return ((self.initial_learning_rate - self.end_learning_rate)
                * (1 - fraction) ** self.power + self.end_learning_rate)


class InverseTimeDecay(_Builtin):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored if staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self._keep("InverseTimeDecay", initial_learning_rate=initial_learning_rate,
                   decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase,
                   name=name)

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * _decay_progress(self, step))


def _cosine(fraction, alpha):
    """The SGDR multiplier: from 1 at fraction 0 down to alpha at fraction 1."""
    return (1 - alpha) * (0.5 * (1 + math.cos(math.pi * fraction))) + alpha


class CosineDecay(_Builtin):
    """Optional linear warmup to ``warmup_target``, then cosine decay to ``alpha`` times it.

    Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts"
    (2017); linear warmup as Goyal et al. (2017).
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self._keep("CosineDecay", initial_learning_rate=initial_learning_rate,
                   decay_steps=decay_steps, alpha=alpha, name=name,
                   warmup_target=warmup_target, warmup_steps=warmup_steps)

    def __call__(self, step):
        step = _step(step)
        if self.warmup_target is None:
            step = min(step, self.decay_steps)
            return self.initial_learning_rate * _cosine(step / self.decay_steps, self.alpha)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return delta * (step / self.warmup_steps) + self.initial_learning_rate
        fraction = (step - self.warmup_steps) / self.decay_steps
        return self.warmup_target * _cosine(fraction, self.alpha)


class CosineDecayRestarts(_Builtin):
    """Cosine decay with warm restarts (SGDR): period i lasts ``t_mul**i`` times the first
    and starts at ``m_mul**i`` times the initial learning rate."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self._keep("CosineDecayRestarts", initial_learning_rate=initial_learning_rate,
                   first_decay_steps=first_decay_steps, t_mul=t_mul, m_mul=m_mul,
                   alpha=alpha, name=name)

    def __call__(self, step):
        fraction = _step(step) / self.first_decay_steps
        t_mul = self.t_mul
        if t_mul == 1.0:
            restarts = math.floor(fraction)
            fraction -= restarts
        else:
            restarts = math.floor(math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))
            done = (1.0 - t_mul ** restarts) / (1.0 - t_mul)
            fraction = (fraction - done) / t_mul ** restarts
        decayed = self.m_mul ** restarts * (0.5 * (1.0 + math.cos(math.pi * fraction)))
        return self.initial_learning_rate * ((1 - self.alpha) * decayed + self.alpha)


_BUILTIN = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
    CosineDecay, CosineDecayRestarts)}


def serialize(schedule):
    """``{"class_name": ..., "config": ...}``: JSON-serialisable."""
    return _config.serialize(schedule, LearningRateSchedule, "a LearningRateSchedule")


def deserialize(config, custom_objects=None):
    """The schedule that ``serialize`` described; ``custom_objects`` maps names to classes."""
    cls = _config.class_for(config, custom_objects, _BUILTIN, "learning rate schedule")
    return cls.from_config(dict(config["config"]))
