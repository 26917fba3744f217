"""Writing a checkpoint file: the manifest and arrays zipped, the digest patched in last.

The file is put in place by ``_atomic.atomic_write`` (temp file, fsync, rename).
"""
import hashlib
import json
import os
import zipfile
import zlib

import numpy as np

from ._atomic import atomic_write
from ._format import (DIGEST_HEX, DIGEST_PREFIX, DTYPES, FORMAT, FORMAT_VERSION,
                      MANIFEST)


def write_file(path, items, minitf_version):
    """Write ``items`` (``(key, ndarray)`` pairs) to ``path`` atomically.

    Arrays that are the same object (a shared Variable under two keys) are
    stored once. Returns ``path``.
    """
    members, entries = {}, []
    for key, array in items:
        dtype_name = _dtype_name(key, array)
        member = members.get(id(array))
        if member is None:
            data = np.ascontiguousarray(array, dtype=DTYPES[dtype_name])
            member = members[id(array)] = (f"arrays/{len(members)}", data, array)
        name, data, _ = member
        entries.append({"key": key, "dtype": dtype_name, "shape": list(array.shape),
                        "data": name, "nbytes": data.nbytes, "crc32": zlib.crc32(data)})
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "minitf_version": minitf_version, "entries": entries}
    arrays = [(name, data) for name, data, _ in members.values()]

    def fill(file):
        _write_zip(file, manifest, arrays)
    atomic_write(path, fill)
    return path


def _dtype_name(key, array):
    name = array.dtype.name
    if name not in DTYPES:
        raise TypeError(f"Checkpoint: cannot save {key!r} of dtype {array.dtype}; "
                        f"supported dtypes are {', '.join(DTYPES)}.")
    return name


def _write_zip(file, manifest, arrays):
    """The zip members, then the digest patched into the comment's last bytes."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        archive.comment = DIGEST_PREFIX + b"0" * DIGEST_HEX
        archive.writestr(_member_info(MANIFEST),
                         json.dumps(manifest, indent=1).encode("utf-8"))
        for name, data in arrays:
            archive.writestr(_member_info(name), memoryview(data.reshape(-1)).cast("B"))
    file.flush()
    size = file.seek(0, os.SEEK_END)
    digest = hashlib.sha256()
    file.seek(0)
    remaining = size - DIGEST_HEX
    while remaining:
        chunk = file.read(min(remaining, 1 << 20))
        digest.update(chunk)
        remaining -= len(chunk)
    file.write(digest.hexdigest().encode("ascii"))


def _member_info(name):
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info
