"""The signature a call is traced for, and ``mtf.TensorSpec``.

A call's key lists, in argument order: shape and dtype for each Tensor or numpy
array (and for the values and indices of an IndexedSlices), identity for each Variable and other object, the value of each Python
number, string, bool or None, and the structure of lists, tuples and dicts.
Two calls with equal keys replay one program; a new key traces again (TF's
rules). The arrays of the Tensor and ndarray leaves are the program's inputs.
"""
import numpy as np

from .. import dtypes
from ..indexed_slices import IndexedSlices
from ..tensor import Tensor, Variable, _to_array

_VALUE_TYPES = (int, float, bool, str, bytes, complex, type(None))


def call_key(args, parts, arrays):
    """Append the key parts of ``args`` (a tuple) to ``parts`` and their input arrays
    to ``arrays``."""
    for a in args:
        t = type(a)
        if t is Tensor:
            value = a._value
            parts.append((value.shape, value.dtype))
            arrays.append(value)
        elif t is Variable:
            parts.append(a)
        elif t in _VALUE_TYPES:
            parts.append((t, a))
        elif t is np.ndarray:
            value = _to_array(a, None, False, "mtf.function")
            parts.append((value.shape, value.dtype))
            arrays.append(value)
        elif t is tuple or t is list:
            parts.append((t, len(a)))
            call_key(a, parts, arrays)
        elif t is IndexedSlices:
            values, indices = a.values._value, a.indices._value
            parts.append((t, values.shape, values.dtype, indices.shape, indices.dtype,
                          a.dense_shape))
            arrays += [values, indices]
        elif t is dict:
            keys = sorted(a, key=repr)
            parts.append((dict, tuple(keys)))
            call_key([a[k] for k in keys], parts, arrays)
        else:
            parts.append(_object_key(a))


def _object_key(a):
    """Hashable values by value (a dtype, an enum); anything else by identity."""
    try:
        hash(a)
    except TypeError:
        return ("id", id(a))
    if type(a).__hash__ is object.__hash__:
        return ("id", id(a))
    return (type(a), a)


class TensorSpec:
    """The shape and dtype an argument must have (``None`` dimensions match any size).

    >>> mtf.TensorSpec([None, 3], mtf.float32)
    TensorSpec(shape=(None, 3), dtype=float32, name=None)
    """

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self.shape = None if shape is None else _checked_shape(shape)
        self.dtype = dtypes.as_dtype(dtype)
        if self.dtype is None:
            raise TypeError("TensorSpec: dtype must be a minitf dtype. Received: None")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"TensorSpec: name must be a str or None. Received: {name!r}")
        self.name = name

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype={self.dtype}, name={self.name!r})"

    def __eq__(self, other):
        return (type(other) is TensorSpec and self.shape == other.shape
                and self.dtype == other.dtype and self.name == other.name)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.name))

    def is_compatible_with(self, value):
        """Whether a Tensor or array has this dtype and a matching shape."""
        return value.dtype == self.dtype and _shape_matches(self.shape, value.shape)

    def example(self):
        """Zeros of this spec (for tracing from a spec); needs every dimension known."""
        if self.shape is None or None in self.shape:
            raise ValueError(f"get_concrete_function: {self} has an unknown dimension; "
                             f"pass an example Tensor of the shape to trace for.")
        return Tensor(np.zeros(self.shape, self.dtype))


def _checked_shape(shape):
    """``shape`` as a tuple of non-negative ints and Nones, or TypeError/ValueError."""
    if isinstance(shape, (str, bytes)) or not isinstance(shape, (list, tuple)):
        raise TypeError(f"TensorSpec: shape must be a list or tuple of ints and Nones, or "
                        f"None. Received: shape={shape!r}")
    dims = []
    for d in shape:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))):
            raise TypeError(f"TensorSpec: each dimension must be an int or None. "
                            f"Received: shape={shape!r}")
        if d is not None and d < 0:
            raise ValueError(f"TensorSpec: dimensions must be >= 0. Received: "
                             f"shape={shape!r}")
        dims.append(None if d is None else int(d))
    return tuple(dims)


def _shape_matches(spec, shape):
    if spec is None:
        return True
    return len(spec) == len(shape) and all(s is None or s == d for s, d in zip(spec, shape))


def check_input_signature(function_name, specs, params, args):
    """Check the positional ``args`` against ``input_signature``; TypeError or
    ValueError names the argument. Returns the args as Tensors."""
    if len(args) != len(specs):
        raise TypeError(f"mtf.function {function_name!r} has input_signature of "
                        f"{len(specs)} argument(s) but was called with {len(args)}.")
    checked = []
    for i, (spec, arg) in enumerate(zip(specs, args)):
        what = params[i] if i < len(params) else f"argument {i}"
        checked.append(_checked_arg(function_name, spec, arg, what))
    return tuple(checked)


def _checked_arg(function_name, spec, arg, what):
    if type(arg) is Variable or not hasattr(arg, "dtype") and not isinstance(
            arg, (int, float, bool, list, tuple)):
        raise TypeError(f"mtf.function {function_name!r}: argument {what!r} must be a "
                        f"Tensor matching {spec}. Received: {type(arg).__name__}")
    value = arg._value if type(arg) is Tensor else _to_array(arg, spec.dtype if not
                                                             hasattr(arg, "dtype") else None,
                                                             False, "mtf.function")
    if value.dtype != spec.dtype:
        raise TypeError(f"mtf.function {function_name!r}: argument {what!r} has dtype "
                        f"{value.dtype}, but input_signature says {spec}.")
    if not _shape_matches(spec.shape, value.shape):
        raise ValueError(f"mtf.function {function_name!r}: argument {what!r} has shape "
                         f"{value.shape}, which does not match input_signature {spec}.")
    return arg if type(arg) is Tensor else Tensor(value)


def check_specs(function_name, specs):
    """``input_signature`` as a tuple of TensorSpecs, or TypeError."""
    specs = tuple(specs)
    for s in specs:
        if type(s) is not TensorSpec:
            raise TypeError(f"mtf.function {function_name!r}: input_signature must be a "
                            f"list of mtf.TensorSpec. Received: {s!r}")
    return specs
