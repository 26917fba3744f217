"""What a trace records: every op that ran, as a flat list of steps over slots.

While ``mtf.function`` traces, ``ctx.recorder`` is a ``Recorder``. Each op the
function runs (forward, the tape's backward pass, optimizer updates, Variable
writes) calls ``op``: its output Tensors get new *slots* (numbered registers of
the program) and its inputs become *refs*: a slot, a Variable (read when the
step runs) or a constant captured once (a Tensor made before the trace, or from
Python data). A Tensor that an op computed without recording (``wrap``) cannot
be captured: reading it raises, so no value is ever silently baked in.
"""
import numpy as np

from .._context import ctx
from ..errors import OperatorNotAllowedInGraphError
from ..tensor import Tensor, Variable

SLOT, VARIABLE, CONSTANT = "slot", "variable", "constant"


class Step:
    """One recorded op: ``outs = fn(*ins)``, with what the graph view shows."""

    __slots__ = ("op", "label", "scope", "part", "fn", "ins", "outs", "stateful",
                 "shapes", "dtypes", "body", "many", "constant", "value_shaped",
                 "any_shape", "batch")

    def __init__(self, op, label, scope, part, fn, ins, outs, stateful, values):
        self.op, self.label, self.scope, self.part = op, label, scope, part
        self.fn, self.ins, self.outs, self.stateful = fn, ins, outs, stateful
        self.shapes = [np.shape(v) if hasattr(v, "shape") else () for v in values]
        self.dtypes = [getattr(v, "dtype", None) for v in values]
        self.body = None       # sub-programs of control flow (cond, while_loop)
        self.many = len(outs) != 1   # fn returns a tuple of outputs
        self.constant = None         # the value, when the step reads only constants
        self.value_shaped = False    # its output shape depends on input values
        self.any_shape = False       # its fn works for inputs of any shape
        self.batch = None            # how mtf.vectorized_map batches it (ops/_dispatch.py)


