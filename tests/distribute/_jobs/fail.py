"""Rank 1 raises between two collectives (``fail.py raise``), never joins (``fail.py stall``),
raises before its first mtf.distribute call, so before MPI starts (``fail.py early``), or
broadcasts variables the root does not have (``fail.py layout``)."""
import os
import sys
import time

import numpy as np

import minitf as mtf
from minitf import distribute as dist

mode = sys.argv[1]
if mode in ("stall", "early"):
    dist.set_timeout(2)
if mode == "early" and os.environ["PMI_RANK"] == "1":
    raise RuntimeError("rank 1 fails before MPI starts")
dist.allreduce(np.ones(3))
if mode == "layout":
    shapes = [(3,), (2, 2)] if dist.rank() == 0 else [(3,), (2, 2), (5,)]
    dist.broadcast_variables([mtf.Variable(np.zeros(s)) for s in shapes])
if dist.rank() == 1:
    if mode == "raise":
        raise RuntimeError("rank 1 fails on purpose")
    time.sleep(8)
dist.allreduce(np.ones(3))
print("finished", dist.rank())
