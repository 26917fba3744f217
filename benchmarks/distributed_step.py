"""Data-parallel Adam steps of the 784-512-512-10 MLP on MPI: the 2-process speed-up
and what the gradient allreduce costs per step, fused vs one call per tensor.

Run ``python distributed_step.py``: it launches itself with ``mpiexec -n 1`` and
``mpiexec -n 2`` (the ``mpi`` extra) and prints medians of the timed steps. Each
process computes its shard of a 512-example batch; "compute only" is the same step
with the plain optimizer (no communication), so ``fused - compute only`` is the
allreduce's cost. Both ranks share this machine's cores, so the speed-up is bounded
by what 2 cores give one BLAS-bound step.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import numpy as np

BATCH, SIZES, STEPS, WARMUP = 512, (784, 512, 512, 10), 30, 5


def _model_and_data(mtf, rank, size):
    """The MLP (same start on every rank), and this rank's shard of one batch."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    mtf.random.set_seed(0)
    model = mtf.layers.MLP(list(SIZES[1:]))
    model(mtf.constant(x[:1]))
    mtf.distribute.broadcast_variables(model.variables)
    rows = mtf.distribute.shard(BATCH)
    return model, mtf.constant(x[rows]), mtf.constant(y[rows])


def _timed_steps(mtf, model, x, y, optimizers):
    """Median seconds of one forward + backward + apply step with each optimizer.

    The optimizers take turns step by step, so a noisy moment hits all of them.
    """
    times = {name: [] for name in optimizers}
    for i in range(WARMUP + STEPS):
        for name, optimizer in optimizers.items():
            start = time.perf_counter()
            with mtf.GradientTape() as tape:
                logits = model(x)
                loss = mtf.reduce_mean(
                    mtf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            if i >= WARMUP:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _timed_collectives(dist, arrays):
    """Median seconds of the gradients' allreduce alone, fused and one call per array,
    each started right after the ranks meet (so waiting for a slower rank is excluded)."""
    flat = np.concatenate([a.reshape(-1) for a in arrays])
    calls = {"allreduce_fused": lambda: dist.allreduce(flat),
             "allreduce_per_tensor": lambda: [dist.allreduce(a) for a in arrays]}
    times = {name: [] for name in calls}
    for i in range(WARMUP + STEPS):
        for name, call in calls.items():
            dist.allreduce(np.zeros(1))                # the ranks meet
            start = time.perf_counter()
            call()
            if i >= WARMUP:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def worker():
    """One rank: time compute-only, fused and per-tensor steps; rank 0 prints JSON."""
    import minitf as mtf
    dist = mtf.distribute
    model, x, y = _model_and_data(mtf, dist.rank(), dist.size())
    optimizers = {
        "compute_only": mtf.optimizers.Adam(1e-4),
        "fused": dist.DistributedOptimizer(mtf.optimizers.Adam(1e-4)),
        "per_tensor": dist.DistributedOptimizer(mtf.optimizers.Adam(1e-4), fusion_bytes=1),
    }
    result = {"size": dist.size(), "rows": int(x.shape[0])}
    result.update(_timed_steps(mtf, model, x, y, optimizers))
    result.update(_timed_collectives(dist, [v.numpy() for v in model.trainable_variables]))
    if dist.rank() == 0:
        print(json.dumps(result), flush=True)


def _launch(n):
    """Run this script's worker under ``mpiexec -n n``; rank 0's result."""
    here = pathlib.Path(__file__).resolve()
    mpiexec = pathlib.Path(sys.executable).with_name("mpiexec")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run([str(mpiexec), "-n", str(n), sys.executable, str(here), "--worker"],
                          capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        sys.exit(f"mpiexec -n {n} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    if parser.parse_args().worker:
        return worker()
    one, two = _launch(1), _launch(2)
    ms = 1e3
    print(f"Adam step, MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, "
          f"one BLAS thread per process, medians of {STEPS} steps")
    print(f"{'processes':<10}{'rows/rank':>10}{'compute only':>14}{'fused':>10}"
          f"{'per tensor':>12}   (ms per step)")
    for r in (one, two):
        print(f"{r['size']:<10}{r['rows']:>10}{r['compute_only'] * ms:>14.2f}"
              f"{r['fused'] * ms:>10.2f}{r['per_tensor'] * ms:>12.2f}")
    print(f"allreduce cost per step with 2 processes (step minus compute only, waiting "
          f"for the slower rank included): fused {(two['fused'] - two['compute_only']) * ms:.2f}"
          f" ms, one call per tensor {(two['per_tensor'] - two['compute_only']) * ms:.2f} ms")
    print(f"the allreduce alone ({sum(SIZES[i] * SIZES[i + 1] + SIZES[i + 1] for i in range(3)) * 4 / 1e6:.1f}"
          f" MB of gradients): fused {two['allreduce_fused'] * ms:.2f} ms, one call per "
          f"tensor {two['allreduce_per_tensor'] * ms:.2f} ms")
    print(f"2-process speed-up (one process without MPI vs two fused, whole batch per "
          f"step): {one['compute_only'] / two['fused']:.2f}x")


if __name__ == "__main__":
    main()
