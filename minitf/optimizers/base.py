"""Optimizer: what every optimizer shares (Keras 3 semantics).

One ``apply_gradients`` call runs, in Keras 3's order: validate every pair
(nothing changes if one is bad) -> accumulate (``gradient_accumulation_steps``)
-> clip -> decoupled weight decay -> the algorithm's update -> weight EMA ->
``iterations += 1``. The per-step machinery lives in ``_step``; this class
owns the configuration, the slots and the public API.

Subclasses override only the public hooks ``build`` (create slots with
``add_slot``), ``update_step``, ``sparse_update_step`` and ``get_config``
(docs/custom_optimizer.md). Slots are made the first time a variable is seen,
so one optimizer serves any number of variable sets. Variables are held
weakly: the slots of a garbage-collected variable are dropped with it.
"""
import re
import types
import weakref

import numpy as np

from .. import _weights
from .._context import ctx, name_scope
from ..tensor import Variable, _TensorLike, _state_lock
from . import _learning_rate, _slots, _sparse, _step, _traced, schedules
from ._config import to_snake_case
from ._hyper import (check_bool, check_clipping, check_float, check_learning_rate,
                     check_optional_float, check_optional_int)
from ._diagnostics import checks_assign
from ._slots import VarState, check_variable, checked_variables, forgetter, initial_value


