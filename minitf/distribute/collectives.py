"""Collectives on Tensors and arrays; each is a pass-through in a single process."""
import zlib

import numpy as np

from ..tensor import Variable, _TensorLike
from . import _world

_OPS = ("average", "sum")


def rank():
    """This process's rank (0 when not launched under MPI).

    >>> mtf.distribute.rank()
    0
    """
    return _world.world().rank


def size():
    """The number of processes in the job (1 when not launched under MPI).

    >>> mtf.distribute.size()
    1
    """
    return _world.world().size


def local_rank():
    """This process's rank among those on its host.

    >>> mtf.distribute.local_rank()
    0
    """
    return _world.local_rank(_world.world())


def is_distributed():
    """Whether more than one process runs (MPI launched it and mpi4py is installed).

    >>> mtf.distribute.is_distributed()
    False
    """
    return _world.world().distributed


def set_timeout(seconds):
    """Seconds a collective waits for the other ranks before aborting the job (default 60).

    Called before the first collective, it also bounds MPI start-up, which waits
    for every rank to make its first ``mtf.distribute`` call.

    >>> mtf.distribute.set_timeout(60)
    """
    _world.set_timeout(seconds)


def shard(n_items):
    """This rank's contiguous ``slice`` of ``range(n_items)``; sizes differ by at most 1.

    >>> mtf.distribute.shard(10)
    slice(0, 10, None)
    """
    if isinstance(n_items, bool) or not isinstance(n_items, (int, np.integer)) or n_items < 0:
        raise ValueError(f"shard: n_items must be a non-negative int. Received: {n_items!r}")
    w = _world.world()
    base, extra = divmod(int(n_items), w.size)
    start = w.rank * base + min(w.rank, extra)
    return slice(start, start + base + (w.rank < extra))


def _array(name, value):
    """``(array, was_tensor)`` for a Tensor, Variable, array or number."""
    if isinstance(value, _TensorLike):
        return np.asarray(value._value), True
    if isinstance(value, (np.ndarray, np.generic, int, float)) and not isinstance(value, bool):
        return np.asarray(value), False
    raise TypeError(f"{name}: expected a Tensor, Variable, numpy array or number. "
                    f"Received: {type(value).__name__}")


def _result(array, was_tensor):
    if not was_tensor:
        return array
    from ..ops._dispatch import wrap
    return wrap(array)


def check_op(name, op):
    """``op`` if it is "average" or "sum"; ValueError otherwise."""
    if op not in _OPS:
        raise ValueError(f"{name}: op must be 'average' or 'sum'. Received: op={op!r}")
    return op


def allreduce(value, op="average"):
    """The sum or average of ``value`` over all ranks (same shape on every rank).

    >>> mtf.distribute.allreduce(np.array([1.0, 2.0]))
    array([1., 2.])
    """
    check_op("allreduce", op)
    array, was_tensor = _array("allreduce", value)
    w = _world.world()
    if not w.distributed:
        return value
    total = reduce_buffer(w, np.ascontiguousarray(array), "allreduce")
    if op == "average":
        total = _divide(total, w.size)
    return _result(total, was_tensor)


def _divide(array, n):
    if array.dtype.kind in "fc":
        return array / array.dtype.type(n)
    return array // n


def reduce_buffer(w, array, what):
    """Sum of ``array`` over the ranks, with one polled Iallreduce."""
    comm = _world.enter(w, what)
    out = np.empty_like(array)
    _world.wait(w, comm.Iallreduce(array, out, op=w.MPI.SUM), what)
    return out


def gather_rows(w, array, what):
    """``array`` of every rank concatenated along axis 0 (leading sizes may differ)."""
    comm = _world.enter(w, what)
    mine = np.array([array.shape[0] if array.ndim else 1], np.int64)
    counts = np.empty(w.size, np.int64)
    _world.wait(w, comm.Iallgather(mine, counts), what)
    return gather_counted(w, array, counts, what)


def gather_counted(w, array, counts, what):
    """Allgatherv of ``array`` whose per-rank leading sizes ``counts`` are known."""
    comm = _world.enter(w, what)
    array = np.ascontiguousarray(array)
    row = array[0].size if array.ndim and array.shape[0] else int(np.prod(array.shape[1:]))
    out = np.empty((int(counts.sum()),) + array.shape[1:], array.dtype)
    sizes = [int(c) * row for c in counts]
    flat = array.reshape(-1).view(np.uint8)
    nbytes = array.dtype.itemsize
    byte_sizes = [s * nbytes for s in sizes]
    offsets = np.concatenate([[0], np.cumsum(byte_sizes)[:-1]]).astype(int).tolist()
    recv = [out.reshape(-1).view(np.uint8), (byte_sizes, offsets), w.MPI.BYTE]
    _world.wait(w, comm.Iallgatherv([flat, w.MPI.BYTE], recv), what)
    return out


