"""Per-example gradients of a small MLP: a Python loop vs ``mtf.vectorized_map``.

A 32-64-64-10 ReLU MLP with softmax cross-entropy; for each of 256 examples the
gradient of its own loss w.r.t. every weight (what DP-SGD clips). The loop runs
the per-example function 256 times eagerly; ``vectorized_map`` traces it once
and runs the trace on the whole batch. ``torch.func.vmap`` of ``torch.func.grad``
computes the same in PyTorch when it is installed. Medians of interleaved
repeats, one process, one BLAS thread each (small products on a shared machine
are swamped by thread hand-offs otherwise; set OPENBLAS_NUM_THREADS to override).
"""
import argparse
import os
import statistics

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # before numpy loads OpenBLAS
import numpy as np  # noqa: E402

from _timing import interleaved, optional_torch  # noqa: E402

SIZES, BATCH = (32, 64, 64, 10), 256


def data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = np.eye(SIZES[-1], dtype=np.float32)[rng.integers(0, SIZES[-1], BATCH)]
    weights = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32)
               for a, b in zip(SIZES, SIZES[1:])]
    return x, y, weights


def minitf_runs(x, y, weights):
    """(loop, vectorized_map) closures computing every per-example gradient."""
    import minitf as mtf
    ws = [mtf.Variable(w) for w in weights]
    bs = [mtf.Variable(np.zeros(w.shape[1], np.float32)) for w in weights]
    variables = [v for pair in zip(ws, bs) for v in pair]

    def per_example(example):
        xi, yi = example
        with mtf.GradientTape() as tape:
            h = xi[None]
            for i, (w, b) in enumerate(zip(ws, bs)):
                h = mtf.matmul(h, w) + b
                h = mtf.nn.relu(h) if i < len(ws) - 1 else h
            loss = mtf.reduce_mean(mtf.nn.softmax_cross_entropy_with_logits(yi[None], h))
        return tape.gradient(loss, variables)

    xt, yt = mtf.constant(x), mtf.constant(y)

    def loop():
        grads = [per_example((xt[i], yt[i])) for i in range(BATCH)]
        return [mtf.stack(g) for g in zip(*grads)]

    def vectorized():
        return mtf.vectorized_map(per_example, (xt, yt))

    for a, b in zip(loop(), vectorized()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    return loop, vectorized


def torch_run(torch, x, y, weights):
    """torch.func.vmap of torch.func.grad of the same per-example loss."""
    from torch.func import grad, vmap
    params = []
    for w in weights:
        params += [torch.tensor(w), torch.zeros(w.shape[1])]
    xt, yt = torch.tensor(x), torch.tensor(y)

    def loss(params, xi, yi):
        h = xi[None]
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            h = torch.relu(h) if i < len(params) - 2 else h
        return torch.nn.functional.cross_entropy(h, yi[None])

    per_example = vmap(grad(loss), in_dims=(None, 0, 0))
    return lambda: per_example(params, xt, yt)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    x, y, weights = data()
    loop, vectorized = minitf_runs(x, y, weights)
    runs = [("loop", loop), ("vectorized_map", vectorized)]
    torch = optional_torch()
    if torch is not None:
        torch.set_num_threads(1)
        runs.append(("torch.func.vmap", torch_run(torch, x, y, weights)))
    times = {name: statistics.median(t) for name, t in
             interleaved(runs, args.repeats, warm_each=True).items()}
    print(f"per-example gradients, MLP {'-'.join(map(str, SIZES))}, {BATCH} examples, "
          f"float32 (medians of {args.repeats})")
    for name in ("loop", "vectorized_map", "torch.func.vmap"):
        shown = f"{times[name] * 1e3:9.2f} ms" if name in times else "      n/a"
        print(f"  {name:16s} {shown}")
    print(f"  loop / vectorized_map: {times['loop'] / times['vectorized_map']:.1f}x")


if __name__ == "__main__":
    main()
