"""Any text in names, dict keys and name scopes renders with the real ``dot`` program
and reads back from the SVG: labels, cluster titles and tooltips.

Text that cannot be drawn is shown with Python escapes (``\\t``, ``\\x00``,
``\\u2028``) and a backslash as ``\\\\``; graphviz writes runs of spaces with
no-break spaces. ``_read_back`` undoes exactly that, so a label round-trips
when ``_read_back(svg text) == the original``.
"""
import re
from xml.etree import ElementTree

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitf as mtf

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"

# Every character hypothesis draws, plus the ones DOT, HTML labels and XML treat
# specially, control characters and a lone surrogate, often.
SPECIAL = list("\t\r\n\x00\x01\x0b\x1f\x7f\x85\xa0\u2028\u2029\ufeff\ufffe\uffff\ud800"
               "\\\"'<>&%:;{}[]=#/ ")
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=12)
_ESCAPE = re.compile(r"\\(\\|t|n|r|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def _read_back(text):
    """The original of a drawn label (see the module docstring)."""
    text = text.replace("\xa0", " ")

    def undo(match):
        code = match.group(1)
        return {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}.get(code) or chr(
            int(code[1:], 16))
    return _ESCAPE.sub(undo, text)


def _svg(graph):
    """The rendered SVG's texts and tooltips, read back; fails if ``dot`` fails."""
    root = ElementTree.fromstring(graph.pipe(format="svg"))
    texts = [_read_back(t.text or "") for t in root.iter(f"{SVG}text")]
    tips = [_read_back(a.get(XLINK_TITLE)) for a in root.iter(f"{SVG}a")
            if a.get(XLINK_TITLE) is not None]
    return texts, tips


def _short(name):
    """A variable node's title: its name without scopes and ``:0``."""
    return name.rsplit("/", 1)[-1].split(":", 1)[0]


@settings(max_examples=15, deadline=None)
@given(key=TEXT, name=TEXT, scope=TEXT)
def test_module_graph_renders_and_reads_back_any_text(key, name, scope):
    with mtf.name_scope(scope):
        holder = mtf.Module(name="holder")
        variable = mtf.Variable(np.float32(1.0), name=name)
    holder.table = {key: variable, "plain": mtf.Variable(np.float32(2.0))}
    texts, tips = _svg(mtf.viz.module_graph(holder))
    assert f"table[{key!r}]" in texts              # the edge label: the path, as Python
    assert _short(variable.name) in texts + [""]   # the variable's title (none if empty)
    assert variable.name in tips                   # hover: the full name
    assert holder.name_scope.name in tips          # hover: the module's scope


@settings(max_examples=15, deadline=None)
@given(outer=TEXT, inner=TEXT, name=TEXT)
def test_tape_graph_renders_and_reads_back_any_scope(outer, inner, name):
    with mtf.name_scope(outer):
        with mtf.name_scope(inner):
            w = mtf.Variable([1.0, 2.0], name=name)
            with mtf.GradientTape() as tape:
                y = mtf.reduce_sum(w * w)
    texts, _ = _svg(mtf.viz.tape_graph(tape, target=y, name=name))
    scope = mtf.name_scope(outer)._resolve("")
    scope = mtf.name_scope(inner)._resolve(scope)
    for part in (p for p in scope.split("/") if p):   # one cluster per scope component
        assert part in texts
    assert _short(w.name) in texts + [""]


def test_characters_dot_rejected_before_now_render():
    m = mtf.Module(name="m")
    m.table = {"tab\there\rcr\x00nul": mtf.Variable(1.0, name="a\tb\x00")}
    with mtf.name_scope("scope\twith\x00nul"):
        w = mtf.Variable([1.0], name="w\r")
        with mtf.GradientTape() as tape:
            y = mtf.reduce_sum(w * w)
    texts, tips = _svg(mtf.viz.module_graph(m))
    assert "table['tab\\there\\rcr\\x00nul']" in texts
    assert "a\tb\x00:0" in tips
    texts, _ = _svg(mtf.viz.tape_graph(tape, target=y))
    assert "scope\twith\x00nul" in texts and "w\r" in texts


def test_names_that_look_like_dot_syntax_stay_separate_nodes():
    m = mtf.Module(name="m")
    m.table = {"a:b": mtf.Variable(1.0), "<x>": mtf.Variable(2.0), "a%3Ab": mtf.Variable(3.0),
               'q"\\': mtf.Variable(4.0)}
    root = ElementTree.fromstring(mtf.viz.module_graph(m).pipe(format="svg"))
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    edges = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]
    assert len(nodes) == 5 and len(edges) == 4     # the root, four variables, no port edges


@pytest.mark.parametrize("name", ["]", "]]", "a]", "]a"])
def test_a_label_of_closing_brackets_renders_on_its_own_line(name):
    w = mtf.Variable([1.0, 2.0], name=name)
    with mtf.GradientTape() as tape:
        y = mtf.reduce_sum(w * w)
    texts, _ = _svg(mtf.viz.tape_graph(tape, target=y))
    assert name in texts and "(2,) float32" in texts
