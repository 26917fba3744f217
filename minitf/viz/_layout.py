"""Nodes, clusters, boxes and edges of a tape picture (tape_graph, backward_steps frames).

Each recorded op becomes a node ``op<index>`` inside the clusters of the calls
it ran in, unless a call is deeper than ``max_depth``: then all the ops of
that call are one box ``call_<scope>`` and the Variables only that box reads
are counted in it instead of drawn.
"""
from ..tape import INPUTS, NAME, OUT
from ..tensor import Variable, _TensorLike
from . import _dot
from ._common import format_shape
from ._values import as_array, gradient_text, value_text

TARGET = dict(_dot.OP, color="#b91c1c", penwidth="2")        # the op that made the target
GRADIENT_OP = {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#ffedd5",
               "color": "#c2410c"}
CURRENT = {"penwidth": "3", "color": "#dc2626", "fillcolor": "#fef08a"}   # frames: this step


class _Cluster:
    """A drawn call: its statements (node ids, labels, attrs) and nested clusters."""

    def __init__(self, call):
        self.call = call
        self.nodes = []
        self.children = {}      # Call -> _Cluster, in order of first use


class _Box:
    """A collapsed call: the node indices it stands for and the variables it absorbs."""

    def __init__(self, call, unit):
        self.call, self.unit = call, unit
        self.indices = []
        self.variables = []


