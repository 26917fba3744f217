"""Reading a checkpoint file, which is untrusted input: nothing it declares is believed.

``CheckpointFile(path)`` opens the file once and keeps that one descriptor for
every later read, so a concurrent atomic rename of ``path`` cannot mix two
files. It checks, in order:

1. the SHA-256 trailer, streamed over the open file 1 MiB at a time (the
   file is never read into memory whole);
2. the zip directory (parsed by ``zipfile`` from the open file);
3. the manifest: a *stored* member of at most ``MAX_MANIFEST_BYTES`` and
   never more than the file, UTF-8 JSON, then every entry's key, dtype,
   shape (each dim a non-negative int, the array representable by numpy)
   and byte count.

``read(key)`` and ``read_all()`` then read each data member once, straight
into a fresh ``uint8`` numpy array of its size (located through its local
header, whose signature and name are checked), and verify its CRC-32 on that
array; entries naming one member get read-only views of the one array. A
member must be stored, lie inside the file, and the members read together
may not claim more bytes than the file holds, so overlapping members cannot
multiply memory: a read allocates at most the file's size in arrays, plus
1 MiB for the digest and a bounded multiple of the manifest for its parse.

Nothing is unpickled or executed: dtypes come from a fixed table, and any
failure is a ``CheckpointError`` naming the file, the key and what is wrong.
"""
import hashlib
import json
import math
import os
import reprlib
import stat
import struct
import threading
import zipfile
import zlib

import numpy as np

from ._format import (DIGEST_HEX, DIGEST_PREFIX, DTYPES, FORMAT, FORMAT_VERSION,
                      MANIFEST, MAX_RANK, CheckpointError, _is_int)

CHUNK = 1 << 20                 # the digest is computed this many bytes at a time
MAX_MANIFEST_BYTES = 64 << 20   # a larger manifest is refused before it is read
MAX_LISTED = 100                # malformed manifest entries listed in one error
_MAX_NBYTES = 2**63 - 1         # numpy cannot hold an array larger than this
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")   # zip local file header, APPNOTE 4.3.7
_LOCAL_SIGNATURE = b"PK\x03\x04"
_UTF8_NAME = 0x800              # general purpose flag: the member name is UTF-8
_UNSUPPORTED_FLAGS = 0x61       # encrypted, patched data, strong encryption
# What zipfile may raise on a damaged or hostile zip directory.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, struct.error, EOFError, OSError,
               ValueError, OverflowError, IndexError, KeyError, NotImplementedError)

_brief = reprlib.Repr()
_brief.maxstring = _brief.maxother = 80
_brief.maxlong = 40


def _q(value):
    """A short repr of an untrusted value for an error message (long ones are elided)."""
    return _brief.repr(value)


class _Bad(Exception):
    """Why a zip member cannot be used; the caller adds the file and the key."""


