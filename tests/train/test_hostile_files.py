"""Hostile checkpoint files: every failure is a CheckpointError, every allocation is bounded.

A crafted file (with a valid trailer, so it reaches the deeper checks) must
not make any reader raise anything but ``CheckpointError``, change a model,
or allocate more than the file really holds: a compressed manifest is
refused before it is inflated, a data member shared by many entries is read
once, overlapping members are refused, and a restore's peak extra memory is
about one copy of the file (tracemalloc traces numpy's allocations).
"""
import contextlib
import gc
import io
import json
import math
import os
import struct
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import minitf as mtf
from minitf.train import _deferred, _read
from minitf.train.__main__ import main as cli_main

from _craft import TRAILER, craft, entry, manifest, rewrite_trailer

MIB = 1 << 20
CheckpointError = mtf.train.CheckpointError


# ---- building files

def signed_zip(path, members):
    """A zip of ``(name, payload, compression)`` members (any order, any method), signed."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = TRAILER + b"0" * 64
        for name, payload, compression in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, payload, compress_type=compression)
    rewrite_trailer(path)
    return str(path)


def manifest_bomb(path, mib, compression):
    """A valid empty manifest followed by ``mib`` MiB of spaces, compressed."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = TRAILER + b"0" * 64
        info = zipfile.ZipInfo("manifest.json", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = compression
        with archive.open(info, "w") as member:
            member.write(json.dumps(manifest([])).encode())
            for _ in range(mib):
                member.write(b" " * MIB)
    rewrite_trailer(path)
    return str(path)


def overlapping_zip(path, count, payload):
    """A signed zip of ``count`` stored float16 members whose data regions nest (each holds
    every later local header and ``payload``): together they claim ~count x the file."""
    def local(name, data):
        return struct.pack(zipfile.structFileHeader, zipfile.stringFileHeader, 20, 0, 0, 0, 0,
                           0x21, zlib.crc32(data), len(data), len(data), len(name), 0) + name
    blob, members = payload, []
    for i in reversed(range(count)):
        name = b"arrays/%05d" % i                          # even-length headers
        members.insert(0, (name, zlib.crc32(blob), len(blob)))
        blob = local(name, blob) + blob
    entries = [{"key": f"k{i}", "dtype": "float16", "shape": [size // 2],
                "data": name.decode(), "nbytes": size, "crc32": crc}
               for i, (name, crc, size) in enumerate(members)]
    raw = json.dumps(manifest(entries)).encode()
    body = local(b"manifest.json", raw) + raw
    records, offset = [(b"manifest.json", zlib.crc32(raw), len(raw), 0)], len(body)
    for name, crc, size in members:
        records.append((name, crc, size, offset))
        offset += zipfile.sizeFileHeader + len(name)
    directory = b"".join(
        struct.pack(zipfile.structCentralDir, zipfile.stringCentralDir, 20, 0, 20, 0, 0, 0,
                    0, 0x21, crc, size, size, len(name), 0, 0, 0, 0, 0, at) + name
        for name, crc, size, at in records)
    body += blob
    end = struct.pack(zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, len(records),
                      len(records), len(directory), len(body), len(TRAILER) + 64)
    with open(path, "wb") as file:
        file.write(body + directory + end + TRAILER + b"0" * 64)
    rewrite_trailer(path)
    return str(path)


# ---- a model to restore into

class Model(mtf.Module):
    def __init__(self):
        super().__init__()
        self.layer = mtf.layers.Linear(3)
        self.scale = mtf.Variable(np.float32(1.5), name="scale")

    def __call__(self, x):
        return self.layer(x) * self.scale


def target(seed=0):
    """A built model, an Adam with slots, and their Checkpoint."""
    mtf.random.set_seed(seed)
    model, opt = Model(), mtf.optimizers.Adam(0.1)
    x = np.random.default_rng(seed).normal(size=(2, 2)).astype(np.float32)
    with mtf.GradientTape() as tape:
        loss = mtf.reduce_sum(mtf.square(model(x)))
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return model, opt, mtf.train.Checkpoint(model=model, optimizer=opt)


def snapshot(objects):
    model, opt, ckpt = objects
    variables = list(model.variables) + list(opt.variables) + [ckpt.save_counter]
    return [(v.name, v.numpy().tobytes(), v._version) for v in variables]


def peak_of(call):
    """``(result or the exception raised, tracemalloc peak in bytes)`` of ``call()``."""
    tracemalloc.start()
    try:
        result = call()
    except Exception as error:  # noqa: B902 - returned to the test
        result = error
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, peak


def read_all(path):
    """``CheckpointFile(path).read_all()``, closing the file."""
    with _read.CheckpointFile(path) as file:
        return file.read_all()


def readers(path, objects=None):
    """Each reader of ``path`` as a (name, call) pair; CLI output is swallowed."""
    def cli():
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            status = cli_main([path])
        if status != 0:
            assert status == 1 and err.getvalue().startswith("error: "), err.getvalue()
            raise CheckpointError(err.getvalue())

    calls = [("list_variables", lambda: mtf.train.list_variables(path)),
             ("read_all", lambda: read_all(path)), ("cli", cli)]
    if objects is not None:
        calls.append(("restore", lambda: objects[2].restore(path).expect_partial()))
    return calls


def assert_only_checkpoint_errors(path, objects):
    """Every reader succeeds or raises exactly CheckpointError; on error the model is unchanged."""
    for name, call in readers(path, objects):
        before = snapshot(objects)
        try:
            call()
        except CheckpointError as error:
            assert type(error) is CheckpointError, name
            assert snapshot(objects) == before, name
    try:
        keys = [key for key, _ in mtf.train.list_variables(path)]
    except CheckpointError:
        return
    for key in keys[:3]:
        with contextlib.suppress(CheckpointError):
            assert isinstance(mtf.train.load_variable(path, key), np.ndarray)


# ---- item 6: a compressed manifest is refused before it is inflated

@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_DEFLATED,
                                         zipfile.ZIP_LZMA])
