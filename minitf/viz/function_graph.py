"""function_graph: the program ``mtf.function`` traced, clustered by name scope.

Every operation of ``ConcreteFunction.graph`` is a node, coloured by the part
of the program it belongs to (inputs, forward pass, the tape's backward pass,
Variable updates); a backward op keeps the cluster of the scope it was
recorded in. Collapsing turns each scope below a depth into one box that
counts its ops per part, so a training step reads as one box per module.
"""

from . import _dot
from ._common import format_shape
from .tape_graph import _emit_scope, _Scope

PARTS = ("input", "forward", "backward", "update")

PART_STYLES = {
    "input": _dot.INPUT,
    "forward": _dot.OP,
    "backward": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#fce7f3",
                 "color": "#be185d"},
    "update": {"shape": "box", "style": "filled,bold", "fillcolor": "#fee2e2",
               "color": "#b91c1c"},
}


def function_graph(concrete_function, collapse=False, max_depth=None, rankdir="TB",
                   name=None):
    """Draw a traced ``mtf.function`` program as a ``graphviz.Digraph``.

    One node per operation (its name inside its scope, the type when a
    ``name=`` replaced it, output shapes and dtypes), clustered by name scope,
    nested as the scopes are. Fill and border tell the parts apart: inputs
    green, forward violet, backward pink and dashed, updates red and bold
    (a legend counts each). Variables and constants are source nodes (the
    edge into an update from the Variable it writes says "writes"); ops whose
    result the function returns have a thick border.

    ``max_depth=k`` keeps the scopes up to depth ``k`` (``"encoder/"`` is depth
    1) as clusters and draws each scope at depth ``k + 1`` as one box counting
    the ops (per part), nested scopes and Variables inside it; edges touching a
    box are merged, labelled with the number of tensors when more than one.
    ``collapse=True`` is ``max_depth=0`` (one box per top-level scope); with a
    ``max_depth`` it adds nothing.

    ``concrete_function`` is a ``ConcreteFunction`` (``f.get_concrete_function(
    *args)``) or an ``mtf.function`` traced exactly once.

    >>> @mtf.function
    ... def double(x):
    ...     with mtf.name_scope("scale"):
    ...         return x * 2.0
    >>> graph = mtf.viz.function_graph(double.get_concrete_function(mtf.constant(1.0)))
    >>> "cluster_scale/" in graph.source
    True
    """
    concrete = _concrete(concrete_function)
    cut = _cut_depth(collapse, max_depth)
    graph = _dot.new_digraph(name or concrete.name, rankdir)
    _Layout(concrete.graph, cut).emit(graph)
    return graph


def _concrete(given):
    """The ConcreteFunction to draw, or TypeError saying what to pass."""
    from .._function.function import ConcreteFunction, Function   # not at import: a cycle
    if isinstance(given, ConcreteFunction):
        return given
    if isinstance(given, Function):
        traced = list(given._concrete.values())
        if len(traced) == 1:
            return traced[0]
        raise TypeError(_ambiguous_message(given, len(traced)))
    hint = (" Wrap a Python function with mtf.function and trace it first."
            if callable(given) else "")
    raise TypeError(f"function_graph: expected a ConcreteFunction (from "
                    f"f.get_concrete_function(*args)) or an mtf.function.{hint} "
                    f"Received: {type(given).__name__} {given!r:.80}")


def _ambiguous_message(function, count):
    name = function._name
    what = "has not been traced yet" if count == 0 else (
        f"has {count} concrete functions (one per argument signature)")
    return (f"function_graph: mtf.function {name!r} {what}; pass the one to draw: "
            f"function_graph({name}.get_concrete_function(*args)).")


def _cut_depth(collapse, max_depth):
    """The depth below which scopes become boxes (None: never)."""
    if type(collapse) is not bool:
        raise TypeError(f"function_graph: collapse must be True or False. "
                        f"Received: collapse={collapse!r}")
    if max_depth is not None and (type(max_depth) is not int or max_depth < 0):
        raise ValueError(f"function_graph: max_depth must be None or an int >= 0. "
                         f"Received: max_depth={max_depth!r}")
    if max_depth is None and collapse:
        return 0
    return max_depth


