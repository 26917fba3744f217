"""Restoring a checkpoint: validate everything, then assign, then defer the rest.

``restore`` reads and verifies the whole file (digest, manifest, sizes,
CRCs), matches every key to a destination, and checks every shape and dtype
before the first assignment; any problem raises one ``CheckpointError``
listing all of them, with nothing changed. A destination is a Variable or a
slot ``(optimizer, variable, slot_name)``: a slot that does not exist yet is
checked against its variable (slots have their variable's shape and dtype)
and created by the optimizer's ``build`` just before it is assigned. Keys whose
objects do not exist yet wait in ``_deferred``.
"""
import itertools
import warnings
import weakref

from ..tensor import _state_lock
from . import _deferred, _graph
from ._format import CheckpointError
from ._read import CheckpointFile

_serials = itertools.count()    # orders restores: a newer one's waiting values win


def restore(root, path, exempt=frozenset()):
    """Restore ``root`` from ``path``; the ``_Record`` of what was matched."""
    with CheckpointFile(path) as file:
        arrays = file.read_all()
    existing = dict(_graph.collect(root))
    planned, waiting, problems = [], [], []
    for key, array in arrays.items():
        dest = existing.get(key)
        if dest is None:
            dest, wait = _destination(root, key)
            if wait is not None:
                waiting.append((key, array, wait))
        if dest is not None:
            problem = mismatch(key, dest, array)
            if problem:
                problems.append(problem)
            else:
                planned.append((key, dest, array))
    if problems:
        raise CheckpointError(f"Cannot restore from {file.path!r}; nothing was changed. "
                              f"{len(problems)} mismatch(es):", problems)
    record = _Record(root, file.path, arrays, exempt)
    for key, dest, array in planned:
        record.assign(key, dest, array)
    for key, array, (anchor, rest, slot) in waiting:
        if slot is None:
            _deferred.defer(anchor, rest, value=(record, key, array))
        else:
            _deferred.defer(anchor, rest, slot=(record, key, array) + slot)
    return record


def _destination(root, key):
    """``(dest, wait)`` for a key with no existing variable; either may be None.

    ``wait`` is ``(anchor, rest, slot)``, ``slot`` being ``(optimizer,
    slot_name)`` or None.
    """
    where = _graph.locate(root, _graph.split(key))
    if where is None:
        return None, None
    if where[0] == "variable":
        return where[1], None
    if where[0] == "missing":
        return None, (where[1], where[2], None)
    opt, rest = where[1], where[2]
    if len(rest) < 2:
        return None, None       # optimizer state this optimizer does not have
    var_at = _graph.locate(root, rest[:-1])
    if var_at is None or var_at[0] == "optimizer":
        return None, None
    if var_at[0] == "missing":
        return None, (var_at[1], var_at[2], (opt, rest[-1]))
    return (opt, var_at[1], rest[-1]), None


def mismatch(key, dest, array):
    """Why ``array`` cannot go to ``dest`` (a Variable or a slot triple), or None."""
    if isinstance(dest, tuple):
        opt, var, slot_name = dest
        slot = _graph.existing_slot(opt, var, slot_name)
        target, what = (slot, "slot") if slot is not None else (var, "variable of slot")
    else:
        target, what = dest, "variable"
    if array.shape != target.shape or array.dtype != target.dtype:
        return (f"{key!r}: the checkpoint holds shape {array.shape} dtype {array.dtype}; "
                f"the {what} {target.name!r} has shape {target.shape} dtype {target.dtype}")
    return None


class _Report:
    """What the end-of-life warning needs (kept apart from the record it outlives)."""

    __slots__ = ("path", "unconsumed", "silenced")

    def __init__(self, path, unconsumed):
        self.path, self.unconsumed, self.silenced = path, unconsumed, False


def _warn_unconsumed(report):
    if report.unconsumed and not report.silenced:
        keys = sorted(report.unconsumed)
        warnings.warn(f"Checkpoint {report.path!r}: {len(keys)} value(s) were never "
                      f"restored (no matching variable was created, or it did not "
                      f"match): {keys}. Call expect_partial() on the restore status to "
                      f"silence this warning when restoring only part of a checkpoint.",
                      stacklevel=2)


class _Record:
    """One restore's bookkeeping: values consumed, variables restored, failures.

    Lives as long as its status or any value still waiting; when both are
    gone, values never restored are reported in a warning (unless the status
    was told ``expect_partial()``), as TensorFlow does.
    """

    def __init__(self, root, path, arrays, exempt):
        # Weak: values waiting on the root must not keep it alive.
        self._root = weakref.ref(root)
        self.path, self.exempt = path, frozenset(exempt)
        self.serial = next(_serials)
        self.keys = frozenset(arrays)
        self.failed = {}
        self._restored = {}     # id(variable) -> weakref
        self.report = _Report(path, set(arrays))
        weakref.finalize(self, _warn_unconsumed, self.report).atexit = False

    @property
    def root(self):
        return self._root()

    @property
    def unconsumed(self):
        return self.report.unconsumed

    def was_restored(self, var):
        """Whether this restore assigned ``var`` (identity; no ``==`` on Variables)."""
        ref = self._restored.get(id(var))
        return ref is not None and ref() is var

    def mismatch(self, key, dest, array):
        return mismatch(key, dest, array)

    def assign(self, key, dest, array, journal=None):
        """Assign a validated value; a slot is created first if needed.

        With a ``journal`` (a list), appends ``(variable, old value, version
        before, version after, self, key)`` so the assignment can be undone.
        """
        if isinstance(dest, tuple):
            opt, var, slot_name = dest
            _graph.build_slots(opt, var)
            dest = _graph.existing_slot(opt, var, slot_name)
            if dest is None:
                self.failed[key] = (f"{type(opt).__name__} {opt.name!r} has no slot "
                                    f"{slot_name!r} for {var.name!r}")
                return
        if journal is None:
            dest.assign(array)
        else:
            with _state_lock:
                old, before = dest._value.copy(), dest._version
                dest.assign(array)
                journal.append((dest, old, before, dest._version, self, key))
        self._restored[id(dest)] = weakref.ref(dest)
        self.unconsumed.discard(key)

    def undo(self, key, var, reason):
        """Count ``key`` as not restored again (its value in ``var`` was put back)."""
        self.unconsumed.add(key)
        self.failed[key] = reason
        self._restored.pop(id(var), None)

    def fail(self, key, reason):
        self.failed[key] = reason

    def raise_deferred(self, context, problems, undone, dropped, in_call):
        """Raise the ``CheckpointError`` of a deferred value that did not fit (see _deferred)."""
        if in_call:
            kept = (f"nothing of it was restored into the variables created during the "
                    f"current Module call ({undone} value(s) already restored in it were "
                    f"put back)")
        else:
            kept = "nothing was restored by this assignment"
        raise CheckpointError(
            f"Cannot restore {self.path!r} while {context}: {kept}, and its {dropped} "
            f"value(s) still waiting were dropped. The new variables keep their initial "
            f"values and a built-in layer whose build failed stays unbuilt, so the next "
            f"call builds it again. Restore a checkpoint of a model with the same sizes "
            f"and dtypes (build the model before restoring to see every mismatch at "
            f"once):", problems)
