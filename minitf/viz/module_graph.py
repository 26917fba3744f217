"""module_graph: a Module's structure as a DAG (modules, attribute edges, variables).

Each Module instance and each Variable is one node, even when several
attributes reach it, so shared layers and tied weights show up as nodes with
several incoming edges (TensorBoard draws a tree of calls instead). Node ids
are the first attribute path found ("encoder.layers[0].w"), so the same model
always gives the same DOT text.
"""
from ..module import Module
from . import _dot
from ._common import check_module, parameter_count, walk

ROOT_ID = "root"


def module_graph(module, show_variables=True, max_depth=None, rankdir="TB", name=None):
    """Draw ``module``'s submodules and variables as a ``graphviz.Digraph``.

    Modules are boxes (class, name, parameter count of the subtree and of the
    module's own variables); edges carry attribute paths (``layers[0]``);
    variables are leaves (shape, dtype; non-trainable ones grey and dashed).
    ``max_depth`` stops below that depth (root = 0) and says how many
    submodules each cut module hides; ``show_variables=False`` leaves variables
    out (their counts stay in the module labels).

    >>> class Pair(mtf.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.left = self.right = mtf.Module(name="shared")
    >>> graph = mtf.viz.module_graph(Pair())
    >>> [line.strip() for line in graph.source.splitlines() if "->" in line]
    ['root -> left [label=<left>]', 'root -> left [label=<right>]']
    """
    check_module("module_graph", module)
    if max_depth is not None and (type(max_depth) is not int or max_depth < 0):
        raise ValueError(f"module_graph: max_depth must be None or an int >= 0. "
                         f"Received: max_depth={max_depth!r}")
    entries = walk(module, max_depth)
    graph = _dot.new_digraph(name or module.name, rankdir)
    ids = _node_ids(entries)
    for entry in entries:
        if isinstance(entry.obj, Module):
            graph.node(ids[id(entry.obj)], _module_label(entry, max_depth),
                       tooltip=_dot.attribute(entry.obj.name_scope.name),
                       **_module_style(entry))
        elif show_variables:
            variable = entry.obj
            style = _dot.TRAINABLE if variable.trainable else _dot.NON_TRAINABLE
            graph.node(ids[id(variable)], _dot.label(_dot.short_name(variable.name),
                                                     *_dot.variable_lines(variable),
                                                     bold=False),
                       tooltip=_dot.attribute(variable.name), **style)
    for entry in entries:
        for relative, child in entry.children:
            if show_variables or isinstance(child, Module):
                graph.edge(ids[id(entry.obj)], ids[id(child)],
                           label=_dot.plain_label(relative))
    return graph


def _node_ids(entries):
    """``id(obj) -> node id``: the first path (escaped for DOT), made unique if two
    paths print alike (an attribute named ``root``)."""
    ids, used = {}, set()
    for entry in entries:
        base = _dot.node_id(entry.path) if entry.path else ROOT_ID
        node_id, suffix = base, 1
        while node_id in used:
            suffix += 1
            node_id = f"{base}#{suffix}"
        used.add(node_id)
        ids[id(entry.obj)] = node_id
    return ids


def _module_label(entry, max_depth):
    module = entry.obj
    own = {id(v): v for _, v in entry.children if not isinstance(v, Module)}
    total = parameter_count(module.variables)
    lines = [module.name, f"params {total:,} (own {parameter_count(own.values()):,})"]
    if max_depth is not None and entry.depth == max_depth:
        hidden = len(module.submodules)
        if hidden:
            lines.append(f"+{hidden} submodule{'s' if hidden > 1 else ''} hidden")
    return _dot.label(type(module).__name__, *lines)


def _module_style(entry):
    if entry.parent is None:
        return dict(_dot.MODULE, penwidth="2")
    return _dot.MODULE
