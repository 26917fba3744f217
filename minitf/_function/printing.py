"""``mtf.print``: print values on every call, traced or eager (as ``tf.print``).

Python's ``print`` inside ``mtf.function`` runs only while tracing, and shows
the trace's values. ``mtf.print`` is recorded as a step, so each replay prints
that call's values. It writes to ``sys.stderr`` by default, as ``tf.print``.
"""
import sys

import numpy as np

from .._context import ctx
from ..tensor import _TensorLike


def print_(*inputs, output_stream=None, sep=" ", end="\n", summarize=3):
    """Print ``inputs`` (Tensors as numpy-style arrays without commas; other values
    with ``str``), separated by ``sep``, to ``output_stream`` (``sys.stderr``).
    Arrays longer than ``2 * summarize`` show ``summarize`` items at each end
    (``summarize=-1``: all)."""
    if output_stream is not None and not hasattr(output_stream, "write"):
        raise TypeError(f"mtf.print: output_stream must have a write() method, like "
                        f"sys.stdout or sys.stderr. Received: {output_stream!r}")
    tensors = [x for x in inputs if isinstance(x, _TensorLike)]
    where = [i for i, x in enumerate(inputs) if isinstance(x, _TensorLike)]

    def write(*arrays):
        parts = list(inputs)
        for i, array in zip(where, arrays):
            parts[i] = array
        text = sep.join(_format(p, summarize) for p in parts) + end
        (output_stream or sys.stderr).write(text)

    rec = ctx.recorder
    if rec is None or rec.effects == "run":
        write(*[x._value for x in tensors])
    if rec is not None and rec.effects != "skip":
        rec.effect("print", write, tensors)


def _format(value, summarize):
    if isinstance(value, (np.ndarray, np.generic)):
        if np.ndim(value) == 0:
            return str(value.item() if hasattr(value, "item") else value)
        threshold = sys.maxsize if summarize < 0 else 2 * summarize
        return np.array2string(np.asarray(value), separator=" ", threshold=threshold,
                               edgeitems=max(summarize, 1), max_line_width=sys.maxsize)
    return str(value)
