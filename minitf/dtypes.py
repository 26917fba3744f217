"""The dtypes minitf speaks, and how Python values and numpy arrays become them.

Dtypes are plain ``numpy.dtype`` objects, so ``t.dtype == mtf.float32`` and
``t.dtype == np.float32`` both hold. Python floats become float32 and Python
ints int32 (int64 when they do not fit), as in TensorFlow; numpy arrays keep
their dtype, in native byte order. Every other dtype (uint8, complex,
longdouble, strings, objects, ...) is refused with a ``TypeError`` naming it,
so no array a numba kernel cannot type ever reaches one.
"""
import sys

import numpy as np

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
bool_ = np.dtype("bool")

SUPPORTED = (bool_, int32, int64, float16, float32, float64)
_SUPPORTED = frozenset(SUPPORTED)
_SUPPORTED_NAMES = ", ".join(d.name for d in SUPPORTED)
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_NAMES = {"float16": float16, "float32": float32, "float64": float64,
          "int32": int32, "int64": int64, "bool": bool_}
# Modules whose functions only convert: an error raised there names the caller.
_PLUMBING = ("minitf.dtypes", "minitf.ops._dispatch")


def as_dtype(dtype, op=None):
    """Normalise a dtype given as a name, a type or a numpy dtype; refuse the rest."""
    if dtype is None:
        return None
    if isinstance(dtype, np.dtype) and dtype in _SUPPORTED:
        return dtype
    if type(dtype) is str and dtype in _NAMES:
        return _NAMES[dtype]
    if not isinstance(dtype, (np.dtype, str, type)):
        raise TypeError(f"{op_name(op)}: dtype must be a dtype, a dtype name or a type. "
                        f"Received: dtype={_short(dtype)}")
    try:
        found = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{op_name(op)}: unknown dtype. Received: dtype={dtype!r}") from None
    return supported(found, op)


def supported(dtype, op=None):
    """``dtype`` in native byte order if minitf supports it, else ``TypeError``."""
    if dtype in _SUPPORTED:
        return dtype
    native = dtype.newbyteorder("=")
    if dtype.names is None and native in _SUPPORTED:
        return native
    raise TypeError(f"{op_name(op)}: unsupported dtype {_describe(dtype)}; minitf supports "
                    f"{_SUPPORTED_NAMES}. Convert with numpy first (e.g. "
                    f"x.astype(np.float32)). Received: dtype={dtype.str!r}")


def check_array(array, op=None):
    """``array`` itself if its dtype is supported and native, else a native copy."""
    dtype = array.dtype
    if dtype in _SUPPORTED:
        return array
    return array.astype(supported(dtype, op))


def python_array(value, op=None, typed=False):
    """``np.asarray`` of Python data (numbers, bools, nested lists), or of an array-like
    when ``typed`` (its dtype is checked later), with errors named after ``op``."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as error:
        raise ValueError(f"{op_name(op)}: cannot convert {type(value).__name__} to a "
                         f"Tensor ({error}). Received: value={_short(value)}") from None
    if not typed and array.dtype.kind not in "biuf":
        raise TypeError(f"{op_name(op)}: cannot convert {type(value).__name__} of "
                        f"{_contents(array)} to a Tensor; minitf supports {_SUPPORTED_NAMES}. "
                        f"Received: value={_short(value)}")
    return array


def _contents(array):
    """What numpy found in Python data that minitf cannot hold, in words."""
    kind = array.dtype.kind
    if kind == "O" and all(type(x) is int for x in array.flat):
        return "ints out of range for int64"
    return {"c": "complex numbers", "U": "strings", "S": "bytes", "M": "datetimes",
            "m": "timedeltas"}.get(kind, "values that are not numbers or bools")


def default_array(value, op=None):
    """Convert a Python value or nested list with TensorFlow's default dtypes."""
    array = python_array(value, op)
    kind = array.dtype.kind
    if kind == "f":
        return cast_array(array, float32, op=op)
    if kind in "iu":
        if array.size and (array.min() < _INT32_MIN or array.max() > _INT32_MAX):
            return cast_array(array, int64, op=op)
        return array.astype(int32)
    return array


def cast_array(array, dtype, what="value", op=None):
    """Cast ``array`` to ``dtype``, refusing float-to-integer truncation and integers
    out of the target's range (numpy would wrap them silently)."""
    if array.dtype == dtype:
        return array
    source = array.dtype.kind
    if source == "f" and dtype.kind in "iub":
        raise TypeError(f"{op_name(op)}: cannot convert a float {what} to {dtype.name} "
                        f"without losing the fraction; use mtf.cast explicitly. "
                        f"Received: dtype={array.dtype.name}")
    if source in "iu" and dtype.kind in "iu" and array.size:
        info = np.iinfo(dtype)
        low, high = int(array.min()), int(array.max())
        if low < info.min or high > info.max:
            bad = low if low < info.min else high
            raise TypeError(f"{op_name(op)}: integer {what} {bad} is out of range for "
                            f"{dtype.name}. Received: {what.rpartition(' ')[2]}={bad}")
    if dtype.kind == "f" and dtype.itemsize < array.dtype.itemsize:
        with np.errstate(over="ignore"):  # too large for float16/32: inf, no warning
            return array.astype(dtype)
    return array.astype(dtype)


def op_name(op=None):
    """``op``, else the public minitf function the user called (error messages only).

    Walks out from the conversion helpers while the frames are minitf's and
    keeps the outermost public name (``relu``, ``Tensor``, ``Variable.assign``).
    """
    if op:
        return op
    found, frame = None, sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.split(".")[0] != "minitf":
            break
        name = _frame_name(frame)
        if module not in _PLUMBING and not name.rpartition(".")[2].startswith(("_", "<")):
            found = name
        frame = frame.f_back
    return found or "convert_to_tensor"


def _frame_name(frame):
    """``Class.method`` or ``function`` of a frame; a constructor is its class."""
    code = frame.f_code
    if code.co_name == "__init__" and "self" in frame.f_locals:
        return type(frame.f_locals["self"]).__name__
    return getattr(code, "co_qualname", code.co_name)


def _describe(dtype):
    """A dtype's name, with its byte order when that is not the machine's."""
    if dtype.isnative or dtype.byteorder == "|":
        return dtype.name
    return f"{dtype.name} ({'big' if dtype.byteorder == '>' else 'little'}-endian)"


def _short(value):
    """A repr cut to one line of reasonable length."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
