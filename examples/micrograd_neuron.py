"""The classic micrograd neuron in minitf: the picture with values and gradients, and the walk.

    python examples/micrograd_neuron.py            # print the walk, write the pictures
    python examples/micrograd_neuron.py OUT_DIR    # write them to OUT_DIR instead

The neuron of micrograd's README and of "The spelled-out intro to neural
networks and backpropagation": inputs x1 = 2, x2 = 0, weights w1 = -3,
w2 = 1, bias b = 6.8813735870195432 (chosen so that n = 0.8813... and
tanh(n) = 1/sqrt(2)), n = x1*w1 + x2*w2 + b, o = tanh(n). Its gradients:
do/dn = 1 - o**2 = 0.5, so x1 gets w1 * 0.5 = -1.5, w1 gets x1 * 0.5 = 1,
x2 gets 0.5, w2 gets 0 (x2 is 0) and b gets 0.5.
"""
import pathlib
import sys

import minitf as mtf

FIGURES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "figures"


def neuron():
    """(tape, o, sources): the neuron recorded on a persistent tape, in float64."""
    x1 = mtf.constant(2.0, dtype=mtf.float64)
    x2 = mtf.constant(0.0, dtype=mtf.float64)
    w1 = mtf.Variable(-3.0, dtype=mtf.float64, name="w1")
    w2 = mtf.Variable(1.0, dtype=mtf.float64, name="w2")
    b = mtf.Variable(6.8813735870195432, dtype=mtf.float64, name="b")
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch([x1, x2], name=["x1", "x2"])
        n = x1 * w1 + x2 * w2 + b
        o = mtf.tanh(n)
    return tape, o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b}


def picture(tape, o):
    """micrograd's ``draw_dot``: left to right, every value with its data and grad."""
    return mtf.viz.tape_graph(tape, target=o, rankdir="LR", name="micrograd_neuron")


def walk(tape, o, sources):
    """The reverse pass, step by step (``str()`` of it is the table printed below)."""
    return mtf.viz.backward_steps(tape, o, list(sources.values()))


def write_pictures(out=FIGURES):
    """Write micrograd_neuron.{gv,svg,png} and one frame per backward step to ``out``."""
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tape, o, sources = neuron()
    graphs = {"micrograd_neuron": picture(tape, o)}
    for k, frame in enumerate(walk(tape, o, sources).frames(rankdir="LR"), start=1):
        graphs[f"micrograd_backward_step_{k}"] = frame
    for stem, graph in graphs.items():
        write(graph, out / stem)
    return sorted(graphs)


def write(graph, stem):
    """``stem``.gv (the DOT text), .svg, and a 150 dpi .png for slides."""
    stem.with_suffix(".gv").write_text(graph.source, encoding="utf-8")
    stem.with_suffix(".svg").write_bytes(graph.pipe(format="svg"))
    sharp = graph.copy()
    sharp.attr(dpi="150")
    stem.with_suffix(".png").write_bytes(sharp.pipe(format="png"))


def main(argv):
    tape, o, sources = neuron()
    print(f"o = tanh(x1*w1 + x2*w2 + b) = {float(o)!r}\n")
    steps = walk(tape, o, sources)
    print(steps)
    print("\ngradients:", ", ".join(f"{name} {float(g)!r}"
                                     for name, g in zip(steps.sources, steps.gradients)))
    written = write_pictures(argv[1] if len(argv) > 1 else FIGURES)
    print(f"\nwrote {len(written)} pictures (.gv, .svg, .png): {', '.join(written)}")


if __name__ == "__main__":
    main(sys.argv)
