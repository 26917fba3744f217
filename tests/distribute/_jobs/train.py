"""Training jobs for tests/distribute: ``python train.py MODE OUT.npz`` (under mpiexec or not).

Each rank trains on its shard of every batch; rank 0 writes its weights and
every rank's (gathered) to OUT. ``run(mode)`` in one process is the reference.
"""
import sys

import numpy as np

import minitf as mtf
from minitf import distribute as dist

BATCH, STEPS = 16, 10


def _data(seed, n_in):
    rng = np.random.RandomState(seed)
    xs = rng.normal(size=(STEPS, BATCH, n_in))
    ys = rng.normal(size=(STEPS, BATCH, 1))
    return xs, ys


def _mlp(dtype=np.float64):
    rng = np.random.RandomState(0)
    shapes = [(4, 8), (8,), (8, 1)]
    return [mtf.Variable(rng.normal(size=s).astype(dtype) * 0.5, name=f"w{i}")
            for i, s in enumerate(shapes)]


def _mlp_loss(params, x, y):
    w1, b1, w2 = params
    hidden = mtf.tanh(mtf.matmul(x, w1) + b1)
    return mtf.reduce_mean(mtf.square(mtf.matmul(hidden, w2) - y))


def _train(params, opt, loss_fn, xs, ys, passes=1):
    part = dist.shard(BATCH)
    for x, y in zip(xs, ys):
        x, y = x[part], y[part]
        for k in range(passes):
            rows = slice(k * len(x) // passes, (k + 1) * len(x) // passes)
            xk, yk = mtf.constant(x[rows]), mtf.constant(y[rows])
            with mtf.GradientTape() as tape:
                loss = loss_fn(params, xk, yk)
            opt.apply_gradients(zip(tape.gradient(loss, params), params))
    return params


def mlp_adam():
    params = _mlp()
    if dist.rank() != 0:                  # broadcast_variables must fix this
        params[0].assign_add(np.ones((4, 8)))
    opt = dist.DistributedOptimizer(mtf.optimizers.Adam(learning_rate=0.05))
    dist.broadcast_variables([params, opt])
    xs, ys = _data(1, 4)
    return _train(params, opt, _mlp_loss, xs, ys)


def _embedding_loss(params, idx, y):
    table, w = params
    rows = mtf.gather(table, idx)
    return mtf.reduce_mean(mtf.square(mtf.matmul(rows, w) - y))


def embedding_adam():
    rng = np.random.RandomState(2)
    params = [mtf.Variable(rng.normal(size=(30, 4)), name="table"),
              mtf.Variable(rng.normal(size=(4, 1)), name="w")]
    opt = dist.DistributedOptimizer(mtf.optimizers.Adam(learning_rate=0.05))
    idx = rng.randint(0, 30, size=(STEPS, BATCH))
    ys = rng.normal(size=(STEPS, BATCH, 1))
    return _train(params, opt, _embedding_loss, idx, ys)


def clip_global():
    """Rows [10, 0] and [0, 10]: clip(average) = [.707, .707], average(clip) = [.5, .5]."""
    v = mtf.Variable(np.zeros(2))
    opt = dist.DistributedOptimizer(mtf.optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0))
    rows = np.array([[10.0, 0.0], [0.0, 10.0]])[dist.shard(2)]
    opt.minimize(lambda: mtf.reduce_mean(mtf.matmul(mtf.constant(rows), mtf.reshape(v, (2, 1)))),
                 [v])
    return [v]


def mlp_sgd_fp16():
    params = _mlp(np.float32)
    opt = dist.DistributedOptimizer(mtf.optimizers.SGD(learning_rate=0.1), compression="fp16")
    xs, ys = _data(3, 4)
    return _train(params, opt, _mlp_loss, xs.astype(np.float32), ys.astype(np.float32))


def mlp_sgd_reference():
    params = _mlp(np.float32)
    opt = dist.DistributedOptimizer(mtf.optimizers.SGD(learning_rate=0.1))
    xs, ys = _data(3, 4)
    return _train(params, opt, _mlp_loss, xs.astype(np.float32), ys.astype(np.float32))


def two_passes():
    """backward_passes_per_step=2: each rank's half batch in two quarters, one step."""
    params = _mlp()
    opt = dist.DistributedOptimizer(mtf.optimizers.Adam(learning_rate=0.05),
                                    backward_passes_per_step=2)
    xs, ys = _data(4, 4)
    return _train(params, opt, _mlp_loss, xs, ys, passes=2)


def one_pass():
    params = _mlp()
    opt = dist.DistributedOptimizer(mtf.optimizers.Adam(learning_rate=0.05))
    xs, ys = _data(4, 4)
    return _train(params, opt, _mlp_loss, xs, ys)


def fusion():
    """50 float64 and 3 float32 small gradients: the collective calls per step counted."""
    params = [mtf.Variable(np.full(10, float(i))) for i in range(50)]
    params += [mtf.Variable(np.ones(10, np.float32)) for _ in range(3)]
    grads = [mtf.constant(np.ones_like(p.numpy())) for p in params]
    world = dist._world.world()
    counts = []
    for fusion_bytes in (64 << 20, 400):
        opt = dist.DistributedOptimizer(mtf.optimizers.SGD(learning_rate=0.1),
                                        fusion_bytes=fusion_bytes)
        before = world.started
        opt.apply_gradients(zip(grads, params))
        counts.append(world.started - before)
    return params + [mtf.Variable(np.array(counts, np.float64))]


def run(mode):
    """The variables ``mode`` ends with."""
    return globals()[mode]()


def main(mode, out):
    weights = [np.asarray(p.numpy()) for p in run(mode)]
    flat = np.concatenate([w.reshape(-1).astype(np.float64) for w in weights])
    every = dist.allgather(flat[None, :])
    if dist.rank() == 0:
        np.savez(out, *weights, every_rank=every, size=dist.size())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