def _components(scope):
    return [part for part in scope.split("/") if part]


def _split(scope, cut):
    """(cluster path, box path or None) where an op or Variable of ``scope`` goes."""
    parts = _components(scope)
    if cut is None or len(parts) <= cut:
        return scope, None
    return _join(parts[:cut]), _join(parts[:cut + 1])


def _join(parts):
    return "".join(part + "/" for part in parts)


class _Box:
    """A collapsed scope: one node counting what it holds."""

    def __init__(self, node_id, path, cluster, position):
        self.node_id, self.path = node_id, path
        self.cluster, self.position = cluster, position
        self.ops = dict.fromkeys(PARTS, 0)
        self.variables = set()
        self.returns = False


class _Layout:
    """Clusters, boxes, nodes and edges of one graph, in the order the ops ran."""

    def __init__(self, graph, cut):
        self.cut = cut
        self.root = _Scope("", "")
        self.boxes = {}            # scope path -> _Box
        self.box_ids = set()
        self.variables = {}        # tensor name -> node id
        self.edges = {}            # (tail, head) -> names of the tensors along it
        self.plain_edges = []      # (tail, head, attrs) between single nodes, repeats kept
        self.counts = dict.fromkeys(PARTS, 0)
        self.scopes = {op.scope for op in graph.operations}
        self.returned = {id(t.op) for t in graph.outputs if t.op is not None}
        self.heads = {}            # id(op) -> the node standing for it
        for index, op in enumerate(graph.operations):
            self._add(index, op)

    def _add(self, index, op):
        self.counts[op.part] += 1
        cluster, box = self._place(op.scope)
        if box is None:
            head = f"op{index}"
            cluster.nodes.append((head, _op_label(op), self._op_style(op)))
        else:
            head = box.node_id
            box.ops[op.part] += 1
            box.returns |= id(op) in self.returned
        self.heads[id(op)] = head
        for position, tensor in enumerate(op.inputs):
            tail = self._tail(tensor, f"op{index}_arg{position}", cluster, box)
            if tail is not None and tail != head:
                writes = op.part == "update" and position == 0 and tail.startswith("var")
                self._edge(tail, head, tensor.name, writes)

    def _place(self, scope):
        """(cluster, box or None) for something in ``scope``, created on demand."""
        cluster_path, box_path = _split(scope, self.cut)
        cluster = self._cluster(cluster_path)
        if box_path is None:
            return cluster, None
        box = self.boxes.get(box_path)
        if box is None:
            box = self.boxes[box_path] = _Box(f"box_{_dot.node_id(box_path)}", box_path,
                                              cluster, len(cluster.nodes))
            self.box_ids.add(box.node_id)
            cluster.nodes.append(None)          # filled in once its ops are counted
        return cluster, box

    def _cluster(self, path):
        current = self.root
        for part in _components(path):
            child = current.children.get(part)
            if child is None:
                child = current.children[part] = _Scope(part, current.full + part + "/")
            current = child
        return current

    def _tail(self, tensor, constant_id, cluster, box):
        """The node a tensor comes from (None: a constant hidden in a box)."""
        if tensor.op is not None:
            return self.heads[id(tensor.op)]
        if tensor.kind == "variable":
            return self._variable(tensor)
        if box is not None:
            return None
        title = "constant" if tensor.name == "Const" else tensor.name
        what = "Python value" if tensor.dtype is None else _describe(tensor)
        cluster.nodes.append((constant_id, _dot.label(title, what, bold=False), _dot.CONSTANT))
        return constant_id

    def _variable(self, tensor):
        """A Variable's node, in the cluster of the scope that made it if that scope
        has ops (else at the top); a Variable of a collapsed scope is its box."""
        node_id = self.variables.get(id(tensor.source))
        if node_id is not None:
            return node_id
        home = _join(_components(tensor.name.rpartition("/")[0]))
        cluster, box = self._place(home if home in self.scopes else "")
        if box is not None:
            box.variables.add(id(tensor.source))
            node_id = box.node_id
        else:
            node_id = f"var{len(self.variables)}"
            label = _dot.label(_dot.short_name(tensor.name), _describe(tensor), bold=False)
            style = _dot.TRAINABLE if tensor.source.trainable else _dot.NON_TRAINABLE
            cluster.nodes.append((node_id, label, dict(style,
                                                        tooltip=_dot.attribute(tensor.name))))
        self.variables[id(tensor.source)] = node_id
        return node_id

    def _edge(self, tail, head, tensor_name, writes):
        """Edges touching a box are merged; between single nodes each input is drawn
        (the Variable an update writes labelled so)."""
        if self.box_ids & {tail, head}:
            self.edges.setdefault((tail, head), set()).add(tensor_name)
        else:
            label = {"label": _dot.plain_label("writes")} if writes else {}
            self.plain_edges.append((tail, head, label))

    def _op_style(self, op):
        style = dict(PART_STYLES[op.part], tooltip=_dot.attribute(op.name))
        if op.type == "call":
            style["peripheries"] = "2"
        if id(op) in self.returned:
            style["penwidth"] = "2.5"
        return style

    def emit(self, graph):
        """Clusters with their nodes and boxes, the legend, then every edge."""
        for box in self.boxes.values():
            box.cluster.nodes[box.position] = (box.node_id, _box_label(box, self.scopes),
                                               _box_style(box))
        _emit_scope(graph, self.root, depth=0)
        self._emit_legend(graph)
        for tail, head, attrs in self.plain_edges:
            graph.edge(tail, head, **attrs)
        for (tail, head), names in self.edges.items():
            if len(names) > 1:
                graph.edge(tail, head, label=_dot.plain_label(f"{len(names)} tensors"))
            else:
                graph.edge(tail, head)

    def _emit_legend(self, graph):
        """One sample node per part present (and for boxes), in a row."""
        entries = [(f"legend_{part}", _dot.label(part, _count(count, "op")), PART_STYLES[part])
                   for part, count in self.counts.items() if count]
        if self.boxes:
            entries.append(("legend_box", _dot.label("collapsed scope", "ops per part"),
                            _dot.MODULE))
        if graph.graph_attr["rankdir"] in ("TB", "BT"):
            entries.reverse()      # dot lays unconnected nodes out right to left
        with graph.subgraph(name="cluster_legend") as legend:
            legend.attr(label=_dot.plain_label("parts"), labeljust="l", fontsize="10",
                        style="dashed", color="#94a3b8")
            for node_id, label, style in entries:
                legend.node(node_id, label, **style)


