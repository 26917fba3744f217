"""What the pictures share: one walk over a module tree, paused tapes, number formats.

The walk visits Modules and Variables in the order of ``module.submodules``
and ``module.variables`` (a module's own attributes first, then each new
submodule's subtree) and names each object by the first attribute path that
reaches it, so everything built from it is deterministic.
"""
import contextlib

from .._context import ctx
from ..module import Module, _format_path
from ..tensor import Variable


class Entry:
    """One Module or Variable of a walk: where it was first found and what it holds."""

    __slots__ = ("obj", "path", "depth", "parent", "children", "aliases")

    def __init__(self, obj, path, depth, parent):
        self.obj = obj
        self.path = path          # e.g. "encoder.layers[0].w"; "" for the root
        self.depth = depth
        self.parent = parent      # the Entry that found it first (None for the root)
        self.children = []        # (relative path, obj) per Module/Variable attribute
        self.aliases = []         # the other paths that reach it


def _is_part(obj):
    return isinstance(obj, (Module, Variable))


_is_part._leaf_types = (Module, Variable)   # lets the Module walker skip other leaves


def walk(root, max_depth=None):
    """Entries for ``root`` and every Module/Variable under it, each once, root first.

    Modules deeper than ``max_depth`` (root = 0) are not visited.
    """
    entries = {id(root): Entry(root, "", 0, None)}
    _expand(entries[id(root)], entries, max_depth)
    return list(entries.values())


def _expand(entry, entries, max_depth):
    """Register ``entry``'s direct parts, then walk each new submodule's subtree."""
    new_modules = []
    cut = max_depth is not None and entry.depth >= max_depth
    for relative, child in entry.obj._flatten(recursive=False, predicate=_is_part,
                                              with_path=True):
        if cut and isinstance(child, Module):
            continue
        relative = _format_path(entry.obj, relative)
        path = f"{entry.path}.{relative}" if entry.path else relative
        entry.children.append((relative, child))
        known = entries.get(id(child))
        if known is not None:
            known.aliases.append(path)
            continue
        known = entries[id(child)] = Entry(child, path, entry.depth + 1, entry)
        if isinstance(child, Module):
            new_modules.append(known)
    for child_entry in new_modules:
        _expand(child_entry, entries, max_depth)


def check_module(what, module):
    if not isinstance(module, Module):
        raise TypeError(f"{what}: expected a minitf Module. "
                        f"Received: {type(module).__name__} {module!r:.80}")


@contextlib.contextmanager
def paused_tapes():
    """No tape records inside (the pictures must not add ops to the user's tapes)."""
    saved = list(ctx.tapes)
    ctx.tapes.clear()
    try:
        yield
    finally:
        ctx.tapes[:] = saved


def parameter_count(variables):
    return sum(int(v.size) for v in variables)


def format_shape(shape):
    """``(2, 3)`` -> ``"(2, 3)"``; nested structures keep their brackets."""
    if shape is None:
        return "-"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k!r}: {format_shape(v)}" for k, v in shape.items()) + "}"
    if isinstance(shape, list):
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    if isinstance(shape, tuple) and shape and isinstance(shape[0], (tuple, list, dict)):
        return "(" + ", ".join(format_shape(s) for s in shape) + ")"
    return str(tuple(shape))


def format_bytes(n):
    """``5120`` -> ``"5.0 KiB"`` (binary units, as memory is counted)."""
    if n < 1024:
        return f"{n} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
