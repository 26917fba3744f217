"""The documentation site builds without a warning, documents every public name and
has no orphan page.

The site is built once per run (a strict ``mkdocs build`` in a subprocess, about
20 seconds); a strict build still writes every page before it reports its
warnings, so the reference checks read the pages whatever the warnings were.
"""
import inspect
import os
import pathlib
import re
import subprocess
import sys

import pytest
import yaml

import minitf as mtf

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tools"))

import api_reference  # noqa: E402
import griffe_doctests  # noqa: E402
import mkdocs_hooks  # noqa: E402

SUBMODULES = ("math", "nn", "linalg", "random", "autodiff", "layers", "initializers",
              "optimizers", "optimizers.schedules", "train", "testing", "debugging", "viz",
              "playground", "errors", "distribute")


def namespace(path):
    """The module ``mtf.<path>`` (``mtf`` for ``""``)."""
    module = mtf
    for part in filter(None, path.split(".")):
        module = getattr(module, part)
    return module


def from_minitf(value):
    """Whether ``value`` is data or a function or class of minitf (not of another library)."""
    return not callable(value) or (getattr(value, "__module__", None) or "").startswith("minitf")


def exported_names(module):
    """The names users reach: ``__all__``, else every name without an underscore that is
    neither a submodule nor another library's function or class."""
    if hasattr(module, "__all__"):
        return set(module.__all__)
    return {name for name, value in vars(module).items()
            if not name.startswith("_") and not inspect.ismodule(value) and from_minitf(value)}


def every_public_name():
    """``(namespace path, name)`` for the top level and every public submodule."""
    return [(path, name) for path in ("", *SUBMODULES)
            for name in sorted(exported_names(namespace(path)))]


class _Loader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose ``!relative`` paths are kept as plain strings."""


_Loader.add_constructor("!relative", lambda loader, node: loader.construct_scalar(node))


def nav_pages():
    """Every page path the ``nav`` of mkdocs.yml lists, in order."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    pages, stack = [], list(reversed(config["nav"]))
    while stack:
        item = stack.pop()
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            stack.extend(reversed(value))
        else:
            pages.append(value)
    return pages


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """``(completed process, site directory)`` of a strict build of the real docs/."""
    site = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")     # Material's end-of-life banner
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return done, site


def test_the_site_builds_strictly_without_a_warning(build):
    done, _ = build
    warnings = [line for line in (done.stdout + done.stderr).splitlines()
                if line.startswith(("WARNING", "ERROR")) or "Aborted" in line]
    assert done.returncode == 0 and not warnings, "\n".join(warnings) or done.stderr[-3000:]


def test_every_public_name_is_in_api_md():
    page = (DOCS / "api.md").read_text()
    names = [".".join(filter(None, ["mtf", path, name])) for path, name in every_public_name()]
    missing = [full for full in names if not re.search(re.escape("`" + full) + "[(`]", page)]
    assert not missing, f"not in docs/api.md (run tools/api_reference.py): {missing}"


def test_every_public_name_has_an_anchor_on_its_reference_page(build):
    _, site = build
    missing = []
    for path, name in every_public_name():
        page = site / "reference" / (path or "mtf") / "index.html"
        anchor = 'id="' + ".".join(filter(None, ["minitf", path, name])) + '"'
        if not page.exists() or anchor not in page.read_text():
            missing.append(anchor)
    assert not missing, f"missing from the site's reference pages: {missing}"


def test_an_object_exported_twice_is_documented_once_and_linked():
    page = mkdocs_hooks.reference_pages()["reference/math.md"]
    assert "::: minitf.math.cumsum" not in page
    assert "[`mtf.cumsum`][minitf.cumsum]" in page
    assert "::: minitf.cumsum\n" in mkdocs_hooks.reference_pages()["reference/mtf.md"]


def test_the_reference_pages_cover_the_namespaces_of_api_md():
    pages = mkdocs_hooks.reference_pages()
    assert len(pages) == len(api_reference.NAMESPACES) == 1 + len(SUBMODULES)
    assert set(api_reference.NAMESPACES) == {"", *SUBMODULES}


def test_every_docs_page_is_in_the_nav():
    listed = set(nav_pages())
    orphans = sorted(p.name for p in DOCS.glob("*.md") if p.name not in listed)
    assert not orphans, f"pages missing from the nav of mkdocs.yml: {orphans}"


def test_every_nav_entry_exists():
    generated = set(mkdocs_hooks.reference_pages())
    absent = [page for page in nav_pages()
              if page not in generated and not (DOCS / page).is_file()]
    assert not absent, f"in the nav of mkdocs.yml but not in docs/: {absent}"


def test_every_generated_reference_page_is_in_the_nav():
    unlisted = sorted(set(mkdocs_hooks.reference_pages()) - set(nav_pages()))
    assert not unlisted, f"generated but not in the nav: {unlisted}"


def test_a_docstring_example_becomes_a_fenced_console_block():
    text = "Twice x.\n\n>>> double(2)\n4\n\nMore text."
    assert griffe_doctests.to_markdown(text) == (
        "Twice x.\n\n```pycon\n>>> double(2)\n4\n```\n\nMore text.")


def test_a_literal_block_becomes_a_fenced_text_block():
    text = "Update rule::\n\n    m <- g\n      p <- m\n\nEnd."
    assert griffe_doctests.to_markdown(text) == (
        "Update rule:\n\n```text\nm <- g\n  p <- m\n```\n\nEnd.")


def test_docstring_examples_render_as_highlighted_sessions_not_quotes(build):
    _, site = build
    pages = [page.read_text() for page in (site / "reference").glob("*/index.html")]
    assert pages and not any("<blockquote" in page for page in pages)
    top = (site / "reference" / "mtf" / "index.html").read_text()
    assert top.count('<span class="gp">&gt;&gt;&gt; </span>') > 50   # pycon prompts
