"""Reading a checkpoint file: verify the digest and the manifest, then each array."""
import hashlib
import io
import json
import math
import os
import zipfile
import zlib

import numpy as np

from ._format import (DIGEST_HEX, DIGEST_PREFIX, DTYPES, FORMAT, FORMAT_VERSION,
                      MANIFEST, MAX_RANK, CheckpointError, _is_int)


class CheckpointFile:
    """A verified checkpoint file: ``manifest``, ``entries`` (by key) and ``read(key)``.

    Opening checks the digest and the manifest; ``read_all`` checks every
    array's size and CRC and raises one ``CheckpointError`` listing all
    problems.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        data = _read_bytes(self.path)
        _check_digest(self.path, data)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            manifest = json.loads(self._zip.read(MANIFEST).decode("utf-8"))
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError,
                RecursionError) as cause:
            raise CheckpointError(f"{self.path!r} is not a valid checkpoint: cannot read "
                                  f"its manifest ({cause}).") from None
        self.manifest = manifest
        self.entries = _check_manifest(self.path, manifest)

    def read(self, key):
        """The array stored under ``key`` (read-only), after its size and CRC checks."""
        array, problem = self._load(self.entries[key])
        if problem:
            raise CheckpointError(f"Checkpoint {self.path!r} is corrupt:", [problem])
        return array

    def read_all(self):
        """``{key: array}`` for every entry, or ``CheckpointError`` listing every problem."""
        arrays, problems = {}, []
        for key, entry in self.entries.items():
            array, problem = self._load(entry)
            if problem:
                problems.append(problem)
            arrays[key] = array
        if problems:
            raise CheckpointError(f"Checkpoint {self.path!r} is corrupt:", problems)
        return arrays

    def _load(self, entry):
        """(array, None) or (None, problem) for one manifest entry."""
        key = entry["key"]
        try:
            info = self._zip.getinfo(entry["data"])
        except KeyError:
            return None, f"{key!r}: data member {entry['data']!r} is missing"
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != entry["nbytes"]:
            return None, (f"{key!r}: data member {info.filename!r} holds {info.file_size} "
                          f"bytes (compression {info.compress_type}); expected "
                          f"{entry['nbytes']} stored bytes")
        try:
            raw = self._zip.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as cause:
            return None, f"{key!r}: cannot read data member {info.filename!r} ({cause})"
        if zlib.crc32(raw) != entry["crc32"]:
            return None, f"{key!r}: CRC mismatch in data member {info.filename!r}"
        array = np.frombuffer(raw, dtype=DTYPES[entry["dtype"]])
        native = array.dtype.newbyteorder("=")
        return array.astype(native, copy=False).reshape(entry["shape"]), None


def _read_bytes(path):
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as cause:
        raise CheckpointError(f"Cannot open checkpoint {path!r}: {cause.strerror or cause}."
                              ) from None


def _check_digest(path, data):
    """Raise unless ``data`` ends with a digest matching every byte before it."""
    tail = len(DIGEST_PREFIX) + DIGEST_HEX
    if len(data) < tail or data[-tail:-DIGEST_HEX] != DIGEST_PREFIX:
        raise CheckpointError(f"{path!r} is not a minitf checkpoint, or is truncated: "
                              f"its integrity trailer is missing ({len(data)} bytes).")
    expected = data[-DIGEST_HEX:]
    if hashlib.sha256(data[:-DIGEST_HEX]).hexdigest().encode("ascii") != expected:
        raise CheckpointError(f"Checkpoint {path!r} is corrupt: its SHA-256 digest does "
                              f"not match its contents (damaged or truncated file).")


def _check_manifest(path, manifest):
    """``{key: entry}`` from a manifest, or ``CheckpointError`` listing every problem."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{path!r} is not a minitf checkpoint (manifest format "
                              f"{_get(manifest, 'format')!r}).")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path!r} has format version {version!r}; this minitf "
                              f"reads version {FORMAT_VERSION}.")
    raw_entries = manifest.get("entries")
    if not isinstance(raw_entries, list):
        raise CheckpointError(f"{path!r}: manifest 'entries' must be a list.")
    entries, problems = {}, []
    for index, entry in enumerate(raw_entries):
        problem = _entry_problem(entry)
        key = entry.get("key") if isinstance(entry, dict) else None
        if problem is None and key in entries:
            problem = f"duplicate key {key!r}"
        if problem:
            problems.append(f"entry {index}: {problem}")
        else:
            entries[key] = entry
    if problems:
        raise CheckpointError(f"Checkpoint {path!r} has an invalid manifest:", problems)
    return entries


def _get(mapping, name):
    return mapping.get(name) if isinstance(mapping, dict) else None


def _entry_problem(entry):
    """Why a manifest entry is malformed, or None."""
    if not isinstance(entry, dict):
        return f"expected an object, got {type(entry).__name__}"
    key, dtype, shape = entry.get("key"), entry.get("dtype"), entry.get("shape")
    if not isinstance(key, str) or not key:
        return f"bad key {key!r}"
    if not isinstance(dtype, str) or dtype not in DTYPES:
        return f"{key!r}: unsupported dtype {dtype!r} (allowed: {', '.join(DTYPES)})"
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or not all(_is_int(d) and d >= 0 for d in shape)):
        return f"{key!r}: bad shape {shape!r}"
    if not isinstance(entry.get("data"), str):
        return f"{key!r}: bad data member {entry.get('data')!r}"
    nbytes = math.prod(shape) * DTYPES[dtype].itemsize
    if entry.get("nbytes") != nbytes or not _is_int(entry.get("crc32")):
        return (f"{key!r}: nbytes {entry.get('nbytes')!r} does not match shape "
                f"{tuple(shape)} and dtype {dtype} ({nbytes} bytes), or bad crc32")
    return None
