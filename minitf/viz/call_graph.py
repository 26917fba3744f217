"""call_graph: the data flow between module calls (Keras' ``plot_model``) from one real call.

``module(*inputs)`` runs once while ``_calls.recording`` notes every module
call (enter, exit, nesting, arguments, result). Meanwhile a private
persistent tape, watching the inputs and every drawn call's outputs, records
the plain ops run between calls. Each tensor gets the set of *sources* it was
computed from: a model input or a drawn call's output (a call's outputs start
afresh from that call when it returns). A call's inputs then name the calls
that feed it, directly (the very tensor) or through plain ops (the op names
become the edge label). Integer tensors cannot be watched, so plain ops on
them between calls are not followed (passing them on unchanged is).
"""
import inspect

import numpy as np

from .. import _nest
from ..module import Module
from ..ops.convert import constant
from ..tape import GradientTape, INPUTS, NAME, OUT
from ..tensor import _TensorLike
from . import _dot
from ._calls import CallRecorder, calls_per_module, recording
from ._common import check_module, format_shape, parameter_count, paused_tapes, walk

# Fill colours that tell the modules called more than once apart.
SHARED_FILLS = ("#fde68a", "#fbcfe8", "#bbf7d0", "#fed7aa", "#c7d2fe", "#a5f3fc")
_MAX_OPS = 3        # op names listed on an edge before "..."


def call_graph(module, *inputs, max_depth=1, rankdir="TB", name=None, **call_kwargs):
    """Draw the data flow between the module calls of ``module(*inputs, **call_kwargs)``.

    One box per call: attribute path, class, input and output shapes,
    parameter count. Edges go from a call (or a model input) to each call
    that uses its output, directly or through plain ops (dashed, labelled
    with the ops). A module called several times (a shared layer) is one box
    per call, all in one colour and marked ``shared: call i of n``. Calls
    nested up to ``max_depth`` levels below ``module`` are drawn (default 1:
    its direct children); a drawn call with drawn calls inside is a cluster
    around them. ``max_depth=None`` draws every level. Model inputs are named
    after ``__call__``'s parameters; numpy inputs become Tensors, other
    values pass unchanged, and keywords other than ``max_depth``, ``rankdir``
    and ``name`` go to the call. Any Python control flow works: this is one
    real call (on no tape of yours).

    >>> graph = mtf.viz.call_graph(mtf.layers.MLP([4, 2]), mtf.ones([3, 5]))
    >>> [line.strip() for line in graph.source.splitlines() if "->" in line]
    ['input -> call_1', 'call_1 -> call_2 [label=<relu> style=dashed]', 'call_2 -> output']
    """
    check_module("call_graph", module)
    if max_depth is not None and (type(max_depth) is not int or max_depth < 0):
        raise ValueError(f"call_graph: max_depth must be None or an int >= 0. "
                         f"Received: max_depth={max_depth!r}")
    if not callable(module):
        raise TypeError(f"call_graph: {type(module).__name__} has no __call__, so it "
                        f"cannot be called on example inputs. Draw its structure with "
                        f"mtf.viz.module_graph(module) instead.")
    inputs = tuple(_as_tensor(x) for x in inputs)
    flow = _Flow(max_depth)
    recorder = CallRecorder(flow.enter, flow.exit)
    with paused_tapes(), recording(module, recorder), flow.tape:
        flow.start(inputs)
        result = module(*inputs, **call_kwargs)
        flow.sync()
    if not recorder.calls or recorder.calls[0].module is not module:
        raise TypeError(f"call_graph: calling {type(module).__name__} recorded no call "
                        f"of it; give its class a __call__ method.")
    return _Drawing(module, recorder.calls, flow, max_depth).draw(inputs, result,
                                                                  name, rankdir)


