"""Regenerate the tutorial figures by running the code of the pages that show them.

    python tools/render_tutorial_figures.py           # write docs/figures/{autodiff,modules}_*
    python tools/render_tutorial_figures.py --check   # only compare the DOT text; exit 1 if stale

docs/autodiff.md and docs/modules.md draw their own pictures: a block calls
``graph.render("autodiff_chain_rule", format="png")``, which writes the DOT text
(a file without suffix) and a PNG into the current directory. This script runs
each page's python blocks in order, in one namespace, in a temporary directory
(as the docs test does), then for every DOT file the page wrote whose name
starts with the page's prefix writes docs/figures/<name>.gv and <name>.png
(rendered at 150 dpi). So the committed pictures are what the page's code draws.
Tape pictures print float64 values in full, so ``--check`` may report a last
digit that differs on another machine's math library.
"""
import argparse
import contextlib
import io
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"
PAGES = {"autodiff.md": "autodiff_", "modules.md": "modules_"}
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(page):
    """The source of each fenced python block of ``page``, in order."""
    return PYTHON_BLOCK.findall(page.read_text(encoding="utf-8"))


def run_page(page, workdir):
    """Run the page's blocks in one namespace with ``workdir`` as the current directory."""
    namespace = {"__name__": f"docs.{page.stem}"}
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            for number, source in enumerate(python_blocks(page), start=1):
                exec(compile(source, f"{page.name} (python block {number})", "exec"),
                     namespace)
    finally:
        os.chdir(previous)


def drawn_figures(page, prefix):
    """``{name: DOT text}`` of the figures named ``prefix*`` the page's code writes."""
    with tempfile.TemporaryDirectory() as workdir:
        run_page(page, workdir)
        return {path.name: path.read_text(encoding="utf-8")
                for path in sorted(pathlib.Path(workdir).iterdir())
                if path.name.startswith(prefix) and not path.suffix}


def render_png(dot_text):
    """PNG bytes of ``dot_text`` at 150 dpi (sharp enough for slides)."""
    try:
        done = subprocess.run(["dot", "-Tpng", "-Gdpi=150"], input=dot_text.encode("utf-8"),
                              capture_output=True, check=False)
    except FileNotFoundError:
        sys.exit("render_tutorial_figures: the Graphviz `dot` program is missing; install "
                 "it with `apt-get install graphviz` or `brew install graphviz`.")
    if done.returncode != 0:
        sys.exit(f"render_tutorial_figures: dot failed: {done.stderr.decode()[-500:]}")
    return done.stdout


def stale(figures):
    """Names whose committed DOT text differs from ``figures`` (or is missing)."""
    found = []
    for name, text in figures.items():
        committed = FIGURES / f"{name}.gv"
        if not committed.exists() or committed.read_text(encoding="utf-8") != text:
            found.append(name)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed .gv files, write nothing")
    args = parser.parse_args(argv)
    figures = {}
    for page_name, prefix in PAGES.items():
        figures.update(drawn_figures(ROOT / "docs" / page_name, prefix))
    if args.check:
        outdated = stale(figures)
        for name in outdated:
            print(f"stale: docs/figures/{name}.gv (run tools/render_tutorial_figures.py)")
        return 1 if outdated else 0
    for name, text in figures.items():
        (FIGURES / f"{name}.gv").write_text(text, encoding="utf-8")
        (FIGURES / f"{name}.png").write_bytes(render_png(text))
    print(f"wrote {', '.join(figures)} (.gv, .png) to {FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
