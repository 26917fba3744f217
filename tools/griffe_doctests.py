"""A Griffe extension that makes minitf's plain-text docstrings render as Markdown.

The docstrings are written for ``help()``: ``>>>`` examples and reST-style
``Title::`` literal blocks. Read as Markdown, a ``>>>`` line would become a
nested quote and the literal block would lose its ``::`` meaning, so before
mkdocstrings parses a docstring this extension fences both as code blocks.
"""
import griffe

FENCE = "```"


def indentation(line):
    """The leading spaces of ``line``."""
    return line[:len(line) - len(line.lstrip())]


def deeper(line, indent):
    """Whether ``line`` is indented more than ``indent``."""
    return len(indentation(line)) > len(indent)


def fence(lines, indent, language):
    """``lines`` (already dedented) as a fenced code block at ``indent``."""
    return [indent + FENCE + language, *(indent + line if line else "" for line in lines),
            indent + FENCE]


def doctest_block(lines, start):
    """The doctest starting at ``start`` (up to the next blank line) and the index after it."""
    indent, end = indentation(lines[start]), start
    while end < len(lines) and lines[end].strip():
        end += 1
    body = [line[len(indent):] if line.startswith(indent) else line.strip()
            for line in lines[start:end]]
    return fence(body, indent, "pycon"), end


def literal_block(lines, start):
    """The lines indented under ``lines[start - 1]`` (a ``Title::`` line), and the index after."""
    indent, end = indentation(lines[start - 1]), start
    while end < len(lines) and (not lines[end].strip() or deeper(lines[end], indent)):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    body = lines[start:end]
    while body and not body[0].strip():
        body.pop(0)
    depth = min(len(indentation(line)) for line in body if line.strip())
    return fence([line[depth:] for line in body], indent, "text"), end


def opens_literal_block(lines, index):
    """Whether ``lines[index]`` ends in ``::`` and more-indented lines follow it."""
    if not lines[index].rstrip().endswith("::"):
        return False
    following = [line for line in lines[index + 1:index + 3] if line.strip()]
    return bool(following) and deeper(following[0], indentation(lines[index]))


def literal_title(line):
    """``Title::`` as ``Title:``; a ``::`` alone on its line goes away, as in reST."""
    title = line.rstrip()[:-2].rstrip()
    return title + ":" if title else ""


def to_markdown(text):
    """``text`` with its doctests and ``::`` literal blocks turned into fenced code."""
    lines, out, index = text.split("\n"), [], 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith(">>>"):
            block, index = doctest_block(lines, index)
        elif opens_literal_block(lines, index):
            out.append(literal_title(line))
            block, index = literal_block(lines, index + 1)
        else:
            out.append(line)
            index += 1
            continue
        before = [""] if out and out[-1].strip() else []
        after = [""] if index < len(lines) and lines[index].strip() else []
        out += before + block + after
    return "\n".join(out)


class DoctestsAsCode(griffe.Extension):
    """Rewrite each docstring with ``to_markdown`` as soon as its object exists."""

    def on_instance(self, *, obj, **kwargs):
        """Convert ``obj``'s docstring in place (objects without one are left alone)."""
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