class Optimizer:
    """Base class of all optimizers.

    >>> v = mtf.Variable([1.0, 2.0])
    >>> opt = mtf.optimizers.SGD(learning_rate=0.5)
    >>> _ = opt.minimize(lambda: mtf.reduce_sum(v * v), [v])
    >>> v.numpy()
    array([0., 0.], dtype=float32)
    """

    def __init__(self, learning_rate, *, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, gradient_accumulation_steps=None, name=None):
        owner = type(self).__name__
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{owner}: `name` must be a str. Received: name={name!r}")
        self.name = name or to_snake_case(owner)
        lr = check_learning_rate(owner, learning_rate)
        self.weight_decay = check_optional_float(owner, "weight_decay", weight_decay)
        self.clipnorm, self.clipvalue, self.global_clipnorm = check_clipping(
            owner, clipnorm, clipvalue, global_clipnorm)
        self.use_ema = check_bool(owner, "use_ema", use_ema)
        self.ema_momentum = check_float(owner, "ema_momentum", ema_momentum, high=1.0)
        self.ema_overwrite_frequency = check_optional_int(
            owner, "ema_overwrite_frequency", ema_overwrite_frequency, low=1)
        self.gradient_accumulation_steps = check_optional_int(
            owner, "gradient_accumulation_steps", gradient_accumulation_steps, low=2)
        self._init_state()
        self._learning_rate = _learning_rate.tracked(self, lr)

    def _init_state(self):
        self._self_ref = weakref.ref(self)
        self._states = {}          # id(variable) -> VarState, in order of first sight
        self._slot_names = []
        self._touched = {}         # variables with gradients in the current accumulation cycle
        self._wd_excluded = {}     # id(variable) -> weakref
        self._wd_pattern = None
        self._shadows = {}         # id(stand-in) -> variable, during generic update steps
        with name_scope(f"{self.name}/"):
            self._iterations = Variable(np.int64(0), trainable=False, name="iterations")
            self._accumulated_calls = (
                Variable(np.int64(0), trainable=False, name="accumulated_calls")
                if self.gradient_accumulation_steps else None)
        self._state_variables = []
        self._layout = 0           # counts new slots and state variables ...
        self._written = None       # ... so _step can cache the memory they own
        cls = type(self)
        self._fused = getattr(cls.update_step, "_fused", False)
        self._fused_sparse = (self._fused and
                              cls.sparse_update_step is Optimizer.sparse_update_step)

    # ---- learning rate and step counter

    @property
    def learning_rate(self):
        """The learning rate: its Variable (assignable), or a schedule's current value.

        Settable: a number is assigned into the Variable; a schedule or
        callable replaces it (as Keras 3).
        """
        lr = self._learning_rate
        return lr if type(lr) is Variable else self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = _learning_rate.replaced(self, value)
        self._layout += 1

    @property
    def iterations(self):
        """Number of updates applied so far: an int64 non-trainable Variable."""
        return self._iterations

    def _schedule_step(self):
        """The step schedules see: every apply call, as Keras counts them."""
        steps = int(self._iterations._value)
        if self.gradient_accumulation_steps:
            steps = steps * self.gradient_accumulation_steps + int(self._accumulated_calls._value)
        return steps

    def _current_lr(self):
        return _learning_rate.current(self)

    # ---- applying gradients

    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs; ``None`` gradients are skipped.

        Every pair is validated before anything changes. Returns ``iterations``.
        """
        if ctx.recorder is not None:        # inside mtf.function: one recorded step
            _traced.call(ctx.recorder, "apply_gradients",
                         lambda pairs: _step.run(self, pairs, add=True), grads_and_vars,
                         outputs=False, run_dense=lambda pairs: _step.run_validated(
                             self, pairs))
        else:
            _step.run(self, grads_and_vars, add=True)
        return self._iterations

    def apply(self, grads, variables):
        """``apply_gradients(zip(grads, variables))`` with a length check."""
        grads, variables = list(grads), list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"apply: got {len(grads)} gradients for {len(variables)} "
                             f"variables; pass one gradient (or None) per variable.")
        return self.apply_gradients(zip(grads, variables))

    def get_updates(self, grads_and_vars):
        """``[(update, variable)]``: what ``apply_gradients`` would add to each variable.

        The optimizer's state (slots, ``iterations``) advances; the variables do
        not change. ``apply_updates`` of the result equals ``apply_gradients``
        bit for bit.
        """
        if ctx.recorder is not None:
            return _traced.call(ctx.recorder, "get_updates",
                                lambda pairs: _step.run(self, pairs, add=False),
                                grads_and_vars, outputs=True)
        return _step.run(self, grads_and_vars, add=False)

    def apply_updates(self, updates_and_vars):
        """Add each update to its variable (all are validated first)."""
        if ctx.recorder is not None:
            _traced.call(ctx.recorder, "apply_updates", self._apply_updates_now,
                         updates_and_vars, outputs=False)
            return
        self._apply_updates_now(updates_and_vars)

    def _apply_updates_now(self, updates_and_vars):
        pairs = _step.checked_updates(updates_and_vars)
        with _state_lock:
            for update, var in pairs:
                np.add(var._value, update, out=var._value)
                var._version += 1

    def compute_gradients(self, loss, var_list, tape=None, grad_loss=None):
        """``[(gradient, variable)]`` of ``loss`` with respect to ``var_list``.

        ``loss`` is a zero-argument callable (run on ``tape``, or on a fresh
        GradientTape) or a Tensor that ``tape`` recorded. ``var_list`` may be a
        callable returning the list (called after ``loss``).
        """
        from ..tape import GradientTape
        if isinstance(loss, _TensorLike) or not callable(loss):
            if tape is None:
                raise ValueError("compute_gradients: `tape` is required when `loss` is a "
                                 "Tensor; pass the GradientTape that recorded it, or pass "
                                 "`loss` as a zero-argument callable.")
            loss_value = loss
        else:
            tape = GradientTape() if tape is None else tape
            with tape:
                if not callable(var_list):
                    tape.watch(checked_variables("compute_gradients", var_list))
                loss_value = loss()
        variables = checked_variables("compute_gradients",
                                       var_list() if callable(var_list) else var_list)
        grads = tape.gradient(loss_value, variables, output_gradients=grad_loss)
        return list(zip(grads, variables))

    def minimize(self, loss, var_list, tape=None):
        """``apply_gradients(compute_gradients(loss, var_list, tape))``."""
        return self.apply_gradients(self.compute_gradients(loss, var_list, tape=tape))

    # ---- public subclassing hooks

    def __init_subclass__(cls, **kwargs):
        """Check the update hooks a subclass writes itself (the built-in kernels are not
        wrapped, so they cost nothing): a returned value must not replace an assign."""
        super().__init_subclass__(**kwargs)
        for hook in ("update_step", "sparse_update_step"):
            fn = cls.__dict__.get(hook)
            if isinstance(fn, types.FunctionType) and not getattr(fn, "_fused", False) \
                    and not hasattr(fn, "_checks_assign"):
                setattr(cls, hook, checks_assign(fn))

    def __getattr__(self, name):
        """Reached only for a missing attribute: name a subclass that skipped the base
        ``__init__`` (the usual cause) instead of a bare AttributeError."""
        if name.startswith("__") or "_states" in vars(self):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        owner = type(self).__name__
        raise AttributeError(
            f"{owner} has no attribute {name!r}: Optimizer.__init__ has not run for this "
            f"object, so the optimizer is not set up. {owner}.__init__ must call "
            f"`super().__init__(learning_rate, name=name, **kwargs)` before the optimizer "
            f"is used (see docs/custom_optimizer.md).")

    def build(self, var_list):
        """Create the slots of ``var_list``; subclasses add theirs with ``add_slot``.

        Called with the variables not seen before, before their first update.
        The base creates the EMA (``average``) and accumulation slots.
        """
        for var in var_list:
            var = self._resolve(var)
            check_variable("build", var)
            if self.use_ema:
                self.add_slot(var, "average", initializer=var._value)
            if self.gradient_accumulation_steps:
                state = self._state(var)
                fresh = "gradient_accumulator" not in state.slots
                slot = self.add_slot(var, "gradient_accumulator")
                if fresh:
                    _sparse.start_cycle(state, slot)
            self._state(var).built = True

    def update_step(self, gradient, variable, learning_rate):
        """Update ``variable`` in place from a dense ``gradient`` Tensor (override this)."""
        raise NotImplementedError(
            f"{type(self).__name__} must override update_step(self, gradient, variable, "
            f"learning_rate); see docs/custom_optimizer.md.")

    def sparse_update_step(self, gradient, variable, learning_rate):
        """Update from an IndexedSlices gradient; by default densify it and call update_step."""
        values = np.asarray(gradient.values._value)
        indices = np.asarray(gradient.indices._value)
        dense = _step.densify(_step.Sparse(values, indices), variable.shape, values.dtype)
        self.update_step(_step.wrap(dense), variable, learning_rate)

    def get_config(self):
        """The constructor arguments as a JSON-serialisable dict (schedules included)."""
        lr = _learning_rate.config_value(self)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue, "use_ema": self.use_ema,
                "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A new optimizer (no state) from the output of ``get_config``."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    # ---- slots

    def add_slot(self, var, slot_name, initializer="zeros"):
        """A non-trainable Variable shaped like ``var`` (made once; later calls return it).

        ``initializer``: "zeros", "ones", a number, an array of ``var``'s shape,
        or a callable ``(shape, dtype) -> value``.
        """
        var = self._resolve(var)
        check_variable("add_slot", var)
        if not isinstance(slot_name, str) or not slot_name:
            raise TypeError(f"add_slot: slot_name must be a non-empty str. "
                            f"Received: {slot_name!r}")
        state = self._state(var)
        slot = state.slots.get(slot_name)
        if slot is None:
            value = initial_value(initializer, var, slot_name)
            base = var.name[:-2] if var.name.endswith(":0") else var.name
            with name_scope(f"{self.name}/"):
                slot = Variable(value, trainable=False, name=f"{base}/{slot_name}")
            state.slots[slot_name] = slot
            self._layout += 1
            if slot_name not in self._slot_names:
                self._slot_names.append(slot_name)
        return slot

    def get_slot(self, var, slot_name):
        """The slot ``slot_name`` of ``var``; ValueError naming the slots it has if absent."""
        var = self._resolve(var)
        check_variable("get_slot", var)
        state = self._states.get(id(var))
        slot = state.slots.get(slot_name) if state is not None else None
        if slot is None:
            have = list(state.slots) if state is not None else []
            raise ValueError(f"get_slot: variable {var.name!r} has no slot {slot_name!r}. "
                             f"Its slots: {have}; slot names of this optimizer: "
                             f"{self._slot_names}.")
        return slot

    def get_slot_names(self):
        """Names of the slots this optimizer has made, in order of creation."""
        return list(self._slot_names)

    def _state(self, var):
        """The _VarState of ``var``, created on first sight."""
        state = self._states.get(id(var))
        if state is None:
            state = VarState(weakref.ref(var, forgetter(self._self_ref, id(var))))
            self._states[id(var)] = state
        return state

    def _resolve(self, var):
        """The real variable behind a stand-in given to update_step."""
        return self._shadows.get(id(var), var)

    def _ensure_built(self, variables):
        """Run ``build`` for the variables not seen before."""
        new = [v for v in variables if not self._state(v).built]
        if new:
            self.build(new)
            missed = [v for v in new if not self._states[id(v)].built]
            if missed:      # an override that did not call super().build
                Optimizer.build(self, missed)

    def _add_state_variable(self, name, value):
        """A non-slot state Variable (listed after ``iterations`` in ``variables``)."""
        with name_scope(f"{self.name}/"):
            var = Variable(value, trainable=False, name=name)
        self._state_variables.append(var)
        self._layout += 1
        return var

    def _prepare_update(self):
        """Built-in hook run once per update, before the variables are updated."""

    def _slot_variables(self):
        """``(variable, slot_name, slot)`` for every live slot (for checkpoints)."""
        for state in list(self._states.values()):
            var = state.ref()
            if var is not None:
                for slot_name, slot in state.slots.items():
                    yield var, slot_name, slot

    # ---- state as a whole

    @property
    def variables(self):
        """``iterations``, ``learning_rate``, other state, then slots in order of first sight."""
        found = self._own_variables()
        for state in self._states.values():
            found.extend(state.slots.values())
        return found

    def _own_variables(self):
        """The optimizer's own state Variables (no slots), in ``variables`` order."""
        found = [self._iterations]
        if type(self._learning_rate) is Variable:
            found.append(self._learning_rate)
        if self._accumulated_calls is not None:
            found.append(self._accumulated_calls)
        found.extend(self._state_variables)
        return found

    def get_weights(self):
        """Copies of ``variables`` as numpy arrays."""
        return _weights.get_weights(self.variables)

    def set_weights(self, weights):
        """Assign ``variables`` from arrays; all are checked before any is assigned."""
        variables = self.variables
        _weights.assign_all(variables, _weights.checked_arrays(
            "set_weights", variables, weights, hint=" Build the optimizer first (apply or "
            "build(var_list)) so that its slots exist."))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempt variables from weight decay: by identity, or if any regex in
        ``var_names`` matches inside the variable's name (e.g. ``["bias"]``)."""
        for var in var_list or ():
            check_variable("exclude_from_weight_decay", var)
        self._wd_excluded = {id(v): weakref.ref(v, forgetter(self._self_ref, id(v)))
                             for v in var_list or ()}
        names = list(var_names or ())
        self._wd_pattern = re.compile("|".join(names)) if names else None
        for state in self._states.values():
            state.decays = None

    def _decays(self, var):
        """Whether weight decay applies to ``var``."""
        if not self.weight_decay:
            return False
        state = self._states[id(var)]
        if state.decays is None:
            ref = self._wd_excluded.get(id(var))
            excluded = (ref is not None and ref() is var) or (
                self._wd_pattern is not None and self._wd_pattern.search(var.name) is not None)
            state.decays = not excluded
        return state.decays

    def finalize_variable_values(self, var_list):
        """With ``use_ema``, copy each variable's moving average into it.

        Variables this optimizer has no average for are left as they are.
        """
        if not self.use_ema:
            return
        for var in checked_variables("finalize_variable_values", var_list):
            state = self._states.get(id(var))
            if state is not None and "average" in state.slots:
                var.assign(state.slots["average"]._value)

    def __getstate__(self):
        """For pickle and copy: the weakly held variables travel with their slots."""
        return _slots.pack(self)

    __setstate__ = _slots.unpack

    def __repr__(self):
        lr = self._learning_rate
        lr = float(lr._value) if type(lr) is Variable else type(lr).__name__
        return (f"<mtf.optimizers.{type(self).__name__} name={self.name!r} "
                f"learning_rate={lr} iterations={int(self._iterations._value)}>")
