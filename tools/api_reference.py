"""Write docs/api.md: every public name of minitf with its signature, the first line
of its docstring and its first ``>>>`` example.

Run ``python tools/api_reference.py`` after changing a public docstring;
tests/test_api_reference.py fails while the page is out of date.
"""
import inspect
import pathlib
import re
import sys

import minitf as mtf

PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "api.md"
NAMESPACES = ("", "math", "nn", "linalg", "random", "autodiff", "layers", "initializers",
              "optimizers", "optimizers.schedules", "train", "testing", "debugging", "viz",
              "playground", "errors")
HEADER = """# API reference

Every public name, namespace by namespace: its signature, what it does in one
line, and an example you can paste into a Python prompt after
`import minitf as mtf` and `import numpy as np`. The same function object often
lives in two namespaces (`mtf.math.cumsum is mtf.cumsum`, as in TensorFlow): it
is listed once, under the first, with its other names.

This page is generated from the docstrings by `python tools/api_reference.py`.
"""


def namespace(path):
    """The module ``mtf.<path>`` (``mtf`` itself for ``""``), or None if absent."""
    module = mtf
    for part in filter(None, path.split(".")):
        module = getattr(module, part, None)
    return module


def public_names(module):
    """``(name, object)`` for the module's public functions and classes, sorted."""
    found = []
    for name in sorted(vars(module)):
        value = getattr(module, name)
        if name.startswith("_") or inspect.ismodule(value) or not callable(value):
            continue
        found.append((name, value))
    return found


def summary(obj):
    """The docstring's first line (empty when there is none)."""
    doc = inspect.getdoc(obj) or ""
    return doc.strip().split("\n")[0].strip().replace("``", "`")


def example(obj):
    """The first doctest of the docstring: its ``>>>``/``...`` lines and their output."""
    lines, started = [], False
    for line in (inspect.getdoc(obj) or "").split("\n"):
        text = line.strip()
        if text.startswith(">>>"):
            started = True
        elif started and (not text or text.startswith(">>>")):
            break
        if started:
            lines.append(text)
    return lines


def signature(name, obj):
    """``name(params)`` or just ``name`` when Python cannot say."""
    try:
        text = f"{name}{inspect.signature(obj)}"
    except (TypeError, ValueError):
        return name
    text = re.sub(r"<function ([\w.]+) at 0x[0-9a-f]+>", r"\1", text)   # a default
    return re.sub(r" at 0x[0-9a-f]+>", ">", text)        # addresses change per run


def entry(prefix, name, obj, aliases):
    """The markdown of one public name."""
    out = [f"### `{prefix}{signature(name, obj)}`", ""]
    if summary(obj):
        out += [summary(obj), ""]
    if aliases:
        out += ["Also " + ", ".join(f"`{a}`" for a in aliases) + ".", ""]
    lines = example(obj)
    if lines:
        out += ["```python", *lines, "```", ""]
    return out


def render():
    """The whole page as one string."""
    seen, where = {}, {}
    for path in NAMESPACES:
        module = namespace(path)
        for name, obj in public_names(module) if module else ():
            full = f"mtf.{path}.{name}" if path else f"mtf.{name}"
            where.setdefault(id(obj), []).append(full)
    out = [HEADER]
    for path in NAMESPACES:
        module = namespace(path)
        if module is None:
            continue
        title = f"mtf.{path}" if path else "mtf"
        out += [f"## `{title}`", ""]
        for name, obj in public_names(module):
            if id(obj) in seen:
                continue
            seen[id(obj)] = True
            names = where[id(obj)]
            out += entry(f"{title}.", name, obj, names[1:])
    return "\n".join(out).rstrip() + "\n"


def main():
    """Write the page (``--check``: exit 1 if it differs instead)."""
    page = render()
    if "--check" in sys.argv:
        sys.exit(0 if PAGE.read_text() == page else 1)
    PAGE.write_text(page)


if __name__ == "__main__":
    main()
