"""The path every op takes: convert operands, wrap the result, record it.

An op computes its forward value with numpy (or a kernel), then calls
``emit(name, value, inputs, grad)``. ``grad(g, needs)`` returns one gradient
per input (``None`` where ``needs[i]`` is false) and is written with minitf ops,
so an enclosing tape records the backward pass too (higher-order gradients).
"""
import numpy as np

from .. import dtypes
from .._context import ctx
from ..tensor import Tensor, Variable, _to_array
from .. import tape as _tape
from ._quiet import enter as _quiet_enter, leave as _quiet_leave

_new = object.__new__
TENSOR_TYPES = frozenset((Tensor, Variable))
_WEAK_KINDS = {bool: "b", int: "i", float: "f"}  # Python scalar → weakest dtype kind
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# Set by mtf.debugging.enable_check_numerics(): a function(op_name, value).
numerics_check = None


def wrap(value):
    """A Tensor around ``value`` (a numpy array or scalar), without copying.

    While ``mtf.function`` traces, the Tensor is marked as computed outside the
    recorded program: an op that later reads it raises instead of baking its value
    in. Values that depend on nothing but shapes use ``wrap_constant``."""
    out = _new(Tensor)
    out._value = value
    if ctx.recorder is not None:
        ctx.recorder.unrecorded(out)
    return out


def wrap_constant(value):
    """A Tensor around ``value`` that is the same on every call of a traced function
    (it depends on shapes and dtypes only), so a trace may capture it."""
    out = _new(Tensor)
    out._value = value
    return out


def apply(op, fn, args, grad=None, inputs=None, saves=True, label=None,
          value_shaped=False, any_shape=False, batch=None):
    """The op's output ``fn(*values of args)``: recorded on the active tapes (with
    ``grad`` and the tape ``inputs``, ``args`` unless given) and in a trace.

    ``fn`` must compute from the arrays it is given (and constants fixed before the
    call) only: a trace records it and replays it on new values. ``grad=None``
    marks an op without a gradient. ``label`` is the user's ``name=``.
    ``value_shaped``: the output's shape depends on input values (``boolean_mask``);
    a replay checks it where a later step was specialised to the traced shape, that
    is unless every step reading it says ``any_shape`` (its ``fn`` fixes no shape).
    ``batch`` tells ``mtf.vectorized_map`` how to run ``fn`` on a batch of examples
    (``ops/_batching.py``); None: ``fn`` runs once per example.
    """
    n = len(args)
    if n == 1:
        value = fn(args[0]._value)
    elif n == 2:
        value = fn(args[0]._value, args[1]._value)
    else:
        value = fn(*[x._value for x in args])
    out = _new(Tensor)
    out._value = value
    if grad is not None and ctx.tapes:
        _tape.record(op, args if inputs is None else inputs, out, grad, saves)
    if ctx.recorder is not None:
        step = ctx.recorder.op(op, fn, args, (out,), label)
        step.value_shaped, step.any_shape, step.batch = value_shaped, any_shape, batch
        if value_shaped:
            ctx.recorder.shape_follows.add(step.outs[0])
    if numerics_check is not None:
        numerics_check(op, value)
    return out


def apply_with_aux(op, fn, args, grad=None, inputs=None, saves=True, label=None,
                   batch=None):
    """``apply`` for a ``fn`` that returns a tuple of arrays: one Tensor each, from one
    trace step. Only the first is the op's output on the tapes (with ``grad``); the
    others are values its gradient rule reads (argmax, saved statistics)."""
    values = fn(args[0]._value) if len(args) == 1 else fn(*[x._value for x in args])
    outs = []
    for value in values:
        out = _new(Tensor)
        out._value = value
        outs.append(out)
    outs = tuple(outs)
    if grad is not None and ctx.tapes:
        _tape.record(op, args if inputs is None else inputs, outs[0], grad, saves)
    if ctx.recorder is not None:
        ctx.recorder.op(op, fn, args, outs, label, many=True).batch = batch
    if numerics_check is not None:
        numerics_check(op, values[0])
    return outs


DRAW = "draw"   # the stateful kind of a random draw (see minitf/_function/program.py)


