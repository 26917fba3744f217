"""numpy's floating-point warnings switched off inside ops, cheaply.

TensorFlow computes NaN and Inf silently (``enable_check_numerics`` finds
them); numpy warns ("overflow encountered in exp", "invalid value encountered
in sqrt"). Ops therefore compute under ``np.errstate(all="ignore")``, scoped to
the call: numpy's error state outside an op is never changed.

``np.errstate`` costs about 1 us per use. numpy 2 keeps the state in a
context variable; setting that variable to a prebuilt "ignore everything"
state costs about 0.25 us, so the hot elementwise ops use it. Without it
(another numpy), every helper falls back to ``np.errstate``.
"""
import functools

import numpy as np

try:  # numpy >= 2: the error state is a ContextVar holding an opaque state object
    from numpy._core.umath import _extobj_contextvar as _STATE, _make_extobj
    _IGNORE = _make_extobj(all="ignore")
except (ImportError, AttributeError, TypeError):  # pragma: no cover - older numpy
    _STATE = None


if _STATE is not None:
    _set, _reset = _STATE.set, _STATE.reset

    def quietly(fn, *args):
        """``fn(*args)`` with numpy's floating-point warnings off."""
        token = _set(_IGNORE)
        try:
            return fn(*args)
        finally:
            _reset(token)

    def quiet(fn):
        """Decorator: the whole op runs with numpy's floating-point warnings off."""
        @functools.wraps(fn)
        def op(*args, **kwargs):
            token = _set(_IGNORE)
            try:
                return fn(*args, **kwargs)
            finally:
                _reset(token)
        return op

    # enter() switches warnings off and returns a token; leave(token) (in a
    # ``finally``) restores the state enter() replaced. Both are C callables:
    # no Python frame on the hottest path.
    enter = functools.partial(_set, _IGNORE)
    leave = _reset

else:  # pragma: no cover - older numpy
    def quietly(fn, *args):
        """``fn(*args)`` with numpy's floating-point warnings off."""
        with np.errstate(all="ignore"):
            return fn(*args)

    def quiet(fn):
        """Decorator: the whole op runs with numpy's floating-point warnings off."""
        @functools.wraps(fn)
        def op(*args, **kwargs):
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
        return op

    def enter():
        """Switch warnings off; pass the result to ``leave`` (in a ``finally``)."""
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def leave(token):
        """Restore the error state ``enter`` replaced."""
        token.__exit__(None, None, None)
