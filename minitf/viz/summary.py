"""summary: a Keras/torchinfo-style table of a Module's parts and parameters.

Output shapes, call counts and the row order come from one real call,
recorded by ``_calls.recording`` (the module-call hook of
``Module.with_name_scope``, and plain ``__call__``s of the tree's classes
wrapped for the duration).
"""
import html
from typing import NamedTuple

from ..module import Module
from ..tensor import _TensorLike
from ._calls import CallRecorder, calls_per_module, recording
from ._common import (check_module, format_bytes, format_shape, parameter_count,
                      paused_tapes, walk)


class SummaryRow(NamedTuple):
    """One module instance: first attribute path ("" for the root), class, and the
    output shape of its first call (None if not called). ``params``/``bytes``
    count the module's whole subtree (shared variables once); ``own_params``/
    ``own_bytes`` the variables first found on this module, so those sum to the
    totals. ``aliases``: the other attribute paths to the same instance (shared
    modules). ``calls``: how often the example call ran it. ``built``: False for
    a lazy layer (or a parent of only such) that has not created its variables."""
    path: str
    class_name: str
    output_shape: object
    params: int
    bytes: int
    aliases: tuple = ()
    own_params: int = 0
    own_bytes: int = 0
    calls: int = 0
    built: bool = True
    has_submodules: bool = False


class Summary:
    """What ``summary`` returns: ``rows`` as data, ``str()`` a table, HTML in Jupyter."""

    def __init__(self, module, rows, with_shapes):
        variables = module.variables
        trainable = [v for v in variables if v.trainable]
        frozen = [v for v in variables if not v.trainable]
        self.title = f"{type(module).__name__} {module.name!r}"
        self.rows = tuple(rows)
        self.with_shapes = with_shapes
        self.total_params = parameter_count(variables)
        self.trainable_params = parameter_count(trainable)
        self.non_trainable_params = parameter_count(frozen)
        self.total_bytes = _nbytes(variables)
        self.trainable_bytes = _nbytes(trainable)
        self.non_trainable_bytes = _nbytes(frozen)

    def _columns(self):
        header = ["module", "class"] + (["output shape", "calls"] if self.with_shapes else [])
        table = [header + ["params", "bytes"]]
        for row in self.rows:
            cells = [" = ".join((row.path or "(root)",) + row.aliases), row.class_name]
            if self.with_shapes:
                cells += [format_shape(row.output_shape), f"{row.calls}"]
            table.append(cells + [_params_cell(row), f"{row.bytes:,}"])
        return table

    def _totals(self):
        return [("Total params", self.total_params, self.total_bytes),
                ("Trainable params", self.trainable_params, self.trainable_bytes),
                ("Non-trainable params", self.non_trainable_params,
                 self.non_trainable_bytes)]

    def __str__(self):
        table = self._columns()
        widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
        numeric = len(widths) - (3 if self.with_shapes else 2)  # numbers right-aligned

        def line(cells):
            return "  ".join(c.rjust(w) if i >= numeric else c.ljust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
        rule = "=" * len(line(["-" * w for w in widths]))
        out = [f"Summary: {self.title}", rule, line(table[0]), "-" * len(rule)]
        out += [line(cells) for cells in table[1:]]
        out.append(rule)
        out += [f"{name}: {count:,} ({format_bytes(size)})"
                for name, count, size in self._totals()]
        return "\n".join(out)

    def __repr__(self):
        return str(self)

    def _repr_html_(self):
        esc = html.escape
        table = self._columns()
        head = "".join(f"<th>{esc(c)}</th>" for c in table[0])
        body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>"
                       for cells in table[1:])
        foot = "".join(f"<tr><td colspan=\"{len(table[0])}\">{esc(name)}: {count:,} "
                       f"({esc(format_bytes(size))})</td></tr>"
                       for name, count, size in self._totals())
        return (f"<table><caption>Summary: {esc(self.title)}</caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                f"<tfoot>{foot}</tfoot></table>")


def summary(module, *example_inputs):
    """Tabulate ``module``'s submodules: path, class, output shape, parameters, bytes.

    With ``example_inputs``, ``module(*example_inputs)`` runs once (recording
    on no tape) to build lazy layers and note each submodule's output shape
    and number of calls; rows then come in call order (modules not called
    last). Each instance is one row under the first attribute path that
    reaches it. A parent's params read ``total (own n)``; lazy layers not
    built yet read ``unbuilt``.

    >>> class Scale(mtf.Module):
    ...     def __call__(self, x):
    ...         if not hasattr(self, "w"):
    ...             self.w = mtf.Variable(mtf.ones([x.shape[-1]]), name="w")
    ...         return x * self.w
    >>> s = mtf.viz.summary(Scale(), mtf.ones([2, 3]))
    >>> s.rows[0].output_shape, s.total_params, s.total_bytes
    ((2, 3), 3, 12)
    """
    check_module("summary", module)
    calls = None
    if example_inputs:
        if not callable(module):
            raise TypeError(f"summary: {type(module).__name__} has no __call__, so "
                            f"example inputs cannot be passed to it. Call "
                            f"summary(module) without inputs.")
        calls = _record_calls(module, example_inputs)
    return Summary(module, _rows(module, calls), bool(example_inputs))


def _rows(module, calls):
    """One row per tree module: walk order, or call order when ``calls`` were recorded."""
    entries = [e for e in walk(module)]
    own = {id(e.obj): [] for e in entries if isinstance(e.obj, Module)}
    for entry in entries:
        if not isinstance(entry.obj, Module):
            own[id(entry.parent.obj)].append(entry.obj)
    modules = [e for e in entries if isinstance(e.obj, Module)]
    per_module = calls_per_module(calls or [])
    if calls is not None:
        first = {key: found[0].index for key, found in per_module.items()}
        modules.sort(key=lambda e: first.get(id(e.obj), len(calls)))   # stable
    return [_row(e, own[id(e.obj)], per_module.get(id(e.obj), [])) for e in modules]


def _row(entry, own, calls):
    module = entry.obj
    variables = module.variables
    return SummaryRow(entry.path, type(module).__name__,
                      _shape_of(calls[0].result) if calls else None,
                      parameter_count(variables), _nbytes(variables), tuple(entry.aliases),
                      parameter_count(own), _nbytes(own), len(calls),
                      not _unbuilt(module, own), bool(module.submodules))


def _unbuilt(module, own):
    """A lazy layer (it has ``_build``) without variables yet, or a parent whose
    subtree holds no variables and some such layer."""
    if own:
        return False
    if hasattr(module, "_build"):
        return True
    return not module.variables and any(hasattr(m, "_build") and not m.variables
                                        for m in module.submodules)


def _params_cell(row):
    if not row.built:
        return "unbuilt"
    if row.has_submodules:
        return f"{row.params:,} (own {row.own_params:,})"
    return f"{row.params:,}"


def _nbytes(variables):
    return sum(int(v._value.nbytes) for v in variables)


def _record_calls(module, inputs):
    """The ``Call``s of one ``module(*inputs)``, recorded on no tape."""
    recorder = CallRecorder()
    with paused_tapes(), recording(module, recorder):
        module(*inputs)
    return recorder.calls


def _shape_of(value):
    """The shape of a Tensor-like result, or the same structure of shapes."""
    if isinstance(value, _TensorLike) or hasattr(value, "shape"):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)):
        shapes = [_shape_of(v) for v in value]
        return shapes if isinstance(value, list) else tuple(shapes)
    if isinstance(value, dict):
        return {k: _shape_of(v) for k, v in value.items()}
    return None
