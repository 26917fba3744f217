"""Every page of the docs runs as written: README.md and docs/*.md (see _markdown.py)."""
import pathlib

import matplotlib
import pytest

from _markdown import parse_blocks, run_page

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_page_runs_as_written(page, tmp_path):
    matplotlib.use("Agg")   # pictures are written to files, never shown
    import matplotlib.pyplot as plt
    try:
        failure = run_page(page, tmp_path, label=str(page.relative_to(ROOT)))
    finally:
        plt.close("all")
    if failure:
        pytest.fail(failure, pytrace=False)


def test_the_readme_has_a_runnable_example():
    blocks = parse_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    python = [block for block in blocks if block.language == "python"]
    assert python, "README.md has no ```python block"
    assert python[0].expected, "README.md's first example shows no ```text output after it"


def test_the_readme_opens_with_the_two_commands():
    first = parse_blocks((ROOT / "README.md").read_text(encoding="utf-8"))[0]
    commands = [line.split("#")[0].strip() for line in first.text.splitlines()]
    assert (first.language, commands) == ("bash", ["make demo", "make test"])
