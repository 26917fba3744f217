"""``race``: run several optimizers from one start on one 2-D function, keep the paths."""
import copy
import math
import warnings

import numpy as np

from ..optimizers.base import Optimizer
from ..tape import GradientTape
from ..tensor import Variable


class RaceResult:
    """What ``race`` returns: per optimizer name, the path, the losses and where it stopped.

    ``trajectories[name]`` is a ``(steps + 1, 2)`` float64 array (row 0 is the
    start), ``losses[name]`` the ``(steps + 1,)`` values of ``function`` along
    it. ``diverged[name]`` is the first step whose point, loss or gradient was
    not finite (that row and the following ones are NaN), or None.
    ``optimizers[name]`` is the copy that ran (its slots, ``iterations``).

    >>> r = mtf.playground.race([mtf.optimizers.SGD(0.1)], mtf.playground.saddle, steps=2)
    >>> r.trajectories["SGD"].shape
    (3, 2)
    """

    def __init__(self, function, start, steps):
        self.function = function
        self.start = start
        self.steps = steps
        self.names = []
        self.trajectories, self.losses, self.diverged, self.optimizers = {}, {}, {}, {}

    def __str__(self):
        width = max([len(n) for n in self.names] + [9])
        rows = [f"{self.steps} steps of {getattr(self.function, 'name', 'f')} "
                f"from {self.start}:",
                f"{'optimizer':<{width}} {'final loss':>12}  {'final point':<22}  note"]
        for name in self.names:
            last = _last_finite(self.trajectories[name])
            loss = self.losses[name][last]
            x, y = self.trajectories[name][last]
            note = ("" if self.diverged[name] is None
                    else f"diverged at step {self.diverged[name]}")
            point = f"({x:.4g}, {y:.4g})"
            rows.append(f"{name:<{width}} {loss:>12.4g}  {point:<22}  {note}".rstrip())
        return "\n".join(rows)

    def __repr__(self):
        return (f"<mtf.playground.RaceResult {len(self.names)} optimizers, "
                f"{self.steps} steps>")


def _last_finite(trajectory):
    """Index of the last row before the trajectory stopped (0 at worst)."""
    finite = np.flatnonzero(np.all(np.isfinite(trajectory), axis=1))
    return int(finite[-1]) if finite.size else 0


def _named(optimizers):
    """``[(name, optimizer)]`` from a dict or a list (names: class names, made unique)."""
    if isinstance(optimizers, dict):
        pairs = [(str(k), v) for k, v in optimizers.items()]
    elif isinstance(optimizers, Optimizer):
        pairs = [(type(optimizers).__name__, optimizers)]
    else:
        pairs, seen = [], {}
        for opt in optimizers:
            base = type(opt).__name__
            seen[base] = seen.get(base, 0) + 1
            pairs.append((base if seen[base] == 1 else f"{base} #{seen[base]}", opt))
    for name, opt in pairs:
        if not isinstance(opt, Optimizer):
            raise TypeError(f"race: {name!r} is {type(opt).__name__}, not an "
                            "mtf.optimizers.Optimizer; pass optimizer instances, e.g. "
                            "{'adam': mtf.optimizers.Adam(0.05)}")
        if int(opt.iterations) != 0:
            raise ValueError(f"race: optimizer {name!r} has already taken "
                             f"{int(opt.iterations)} steps, so its paths would not start "
                             "alike; pass a newly built optimizer")
    return pairs


def _run(optimizer, function, start, steps):
    """One optimizer's path: ``(trajectory, losses, first non-finite step or None)``."""
    trajectory = np.full((steps + 1, 2), np.nan)
    losses = np.full(steps + 1, np.nan)
    point = Variable(np.array(start, np.float64), name="xy")
    for step in range(steps + 1):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            with GradientTape() as tape:
                loss = function(point)
            gradient = tape.gradient(loss, point)
        if tuple(getattr(loss, "shape", ())) != ():
            raise ValueError(f"race: the function returned shape {tuple(loss.shape)}, "
                             "not a scalar; reduce it, e.g. with mtf.reduce_sum")
        value, xy = float(loss.numpy()), point.numpy().copy()
        if not (math.isfinite(value) and np.all(np.isfinite(xy))
                and gradient is not None and np.all(np.isfinite(gradient.numpy()))):
            if gradient is None:
                raise ValueError("race: the function's value does not depend on its "
                                 "argument; compute it from xy with minitf ops")
            return trajectory, losses, step
        trajectory[step], losses[step] = xy, value
        if step < steps:
            optimizer.apply_gradients([(gradient, point)])
    return trajectory, losses, None


def race(optimizers, function, start=None, steps=100):
    """Run each optimizer from ``start`` on ``function``; return a RaceResult of the paths.

    ``optimizers`` is a dict ``{name: Optimizer}`` or a list (named by class).
    Each runs on a copy of itself and its own fresh float64 Variable, so one
    dict can race on several functions. ``function`` is an
    ``mtf.playground`` test function or any callable mapping a length-2
    Variable to a scalar with minitf ops; ``start`` defaults to the test
    function's ``start``. A path whose point, loss or gradient stops being
    finite ends there, with a warning; the race goes on.

    >>> r = mtf.playground.race({"sgd": mtf.optimizers.SGD(1e-3)}, mtf.playground.rosenbrock)
    >>> r.diverged
    {'sgd': None}
    """
    if start is None:
        start = getattr(function, "start", None)
        if start is None:
            raise ValueError("race: give `start`, e.g. start=(-1.0, 1.0) (only the "
                             "mtf.playground test functions have a default start)")
    start = tuple(float(v) for v in np.asarray(start, np.float64).reshape(-1))
    if len(start) != 2:
        raise ValueError(f"race: `start` must be a point (x, y); got {start}")
    if int(steps) < 0:
        raise ValueError(f"race: `steps` must be >= 0; got {steps}")
    result = RaceResult(function, start, int(steps))
    for name, optimizer in _named(optimizers):
        optimizer = copy.deepcopy(optimizer)
        trajectory, losses, stopped = _run(optimizer, function, start, int(steps))
        if stopped is not None:
            warnings.warn(f"race: {name} diverged at step {stopped} (the point, loss or "
                          "gradient is inf or NaN); its path stops there. Lower its "
                          "learning rate to keep it finite.", UserWarning, stacklevel=2)
        result.names.append(name)
        result.trajectories[name], result.losses[name] = trajectory, losses
        result.diverged[name], result.optimizers[name] = stopped, optimizer
    return result
