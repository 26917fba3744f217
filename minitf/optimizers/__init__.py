"""Optimizers: one unified set with Keras 3 defaults and formulas.

Every name is listed explicitly. docs/custom_optimizer.md shows how to write
your own from the public hooks ``build``, ``update_step``,
``sparse_update_step`` and ``get_config``. A sparse (IndexedSlices) gradient
gives the dense update of its densified form; the built-ins compute only its
rows where that is exact, and with ``lazy=True`` update only its rows.
"""
from . import schedules  # noqa: F401
from .base import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adadelta import Adadelta  # noqa: F401
from .adam import Adam  # noqa: F401
from .adamw import AdamW  # noqa: F401
from .adamax import Adamax  # noqa: F401
from .nadam import Nadam  # noqa: F401
from .ftrl import Ftrl  # noqa: F401
from .lion import Lion  # noqa: F401
from ._serialization import deserialize, get, serialize  # noqa: F401
