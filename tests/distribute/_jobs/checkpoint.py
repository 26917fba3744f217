"""Both ranks save: only rank 0 writes; each rank writes the paths it got to rank<r>.txt."""
import os
import sys

import minitf as mtf
from minitf import distribute as dist

directory = sys.argv[1]
v = mtf.Variable([1.0, 2.0])
ckpt = mtf.train.Checkpoint(v=v)
manager = mtf.train.CheckpointManager(ckpt, os.path.join(directory, "managed"))
paths = [manager.save(), ckpt.write(os.path.join(directory, "one")),
         ckpt.save(os.path.join(directory, "numbered"))]
dist.allreduce(v)                     # both ranks are done saving before either reports
with open(os.path.join(directory, f"rank{dist.rank()}.txt"), "w") as f:
    f.write("\n".join(paths))