class CheckpointFile:
    """An open, verified checkpoint: ``manifest``, ``entries`` (by key), ``read(key)``.

    Opening checks the digest and the manifest and keeps the file open (use
    ``with`` or ``close()``); ``read_all`` checks every array's size and CRC
    and raises one ``CheckpointError`` listing all problems.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._file = _open(self.path)
        try:
            self.size = _check_digest(self.path, self._file)
            self._zip = _open_zip(self.path, self._file)
            self.manifest = self._read_manifest()
            self.entries = _check_manifest(self.path, self.manifest)
        except BaseException:
            self._file.close()
            raise

    def close(self):
        """Close the file; the manifest and entries stay readable."""
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def read(self, key):
        """The array stored under ``key`` (read-only), after its size and CRC checks."""
        arrays, problems = self._load([self.entries[key]])
        if problems:
            raise CheckpointError(f"Checkpoint {self.path!r} is corrupt:", problems)
        return arrays[key]

    def read_all(self):
        """``{key: array}`` for every entry, or ``CheckpointError`` listing every problem."""
        arrays, problems = self._load(list(self.entries.values()))
        if problems:
            raise CheckpointError(f"Checkpoint {self.path!r} is corrupt:", problems)
        return arrays

    def _read_manifest(self):
        """The parsed manifest, read only if stored and small; CheckpointError otherwise."""
        limit = min(MAX_MANIFEST_BYTES, self.size)
        try:
            info = _stored_member(self._zip, MANIFEST, limit)
            raw, crc = self._read_member(info)
            if crc != info.CRC:
                raise _Bad(f"{MANIFEST} does not match its CRC-32")
            return json.loads(str(raw, "utf-8"))
        except (_Bad, OSError, struct.error, ValueError, RecursionError, MemoryError) as cause:
            raise CheckpointError(f"{self.path!r} is not a valid checkpoint: cannot read "
                                  f"its manifest ({_cause(cause)}).") from None

    def _load(self, entries):
        """``({key: array}, problems)`` for ``entries``, reading each data member once."""
        groups = {}
        for entry in entries:
            groups.setdefault(entry["data"], []).append(entry)
        located, problems = self._locate(groups)
        arrays = {}
        for name, info in located.items():
            try:
                raw, crc = self._read_member(info)
            except (_Bad, OSError, struct.error, MemoryError) as cause:
                problems += [f"{_q(e['key'])}: cannot read data member {_q(name)} "
                             f"({_cause(cause)})" for e in groups[name]]
                continue
            for entry in groups[name]:
                array, problem = _view(raw, crc, info, entry)
                if problem:
                    problems.append(problem)
                else:
                    arrays[entry["key"]] = array
        return arrays, problems

    def _locate(self, groups):
        """``({name: ZipInfo}, problems)``: the members fit to read, within the file's size."""
        located, problems = {}, []
        for name, group in groups.items():
            try:
                info = _stored_member(self._zip, name, self.size)
            except _Bad as cause:
                problems += [f"{_q(e['key'])}: {cause}" for e in group]
                continue
            wrong = [e for e in group if e["nbytes"] != info.file_size]
            problems += [f"{_q(e['key'])}: data member {_q(name)} holds {info.file_size} "
                         f"bytes (compression {info.compress_type}); expected {e['nbytes']} "
                         f"stored bytes" for e in wrong]
            if len(wrong) < len(group):
                located[name] = info
        claimed = sum(info.file_size for info in located.values())
        if claimed > self.size:
            problems.append(f"its data members claim {claimed} bytes in all, more than the "
                            f"file's {self.size} bytes (overlapping members)")
            located = {}
        return located, problems

    def _read_member(self, info):
        """``(read-only uint8 array, CRC-32)`` of a stored member, read straight from the file."""
        with self._lock:        # one file position: threads sharing this object take turns
            start = _data_offset(self._file, info, self.size)
            raw = np.empty(info.file_size, np.uint8)
            _fill(self._file, start, raw)
        raw.flags.writeable = False
        return raw, zlib.crc32(raw)


def _fill(file, start, raw):
    """Read ``raw.nbytes`` bytes from ``start`` straight into ``raw`` (no intermediate copy)."""
    file.seek(start)
    with memoryview(raw) as view:
        filled = 0
        while filled < len(view):
            count = file.readinto(view[filled:])
            if not count:
                raise _Bad(f"the file ends {len(view) - filled} bytes early")
            filled += count


def _cause(cause):
    """The text of an exception met while reading the manifest or a member."""
    if isinstance(cause, MemoryError):
        return "out of memory"
    return getattr(cause, "strerror", None) or str(cause)