class Recorder:
    """The steps and slots of one trace (or of one branch of ``mtf.cond``).

    A branch recorder has a ``parent``: a Tensor of the enclosing trace that a
    branch reads becomes one of the branch's ``captures`` (a parameter of its
    sub-program), bound to the parent's ref.
    """

    def __init__(self, function_name, allow_variables=True, parent=None, effects="run"):
        self.function_name = function_name
        self.allow_variables = allow_variables
        self.parent = parent
        # Effects (Variable writes, prints, optimizer steps) while tracing: "run" them
        # and record them; "dry": record only (a branch the trace's values do not
        # take); "skip": neither (a branch re-run to differentiate it).
        self.effects = effects
        self.steps = []
        self.slot_count = 0 if parent is None else parent.slot_count
        self.slots = {}          # id(Tensor) -> slot
        self.array_slots = {}    # id(array) -> slot: wrapping a traced array aliases it
        self.keep = []           # what the ids above belong to (keeps the ids valid)
        self.unknown = set()     # ids of Tensors computed outside the program
        self.captures = []       # (slot here, ref in parent) for branch recorders
        self.captured = []       # what a branch reads from outside: Tensors, Variables
        self.folded = set()      # slots of steps that read only constants
        self.init_slots = set()  # slots used as Variables' initial values
        self.shape_follows = set()  # slots computed from a value-shaped step's output
        self.part = "forward" if parent is None else parent.part
        self.scope_base = ctx.scope
        self.scopes = {}         # name scope -> times entered (TF's blah, blah_1)
        self.slot_info = {} if parent is None else parent.slot_info  # slot -> (shape, dtype)

    # ---- slots and refs

    def new_slot(self, tensor):
        """Give ``tensor`` (an op's output) a fresh slot and return its number."""
        root = self.root()
        slot = root.slot_count
        root.slot_count += 1
        self.slot_count = max(self.slot_count, root.slot_count)
        self.slots[id(tensor)] = slot
        self.array_slots.setdefault(id(tensor._value), slot)     # its first producer
        self.keep.append(tensor)
        value = tensor._value
        shape = np.shape(value) if hasattr(value, "shape") else ()
        self.slot_info[slot] = (shape, getattr(value, "dtype", None))
        return slot

    def placeholder(self, value):
        """A new input Tensor holding a private copy of ``value``: no other Tensor can
        share its array, so nothing aliases the input by mistake."""
        tensor = object.__new__(Tensor)
        tensor._value = np.array(value, copy=True)
        self.new_slot(tensor)
        return tensor

    def root(self):
        rec = self
        while rec.parent is not None:
            rec = rec.parent
        return rec

    def ref(self, x, op):
        """How the program reads ``x`` (an op input): a slot, Variable or constant."""
        if type(x) is Variable:
            if self.parent is not None:
                self.captured.append(x)
                self.parent.ref(x, op)
            return (VARIABLE, x)
        if type(x) is not Tensor:
            return (CONSTANT, x)                       # a Python or numpy number
        slot = self.slots.get(id(x))
        if slot is None:
            slot = self.array_slots.get(id(x._value))
        if slot is not None:
            return (SLOT, slot)
        if id(x) in self.unknown:
            raise RuntimeError(
                f"mtf.function {self.function_name!r}: op {op!r} reads a value that was "
                f"computed without being recorded, so replaying the trace would reuse a "
                f"stale value. This is a bug in minitf; please report it with this op name.")
        if self.parent is not None:
            outer = self.parent.ref(x, op)
            if outer[0] != SLOT:
                return outer
            slot = self.new_slot(x)
            self.captures.append((slot, outer, x))
            self.captured.append(x)
            return (SLOT, slot)
        return (CONSTANT, x._value)

    def unrecorded(self, tensor):
        """Mark a Tensor made by ``wrap`` (computed outside the program)."""
        if id(tensor._value) not in self.array_slots:
            self.unknown.add(id(tensor))
            self.keep.append(tensor)

    def value_shaped(self, x):
        """Whether ``x``'s shape may depend on values: computed from the output of a
        step whose shape does."""
        return self.slots.get(id(x)) in self.shape_follows

    def is_live(self, x):
        """Whether ``x`` changes from call to call (an input, a result, a Variable)."""
        if type(x) is Variable:
            return True
        rec = self
        while rec is not None:
            if id(x) in rec.slots or id(x._value) in rec.array_slots:
                return True
            rec = rec.parent
        return False

    # ---- recording

    def op(self, op, fn, inputs, outputs, label=None, stateful=False, many=False):
        """Record ``outputs = fn(*inputs)`` (a tuple if ``many``); returns the step."""
        return self.op_refs(op, fn, [self.ref(x, op) for x in inputs], outputs, label,
                            stateful, many)

    def op_refs(self, op, fn, ins, outputs, label=None, stateful=False, many=False):
        """``op`` with its inputs given as refs."""
        outs = [self.new_slot(y) for y in outputs]
        step = Step(op, label, self._scope(), self.part, fn, ins, outs, stateful,
                    [y._value for y in outputs])
        step.many = many or len(outs) != 1
        if any(kind == SLOT and what in self.shape_follows for kind, what in ins):
            self.shape_follows.update(outs)
        if not (stateful or step.many) and all(
                kind == CONSTANT or kind == SLOT and what in self.folded for kind, what in ins):
            step.constant = outputs[0]._value     # same on every call: computed once
            self.folded.add(outs[0])
        self.steps.append(step)
        return step

    def run_and_record(self, op, fn, inputs, label=None, stateful=False):
        """Run ``fn`` (returning a tuple of arrays) on the inputs' values now and record
        it; returns the output Tensors."""
        from ..ops._quiet import enter, leave
        token = enter()
        try:
            values = fn(*[x._value for x in inputs])
        finally:
            leave(token)
        outputs = []
        for value in values:
            out = object.__new__(Tensor)
            out._value = value
            outputs.append(out)
        self.op(op, fn, inputs, outputs, label, stateful, many=True)
        return outputs

    def effect(self, op, fn, inputs, label=None):
        """Record a step run only for what it does (writes Variables, prints)."""
        ins = [self.ref(x, op) for x in inputs]
        step = Step(op, label, self._scope(), self.part, fn, ins, [], True, [])
        self.steps.append(step)
        return step

    def variable_write(self, op, variable, given, array):
        """Record ``variable.assign*(given)`` (``array``: the checked value); returns
        whether the caller should write now."""
        if self.effects == "skip":
            return False
        value = given if isinstance(given, (Tensor, Variable)) else array
        saved, self.part = self.part, "update"
        step = self.effect(op, _WRITES[op], (variable, _as_input(value)))
        self.part = saved
        step.ins[0] = (CONSTANT, variable)          # the object: the write bumps its version
        return self.effects == "run"

    def untraceable(self, op):
        raise NotImplementedError(
            f"mtf.function {self.function_name!r}: op {op!r} cannot be traced yet; call "
            f"it outside the function.")

    def _scope(self):
        scope = ctx.scope
        base = self.root().scope_base
        return scope[len(base):] if scope.startswith(base) else scope

    # ---- graph-mode rules

    def unique_scope(self, scope):
        """``scope`` the first time it is entered in this trace, then ``scope_1``..."""
        root = self.root()
        seen = root.scopes.get(scope)
        root.scopes[scope] = 0 if seen is None else seen + 1
        return scope if seen is None else f"{scope[:-1]}_{seen + 1}/"

    def check_python_use(self, x, how):
        """Raise when Python would take a traced value as a constant (TF's rule)."""
        if self.is_live(x):
            raise OperatorNotAllowedInGraphError(_python_use_message(self.function_name, how))

    def variable_created(self, name, initial_value):
        """Check that this trace may create a Variable; returns its initial value.

        As TF lifts initializers out of a function, an initial value is computed
        once: a callable runs unrecorded, and the random draws that only fed
        initial values are not replayed (see ``Program``)."""
        root = self.root()
        self._check_creation(root, name)
        if callable(initial_value):
            saved, ctx.recorder = ctx.recorder, None
            try:
                return initial_value()
            finally:
                ctx.recorder = saved
        slot = self.slots.get(id(initial_value)) if isinstance(initial_value, Tensor) else None
        if slot is not None:
            root.init_slots.add(slot)
        return initial_value

    def _check_creation(self, root, name):
        if not root.allow_variables:
            raise ValueError(
                f"mtf.function {self.function_name!r} created a Variable "
                f"({name or 'Variable'!r}) on a trace other than the first. As in "
                f"tf.function, Variables may be created only on the first call: create "
                f"them outside the function, or once (`if self.v is None: ...`).")


