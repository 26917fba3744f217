"""Rank 1 raises between two collectives (``fail.py raise``) or never joins (``fail.py stall``)."""
import sys
import time

import numpy as np

from minitf import distribute as dist

mode = sys.argv[1]
if mode == "stall":
    dist.set_timeout(2)
dist.allreduce(np.ones(3))
if dist.rank() == 1:
    if mode == "raise":
        raise RuntimeError("rank 1 fails on purpose")
    time.sleep(8)
dist.allreduce(np.ones(3))
print("finished", dist.rank())
