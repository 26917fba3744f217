"""The checkpoint file: a zip of a JSON manifest and raw little-endian arrays.

Layout (every member stored uncompressed)::

    manifest.json   {"format": "minitf.checkpoint", "format_version": 1,
                     "minitf_version": "...", "entries": [entry, ...]}
    arrays/<i>      the bytes of one array, C order, little-endian

An entry is ``{"key", "dtype", "shape", "data", "nbytes", "crc32"}``; two keys
naming one shared Variable point at the same ``data`` member. The zip comment
is ``minitf-sha256:`` plus the hex SHA-256 of every byte before the digest, so
a truncated file or one flipped byte anywhere is caught before anything else
is parsed. Reading never unpickles: arrays come from ``np.frombuffer`` with a
dtype taken from a fixed table, and any other dtype is refused.

Writing is in ``_write.py``, reading and verifying in ``_read.py``.
"""
import numpy as np

FORMAT = "minitf.checkpoint"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DIGEST_PREFIX = b"minitf-sha256:"
DIGEST_HEX = 64
# The only dtypes a checkpoint may hold: name -> little-endian numpy dtype.
DTYPES = {name: np.dtype(name).newbyteorder("<") for name in
          ("float16", "float32", "float64", "int32", "int64")}
DTYPES["bool"] = np.dtype("bool")
MAX_RANK = 64


class CheckpointError(ValueError):
    """A checkpoint cannot be read or restored; ``problems`` lists every reason.

    Raised before anything is assigned, so no variable, slot or counter has
    changed when it propagates.
    """

    def __init__(self, summary, problems=()):
        self.problems = tuple(problems)
        lines = [summary] + [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)
