"""Damaged or hostile files raise CheckpointError and change nothing.

Every test restores a bad file into a trained model + optimizer + checkpoint
counter and then compares every variable (values as bytes, and version
counters) with a snapshot taken before.
"""
import os
import pathlib
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import minitf as mtf
from minitf.train import _deferred

from _craft import craft, entry, manifest

HERE = pathlib.Path(__file__).parent


class Model(mtf.Module):
    def __init__(self, hidden=4):
        super().__init__()
        self.layers = [mtf.layers.Linear(hidden), mtf.layers.Linear(2)]
        self.scale = mtf.Variable(np.float32(1.5), name="scale")

    def __call__(self, x):
        return self.layers[1](mtf.tanh(self.layers[0](x))) * self.scale


def trained(hidden=4, dtype=np.float32, seed=0, steps=2):
    """A built model, an Adam with slots, and their Checkpoint (save_counter = 1)."""
    mtf.random.set_seed(seed)
    model, opt = Model(hidden), mtf.optimizers.Adam(0.1)
    x = np.random.default_rng(seed).normal(size=(3, 5)).astype(dtype)
    if dtype != np.float32:
        model.scale = mtf.Variable(dtype(1.5), name="scale")
    for _ in range(steps):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.square(model(x)))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
    ckpt = mtf.train.Checkpoint(model=model, optimizer=opt)
    ckpt.save_counter.assign(1)
    return model, opt, ckpt


def everything(model, opt, ckpt):
    return list(model.variables) + list(opt.variables) + [ckpt.save_counter]


def snapshot(objects):
    return [(v.name, v.numpy().tobytes(), v._version) for v in everything(*objects)]


@pytest.fixture
def good_file(tmp_path):
    _, _, ckpt = trained(seed=1, steps=3)
    return ckpt.write(str(tmp_path / "good.ckpt"))


@pytest.fixture
def target():
    return trained(seed=2, steps=1)


def assert_restore_fails_and_changes_nothing(objects, path, *fragments):
    before = snapshot(objects)
    with pytest.raises(mtf.train.CheckpointError) as info:
        objects[2].restore(path)
    assert snapshot(objects) == before
    assert _deferred.pending_keys() == []
    for fragment in fragments:
        assert fragment in str(info.value)
    return info.value


def test_the_good_file_restores_every_variable(good_file, target):
    before = snapshot(target)
    target[2].restore(good_file).assert_consumed()
    after = snapshot(target)
    assert [b for _, b, _ in after] != [b for _, b, _ in before]
    assert all(v2 == v1 + 1 for (_, _, v1), (_, _, v2) in zip(before, after))


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, -65, -1])
def test_truncated_file(tmp_path, good_file, target, keep):
    data = pathlib.Path(good_file).read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    bad = tmp_path / "truncated.ckpt"
    bad.write_bytes(data[:n])
    assert_restore_fails_and_changes_nothing(target, str(bad), "truncated")


def test_flipped_byte_anywhere(tmp_path, good_file, target):
    data = pathlib.Path(good_file).read_bytes()
    bad = tmp_path / "flipped.ckpt"
    for position in list(range(0, len(data), 37)) + [len(data) - 1]:
        flipped = bytearray(data)
        flipped[position] ^= 0x10
        bad.write_bytes(bytes(flipped))
        error = assert_restore_fails_and_changes_nothing(target, str(bad))
        assert "corrupt" in str(error) or "not a minitf checkpoint" in str(error)


def test_wrong_shapes_are_all_listed(tmp_path, target):
    _, _, other = trained(hidden=7)      # layer 0 has 7 units instead of 4
    path = other.write(str(tmp_path / "wide.ckpt"))
    error = assert_restore_fails_and_changes_nothing(target, path, "nothing was changed")
    wrong = ["model/layers/0/w", "model/layers/0/b", "model/layers/1/w"]
    wrong += [f"optimizer/{key}/{slot}" for key in wrong for slot in ("momentum", "velocity")]
    assert sorted(p.split("'")[1] for p in error.problems) == sorted(wrong)
    assert "(5, 7)" in str(error) and "(5, 4)" in str(error)


