"""Per-variable optimizer state: weakly held variables and their slot Variables."""
import numbers
import weakref

import numpy as np

from .. import dtypes
from ..tensor import Variable, _TensorLike


class VarState:
    """What the optimizer keeps per variable: a weak reference and its slots.

    Two records serve sparse updates (``_sparse``; ``None`` means "unknown", and
    the safe, dense way is taken): ``trusted``, the slot versions at which the
    slots last held only values the optimizer wrote; ``rows``, ``(accumulator
    version, [row arrays])`` for the rows the current accumulation cycle has
    touched. Versions travel with pickled Variables, so both records do too.
    """

    __slots__ = ("ref", "slots", "built", "decays", "trusted", "rows")

    def __init__(self, ref):
        self.ref, self.slots, self.built, self.decays = ref, {}, False, None
        self.trusted = self.rows = None


def forgetter(opt_ref, key):
    """Weakref callback: drop everything kept for a variable that died."""
    def forget(_):
        opt = opt_ref()
        if opt is not None:
            opt._states.pop(key, None)
            opt._touched.pop(key, None)
            opt._wd_excluded.pop(key, None)
    return forget


def pack(opt):
    """``opt``'s attributes for pickle, with strong references where it holds weak ones.

    A variable and its slots travel together, so an optimizer pickled with the
    variables it trains (one ``pickle.dumps((model, opt))``) comes back bound
    to the unpickled variables. Alone, it comes back with its counters and
    hyperparameters; the copied variables have no other owner, so they and
    their slots are dropped, as for any variable that is garbage collected.
    """
    state = dict(vars(opt))
    del state["_self_ref"]
    state["_shadows"], state["_written"] = {}, None
    state["_states"] = [(var, s.slots, s.built, s.decays, s.trusted, s.rows)
                        for var, s in _live(opt._states.values(), lambda s: s.ref)]
    state["_touched"] = [var for var, _ in _live(opt._touched.values(), lambda r: r)]
    state["_wd_excluded"] = [var for var, _ in _live(opt._wd_excluded.values(), lambda r: r)]
    return state


def _live(items, ref_of):
    """``(variable, item)`` for the items whose weakly held variable is alive."""
    found = []
    for item in list(items):
        var = ref_of(item)()
        if var is not None:
            found.append((var, item))
    return found


def unpack(opt, state):
    """Rebuild ``opt`` from ``pack``'s output: ids and weak references are made afresh."""
    state = dict(state)
    states, touched, excluded = (state.pop(k) for k in ("_states", "_touched", "_wd_excluded"))
    vars(opt).update(state)
    opt._self_ref = weakref.ref(opt)
    opt._states = {}
    for var, slots, built, decays, trusted, rows in states:
        var_state = VarState(weakref.ref(var, forgetter(opt._self_ref, id(var))))
        var_state.slots, var_state.built, var_state.decays = slots, built, decays
        var_state.trusted, var_state.rows = trusted, rows
        opt._states[id(var)] = var_state
    opt._touched = {id(var): opt._states[id(var)].ref for var in touched}
    opt._wd_excluded = {id(var): weakref.ref(var, forgetter(opt._self_ref, id(var)))
                        for var in excluded}


def check_variable(op, var):
    """TypeError unless ``var`` is a mtf.Variable."""
    if type(var) is not Variable:
        raise TypeError(f"{op}: expected a mtf.Variable. Received: "
                        f"{type(var).__name__} {short(var)}")


def checked_variables(op, var_list):
    """``var_list`` as a list, every item a mtf.Variable."""
    try:
        variables = list(var_list)
    except TypeError:
        raise TypeError(f"{op}: var_list must be a list of Variables. "
                        f"Received: {short(var_list)}") from None
    for var in variables:
        check_variable(op, var)
    return variables


def short(x):
    """``repr(x)``, cut to 80 characters for error messages."""
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def initial_value(initializer, var, slot_name):
    """The first value of a slot of ``var``."""
    shape, dtype = var.shape, var.dtype
    if isinstance(initializer, str):
        if initializer in ("zeros", "ones"):
            return (np.zeros if initializer == "zeros" else np.ones)(shape, dtype)
        raise ValueError(f"add_slot: unknown initializer {initializer!r} for slot "
                         f"{slot_name!r}; use 'zeros', 'ones', a number, an array of shape "
                         f"{shape} or a callable(shape, dtype).")
    if isinstance(initializer, numbers.Real) and not isinstance(initializer, bool):
        return np.full(shape, initializer, dtype)
    value = initializer
    if callable(initializer) and not isinstance(initializer, _TensorLike):
        value = initializer(shape, dtype)
    array = np.asarray(value._value if isinstance(value, _TensorLike) else value)
    if array.shape != shape:
        raise ValueError(f"add_slot: initial value of slot {slot_name!r} has shape "
                         f"{array.shape}; variable {var.name!r} has shape {shape}.")
    return dtypes.cast_array(array, dtype, f"slot {slot_name!r} initial value")