class Layout:
    """Where every op, source and edge of a recording goes, in recording order."""

    def __init__(self, recording, grads=None, targets=(), values=True, max_depth=None,
                 current=None):
        self.rec, self.grads, self.values = recording, grads, values
        self.targets = {id(t) for t in targets}
        self.current = current            # node index a frame highlights
        self.root = _Cluster(None)
        self.edges, self.sources = [], {}
        self.clusters_by_scope = {}
        self._place(max_depth)
        self._connect()

    def _place(self, max_depth):
        """Assign each node to an op node or a box, inside its clusters."""
        self.units, self.boxes, self.where = [], {}, []
        for index, path in enumerate(self.rec.calls):
            cut = max_depth is not None and len(path) > max_depth
            shown = path[:max_depth] if cut else path
            cluster = self._cluster(shown)
            if cut:
                box = self.boxes.get(path[max_depth])
                if box is None:
                    box = self.boxes[path[max_depth]] = _Box(
                        path[max_depth], f"call_{_dot.node_id(path[max_depth].id)}")
                    cluster.nodes.append(box)
                box.indices.append(index)
                self.units.append(box.unit)
            else:
                cluster.nodes.append(index)
                self.units.append(f"op{index}")
            self.where.append(cluster)

    def _cluster(self, path):
        current = self.root
        for call in path:
            child = current.children.get(call)
            if child is None:
                child = current.children[call] = _Cluster(call)
                self.clusters_by_scope.setdefault(call.scope, child)
            current = child
        return current

    def _connect(self):
        """Edges in recording order; a box's internal edges and absorbed variables vanish."""
        producers = {}
        absorbed = self._absorbed()
        box_of = {box.unit: box for box in self.boxes.values()}
        seen, self.outputs = set(), {}
        for index, node in enumerate(self.rec.nodes):
            unit = self.units[index]
            for position, x in enumerate(node[INPUTS]):
                if id(x) in absorbed and absorbed[id(x)] == unit:
                    continue
                tail = (producers.get(id(x)) or self.shared.get(id(x))
                        or self._input_id(x, index, position, unit))
                if tail is None or tail == unit:
                    continue
                if tail in box_of:
                    self.outputs.setdefault(tail, {})[id(x)] = x
                if tail in box_of or unit in box_of or tail.startswith("shared"):
                    if (tail, unit) in seen:
                        continue
                    seen.add((tail, unit))
                self.edges.append((tail, unit))
            producers[id(node[OUT])] = unit
            if unit in box_of and id(node[OUT]) in self.targets:
                self.outputs.setdefault(unit, {})[id(node[OUT])] = node[OUT]

    def _absorbed(self):
        """``id(variable) -> box unit`` for Variables that one box alone reads."""
        readers = {}
        for index, node in enumerate(self.rec.nodes):
            for x in node[INPUTS]:
                if type(x) is Variable:
                    readers.setdefault(id(x), (x, set()))[1].add(self.units[index])
        absorbed, groups = {}, {}
        boxes = {b.unit: b for b in self.boxes.values()}
        for key, (variable, units) in readers.items():
            if len(units) == 1 and next(iter(units)) in boxes:
                absorbed[key] = next(iter(units))
                boxes[absorbed[key]].variables.append(variable)
            elif len(units) > 1 and units <= boxes.keys():
                groups.setdefault(frozenset(units), []).append(variable)
        self.shared = {}
        for variables in groups.values():
            if len(variables) > 1:       # one node for the weights several calls share
                node_id = f"shared{len(self.root.nodes)}"
                self.root.nodes.append((node_id, *self._shared_label(variables)))
                self.shared.update((id(v), node_id) for v in variables)
        return absorbed

    def _shared_label(self, variables):
        """(label, style) of the node standing for Variables several boxes read."""
        names = [v.name for v in variables]
        scope = names[0][:len(_common_prefix(names))].rpartition("/")[0]
        lines = [f"{len(variables)} variables, {sum(int(v.size) for v in variables):,} "
                 f"params", "shared by several calls"]
        if self.grads is not None and all(id(v) in self.grads for v in variables):
            squares = sum(float((as_array(self.grads[id(v)]).astype("float64") ** 2).sum())
                          for v in variables)
            lines.append(f"grad norm {squares ** 0.5:.4g}")
        return _dot.label(f"{scope or 'shared'} weights", *lines, bold=False), _dot.TRAINABLE

    def _input_id(self, x, index, position, unit):
        if not isinstance(x, _TensorLike):      # a Python number, drawn at its op
            if unit.startswith("call_"):
                return None
            node_id = f"op{index}_arg{position}"
            self.where[index].nodes.append((node_id, _dot.plain_label(repr(x)),
                                            _dot.CONSTANT))
            return node_id
        node_id = self.sources.get(id(x))
        if node_id is None:
            node_id = self.sources[id(x)] = f"in{len(self.sources)}"
            self._add_source(node_id, x)
        return node_id

    def _add_source(self, node_id, x):
        name = self.rec.source_name(x)
        if type(x) is Variable:
            home = self.clusters_by_scope.get(x.name.rpartition("/")[0] + "/", self.root)
            style = _dot.TRAINABLE if x.trainable else _dot.NON_TRAINABLE
            lines = _dot.variable_lines(x)
            if self.values:
                lines.append("assigned after recording" if self.rec.assigned_since(x)
                             else f"value {value_text(x)}")
        else:
            home = self.root
            watched = id(x) in self.rec.watched
            style = _dot.INPUT if watched else _dot.CONSTANT
            name = name or ("watched" if watched else "constant")
            lines = [f"{format_shape(x.shape)} {x.dtype}"]
            if self.values:
                lines.append(f"value {value_text(x)}")
        home.nodes.append((node_id, _dot.label(name, *lines, *self._grad(x), bold=False),
                           style))

    def _op(self, index):
        node = self.rec.nodes[index]
        out = node[OUT]
        gradient_op = index in self.rec.gradient_ops
        lines = ["gradient op"] if gradient_op else []
        lines.append(f"{format_shape(out.shape)} {out.dtype}")
        if self.values:
            lines.append(f"value {value_text(out)}")
        style = GRADIENT_OP if gradient_op else _dot.OP
        if id(out) in self.targets:
            style = dict(style, color=TARGET["color"], penwidth=TARGET["penwidth"])
        if index == self.current:
            style = dict(style, **CURRENT)
        return f"op{index}", _dot.label(node[NAME], *lines, *self._grad(out)), style

    def _box(self, box):
        lines = [f"{len(box.indices)} ops"]
        if box.variables:
            lines[0] += f", {sum(int(v.size) for v in box.variables):,} params"
        outputs = list(self.outputs.get(box.unit, {}).values()) or [
            self.rec.nodes[box.indices[-1]][OUT]]
        if len(outputs) == 1:
            out = outputs[0]
            lines.append(f"out {format_shape(out.shape)} {out.dtype}")
            if self.values:
                lines.append(f"value {value_text(out)}")
            lines.extend(self._grad(out))
        else:
            lines.append(f"{len(outputs)} outputs")
        style = dict(_dot.MODULE)
        if any(id(o) in self.targets for o in outputs):
            style.update(color="#b91c1c", penwidth="2")
        if self.current in box.indices:
            style.update(CURRENT)
        return box.unit, _dot.label(box.call.label, *lines), style

    def _grad(self, value):
        if self.grads is None or id(value) not in self.grads:
            return ()
        return (gradient_text(self.grads[id(value)]),)

    def emit(self, graph):
        """Clusters with their nodes first, then every edge at the top level."""
        self._emit(graph, self.root, depth=0)
        for tail, head in self.edges:
            graph.edge(tail, head)

    def _emit(self, graph, cluster, depth):
        sources = [item for item in cluster.nodes if isinstance(item, tuple)]
        ops = [item for item in cluster.nodes if not isinstance(item, tuple)]
        for item in sources + ops:        # sources first: dot then keeps their order
            if isinstance(item, int):
                item = self._op(item)
            elif isinstance(item, _Box):
                item = self._box(item)
            node_id, label, attrs = item
            graph.node(node_id, label, **attrs)
        for child in cluster.children.values():
            with graph.subgraph(name=f"cluster_{_dot.node_id(child.call.id)}") as sub:
                sub.attr(label=_dot.plain_label(child.call.label), labeljust="l",
                         fontsize="10", style="rounded,filled", color="#94a3b8",
                         fillcolor="#f8fafc" if depth % 2 == 0 else "#eef2f7")
                self._emit(sub, child, depth + 1)


def _common_prefix(names):
    first, last = min(names), max(names)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]
