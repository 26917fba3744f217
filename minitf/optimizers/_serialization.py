"""``get``, ``serialize`` and ``deserialize``: optimizers by name or config dict."""
from . import _config
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base import Optimizer
from .ftrl import Ftrl
from .lion import Lion
from .nadam import Nadam
from .rmsprop import RMSprop
from .sgd import SGD

_BUILTIN = {cls.__name__: cls for cls in (
    SGD, RMSprop, Adagrad, Adadelta, Adam, AdamW, Adamax, Nadam, Ftrl, Lion)}
_BY_LOWER_NAME = {name.lower(): cls for name, cls in _BUILTIN.items()}


def serialize(optimizer):
    """``{"class_name": ..., "config": ...}``, JSON-serialisable."""
    return _config.serialize(optimizer, Optimizer, "an Optimizer")


def deserialize(config, custom_objects=None):
    """A new optimizer from ``serialize``'s output; ``custom_objects`` maps names to classes."""
    cls = _config.class_for(config, custom_objects, _BUILTIN, "optimizer", _BY_LOWER_NAME)
    return cls.from_config(config["config"], custom_objects=custom_objects)


def get(identifier):
    """An optimizer from a name (``"adam"``, case-insensitive), a config dict or itself.

    ``None`` gives ``None`` (Keras 3: no optimizer).
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _BY_LOWER_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown optimizer name {identifier!r}. Known: "
                             f"{sorted(_BY_LOWER_NAME)}")
        return cls()
    raise TypeError(f"optimizers.get: could not interpret optimizer identifier; pass a "
                    f"name, a config dict, an Optimizer or None. Received: "
                    f"identifier={identifier!r}")
