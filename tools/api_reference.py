"""Write docs/api.md: every public name of minitf with its signature, the first line
of its docstring and its first ``>>>`` example.

Run ``python tools/api_reference.py`` after changing a public docstring;
tests/test_api_reference.py fails while the page is out of date.
"""
import inspect
import pathlib
import re
import sys

import numpy as np

import minitf as mtf

PAGE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "api.md"
NAMESPACES = ("", "math", "nn", "linalg", "random", "autodiff", "layers", "initializers",
              "optimizers", "optimizers.schedules", "train", "testing", "debugging", "viz",
              "playground", "errors", "distribute")
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


def is_public(name, value):
    """Whether ``name`` belongs to the API: everything but privates, submodules and imports
    of other libraries' functions and classes (``functools.partial`` in a module)."""
    if name.startswith("_") or inspect.ismodule(value):
        return False
    if callable(value):
        return getattr(value, "__module__", "").startswith("minitf")
    return True


def public_names(module):
    """``(name, object)`` for the module's public names, sorted (its ``__all__`` if any)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name, value in vars(module).items() if is_public(name, value)]
    return [(name, getattr(module, name)) for name in sorted(names)]


def describe_constant(value):
    """One line saying what a constant holds (its items sorted, so the page is stable)."""
    if isinstance(value, np.dtype):
        return f'The numpy dtype `{value.name}` (`np.dtype("{value.name}")`).'
    kind = type(value).__name__
    if isinstance(value, dict):
        return "A `dict` with keys " + ", ".join(f"`{key}`" for key in sorted(value)) + "."
    if isinstance(value, (set, frozenset, tuple, list)):
        items = sorted(getattr(item, "__name__", repr(item)) for item in value)
        return f"A `{kind}` of " + ", ".join(f"`{item}`" for item in items) + "."
    return f"An object of type `{kind}`."


def summary(obj):
    """The docstring's first line (empty when there is none); a constant says what it holds."""
    if not callable(obj):
        return describe_constant(obj)
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
