"""``{"class_name": ..., "config": ...}`` dicts of optimizers and schedules; default names."""
import re


def serialize(obj, base, a_kind):
    """``obj``'s class name and ``get_config()``; TypeError unless ``obj`` is a ``base``."""
    if not isinstance(obj, base):
        raise TypeError(f"serialize expects {a_kind}. Received: {type(obj).__name__} {obj!r}")
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def class_for(config, custom_objects, builtin, kind, by_lower_name=None):
    """The class a ``serialize`` dict names: from ``custom_objects``, else ``builtin``,
    else (if given) ``by_lower_name`` with the name lower-cased."""
    if not isinstance(config, dict) or not {"class_name", "config"} <= set(config):
        raise ValueError(f"deserialize expects a dict with 'class_name' and 'config'. "
                         f"Received: {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or builtin.get(name)
    if cls is None and by_lower_name is not None:
        cls = by_lower_name.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown {kind} {name!r}; pass its class in "
                         f"custom_objects={{{name!r}: cls}}. Known: {sorted(builtin)}")
    return cls


def to_snake_case(name):
    """A class name as Keras 3 makes it a default name: ``"MomentumSGD"`` -> ``"momentum_sgd"``.

    Keras's ``to_snake_case``; Keras then adds a counter (``"heavy_ball_1"``),
    minitf does not (names are not uniquified, as TF2 variable names).
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
