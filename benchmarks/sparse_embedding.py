"""Sparse embedding training steps: minitf beside PyTorch and a numpy floor, in one process.

A 100000 x 64 float32 table, 1024 random row ids per step (with duplicates),
loss = sum(lookup * w) for a fixed random w; one step is the lookup, the
backward pass and the optimizer update. Optimizers: SGD and Adagrad (exact
sparse updates) and lazy Adam (minitf ``Adam(lazy=True)``, torch
``SparseAdam``). The numpy floor does the same arithmetic by hand: gather,
the gradient rows, duplicates summed (sort + reduceat), the rule on the rows.
Timed side by side with interleaved repeats (medians).
"""
import argparse
import statistics
import warnings

import numpy as np

from _timing import interleaved, keep_only

VOCAB, DIM, BATCH, LR = 100_000, 64, 1024, 0.01
OPTIMIZERS = ("sgd", "adagrad", "lazy-adam")


def data(steps=16, seed=0):
    """The initial table, the weight and a cycle of id batches."""
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((VOCAB, DIM)).astype(np.float32)
    w = rng.standard_normal((BATCH, DIM)).astype(np.float32)
    return table, w, [rng.integers(0, VOCAB, BATCH) for _ in range(steps)]


def _cycling(batches):
    state = {"k": 0}

    def next_batch():
        state["k"] += 1
        return batches[state["k"] % len(batches)]
    return next_batch


def minitf_step(optimizer, table, w, batches):
    import minitf as mtf
    var = mtf.Variable(table.copy())
    opt = {"sgd": lambda: mtf.optimizers.SGD(LR),
           "adagrad": lambda: mtf.optimizers.Adagrad(LR),
           "lazy-adam": lambda: mtf.optimizers.Adam(LR, lazy=True)}[optimizer]()
    weight, next_batch = mtf.constant(w), _cycling(batches)

    def step():
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.gather(var, next_batch()) * weight)
        opt.apply_gradients([(tape.gradient(loss, var), var)])
    return step


def torch_step(optimizer, table, w, batches):
    """The same step in PyTorch (sparse embedding gradient), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    emb = torch.nn.Embedding(VOCAB, DIM, sparse=True)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(table))
    opt = {"sgd": lambda p: torch.optim.SGD(p, LR),
           "adagrad": lambda p: torch.optim.Adagrad(p, LR),
           "lazy-adam": lambda p: torch.optim.SparseAdam(p, LR)}[optimizer](emb.parameters())
    weight = torch.from_numpy(w)
    next_batch = _cycling([torch.from_numpy(ids) for ids in batches])

    def step():
        opt.zero_grad()
        (emb(next_batch()) * weight).sum().backward()
        opt.step()
    return step


def numpy_step(optimizer, table, w, batches):
    """The floor: the step's arithmetic in numpy, rows only."""
    p = table.copy()
    slots = {name: np.zeros_like(p) for name in ("m", "v")}
    slots["acc"] = np.full_like(p, 0.1)
    next_batch, t = _cycling(batches), [0]

    def step():
        ids = next_batch()
        rows = np.take(p, ids, axis=0)
        np.sum(rows * w)                                   # the loss
        g = np.ones_like(rows) * w                         # its gradient rows
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
        unique, summed = sorted_ids[starts], np.add.reduceat(g[order], starts)
        t[0] += 1
        p[unique] = _numpy_rule(optimizer, np.take(p, unique, axis=0), summed, slots, unique,
                                t[0])
    return step


def _numpy_rule(optimizer, p, g, slots, rows, t):
    if optimizer == "sgd":
        return p - LR * g
    if optimizer == "adagrad":
        acc = slots["acc"][rows] + g * g
        slots["acc"][rows] = acc
        return p - LR * g / np.sqrt(acc + 1e-7)
    m = slots["m"][rows] * 0.9 + g * 0.1
    v = slots["v"][rows] * 0.999 + g * g * 0.001
    slots["m"][rows], slots["v"][rows] = m, v
    alpha = LR * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
    return p - alpha * m / (np.sqrt(v) + 1e-7)


def steps(optimizer, frameworks=("minitf", "torch", "numpy")):
    """[(name, step)] for each framework available."""
    table, w, batches = data()
    makers = {"minitf": minitf_step, "torch": torch_step, "numpy": numpy_step}
    runs = [(name, makers[name](optimizer, table, w, batches)) for name in frameworks]
    return [(name, step) for name, step in runs if step is not None]


def report(optimizer, runs, repeats, iters):
    """Warm up, time the runs interleaved, print medians and the ratios."""
    interleaved(runs, repeats=2, iters=iters)          # numba compiles once
    samples = interleaved(runs, repeats=repeats, iters=iters)
    print(f"Embedding {VOCAB}x{DIM} float32, {BATCH} ids, {optimizer} step")
    medians = {name: statistics.median(times) for name, times in samples.items()}
    for name, median in medians.items():
        print(f"  {name:8s} {median * 1e3:8.3f} ms (median of {repeats} x {iters})")
    for other in ("torch", "numpy"):
        if "minitf" not in medians:
            break
        if other in medians:
            print(f"  minitf / {other}: {medians['minitf'] / medians[other]:.2f} (medians)")
        else:
            print(f"  minitf / {other}: n/a ({other} not installed)")
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS) + ["all"], default="all")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", choices=["minitf", "torch"],
                        help="time one framework alone (benchmarks/separate_processes.py)")

    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads for the torch runs (default: torch's)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Sparse invariant checks")     # torch Adagrad
    if args.torch_threads:
        try:
            import torch
            torch.set_num_threads(args.torch_threads)
        except ImportError:
            pass
    for optimizer in OPTIMIZERS if args.optimizer == "all" else [args.optimizer]:
        report(optimizer, keep_only(steps(optimizer), args.only), args.repeats, args.iters)


if __name__ == "__main__":
    main()
