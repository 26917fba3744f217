"""CheckpointManager: numbered checkpoints in a directory, the oldest pruned (SPEC §6)."""
import json
import operator
import os
import re

from . import _graph
from ._write import atomic_write

_INDEX = "checkpoint"   # the index file's name, as TensorFlow's state file


class CheckpointManager:
    """Saves ``checkpoint`` as ``<directory>/<checkpoint_name>-<N>``, keeping the newest.

    ``max_to_keep`` files are kept (``None`` keeps all); older ones are deleted
    after each save. The list lives in a small JSON index file,
    ``<directory>/checkpoint``, rewritten atomically after every save, so a new
    manager on the same directory carries on where the last one stopped.
    Without an index the directory is scanned for ``<checkpoint_name>-<N>``.

    >>> v = mtf.Variable(1.0)
    >>> manager = mtf.train.CheckpointManager(mtf.train.Checkpoint(v=v), tmp, max_to_keep=2)
    >>> paths = [manager.save() for _ in range(3)]
    >>> [os.path.basename(p) for p in manager.checkpoints]
    ['ckpt-2', 'ckpt-3']
    """

    def __init__(self, checkpoint, directory, max_to_keep=5, checkpoint_name="ckpt"):
        if not _graph.is_checkpoint(checkpoint):
            raise TypeError(f"CheckpointManager: expected a mtf.train.Checkpoint. "
                            f"Received: checkpoint={type(checkpoint).__name__}")
        if max_to_keep is not None and (isinstance(max_to_keep, bool) or
                                        not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"CheckpointManager: max_to_keep must be a positive int or None. "
                             f"Received: max_to_keep={max_to_keep!r}")
        if not isinstance(checkpoint_name, str) or not checkpoint_name or "/" in checkpoint_name:
            raise ValueError(f"CheckpointManager: checkpoint_name must be a file name. "
                             f"Received: checkpoint_name={checkpoint_name!r}")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._name = checkpoint_name
        os.makedirs(self._directory, exist_ok=True)
        self._names = self._recover()

    @property
    def directory(self):
        """The directory holding the checkpoints and the index."""
        return self._directory

    @property
    def checkpoints(self):
        """Paths of the kept checkpoints, oldest first."""
        return [os.path.join(self._directory, name) for name in self._names]

    @property
    def latest_checkpoint(self):
        """Path of the newest checkpoint, or None."""
        return os.path.join(self._directory, self._names[-1]) if self._names else None

    def save(self, checkpoint_number=None):
        """Increment the save counter, write a checkpoint, prune; returns its path.

        ``checkpoint_number`` (an int) numbers the file instead of the
        checkpoint's ``save_counter`` (which is incremented either way).
        """
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = int(counter) if checkpoint_number is None else _number(checkpoint_number)
        name = f"{self._name}-{number}"
        try:
            path = self._checkpoint.write(os.path.join(self._directory, name))
        except BaseException:
            counter.assign_sub(1)
            raise
        names = [n for n in self._names if n != name] + [name]
        keep = names if self._max_to_keep is None else names[-self._max_to_keep:]
        self._write_index(keep)
        self._names = keep
        for old in names[:len(names) - len(keep)]:
            try:
                os.remove(os.path.join(self._directory, old))
            except FileNotFoundError:
                pass
        return path

    def _recover(self):
        """The kept names: from the index, else from a directory scan; existing files only."""
        pattern = re.compile(re.escape(self._name) + r"-(\d+)\Z")
        index = _read_index(self._directory)
        if index is not None:
            names = list(dict.fromkeys(n for n in index["checkpoints"] if pattern.match(n)))
        else:
            found = [(int(m.group(1)), n) for n in os.listdir(self._directory)
                     for m in [pattern.match(n)] if m]
            names = [n for _, n in sorted(found)]
        return [n for n in names if os.path.isfile(os.path.join(self._directory, n))]

    def _write_index(self, names):
        text = json.dumps({"latest": names[-1], "checkpoints": names}, indent=1)
        atomic_write(os.path.join(self._directory, _INDEX),
                     lambda file: file.write(text.encode("utf-8")))


def _read_index(directory):
    """The index as ``{"latest": name, "checkpoints": [names]}``, or None if absent or bad.

    Only plain file names are accepted, so a damaged index cannot point
    ``save``'s pruning at files outside the directory.
    """
    try:
        with open(os.path.join(directory, _INDEX), encoding="utf-8") as file:
            index = json.load(file)
        names = index["checkpoints"]
        if not (isinstance(names, list) and names and index["latest"] in names and all(
                isinstance(n, str) and n and os.path.basename(n) == n for n in names)):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return index


def latest_in(directory):
    """Path of the newest checkpoint a CheckpointManager recorded in ``directory``, or None."""
    index = _read_index(directory)
    if index is None:
        return None
    path = os.path.join(directory, index["latest"])
    return path if os.path.isfile(path) else None


def _number(value):
    """``checkpoint_number`` as an int >= 0 (ints, numpy ints, integer scalar Tensors)."""
    try:
        number = -1 if isinstance(value, bool) else operator.index(value)
    except TypeError:
        number = -1
    if number < 0:
        raise ValueError(f"CheckpointManager.save: checkpoint_number must be a non-negative "
                         f"int. Received: checkpoint_number={value!r}")
    return number
