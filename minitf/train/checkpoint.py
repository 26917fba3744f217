"""Checkpoint: save and restore Modules, Optimizers and Variables by object path."""
import os

import numpy as np

from ..tensor import Variable, _state_lock
from . import _deferred, _graph, _restore, _write
from .status import _InitializationOnlyStatus, _LoadStatus


class Checkpoint:
    """Groups objects to save and restore together (``tf.train.Checkpoint``).

    Keyword arguments are Modules, Optimizers, Variables or other
    Checkpoints; each becomes a top-level name in the keys, which are object
    paths (``model/layers/0/w``, ``optimizer/iterations``,
    ``optimizer/model/layers/0/w/momentum``), so a checkpoint restores into
    any program that builds the same structure, whatever its variables are
    named. Objects may also be added later as attributes (``ckpt.model = m``).

    >>> import os, tempfile
    >>> tmp = tempfile.mkdtemp()
    >>> v = mtf.Variable([1.0, 2.0])
    >>> ckpt = mtf.train.Checkpoint(v=v)
    >>> path = ckpt.write(os.path.join(tmp, "v.ckpt"))
    >>> _ = v.assign([0.0, 0.0])
    >>> ckpt.read(path).assert_consumed() and v.numpy()
    array([1., 2.], dtype=float32)
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_save_counter", Variable(
            np.int64(0), trainable=False, name="save_counter"))
        for name, obj in kwargs.items():
            setattr(self, name, obj)

    @property
    def save_counter(self):
        """How many times ``save`` has run (int64 Variable; saved and restored)."""
        return self._save_counter

    def _checkpoint_dependencies(self):
        """The named objects this checkpoint saves, ``save_counter`` included."""
        return {**self._children, "save_counter": self._save_counter}

    def __getattr__(self, name):
        children = self.__dict__.get("_children", {})
        if name in children:
            return children[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name.startswith("_") or name in type(self).__dict__:
            raise AttributeError(f"Checkpoint: cannot set {name!r}; names of saved objects "
                                 f"must not start with '_' or shadow Checkpoint members "
                                 f"(save_counter, write, save, read, restore).")
        value = _graph.unwrap(value)
        _graph.check_trackable(name, value)
        self._children[name] = value
        _deferred.on_setattr(self, name, value)

    def write(self, file_prefix):
        """Write every reachable variable to the single file ``file_prefix``; returns it.

        Does not touch ``save_counter`` (whose current value is saved too).
        Values are copied first, so training may go on in other threads. Under
        ``mtf.distribute`` only rank 0 writes; the other ranks return the path.
        """
        if not _writes_files():
            return os.fspath(file_prefix)
        return self._write(os.fspath(file_prefix), self._snapshot())

    def save(self, file_prefix):
        """Increment ``save_counter`` and write ``"<file_prefix>-<save_counter>"``; returns it.

        If the write fails the counter is put back (unless another save has
        moved it since). Safe to call from several threads. Under
        ``mtf.distribute`` only rank 0 writes; every rank counts and returns the path.
        """
        number, items = self._numbered_snapshot()
        if not _writes_files():
            return f"{os.fspath(file_prefix)}-{number}"
        try:
            return self._write(f"{os.fspath(file_prefix)}-{number}", items)
        except BaseException:
            self._take_back(number)
            raise

    def _snapshot(self):
        """``[(key, array)]``: copies of every value, all taken while no state changes.

        Under the state lock that assigns and optimizer steps hold, so each
        array is one state of its variable and a step is saved whole or not
        at all. A variable under several keys is copied once.
        """
        with _state_lock:
            pairs = _graph.collect(self)
            copies = {}
            for _, var in pairs:
                if id(var) not in copies:
                    copies[id(var)] = var._value.copy()
        return [(key, copies[id(var)]) for key, var in pairs]

    def _numbered_snapshot(self):
        """``(n, items)``: ``save_counter`` incremented to n and a snapshot holding n."""
        with _state_lock:
            self._save_counter.assign_add(1)
            return int(self._save_counter), self._snapshot()

    def _take_back(self, number):
        """Undo the increment of a failed save if no other save came after it."""
        with _state_lock:
            if int(self._save_counter) == number:
                self._save_counter.assign_sub(1)

    @staticmethod
    def _write(path, items):
        from .. import __version__  # here: minitf/__init__ defines it after importing train
        return _write.write_file(path, items, __version__)

    def read(self, save_path):
        """Restore from a file written by ``write``; a status (``save_counter`` not expected).

        Everything is validated before anything is assigned: on any problem
        ``CheckpointError`` lists them all and nothing changes. Values for
        variables that do not exist yet are assigned when they are created.
        """
        return self._restore(save_path, exempt=("save_counter",))

    def restore(self, save_path):
        """Restore from ``save_path`` (``save_counter`` included); returns a status.

        As ``read``; ``save_path=None`` restores nothing and returns a status
        whose assertions fail (as TensorFlow, for a directory with no
        checkpoint yet: ``ckpt.restore(manager.latest_checkpoint)``).
        """
        return self._restore(save_path, exempt=())

    def _restore(self, save_path, exempt):
        if save_path is None:
            return _InitializationOnlyStatus()
        return _LoadStatus(_restore.restore(self, os.fspath(save_path), frozenset(exempt)), self)

    def __repr__(self):
        names = ", ".join(f"{name}={type(obj).__name__}"
                          for name, obj in sorted(self._children.items()))
        return f"<mtf.train.Checkpoint {names}>"


def _writes_files():
    """Whether this process writes checkpoints: rank 0 of an mtf.distribute job, or alone."""
    from ..distribute import _world
    return _world.world().rank == 0
