"""mtf.distribute: data-parallel training over MPI ranks (Horovod-style).

Launch with ``mpiexec -n N python train.py``. mpi4py is imported on first use
and only under an MPI launcher; otherwise every call is a single-process
pass-through (``size() == 1``).
"""
from .collectives import (  # noqa: F401
    allgather, allreduce, broadcast, broadcast_variables, is_distributed, local_rank, rank,
    set_timeout, shard, size)
from .optimizer import DistributedOptimizer  # noqa: F401
