"""Writing a checkpoint file atomically: a temp file beside the target, fsynced, renamed."""
import hashlib
import json
import os
import zipfile
import zlib

import numpy as np

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


def atomic_write(path, fill):
    """Call ``fill(file)`` on a fresh temp file beside ``path``, then rename it over ``path``.

    The temp file is flushed and fsynced before the rename and the directory
    after it. If ``fill`` raises, the temp file is removed and ``path`` is
    untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp, fd = _create_temp(directory, os.path.basename(path))
    try:
        with os.fdopen(fd, "w+b") as file:
            fill(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _create_temp(directory, base):
    """A new file ``.<base>.<random>.tmp`` in ``directory`` (mode from the umask)."""
    while True:
        tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            return tmp, os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue


def _fsync_directory(directory):
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