def apply_stateful(op, fn, args=(), label=None):
    """``apply`` for an op whose result changes from call to call for the same inputs
    (random numbers): a trace runs it on every replay, in order, and never drops it."""
    value = fn(*[x._value for x in args])
    out = _new(Tensor)
    out._value = value
    if ctx.recorder is not None:
        ctx.recorder.op(op, fn, args, (out,), label, stateful=DRAW)
    return out


def emit(name, value, inputs, grad, saves=True):
    """Wrap ``value`` as the op's output and record it on the active tapes.

    ``saves`` says whether ``grad`` reads the inputs' values (so an in-place
    change of a Variable input before ``gradient()`` must raise).
    """
    out = _new(Tensor)
    out._value = value
    if ctx.tapes:
        _tape.record(name, inputs, out, grad, saves)
    if ctx.recorder is not None:
        ctx.recorder.untraceable(name)
    if numerics_check is not None:
        numerics_check(name, value)
    return out


def as_tensor(x, dtype=None, op=None):
    """``x`` if it is a Tensor or Variable, else a new Tensor (default dtypes; errors
    name ``op``, or the public function called)."""
    if type(x) in TENSOR_TYPES:
        return x
    return wrap_constant(_to_array(x, dtype, False, op))


def value_of(x):
    """The numpy value behind an operand (Tensors, Variables and Python scalars)."""
    return x._value if type(x) in TENSOR_TYPES else x


def operands(op, x, y):
    """Operands of a binary op with TensorFlow's dtype rules.

    Python and numpy scalars are weak (they take the other operand's dtype and
    pass as raw Python numbers, which numpy treats the same way); lists are
    converted to the other operand's dtype; any other mix of dtypes raises
    ``TypeError``.
    """
    if type(x) in TENSOR_TYPES:
        if type(y) in TENSOR_TYPES:
            if x._value.dtype is not y._value.dtype and x._value.dtype != y._value.dtype:
                _raise_mixed(op, x, y)
            return x, y
        if type(y) is float and x._value.dtype.kind == "f":
            return x, y
        return x, _weak(op, y, x)
    if type(y) in TENSOR_TYPES:
        if type(x) is float and y._value.dtype.kind == "f":
            return x, y
        return _weak(op, x, y), y
    x = as_tensor(x, op=op)
    return x, _weak(op, y, x)


def _weak(op, s, other):
    """Convert ``s`` to match ``other``'s dtype where TensorFlow would."""
    kind = _WEAK_KINDS.get(type(s))
    if kind is None and isinstance(s, np.generic):
        number = s.item()                     # numpy scalars are Python scalars here
        if type(number) in _WEAK_KINDS:
            return _weak_number(op, number, _WEAK_KINDS[type(number)], other, s)
    if kind is not None:
        return _weak_number(op, s, kind, other, s)
    if isinstance(s, (list, tuple)):
        return wrap_constant(_to_array(s, other._value.dtype, False, op))
    s = as_tensor(s, op=op)
    if s._value.dtype != other._value.dtype:
        _raise_mixed(op, other, s)
    return s


def _weak_number(op, number, kind, other, given):
    """``number`` (a Python scalar) if it fits ``other``'s dtype, else ``TypeError``."""
    dtype = other._value.dtype
    if kind == "f" and dtype.kind != "f" or kind == "i" and dtype.kind == "b":
        raise TypeError(f"{op}: cannot combine a {_scalar_kind(given)} ({given!r}) with "
                        f"a tensor of dtype {dtype.name} and shape {other.shape}; cast the "
                        f"tensor with mtf.cast first.")
    if kind == "i" and not _INT32_MIN <= number <= _INT32_MAX and not _fits(number, dtype):
        raise TypeError(f"{op}: the {_scalar_kind(given)} {number} is out of range for "
                        f"the tensor of dtype {dtype.name} and shape {other.shape}.")
    return number


def _fits(number, dtype):
    """Whether the Python int ``number`` converts to ``dtype`` without overflowing."""
    if dtype.kind == "f":
        try:
            float(number)
        except OverflowError:
            return False
        return True
    return dtype == dtypes.int64 and _INT64_MIN <= number <= _INT64_MAX


def _scalar_kind(s):
    """A scalar's type in words for messages: Python float, numpy float64 scalar."""
    if isinstance(s, np.generic):
        return f"numpy {s.dtype.name} scalar"
    return f"Python {type(s).__name__}"