def _view(raw, crc, info, entry):
    """``(array, None)`` viewing ``raw`` as ``entry`` declares it, or ``(None, problem)``."""
    key, name = _q(entry["key"]), _q(info.filename)
    if crc != entry["crc32"]:
        return None, f"{key}: CRC mismatch in data member {name}"
    if crc != info.CRC:
        return None, f"{key}: data member {name} does not match the CRC-32 in its zip directory"
    if entry["dtype"] == "bool" and raw.size and raw.max() > 1:
        return None, f"{key}: bool data member {name} holds bytes other than 0 and 1"
    try:
        array = raw.view(DTYPES[entry["dtype"]])
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
            array.flags.writeable = False
        return array.reshape(entry["shape"]), None
    except (ValueError, TypeError, MemoryError) as cause:
        return None, f"{key}: cannot view data member {name} as its shape ({cause})"


def _open(path):
    """``path`` opened for binary reading; CheckpointError unless it is a regular file."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)     # non-blocking: opening a FIFO must not hang
    except (OSError, ValueError) as cause:
        raise CheckpointError(f"Cannot open checkpoint {path!r}: "
                              f"{getattr(cause, 'strerror', None) or cause}.") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CheckpointError(f"Cannot open checkpoint {path!r}: not a regular file.")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _check_digest(path, file):
    """The file's size, once its trailer matches the SHA-256 of every byte before it."""
    try:
        size = os.fstat(file.fileno()).st_size
        tail = len(DIGEST_PREFIX) + DIGEST_HEX
        file.seek(max(size - tail, 0))
        trailer = file.read(tail)
        if size < tail or trailer[:-DIGEST_HEX] != DIGEST_PREFIX:
            raise CheckpointError(f"{path!r} is not a minitf checkpoint, or is truncated: "
                                  f"its integrity trailer is missing ({size} bytes).")
        if _sha256(file, size - DIGEST_HEX).encode("ascii") != trailer[-DIGEST_HEX:]:
            raise CheckpointError(f"Checkpoint {path!r} is corrupt: its SHA-256 digest does "
                                  f"not match its contents (damaged or truncated file).")
    except OSError as cause:
        raise CheckpointError(f"Cannot read checkpoint {path!r}: "
                              f"{cause.strerror or cause}.") from None
    return size


def _sha256(file, length):
    """Hex SHA-256 of the first ``length`` bytes of ``file`` read CHUNK bytes at a time ("" if
    the file ends first, as when it shrinks while being read)."""
    digest, buffer = hashlib.sha256(), memoryview(bytearray(min(CHUNK, length)))
    file.seek(0)
    while length:
        count = file.readinto(buffer[:min(length, CHUNK)])
        if not count:
            return ""
        digest.update(buffer[:count])
        length -= count
    return digest.hexdigest()


def _open_zip(path, file):
    """The zip directory of the open file; CheckpointError if it cannot be parsed."""
    try:
        return zipfile.ZipFile(file)
    except _ZIP_ERRORS as cause:
        raise CheckpointError(f"{path!r} is not a valid checkpoint: cannot read its zip "
                              f"directory ({cause}).") from None


def _stored_member(archive, name, limit):
    """The ZipInfo of member ``name``, which must exist, be stored and hold <= ``limit`` bytes."""
    info = archive.NameToInfo.get(name)
    if info is None:
        raise _Bad(f"member {_q(name)} is missing")
    if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
        raise _Bad(f"member {_q(name)} is compressed (compression {info.compress_type}, "
                   f"{info.compress_size} bytes for {info.file_size}); members must be "
                   f"stored")
    if info.flag_bits & _UNSUPPORTED_FLAGS:
        raise _Bad(f"member {_q(name)} is encrypted or patched (flags {info.flag_bits:#x}); "
                   f"members must be plain")
    if info.file_size > limit:
        raise _Bad(f"member {_q(name)} claims {info.file_size} bytes, more than the "
                   f"{limit} allowed")
    return info


