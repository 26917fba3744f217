"""Elementwise kernels over large arrays, split across a small minitf-owned thread pool.

The optimizer kernels compile serially with ``nogil=True``; a large call is cut
into contiguous chunks that run at once on plain Python threads. Nothing here
touches numba's threading layer or OpenMP: those are process-wide (whoever
starts them first decides, and OpenMP's idle threads spin), so a library that
used them would run at a speed set by import order. The pool's idle threads
block on a queue and cost nothing.
"""
import os
import queue
import threading

import numpy as np

from ._jit import kernel

PARALLEL_MIN = 1 << 16       # elements per chunk below which threads cost more than they save
_MAX_THREADS = 8


def chunked_kernel(fn):
    """The kernel of an elementwise body ``fn(*arrays_and_scalars)``, releasing the GIL."""
    return kernel(fn, error_model="numpy", nogil=True)


def run(kern, *args):
    """Run ``kern`` on ``args`` (its second argument sets the length): one call for
    small arrays, else one call per contiguous chunk, on the pool's threads.

    The chunks cut the first axis: every array argument as long as the second
    argument on that axis (its elements, or its rows) is cut into the same
    pieces; other arguments (scalars, flags, placeholders) pass whole to each call.
    """
    n = args[1].size
    kern = getattr(kern, "_compiled", None) or kern     # numba's dispatcher, once compiled
    if n < 2 * PARALLEL_MIN:
        return kern(*args)
    rows = args[1].shape[0]
    parts = min(_cpu_count(), n // PARALLEL_MIN, rows)
    if parts < 2:
        return kern(*args)
    bounds = np.linspace(0, rows, parts + 1).astype(np.int64).tolist()
    calls = [[a[lo:hi] if _cut(a, rows) else a for a in args]
             for lo, hi in zip(bounds, bounds[1:])]
    _pool().map(kern, calls)


def _cut(a, rows):
    return type(a) is np.ndarray and a.ndim >= 1 and a.shape[0] == rows


def _cpu_count():
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:                   # not on Linux
        count = os.cpu_count() or 1
    return min(count, _MAX_THREADS)


class _Pool:
    """Daemon threads that run ``(fn, args)`` jobs; the caller runs one job itself."""

    def __init__(self):
        self._jobs = queue.SimpleQueue()
        self._threads = []
        self._lock = threading.Lock()

    def map(self, fn, calls):
        """``fn(*args)`` for each args of ``calls``, at once; returns when all are done
        and re-raises the first error."""
        self._grow(len(calls) - 1)
        done = queue.SimpleQueue()
        for args in calls[1:]:
            self._jobs.put((fn, args, done))
        errors = [_call(fn, calls[0])]
        errors += [done.get() for _ in calls[1:]]
        for error in errors:
            if error is not None:
                raise error

    def _grow(self, wanted):
        with self._lock:
            while len(self._threads) < wanted:
                thread = threading.Thread(target=self._work, name="minitf-kernel",
                                          daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self):
        while True:
            fn, args, done = self._jobs.get()
            done.put(_call(fn, args))


def _call(fn, args):
    """``fn(*args)``; the exception it raised, or None."""
    try:
        fn(*args)
    except BaseException as error:        # handed to the calling thread
        return error
    return None


_the_pool = None
_pool_lock = threading.Lock()


def _pool():
    global _the_pool
    if _the_pool is None:
        with _pool_lock:
            if _the_pool is None:
                _the_pool = _Pool()
    return _the_pool


def _forget_pool():
    """After fork the child has none of the parent's threads: start a new pool."""
    global _the_pool, _pool_lock
    _the_pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)
