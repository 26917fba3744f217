"""``mtf.vectorized_map``: trace a function on one example, run the trace on a batch."""
from .api import vectorized_map  # noqa: F401