def allgather(value):
    """``value`` of every rank concatenated along axis 0 (leading sizes may differ).

    >>> mtf.distribute.allgather(np.array([[1, 2]]))
    array([[1, 2]])
    """
    array, was_tensor = _array("allgather", value)
    if array.ndim == 0:
        raise ValueError("allgather: value must have at least one dimension (rows are "
                         "concatenated along axis 0). Received a scalar.")
    w = _world.world()
    if not w.distributed:
        return value
    return _result(gather_rows(w, array, "allgather"), was_tensor)


def _check_root(name, root_rank, w):
    if isinstance(root_rank, bool) or not isinstance(root_rank, (int, np.integer)) \
            or not 0 <= root_rank < w.size:
        raise ValueError(f"{name}: root_rank must be an int in [0, {w.size}). "
                         f"Received: {root_rank!r}")


def broadcast(value, root_rank=0):
    """``value`` of rank ``root_rank`` on every rank (same shape and dtype everywhere).

    >>> mtf.distribute.broadcast(np.array([3.0]))
    array([3.])
    """
    array, was_tensor = _array("broadcast", value)
    w = _world.world()
    _check_root("broadcast", root_rank, w)
    if not w.distributed:
        return value
    buffer = np.ascontiguousarray(array).copy()
    comm = _world.enter(w, "broadcast")
    _world.wait(w, comm.Ibcast(buffer, root=root_rank), "broadcast")
    return _result(buffer, was_tensor)


def _variables_of(item, found):
    """Append the Variables in ``item`` (Variable, Module, optimizer, or a list of them)."""
    if isinstance(item, Variable):
        found.append(item)
    elif isinstance(item, (list, tuple)):
        for inner in item:
            _variables_of(inner, found)
    elif hasattr(item, "variables") and not isinstance(item, _TensorLike):
        _variables_of(list(item.variables), found)
    else:
        raise TypeError(f"broadcast_variables: expected Variables, Modules or optimizers "
                        f"(or a list of them). Received: {type(item).__name__}")


def _layout(variables):
    """How many variables, how many values, and a checksum of their shapes and dtypes."""
    text = ";".join(f"{v._value.shape}{v._value.dtype}" for v in variables)
    return np.array([len(variables), sum(v._value.size for v in variables),
                     zlib.crc32(text.encode())], np.int64)


def _check_same_layout(variables, root_rank, w):
    """ValueError on a rank whose variables differ from the root's (count, shapes, dtypes)."""
    mine = _layout(variables)
    root = mine.copy()
    comm = _world.enter(w, "broadcast_variables")
    _world.wait(w, comm.Ibcast(root, root_rank), "broadcast_variables")
    if not np.array_equal(mine, root):
        raise ValueError(
            f"broadcast_variables: rank {w.rank} has {mine[0]} variables ({mine[1]} values) "
            f"but rank {root_rank} has {root[0]} ({root[1]} values), or their shapes or "
            f"dtypes differ. Build the same model on every rank, and the optimizer's slots "
            f"too (optimizer.build(model.trainable_variables)) before broadcasting.")


def broadcast_variables(variables, root_rank=0):
    """Assign rank ``root_rank``'s values to ``variables`` (Variables, Modules, optimizers).

    >>> v = mtf.Variable([1.0])
    >>> mtf.distribute.broadcast_variables([v])
    """
    found = []
    _variables_of(variables, found)
    w = _world.world()
    _check_root("broadcast_variables", root_rank, w)
    if not w.distributed:
        return
    unique = list({id(v): v for v in found}.values())
    _check_same_layout(unique, root_rank, w)
    for dtype in dict.fromkeys(v._value.dtype for v in unique):
        group = [v for v in unique if v._value.dtype == dtype]
        flat = np.concatenate([v._value.reshape(-1) for v in group])
        comm = _world.enter(w, "broadcast_variables")
        _world.wait(w, comm.Ibcast(flat, root=root_rank), "broadcast_variables")
        start = 0
        for v in group:
            v.assign(flat[start:start + v._value.size].reshape(v._value.shape))
            start += v._value.size
