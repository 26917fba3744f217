"""Recording module calls: which module ran, in which order, inside which call, on what.

A ``CallRecorder`` hears about every call of a name-scoped method
(``Module.with_name_scope``) through the private hook list
``minitf.module._call_hooks``. Tree instances whose class ``__call__`` is not
name-scoped (a plain ``def __call__``) are heard through their class, wrapped
for the recording only (``module(x)`` looks ``__call__`` up on the class) and
restored afterwards, even on error. A method called again on the same module
directly inside itself (``super().__call__``) counts as one call. Calls made
by other threads are not recorded.
"""
import contextlib
import functools
import threading

from .. import module as _module_lib


class Call:
    """One module method call: what ran, its parent call, and what it got and returned."""

    __slots__ = ("index", "module", "method", "parent", "depth", "children", "args",
                 "kwargs", "result", "failed", "data")

    def __init__(self, index, module, method, parent, args, kwargs):
        self.index = index              # position in call (entry) order, from 0
        self.module = module
        self.method = method            # "__call__", or another name-scoped method
        self.parent = parent            # the enclosing recorded Call, or None
        self.depth = 0 if parent is None else parent.depth + 1
        self.children = []
        self.args, self.kwargs = args, kwargs
        self.result, self.failed = None, False
        self.data = None                # free for the recorder's user


class CallRecorder:
    """Collects the ``Call``s of one thread in entry order (``calls``).

    ``on_enter(call)`` and ``on_exit(call)`` (optional) run as each call starts
    and ends, so a user can look at values while they are current.
    """

    def __init__(self, on_enter=None, on_exit=None):
        self.calls = []
        self._stack = []
        self._thread = threading.get_ident()
        self._on_enter, self._on_exit = on_enter, on_exit

    def enter(self, module, method, args, kwargs):
        """Hook entry point: a call starts; returns the token ``exit`` gets back."""
        if threading.get_ident() != self._thread:
            return None
        parent = self._stack[-1] if self._stack else None
        if parent is not None and parent.module is module and parent.method == method:
            self._stack.append(parent)
            return (parent, True)
        call = Call(len(self.calls), module, method, parent, args, kwargs)
        self.calls.append(call)
        if parent is not None:
            parent.children.append(call)
        self._stack.append(call)
        if self._on_enter is not None:
            self._on_enter(call)
        return (call, False)

    def exit(self, token, result, failed):
        """Hook entry point: the call of ``token`` returned ``result`` (or raised)."""
        if token is None:
            return
        call, merged = token
        self._stack.pop()
        if merged:
            return
        call.result, call.failed = result, failed
        if self._on_exit is not None and not failed:
            self._on_exit(call)


@contextlib.contextmanager
def recording(root, recorder):
    """Inside: every call of ``root``'s tree (and any name-scoped call) reaches ``recorder``."""
    instances = {id(root): root}
    instances.update((id(m), m) for m in root.submodules)
    owners = {}
    for m in instances.values():
        owner = next((c for c in type(m).__mro__ if "__call__" in vars(c)), None)
        if owner is None or owner is object:
            continue
        original = vars(owner)["__call__"]
        if not getattr(original, "_name_scoped", False):
            owners.setdefault(owner, original)
    _module_lib._call_hooks.append(recorder)
    try:
        for owner, original in owners.items():
            setattr(owner, "__call__", _wrapped(original, instances, recorder))
        yield recorder
    finally:
        for owner, original in owners.items():
            setattr(owner, "__call__", original)
        _module_lib._call_hooks.remove(recorder)


def _wrapped(original, instances, recorder):
    """``original`` (a class's plain ``__call__``) telling ``recorder`` about tree instances."""
    @functools.wraps(original)
    def call(self, *args, **kwargs):
        if id(self) not in instances:
            return original(self, *args, **kwargs)
        token = recorder.enter(self, "__call__", args, kwargs)
        result, failed = None, True
        try:
            result = original(self, *args, **kwargs)
            failed = False
        finally:
            recorder.exit(token, result, failed)
        return result
    return call


def calls_per_module(calls):
    """``id(module) -> [Call, ...]`` in call order; a method called by another method
    of the same module (``self.encode`` in ``__call__``) is part of that call."""
    found = {}
    for call in calls:
        if call.parent is None or call.parent.module is not call.module:
            found.setdefault(id(call.module), []).append(call)
    return found