def test_a_compressed_manifest_bomb_is_refused_without_inflating_it(tmp_path, compression):
    path = manifest_bomb(tmp_path / "bomb.ckpt", 32, compression)     # 32 MiB inflated
    assert os.path.getsize(path) < 64 * 1024
    for name, call in readers(path, target()):
        error, peak = peak_of(call)
        assert isinstance(error, CheckpointError), name
        assert "compressed" in str(error), (name, str(error))
        assert peak < 2 * MIB, (name, peak)


# ---- item 7: members are read once, and never claim more than the file

def test_a_member_shared_by_many_entries_is_read_once(tmp_path):
    payload = np.arange(MIB // 4, dtype="<f4").tobytes()
    entries = [entry(f"v{i}", "float32", [MIB // 4], "arrays/0", payload) for i in range(64)]
    path = craft(tmp_path / "shared.ckpt", manifest(entries), {"arrays/0": payload})
    size = os.path.getsize(path)
    with _read.CheckpointFile(path) as file:
        arrays, peak = peak_of(file.read_all)
    assert peak < 1.2 * size, (peak, size)
    assert len(arrays) == 64 and all(np.shares_memory(a, arrays["v0"]) for a in arrays.values())
    np.testing.assert_array_equal(arrays["v63"], np.arange(MIB // 4, dtype=np.float32))
    status, peak = peak_of(lambda: mtf.train.Checkpoint().restore(path).expect_partial())
    assert not isinstance(status, Exception) and peak < 1.2 * size, (status, peak)


def test_overlapping_members_are_refused_before_any_is_read(tmp_path):
    payload = np.arange(MIB // 2, dtype="<f2").tobytes()
    path = overlapping_zip(tmp_path / "overlap.ckpt", 40, payload)     # claims ~40 MiB
    size = os.path.getsize(path)
    error, peak = peak_of(lambda: read_all(path))
    assert isinstance(error, CheckpointError) and "overlapping members" in str(error), error
    assert peak < 1.2 * size, (peak, size)      # the digest's buffer; no member was read
    # One member on its own fits in the file and reads correctly.
    np.testing.assert_array_equal(mtf.train.load_variable(path, "k39"),
                                  np.frombuffer(payload, "<f2"))


@pytest.mark.parametrize("member", ["manifest.json", "arrays/0"])
def test_a_member_claiming_more_than_the_file_is_refused(tmp_path, member):
    good = np.zeros(8, np.float32).tobytes()
    claimed = 2**32 - 2
    entries = [entry("v", "float32", [claimed // 4], "arrays/0", good)]
    entries[0]["nbytes"] = claimed
    path = craft(tmp_path / "claims.ckpt", manifest(entries), {"arrays/0": good})
    data = bytearray(open(path, "rb").read())
    record = data.rindex(member.encode()) - zipfile.sizeCentralDir   # its directory record
    assert data[record:record + 4] == zipfile.stringCentralDir
    struct.pack_into("<2L", data, record + 20, claimed, claimed)     # compress/file sizes
    open(path, "wb").write(bytes(data))
    rewrite_trailer(path)
    error, peak = peak_of(lambda: read_all(path))
    assert isinstance(error, CheckpointError) and str(claimed) in str(error), error
    assert peak < MIB


@pytest.mark.parametrize("member", ["manifest.json", "arrays/0"])
@pytest.mark.parametrize("field, at, value", [
    ("extract version 12.7", 6, b"\x7f"), ("strong encryption flag", 8, b"\x40\x00"),
    ("patched data flag", 8, b"\x20\x00"), ("encryption flag", 8, b"\x01\x00"),
    ("compression 99", 10, b"\x63\x00")], ids=lambda v: v if isinstance(v, str) else "")
def test_unsupported_zip_directory_fields_raise_checkpoint_error(tmp_path, member, field, at,
                                                                 value):
    path = mtf.train.Checkpoint(v=mtf.Variable([1.0, 2.0])).write(str(tmp_path / "c"))
    data = bytearray(open(path, "rb").read())
    record = data.rindex(member.encode()) - zipfile.sizeCentralDir   # its directory record
    assert data[record:record + 4] == zipfile.stringCentralDir
    data[record + at:record + at + len(value)] = value
    open(path, "wb").write(bytes(data))
    rewrite_trailer(path)
    assert_only_checkpoint_errors(path, target())
    with pytest.raises(CheckpointError):
        read_all(path)


# ---- item 8: absurd shapes, and the memory of a restore

ABSURD_SHAPES = [[0, 2**70], [2**40, 2**40], [0, 2**62, 2**62], [0, 2**63], [2**31, 2**31, 0],
                 [True, 2], [2.0], [-1], [0.5, 0], [10**68] * 64, [1] * 65, [[2]], "2", None]


@pytest.mark.parametrize("shape", ABSURD_SHAPES, ids=lambda s: str(s)[:24])
def test_absurd_shapes_raise_checkpoint_error(tmp_path, shape):
    dims = shape if isinstance(shape, list) and all(isinstance(d, int) for d in shape) else []
    bad = {"key": "model/scale", "dtype": "float32", "shape": shape, "data": "arrays/0",
           "nbytes": math.prod(dims) * 4 % 2**64, "crc32": 0}
    path = craft(tmp_path / "s.ckpt", manifest([bad]), {"arrays/0": b""})
    objects = target()
    before = snapshot(objects)
    for name, call in readers(path, objects) + [
            ("load_variable", lambda: mtf.train.load_variable(path, "model/scale"))]:
        with pytest.raises(CheckpointError, match="shape") as info:
            call()
        assert type(info.value) is CheckpointError, name
    assert snapshot(objects) == before


@pytest.fixture(scope="module")
def big_checkpoint(tmp_path_factory):
    """A 32 MiB checkpoint of three variables, and a function making its twin structure."""
    def structure(fill):
        return mtf.train.Checkpoint(
            a=mtf.Variable(np.full((1024, 4096), fill, np.float32)),
            b=mtf.Variable(np.full((512, 2048), fill, np.float64)),
            c=mtf.Variable(np.full((2048, 1024), int(fill), np.int32)))
    path = structure(3.0).write(str(tmp_path_factory.mktemp("big") / "big.ckpt"))
    return path, structure


def test_restore_peaks_at_most_1_1x_the_file_size(big_checkpoint):
    path, structure = big_checkpoint
    size = os.path.getsize(path)
    ckpt = structure(0.0)
    status, peak = peak_of(lambda: ckpt.restore(path))
    status.assert_consumed()
    assert peak <= 1.1 * size, f"peak {peak / size:.2f}x the file"
    assert float(ckpt.a.numpy()[-1, -1]) == 3.0 and int(ckpt.c.numpy()[0, 0]) == 3


def test_opening_streams_the_digest_instead_of_reading_the_file(big_checkpoint):
    path, _ = big_checkpoint
    file, peak = peak_of(lambda: _read.CheckpointFile(path))
    file.close()
    assert peak < 2 * MIB, peak


# ---- fuzzing: crafted manifests, and mutated bytes

MEMBERS = ["arrays/0", "arrays/1", "arrays/2", "manifest.json", "absent"]
COMPRESSIONS = [zipfile.ZIP_STORED] * 9 + [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                           zipfile.ZIP_LZMA]
GARBAGE = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                    st.text(max_size=4), st.lists(st.integers(-3, 3), max_size=3),
                    st.dictionaries(st.text(max_size=3), st.integers(0, 9), max_size=2))
EDGES = st.sampled_from([0, 1, 3, 2**31, 2**62, 2**63, 2**64, 2**70])
DIMS = st.one_of(EDGES, st.integers(-2, 2**70), st.booleans(), st.floats(0, 3))
FIELDS = {"key": st.one_of(st.sampled_from(["", "ghost", "model/ghost/w"]), GARBAGE),
          "dtype": st.one_of(st.sampled_from(["object", "<f4", "complex64", "uint8", "bool",
                                              "int64"]), GARBAGE),
          "shape": st.one_of(st.lists(DIMS, max_size=4), GARBAGE),
          "data": st.one_of(st.sampled_from(MEMBERS), GARBAGE),
          "nbytes": st.one_of(st.integers(0, 64), GARBAGE),
          "crc32": st.one_of(st.integers(-1, 2**33), GARBAGE)}


@st.composite
def hostile_files(draw, arrays):
    """``(manifest bytes, its compression, [(name, payload, compression)])`` mixing real
    entries of ``arrays``, entries with one field replaced, and garbage."""
    members, entries = {}, []
    for index in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["real"] * 3 + ["mutated", "shape", "shape", "garbage"]))
        if kind == "garbage":
            entries.append(draw(GARBAGE))
            continue
        key = draw(st.sampled_from(sorted(arrays)))
        payload = arrays[key].tobytes()
        name = draw(st.sampled_from([f"arrays/u{index}"] * 6 + MEMBERS[:3]))
        item = entry(key, arrays[key].dtype.name, arrays[key].shape, name, payload)
        if kind == "mutated":
            field = draw(st.sampled_from(sorted(FIELDS)))
            item[field] = draw(FIELDS[field])
        elif kind == "shape":       # an odd shape, with nbytes (member, crc) agreeing
            item["shape"] = draw(st.lists(st.one_of(EDGES, DIMS), min_size=1, max_size=4))
            item["nbytes"] = math.prod(int(d) for d in item["shape"]) * arrays[key].itemsize
            if 0 <= item["nbytes"] <= 64:
                payload = bytes(item["nbytes"])
                item["crc32"] = zlib.crc32(payload)
        members.setdefault(name, payload)
        entries.append(item)
    if draw(st.integers(0, 3)) == 0:
        members[draw(st.sampled_from(MEMBERS[:3]))] = draw(st.binary(max_size=40))
    document = manifest(entries)
    if draw(st.integers(0, 9)) == 0:
        document = draw(st.sampled_from([[document], "x", {**document, "entries": {}},
                                         {**document, "format_version": True}]))
    raw = json.dumps(document).encode()
    if draw(st.integers(0, 9)) == 0:
        depth = draw(st.integers(1, 100000))
        raw = b"[" * depth + b"]" * depth
    compressed = [(name, payload, draw(st.sampled_from(COMPRESSIONS)))
                  for name, payload in members.items()]
    return raw, draw(st.sampled_from(COMPRESSIONS)), compressed


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    """A directory, a model to restore into, a valid small file and its arrays."""
    directory = tmp_path_factory.mktemp("fuzz")
    good = target(seed=9)[2].write(str(directory / "good.ckpt"))
    with _read.CheckpointFile(good) as file:
        arrays = {key: np.array(value) for key, value in file.read_all().items()}
    env = {"dir": directory, "objects": target(), "good": good, "arrays": arrays}
    yield env
    env.clear()
    gc.collect()        # values waiting for variables that never came die with the model
    assert _deferred.pending_keys() == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_crafted_manifests_raise_only_checkpoint_error(fuzz, data):
    raw, manifest_compression, members = data.draw(hostile_files(fuzz["arrays"]))
    path = signed_zip(fuzz["dir"] / "case.ckpt",
                      [("manifest.json", raw, manifest_compression)] + members)
    assert_only_checkpoint_errors(path, fuzz["objects"])


TOKENS = st.sampled_from([b"{", b"}", b"[", b"]", b",", b":", b'"', b"-1", b"0", b"1e999",
                          b"1.5", b"null", b"true", b'"\\ud800"', b"18446744073709551616", b""])
PATCHES = st.one_of(TOKENS, TOKENS, st.binary(min_size=1, max_size=4),
                    st.sampled_from([b"\xff\xff\xff\xff", b"\0\0\0\0", b"\xff\xff\xff\x7f"]))


def splice(data, start, end, edits):
    """``data`` with each ``(fraction, patch)`` replacing as many bytes in [start, end)."""
    data = bytearray(data)
    for fraction, patch in edits:
        at = start + int(fraction * (end - start))
        data[at:at + len(patch)] = patch[:max(0, end - at)]
    return bytes(data)


@settings(max_examples=300, deadline=None)
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), PATCHES),
                      min_size=1, max_size=3),
       where=st.sampled_from(["manifest", "anywhere"]))
def test_mutated_bytes_raise_only_checkpoint_error(fuzz, edits, where):
    """Manifest text spliced (zip rebuilt, so its CRCs hold), or any byte of the zip
    (headers, directory, end record) overwritten; then re-signed."""
    good, path = fuzz["good"], str(fuzz["dir"] / "mutated.ckpt")
    if where == "manifest":
        with zipfile.ZipFile(good) as archive:
            members = {name: archive.read(name) for name in archive.namelist()}
        text = members.pop("manifest.json")
        craft(path, splice(text, 0, len(text), edits), members)
    else:
        data = open(good, "rb").read()
        open(path, "wb").write(splice(data, 0, len(data) - 64, edits))
        rewrite_trailer(path)
    assert_only_checkpoint_errors(path, fuzz["objects"])