def _op_label(op):
    title = op.name[len(op.scope):] if op.name.startswith(op.scope) else op.name
    kind = op.type if op.label is not None else None
    outputs = [_describe(t) for t in op.outputs]
    if len(outputs) > 1:
        outputs = [f":{i} {text}" for i, text in enumerate(outputs)]
    return _dot.label(title, kind, *outputs)


def _box_label(box, scopes):
    """The scope's name over its op counts per part, nested scopes and Variables."""
    lines = [_count(count, f"{part} op") for part, count in box.ops.items() if count]
    nested = {_join(parts[:k]) for parts in map(_components, scopes)
              for k in range(len(parts) + 1)}
    nested = [s for s in nested if s.startswith(box.path) and s != box.path]
    if nested:
        lines.append(_count(len(nested), "nested scope"))
    if box.variables:
        lines.append(_count(len(box.variables), "variable"))
    return _dot.label(_components(box.path)[-1], *lines)


def _box_style(box):
    style = dict(_dot.MODULE, tooltip=_dot.attribute(box.path))
    if box.returns:
        style["penwidth"] = "2.5"
    return style


def _count(n, what):
    return f"{n} {what}{'s' if n != 1 else ''}"


def _describe(tensor):
    """``"(2, 3) float32"``; the dtype is left out when unknown."""
    shape = format_shape(tensor.shape)
    return shape if tensor.dtype is None else f"{shape} {tensor.dtype}"
