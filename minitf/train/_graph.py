"""Object paths: the checkpoint keys of everything reachable from a Checkpoint.

A key is the path of attribute names, list indices, dict keys and namedtuple
field names from the root, joined by ``/``: ``model/encoder/layers/0/w``. An
optimizer's own state is keyed under its path (``optimizer/iterations``,
``optimizer/learning_rate``); a slot under the optimizer's path, then the
path of the variable it belongs to as found from the root, then the slot name
(``optimizer/model/encoder/layers/0/w/momentum``).
Segments escape ``%`` and ``/`` as ``%25`` and ``%2F``.

Checkpoints expose their children through ``_checkpoint_dependencies()``;
Modules are walked with ``Module._flatten(with_path=True)``; Optimizers are
leaves whose state is listed here.
"""
from ..module import Module, _field_names
from ..optimizers.base import Optimizer
from ..tensor import Variable

_TRACKED = (Variable, Optimizer)
_CONTAINERS = (list, tuple, dict)


def quote(segment):
    """One path segment as it appears in a key."""
    return str(segment).replace("%", "%25").replace("/", "%2F")


def join(path):
    """``("layers", 0, "w")`` -> ``"layers/0/w"``."""
    return "/".join(quote(segment) for segment in path)


def split(key):
    """``"layers/0/w"`` -> ``("layers", "0", "w")`` (segments as strings)."""
    # "%" only ever starts an escape, so "%2F" is always one; undo it first.
    return tuple(segment.replace("%2F", "/").replace("%25", "%")
                 for segment in key.split("/"))


def is_checkpoint(obj):
    return hasattr(type(obj), "_checkpoint_dependencies")


def unwrap(obj):
    """The object a wrapper saves as (a DistributedOptimizer saves its optimizer's state)."""
    target = getattr(type(obj), "_checkpoint_target", None)
    return target(obj) if target is not None else obj


def check_trackable(name, obj):
    """TypeError unless ``obj`` can be saved in a checkpoint."""
    if not (isinstance(obj, (Variable, Module, Optimizer)) or is_checkpoint(obj)):
        raise TypeError(f"Checkpoint: {name}={type(obj).__name__} cannot be saved; pass "
                        f"Modules, Optimizers, Variables or Checkpoints.")


def collect(root):
    """``[(key, variable)]`` for everything reachable from ``root`` (slots last).

    A variable reachable along several paths is listed under each of them; a
    slot is listed under its variable's first path. Slots of variables not
    reachable from ``root`` are not saved (as TensorFlow).
    """
    found, optimizers = [], []
    _walk(root, (), (), found, optimizers)
    first_paths = {}
    for path, var in found:
        first_paths.setdefault(id(var), path)
    items = [(join(path), var) for path, var in found]
    for opt_path, opt in optimizers:
        for var, slot_name, slot in opt._slot_variables():
            var_path = first_paths.get(id(var))
            if var_path is not None:
                items.append((join(opt_path + var_path + (slot_name,)), slot))
    return items


def _walk(obj, path, ancestors, found, optimizers):
    """Append ``(path, variable)`` pairs and ``(path, optimizer)`` pairs below ``obj``."""
    if isinstance(obj, Variable):
        found.append((path, obj))
    elif id(obj) in ancestors:
        return
    elif isinstance(obj, Optimizer):
        optimizers.append((path, obj))
        found.extend((path + (name,), var) for name, var in optimizer_variables(obj))
    elif isinstance(obj, Module):
        ancestors += (id(obj),)
        for sub, leaf in obj._flatten(with_path=True, predicate=_is_tracked):
            _walk(leaf, path + sub, ancestors, found, optimizers)
    elif is_checkpoint(obj):
        ancestors += (id(obj),)
        for name, child in sorted(obj._checkpoint_dependencies().items()):
            _walk(child, path + (name,), ancestors, found, optimizers)


def _is_tracked(obj):
    return isinstance(obj, _TRACKED) or is_checkpoint(obj)


def optimizer_variables(opt):
    """``[(name, variable)]``: an optimizer's own state (``iterations``,
    ``learning_rate`` when it is a number, ...), not slots."""
    # State variables are named "<optimizer>/<name>:0"; the key uses <name>.
    return [(var.name.rsplit("/", 1)[-1].rsplit(":", 1)[0], var)
            for var in opt._own_variables()]


def existing_slot(opt, var, slot_name):
    """The slot ``slot_name`` of ``var`` if ``opt`` has made it, else None."""
    try:
        return opt.get_slot(var, slot_name)
    except ValueError:
        return None


def build_slots(opt, var):
    """Have ``opt`` create ``var``'s slots now (as its first update would)."""
    opt._ensure_built([var])


def locate(start, segments):
    """Follow ``segments`` from ``start`` as far as the objects exist.

    Returns one of:
    ``("variable", var)``: the path ends at an existing Variable;
    ``("optimizer", opt, rest)``: the path enters an Optimizer;
    ``("missing", anchor, rest)``: ``rest`` is missing below ``anchor``, the
    last Module or Checkpoint on the way (where it may be set later);
    ``None``: the path cannot name a variable (it runs through a value that
    is not a Module, Checkpoint, container or Optimizer, or ends elsewhere).
    """
    obj, anchor, anchor_at = start, start, 0
    for i, segment in enumerate(segments):
        if isinstance(obj, (Module,)) or is_checkpoint(obj):
            anchor, anchor_at = obj, i
        if isinstance(obj, Optimizer):
            return ("optimizer", obj, segments[i:])
        child = _child(obj, segment)
        if child is _MISSING or child is None:     # None: a placeholder set before building
            return ("missing", anchor, segments[anchor_at:])
        if child is _INVALID:
            return None
        obj = child
    return ("variable", obj) if isinstance(obj, Variable) else None


_MISSING, _INVALID = object(), object()


def _child(obj, segment):
    """The child of ``obj`` named by a key segment, ``_MISSING`` or ``_INVALID``."""
    if isinstance(obj, Module):
        if segment in obj._MODULE_IGNORED_PROPERTIES:
            return _INVALID
        return vars(obj).get(segment, _MISSING)
    if is_checkpoint(obj):
        return obj._checkpoint_dependencies().get(segment, _MISSING)
    if isinstance(obj, dict):
        if segment in obj:
            return obj[segment]
        for key in obj:
            if not isinstance(key, str) and str(key) == segment:
                return obj[key]
        return _MISSING
    if isinstance(obj, (list, tuple)):
        names = _field_names(obj)
        if names is not None and segment in names:
            return getattr(obj, segment)
        if not segment.isdigit():       # (a namedtuple's index: files written before
            return _INVALID             # fields were named by name still restore)
        index = int(segment)
        return obj[index] if index < len(obj) else _MISSING
    return _INVALID
