"""Checkpoint: save and restore Modules, Optimizers and Variables by object path (SPEC §6)."""
import os

import numpy as np

from ..tensor import Variable
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
        _graph.check_trackable(name, value)
        self._children[name] = value
        _deferred.on_setattr(self, name, value)

    def write(self, file_prefix):
        """Write every reachable variable to the single file ``file_prefix``; returns it.

        Does not touch ``save_counter`` (whose current value is saved too).
        """
        path = os.fspath(file_prefix)
        items = [(key, var._value) for key, var in _graph.collect(self)]
        from .. import __version__  # here: minitf/__init__ defines it after importing train
        return _write.write_file(path, items, __version__)

    def save(self, file_prefix):
        """Increment ``save_counter`` and write ``"<file_prefix>-<save_counter>"``; returns it.

        If the write fails the counter is put back.
        """
        self._save_counter.assign_add(1)
        try:
            return self.write(f"{os.fspath(file_prefix)}-{int(self._save_counter)}")
        except BaseException:
            self._save_counter.assign_sub(1)
            raise

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
