"""DOT building blocks shared by the graph functions: the graph, labels, styles.

graphviz is imported on the first graph built, never at ``import minitf``.
Every string that reaches the DOT text goes through ``visible`` and then the
escaping of its place: ``label``/``plain_label`` (HTML-like labels),
``node_id`` (node, cluster and graph names) and ``attribute`` (quoted
attribute values such as tooltips), so any name or scope renders.
"""
import html
import re

FONT = "Helvetica"

# One palette for every picture: modules blue, trainable state amber, frozen
# state grey and dashed, ops violet, inputs green.
MODULE = {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbeafe",
          "color": "#1d4ed8"}
TRAINABLE = {"shape": "ellipse", "style": "filled", "fillcolor": "#fef3c7",
             "color": "#b45309"}
NON_TRAINABLE = {"shape": "ellipse", "style": "filled,dashed", "fillcolor": "#f3f4f6",
                 "color": "#6b7280"}
OP = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ede9fe", "color": "#6d28d9"}
INPUT = {"shape": "ellipse", "style": "filled", "fillcolor": "#dcfce7", "color": "#15803d"}
CONSTANT = {"shape": "box", "style": "filled", "fillcolor": "#f9fafb", "color": "#9ca3af",
            "fontsize": "9"}


def new_digraph(name, rankdir="TB"):
    """An empty ``graphviz.Digraph`` with the shared fonts and layout direction."""
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be one of 'TB', 'LR', 'BT', 'RL'. "
                         f"Received: rankdir={rankdir!r}")
    from ._graph import Digraph
    return Digraph(name=node_id(name),
                   graph_attr={"rankdir": rankdir, "fontname": FONT, "nodesep": "0.3"},
                   node_attr={"fontname": FONT, "fontsize": "11"},
                   edge_attr={"fontname": FONT, "fontsize": "9", "color": "#6b7280",
                              "fontcolor": "#374151"})


def label(title, *details, bold=True, note_color=None):
    """HTML label: ``title`` (bold) over smaller detail lines; empty details dropped."""
    text = f"<B>{_html(title)}</B>" if bold else _html(title)
    color = f' COLOR="{note_color}"' if note_color else ""
    for line in details:
        if line:
            text += f'<BR/><FONT POINT-SIZE="9"{color}>{_html(line)}</FONT>'
    return f"<{text}>"


def plain_label(text):
    """HTML label of plain text (edge labels, cluster titles)."""
    return f"<{_html(text)}>"


_HIDDEN = re.compile(r"\\|[^ -~]")     # a backslash, or anything but printable ASCII


def visible(text):
    """``text`` with backslashes and unprintable characters written as Python escapes.

    Control characters (tab, CR, NUL, ...), line and paragraph separators,
    format characters, non-ASCII spaces and unassigned code points cannot be
    drawn (some make ``dot`` fail or cut a label); they appear as ``\\t``,
    ``\\x00``, ``\\u2028``, ... and a backslash as ``\\\\``, so every label
    reads back unambiguously. Printable Unicode is kept as it is.
    """
    return _HIDDEN.sub(_escape_char, str(text))


def _escape_char(match):
    char = match.group()
    if char == "\\":
        return "\\\\"
    if char.isprintable():
        return char
    return repr(char)[1:-1] if char not in "'\"" else char


def _html(text):
    """Text for an HTML-like label. graphviz reads ``\\\\`` in it as one backslash
    (and ``\\N``, ``\\G`` as names), so backslashes are doubled; quotes need no
    escaping in element text. Text made of ``]`` alone is written as character
    references: dot would join it with the line after it."""
    escaped = html.escape(visible(text).replace("\\", "\\\\"), quote=False)
    return escaped.replace("]", "&#93;") if escaped and not escaped.strip("]") else escaped


_escape = _html     # the name tools/render_docs_figures.py uses for its table cells


_ID_UNSAFE = re.compile(r'[%:<>&"\\]')


def node_id(text):
    """A node, cluster or graph name: ``visible`` text, with the characters that
    DOT or graphviz give a meaning in names (``:`` ports, ``<...>`` HTML,
    quotes, backslashes, ``&`` that graphviz may copy into SVG as an entity) and
    ``%`` percent-encoded."""
    return _ID_UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", visible(text))


def attribute(text):
    """A quoted attribute value such as a tooltip: ``visible`` text for graphviz.

    graphviz (2.43) unescapes a tooltip twice on its way to the SVG, each time
    reading ``\\\\`` as one backslash, so each backslash is written as four;
    it also leaves ``&...;`` that looks like an entity alone, so ``&`` is
    written as ``&amp;``.
    """
    return visible(text).replace("&", "&amp;").replace("\\", "\\" * 4)


def variable_lines(variable):
    """Detail lines of a Variable: shape and dtype, and frozen state."""
    lines = [f"{tuple(variable.shape)} {variable.dtype}"]
    if not variable.trainable:
        lines.append("non-trainable")
    return lines


def short_name(variable_name):
    """``"mlp/linear_0/w:0"`` -> ``"w"``."""
    return variable_name.rsplit("/", 1)[-1].split(":", 1)[0]
