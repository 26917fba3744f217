"""``mtf.function``: trace a Python function once per signature, then replay it.

The first call with a new signature (see ``signature.py``) runs the function
eagerly on its real inputs with a ``Recorder`` active, which records every op
into steps; the steps compile into a ``Program`` (``program.py``). Later calls
with the same signature run the program on the new input arrays: no dispatch,
no tape, no Python-level shape logic. The traced call returns its eager results,
so the first call is also an ordinary call.
"""
import functools
import inspect
import threading
import warnings
import weakref

from .. import _nest
from .. import tape as _tape
from .._context import ctx
from ..indexed_slices import IndexedSlices
from ..tensor import Tensor, _to_array
from . import gradient
from .concrete import ConcreteFunction, slices as _slices
from .recorder import Recorder
from .signature import TensorSpec, call_key, check_input_signature, check_specs

_new = object.__new__


def function(fn=None, input_signature=None, name=None):
    """Compile ``fn`` into a traced program (as ``tf.function``); usable as
    ``@mtf.function`` or ``@mtf.function(input_signature=[...])``.

    >>> @mtf.function
    ... def double(x):
    ...     return x * 2.0
    >>> double(mtf.constant([1.0, 2.0])).numpy()
    array([2., 4.], dtype=float32)
    """
    if fn is None:
        return lambda f: Function(f, input_signature, name)
    return Function(fn, input_signature, name)


