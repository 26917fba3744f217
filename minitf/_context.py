"""Per-thread state: the active tapes, the current name scope, the restore journal.

Everything that recording reads lives here, in one ``threading.local``, so two
threads recording at once never see each other's tapes or scopes. The restore
journal lists the deferred checkpoint restores made while a name scope is
entered (minitf/train/_deferred.py); leaving the outermost scope empties it.
"""
import threading


class _Context(threading.local):
    def __init__(self):
        self.tapes = []   # recording GradientTapes, outermost first
        self.scope = ""   # current name scope prefix, e.g. "encoder/mlp/"
        self.saved_scopes = []  # the scope to restore on leaving each name_scope
        self.restore_journal = []  # deferred restores made inside the outermost scope
        self.recorder = None  # the mtf.function trace in progress (minitf/_function)
        self.open_records = []  # outputs being recorded on nested tapes (tape.record)


ctx = _Context()


class name_scope:
    """Context manager that prefixes names of Variables created inside it.

    ``name_scope("mlp")`` inside ``name_scope("encoder")`` gives the prefix
    ``"encoder/mlp/"``; a name ending in ``/`` is taken as an absolute scope.
    """

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"name_scope name must be a str. Received: name={name!r}")
        self._name = name

    @property
    def name(self):
        """The full scope prefix this context enters (ends with ``/``)."""
        return self._resolve(ctx.scope)

    def _resolve(self, outer):
        if not self._name:
            return ""
        if self._name.endswith("/"):
            return self._name
        return outer + self._name + "/"

    def __enter__(self):
        ctx.saved_scopes.append(ctx.scope)
        scope = self._resolve(ctx.scope)
        if ctx.recorder is not None and scope and not self._name.endswith("/"):
            scope = ctx.recorder.unique_scope(scope)    # blah/, then blah_1/ (TF graphs)
        ctx.scope = scope
        _mark_tapes(scope, True)
        return ctx.scope

    def __exit__(self, *exc):
        _mark_tapes(ctx.scope, False)
        saved = ctx.saved_scopes
        ctx.scope = saved.pop()
        if not saved and ctx.restore_journal:
            ctx.restore_journal = []    # the outermost Module call is over
        return False


def _mark_tapes(scope, entered):
    """Note on each recording tape where a scope was entered or left, so pictures
    can tell two calls of one module apart (mtf.viz.tape_graph(collapse=True))."""
    for tape in ctx.tapes:
        marks = getattr(tape, "_scope_marks", None)    # forward accumulators have none
        if marks is not None:
            marks.append((len(tape._nodes), scope, entered))
