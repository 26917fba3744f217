"""Flatten and rebuild nested lists, tuples, namedtuples and dicts (sorted keys)."""


def flatten(structure):
    """The leaves of ``structure`` in order (dicts by sorted key)."""
    if _is_flat(structure):
        return list(structure)
    leaves = []
    _flatten_into(structure, leaves)
    return leaves


def _flatten_into(structure, leaves):
    if isinstance(structure, dict):
        for key in sorted(structure):
            _flatten_into(structure[key], leaves)
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            _flatten_into(item, leaves)
    else:
        leaves.append(structure)


def _is_flat(structure):
    """Whether ``structure`` is a plain list or tuple of leaves (the common case)."""
    if type(structure) is not list and type(structure) is not tuple:
        return False
    for item in structure:
        if isinstance(item, (dict, list, tuple)):
            return False
    return True


def pack_like(structure, leaves):
    """Rebuild ``structure`` with its leaves replaced, in ``flatten`` order."""
    if _is_flat(structure):
        return type(structure)(leaves)
    it = iter(leaves)
    return _pack(structure, it)


def _pack(structure, it):
    if isinstance(structure, dict):
        packed = {key: _pack(structure[key], it) for key in sorted(structure)}
        return type(structure)((key, packed[key]) for key in structure)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*(_pack(item, it) for item in structure))
    if isinstance(structure, (list, tuple)):
        return type(structure)(_pack(item, it) for item in structure)
    return next(it)
