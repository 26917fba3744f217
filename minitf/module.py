"""Module: a named container of Variables and other Modules (the tf.Module RFC).

One walker, ``_flatten_module``, finds everything: it reads only instance
attributes (``vars(module)``, never properties), sorted by name, looks inside
lists, tuples, namedtuples (paths name their fields) and dicts (sorted keys),
and yields a module's own matching leaves before walking each direct
submodule's whole subtree. Values are read afresh on every walk, so
attributes set at any time are seen at once.

Speed: for the built-in predicates (variables, submodules) the walker needs
only the attributes that can hold a Variable or Module. Each module keeps the
sorted names of those (``_attribute_index``, a slot, so not in ``vars``),
dropped by ``__setattr__`` whenever such a value is assigned and rebuilt when
the number of attributes changes. The one thing it cannot see is a value
written straight into ``__dict__`` over an existing plain attribute
(``reset_attributes``, which writes ``__dict__``, drops the index itself).
"""
import functools
import re

from . import _weights
from ._context import ctx, name_scope
from .tensor import Variable

_CAMEL_TO_SNAKE = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")
_VALID_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_NESTED = (list, tuple, dict)


def camel_to_snake(value):
    """``"HTTPServer"`` -> ``"http_server"`` (TensorFlow's rule)."""
    return _CAMEL_TO_SNAKE.sub(r"_\1", value).lower()


