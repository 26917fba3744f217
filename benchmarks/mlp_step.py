"""Training steps of ReLU MLPs: minitf beside PyTorch, in one process.

Two workloads: a 784-512-512-10 classifier at batch 128 (cross-entropy, Adam)
and a tiny 2-16-16-1 regressor at batch 32 (mean squared error, SGD), where
per-op overhead is all there is. Forward, loss, tape gradients and the
optimizer update, timed side by side with interleaved repeats (medians).
``--workload`` picks one; ``benchmarks/import_order.py`` reuses the steps.
"""
import argparse
import statistics

import numpy as np

from _timing import interleaved, keep_only

WORKLOADS = {   # name: (layer sizes, batch, optimizer, learning rate)
    "mlp": ((784, 512, 512, 10), 128, "adam", 1e-3),
    "tiny": ((2, 16, 16, 1), 32, "sgd", 0.01),
}


def data(sizes, batch, seed=0):
    """Inputs and targets: class ids for a classifier, floats for a regressor."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    if sizes[-1] > 1:
        return x, rng.integers(0, sizes[-1], batch).astype(np.int32)
    return x, rng.standard_normal((batch, 1)).astype(np.float32)


def minitf_step(sizes, optimizer, lr, x, y):
    """A closure running one minitf training step (minitf is imported here, so that
    import_order.py decides when)."""
    import minitf as mtf
    model = mtf.layers.MLP(list(sizes[1:]))
    opt = {"adam": mtf.optimizers.Adam, "sgd": mtf.optimizers.SGD}[optimizer](lr)

    def loss_of(out):
        if sizes[-1] > 1:
            return mtf.reduce_mean(mtf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=out))
        return mtf.reduce_mean(mtf.square(out - y))

    def step():
        with mtf.GradientTape() as tape:
            loss = loss_of(model(x))
        variables = model.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return step


def torch_step(sizes, optimizer, lr, x, y):
    """The same step in PyTorch, or None when torch is not importable."""
    try:
        import torch
    except ImportError:
        return None
    layers = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
    opt = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[optimizer](model.parameters(), lr)
    tx = torch.from_numpy(x)
    ty = torch.from_numpy(y.astype(np.int64) if sizes[-1] > 1 else y)
    loss_of = (torch.nn.functional.cross_entropy if sizes[-1] > 1
               else torch.nn.functional.mse_loss)

    def step():
        opt.zero_grad()
        loss_of(model(tx), ty).backward()
        opt.step()
    return step


def steps(workload, frameworks=("minitf", "torch")):
    """[(name, step)] of the workload for each framework available."""
    sizes, batch, optimizer, lr = WORKLOADS[workload]
    x, y = data(sizes, batch)
    makers = {"minitf": minitf_step, "torch": torch_step}
    runs = [(name, makers[name](sizes, optimizer, lr, x, y)) for name in frameworks]
    return [(name, step) for name, step in runs if step is not None]


def report(workload, runs, repeats, iters):
    """Warm up, time the runs interleaved, print medians and the ratio."""
    sizes, batch, optimizer, _ = WORKLOADS[workload]
    interleaved(runs, repeats=2, iters=max(1, iters // 2))      # numba compiles once
    samples = interleaved(runs, repeats=repeats, iters=iters)
    print(f"MLP {'-'.join(map(str, sizes))} {optimizer} step, batch {batch}")
    medians = {name: statistics.median(times) for name, times in samples.items()}
    for name, median in medians.items():
        print(f"  {name:8s} {median * 1e3:8.3f} ms (median of {repeats} x {iters})")
    if "torch" in medians and "minitf" in medians:
        print(f"  minitf / torch: {medians['minitf'] / medians['torch']:.2f} (medians)")
    else:
        print("  minitf / torch: n/a (torch not installed)")
    return medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=sorted(WORKLOADS) + ["all"], default="all")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--only", choices=["minitf", "torch"],
                        help="time one framework alone (benchmarks/separate_processes.py)")
    args = parser.parse_args()
    for workload in sorted(WORKLOADS) if args.workload == "all" else [args.workload]:
        report(workload, keep_only(steps(workload), args.only), args.repeats, 10 if workload == "mlp" else 200)


if __name__ == "__main__":
    main()