def _raise_mixed(op, x, y):
    a, b = x.dtype.name, y.dtype.name
    raise TypeError(
        f"{op}: cannot mix dtypes {a} and {b} (shapes {x.shape} and {y.shape}); cast "
        f"one operand to the other's dtype first, e.g. mtf.cast(value, mtf.{a}).")


def shape_of(x):
    """Shape of a Tensor, Variable or Python scalar."""
    return x._value.shape if type(x) in TENSOR_TYPES else ()


def unbroadcast_like(g, operand):
    """``g`` summed to the shape of ``operand`` (a Tensor, Variable or Python scalar)."""
    if type(operand) in TENSOR_TYPES and operand._value.shape == g._value.shape:
        return g
    return unbroadcast(g, shape_of(operand))


def unbroadcast(g, shape):
    """Sum ``g`` over the axes broadcasting added, so it has ``shape``."""
    if g._value.shape == shape:
        return g
    return _reduce.sum_to(g, shape)


def binary_op(name, ufunc, x, y, grad, saves=True, label=None):
    """Apply a broadcasting numpy ``ufunc`` to converted operands, with numpy's
    floating-point warnings off, and emit it (the hottest path: emit is inlined).
    A Python int too big for the tensor's dtype raises ValueError naming the op."""
    token = _quiet_enter()
    try:
        a = x._value if type(x) in TENSOR_TYPES else _operand(x, y)
        b = y._value if type(y) in TENSOR_TYPES else _operand(y, x)
        value = ufunc(a, b)
    except ValueError:
        raise ValueError(f"{name}: shapes {shape_of(x)} and {shape_of(y)} cannot be "
                         f"broadcast together.") from None
    except OverflowError:
        raise int_overflow(name, x, y) from None
    finally:
        _quiet_leave(token)
    out = _new(Tensor)
    out._value = value
    if ctx.tapes:
        _tape.record(name, (x, y), out, grad, saves)
    if ctx.recorder is not None:
        ctx.recorder.op(name, ufunc, (x if type(x) in TENSOR_TYPES else a,
                                      y if type(y) in TENSOR_TYPES else b), (out,),
                        label).batch = "broadcast"     # ops/_batching.py BROADCAST
    if numerics_check is not None:
        numerics_check(name, value)
    return out


_FLOAT_OPERANDS = {dtypes.float16: {}, dtypes.float32: {}, dtypes.float64: {}}


def _operand(number, tensor):
    """A Python scalar operand for the ufunc. A Python float beside a float tensor
    becomes a cached 0-d array of the tensor's dtype: the value numpy would convert
    it to, without numpy's slower conversion on every call. Zeros are not cached
    (0.0 == -0.0 as keys) and the cache is bounded."""
    if type(number) is not float or number == 0.0:
        return number
    cache = _FLOAT_OPERANDS.get(tensor._value.dtype)
    if cache is None:
        return number
    array = cache.get(number)
    if array is None:
        if len(cache) >= 256:
            cache.clear()
        array = cache[number] = np.array(number, tensor._value.dtype)
    return array


def int_overflow(op, x, y):
    """The error for a Python int operand outside the range of the tensor's dtype."""
    dtype = result_dtype(x, y)
    what, big = ("x", x) if type(x) is int else ("y", y)
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    limits = f" [{info.min}, {info.max}]" if info is not None else ""
    return ValueError(f"{op}: the Python int {big} does not fit the {dtype} range{limits} "
                      f"of the other operand; cast that tensor to a wider dtype first. "
                      f"Received: {what}={big}")


def result_dtype(x, y):
    """dtype of a binary op's result: that of its Tensor operand (one always is)."""
    return (x if type(x) in TENSOR_TYPES else y)._value.dtype


def float_input(op, x):
    """``x`` as a Tensor, which must be floating for ``op``."""
    if type(x) in TENSOR_TYPES and x._value.dtype.kind == "f":
        return x
    x = as_tensor(x, op=op)
    if x._value.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got {x.dtype.name} of "
                        f"shape {x.shape}; convert it with mtf.cast(x, mtf.float32).")
    return x


from . import reduce as _reduce  # noqa: E402