class Module:
    """Base class for stateful components: named, scoped, and self-describing.

    >>> class Dense(mtf.Module):
    ...     def __init__(self, n_in, n_out, name=None):
    ...         super().__init__(name=name)
    ...         with self.name_scope:
    ...             self.w = mtf.Variable(mtf.ones([n_in, n_out]), name="w")
    >>> d = Dense(3, 2)
    >>> d.w.name
    'dense/w:0'
    >>> d.variables == (d.w,)
    True
    """

    __slots__ = ("__dict__", "__weakref__", "_attribute_index")

    # Attribute names the walker skips (override in a subclass, as a frozenset).
    _MODULE_IGNORED_PROPERTIES = frozenset()

    def __init__(self, name=None):
        if name is None:
            name = camel_to_snake(type(self).__name__)
        elif not isinstance(name, str) or not _VALID_IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be "
                             f"valid Python identifiers (e.g. a valid class name).")
        self._name = name
        self._name_scope = name_scope(f"{ctx.scope}{name}/")

    @property
    def name(self):
        """The name given to (or derived for) this module, without scopes."""
        return self._name

    @property
    def name_scope(self):
        """The scope captured at construction: enclosing scopes + name + ``/``.

        >>> with mtf.name_scope("encoder"):
        ...     m = mtf.Module(name="mlp")
        >>> m.name_scope.name
        'encoder/mlp/'
        """
        return self._name_scope

    @property
    def variables(self):
        """All Variables of this module and its submodules, each once.

        >>> m = mtf.Module()
        >>> m.b, m.a = mtf.Variable(1.0), mtf.Variable(2.0, trainable=False)
        >>> m.variables == (m.a, m.b)
        True
        """
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self):
        """The trainable Variables among ``variables``, in the same order.

        >>> m = mtf.Module()
        >>> m.b, m.a = mtf.Variable(1.0), mtf.Variable(2.0, trainable=False)
        >>> m.trainable_variables == (m.b,)
        True
        """
        return tuple(self._flatten(predicate=_is_trainable_variable))

    @property
    def non_trainable_variables(self):
        """The non-trainable Variables among ``variables``, in the same order.

        >>> m = mtf.Module()
        >>> m.b, m.a = mtf.Variable(1.0), mtf.Variable(2.0, trainable=False)
        >>> m.non_trainable_variables == (m.a,)
        True
        """
        return tuple(self._flatten(predicate=_is_non_trainable_variable))

    def get_weights(self):
        """Writable numpy copies of ``variables``, in that order (as Keras)."""
        return _weights.get_weights(self.variables)

    def set_weights(self, weights):
        """Assign ``variables`` (in order) from arrays of their shapes and dtypes; all
        are checked first, so a ``ValueError`` changes nothing."""
        variables = self.variables
        _weights.assign_all(variables, _weights.checked_arrays("set_weights", variables,
                                                               weights))

    def load_weights(self, mapping):
        """Assign the Variables named by ``mapping``'s keys, paths relative to this
        module as in checkpoints (``{"layers/0/w": array}``); float arrays are cast to
        the variable's dtype. A shape mismatch raises ``ValueError`` and changes
        nothing. Returns the keys that name no Variable."""
        return _weights.load_weights(self, mapping)

    @property
    def submodules(self):
        """All Modules reachable from this one (itself excluded), each once.

        >>> a, b, c = mtf.Module(), mtf.Module(), mtf.Module()
        >>> a.b, b.c = b, c
        >>> a.submodules == (b, c)
        True
        """
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive=True, predicate=None, attribute_traversal_key=None,
                 with_path=False):
        """Leaves of this module's attributes (and submodules') that match ``predicate``.

        Attributes are visited sorted by ``attribute_traversal_key`` (as
        ``sorted``'s ``key``; default: by name). Without ``with_path`` each
        object is yielded once (identity). With ``with_path`` yields
        ``(path, leaf)`` once per path, e.g. ``("encoder", "layers", 0, "w")``;
        a module met again below itself (a cycle) has its own leaves listed
        but is not descended into.
        """
        return _flatten_module(self, recursive, predicate or _always,
                               attribute_traversal_key, with_path)

    @classmethod
    def with_name_scope(cls, method):
        """Decorator: run ``method`` inside the module's name scope.

        >>> class Scaled(mtf.Module):
        ...     @mtf.Module.with_name_scope
        ...     def __call__(self, x):
        ...         if not hasattr(self, "w"):
        ...             self.w = mtf.Variable(2.0, name="w")
        ...         return x * self.w
        >>> s = Scaled()
        >>> float(s(3.0)), s.w.name
        (6.0, 'scaled/w:0')
        """
        @functools.wraps(method)
        def method_with_name_scope(self, *args, **kwargs):
            if _call_hooks:
                return _hooked_call(self, method, args, kwargs)
            with self.name_scope:
                return method(self, *args, **kwargs)
        method_with_name_scope._name_scoped = True
        return method_with_name_scope

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, _STRUCTURAL):
            object.__setattr__(self, "_attribute_index", None)
            if _setattr_hooks:
                for hook in tuple(_setattr_hooks):
                    hook(self, name, value)

    def __repr__(self):
        return "\n".join(_repr_lines(self, (id(self),)))


def reset_attributes(module, saved):
    """Make ``module``'s attributes exactly ``saved`` (a ``dict(vars(module))``), no hooks run.

    Undoes a failed lazy build (``minitf/layers/_utils.py``): attributes set
    since are deleted, changed ones get their saved value back (by identity;
    lists or dicts changed in place stay changed).
    """
    attributes = vars(module)
    attributes.clear()
    attributes.update(saved)
    object.__setattr__(module, "_attribute_index", None)


def _always(_):
    return True


def _is_variable(obj):
    return isinstance(obj, Variable)


def _is_trainable_variable(obj):
    return isinstance(obj, Variable) and obj._trainable


def _is_non_trainable_variable(obj):
    return isinstance(obj, Variable) and not obj._trainable


def _is_module(obj):
    return isinstance(obj, Module)


# A predicate may declare the only type it can accept (``_leaf_types``); the
# walker then never calls it on other leaves (ints, strings, scopes, ...),
# which keeps the properties fast; ``_exact`` says it accepts every instance,
# so it need not be called at all. Predicates without hints see every leaf.
_is_variable._leaf_types = Variable
_is_variable._exact = True
_is_trainable_variable._leaf_types = Variable
_is_non_trainable_variable._leaf_types = Variable
_is_module._leaf_types = Module
_is_module._exact = True

