"""tape_graph: the ops a GradientTape recorded, boxed by the module call they ran in.

A module's ``with_name_scope`` methods run inside its scope ("mlp/linear_0/"),
so its ops land in the cluster of that call, nested as the calls are; a module
called twice gives two clusters. Nodes show forward values; with a ``target``
they also show the gradient of the target with respect to each value, signed.
``collapse``/``max_depth`` draw deep calls as single boxes.
"""
from ..tape import INPUTS, OUT, _checked_targets, _upstreams, backward
from ..tensor import _TensorLike
from . import _dot
from ._common import paused_tapes
from ._layout import Layout
from ._recording import Recording


def tape_graph(tape, target=None, values=True, collapse=False, max_depth=None, *,
               output_gradients=None, rankdir="TB", name="tape"):
    """Draw the ops ``tape`` recorded as a ``graphviz.Digraph``.

    One node per op (name, output shape and dtype, and with ``values`` the
    forward value: a scalar exactly, up to 6 elements listed, else
    min/mean/max). Variables, watched Tensors and constants feeding the ops
    are source nodes named by ``tape.watch(x, name=...)``, the Variable's or
    the constant's ``name=``. Ops run by a gradient computation this tape
    recorded (higher-order derivatives) are drawn dashed orange and say
    "gradient op". With ``target`` (e.g. the loss) each node also shows
    d target / d value with its sign, or its norm when it has more than 6
    elements (``output_gradients`` as in ``tape.gradient``).

    Ops are clustered per module call. ``collapse=True`` draws each top-level
    call as one box (a module called twice is two boxes; weights they share
    are drawn once with an edge to each); ``max_depth=n`` keeps ``n`` levels
    of clusters and collapses the calls below them.

    The tape must still hold its recording: draw it before calling
    ``gradient()`` on a non-persistent tape, or create it with
    ``persistent=True``; with ``target``, draw it before an optimizer step
    changes the variables it read.

    >>> x = mtf.constant([1.0, -2.0])
    >>> with mtf.GradientTape() as tape:
    ...     tape.watch(x, name="x")
    ...     y = mtf.reduce_sum(x * x)
    >>> graph = mtf.viz.tape_graph(tape, target=y)
    >>> "multiply" in graph.source and "grad [2, -4]" in graph.source
    True
    """
    recording = Recording(tape, "tape_graph")
    if max_depth is not None and (not isinstance(max_depth, int) or max_depth < 0):
        raise ValueError(f"tape_graph: max_depth must be an int >= 0 (0 collapses every "
                         f"module call). Received: max_depth={max_depth!r}")
    targets = () if target is None else _recorded_targets(recording, target)
    grads = None
    if target is not None:
        grads = _all_gradients(recording, targets, output_gradients)
    depth = max_depth if max_depth is not None else (0 if collapse else None)
    graph = _dot.new_digraph(name, rankdir)
    Layout(recording, grads=grads, targets=targets, values=values,
           max_depth=depth).emit(graph)
    return graph


def _recorded_targets(recording, target):
    targets = _checked_targets(target)
    for t in targets:
        if not recording.known(t):
            raise ValueError(f"tape_graph: target {t!r:.60} was not recorded on this "
                             f"tape; pass a value computed inside the tape's block.")
    return targets


def _all_gradients(recording, targets, output_gradients):
    """``id(value) -> d target / d value`` for every value the recording touches."""
    nodes = recording.nodes
    values = [node[OUT] for node in nodes]
    values += [x for node in nodes for x in node[INPUTS] if isinstance(x, _TensorLike)]
    with paused_tapes():
        upstreams = _upstreams(targets, output_gradients)
        return backward(nodes, targets, upstreams, values,
                        caller="tape_graph(target=...)")



class _Scope:
    """A cluster by scope name (function_graph's clusters): statements and nested scopes."""

    def __init__(self, name, full):
        self.name, self.full = name, full
        self.nodes = []        # (node id, label, attrs)
        self.children = {}     # component -> _Scope, in order of first use


def _emit_scope(graph, scope, depth):
    """Write ``scope``'s nodes, then each nested scope as a cluster (function_graph)."""
    for node_id, label, attrs in scope.nodes:
        graph.node(node_id, label, **attrs)
    for child in scope.children.values():
        with graph.subgraph(name=f"cluster_{_dot.node_id(child.full)}") as sub:
            sub.attr(label=_dot.plain_label(child.name), labeljust="l", fontsize="10",
                     style="rounded,filled", color="#94a3b8",
                     fillcolor="#f8fafc" if depth % 2 == 0 else "#eef2f7")
            _emit_scope(sub, child, depth + 1)
