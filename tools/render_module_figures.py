"""Regenerate the module-gallery figures in docs/figures/ (shown in docs/visualising.md).

    python tools/render_module_figures.py          # write .gv/.txt sources, SVGs and PNGs
    python tools/render_module_figures.py --check  # only compare the sources, exit 1 if stale

For each model of examples/module_gallery.py (siamese, tied_autoencoder,
gan): ``<model>_module_graph`` and ``<model>_call_graph`` as DOT text (.gv),
SVG and PNG, and ``<model>_summary.txt``.
"""
import argparse
import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"


def load_gallery():
    """examples/module_gallery.py as a module."""
    spec = importlib.util.spec_from_file_location("module_gallery",
                                                  ROOT / "examples" / "module_gallery.py")
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    return gallery


def sources(graphs, texts):
    """{file name: text}: each graph's DOT source and the summaries."""
    return {**{f"{stem}.gv": graph.source for stem, graph in graphs.items()}, **texts}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the sources with docs/figures/ without writing")
    args = parser.parse_args(argv)
    graphs, texts = load_gallery().figures()
    if args.check:
        stale = [name for name, text in sources(graphs, texts).items()
                 if not (FIGURES / name).is_file() or (FIGURES / name).read_text() != text]
        for name in stale:
            print(f"stale: docs/figures/{name}", file=sys.stderr)
        return 1 if stale else 0
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name, text in sources(graphs, texts).items():
        (FIGURES / name).write_text(text, encoding="utf-8")
    for stem, graph in graphs.items():
        for fmt in ("svg", "png"):
            (FIGURES / f"{stem}.{fmt}").write_bytes(graph.pipe(format=fmt))
    print(f"wrote {len(graphs)} graphs and {len(texts)} summaries to {FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
