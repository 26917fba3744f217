"""The checkpoint file format: manifest, raw little-endian arrays, trailer, atomic writes."""
import hashlib
import json
import os
import pickle
import threading
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
from minitf.train import _read, _write

from _craft import craft, entry, manifest

DTYPES = ["float16", "float32", "float64", "int32", "int64", "bool"]


def random_array(rng, dtype, shape):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("int"):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    return rng.normal(size=shape).astype(dtype) * 1e3


@given(dtype=st.sampled_from(DTYPES),
       shape=st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple),
       seed=st.integers(0, 2**16))
def test_round_trip_of_every_dtype_and_shape(tmp_path_factory, dtype, shape, seed):
    array = random_array(np.random.default_rng(seed), dtype, shape)
    path = str(tmp_path_factory.mktemp("rt") / "a.ckpt")
    _write.write_file(path, [("x", array)], "v")
    with _read.CheckpointFile(path) as file:
        back = file.read_all()["x"]
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    assert back.tobytes() == array.tobytes()


def test_layout_manifest_raw_bytes_and_trailer(tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    flag = np.array([True, False])
    v = mtf.Variable(w)
    path = mtf.train.Checkpoint(w=v, flag=mtf.Variable(flag)).write(str(tmp_path / "c"))
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        entries = {e["key"]: e for e in manifest["entries"]}
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        raw_w = archive.read(entries["w"]["data"])
        raw_flag = archive.read(entries["flag"]["data"])
    assert manifest["format"] == "minitf.checkpoint" and manifest["format_version"] == 1
    assert manifest["minitf_version"] == mtf.__version__
    assert entries["w"]["dtype"] == "float32" and entries["w"]["shape"] == [2, 3]
    assert raw_w == w.astype("<f4").tobytes() and raw_flag == b"\x01\x00"
    assert entries["w"]["crc32"] == zlib.crc32(raw_w) and entries["w"]["nbytes"] == 24
    data = open(path, "rb").read()
    assert data[-78:-64] == b"minitf-sha256:"
    assert data[-64:] == hashlib.sha256(data[:-64]).hexdigest().encode()


def test_big_endian_input_is_stored_little_endian(tmp_path):
    array = np.arange(4, dtype=">i4")
    path = _write.write_file(str(tmp_path / "c"), [("x", array)], "v")
    with zipfile.ZipFile(path) as archive:
        assert archive.read("arrays/0") == np.arange(4, dtype="<i4").tobytes()
    np.testing.assert_array_equal(mtf.train.load_variable(path, "x"), [0, 1, 2, 3])


def test_every_flipped_bit_and_every_truncation_is_caught(tmp_path):
    path = _write.write_file(str(tmp_path / "c"),
                              [("a", np.arange(3, dtype=np.float64)), ("b", np.int32(7))], "v")
    data = open(path, "rb").read()
    bad = str(tmp_path / "bad")
    cases = [data[:n] for n in range(len(data))]
    cases += [data[:i] + bytes([data[i] ^ (1 << (i % 8))]) + data[i + 1:]
              for i in range(len(data))]
    for case in cases:
        with open(bad, "wb") as file:
            file.write(case)
        with pytest.raises(mtf.train.CheckpointError), _read.CheckpointFile(bad) as file:
            file.read_all()


def test_reading_never_unpickles_or_uses_np_load(tmp_path, monkeypatch):
    path = mtf.train.Checkpoint(v=mtf.Variable([1.0, 2.0])).write(str(tmp_path / "c"))

    def forbidden(*args, **kwargs):
        raise AssertionError("unpickling or np.load was called")
    for module, name in [(pickle, "loads"), (pickle, "load"), (pickle, "Unpickler"),
                         (np, "load")]:
        monkeypatch.setattr(module, name, forbidden)
    np.testing.assert_array_equal(mtf.train.load_variable(path, "v"), [1.0, 2.0])
    mtf.train.Checkpoint(v=mtf.Variable([0.0, 0.0])).read(path).assert_consumed()


def test_unsupported_dtypes_cannot_be_saved(tmp_path):
    with pytest.raises(TypeError, match=r"cannot save 'x' of dtype uint8.*float16"):
        _write.write_file(str(tmp_path / "c"), [("x", np.zeros(2, np.uint8))], "v")
    with pytest.raises(TypeError, match="dtype complex64"):
        _write.write_file(str(tmp_path / "c"), [("y", np.zeros(2, np.complex64))], "v")
    assert os.listdir(tmp_path) == []


def test_atomic_write_replaces_the_file_and_leaves_no_temp(tmp_path):
    path = str(tmp_path / "c")
    v = mtf.Variable([1.0])
    ckpt = mtf.train.Checkpoint(v=v)
    ckpt.write(path)
    old_handle = open(path, "rb")
    old_bytes = old_handle.read()
    v.assign([2.0])
    ckpt.write(path)
    old_handle.seek(0)
    assert old_handle.read() == old_bytes       # the old file was replaced, not rewritten
    old_handle.close()
    assert os.listdir(tmp_path) == ["c"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    assert mtf.train.load_variable(path, "v")[0] == 2.0


def test_checkpoint_error_lists_problems():
    error = mtf.train.CheckpointError("Summary:", ["first", "second"])
    assert error.problems == ("first", "second")
    assert str(error) == "Summary:\n  - first\n  - second"
    assert isinstance(error, ValueError)


def test_keys_sharing_a_variable_read_as_views_of_one_array(tmp_path):
    shared = mtf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    path = mtf.train.Checkpoint(a=shared, b=shared).write(str(tmp_path / "c"))
    with _read.CheckpointFile(path) as file:
        assert file.entries["a"]["data"] == file.entries["b"]["data"]
        arrays = file.read_all()
        single = file.read("b")
    assert np.shares_memory(arrays["a"], arrays["b"]) and arrays["a"].base.nbytes == 24
    assert not arrays["a"].flags.writeable and arrays["a"].dtype.isnative
    np.testing.assert_array_equal(single, shared.numpy())


def test_bool_members_hold_only_zeros_and_ones(tmp_path):
    payload = bytes([0, 1, 2, 1])
    path = craft(tmp_path / "b.ckpt", manifest([entry("b", "bool", [4], "arrays/0", payload)]),
                 {"arrays/0": payload})
    with pytest.raises(mtf.train.CheckpointError,
                       match="'b': bool data member .* other than 0 and 1"):
        mtf.train.load_variable(path, "b")


def test_reads_come_from_the_file_opened_even_if_the_path_is_replaced(tmp_path):
    first = mtf.train.Checkpoint(v=mtf.Variable([1.0, 2.0])).write(str(tmp_path / "a"))
    second = mtf.train.Checkpoint(v=mtf.Variable([7.0, 8.0, 9.0])).write(str(tmp_path / "b"))
    with _read.CheckpointFile(first) as file:
        os.replace(second, first)
        np.testing.assert_array_equal(file.read_all()["v"], [1.0, 2.0])
    assert file._file.closed
    np.testing.assert_array_equal(mtf.train.load_variable(first, "v"), [7.0, 8.0, 9.0])


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    outcome = []

    def list_fifo():
        try:
            mtf.train.list_variables(fifo)
        except mtf.train.CheckpointError as error:
            outcome.append(error)
    reader = threading.Thread(target=list_fifo, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():       # a reader stuck in open(): unblock it before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert outcome and "not a regular file" in str(outcome[0]), outcome


def test_a_manifest_over_the_cap_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(_read, "MAX_MANIFEST_BYTES", 4096)
    entries = [entry(f"v{i}", "float32", [0], "arrays/0", b"") for i in range(100)]
    path = craft(tmp_path / "big.ckpt", manifest(entries), {"arrays/0": b""})
    assert os.path.getsize(path) > 4096
    with pytest.raises(mtf.train.CheckpointError,
                       match="claims .* bytes, more than the 4096 allowed"):
        mtf.train.list_variables(path)


def test_the_cli_escapes_control_characters_in_keys(tmp_path, capsys):
    from minitf.train.__main__ import main
    payload = np.float32(1.0).tobytes()
    path = craft(tmp_path / "k.ckpt", manifest([entry("a\x1b[2Jb", "float32", [], "arrays/0",
                                                      payload)]), {"arrays/0": payload})
    assert main([path]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "'a\\x1b[2Jb'" in out
