"""Regenerate the tape figures: the micrograd neuron, its backward steps, the MLP tape.

    python tools/render_tape_figures.py

Writes docs/figures/micrograd_neuron.{gv,svg,png} and
micrograd_backward_step_<k>.{gv,svg,png} (examples/micrograd_neuron.py), and
re-renders docs/figures/mlp_tape_graph.{gv,svg} exactly as
tools/render_docs_figures.py builds it (it is drawn with ``mtf.viz.tape_graph``),
plus an mlp_tape_graph.png for viewing.
"""
import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    neuron = _load(ROOT / "examples" / "micrograd_neuron.py", "micrograd_neuron")
    written = neuron.write_pictures(FIGURES)
    docs = _load(ROOT / "tools" / "render_docs_figures.py", "render_docs_figures")
    for stem, graph in docs.tape_figures().items():
        neuron.write(graph, FIGURES / stem)
        written.append(stem)
    print(f"wrote {', '.join(written)} (.gv, .svg, .png) to {FIGURES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
