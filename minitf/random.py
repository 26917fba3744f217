"""``mtf.random``: seeded random tensors with TensorFlow's seed rules, checkpointable
Generators and stateless draws.

Same global seed (``set_seed``) and same op ``seed=`` give the same numbers,
call for call (``minitf/ops/random.py``); a ``seed=`` may also be a
``Generator`` (``minitf/ops/generator.py``), whose state is a Variable that
checkpoints save; ``stateless_*`` draws are pure functions of their seed
(``minitf/ops/stateless_random.py``). Guide: ``docs/random.md``.
"""
from .ops.generator import Generator  # noqa: F401
from .ops.random import (  # noqa: F401
    categorical, normal, set_seed, shuffle, truncated_normal, uniform)
from .ops.stateless_random import stateless_normal, stateless_uniform  # noqa: F401
