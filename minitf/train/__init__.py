"""``mtf.train``: checkpoints.

``Checkpoint`` saves Modules, Optimizers (their ``iterations`` and slots) and
Variables by object path into one zip file of a JSON manifest and raw arrays,
and restores them all-or-nothing, deferring values for variables that do not
exist yet. ``CheckpointManager`` numbers and prunes checkpoints in a
directory. ``python -m minitf.train FILE`` lists a file's keys, shapes and
dtypes. The format and the choices made are described in docs/checkpoints.md.
"""
from ._format import CheckpointError  # noqa: F401
from .checkpoint import Checkpoint  # noqa: F401
from .checkpoint_utils import list_variables, load_variable  # noqa: F401
from .manager import CheckpointManager  # noqa: F401
