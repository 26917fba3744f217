"""What the digits examples share: the data, batches, the training loop, accuracy,
the loss-curve picture and the command line.

The digits dataset ships with scikit-learn: 1797 grey 8x8 images of handwritten
digits, pixels 0..16. It is split once, stratified (each digit in the same
proportion on both sides), 25% for testing, with seed 0, and pixels are scaled
to [0, 1]. Training is minibatch Adam on the mean cross-entropy, its step size
following a cosine decay to zero; a tqdm bar shows the steps and the loss.

scikit-learn and tqdm are the ``examples`` extra, matplotlib the ``plot`` extra;
``require_extras`` turns a missing one into a one-line message.
"""
import argparse
import importlib
import os
import sys
import time
from typing import NamedTuple

import numpy as np

import minitf as mtf

SPLIT_SEED = 0
TEST_FRACTION = 0.25
BATCH_SIZE = 32
CLASSES = 10

# (module to import, what pip installs it, the minitf extra that brings it)
_NEEDS = (("sklearn", "scikit-learn", "examples"), ("threadpoolctl", "scikit-learn", "examples"),
          ("tqdm", "tqdm", "examples"), ("matplotlib", "matplotlib", "plot"))


class Digits(NamedTuple):
    """The split: float32 images (flat [n, 64] or NHWC [n, 8, 8, 1]), int32 labels."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


class Result(NamedTuple):
    """What a full example run produced."""
    model: mtf.Module
    losses: list
    accuracy: float
    seconds: float
    curve: str


def missing_extra():
    """One line naming the first missing package and its extra, or None."""
    for module, package, extra in _NEEDS:
        try:
            importlib.import_module(module)
        except ImportError:
            return (f"{package} is missing; install the `{extra}` extra: "
                    f"pip install minitf[{extra}]")
    return None


def require_extras(program):
    """Exit (status 1, no traceback) with one line when an extra is missing."""
    message = missing_extra()
    if message:
        sys.exit(f"{program}: {message}")


def load(images=False):
    """The fixed split, pixels in [0, 1]; NHWC images when ``images``, else flat rows."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    if images:
        x = x.reshape(-1, 8, 8, 1)
    y = digits.target.astype(np.int32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, stratify=y, random_state=SPLIT_SEED)
    return Digits(x_train, y_train, x_test, y_test)


def batches(x, y, batch_size, rng):
    """One epoch of shuffled minibatches; the incomplete last one is dropped, so every
    step sees one shape (``mtf.function`` traces once)."""
    order = rng.permutation(len(x))
    for start in range(0, len(x) - batch_size + 1, batch_size):
        take = order[start:start + batch_size]
        yield x[take], y[take]


def cross_entropy(logits, labels):
    """Mean cross-entropy of ``logits`` against integer ``labels``."""
    return mtf.reduce_mean(mtf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))


def make_optimizer(learning_rate, steps):
    """Adam whose step size falls from ``learning_rate`` to 0 along a cosine over ``steps``."""
    return mtf.optimizers.Adam(mtf.optimizers.schedules.CosineDecay(learning_rate, steps))


def make_train_step(model, optimizer, use_function=False):
    """``step(images, labels) -> loss``: one optimizer step, eager or in ``mtf.function``."""
    def train_step(images, labels):
        with mtf.GradientTape() as tape:
            loss = cross_entropy(model(images), labels)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return mtf.function(train_step) if use_function else train_step


