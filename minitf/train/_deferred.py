"""Deferred restoration: checkpoint values waiting for variables not created yet.

A value whose path does not exist at restore time (a lazily built layer) waits
on the deepest Module or Checkpoint on its path that does exist, its *anchor*,
with the rest of the path. When an attribute named by that rest is set on the
anchor (``Linear`` doing ``self.w = Variable(...)`` on its first call), the
path is followed again: it ends at the new variable, which is assigned at
once, or it enters a deeper module, which becomes the new anchor. Slot values
for the variable wait with it and are created and assigned right after it.
A variable reachable along several paths (a shared or tied submodule) waits
once with every key of the restore that names it; a newer restore's values
replace an older one's.

All or nothing: the values an assignment makes ready are all checked before
any is assigned. If one does not fit its new variable (shape or dtype), none of
them is assigned, the restores this thread made from the same checkpoint since
its outermost name scope was entered (the outermost ``Module.with_name_scope``
call) are put back if their variable has not changed since (the journal in
``_context.ctx.restore_journal``), and every value of that restore still
waiting is dropped; then ``CheckpointError`` is raised. The built-in layers
undo a build that raises (``minitf/layers/_utils.py``), so the model is as if
the failing call had never restored anything, and the next call builds again.

The registry holds anchors weakly. The Module attribute hook is installed only
while something is pending and removed when the last entry is consumed or its
anchor dies. A lock guards the registry, so restores and lazy builds may run in
different threads.
"""
import threading
import weakref

from .. import _context
from .. import module as _module
from ..tensor import _state_lock
from . import _graph

_lock = threading.RLock()
_anchors = {}   # id(anchor) -> _Anchor

MISMATCH = "shape or dtype mismatch with the variable created later"


class _Anchor:
    __slots__ = ("ref", "targets")

    def __init__(self, obj):
        self.ref = weakref.ref(obj, _make_forget(id(obj)))
        self.targets = {}   # rest of the path (tuple) -> _Target


class _Target:
    """What waits for one variable: its values and its slots' values (see the module doc)."""

    __slots__ = ("values", "slots")

    def __init__(self):
        self.values = []    # [(record, key, array)], all of one restore
        # (id(optimizer), slot_name) -> [(record, key, array, optimizer weakref, slot_name)]
        self.slots = {}

    def merge(self, other):
        """Take ``other``'s values: one restore's keys add up, a newer restore's replace."""
        self.values = _newest(self.values, other.values)
        for slot, entries in other.slots.items():
            self.slots[slot] = _newest(self.slots.get(slot, []), entries)

    def entries(self):
        """Every waiting ``(record, key, ...)`` tuple, values first."""
        return self.values + [e for entries in self.slots.values() for e in entries]

    def discard(self, records, reason):
        """Drop the entries of ``records`` (failing their keys with ``reason``); True if
        nothing is left."""
        self.values = _without(self.values, records, reason)
        for slot in list(self.slots):
            self.slots[slot] = _without(self.slots[slot], records, reason)
            if not self.slots[slot]:
                del self.slots[slot]
        return not (self.values or self.slots)


def _newest(old, new):
    """``old + new`` if one restore made both, else the newer restore's (the other fails)."""
    if not old or not new:
        return old or new
    if old[0][0] is new[0][0]:
        return old + new
    older, newer = (old, new) if old[0][0].serial < new[0][0].serial else (new, old)
    for record, key, *_ in older:
        record.fail(key, "replaced by a newer restore of the same variable")
    return newer


def _without(entries, records, reason):
    """``entries`` minus those of ``records``, whose keys fail with ``reason``."""
    kept = []
    for entry in entries:
        if any(entry[0] is record for record in records):
            entry[0].fail(entry[1], reason)
        else:
            kept.append(entry)
    return kept


def _make_forget(anchor_id):
    """Weakref callback: drop what waits on an anchor that died (not a newer one at its id)."""
    def forget(ref):
        with _lock:
            entry = _anchors.get(anchor_id)
            if entry is not None and entry.ref is ref:
                del _anchors[anchor_id]
            _update_hook()
    return forget


def defer(anchor, rest, value=None, slot=None):
    """Wait for the variable at ``rest`` below ``anchor`` (``value`` and/or ``slot``)."""
    target = _Target()
    if value is not None:
        target.values.append(value)
    if slot is not None:
        record, key, array, opt, slot_name = slot
        target.slots[(id(opt), slot_name)] = [(record, key, array, weakref.ref(opt),
                                               slot_name)]
    with _lock:
        try:
            # Follow the path again under the lock: another thread may have
            # built the variable since the restore looked.
            _resolve_all(anchor, [(tuple(rest), target)], "restoring")
        finally:
            _update_hook()


