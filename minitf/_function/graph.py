"""``ConcreteFunction.graph``: the traced steps as TF-style operations.

Names follow TensorFlow: the name scope path inside the function plus the op
type (``encoder/dense/matmul``), or the op's ``name=`` instead of the type,
made unique within the function with ``_1``, ``_2``. Every recorded step is
listed, including those the compiled program drops because nothing reads them.
"""
import numpy as np

from .recorder import SLOT, VARIABLE


class GraphTensor:
    """A value in the graph: ``op:index``, with its static shape and dtype.

    ``kind`` says where it comes from: ``"op"`` (an operation's output, ``.op``),
    ``"variable"`` (``.source`` is the Variable), ``"constant"`` (``.source`` is
    the captured value) or ``"captured"`` (a value of an enclosing trace)."""

    __slots__ = ("name", "shape", "dtype", "op", "value_index", "kind", "source")

    def __init__(self, name, shape, dtype, op=None, value_index=0, kind="op", source=None):
        self.name, self.shape, self.dtype = name, tuple(shape), dtype
        self.op, self.value_index = op, value_index
        self.kind, self.source = kind, source

    def __repr__(self):
        return f"<GraphTensor {self.name!r} shape={self.shape} dtype={self.dtype}>"


class Operation:
    """One traced op: ``name``, ``type``, ``inputs``, ``outputs``, and ``part``
    (``"input"``, ``"forward"``, ``"backward"`` or ``"update"``)."""

    __slots__ = ("name", "type", "inputs", "outputs", "part", "scope", "label")

    def __init__(self, name, type_, inputs, part, scope, label=None):
        self.name, self.type, self.inputs = name, type_, inputs
        self.part, self.scope, self.label = part, scope, label
        self.outputs = []

    def __repr__(self):
        return f"<Operation {self.name!r} type={self.type}>"


class Graph:
    """The operations of one ``ConcreteFunction``, in the order they ran."""

    def __init__(self, concrete):
        self._used = set()
        self._by_slot = {}
        self.operations = []
        info = concrete._slot_info
        self.inputs = [self._placeholder(name, slot, info[slot])
                       for name, slot in zip(concrete._input_names, concrete._input_slots)]
        for step in concrete._recorder_steps:
            self._add(step)
        self.outputs = [self._tensor(ref) for ref in concrete._output_refs]

    def get_operations(self):
        return list(self.operations)

    def get_operation_by_name(self, name):
        for op in self.operations:
            if op.name == name:
                return op
        raise KeyError(f"No operation named {name!r} in this graph.")

    def _unique(self, name):
        candidate, k = name, 0
        while candidate in self._used:
            k += 1
            candidate = f"{name}_{k}"
        self._used.add(candidate)
        return candidate

    def _placeholder(self, name, slot, shape_dtype):
        op = Operation(self._unique(name), "Placeholder", [], "input", "")
        self.operations.append(op)
        return self._output(op, slot, *shape_dtype)

    def _add(self, step):
        op = Operation(self._unique(step.scope + (step.label or step.op)), step.op,
                       [self._tensor(ref) for ref in step.ins], step.part, step.scope,
                       step.label)
        self.operations.append(op)
        for slot, shape, dtype in zip(step.outs, step.shapes, step.dtypes):
            self._output(op, slot, shape, dtype)

    def _output(self, op, slot, shape, dtype):
        tensor = GraphTensor(f"{op.name}:{len(op.outputs)}", shape, dtype, op,
                             len(op.outputs))
        op.outputs.append(tensor)
        self._by_slot[slot] = tensor
        return tensor

    def _tensor(self, ref):
        kind, what = ref
        if kind == SLOT:
            found = self._by_slot.get(what)
            if found is not None:
                return found
            return GraphTensor(f"captured_{what}", (), None, kind="captured")
        if kind == VARIABLE or hasattr(what, "_value"):    # read, or written by a step
            return GraphTensor(what.name, what.shape, what.dtype, kind="variable",
                               source=what)
        return GraphTensor("Const", np.shape(what), getattr(what, "dtype", None),
                           kind="constant", source=what)