def test_wrong_dtype(tmp_path, target):
    _, _, other = trained(dtype=np.float64)
    path = other.write(str(tmp_path / "f64.ckpt"))
    error = assert_restore_fails_and_changes_nothing(target, path, "float64", "float32")
    assert len(error.problems) == 15     # 5 variables and their 10 Adam slots


class _TouchOnLoad:
    """Unpickling this object creates ``marker`` (a stand-in for arbitrary code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def pickled_object_array(marker):
    """``np.save`` bytes of an object array whose loading would create ``marker``."""
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.array([_TouchOnLoad(marker), None], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_the_pickle_payload_is_live(tmp_path):
    """Sanity check of the weapon: numpy with allow_pickle=True does run it."""
    import io
    marker = tmp_path / "proof"
    np.load(io.BytesIO(pickled_object_array(marker)), allow_pickle=True)
    assert marker.exists()


@pytest.mark.parametrize("declared", ["object", "O", "|O", "float32"])
def test_pickled_object_array_executes_nothing(tmp_path, target, declared):
    marker = tmp_path / "pwned"
    payload = pickled_object_array(marker)
    raw_pickle = pickle.dumps(_TouchOnLoad(marker))
    entries = [entry("model/scale", declared, [2], "arrays/0", payload),
               entry("model/layers/0/b", declared, [4], "arrays/1", raw_pickle)]
    path = craft(tmp_path / "pickle.ckpt", manifest(entries),
                 {"arrays/0": payload, "arrays/1": raw_pickle})
    error = assert_restore_fails_and_changes_nothing(target, path)
    assert not marker.exists()
    assert len(error.problems) == 2
    with pytest.raises(mtf.train.CheckpointError):
        mtf.train.load_variable(path, "model/scale")
    assert not marker.exists()


def test_bad_manifest_entries_are_all_listed(tmp_path, target):
    good = np.zeros(4, np.float32).tobytes()
    entries = [entry("a", "float32", [4], "arrays/0", good),
               entry("a", "float32", [4], "arrays/0", good),       # duplicate
               entry("b", "float32", [-1], "arrays/0", good),      # bad shape
               entry("c", "complex64", [2], "arrays/0", good),     # not a minitf dtype
               {**entry("d", "float32", [3], "arrays/0", good)},   # nbytes disagree
               "not an object"]
    path = craft(tmp_path / "m.ckpt", manifest(entries), {"arrays/0": good})
    error = assert_restore_fails_and_changes_nothing(target, path, "invalid manifest")
    assert len(error.problems) == 5
    assert "duplicate key 'a'" in str(error) and "complex64" in str(error)


@pytest.mark.parametrize("problem, fragment", [
    ("version", "format version 2"), ("format", "not a minitf checkpoint"),
    ("json", "cannot read its manifest"), ("list", "not a minitf checkpoint"),
    ("absent", "cannot read its manifest"), ("entries", "'entries' must be a list")])
def test_unreadable_manifest(tmp_path, target, problem, fragment):
    good = np.zeros(4, np.float32).tobytes()
    valid = manifest([entry("model/layers/0/b", "float32", [4], "arrays/0", good)])
    raw = {"version": manifest(valid["entries"], version=2),
           "format": {**valid, "format": "npz"}, "json": b"{not json", "list": b"[]",
           "absent": None, "entries": {**valid, "entries": {"a": 1}}}[problem]
    path = craft(tmp_path / "c.ckpt", raw, {"arrays/0": good})
    assert_restore_fails_and_changes_nothing(target, path, fragment)


def test_data_member_problems(tmp_path, target):
    good = np.arange(4, dtype=np.float32).tobytes()
    e_crc = entry("model/layers/0/b", "float32", [4], "arrays/0", good)
    e_crc["crc32"] ^= 1
    e_missing = entry("model/layers/1/b", "float32", [2], "arrays/9", good[:8])
    e_size = entry("model/scale", "float32", [], "arrays/1", good[:4])
    path = craft(tmp_path / "d.ckpt", manifest([e_crc, e_missing, e_size]),
                 {"arrays/0": good, "arrays/1": good})
    error = assert_restore_fails_and_changes_nothing(target, path)
    text = str(error)
    assert len(error.problems) == 3
    assert "CRC mismatch" in text and "missing" in text and "holds 16 bytes" in text


def test_compressed_members_are_refused(tmp_path, target):
    good = np.zeros(4, np.float32).tobytes()
    entries = [entry("model/layers/0/b", "float32", [4], "arrays/0", good)]
    path = craft(tmp_path / "z.ckpt", manifest(entries), {"arrays/0": good},
                 compression=zipfile.ZIP_DEFLATED)
    assert_restore_fails_and_changes_nothing(target, path, "compression")


def test_missing_file_and_directory(tmp_path, target):
    assert_restore_fails_and_changes_nothing(target, str(tmp_path / "absent"), "Cannot open")
    assert_restore_fails_and_changes_nothing(target, str(tmp_path), "Cannot open")


def test_save_failing_midway_leaves_the_previous_file(tmp_path, monkeypatch, target):
    model, opt, ckpt = target
    path = ckpt.save(str(tmp_path / "run"))           # run-2 (the counter was 1)
    good = pathlib.Path(path).read_bytes()
    saved_w = model.layers[0].w.numpy()
    for var in model.variables:
        var.assign_add(np.ones(var.shape, var.dtype))
    written, original = [], zipfile.ZipFile.writestr

    def failing_writestr(archive, info, data, *args, **kwargs):
        if len(written) == 3:
            written.append(archive.fp.tell())
            raise OSError("disk full (simulated)")
        written.append(None)
        return original(archive, info, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    ckpt.save_counter.assign(1)                        # the next save targets run-2 again
    with pytest.raises(OSError, match="disk full"):
        ckpt.save(str(tmp_path / "run"))
    assert written[-1] > 100                           # partial bytes had been written
    assert int(ckpt.save_counter) == 1                 # the failed save does not count
    assert pathlib.Path(path).read_bytes() == good
    assert sorted(os.listdir(tmp_path)) == ["run-2"]   # the temp file was removed
    monkeypatch.undo()
    fresh = trained(seed=5)
    fresh[2].restore(path).assert_consumed()
    np.testing.assert_array_equal(fresh[0].layers[0].w.numpy(), saved_w)


def test_process_killed_midway_leaves_the_previous_file(tmp_path):
    script = textwrap.dedent(f"""
        import os, sys, zipfile
        import numpy as np
        import minitf as mtf
        v = mtf.Variable(np.arange(1000, dtype=np.float32))
        ckpt = mtf.train.Checkpoint(v=v)
        ckpt.write(sys.argv[1])
        v.assign(v.numpy() * 0)
        original = zipfile.ZipFile.writestr
        def die(archive, info, data, *a, **k):
            original(archive, info, data, *a, **k)
            if len(data) >= 4000:
                archive.fp.flush()
                os._exit(7)                  # killed with partial bytes on disk
        zipfile.ZipFile.writestr = die
        ckpt.write(sys.argv[1])
    """)
    path = str(tmp_path / "v.ckpt")
    result = subprocess.run([sys.executable, "-c", script, path], capture_output=True)
    assert result.returncode == 7, result.stderr.decode()
    leftovers = [n for n in os.listdir(tmp_path) if n != "v.ckpt"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".v.ckpt.")
    assert os.path.getsize(tmp_path / leftovers[0]) > 4000     # the partial write
    np.testing.assert_array_equal(mtf.train.load_variable(path, "v"),
                                  np.arange(1000, dtype=np.float32))
