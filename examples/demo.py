"""The main job (``make demo``): train an MLP on handwritten digits, then draw what was built.

Trains the model of examples/digits_mlp.py (64 pixels -> 256 -> 128 -> 10) on
the 8x8 digits of scikit-learn for 40 epochs with ``mtf.GradientTape`` and
``mtf.optimizers.Adam`` (~98% test accuracy, well under 30 s with the import),
prints its summary (``mtf.viz.summary``) and writes into ``demo_output/``:

* ``summary.txt``: that summary table,
* ``model.svg``: the module graph (``mtf.viz.module_graph``),
* ``step.svg``: the ops a training step records, each with its value and the
  gradient of the loss (``mtf.viz.tape_graph``),
* ``digits_mlp_loss.png``: the loss curve.

Without the ``dot`` program (graphviz) the graphs are kept as DOT source
(``.gv``). The paths are printed at the end.

    python examples/demo.py [--out demo_output] [--function] [--epochs 40] [--steps N] [--seed 0]

With ``--function`` the training step runs inside ``mtf.function``: traced on
the first step, replayed after that; the losses and the trained model are
bit-identical to the eager run (the default, and what ``make demo`` runs).
Needs the ``examples`` and ``plot`` extras: ``pip install minitf[examples,plot]``.
"""
import os
import shutil
import sys

import minitf as mtf

import _digits
import digits_mlp

TARGET_ACCURACY = 0.97


def step_graph(model, images, labels):
    """The ops one training step records (forward pass and loss), with d loss / d value."""
    images = mtf.constant(images, name="images")      # the names label the graph's inputs
    labels = mtf.constant(labels, name="labels")
    with mtf.GradientTape() as tape:
        loss = _digits.cross_entropy(model(images), labels)
    return mtf.viz.tape_graph(tape, target=loss, name="training_step")


def write_pictures(model, data, out):
    """Print the summary; write it, the module graph and a step's op graph into ``out``.

    Returns the absolute paths written."""
    os.makedirs(out, exist_ok=True)
    summary = mtf.viz.summary(model, data.x_test[:1])
    print(summary)
    summary_path = os.path.abspath(os.path.join(out, "summary.txt"))
    with open(summary_path, "w") as f:
        f.write(str(summary) + "\n")
    graphs = {"model": mtf.viz.module_graph(model),
              "step": step_graph(model, data.x_train[:8], data.y_train[:8])}
    return [summary_path] + [save_graph(graph, os.path.join(out, name))
                             for name, graph in graphs.items()]


def save_graph(graph, path):
    """Render to ``path.svg`` with dot when it is installed, else keep ``path.gv``."""
    if shutil.which("dot") is None:
        with open(path + ".gv", "w") as f:
            f.write(graph.source)
        return os.path.abspath(path + ".gv")
    return os.path.abspath(graph.render(path, format="svg", cleanup=True))


def main(argv=None):
    """Train, draw, list the files; exits non-zero if a full run misses 97%."""
    args = _digits.parser(__doc__, digits_mlp.EPOCHS, out="demo_output").parse_args(argv)
    _digits.require_extras("demo.py")
    data = _digits.load()
    result = _digits.train_and_report("digits_mlp", digits_mlp.DigitsMLP,
                                      digits_mlp.LEARNING_RATE, args, data)
    paths = write_pictures(result.model, data, args.out) + [result.curve]
    if shutil.which("dot") is None:
        print("(install graphviz for the .svg pictures: the .gv files are their DOT source)")
    print("\nFiles written:")
    for path in paths:
        print(" ", path)
    if args.steps is None and result.accuracy < TARGET_ACCURACY:
        sys.exit(f"demo.py: training fell short (test accuracy {result.accuracy:.2%})")
    return result, paths


if __name__ == "__main__":
    main()
