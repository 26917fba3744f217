"""What ``Checkpoint.restore`` / ``read`` return: checks on how complete a restore was.

Semantics follow TensorFlow's ``CheckpointLoadStatus``; the checks raise
``AssertionError`` (explicitly, so they also work under ``python -O``) and
return the status, so they chain:

- ``assert_consumed()``: every value in the checkpoint has been assigned to a
  variable, and every variable now reachable from the Checkpoint (slots
  included) was restored from it. Fails while deferred values still wait for
  their variables (a layer not built yet), and lists why each unused value
  was not restored (no variable, a mismatch, undone or dropped after a
  deferred value did not fit, replaced by a newer restore).
- ``assert_existing_objects_matched()``: every variable now reachable from the
  Checkpoint was restored from it; values still waiting for variables that do
  not exist, or with no object at all, are allowed.
- ``expect_partial()``: silences the warning given when a restore ends (its
  status and waiting values are gone) with checkpoint values never used.
"""
from . import _graph


class _LoadStatus:
    """The status of a restore from a file (see the module docstring)."""

    def __init__(self, record, root):
        self._record = record
        self._root = root

    def assert_consumed(self):
        """Raise AssertionError unless every value and every variable was matched."""
        problems = self._unused_values() + self._unrestored_objects()
        if problems:
            raise AssertionError(self._message("not fully consumed", problems))
        return self

    def assert_existing_objects_matched(self):
        """Raise AssertionError unless every existing variable got a value."""
        problems = self._unrestored_objects()
        if problems:
            raise AssertionError(self._message("did not match every existing object",
                                               problems))
        return self

    def expect_partial(self):
        """Silence the warning about checkpoint values never restored; returns self."""
        self._record.report.silenced = True
        return self

    def _unused_values(self):
        record = self._record
        lines = []
        for key in sorted(record.unconsumed):
            reason = record.failed.get(key, "no matching variable exists (yet)")
            lines.append(f"value {key!r} not restored: {reason}")
        return lines

    def _unrestored_objects(self):
        record = self._record
        return [f"{key!r} ({var.name}) was not restored from the checkpoint"
                for key, var in _graph.collect(self._root)
                if not record.was_restored(var) and key not in record.exempt]

    def _message(self, what, problems):
        return "\n".join([f"Restore from {self._record.path!r} {what}:"] +
                         [f"  - {p}" for p in problems])


class _InitializationOnlyStatus:
    """The status of ``restore(None)``: nothing was restored, so the checks fail."""

    def assert_consumed(self):
        """Raise AssertionError: no checkpoint was given."""
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being "
                             "restored.")

    def assert_existing_objects_matched(self):
        """Raise AssertionError: no checkpoint was given."""
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being "
                             "restored.")

    def expect_partial(self):
        """Nothing to silence; returns self."""
        return self
