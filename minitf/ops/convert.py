"""constant and convert_to_tensor: values from Python, numpy and other tensors.

Both go through ``tensor._to_array``, the one conversion every entry point
uses: native byte order, minitf's dtypes only, errors naming the function.
"""
import math
import operator

import numpy as np

from .. import dtypes
from ..tensor import Tensor, Variable, _to_array
from . import _validate as check
from ._dispatch import TENSOR_TYPES, apply, wrap_constant


def constant(value, dtype=None, shape=None, name=None):
    """A new Tensor holding a copy of ``value``; a scalar fills ``shape``. A Tensor
    ``value`` is read by a recorded op (a trace copies its value on every call).
    ``name`` labels the Tensor in ``mtf.viz`` pictures.

    >>> mtf.constant(2.0, name="a")._name
    'a'
    """
    dtype = dtypes.as_dtype(dtype, "constant")
    _check_name("constant", name)
    if type(value) in TENSOR_TYPES:
        dims = None if shape is None else _shape("constant", shape)
        return _named(apply("constant", lambda a: _constant_array(a, dtype, dims), (value,),
                            label=name), name)
    return _named(wrap_constant(_constant_array(value, dtype, shape)), name)


def _check_name(op, name):
    """Raise unless ``name`` is None or a str."""
    if name is not None and not isinstance(name, str):
        raise TypeError(f"{op}: name must be a str (or None). Received: name={name!r}")


def _named(tensor, name):
    """``tensor`` (a new Tensor) carrying ``name`` for pictures; None leaves it unnamed."""
    if name is not None and type(tensor) is Tensor:
        tensor._given_name = name
    return tensor


def _constant_array(value, dtype, shape):
    """A copy of ``value`` as an array of ``dtype``, filled or reshaped to ``shape``."""
    array = _to_array(value, dtype, True, "constant")
    if shape is not None:
        shape = _shape("constant", shape)
        if array.size == 1:
            array = np.full(shape, array.reshape(()), dtype=array.dtype)
        elif array.size == int(np.prod(shape, dtype=np.int64)):
            array = array.reshape(shape)
        else:
            raise ValueError(f"constant: a value of shape {array.shape} "
                             f"({array.size} elements) cannot fill shape {shape}.")
    return array


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """``value`` as a Tensor: Tensors pass through (keeping their own name), Variables
    are read (recorded), IndexedSlices are densified, anything else is converted; a new
    Tensor carries ``name`` for ``mtf.viz`` pictures."""
    op = "convert_to_tensor"
    dtype = dtypes.as_dtype(dtype, op)
    hint = dtypes.as_dtype(dtype_hint, op)
    _check_name(op, name)
    if type(value) in TENSOR_TYPES:
        if dtype is not None and value.dtype != dtype:
            raise TypeError(f"convert_to_tensor: value has dtype {value.dtype}, "
                            f"requested {dtype}. Use mtf.cast to change it.")
        return _named(value.value(), name) if type(value) is Variable else value
    if hasattr(value, "_densify"):
        return _named(convert_to_tensor(value._densify(), dtype), name)
    if dtype is None and hint is not None and not isinstance(value, np.ndarray):
        try:
            return _named(wrap_constant(_to_array(value, hint, True, op)), name)
        except TypeError:
            pass
    return _named(wrap_constant(_to_array(value, dtype, True, op)), name)


def _shape(op, shape):
    """``shape`` (an int, a sequence or a 1-D integer array) as a tuple of ints >= 0."""
    raw = check.static_value(shape) if type(shape) in TENSOR_TYPES else shape
    items = np.asarray(raw, dtype=object)
    if items.ndim > 1 or not all(_is_int(n) for n in items.flat):
        raise TypeError(f"{op}: shape must be an int or a list of ints. "
                        f"Received: shape={shape!r}")
    dims = tuple(operator.index(n) for n in items.flat)
    if any(n < 0 for n in dims) or math.prod(dims) > 2**62:
        raise ValueError(f"{op}: shape must hold ints >= 0 whose product fits in int64. "
                         f"Received: shape={shape!r}")
    return dims


def _is_int(n):
    """Whether ``n`` is an integer scalar (bools are not sizes)."""
    return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))