def _as_tensor(value):
    """numpy arrays become Tensors, so their identity can be followed (other arguments,
    such as a Python int for a loop count, are passed as they are)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return constant(value)
    return value


def _tensors(value):
    """The Tensor-like leaves of a nested structure of arguments or results."""
    return [x for x in _nest.flatten(value) if isinstance(x, _TensorLike)]


class _Flow:
    """Which sources (model inputs, drawn calls) each tensor was computed from."""

    def __init__(self, max_depth):
        self.max_depth = max_depth
        self.tape = GradientTape(persistent=True, watch_accessed_variables=False)
        self.sources = {}       # id(tensor) -> {source key: op names on the way}
        self._keep = []         # tensors whose ids are keys: kept alive
        self._seen = 0          # tape nodes already followed

    def start(self, inputs):
        for i, x in enumerate(inputs):
            for t in _tensors(x):
                self._mark(t, ("input", i))

    def _mark(self, tensor, key):
        self.sources[id(tensor)] = {key: ()}
        self._keep.append(tensor)
        if tensor._value.dtype.kind == "f":
            self.tape.watch(tensor)

    def sync(self):
        """Follow the ops recorded since the last call event."""
        nodes = self.tape._nodes
        for node in nodes[self._seen:]:
            merged = {}
            for x in node[INPUTS]:
                for key, ops in self.sources.get(id(x), {}).items():
                    merged[key] = _join(merged.get(key, ()), ops + (node[NAME],))
            if merged:
                self.sources[id(node[OUT])] = merged
        self._seen = len(nodes)

    def origins(self, value):
        """``{source key: op names}`` of all tensors in ``value``."""
        merged = {}
        for t in _tensors(value):
            for key, ops in self.sources.get(id(t), {}).items():
                merged[key] = _join(merged.get(key, ()), ops) if key in merged else ops
        return merged

    def drawn(self, call):
        return self.max_depth is None or call.depth <= self.max_depth

    def enter(self, call):
        if self.drawn(call):
            self.sync()
            call.data = self.origins((call.args, call.kwargs))

    def exit(self, call):
        if not self.drawn(call):
            return
        self.sync()
        if not any(self.drawn(child) for child in call.children):
            for t in _tensors(call.result):
                self._mark(t, ("call", call.index))


def _join(first, second):
    """Op names of both, each once, in order."""
    return first + tuple(name for name in second if name not in first)


class _Drawing:
    """Turns the recorded calls and flow into DOT."""

    def __init__(self, module, calls, flow, max_depth):
        self.root = calls[0]
        self.flow = flow
        self.drawn = [c for c in calls if flow.drawn(c)]
        self.paths = {id(e.obj): e.path for e in walk(module) if isinstance(e.obj, Module)}
        per_module = calls_per_module(self.drawn)
        self.numbers, self.fills = {}, {}
        for found in per_module.values():
            if len(found) > 1:
                fill = SHARED_FILLS[len(self.fills) % len(SHARED_FILLS)]
                for i, call in enumerate(found, 1):
                    self.numbers[call.index] = (i, len(found))
                    self.fills[call.index] = fill

    def draw(self, inputs, result, name, rankdir):
        module = self.root.module
        self.n_inputs = len(inputs)
        graph = _dot.new_digraph(name or module.name, rankdir)
        graph.attr(label=_dot.plain_label(f"calls of {type(module).__name__} "
                                          f"{module.name!r}"), labelloc="t")
        for i, (x, title) in enumerate(zip(inputs, _input_titles(module, len(inputs)))):
            if not _tensors(x):
                continue            # a Python value such as a loop count: no data flow
            graph.node(self._source_id(("input", i)), _dot.label(title, _value_line(x)),
                       **_dot.INPUT)
        if self._is_leaf(self.root):
            self._node(graph, self.root)
        else:
            for child in self.root.children:
                self._place(graph, child)
        for call in self.drawn:
            if self._is_leaf(call):
                self._edges(graph, call.data or {}, f"call_{call.index}")
        outputs = _tensors(result)
        for i, t in enumerate(outputs):
            node = "output" if len(outputs) == 1 else f"output_{i}"
            title = "output" if len(outputs) == 1 else f"output {i}"
            graph.node(node, _dot.label(title, _value_line(t)), **_dot.INPUT)
            self._edges(graph, self.flow.origins(t), node)
        return graph

    def _is_leaf(self, call):
        return not any(self.flow.drawn(child) for child in call.children)

    def _place(self, container, call):
        """A node for a leaf call, a cluster holding the drawn calls inside otherwise."""
        if not self.flow.drawn(call):
            return
        if self._is_leaf(call):
            self._node(container, call)
            return
        with container.subgraph(name=f"cluster_call_{call.index}") as cluster:
            cluster.attr(label=self._label(call), style="rounded,filled",
                         fillcolor=self.fills.get(call.index, "#eff6ff"),
                         color=_dot.MODULE["color"], fontname=_dot.FONT, fontsize="11")
            for child in call.children:
                self._place(cluster, child)

    def _node(self, container, call):
        style = dict(_dot.MODULE)
        if call.index in self.fills:
            style.update(fillcolor=self.fills[call.index], penwidth="2")
        container.node(f"call_{call.index}", self._label(call),
                       tooltip=_dot.attribute(call.module.name_scope.name), **style)

    def _label(self, call):
        module = call.module
        path = self.paths.get(id(module))
        title = (path if path else module.name) if call.depth else type(module).__name__
        if call.method != "__call__":
            title += f".{call.method}"
        lines = [type(module).__name__ if call.depth else repr(module.name),
                 f"in {_shapes(call.args)}", f"out {_shapes(call.result)}",
                 f"params {parameter_count(module.variables):,}"]
        if call.index in self.numbers:
            i, n = self.numbers[call.index]
            lines.append(f"shared: call {i} of {n}")
        return _dot.label(title, *lines)

    def _edges(self, graph, origins, head):
        for key, ops in origins.items():
            if not ops:
                graph.edge(self._source_id(key), head)
                continue
            shown = ", ".join(ops[:_MAX_OPS]) + (", ..." if len(ops) > _MAX_OPS else "")
            graph.edge(self._source_id(key), head, label=_dot.plain_label(shown),
                       style="dashed")

    def _source_id(self, key):
        kind, index = key
        return "input" if kind == "input" and self.n_inputs == 1 else f"{kind}_{index}"


def _input_titles(module, count):
    """The names of ``__call__``'s positional parameters ("input 0", ... if unknown)."""
    try:
        parameters = list(inspect.signature(module.__call__).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][:count]
    if len(names) == count:
        return names
    return ["input"] if count == 1 else [f"input {i}" for i in range(count)]


def _value_line(value):
    if isinstance(value, _TensorLike):
        return f"{tuple(value.shape)} {value.dtype}"
    return type(value).__name__


def _shapes(value):
    """The shapes of the tensors in ``value``: one shape, or a list of them."""
    shapes = [tuple(t.shape) for t in _tensors(value)]
    if not shapes:
        return "-"
    return format_shape(shapes[0] if len(shapes) == 1 else shapes)
