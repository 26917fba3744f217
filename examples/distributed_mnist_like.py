"""Data-parallel training of an MLP on the 8x8 digits, one process per MPI rank.

    mpiexec -n 2 python examples/distributed_mnist_like.py
    python examples/distributed_mnist_like.py        # one process, the same weights

Every rank loads the data and walks the same shuffled global batches; each
trains on its shard of every batch, and DistributedOptimizer averages the
gradients, so all ranks hold the same weights as one process on whole batches.
Rank 0 alone prints and writes checkpoints; a rerun resumes from the latest one.
Needs the ``mpi`` extra to run on several processes and the ``examples`` extra
(scikit-learn) for the data.
"""
import argparse
import sys

import numpy as np

import _digits  # examples/_digits.py, beside this file
import minitf as mtf
from minitf import distribute as dist


def load_digits():
    """The digits examples' fixed split (examples/_digits.py), or a one-line exit."""
    try:
        return _digits.load()
    except ImportError:
        sys.exit("this example needs scikit-learn: pip install minitf[examples]")


def global_batches(n, batch, epoch, seed=0):
    """The epoch's shuffled global batches of row indices (the same on every rank).

    The last partial batch is dropped so every rank's shard has the same size:
    then the average of the ranks' mean losses is the mean over the whole batch.
    """
    order = np.random.default_rng([seed, epoch]).permutation(n)
    return [order[i:i + batch] for i in range(0, n - batch + 1, batch)]


def build(batch, learning_rate, out):
    """Model, optimizer and checkpoint manager, with every rank holding rank 0's state."""
    mtf.random.set_seed(0)
    model = mtf.layers.MLP([64, 10], activation=mtf.nn.relu, name="mlp")
    model(mtf.zeros((1, 64)))
    # Scale the learning rate with the global batch, not with the number of ranks:
    # the averaged gradient of a global batch is the same however it is split.
    optimizer = dist.DistributedOptimizer(mtf.optimizers.Adam(learning_rate))
    optimizer.build(model.trainable_variables)       # slots exist on every rank
    ckpt = mtf.train.Checkpoint(model=model, optimizer=optimizer)
    manager = mtf.train.CheckpointManager(ckpt, out, max_to_keep=2)
    if dist.rank() == 0:                             # only rank 0 needs the files
        ckpt.restore(manager.latest_checkpoint)
    dist.broadcast_variables([model, optimizer, ckpt.save_counter])
    return model, optimizer, manager


def train(epochs=20, batch=64, learning_rate=3e-3, out="distributed_checkpoints"):
    """Train (resuming from ``out``); returns the model. Rank 0 reports each epoch."""
    x, y, x_test, y_test = load_digits()
    model, optimizer, manager = build(batch, learning_rate, out)
    steps_per_epoch = len(global_batches(len(x), batch, 0))
    for epoch in range(int(optimizer.iterations) // steps_per_epoch, epochs):
        for rows in global_batches(len(x), batch, epoch):
            mine = rows[dist.shard(len(rows))]
            with mtf.GradientTape() as tape:
                loss = _digits.cross_entropy(model(mtf.constant(x[mine])), y[mine])
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
        manager.save()
        loss = dist.allreduce(loss)                  # the last batch's loss, all shards
        if dist.rank() == 0:
            print(f"epoch {epoch + 1:3d}  loss {float(loss):.4f}  "
                  f"test accuracy {_digits.accuracy(model, x_test, y_test):.4f}", flush=True)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64, help="global batch size")
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--out", default="distributed_checkpoints",
                        help="checkpoint directory (a rerun resumes from it)")
    args = parser.parse_args(argv)
    rank, size = dist.rank(), dist.size()            # starts MPI first thing
    if rank == 0:
        print(f"{size} process(es), global batch {args.batch} "
              f"({args.batch // size} rows per rank)")
    train(args.epochs, args.batch, args.learning_rate, args.out)


if __name__ == "__main__":
    main()