# What the walker does with a leaf, decided once per (predicate hint, type):
# bit 1: test it with the predicate; bit 2: walk into it (a Module); else
# skip it, or look inside it (a container).
_TEST, _WALK, _SKIP, _CONTAINER = 1, 2, 4, 8
_KIND_TABLES = {}  # leaf_types -> {type: kind}
# Values that can hold what the built-in predicates look for.
_STRUCTURAL = (Variable, Module, list, tuple, dict)
# Callables run as hook(module, name, value) after such a value is set as an
# attribute. Checkpoints register one only while deferred restorations are
# pending (minitf/train/_deferred.py); it is empty otherwise.
_setattr_hooks = []
# Objects told about every name-scoped method call (``mtf.viz`` records module
# calls with one: minitf/viz/_calls.py); ``enter(module, method_name, args,
# kwargs)`` returns a token that ``exit(token, result, failed)`` gets back.
# Empty otherwise, so a call pays one truth test.
_call_hooks = []


def _hooked_call(module, method, args, kwargs):
    """Run a name-scoped method, telling each call hook when it starts and ends."""
    hooks = tuple(_call_hooks)
    tokens = [hook.enter(module, method.__name__, args, kwargs) for hook in hooks]
    result, failed = None, True
    try:
        with module.name_scope:
            result = method(module, *args, **kwargs)
        failed = False
    finally:
        for hook, token in zip(reversed(hooks), reversed(tokens)):
            hook.exit(token, result, failed)
    return result


def _classify(cls, leaf_types, table):
    testable = _TEST if issubclass(cls, leaf_types) else 0
    if issubclass(cls, Module):
        kind = _WALK | testable
    elif issubclass(cls, _NESTED):
        kind = _CONTAINER
    else:
        kind = testable or _SKIP
    table[cls] = kind
    return kind


def _flatten_module(root, recursive, predicate, traversal_key, with_path):
    """The walker behind every property (see the module docstring for the order).

    Depth-first with an explicit stack (no generator per level). Without
    paths, ``seen`` (ids) yields each object once and enters each module
    once. With paths, ``ancestors`` (ids of the modules above) stops a cycle
    after one level.
    """
    leaf_types = getattr(predicate, "_leaf_types", object)
    kinds = _KIND_TABLES.setdefault(leaf_types, {})
    kind_of = kinds.get
    exact = getattr(predicate, "_exact", False)
    indexed = traversal_key is None and leaf_types is not object
    seen = None if with_path else {id(root)}
    stack = [(root, (), ())]
    while stack:
        module, path, ancestors = stack.pop()
        descend = recursive and id(module) not in ancestors
        if with_path:
            ancestors += (id(module),)
        children = []
        for item in _module_leaves(module, indexed, traversal_key, with_path):
            leaf = item[1] if with_path else item
            kind = kind_of(type(leaf)) or _classify(type(leaf), leaf_types, kinds)
            if kind is _SKIP:
                continue
            if seen is not None:
                leaf_id = id(leaf)
                if leaf_id in seen:
                    continue
                seen.add(leaf_id)
            if kind & _TEST and (exact or predicate(leaf)):
                yield (path + item[0], leaf) if with_path else leaf
            if kind & _WALK and descend:
                children.append((leaf, path + item[0] if with_path else (), ancestors))
        if children:
            children.reverse()
            stack += children


