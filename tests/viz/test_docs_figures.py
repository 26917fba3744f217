"""The docs/figures/ files of tools/render_docs_figures.py are what it makes, and
docs/visualising.md shows them (the other tools/render_*_figures.py scripts own the rest)."""
import importlib.util
import pathlib
import re
from xml.etree import ElementTree

import pytest

from _dotparse import parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "render_docs_figures", ROOT / "tools" / "render_docs_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(script):
    return script.build()


def _svg_nodes_and_texts(svg):
    root = ElementTree.fromstring(svg)
    titles = sorted(g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")
                    if g.get("class") == "node")
    texts = sorted(t.text or "" for t in root.iter(f"{SVG}text"))
    return titles, texts


def test_script_regenerates_the_committed_sources_byte_for_byte(script, built):
    regenerated = script.sources(*built)
    committed = {p.name for p in FIGURES.iterdir() if p.suffix in (".gv", ".txt")}
    assert set(regenerated) <= committed
    for name, text in regenerated.items():
        assert (FIGURES / name).read_bytes() == text.encode("utf-8"), name
    assert script.main(["--check"]) == 0


def test_committed_svgs_draw_the_committed_dot(built):
    graphs, _ = built
    assert set(graphs) <= {p.stem for p in FIGURES.glob("*.svg")}
    for stem, graph in graphs.items():
        committed = (FIGURES / f"{stem}.svg").read_bytes()
        titles, texts = _svg_nodes_and_texts(committed)
        assert titles == sorted(parse((FIGURES / f"{stem}.gv").read_text()).nodes), stem
        # Rendering the regenerated DOT with this machine's dot draws the same nodes
        # and words (coordinates may differ between Graphviz versions).
        assert _svg_nodes_and_texts(graph.pipe(format="svg")) == (titles, texts), stem


def test_figures_show_what_the_docs_promise(built):
    graphs, _ = built
    auto = parse(graphs["autoencoder_module_graph"].source)
    assert [a["label"] for _, a in auto.incoming("decoder")] == ["decoder", "encoder"]
    tape = parse(graphs["mlp_tape_graph"].source)
    assert "cluster_mlp/linear_1/" in tape.subgraphs


def test_the_docs_show_every_committed_picture_and_the_current_summary():
    pages = {p.name: p.read_text() for p in (ROOT / "docs").glob("*.md")}
    shown = {name for doc in pages.values()
             for name in re.findall(r"\]\(figures/([\w.]+\.(?:svg|png))\)", doc)}
    pictures = {p.name for p in FIGURES.iterdir() if p.suffix in (".svg", ".png")}
    drawn = {p.stem for p in FIGURES.iterdir() if p.suffix == ".svg"}
    # every picture is shown (a PNG beside its SVG is the viewing copy of it)
    assert {n for n in pictures if n.endswith(".svg") or n[:-4] not in drawn} <= shown
    assert shown <= pictures
    assert (FIGURES / "autoencoder_summary.txt").read_text() in pages["visualising.md"]
