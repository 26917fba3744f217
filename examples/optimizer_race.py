"""Race every built-in optimizer, and one written here, on Rosenbrock and Beale.

    python examples/optimizer_race.py            # prints the results, writes out/*.png
    python examples/optimizer_race.py --out DIR

The custom optimizer is sign SGD (p <- p - lr * sign(g)), written as
docs/custom_optimizer.md shows. The learning rates are tuned only enough that
each optimizer tells its story in the picture: plain SGD crawls along the
valley, momentum overshoots and catches up, Adam-style methods take steps of
about lr whatever the gradient, Adagrad and FTRL slow down as their
accumulators grow (FTRL without regularization takes Adagrad's steps: its
dashed path lies on Adagrad's), Lion and sign SGD take steps of a fixed size
(Lion's shrink with its cosine schedule, as in its paper).
tools/render_race_figures.py writes docs/figures/optimizer_race_*.png with it.
"""
import argparse
import os
import warnings

import minitf as mtf

opt = mtf.optimizers

STEPS = {"Rosenbrock": 1000, "Beale": 600}


class SignSGD(mtf.optimizers.Optimizer):
    """Sign SGD (Bernstein et al., 2018): p <- p - lr * sign(g), every step the same size."""

    def update_step(self, gradient, variable, learning_rate):
        variable.assign_sub(learning_rate * mtf.sign(gradient))


def optimizers(function_name):
    """``{label: optimizer}``: every built-in (SGD twice: plain and momentum) and SignSGD."""
    if function_name == "Rosenbrock":
        lr = dict(sgd=1e-3, momentum=1e-3, adam=0.1, adamw=0.1, adamax=0.1, nadam=0.03,
                  rmsprop=0.01, adagrad=0.5, adadelta=1.0, lion=0.02, ftrl=0.5, sign=1e-3)
    else:
        lr = dict(sgd=0.01, momentum=1e-3, adam=0.01, adamw=0.01, adamax=0.03, nadam=0.01,
                  rmsprop=3e-3, adagrad=0.3, adadelta=1.0, lion=0.01, ftrl=0.3, sign=3e-3)
    lion = opt.schedules.CosineDecay(lr["lion"], STEPS[function_name])   # as the paper
    return {f"SGD {lr['sgd']:g}": opt.SGD(lr["sgd"]),
            f"SGD+momentum {lr['momentum']:g}": opt.SGD(lr["momentum"], momentum=0.9),
            f"Adam {lr['adam']:g}": opt.Adam(lr["adam"]),
            f"AdamW {lr['adamw']:g}": opt.AdamW(lr["adamw"], weight_decay=0.1),
            f"Adamax {lr['adamax']:g}": opt.Adamax(lr["adamax"]),
            f"Nadam {lr['nadam']:g}": opt.Nadam(lr["nadam"]),
            f"RMSprop {lr['rmsprop']:g}": opt.RMSprop(lr["rmsprop"]),
            f"Adagrad {lr['adagrad']:g}": opt.Adagrad(lr["adagrad"]),
            f"Adadelta {lr['adadelta']:g}": opt.Adadelta(lr["adadelta"]),
            f"Lion {lr['lion']:g}, cosine decay": opt.Lion(lion),
            f"Ftrl {lr['ftrl']:g}": opt.Ftrl(lr["ftrl"]),
            f"SignSGD (custom) {lr['sign']:g}": SignSGD(lr["sign"])}


def run(function, steps=None):
    """Race the optimizers on ``function`` (an mtf.playground function); a RaceResult."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")      # a diverged path is worth seeing
        return mtf.playground.race(optimizers(function.name), function,
                                   steps=steps or STEPS[function.name])


def write_figures(out, steps=None):
    """Race on Rosenbrock and Beale, write ``out/optimizer_race_<name>.png``.

    Returns ``{path written: its RaceResult}``.
    """
    os.makedirs(out, exist_ok=True)
    written = {}
    for function in (mtf.playground.rosenbrock, mtf.playground.beale):
        result = run(function, steps)
        print(result, end="\n\n")
        path = os.path.join(out, f"optimizer_race_{function.name.lower()}.png")
        mtf.playground.plot_race(result, path=path,
                                 title=f"Optimizers racing on {function.name} "
                                       f"from {result.start}")
        written[path] = result
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out", help="directory for the figures")
    args = parser.parse_args()
    for path in write_figures(args.out):
        print("wrote", path)


if __name__ == "__main__":
    main()
