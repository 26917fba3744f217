"""DistributedOptimizer: aggregate gradients over the ranks, then apply them."""
import numpy as np

from .._context import ctx
from ..indexed_slices import IndexedSlices
from ..kernels.scatter import scatter_add_rows
from ..tensor import _TensorLike
from . import _world
from .collectives import _divide, check_op, gather_counted, reduce_buffer

_COMPRESSIONS = (None, "fp16")


class DistributedOptimizer:
    """Wraps ``optimizer``: gradients are summed or averaged over the ranks before it applies.

    Dense gradients are all-reduced in fused flat buffers (one per dtype, at
    most ``fusion_bytes`` each); IndexedSlices are all-gathered. The wrapped
    optimizer then applies, so its clipping sees the aggregated gradient.
    Everything else (``learning_rate``, ``iterations``, slots...) is the
    wrapped optimizer's.

    >>> v = mtf.Variable([1.0, 2.0])
    >>> opt = mtf.distribute.DistributedOptimizer(mtf.optimizers.SGD(learning_rate=0.5))
    >>> _ = opt.minimize(lambda: mtf.reduce_sum(v * v), [v])
    >>> v.numpy()
    array([0., 0.], dtype=float32)
    """

    def __init__(self, optimizer, op="average", fusion_bytes=64 << 20, compression=None,
                 backward_passes_per_step=1):
        if not callable(getattr(optimizer, "apply_gradients", None)):
            raise TypeError(f"DistributedOptimizer: optimizer must have apply_gradients "
                            f"(an mtf.optimizers.Optimizer). Received: "
                            f"{type(optimizer).__name__}")
        check_op("DistributedOptimizer", op)
        if isinstance(fusion_bytes, bool) or not isinstance(fusion_bytes, int) \
                or fusion_bytes < 1:
            raise ValueError(f"DistributedOptimizer: fusion_bytes must be a positive int. "
                             f"Received: {fusion_bytes!r}")
        if compression not in _COMPRESSIONS:
            raise ValueError(f"DistributedOptimizer: compression must be None or 'fp16'. "
                             f"Received: {compression!r}")
        if isinstance(backward_passes_per_step, bool) or \
                not isinstance(backward_passes_per_step, int) or backward_passes_per_step < 1:
            raise ValueError(f"DistributedOptimizer: backward_passes_per_step must be an "
                             f"int >= 1. Received: {backward_passes_per_step!r}")
        self.optimizer = optimizer
        self.op = op
        self.fusion_bytes = fusion_bytes
        self.compression = compression
        self.backward_passes_per_step = backward_passes_per_step
        self._pending = None       # [[gradient array | Sparse | None, variable]] while accumulating
        self._passes = 0

    def __getattr__(self, name):
        """Everything not defined here is the wrapped optimizer's."""
        if name == "optimizer":
            raise AttributeError("DistributedOptimizer.__init__ has not run")
        return getattr(self.optimizer, name)

    def _checkpoint_target(self):
        """A checkpoint saves the wrapped optimizer: the same keys as without MPI."""
        return self.optimizer

    def apply_gradients(self, grads_and_vars):
        """Aggregate the gradients over the ranks, then apply them with the wrapped optimizer.

        With ``backward_passes_per_step=k`` the first k-1 calls only
        accumulate. Returns the wrapped optimizer's ``iterations``.
        """
        if ctx.recorder is not None:
            raise NotImplementedError(
                "DistributedOptimizer.apply_gradients cannot run inside mtf.function: the "
                "collectives would not be replayed. Compute the gradients in the function "
                "and call apply_gradients outside it.")
        pairs = [(_local(g), v) for g, v in grads_and_vars]
        if not self._accumulate(pairs):
            return self.optimizer.iterations
        pairs, self._pending, self._passes = self._pending, None, 0
        return self.optimizer.apply_gradients(self._aggregate(pairs))

    def apply(self, grads, variables):
        """``apply_gradients(zip(grads, variables))`` with a length check."""
        grads, variables = list(grads), list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"apply: got {len(grads)} gradients for {len(variables)} "
                             f"variables; pass one gradient (or None) per variable.")
        return self.apply_gradients(zip(grads, variables))

    def minimize(self, loss, var_list, tape=None):
        """``apply_gradients(compute_gradients(loss, var_list, tape))``, aggregated."""
        return self.apply_gradients(
            self.optimizer.compute_gradients(loss, var_list, tape=tape))

    def _accumulate(self, pairs):
        """Add ``pairs`` to the pending sums; True once ``backward_passes_per_step`` are in."""
        if self._pending is None:
            self._pending = [list(p) for p in pairs]
        else:
            if len(pairs) != len(self._pending) or any(
                    v is not p[1] for (_, v), p in zip(pairs, self._pending)):
                raise ValueError("DistributedOptimizer: each backward pass of one step must "
                                 "pass the same variables in the same order.")
            for (g, _), p in zip(pairs, self._pending):
                p[0] = _add(p[0], g)
        self._passes += 1
        if self._passes < self.backward_passes_per_step:
            return False
        if self._passes > 1:
            for p in self._pending:
                p[0] = _scale(p[0], self._passes)
        return True

    def _aggregate(self, pairs):
        """``[(Tensor | IndexedSlices | None, variable)]`` summed or averaged over the ranks."""
        from ..ops._dispatch import wrap
        w = _world.world()
        if w.distributed:
            divisor = w.size if self.op == "average" else 1
            dense = [i for i, (g, _) in enumerate(pairs) if isinstance(g, np.ndarray)]
            sparse = [i for i, (g, _) in enumerate(pairs) if isinstance(g, _Sparse)]
            grads = [g for g, _ in pairs]
            for i, total in zip(dense, self._reduce([grads[i] for i in dense], w)):
                grads[i] = _divide(total, divisor) if divisor > 1 else total
            for i, rows in zip(sparse, _gather([grads[i] for i in sparse], w)):
                grads[i] = _scale(rows, divisor) if divisor > 1 else rows
            pairs = [(g, v) for g, (_, v) in zip(grads, pairs)]
        return [(_tensor(g, wrap), v) for g, v in pairs]

    def _reduce(self, arrays, w):
        """Sums over the ranks of ``arrays``, in fused buffers grouped by dtype."""
        out = [None] * len(arrays)
        for dtype in dict.fromkeys(a.dtype for a in arrays):
            members = [i for i, a in enumerate(arrays) if a.dtype == dtype]
            for bucket in _buckets(members, arrays, self.fusion_bytes):
                flat = np.concatenate([arrays[i].reshape(-1) for i in bucket])
                total = self._reduce_flat(flat, w)
                start = 0
                for i in bucket:
                    out[i] = total[start:start + arrays[i].size].reshape(arrays[i].shape)
                    start += arrays[i].size
        return out

    def _reduce_flat(self, flat, w):
        """One collective: the sum of ``flat`` over the ranks (fp16 on the wire if asked)."""
        if self.compression != "fp16" or flat.dtype not in (np.float32, np.float64):
            return reduce_buffer(w, flat, "allreduce")
        sent = flat.astype(np.float16).view(np.uint16)
        parts = gather_counted(w, sent, np.full(w.size, sent.size, np.int64), "allreduce")
        parts = parts.view(np.float16).reshape(w.size, -1).astype(flat.dtype)
        total = parts[0].copy()
        for part in parts[1:]:
            total += part
        return total


