"""How pictures and tables print values and gradients: exact scalars, signs kept.

A scalar prints exactly (the shortest text that reads back as the same
number of its dtype), up to ``SMALL`` elements are listed, a larger array
shows min/mean/max; a large gradient shows its norm, labelled as such.
"""
import numpy as np

from ..indexed_slices import IndexedSlices

SMALL = 6          # arrays with at most this many elements are listed


def as_array(value):
    """A numpy array of a Tensor, Variable, IndexedSlices (densified) or number."""
    if type(value) is IndexedSlices:
        value = value._densify()
    return np.asarray(getattr(value, "_value", value))


def scalar(x):
    """``x`` exactly and short: ``-1.5``, ``0.1`` (float32), ``6.881373587019543``.

    >>> scalar(np.float32(0.1))
    '0.1'
    """
    x = np.asarray(x).reshape(())[()]
    if isinstance(x, (np.bool_, bool)):
        return str(bool(x))
    if not isinstance(x, np.floating):
        return str(x)
    if not np.isfinite(x):
        return str(float(x))
    magnitude = abs(float(x))
    if magnitude and (magnitude >= 1e6 or magnitude < 1e-4):
        return np.format_float_scientific(x, unique=True, trim="-")
    return np.format_float_positional(x, unique=True, trim="-")


def _short(x):
    """An element of a listed array: four significant digits, sign kept."""
    x = np.asarray(x).reshape(())[()]
    if isinstance(x, np.floating):
        return f"{float(x):.4g}"
    return str(x)


def value_text(value):
    """A forward value: the scalar, the listed elements, or min/mean/max."""
    array = as_array(value)
    if array.size == 1:
        return scalar(array)
    if array.size == 0:
        return "empty"
    if array.size <= SMALL:
        return "[" + ", ".join(_short(x) for x in array.ravel()) + "]"
    if array.dtype.kind == "b":
        return f"{int(array.sum())} of {array.size} True"
    as_float = array.astype(np.float64)
    return (f"min {_short(as_float.min())} mean {_short(as_float.mean())} "
            f"max {_short(as_float.max())}")


def gradient_text(gradient):
    """A gradient with its sign (scalar or small), else ``norm`` of a large one."""
    array = as_array(gradient)
    if array.size <= SMALL:
        return f"grad {value_text(array)}"
    norm = float(np.linalg.norm(array.astype(np.float64).ravel()))
    return f"grad norm {norm:.4g}"