def total_steps(data, epochs, steps=None):
    """``steps`` when given, else ``epochs`` passes over the training set."""
    return steps if steps is not None else epochs * (len(data.x_train) // BATCH_SIZE)


def fit(model, data, steps, learning_rate, seed=0, use_function=False, progress=True):
    """Train ``model`` for ``steps`` minibatch steps; the loss of every step."""
    from threadpoolctl import threadpool_limits
    from tqdm import tqdm
    train_step = make_train_step(model, make_optimizer(learning_rate, steps), use_function)
    rng = np.random.default_rng(seed)
    losses = []
    # One BLAS thread: on matrices this small, more threads mostly wait for each other.
    with threadpool_limits(limits=1, user_api="blas"), \
            tqdm(total=steps, unit="step", disable=not progress) as bar:
        while len(losses) < steps:
            for images, labels in batches(data.x_train, data.y_train, BATCH_SIZE, rng):
                losses.append(float(train_step(images, labels)))
                bar.set_postfix(loss=f"{losses[-1]:.4f}", refresh=False)
                bar.update()
                if len(losses) == steps:
                    break
    return losses


def train(build_model, data, steps, learning_rate, seed=0, use_function=False,
          progress=True):
    """A fresh ``build_model()`` (weights drawn with ``seed``) trained ``steps`` steps;
    ``(model, loss of every step)``."""
    mtf.random.set_seed(seed)
    model = build_model()
    return model, fit(model, data, steps, learning_rate, seed, use_function, progress)


def accuracy(model, images, labels):
    """Fraction of ``images`` whose largest logit is the true label."""
    predicted = mtf.argmax(model(images), axis=1).numpy()
    return float(np.mean(predicted == labels))


def moving_mean(values, window):
    """Mean of each run of ``window`` consecutive values (len(values) - window + 1 of them)."""
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window


def plot_losses(losses, path, title):
    """Write the loss of every step (pale) and its moving mean (blue) as a PNG."""
    from matplotlib import ticker
    from matplotlib.figure import Figure
    window = max(1, len(losses) // 40)
    steps = np.arange(1, len(losses) + 1)
    figure = Figure(figsize=(6, 3.6), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    if window > 1:
        axes.plot(steps, losses, color="#9ecae1", linewidth=0.6, label="loss of each step")
    axes.plot(steps[window - 1:], moving_mean(losses, window), color="#1f77b4",
              linewidth=1.8, label=f"mean of {window} steps" if window > 1 else "loss")
    axes.axhline(np.log(CLASSES), color="#6b7280", linestyle=":", linewidth=1,
                 label="ln 10 (a uniform guess)")
    axes.set(yscale="log", xlabel="step", ylabel="cross-entropy", title=title)
    # plain numbers (0.01, not 10^-2); minor ticks labelled when under a decade shows
    axes.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axes.yaxis.set_minor_formatter(ticker.LogFormatter(labelOnlyBase=False,
                                                       minor_thresholds=(1, 0.4)))
    axes.legend(loc="upper right", fontsize=8)
    figure.savefig(path)
    return os.path.abspath(path)


def parser(doc, epochs, out="out"):
    """The command line every digits example takes (description: ``doc``'s first line)."""
    arguments = argparse.ArgumentParser(description=doc.splitlines()[0])
    arguments.add_argument("--epochs", type=int, default=epochs,
                        help=f"passes over the training set (default {epochs})")
    arguments.add_argument("--steps", type=int, default=None,
                           help="train this many steps instead of --epochs (a quick look)")
    arguments.add_argument("--seed", type=int, default=0,
                           help="seed of the initial weights and the batch order")
    arguments.add_argument("--out", default=out,
                           help=f"directory for the pictures (default {out})")
    arguments.add_argument("--function", action="store_true",
                           help="run the training step inside mtf.function")
    return arguments


def train_and_report(name, build_model, learning_rate, args, data):
    """Train a fresh ``build_model()`` on ``data`` as ``args`` say, print the test
    accuracy and the time, write ``<out>/<name>_loss.png``; a Result."""
    steps = total_steps(data, args.epochs, args.steps)
    start = time.perf_counter()
    model, losses = train(build_model, data, steps, learning_rate, args.seed, args.function)
    seconds = time.perf_counter() - start
    score = accuracy(model, data.x_test, data.y_test)
    print(f"{name}: {steps} steps in {seconds:.1f} s, test accuracy {score:.2%} "
          f"({len(data.y_test)} test images)")
    os.makedirs(args.out, exist_ok=True)
    curve = plot_losses(losses, os.path.join(args.out, f"{name}_loss.png"),
                        f"{name}: test accuracy {score:.2%}")
    print("wrote", curve)
    return Result(model, losses, score, seconds, curve)