class Function:
    """A Python function traced per signature (``mtf.function``'s result)."""

    def __init__(self, python_function, input_signature=None, name=None):
        if not callable(python_function):
            raise TypeError(f"mtf.function expects a callable. Received: "
                            f"{python_function!r}")
        self._python_function = python_function
        self._name = name or getattr(python_function, "__name__", "function")
        self._specs = (None if input_signature is None
                       else check_specs(self._name, input_signature))
        self._params = _Parameters(python_function)
        self._concrete = {}              # signature key -> ConcreteFunction
        self._tracing = {}               # key being traced -> the tracing thread's id
        self._lock = threading.RLock()
        self._tracing_count = 0
        self._bound = weakref.WeakKeyDictionary()    # instance -> Function (methods)
        self._backward = None            # the traced gradient function, once needed
        self._effects = "run"            # "skip" for a backward function (gradient.py)
        functools.update_wrapper(self, python_function, updated=())

    @property
    def python_function(self):
        """The decorated Python function."""
        return self._python_function

    @property
    def input_signature(self):
        return None if self._specs is None else list(self._specs)

    def experimental_get_tracing_count(self):
        """How many times the Python function has been traced (as TF)."""
        return self._tracing_count

    def __get__(self, instance, owner):
        """A method is traced per instance: each instance gets its own Function."""
        if instance is None:
            return self
        try:
            bound = self._bound.get(instance)
        except TypeError:               # unhashable instance: no cache
            return Function(self._python_function.__get__(instance, owner),
                            self._specs, self._name)
        if bound is None:
            bound = Function(self._python_function.__get__(instance, owner),
                             self._specs, self._name)
            self._bound[instance] = bound
        return bound

    def __repr__(self):
        return f"<mtf.function {self._name}>"

    # ---- calls

    def __call__(self, *args, **kwargs):
        args, kwargs, key, arrays = self._signature(args, kwargs)
        concrete = self._concrete.get(key)
        if concrete is not None and ctx.recorder is None and not ctx.tapes:
            return concrete._replay(arrays)
        return self._slow_call(key, args, kwargs, arrays, concrete)

    def _signature(self, args, kwargs):
        """(args, kwargs) bound to parameters and checked, the signature key, and the
        input arrays."""
        args, kwargs = self._params.canonical(args, kwargs)
        if self._specs is not None:
            args = check_input_signature(self._name, self._specs, self._params.names, args)
        parts, arrays = [], []
        call_key(args, parts, arrays)
        if kwargs:
            call_key((kwargs,), parts, arrays)
        return args, kwargs, tuple(parts), arrays

    def _slow_call(self, key, args, kwargs, arrays, concrete):
        """Trace, replay for a tape, run inline (recursion, or a tape inside another
        trace), or call from inside a trace."""
        if self._tracing.get(key) == threading.get_ident():
            return self._python_function(*args, **kwargs)
        outer = ctx.recorder
        if ctx.tapes:
            if outer is not None:
                return self._python_function(*args, **kwargs)   # the tapes see its ops
            return self._call_under_tapes(key, args, kwargs, arrays, concrete)
        if concrete is None:
            concrete, result = self._trace_once(key, args, kwargs)
            if result is not None:
                if outer is not None:
                    _record_call(outer, self._name, concrete, args, kwargs, result[1])
                return result[0]
        if outer is None:
            return concrete._replay(arrays)
        return _call_inside_trace(outer, self._name, concrete, args, kwargs, arrays)

    def _call_under_tapes(self, key, args, kwargs, arrays, concrete):
        """A call that tapes outside the function record: traced (the tapes see the
        traced run's ops), replayed and recorded as one op, or run eagerly when
        running its Python again would not give its values (see ``gradient.py``)."""
        if concrete is None:
            concrete, traced = self._trace_once(key, args, kwargs)
            if traced is not None:
                return traced[0]
        if not gradient.can_recompute(concrete):
            return self._python_function(*args, **kwargs)
        result = concrete._replay(arrays)
        gradient.record(self, concrete, args, kwargs, _leaf_tensors((args, kwargs)), result)
        return result

    def _backward_function(self):
        """The traced function computing this one's gradients (``gradient.py``)."""
        if self._backward is None:
            self._backward = Function(gradient.backward_of(self._python_function),
                                      name=f"{self._name}_backward")
            self._backward._effects = "skip"
        return self._backward

    def _trace_once(self, key, args, kwargs):
        """(concrete, (structured result, flat outputs)) for a new key; (concrete,
        None) if another thread traced it meanwhile."""
        with self._lock:
            concrete = self._concrete.get(key)
            if concrete is not None:
                return concrete, None
            self._tracing[key] = threading.get_ident()
            try:
                concrete, result, outputs = self._trace(args, kwargs)
            finally:
                del self._tracing[key]
            self._concrete[key] = concrete
            return concrete, (result, outputs)

    def _trace(self, args, kwargs):
        first = self._tracing_count == 0
        self._tracing_count += 1
        if self._tracing_count == RETRACING_WARNING:
            warnings.warn(_retracing_message(self._name, self._tracing_count), stacklevel=5)
        rec = Recorder(self._name, allow_variables=first, effects=self._effects)
        inputs = []
        traced_args = _placeholders(args, rec, inputs)
        traced_kwargs = _placeholders(kwargs, rec, inputs)
        saved = ctx.recorder
        ctx.recorder = rec                # tapes outside keep recording the traced run
        try:
            result = self._python_function(*traced_args, **traced_kwargs)
            outputs = _output_refs(rec, result)
        finally:
            ctx.recorder = saved
        concrete = ConcreteFunction(self._name, rec, inputs, result, outputs,
                                    self._params.leaf_names(args, kwargs))
        return concrete, result, outputs

    def get_concrete_function(self, *args, **kwargs):
        """The ``ConcreteFunction`` for these arguments (traces if new). A
        ``TensorSpec`` argument stands for zeros of its shape."""
        args = _nest.pack_like(args, [a.example() if type(a) is TensorSpec else a
                                      for a in _nest.flatten(args)])
        args, kwargs, key, _ = self._signature(args, kwargs)
        concrete = self._concrete.get(key)
        if concrete is None:
            concrete, _ = self._trace_once(key, args, kwargs)
        concrete._key = key
        return concrete


RETRACING_WARNING = 10      # traces of one function before a warning (TF warns too)


def _retracing_message(name, count):
    return (f"mtf.function {name!r} has traced {count} times: each new shape, dtype or "
            f"Python value of its arguments traces again (and keeps another program). "
            f"Pass values that change between calls as Tensors, use a learning-rate "
            f"schedule rather than a changing Python float, or give the function an "
            f"input_signature.")


