"""The main job (``make demo``): train a small classifier, then draw what was built.

A two-moons classifier (an ``mtf.layers.MLP`` inside a ``Module``) trained with
``mtf.optimizers.Adam`` on tape gradients. Afterwards it writes, into ``out/``:
the module graph (``model.svg``, or ``model.gv`` when the ``dot`` program is
missing), the summary table (``summary.txt``) and the op graph of one training
step with gradient norms (``step.svg`` / ``step.gv``).

    python examples/demo.py [--function]

With ``--function`` the training step runs inside ``mtf.function``: traced on
the first step, replayed after that; the losses and the trained model are
bit-identical to the eager run (the default, and what ``make demo`` runs).
"""
import argparse
import os
import shutil
import sys
import time

import numpy as np

import minitf as mtf

STEPS = 400
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "out")


def two_moons(n=512, noise=0.1, seed=0):
    """Two interleaved half circles in 2-D, labels 0 and 1."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(angle), 1 - np.cos(angle))
    y = np.where(label == 0, np.sin(angle), 0.5 - np.sin(angle))
    points = np.stack([x, y], axis=1) + rng.normal(0, noise, (n, 2))
    return points.astype(np.float32), label.astype(np.int32)


class Classifier(mtf.Module):
    """An MLP that maps points to two logits."""

    def __init__(self, hidden=(32, 32), classes=2, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.mlp = mtf.layers.MLP(list(hidden) + [classes])

    @mtf.Module.with_name_scope
    def __call__(self, points):
        return self.mlp(points)


def loss_fn(model, points, labels):
    """Mean cross-entropy of the model's logits."""
    return cross_entropy(model(points), labels)


def cross_entropy(logits, labels):
    """Mean cross-entropy of ``logits`` against integer ``labels``."""
    return mtf.reduce_mean(mtf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))


def accuracy(model, points, labels):
    """Fraction of points whose largest logit is the true class."""
    return fraction_correct(model(points), labels)


def fraction_correct(logits, labels):
    """Fraction of rows of ``logits`` whose largest entry is the true class."""
    return float(np.mean(mtf.argmax(logits, axis=1).numpy() == labels))


def make_train_step(model, optimizer, use_function=False):
    """``step(points, labels) -> (loss, logits before the update)``: one Adam step,
    run eagerly or inside ``mtf.function``."""
    def train_step(points, labels):
        with mtf.GradientTape() as tape:
            logits = model(points)
            loss = cross_entropy(logits, labels)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, logits
    return mtf.function(train_step) if use_function else train_step


def train(model, points, labels, steps=STEPS, use_function=False):
    """Adam on the full batch; prints the loss and accuracy as they improve and
    returns the loss of every step."""
    train_step = make_train_step(model, mtf.optimizers.Adam(learning_rate=0.01),
                                 use_function)
    losses = []
    start = time.perf_counter()
    for step in range(steps + 1):
        loss, logits = train_step(points, labels)
        losses.append(float(loss))
        if step % 50 == 0:
            print(f"step {step:4d}  loss {losses[-1]:.4f}  "
                  f"accuracy {fraction_correct(logits, labels):.3f}")
    how = "inside mtf.function" if use_function else "eagerly"
    print(f"trained {steps} steps {how} in {time.perf_counter() - start:.2f} s")
    return losses


def write_pictures(model, points, labels, out=OUT):
    """Module graph, summary and the op graph of one step, into ``out``."""
    os.makedirs(out, exist_ok=True)
    summary = mtf.viz.summary(model, points[:1])
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write(str(summary) + "\n")
    print(summary)
    with mtf.GradientTape(persistent=True) as tape:
        loss = loss_fn(model, points[:8], labels[:8])
    graphs = {"model": mtf.viz.module_graph(model),
              "step": mtf.viz.tape_graph(tape, target=loss)}
    for name, graph in graphs.items():
        print("wrote", _save(graph, os.path.join(out, name)))


def _save(graph, path):
    """Render to SVG with dot when it is installed, else keep the DOT source."""
    if shutil.which("dot") is None:
        with open(path + ".gv", "w") as f:
            f.write(graph.source)
        return os.path.normpath(path + ".gv") + "  (install graphviz for the SVG)"
    return os.path.normpath(graph.render(path, format="svg", cleanup=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--function", action="store_true",
                        help="run the training step inside mtf.function")
    args = parser.parse_args()
    mtf.random.set_seed(0)
    points, labels = two_moons()
    model = Classifier()
    train(model, points, labels, use_function=args.function)
    final = accuracy(model, points, labels)
    write_pictures(model, points, labels)
    if final < 0.95:
        sys.exit(f"demo: training did not converge (accuracy {final:.3f})")


if __name__ == "__main__":
    main()