def _add(anchor, rest, target):
    entry = _anchors.get(id(anchor))
    if entry is None or entry.ref() is not anchor:
        entry = _anchors[id(anchor)] = _Anchor(anchor)
    existing = entry.targets.get(rest)
    if existing is None:
        entry.targets[rest] = target
    else:
        existing.merge(target)


def _update_hook():
    """Install the Module attribute hook while anything is pending; remove it after."""
    hooks = _module._setattr_hooks
    if _anchors and on_setattr not in hooks:
        hooks.append(on_setattr)
    elif not _anchors and on_setattr in hooks:
        hooks.remove(on_setattr)


def on_setattr(obj, name, value):
    """Attribute hook: resolve what waits below ``obj`` on the attribute ``name``."""
    with _lock:
        entry = _anchors.get(id(obj))
        if entry is None or entry.ref() is not obj:
            return
        ready = [rest for rest in entry.targets if rest[0] == name]
        moves = [(rest, entry.targets.pop(rest)) for rest in ready]
        if not entry.targets:
            del _anchors[id(obj)]
        try:
            _resolve_all(obj, moves, f"setting {name!r} on {_describe(obj)}")
        finally:
            _update_hook()


def _describe(obj):
    """``Linear 'linear_1'`` or ``Checkpoint``, for error messages."""
    name = vars(obj).get("_name") if isinstance(obj, _module.Module) else None
    return f"{type(obj).__name__} {name!r}" if name else type(obj).__name__


def _resolve_all(obj, moves, context):
    """Follow each target's path from ``obj``; assign all that arrived (or none), re-anchor
    or drop the others."""
    ready, problems = [], []
    for rest, target in moves:
        where = _graph.locate(obj, rest)
        if where is None or where[0] == "optimizer":
            _drop(target, "its path does not lead to a variable")
        elif where[0] == "missing":
            _add(where[1], tuple(where[2]), target)
        else:
            items = _items(where[1], target)
            ready += items
            problems += [(record, key, p) for record, key, array, dest in items
                         for p in [record.mismatch(key, dest, array)] if p]
    if problems:
        _abandon(ready, problems, context)
    journal = _context.ctx.restore_journal if _context.ctx.saved_scopes else None
    for record, key, array, dest in ready:
        record.assign(key, dest, array, journal)


def _items(var, target):
    """``[(record, key, array, destination)]`` for ``target``, whose variable is ``var``."""
    items = [(record, key, array, var) for record, key, array in target.values]
    for entries in target.slots.values():
        for record, key, array, opt_ref, slot_name in entries:
            opt = opt_ref()
            if opt is not None:
                items.append((record, key, array, (opt, var, slot_name)))
    return items


def _abandon(ready, problems, context):
    """Assign none of ``ready``, undo and drop the rest of the failing restores, raise."""
    records = []
    for record, _, _ in problems:
        if not any(record is r for r in records):
            records.append(record)
    failing = {key for _, key, _ in problems}
    first = problems[0][1]
    for record, key, _, _ in ready:
        record.fail(key, MISMATCH if key in failing else
                    f"{first!r}, due at the same time, did not match its variable")
    in_call = bool(_context.ctx.saved_scopes)
    undone = _rollback(records, f"undone because {first!r} did not match a variable "
                                f"created later in the same Module call") if in_call else 0
    dropped = _drop_waiting(records, f"dropped: the restore was abandoned when {first!r} "
                                     f"did not match the variable created for it")
    records[0].raise_deferred(context, [p for _, _, p in problems], undone, dropped, in_call)


def _rollback(records, reason):
    """Put back the values this thread restored from ``records`` in its outermost name
    scope, newest first, where the variable has not changed since; how many."""
    journal = _context.ctx.restore_journal
    versions, kept, undone = {}, [], 0
    with _state_lock:
        for entry in reversed(journal):
            var, old, before, after, record, key = entry
            if versions.get(id(var), var._version) == after and any(
                    record is r for r in records):
                var.assign(old)
                record.undo(key, var, reason)
                versions[id(var)] = before
                undone += 1
            else:
                versions[id(var)] = None    # older entries of ``var`` stay as they are
                kept.append(entry)
    journal[:] = kept[::-1]
    return undone


def _drop_waiting(records, reason):
    """Drop every value of ``records`` still waiting, anywhere; how many."""
    dropped = 0
    for anchor_id, entry in list(_anchors.items()):
        for rest, target in list(entry.targets.items()):
            before = len(target.entries())
            if target.discard(records, reason):
                del entry.targets[rest]
            dropped += before - len(target.entries())
        if not entry.targets:
            del _anchors[anchor_id]
    return dropped


def _drop(target, reason):
    for record, key, *_ in target.entries():
        record.fail(key, reason)


def pending_keys():
    """Keys of all values still waiting (for tests and diagnostics)."""
    with _lock:
        return sorted(entry[1] for anchor in list(_anchors.values())
                      for target in anchor.targets.values() for entry in target.entries())
