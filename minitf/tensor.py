"""Tensor and Variable: the values every op takes and returns (no math here).

A Tensor wraps an immutable numpy array. A Variable wraps a mutable one that
``assign`` updates in place; each assign bumps a version counter so a tape can
tell when a value it saved has changed under it. Operators forward to the ops
in ``minitf.ops``.

Every in-place change of Variable state (``assign*``, optimizer steps) holds
``_state_lock``, and checkpoints copy values under it, so a saved array is
always one whole state of its variable.
"""
import itertools
import operator
import os
import sys
import threading
import warnings

import numpy as np

from . import dtypes
from ._context import ctx

# Re-entrant: an optimizer step (which holds it) assigns its counters.
_state_lock = threading.RLock()
_serials = itertools.count()    # Variables' creation order (watched_variables sorts by it)
_PYTHON_DATA = (list, tuple, int, float, bool)


class _TensorLike:
    """Properties and operators shared by Tensor and Variable."""

    __slots__ = ()
    __array_priority__ = 100
    __hash__ = object.__hash__

    shape = property(lambda self: self._value.shape, doc="Shape as a tuple.")
    dtype = property(lambda self: self._value.dtype, doc="numpy dtype.")
    ndim = property(lambda self: self._value.ndim, doc="Number of axes.")
    size = property(lambda self: self._value.size, doc="Number of elements.")

    def numpy(self):
        """A copy of the value as a numpy array the caller may mutate."""
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "numpy")
        return np.array(self._value, copy=True)

    def __array__(self, dtype=None, copy=None):
        """numpy's view of a Tensor: shared and read-only (numpy 2's ``copy=`` rules)."""
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "array")
        elif ctx.tapes:
            _warn_if_recorded(self)
        value = np.asarray(self._value)
        if copy:
            return np.array(value, dtype=dtype, copy=True)
        if dtype is not None and np.dtype(dtype) != value.dtype:
            if copy is False:
                raise ValueError(f"Tensor.__array__: converting {value.dtype} to "
                                 f"{np.dtype(dtype)} needs a copy. Received: copy=False")
            return value.astype(dtype)
        return _read_only(value)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """DLPack export (torch.as_tensor, np.from_dlpack, JAX): a private copy, since
        consumers such as torch ignore the read-only flag and would write into this
        immutable Tensor; ``copy=False`` shares the memory flagged read-only."""
        value = np.asarray(self._value)
        if copy is not False:
            value = np.array(value, copy=True)
        elif max_version is None or tuple(max_version) < (1, 0):
            raise BufferError("Tensor.__dlpack__: sharing without a copy needs a consumer "
                              "that can mark the memory read-only (DLPack >= 1.0). "
                              f"Received: copy=False, max_version={max_version!r}")
        else:
            value = _read_only(value)
        return value.__dlpack__(stream=stream, max_version=max_version, dl_device=dl_device)

    def __dlpack_device__(self):
        """(kDLCPU, 0): values live in host memory."""
        return (1, 0)

    def __float__(self):
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "float")
        return float(_scalar(self._value))

    def __int__(self):
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "int")
        return int(_scalar(self._value))

    def __index__(self):
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "index")
        return operator.index(self._value)

    def __bool__(self):
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "bool")
        return bool(self._value)

    def __len__(self):
        if not self._value.ndim:
            raise TypeError("len() of a 0-d tensor (shape ()); use float(t) or t.numpy().")
        return len(self._value)

    def __iter__(self):
        if self._value.ndim == 0:
            raise TypeError("Cannot iterate over a scalar (0-d) tensor.")
        return (self[i] for i in range(len(self._value)))

    def __format__(self, spec):
        return format(self._value, spec) if self._value.ndim == 0 else repr(self)

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.subtract(self, other)

    def __rsub__(self, other):
        return _ops.subtract(other, self)

    def __mul__(self, other):
        return _ops.multiply(self, other)

    def __rmul__(self, other):
        return _ops.multiply(other, self)

    def __truediv__(self, other):
        return _ops.divide(self, other)

    def __rtruediv__(self, other):
        return _ops.divide(other, self)

    def __floordiv__(self, other):
        return _ops.floordiv(self, other)

    def __rfloordiv__(self, other):
        return _ops.floordiv(other, self)

    def __mod__(self, other):
        return _ops.mod(self, other)

    def __rmod__(self, other):
        return _ops.mod(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __invert__(self):
        return _ops.logical_not(self)

    def __and__(self, other):
        return _ops.logical_and(self, other)

    def __rand__(self, other):
        return _ops.logical_and(other, self)

    def __or__(self, other):
        return _ops.logical_or(self, other)

    def __ror__(self, other):
        return _ops.logical_or(other, self)

    def __lt__(self, other):
        return _ops.less(self, other)

    def __le__(self, other):
        return _ops.less_equal(self, other)

    def __gt__(self, other):
        return _ops.greater(self, other)

    def __ge__(self, other):
        return _ops.greater_equal(self, other)

    def __eq__(self, other):
        if other is None:
            return False
        return _ops.equal(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return _ops.not_equal(self, other)

    def __getitem__(self, key):
        return _ops.getitem(self, key)


class Tensor(_TensorLike):
    """An immutable n-d array that ops consume and produce.

    >>> mtf.constant([1.0, 2.0]) * 3
    <mtf.Tensor: shape=(2,), dtype=float32, numpy=array([3., 6.], dtype=float32)>
    """

    # ``_given_name`` is set only for ``constant(..., name=)``; ops never touch it.
    __slots__ = ("_value", "_given_name", "__weakref__")

    def __init__(self, value, dtype=None):
        self._value = _to_array(value, dtypes.as_dtype(dtype), copy=True)

    _name = property(lambda self: getattr(self, "_given_name", None),
                     doc="The ``name=`` given to ``mtf.constant`` (None otherwise).")

    def __repr__(self):
        return (f"<mtf.Tensor: shape={self.shape}, dtype={self.dtype}, "
                f"numpy={_value_repr(self._value)}>")


class Variable(_TensorLike):
    """A mutable, named array: the state of models and optimizers.

    ``assign``, ``assign_add`` and ``assign_sub`` check shape and dtype first
    and leave the value untouched when they raise.
    """

    __slots__ = ("_value", "_version", "_trainable", "_name", "_serial", "__weakref__")

    def __init__(self, initial_value, trainable=True, name=None, dtype=None):
        if ctx.recorder is not None:     # inside mtf.function: initial values run once
            initial_value = ctx.recorder.variable_created(name, initial_value)
        elif callable(initial_value):
            initial_value = initial_value()
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Variable name must be a str. Received: name={name!r}")
        value = _to_array(initial_value, dtypes.as_dtype(dtype), copy=True)
        self._value = np.ascontiguousarray(value) if value.ndim else np.array(value)
        self._version = 0
        if not isinstance(trainable, (bool, np.bool_)):
            raise TypeError(f"Variable: trainable must be True or False. "
                            f"Received: trainable={trainable!r}")
        self._trainable = bool(trainable)
        self._name = f"{ctx.scope}{name or 'Variable'}:0"
        self._serial = next(_serials)

    trainable = property(lambda self: self._trainable,
                         doc="Whether tapes watch this variable on read.")
    name = property(lambda self: self._name, doc='"<scope><name>:0".')

    def numpy(self):
        """A copy of the current value (one whole state: taken under the state lock)."""
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "numpy")
        with _state_lock:
            return np.array(self._value, copy=True)

    def __array__(self, dtype=None, copy=None):
        """A snapshot, as TensorFlow gives: a view would change with every later assign."""
        if ctx.recorder is not None:
            ctx.recorder.check_python_use(self, "array")
        elif ctx.tapes:
            _warn_if_recorded(self)
        if copy is False:
            raise ValueError(f"Variable.__array__: {self._name!r} changes in place, so numpy "
                             f"cannot share its memory; np.asarray(v) or v.numpy() give a "
                             f"snapshot. Received: copy=False")
        with _state_lock:
            return np.array(self._value, dtype=dtype, copy=True)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """DLPack export of a snapshot (never the live memory, see ``__array__``)."""
        if copy is False:
            raise BufferError(f"Variable.__dlpack__: {self._name!r} changes in place, so "
                              f"its memory is never shared. Received: copy=False")
        return self.numpy().__dlpack__(stream=stream, max_version=max_version,
                                       dl_device=dl_device)

    def value(self):
        """The current value as a Tensor (a snapshot of one whole state; later assigns
        do not change it)."""
        with _state_lock:
            return _ops.identity(self)

    read_value = value

    def assign(self, value):
        """Set the value; shape and dtype must match."""
        array = self._checked("assign", value)
        if ctx.recorder is not None and not ctx.recorder.variable_write("assign", self, value,
                                                                        array):
            return self
        with _state_lock:
            np.copyto(self._value, array)
            self._version += 1
        return self

    def assign_add(self, delta):
        """Add ``delta`` in place; shape and dtype must match."""
        array = self._checked("assign_add", delta)
        if ctx.recorder is not None and not ctx.recorder.variable_write("assign_add", self, delta,
                                                                        array):
            return self
        with _state_lock:
            np.add(self._value, array, out=self._value)
            self._version += 1
        return self

    def assign_sub(self, delta):
        """Subtract ``delta`` in place; shape and dtype must match."""
        array = self._checked("assign_sub", delta)
        if ctx.recorder is not None and not ctx.recorder.variable_write("assign_sub", self, delta,
                                                                        array):
            return self
        with _state_lock:
            np.subtract(self._value, array, out=self._value)
            self._version += 1
        return self

    def _checked(self, op, value):
        """The new value as an array of this variable's shape and dtype, or raise.

        Tensors and arrays must have the variable's dtype (in either byte order);
        Python numbers, lists and numpy scalars are converted to it."""
        if isinstance(value, (_TensorLike, np.ndarray)) or (
                _is_array_like(value) and not isinstance(value, np.generic)):
            array = _to_array(value, None, False, op)
            if array.dtype != self.dtype:
                raise TypeError(f"{op}: dtype mismatch for variable {self._name!r}: "
                                f"variable is {self.dtype}, value is {array.dtype}. "
                                f"Use mtf.cast to convert.")
        else:
            array = _to_array(value, self.dtype, False, op)
        if array.shape != self.shape:
            raise ValueError(f"{op}: shape mismatch for variable {self._name!r}: "
                             f"variable has shape {self.shape}, value has shape "
                             f"{array.shape}.")
        return array

    def __repr__(self):
        return (f"<mtf.Variable '{self._name}' shape={self.shape} "
                f"dtype={self.dtype}, numpy={_value_repr(self._value)}>")


_NUMPY_IN_TAPE = (
    "numpy converted a Tensor that a GradientTape is recording (np.sin(x), np.asarray(x), "
    "...): gradients do not flow through numpy functions, so tape.gradient will miss this "
    "path (a wrong gradient, or None). Use minitf ops instead (mtf.sin, mtf.exp, "
    "mtf.reduce_sum, ...); if you want the value as a constant, say so with "
    "mtf.stop_gradient(x) or x.numpy(), or compute it outside the tape block.")
_INTERNAL_DIRS = (os.path.dirname(os.path.abspath(__file__)) + os.sep,
                  os.path.dirname(os.path.abspath(np.__file__)) + os.sep)


def _warn_if_recorded(x):
    """Warn when numpy reads a value an active tape tracks: its gradient is lost there."""
    key = id(x)
    for tape in ctx.tapes:
        if key in tape._tracked:
            warnings.warn(_NUMPY_IN_TAPE, UserWarning, stacklevel=_caller_level())
            return


def _caller_level():
    """The ``stacklevel`` of the first frame outside minitf and numpy (the user's line)."""
    frame, level = sys._getframe(2), 2
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def _scalar(value):
    """A single-element value as 0-d (numpy raises its own error for larger ones)."""
    return value.reshape(()) if value.size == 1 else value


def _value_repr(value):
    return repr(value.item()) if np.ndim(value) == 0 else repr(value)


def _to_array(value, dtype, copy, op=None):
    """The numpy value for ``value``: the one conversion every entry point uses.

    Tensors, arrays and array-likes keep their dtype, in native byte order;
    Python data gets TensorFlow's defaults; ``dtype`` (already normalised by
    ``dtypes.as_dtype``) converts the result. Unsupported dtypes raise
    ``TypeError`` naming ``op`` (the public function called, when not given).
    """
    array = _typed_array(value, op)
    if array is None:                    # Python data: a fresh array, never shared
        if dtype is None:
            return dtypes.default_array(value, op)
        array = dtypes.python_array(value, op)
    if dtype is not None:
        array = dtypes.cast_array(array, dtype, op=op)
    return np.array(array, copy=True) if copy else array


def _typed_array(value, op):
    """The native, supported array behind a value that has a dtype; None for Python data."""
    if isinstance(value, _TensorLike):
        return value._value
    if isinstance(value, (np.ndarray, np.generic)):
        return dtypes.check_array(np.asarray(value), op)
    if type(value) in _PYTHON_DATA:
        return None
    if hasattr(value, "_densify"):
        return value._densify()._value
    if _is_array_like(value):
        return dtypes.check_array(dtypes.python_array(value, op, typed=True), op)
    return None


def _is_array_like(value):
    """Whether ``value`` brings its own dtype through numpy's protocols (torch, JAX,
    pandas, memoryview, ...) rather than being Python data."""
    return (hasattr(value, "__array__") or hasattr(value, "__array_interface__")
            or hasattr(value, "__array_struct__") or isinstance(value, memoryview))


def _read_only(value):
    """A read-only view of ``value`` (Tensors are immutable)."""
    view = value.view()
    view.flags.writeable = False
    return view


from . import ops as _ops  # noqa: E402  (operators need the ops; ops need Tensor)

# x + y, x - y, x * y, x / y call the ops themselves (one Python call less on the
# hottest path); the methods above say the same and document them.
_TensorLike.__add__, _TensorLike.__sub__ = _ops.add, _ops.subtract
_TensorLike.__mul__, _TensorLike.__truediv__ = _ops.multiply, _ops.divide