class _Parameters:
    """The decorated function's parameters: binds keyword arguments to positions
    (so ``f(x, training=True)`` and ``f(x, True)`` share a signature)."""

    def __init__(self, fn):
        try:
            self.signature = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None
        params = [] if self.signature is None else list(self.signature.parameters.values())
        positional = (inspect.Parameter.POSITIONAL_ONLY,
                      inspect.Parameter.POSITIONAL_OR_KEYWORD)
        self.names = [p.name for p in params if p.kind in positional]
        self.simple = (self.signature is not None
                       and all(p.kind in positional for p in params))
        self.count = len(self.names)

    def canonical(self, args, kwargs):
        """(positional args with defaults filled in, keyword-only args)."""
        if not kwargs and self.simple and len(args) == self.count or self.signature is None:
            return args, kwargs
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{e}") from None
        bound.apply_defaults()
        return tuple(bound.args), dict(bound.kwargs)

    def leaf_names(self, args, kwargs):
        """A name per input array (``x``, ``batch_1``) for ``ConcreteFunction.inputs``."""
        names = []
        for i, a in enumerate(args):
            base = self.names[i] if i < len(self.names) else f"args_{i}"
            _leaf_names(a, base, names)
        for k in sorted(kwargs, key=repr):
            _leaf_names(kwargs[k], str(k), names)
        return names


def _leaf_names(value, base, names):
    leaves = []
    call_key((value,), [], leaves)
    if len(leaves) == 1 and (type(value) is Tensor or hasattr(value, "shape")):
        names.append(base)
    else:
        names.extend(f"{base}_{k}" for k in range(len(leaves)))


def _placeholders(args, rec, inputs):
    """``args`` with each Tensor or ndarray leaf replaced by a fresh input Tensor."""
    t = type(args)
    if t is Tensor or t.__module__ == "numpy" and t.__name__ == "ndarray":
        value = args._value if t is Tensor else _to_array(args, None, False, "mtf.function")
        placeholder = rec.placeholder(value)
        inputs.append(rec.slots[id(placeholder)])
        if t is Tensor and ctx.tapes:      # a tape outside: gradients reach the argument
            _tape.record("input", (args,), placeholder, _pass_gradient, saves=False)
        return placeholder
    if t is IndexedSlices:
        return _slices(_placeholders(args.values, rec, inputs),
                       _placeholders(args.indices, rec, inputs), args.dense_shape)
    if t is tuple or t is list:
        return t(_placeholders(a, rec, inputs) for a in args)
    if t is dict:
        keys = sorted(args, key=repr)
        replaced = {k: _placeholders(args[k], rec, inputs) for k in keys}
        return {k: replaced[k] for k in args}
    return args


def _pass_gradient(g, needs):
    return (g,)


def _output_refs(rec, result):
    """The program's outputs: a ref for each Tensor of ``result``."""
    return [rec.ref(t, "return") for t in _output_tensors(result)]


def _output_tensors(result):
    """The Tensors of ``result``, in order (an IndexedSlices gives values, indices)."""
    found = []
    for leaf in _nest.flatten(result):
        if type(leaf) is Tensor:
            found.append(leaf)
        elif type(leaf) is IndexedSlices:
            found += [leaf.values, leaf.indices]
    return found


def _record_call(outer, name, concrete, args, kwargs, inner_outputs):
    """Record, in the enclosing trace, a call of a function just traced."""
    leaves = _leaf_tensors((args, kwargs))
    results = _output_tensors(concrete._structure)
    step = outer.op("call", concrete.program.run, leaves, results, label=name,
                    stateful=concrete.program.stateful, many=True)
    step.body = concrete


def _call_inside_trace(outer, name, concrete, args, kwargs, arrays):
    """Run a traced function from inside another trace, recording one call step."""
    outer_saved = ctx.recorder
    ctx.recorder = None
    try:
        result = concrete._replay(arrays)
    finally:
        ctx.recorder = outer_saved
    leaves = _leaf_tensors((args, kwargs))
    results = _output_tensors(result)
    step = outer.op("call", concrete.program.run, leaves, results, label=name,
                    stateful=concrete.program.stateful, many=True)
    step.body = concrete
    return result


def _leaf_tensors(args):
    """The Tensor/ndarray leaves of ``args`` as Tensors, in signature order."""
    found = []
    _collect(args, found)
    return found


def _collect(args, found):
    t = type(args)
    if t is Tensor:
        found.append(args)
    elif t.__module__ == "numpy" and t.__name__ == "ndarray":
        constant = _new(Tensor)
        constant._value = _to_array(args, None, False, "mtf.function")
        found.append(constant)
    elif t is IndexedSlices:
        found += [args.values, args.indices]
    elif t is tuple or t is list:
        for a in args:
            _collect(a, found)
    elif t is dict:
        for k in sorted(args, key=repr):
            _collect(args[k], found)
