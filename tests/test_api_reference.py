"""docs/api.md lists every public name and is up to date with the docstrings."""
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tools"))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "ops"))

import api_reference  # noqa: E402
from test_op_docstrings import RESEARCH_OPS  # noqa: E402


def _entries(page):
    """``{name: markdown of its entry}`` for every ``### `mtf....`` heading and alias."""
    entries = {}
    for part in re.split(r"^### `", page, flags=re.M)[1:]:
        entries[re.match(r"mtf\.(?:[\w.]+\.)?(\w+)[(`]", part).group(1)] = part
        also = re.search(r"^Also (.*)\.$", part, flags=re.M)
        for alias in re.findall(r"`mtf\.(?:[\w.]+\.)?(\w+)`", also.group(1) if also else ""):
            entries.setdefault(alias, part)
    return entries


def test_the_page_is_generated_from_the_current_docstrings():
    assert api_reference.PAGE.read_text() == api_reference.render(), (
        "docs/api.md is out of date: run `python tools/api_reference.py`")


def test_every_research_op_has_an_entry_with_a_one_line_example():
    entries = _entries(api_reference.render())
    missing = [n for n in RESEARCH_OPS if n not in entries]
    assert not missing, f"not in the API reference: {missing}"
    without = [n for n in RESEARCH_OPS if "```python\n>>>" not in entries[n]]
    assert not without, f"no example in the API reference: {without}"


def test_an_alias_is_listed_once_with_its_other_names():
    page = api_reference.render()
    assert page.count("### `mtf.cumsum(") == 1 and "### `mtf.math.cumsum(" not in page
    assert "Also `mtf.math.cumsum`" in page


def test_dtypes_are_listed_and_other_libraries_helpers_are_not():
    page = api_reference.render()
    assert "### `mtf.float32`" in page and 'np.dtype("float32")' in page
    assert "mtf.optimizers.schedules.partial" not in page     # functools.partial, imported


def test_every_namespace_has_a_section_in_order():
    page = api_reference.render()
    titles = re.findall(r"^## `(mtf[\w.]*)`$", page, flags=re.M)
    assert titles == ["mtf", *(f"mtf.{path}" for path in api_reference.NAMESPACES[1:])]
    assert "mtf.distribute" in titles


def test_a_checkpoint_example_creates_the_folder_it_writes_to():
    page = api_reference.render()
    entry = page.split("### `mtf.train.Checkpoint(")[1].split("###")[0]
    assert entry.index(">>> tmp = tempfile.mkdtemp()") < entry.index("os.path.join(tmp")