def _buckets(members, arrays, limit):
    """``members`` split in order into runs of at most ``limit`` bytes (one array may exceed it)."""
    bucket, used = [], 0
    for i in members:
        nbytes = arrays[i].nbytes
        if bucket and used + nbytes > limit:
            yield bucket
            bucket, used = [], 0
        bucket.append(i)
        used += nbytes
    if bucket:
        yield bucket


class _Sparse:
    """Rows of a sparse gradient as numpy arrays (values, indices, dense_shape)."""

    __slots__ = ("values", "indices", "dense_shape")

    def __init__(self, values, indices, dense_shape):
        self.values, self.indices, self.dense_shape = values, indices, dense_shape


def _local(g):
    """A gradient as a numpy array, a _Sparse or None."""
    if g is None:
        return None
    if type(g) is IndexedSlices:
        return _Sparse(np.asarray(g.values._value), np.asarray(g.indices._value),
                       g.dense_shape)
    if isinstance(g, _TensorLike):
        return np.asarray(g._value)
    return np.asarray(g)


def _add(a, b):
    """Sum of two local gradients; two sparse ones stay sparse."""
    if a is None or b is None:
        if a is not b:
            raise ValueError("DistributedOptimizer: a variable got a gradient in one "
                             "backward pass and None in another of the same step.")
        return None
    if isinstance(a, _Sparse) and isinstance(b, _Sparse):
        return _Sparse(np.concatenate([a.values, b.values]),
                       np.concatenate([a.indices, b.indices]), a.dense_shape)
    return _dense(a) + _dense(b)


def _dense(g):
    if not isinstance(g, _Sparse):
        return g
    return scatter_add_rows(g.values, g.indices, g.dense_shape[0])


def _scale(g, n):
    """``g`` divided by ``n``."""
    if g is None:
        return None
    if isinstance(g, _Sparse):
        return _Sparse(_divide(g.values, n), g.indices, g.dense_shape)
    return _divide(g, n)


def _gather(sparse, w):
    """Each _Sparse with the rows of every rank; one count exchange for all of them."""
    if not sparse:
        return []
    comm = _world.enter(w, "allgather")
    mine = np.array([len(s.indices) for s in sparse], np.int64)
    counts = np.empty(w.size * len(sparse), np.int64)
    _world.wait(w, comm.Iallgather(mine, counts), "allgather")
    counts = counts.reshape(w.size, len(sparse))
    out = []
    for k, s in enumerate(sparse):
        values = gather_counted(w, s.values, counts[:, k], "allgather")
        indices = gather_counted(w, s.indices, counts[:, k], "allgather")
        out.append(_Sparse(values, indices, s.dense_shape))
    return out


def _tensor(g, wrap):
    """A local gradient back as a Tensor or IndexedSlices."""
    if g is None:
        return None
    if isinstance(g, _Sparse):
        return IndexedSlices(wrap(g.values), wrap(g.indices), g.dense_shape)
    return wrap(g)