def _module_leaves(module, indexed, traversal_key, with_path):
    """The leaves of ``module``'s attributes in walking order (``(path, leaf)`` with paths)."""
    attributes = vars(module)
    if indexed:
        try:
            index = module._attribute_index
        except AttributeError:
            index = None
        if index is None or index[0] != len(attributes):
            index = _build_index(module, attributes)
        if not (with_path or index[2]):
            return map(attributes.get, index[1])
        names = index[1]
    else:
        ignored = module._MODULE_IGNORED_PROPERTIES
        names = [name for name in sorted(attributes, key=traversal_key)
                 if name not in ignored]
    leaves = []
    for name in names:
        value = attributes.get(name)
        if isinstance(value, _NESTED):
            _collect_leaves(module, name, value, leaves, with_path)
        else:
            leaves.append(((name,), value) if with_path else value)
    return leaves


def _build_index(module, attributes):
    """Cache the sorted names of the attributes that may hold Variables or Modules.

    The index is ``(attribute count, names, any container among them)``.
    """
    ignored = module._MODULE_IGNORED_PROPERTIES
    names = sorted(name for name, value in attributes.items()
                   if isinstance(value, _STRUCTURAL) and name not in ignored)
    index = (len(attributes), tuple(names),
             any(isinstance(attributes[name], _NESTED) for name in names))
    object.__setattr__(module, "_attribute_index", index)
    return index


def _collect_leaves(module, name, value, out, with_path):
    """Append the leaves inside a list/tuple/dict attribute (with their paths)."""
    try:
        _collect(value, (name,) if with_path else None, out)
    except TypeError as cause:
        raise ValueError(f"Error processing property {name!r} of "
                         f"{type(module).__name__}: {cause}") from cause


def _collect(value, path, out):
    """Leaves in order (dicts by sorted key); ``(path, leaf)`` unless ``path`` is None.

    Path segments are list and tuple indices, dict keys and namedtuple field
    names (TensorFlow's ``nest.flatten_with_tuple_paths``).
    """
    keys = sorted(value) if isinstance(value, dict) else range(len(value))
    names = _field_names(value) if path is not None else None
    for key in keys:
        item = value[key]
        segment = key if names is None else names[key]
        if isinstance(item, _NESTED):
            _collect(item, None if path is None else path + (segment,), out)
        else:
            out.append(item if path is None else (path + (segment,), item))


def _field_names(value):
    """A namedtuple's field names (its path segments), or None for other containers."""
    if type(value) in (list, tuple, dict) or not isinstance(value, tuple):
        return None
    fields = getattr(value, "_fields", None)
    if (isinstance(fields, tuple) and len(fields) == len(value)
            and all(isinstance(f, str) for f in fields)):
        return fields
    return None


def _format_path(module, path):
    """A ``_flatten`` path below ``module`` as Python would spell it.

    ``("layers", 0, "w")`` -> ``"layers[0]['w']"``; a namedtuple field is an
    attribute: ``("params", "weight")`` -> ``"params.weight"``.
    """
    head, *rest = path
    text, value = str(head), vars(module).get(head)
    for key in rest:
        names = _field_names(value)
        if names is not None and key in names:
            text, value = f"{text}.{key}", getattr(value, key)
        else:
            text += f"[{key!r}]"
            try:
                value = value[key]
            except (LookupError, TypeError):
                value = None
    return text


def _repr_lines(module, ancestors):
    """PyTorch-style tree: own variables' shapes in the header, submodules indented."""
    own = module._flatten(recursive=False, predicate=_is_variable, with_path=True)
    header = [f"name={getattr(module, '_name', '?')!r}"]
    header += [f"{_format_path(module, path)}={tuple(v.shape)}" for path, v in own]
    head = f"{type(module).__name__}({', '.join(header)}"
    children = list(module._flatten(recursive=False, predicate=_is_module,
                                    with_path=True))
    if not children:
        return [head + ")"]
    lines = [head]
    for path, child in children:
        label = f"  ({_format_path(module, path)}): "
        if id(child) in ancestors:
            lines.append(f"{label}<cycle: {type(child).__name__} {child._name!r}>")
            continue
        sub = _repr_lines(child, ancestors + (id(child),))
        lines.append(label + sub[0])
        lines += ["  " + line for line in sub[1:]]
    lines.append(")")
    return lines
