"""Debugging helpers: stop at the first op that produces NaN or Inf.

``enable_check_numerics()`` installs a check that every recorded op (each op
that goes through ``ops._dispatch.emit``) runs on its output; it raises
``NumericsError`` naming the op and the name scope it ran in. Disabled, the
check costs one ``is None`` test per op.
"""
import numpy as np

from ._context import ctx
from .ops import _dispatch

__all__ = ["NumericsError", "disable_check_numerics", "enable_check_numerics"]


class NumericsError(ValueError):
    """An op produced NaN or Inf while check_numerics was enabled.

    The counterpart of TensorFlow's ``InvalidArgumentError`` from
    ``tf.debugging.enable_check_numerics``; a ``ValueError`` subclass.
    """


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Make every op check its output for NaN/Inf and raise ``NumericsError``.

    The two limits exist for signature compatibility with TensorFlow and are
    ignored. Applies to all threads until ``disable_check_numerics()``.
    """
    _dispatch.numerics_check = _check


def disable_check_numerics():
    """Stop checking op outputs (a no-op when checking is not enabled)."""
    _dispatch.numerics_check = None


def _check(op_name, value):
    """Raise ``NumericsError`` when a floating ``value`` holds NaN or Inf."""
    if value.dtype.kind != "f" or np.isfinite(value).all():
        return
    nans = int(np.count_nonzero(np.isnan(value)))
    infs = int(np.count_nonzero(np.isinf(value)))
    scope = ctx.scope.rstrip("/") or "(top level)"
    raise NumericsError(
        f"check_numerics: op {op_name!r} in name scope {scope!r} produced {nans} NaN "
        f"and {infs} Inf value(s) in its output of shape {np.shape(value)}, dtype "
        f"{value.dtype}.")