def _as_input(value):
    """A Tensor for a Variable write's value (arrays become constants)."""
    if isinstance(value, (Tensor, Variable)):
        return value
    constant = object.__new__(Tensor)
    constant._value = value
    return constant


def _write(ufunc):
    """A replayed ``assign``/``assign_add``/``assign_sub``, as eager runs it."""
    def write(variable, array):
        from ..tensor import _state_lock
        with _state_lock:
            ufunc(variable._value, array, out=variable._value)
            variable._version += 1
    return write


def _copy(source, array, out):
    np.copyto(out, array)


_WRITES = {"assign": _write(_copy), "assign_add": _write(np.add),
           "assign_sub": _write(np.subtract)}

_INSTEAD = {
    "bool": "a traced Tensor as a Python bool (`if x > 0:`, `while x:`, `and`/`or`)",
    "float": "float() of a traced Tensor",
    "int": "int() of a traced Tensor",
    "index": "a traced Tensor as a Python index or range() bound",
    "numpy": ".numpy() of a traced Tensor",
    "array": "a traced Tensor as a numpy array (np.asarray, numpy functions)",
}


def _python_use_message(name, how):
    return (f"Using {_INSTEAD[how]} is not allowed while mtf.function traces {name!r}: "
            f"Python would see only this call's value and replay it on every later call. "
            f"Use mtf.cond(pred, true_fn, false_fn) or mtf.where(cond, x, y) for branches, "
            f"mtf.while_loop(cond, body, loop_vars) for loops, mtf ops instead of numpy, "
            f"mtf.print to print values; or move this code out of the function.")
