"""Reading a checkpoint file without restoring it: ``list_variables``, ``load_variable``."""
import os

import numpy as np

from ._read import CheckpointFile
from .manager import latest_in


def list_variables(ckpt_dir_or_file):
    """``[(key, shape)]`` of every value in a checkpoint file, sorted by key.

    The file's integrity is checked first (``CheckpointError`` if damaged).

    >>> import os, tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> path = mtf.train.Checkpoint(v=mtf.Variable([1.0, 2.0])).write(os.path.join(tmp, "c"))
    >>> mtf.train.list_variables(path)
    [('save_counter', ()), ('v', (2,))]
    """
    with CheckpointFile(_file(ckpt_dir_or_file)) as file:
        return [(key, tuple(entry["shape"])) for key, entry in sorted(file.entries.items())]


def load_variable(ckpt_dir_or_file, name):
    """The value stored under key ``name`` as a new numpy array.

    ``KeyError`` (listing the keys) if the file has no such key.

    >>> import os, tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> path = mtf.train.Checkpoint(v=mtf.Variable([1.0, 2.0])).write(os.path.join(tmp, "c"))
    >>> mtf.train.load_variable(path, "v")
    array([1., 2.], dtype=float32)
    """
    with CheckpointFile(_file(ckpt_dir_or_file)) as file:
        if name not in file.entries:
            raise KeyError(f"load_variable: key {name!r} not found in checkpoint "
                           f"{file.path!r}. Its keys: {sorted(file.entries)}")
        return np.array(file.read(name))


def _file(ckpt_dir_or_file):
    """A checkpoint file path; a directory means its CheckpointManager's latest checkpoint."""
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_in(path)
        if latest is None:
            raise FileNotFoundError(f"No checkpoint found in directory {path!r}.")
        return latest
    return path
