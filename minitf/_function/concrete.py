"""``ConcreteFunction``: one traced program, for one signature.

Calling it replays the program on new input arrays and packs the output arrays
into the traced result's structure; ``graph`` lists the traced ops TF-style. An
error a replayed step raises is re-worded to start with the op's name.
"""
from .. import _nest
from ..indexed_slices import IndexedSlices
from ..ops import _dispatch
from ..ops._quiet import enter as _quiet_enter, leave as _quiet_leave
from ..tensor import Tensor
from . import graph as _graph
from .program import Program
from .signature import call_key

_new = object.__new__


class ConcreteFunction:
    """One traced program, for one signature: call it, or read its graph."""

    def __init__(self, name, rec, input_slots, structure, output_refs, input_names):
        self.name = name
        self._recorder_steps = rec.steps
        self._structure = structure
        self._input_slots = input_slots
        self._input_names = input_names
        self._output_refs = output_refs
        self._slot_info = rec.slot_info
        self._key = None
        self.program = Program(rec.steps, input_slots, output_refs, name, rec.init_slots)
        self._pack = _packer(structure)
        self._graph = None

    def _replay(self, arrays):
        run = self.program.run if _dispatch.numerics_check is None else (
            self.program.checked_run())
        token = _quiet_enter()
        try:
            values = run(*arrays)
        except _REPLAY_ERRORS as e:
            error = _replay_error(self, e)
            if error is e:
                raise
            raise error from e
        finally:
            _quiet_leave(token)
        return self._pack(values)

    def __call__(self, *args, **kwargs):
        parts, arrays = [], []
        call_key(args, parts, arrays)
        if kwargs:
            call_key((kwargs,), parts, arrays)
        if self._key is not None and tuple(parts) != self._key:
            raise TypeError(f"ConcreteFunction {self.name!r} was traced for other "
                            f"argument shapes, dtypes or values; call the mtf.function "
                            f"itself to trace for these.")
        return self._replay(arrays)

    @property
    def graph(self):
        """The traced ops, TF-style (``graph.operations``)."""
        if self._graph is None:
            self._graph = _graph.Graph(self)
        return self._graph

    @property
    def inputs(self):
        return self.graph.inputs

    @property
    def outputs(self):
        return self.graph.outputs

    @property
    def structured_outputs(self):
        return self._structure

    def __repr__(self):
        return f"<ConcreteFunction {self.name} ({len(self.graph.operations)} ops)>"


_REPLAY_ERRORS = (ValueError, TypeError, IndexError, ZeroDivisionError, FloatingPointError,
                  OverflowError, ArithmeticError)


def _replay_error(concrete, error):
    """``error`` (raised by numpy or a kernel while replaying) as the eager op would
    word it: starting with the op's name, and saying which function replayed it."""
    step = concrete.program.failed_step(error)
    op = (step.label or step.op) if step is not None else "a step"
    if str(error).startswith(op):
        return error
    try:
        return type(error)(f"{op}: {error} (replaying mtf.function {concrete.name!r}"
                           f"{', scope ' + repr(step.scope) if step and step.scope else ''})")
    except TypeError:                   # an error type that needs other arguments
        return error


def _packer(structure):
    """A function from the program's output arrays to the function's result."""
    if type(structure) is Tensor:
        def single(values):
            out = _new(Tensor)
            out._value = values[0]
            return out
        return single
    leaves = _nest.flatten(structure)
    kinds = [(i, type(leaf)) for i, leaf in enumerate(leaves)
             if type(leaf) is Tensor or type(leaf) is IndexedSlices]
    if not kinds:
        return lambda values: structure

    def pack(values):
        filled, k = list(leaves), 0
        for i, kind in kinds:
            if kind is Tensor:
                filled[i] = _tensor(values[k])
                k += 1
            else:
                filled[i] = slices(_tensor(values[k]), _tensor(values[k + 1]),
                                    leaves[i].dense_shape)
                k += 2
        return _nest.pack_like(structure, filled)
    return pack


def slices(values, indices, dense_shape):
    """An IndexedSlices of checked parts (no validation: the trace checked them)."""
    out = _new(IndexedSlices)
    out._values, out._indices, out._dense_shape = values, indices, dense_shape
    return out


def _tensor(value):
    out = _new(Tensor)
    out._value = value
    return out

