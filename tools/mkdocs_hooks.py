"""MkDocs hooks: the API reference pages of the site, generated at build time.

Each namespace that tools/api_reference.py documents (``mtf``, ``mtf.math``, ...)
becomes a virtual page ``reference/<namespace>.md``: one mkdocstrings directive
per public name, so the committed Markdown stays free of ``::: minitf.x`` lines.
An object that several namespaces export (``mtf.math.cumsum is mtf.cumsum``) is
documented once, on the first page, and the later names link to it.
"""
import importlib.util
import inspect
import pathlib

from mkdocs.structure.files import File

TOOLS = pathlib.Path(__file__).resolve().parent


def load_api_reference():
    """The tools/api_reference.py module (the single list of namespaces and public names)."""
    spec = importlib.util.spec_from_file_location("api_reference", TOOLS / "api_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_reference = load_api_reference()


def page_uri(path):
    """``reference/math.md`` for ``"math"``, ``reference/mtf.md`` for the top level."""
    return f"reference/{path or 'mtf'}.md"


def dotted(path, name):
    """The import path of ``name`` in namespace ``path``: ``minitf.math.cumsum``."""
    return ".".join(["minitf", *filter(None, [path, name])])


def intro(module):
    """The first paragraph of a namespace's docstring, as Markdown."""
    doc = inspect.getdoc(module) or ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("``", "`")


def first_homes():
    """``{id(object): dotted path}`` of where each public object is documented in full."""
    homes = {}
    for path in api_reference.NAMESPACES:
        for name, value in api_reference.public_names(api_reference.namespace(path)):
            homes.setdefault(id(value), dotted(path, name))
    return homes


def entry(path, name, value, homes):
    """The Markdown of one public name: its docs, or a link to where they are."""
    here, home = dotted(path, name), homes[id(value)]
    if here == home:
        return f"::: {here}\n"
    shown = home.replace("minitf", "mtf", 1)
    return f"## `{name}` {{ #{here} }}\n\nThe same object as [`{shown}`][{home}].\n"


def reference_page(path, homes):
    """The Markdown of namespace ``path``'s reference page."""
    module = api_reference.namespace(path)
    title = "mtf." + path if path else "mtf"
    parts = [f"# `{title}`\n", intro(module) + "\n"]
    names = api_reference.public_names(module)
    parts += [entry(path, name, value, homes) for name, value in names]
    return "\n".join(parts)


def reference_pages():
    """``{src_uri: Markdown}`` for every namespace's reference page."""
    homes = first_homes()
    return {page_uri(path): reference_page(path, homes) for path in api_reference.NAMESPACES}


def on_files(files, config):
    """Add the generated reference pages to the site's files."""
    for uri, text in reference_pages().items():
        files.append(File.generated(config, uri, content=text))
    return files
