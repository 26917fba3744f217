"""CheckpointManager: numbered checkpoints in a directory, the oldest pruned."""
import json
import operator
import os
import re
import threading

from . import _graph
from .checkpoint import _writes_files
from ._atomic import atomic_write, remove_stale_temps

_INDEX = "checkpoint"   # the default manager's index file, as TensorFlow's state file
_DEFAULT_NAME = "ckpt"


class CheckpointManager:
    """Saves ``checkpoint`` as ``<directory>/<checkpoint_name>-<N>``, keeping the newest.

    ``max_to_keep`` files are kept (``None`` keeps all); older ones are deleted
    after each save. The list lives in a small JSON index file, rewritten
    atomically after every save, so a new manager on the same directory
    carries on where the last one stopped. Each ``checkpoint_name`` has its own
    index (``checkpoint`` for the default ``"ckpt"``, else
    ``<checkpoint_name>.checkpoint``), so managers of several models may share
    a directory. ``save`` may be called from several threads.

    >>> import os, tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> v = mtf.Variable(1.0)
    >>> manager = mtf.train.CheckpointManager(mtf.train.Checkpoint(v=v), tmp, max_to_keep=2)
    >>> paths = [manager.save() for _ in range(3)]
    >>> [os.path.basename(p) for p in manager.checkpoints]
    ['ckpt-2', 'ckpt-3']
    """

    def __init__(self, checkpoint, directory, max_to_keep=5, checkpoint_name=_DEFAULT_NAME):
        if not _graph.is_checkpoint(checkpoint):
            raise TypeError(f"CheckpointManager: expected a mtf.train.Checkpoint. "
                            f"Received: checkpoint={type(checkpoint).__name__}")
        if max_to_keep is not None and (isinstance(max_to_keep, bool) or
                                        not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"CheckpointManager: max_to_keep must be a positive int or None. "
                             f"Received: max_to_keep={max_to_keep!r}")
        if (not isinstance(checkpoint_name, str) or not checkpoint_name or "/" in checkpoint_name
                or checkpoint_name.startswith(".")):
            raise ValueError(f"CheckpointManager: checkpoint_name must be a file name not "
                             f"starting with '.'. Received: checkpoint_name={checkpoint_name!r}")
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._name = checkpoint_name
        self._index = index_name(checkpoint_name)
        self._pattern = re.compile(re.escape(checkpoint_name) + r"-(\d+)\Z")
        self._lock = threading.Lock()
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
        names = self._names
        return os.path.join(self._directory, names[-1]) if names else None

    def save(self, checkpoint_number=None):
        """Increment the save counter, write a checkpoint, prune; returns its path.

        ``checkpoint_number`` (an int) numbers the file instead of the
        checkpoint's ``save_counter`` (which is incremented either way). Temp
        files of saves that died and checkpoints left unlisted by a crash are
        removed first.
        """
        fixed = None if checkpoint_number is None else _number(checkpoint_number)
        if not _writes_files():     # another rank of an mtf.distribute job: rank 0 writes
            counter, _ = self._checkpoint._numbered_snapshot()
            name = f"{self._name}-{counter if fixed is None else fixed}"
            return os.path.join(self._directory, name)
        with self._lock:
            remove_stale_temps(self._directory, self._owns)
            counter, items = self._checkpoint._numbered_snapshot()
            name = f"{self._name}-{counter if fixed is None else fixed}"
            try:
                path = self._checkpoint._write(os.path.join(self._directory, name), items)
            except BaseException:
                self._checkpoint._take_back(counter)
                raise
            self._record(name)
            return path

    def _record(self, name):
        """List ``name`` as the newest, write the index, delete what is no longer kept."""
        names = [n for n in self._names if n != name] + [name]
        keep = names if self._max_to_keep is None else names[-self._max_to_keep:]
        self._write_index(keep)
        self._names = keep
        for old in names[:len(names) - len(keep)] + self._orphans(keep):
            _remove(os.path.join(self._directory, old))

    def _owns(self, file_name):
        """Whether ``file_name`` is this manager's index or one of its checkpoints."""
        return file_name == self._index or self._pattern.match(file_name) is not None

    def _scan(self):
        """``{N: name}`` of this manager's checkpoint files in the directory."""
        found = {}
        for name in os.listdir(self._directory):
            match = self._pattern.match(name)
            if match and os.path.isfile(os.path.join(self._directory, name)):
                found[int(match.group(1))] = name
        return found

    def _orphans(self, keep):
        """Our files, not kept, numbered below the newest kept one (left by a crash)."""
        newest = int(self._pattern.match(keep[-1]).group(1))
        return [name for number, name in self._scan().items()
                if number < newest and name not in keep]

    def _recover(self):
        """The kept names: the index's, then files saved after it was last written."""
        found = self._scan()
        index = _read_index(self._directory, self._index)
        listed = [] if index is None else list(dict.fromkeys(
            n for n in index["checkpoints"] if self._pattern.match(n)))
        names = [n for n in listed if n in found.values()]
        after = max((int(self._pattern.match(n).group(1)) for n in names), default=-1)
        return names + [found[n] for n in sorted(found) if n > after]

    def _write_index(self, names):
        text = json.dumps({"latest": names[-1], "checkpoints": names}, indent=1)
        atomic_write(os.path.join(self._directory, self._index),
                     lambda file: file.write(text.encode("utf-8")))


def index_name(checkpoint_name):
    """The index file of the managers saving ``<checkpoint_name>-<N>``."""
    return _INDEX if checkpoint_name == _DEFAULT_NAME else f"{checkpoint_name}.{_INDEX}"


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _read_index(directory, index_file):
    """The index as ``{"latest": name, "checkpoints": [names]}``, or None if absent or bad.

    Only plain file names are accepted, so a damaged index cannot point
    ``save``'s pruning at files outside the directory.
    """
    try:
        with open(os.path.join(directory, index_file), encoding="utf-8") as file:
            index = json.load(file)
        names = index["checkpoints"]
        if not (isinstance(names, list) and names and index["latest"] in names and all(
                isinstance(n, str) and n and os.path.basename(n) == n for n in names)):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return index


def latest_in(directory):
    """Path of the newest checkpoint a CheckpointManager recorded in ``directory``, or None.

    The default manager's index is read; without it, the one other manager's.
    A directory shared by several named managers and no default one is
    ambiguous: ``FileNotFoundError`` names them.
    """
    indexes = [_INDEX] if os.path.isfile(os.path.join(directory, _INDEX)) else sorted(
        n for n in os.listdir(directory) if n.endswith(f".{_INDEX}"))
    if len(indexes) > 1:
        names = ", ".join(n[:-len(_INDEX) - 1] for n in indexes)
        raise FileNotFoundError(f"Directory {directory!r} holds the checkpoints of several "
                                f"managers ({names}); pass one checkpoint file instead.")
    index = _read_index(directory, indexes[0]) if indexes else None
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
