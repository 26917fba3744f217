"""Cost of collecting a model's variables: minitf Module vs a plain walk vs PyTorch.

The model is ``Sequential`` of 100 ``Linear(8)`` layers (200 variables), built
by one call. Timed, side by side in one process with interleaved repeats (the
best repeat of each is reported):

- ``module.variables`` and ``module.trainable_variables`` (sorted, de-duplicated,
  cycle-safe, fully dynamic);
- ``_flatten(with_path=True)`` (what checkpoints use);
- a plain-Python walk: a recursive loop over ``vars()`` that collects Variables
  with no ordering, de-duplication or cycle safety (a floor for any walker);
- PyTorch's ``list(nn.Sequential(*100 x nn.Linear(8, 8)).parameters())``, when
  torch is importable.
"""
import argparse

import numpy as np

import minitf as mtf
from minitf import module as module_lib

from _timing import best_times

LAYERS = 100
WIDTH = 8


def build_model():
    """A built Sequential of LAYERS Linear layers (2 variables each)."""
    model = mtf.layers.Sequential([mtf.layers.Linear(WIDTH) for _ in range(LAYERS)])
    model(np.zeros((1, WIDTH), np.float32))
    if len(model.variables) != 2 * LAYERS:
        raise SystemExit(f"expected {2 * LAYERS} variables, found {len(model.variables)}")
    return model


def plain_walk(obj, out):
    """Variables reachable through vars(), lists and tuples: no order, no de-dup."""
    for value in vars(obj).values():
        if isinstance(value, mtf.Variable):
            out.append(value)
        elif isinstance(value, mtf.Module):
            plain_walk(value, out)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, mtf.Variable):
                    out.append(item)
                elif isinstance(item, mtf.Module):
                    plain_walk(item, out)
    return out


def candidates():
    """(name, zero-arg step) for each traversal; torch's when importable."""
    model = build_model()
    if len(plain_walk(model, [])) != 2 * LAYERS:
        raise SystemExit("the plain walk must find every variable")
    runs = [
        ("minitf .variables", lambda: model.variables),
        ("minitf .trainable_variables", lambda: model.trainable_variables),
        ("minitf _flatten(with_path)", lambda: tuple(model._flatten(
            predicate=module_lib._is_variable, with_path=True))),
        ("plain-Python walk", lambda: plain_walk(model, [])),
    ]
    try:
        import torch
    except ImportError:
        return runs
    net = torch.nn.Sequential(*[torch.nn.Linear(WIDTH, WIDTH) for _ in range(LAYERS)])
    runs.append(("torch list(.parameters())", lambda: list(net.parameters())))
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--iters", type=int, default=100)
    args = parser.parse_args()

    runs = candidates()
    best_times(runs, repeats=2, iters=20)
    best = best_times(runs, args.repeats, args.iters)
    print(f"Sequential of {LAYERS} Linear layers ({2 * LAYERS} variables), best of "
          f"{args.repeats} x {args.iters} calls")
    for name, seconds in best.items():
        print(f"{name:30}{seconds * 1e6:9.1f} us")
    ours = best["minitf .variables"]
    print(f"minitf .variables / plain walk: {ours / best['plain-Python walk']:.2f}x")
    if "torch list(.parameters())" in best:
        ratio = ours / best["torch list(.parameters())"]
        print(f"minitf .variables / torch:      {ratio:.2f}x "
              f"({'faster' if ratio < 1 else 'SLOWER'})")
    else:
        print("minitf .variables / torch: n/a (torch not installed)")


if __name__ == "__main__":
    main()
