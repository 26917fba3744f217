"""Lazy numba compilation: numba is imported when a kernel first runs."""
import os
import sys
import threading
import types

_pending_helpers = []          # @helper functions numba has not been told about yet
_helpers_lock = threading.Lock()
_compile_lock = threading.RLock()   # re-entrant: a kernel's compilation may run another


class kernel:
    """Decorator: compile ``fn`` with ``numba.njit(cache=True)`` on first call.

    After compiling, the kernel replaces itself in its module's globals with the
    numba dispatcher, so later calls from that module cost nothing extra.
    Keyword options (``nogil``, ...) pass to numba; ``fastmath`` is never set
    because it changes results. ``py_func`` is the plain-Python reference.
    """

    def __init__(self, fn=None, **options):
        self._options = options
        self._compiled = None
        self.py_func = fn
        if fn is not None:
            self.__name__, self.__doc__ = fn.__name__, fn.__doc__

    def __call__(self, *args):
        if self.py_func is None:      # used as @kernel(nogil=True)
            return type(self)(args[0], **self._options)
        compiled = self._compiled
        if compiled is None:
            compiled = self._compile()
        return compiled(*args)

    def _compile(self):
        with _compile_lock:            # threads racing to a first call compile once
            if self._compiled is None:
                self._compiled = self._dispatcher()
        return self._compiled

    def _dispatcher(self):
        import numba
        _register_helpers()
        fn = self.py_func
        compiled = numba.njit(cache=True, **self._options)(fn)
        _stamp_helper_files(compiled, fn)
        namespace = sys.modules[fn.__module__].__dict__
        if namespace.get(fn.__name__) is self:
            namespace[fn.__name__] = compiled
        return compiled


def helper(fn):
    """Decorator: a plain-Python function that kernel bodies may call.

    ``fn`` itself is returned, so a kernel's ``py_func`` calls it as Python.
    Before the first kernel compiles, numba learns to compile it into each
    kernel that calls it (``register_jitable(inline="always")``: inlined into
    the caller's IR, so it takes the caller's options, ``nogil`` and
    ``error_model``, and costs no call). numba's cache looks for changes in a
    kernel's own file only; ``_stamp_helper_files`` adds the files of the
    helpers a kernel's module uses, so editing a helper recompiles its callers.
    """
    _pending_helpers.append(fn)
    _helper_modules.add(fn.__module__)
    return fn


_helper_modules = set()     # names of the modules that define helpers


def _stamp_helper_files(dispatcher, fn):
    """Make the cache entry of ``fn`` depend on the files of the helpers its module
    uses (helper functions imported by name, or helper modules imported whole): numba
    keys the entry by ``fn``'s own file's time and size only, and would load a
    kernel compiled with an older helper."""
    files = sorted(set(_helper_files(fn.__globals__)) - {fn.__code__.co_filename})
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if files and cache_file is not None and hasattr(cache_file, "_source_stamp"):
        stamps = tuple((f, os.stat(f).st_mtime, os.stat(f).st_size) for f in files)
        cache_file._source_stamp = (cache_file._source_stamp, stamps)


def _helper_files(namespace):
    """Source files of the helper modules ``namespace`` refers to."""
    for value in list(namespace.values()):
        name = getattr(value, "__module__", None) if callable(value) else None
        if isinstance(value, types.ModuleType):
            name = value.__name__
        if name in _helper_modules and getattr(sys.modules[name], "__file__", None):
            yield sys.modules[name].__file__


def _register_helpers():
    """Tell numba about every helper defined so far, once each (a thread that finds
    the list empty knows that all of them are registered)."""
    from numba.extending import register_jitable
    with _helpers_lock:
        while _pending_helpers:
            register_jitable(inline="always")(_pending_helpers[-1])
            _pending_helpers.pop()