def _data_offset(file, info, size):
    """Where ``info``'s bytes start, from its local header (signature and name checked)."""
    if not 0 <= info.header_offset <= size - _LOCAL_HEADER.size:
        raise _Bad(f"member {_q(info.filename)} starts outside the file")
    file.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(file.read(_LOCAL_HEADER.size))
    name_length, extra_length = fields[-2:]
    if fields[0] != _LOCAL_SIGNATURE:
        raise _Bad(f"member {_q(info.filename)} has no local header at its offset")
    encoding = "utf-8" if info.flag_bits & _UTF8_NAME else "cp437"
    if file.read(name_length).decode(encoding, "replace") != info.orig_filename:
        raise _Bad(f"member {_q(info.filename)}: its local header names another member")
    start = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    if start + info.file_size > size:
        raise _Bad(f"member {_q(info.filename)} claims {info.file_size} bytes from offset "
                   f"{start}, past the end of the file ({size} bytes)")
    return start


def _check_manifest(path, manifest):
    """``{key: entry}`` from a manifest, or ``CheckpointError`` listing every problem."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{path!r} is not a minitf checkpoint (manifest format "
                              f"{_q(_get(manifest, 'format'))}).")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or not _is_int(version):
        raise CheckpointError(f"{path!r} has format version {_q(version)}; this minitf "
                              f"reads version {FORMAT_VERSION}.")
    raw_entries = manifest.get("entries")
    if not isinstance(raw_entries, list):
        raise CheckpointError(f"{path!r}: manifest 'entries' must be a list.")
    entries, problems = {}, []
    for index, entry in enumerate(raw_entries):
        problem = _entry_problem(entry)
        key = entry.get("key") if isinstance(entry, dict) else None
        if problem is None and key in entries:
            problem = f"duplicate key {_q(key)}"
        if problem:
            problems.append(f"entry {index}: {problem}")
        else:
            entries[key] = entry
    if problems:
        raise CheckpointError(f"Checkpoint {path!r} has an invalid manifest:",
                              _listed(problems))
    return entries


def _listed(problems):
    """At most MAX_LISTED problems, then how many more (a hostile list can be huge)."""
    if len(problems) <= MAX_LISTED:
        return problems
    return problems[:MAX_LISTED] + [f"... and {len(problems) - MAX_LISTED} more"]


def _get(mapping, name):
    return mapping.get(name) if isinstance(mapping, dict) else None


def _entry_problem(entry):
    """Why a manifest entry is malformed, or None."""
    if not isinstance(entry, dict):
        return f"expected an object, got {type(entry).__name__}"
    key, dtype, shape = entry.get("key"), entry.get("dtype"), entry.get("shape")
    if not isinstance(key, str) or not key:
        return f"bad key {_q(key)}"
    if not isinstance(dtype, str) or dtype not in DTYPES:
        return f"{_q(key)}: unsupported dtype {_q(dtype)} (allowed: {', '.join(DTYPES)})"
    problem = _shape_problem(shape, DTYPES[dtype].itemsize)
    if problem:
        return f"{_q(key)}: {problem}"
    if not isinstance(entry.get("data"), str):
        return f"{_q(key)}: bad data member {_q(entry.get('data'))}"
    nbytes, crc = entry.get("nbytes"), entry.get("crc32")
    expected = math.prod(shape) * DTYPES[dtype].itemsize
    if not _is_int(nbytes) or nbytes != expected:
        return (f"{_q(key)}: nbytes {_q(nbytes)} does not match shape {tuple(shape)} "
                f"and dtype {dtype} ({expected} bytes)")
    if not _is_int(crc) or not 0 <= crc < 2**32:
        return f"{_q(key)}: bad crc32 {_q(crc)}"
    return None


def _shape_problem(shape, itemsize):
    """Why ``shape`` is not the shape of an array numpy can hold, or None."""
    if (not isinstance(shape, list) or len(shape) > MAX_RANK
            or not all(_is_int(d) and 0 <= d <= _MAX_NBYTES for d in shape)):
        return f"bad shape {_q(shape)} (expected at most {MAX_RANK} ints >= 0)"
    if math.prod(d for d in shape if d) * itemsize > _MAX_NBYTES:
        return f"shape {_q(shape)} is too large for any array"
    return None
