"""tape_graph: the ops a GradientTape recorded, boxed by the name scope they ran in.

A module's ``with_name_scope`` methods run inside its scope ("mlp/linear_0/"),
so its ops land in its cluster, nested as the modules are. Variables sit in
the cluster of the scope they were created in when it holds ops. With a
``target``, every value is annotated with the norm of the target's gradient
with respect to it: the backward pass, made visible.
"""
import numpy as np

from ..indexed_slices import IndexedSlices
from ..tape import (INPUTS, NAME, OUT, SCOPE, GradientTape, _checked_targets, _upstreams,
                    backward)
from ..tensor import Variable, _TensorLike
from . import _dot
from ._common import format_shape, paused_tapes

_TARGET = dict(_dot.OP, color="#b91c1c", penwidth="2")   # the op that made the target


def tape_graph(tape, target=None, output_gradients=None, rankdir="TB", name="tape"):
    """Draw the ops ``tape`` recorded as a ``graphviz.Digraph``.

    One node per op (name, output shape and dtype); Variables, watched Tensors
    and constants feeding the ops are source nodes. Ops are clustered by name
    scope, nested clusters for nested scopes. With ``target`` (a value the
    tape recorded, e.g. the loss) each node also shows ``|grad|``, the norm of
    d target / d value (``output_gradients`` as in ``tape.gradient``).

    The tape must still hold its recording: draw it before calling
    ``gradient()`` on a non-persistent tape, or create it with
    ``persistent=True``.

    >>> x = mtf.constant([1.0, 2.0])
    >>> with mtf.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = mtf.reduce_sum(x * x)
    >>> graph = mtf.viz.tape_graph(tape, target=y)
    >>> "multiply" in graph.source and "|grad| 4.472" in graph.source
    True
    """
    nodes = _recorded(tape)
    norms = None
    if target is not None:
        norms = _gradient_norms(tape, nodes, target, output_gradients)
    graph = _dot.new_digraph(name, rankdir)
    _Layout(tape, nodes, norms, target).emit(graph)
    return graph


def _recorded(tape):
    if not isinstance(tape, GradientTape):
        raise TypeError(f"tape_graph: expected a GradientTape. "
                        f"Received: {type(tape).__name__}")
    if tape._used:
        raise RuntimeError(
            "tape_graph: this non-persistent GradientTape already ran gradient() and "
            "freed its recording. Call tape_graph before gradient(), or create the "
            "tape with GradientTape(persistent=True).")
    if not tape._nodes:
        raise ValueError(
            "tape_graph: the tape recorded no ops. Inside its `with` block, watch a "
            "Tensor (tape.watch(x)) or compute with a trainable Variable.")
    return list(tape._nodes)


def _gradient_norms(tape, nodes, target, output_gradients):
    """``id(value) -> |d target / d value|`` for every value the recording touches."""
    targets = _checked_targets(target)
    known = {id(node[OUT]) for node in nodes} | tape._tracked
    for t in targets:
        if id(t) not in known:
            raise ValueError(f"tape_graph: target {t!r:.60} was not recorded on this "
                             f"tape; pass a value computed inside the tape's block.")
    values = [node[OUT] for node in nodes]
    values += [x for node in nodes for x in node[INPUTS] if isinstance(x, _TensorLike)]
    with paused_tapes():
        upstreams = _upstreams(targets, output_gradients)
        grads = backward(nodes, targets, upstreams, values)
    return {key: _norm(g) for key, g in grads.items()}


def _norm(gradient):
    if type(gradient) is IndexedSlices:
        gradient = gradient._densify()
    return float(np.linalg.norm(np.asarray(gradient, dtype=np.float64).ravel()))


class _Scope:
    """A cluster: its statements (node ids and attributes) and nested scopes."""

    def __init__(self, name, full):
        self.name, self.full = name, full
        self.nodes = []        # (node id, label, attrs)
        self.children = {}     # component -> _Scope, in order of first use


class _Layout:
    """Node ids, clusters and edges for a recording, in recording order."""

    def __init__(self, tape, nodes, norms, target):
        self.tape, self.norms = tape, norms
        self.targets = set() if norms is None else {id(t) for t in _checked_targets(target)}
        self.root = _Scope("", "")
        self.edges = []
        self.sources = {}      # id(value) -> node id
        producers = {}
        for index, node in enumerate(nodes):
            op_id = f"op{index}"
            scope = self._scope(node[SCOPE], create=True)
            for position, x in enumerate(node[INPUTS]):
                self.edges.append((self._input_id(x, producers, index, position, scope),
                                   op_id))
            style = _TARGET if id(node[OUT]) in self.targets else _dot.OP
            scope.nodes.append((op_id, self._op_label(node), style))
            producers[id(node[OUT])] = op_id

    def _scope(self, scope, create):
        """The cluster for ``"a/b/"`` (created on demand), or None if absent."""
        current = self.root
        for part in scope.split("/"):
            if not part:
                continue
            child = current.children.get(part)
            if child is None:
                if not create:
                    return None
                child = current.children[part] = _Scope(part, current.full + part + "/")
            current = child
        return current

    def _input_id(self, x, producers, index, position, scope):
        if id(x) in producers:
            return producers[id(x)]
        if not isinstance(x, _TensorLike):      # a Python number, drawn at its op
            node_id = f"op{index}_arg{position}"
            scope.nodes.append((node_id, _dot.plain_label(repr(x)), _dot.CONSTANT))
            return node_id
        node_id = self.sources.get(id(x))
        if node_id is None:
            node_id = self.sources[id(x)] = f"in{len(self.sources)}"
            self._add_source(node_id, x)
        return node_id

    def _add_source(self, node_id, x):
        if type(x) is Variable:
            home = self._scope(x.name.rpartition("/")[0], create=False) or self.root
            style = _dot.TRAINABLE if x.trainable else _dot.NON_TRAINABLE
            title, lines = _dot.short_name(x.name), _dot.variable_lines(x)
        else:
            home = self.root
            watched = any(w is x for w in self.tape._watched)
            style = _dot.INPUT if watched else _dot.CONSTANT
            title = "watched" if watched else "constant"
            lines = [f"{format_shape(x.shape)} {x.dtype}"]
            if not watched and x.size == 1:
                lines = [f"{np.asarray(x).item()!r} {x.dtype}"]
        home.nodes.append((node_id, _dot.label(title, *lines, *self._grad(x), bold=False),
                           style))

    def _op_label(self, node):
        out = node[OUT]
        return _dot.label(node[NAME], f"{format_shape(out.shape)} {out.dtype}",
                          *self._grad(out))

    def _grad(self, value):
        if self.norms is None or id(value) not in self.norms:
            return ()
        return (f"|grad| {self.norms[id(value)]:.4g}",)

    def emit(self, graph):
        """Clusters with their nodes first, then every edge at the top level."""
        _emit_scope(graph, self.root, depth=0)
        for tail, head in self.edges:
            graph.edge(tail, head)


def _emit_scope(graph, scope, depth):
    for node_id, label, attrs in scope.nodes:
        graph.node(node_id, label, **attrs)
    for child in scope.children.values():
        with graph.subgraph(name=f"cluster_{_dot.node_id(child.full)}") as sub:
            sub.attr(label=_dot.plain_label(child.name), labeljust="l", fontsize="10",
                     style="rounded,filled", color="#94a3b8",
                     fillcolor="#f8fafc" if depth % 2 == 0 else "#eef2f7")
            _emit_scope(sub, child, depth + 1)
