"""CheckpointManager, list_variables / load_variable, the CLI, the docstrings."""
import doctest
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import minitf as mtf
from minitf.train import checkpoint, checkpoint_utils, manager


def make(directory, max_to_keep=5, **kwargs):
    v = mtf.Variable(0.0)
    ckpt = mtf.train.Checkpoint(v=v)
    return v, ckpt, mtf.train.CheckpointManager(ckpt, directory, max_to_keep, **kwargs)


def checkpoint_files(directory):
    return sorted((n for n in os.listdir(directory) if n.startswith("ckpt-")),
                  key=lambda n: int(n.split("-")[1]))


def test_keeps_exactly_max_to_keep_and_latest_is_the_newest(tmp_path):
    v, ckpt, mgr = make(tmp_path, max_to_keep=3)
    assert mgr.latest_checkpoint is None and mgr.checkpoints == []
    for i in range(1, 8):
        v.assign(float(i))
        path = mgr.save()
        assert path == str(tmp_path / f"ckpt-{i}") == mgr.latest_checkpoint
        kept = [f"ckpt-{n}" for n in range(max(1, i - 2), i + 1)]
        assert checkpoint_files(tmp_path) == kept
        assert mgr.checkpoints == [str(tmp_path / n) for n in kept]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-5", "ckpt-6", "ckpt-7"]
    assert mtf.train.load_variable(mgr.latest_checkpoint, "v") == 7.0
    assert mtf.train.load_variable(mgr.checkpoints[0], "v") == 5.0


def test_a_new_manager_carries_on(tmp_path):
    v, ckpt, mgr = make(tmp_path, max_to_keep=2)
    for _ in range(3):
        mgr.save()
    v2, ckpt2, mgr2 = make(tmp_path, max_to_keep=2)
    assert mgr2.checkpoints == mgr.checkpoints and mgr2.latest_checkpoint.endswith("ckpt-3")
    ckpt2.restore(mgr2.latest_checkpoint).assert_consumed()
    assert int(ckpt2.save_counter) == 3
    assert mgr2.save().endswith("ckpt-4")
    assert checkpoint_files(tmp_path) == ["ckpt-3", "ckpt-4"]


def test_restore_latest_or_initialize(tmp_path):
    v, ckpt, mgr = make(tmp_path)
    status = ckpt.restore(mgr.latest_checkpoint)     # None: nothing saved yet
    with pytest.raises(AssertionError, match="No checkpoint specified"):
        status.assert_consumed()


def test_max_to_keep_none_keeps_everything(tmp_path):
    _, _, mgr = make(tmp_path, max_to_keep=None)
    for _ in range(7):
        mgr.save()
    assert len(checkpoint_files(tmp_path)) == 7 == len(mgr.checkpoints)


def test_checkpoint_number_and_resaving_a_number(tmp_path):
    _, ckpt, mgr = make(tmp_path, max_to_keep=3)
    assert mgr.save(checkpoint_number=100).endswith("ckpt-100")
    assert mgr.save(checkpoint_number=np.int64(200)).endswith("ckpt-200")
    assert mgr.save(checkpoint_number=100).endswith("ckpt-100")
    assert [os.path.basename(p) for p in mgr.checkpoints] == ["ckpt-200", "ckpt-100"]
    assert int(ckpt.save_counter) == 3
    with pytest.raises(ValueError, match="checkpoint_number must be a non-negative int"):
        mgr.save(checkpoint_number=-1)
    with pytest.raises(ValueError, match="Received: checkpoint_number=1.5"):
        mgr.save(checkpoint_number=1.5)


def test_damaged_index_falls_back_to_scanning_and_never_deletes_outside(tmp_path):
    directory = tmp_path / "run"
    _, _, mgr = make(directory, max_to_keep=2)
    mgr.save(), mgr.save()
    precious = tmp_path / "precious"
    precious.write_text("keep me")
    (directory / "checkpoint").write_text(json.dumps(
        {"latest": "../precious", "checkpoints": ["../precious", "ckpt-1", "ckpt-2"]}))
    _, _, mgr2 = make(directory, max_to_keep=1)
    assert [os.path.basename(p) for p in mgr2.checkpoints] == ["ckpt-1", "ckpt-2"]
    (directory / "checkpoint").write_text("{broken")
    _, _, mgr3 = make(directory, max_to_keep=1)
    assert [os.path.basename(p) for p in mgr3.checkpoints] == ["ckpt-1", "ckpt-2"]
    mgr3.save(checkpoint_number=3)
    assert checkpoint_files(directory) == ["ckpt-3"] and precious.read_text() == "keep me"


def test_failed_save_changes_nothing(tmp_path, monkeypatch):
    _, ckpt, mgr = make(tmp_path, max_to_keep=2)
    mgr.save()
    before = sorted(os.listdir(tmp_path))

    def fail(*args, **kwargs):
        raise OSError("no space left (simulated)")
    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)
    with pytest.raises(OSError, match="no space"):
        mgr.save()
    assert int(ckpt.save_counter) == 1 and sorted(os.listdir(tmp_path)) == before
    assert mgr.latest_checkpoint.endswith("ckpt-1")


def test_bad_arguments(tmp_path):
    ckpt = mtf.train.Checkpoint()
    with pytest.raises(TypeError, match="expected a mtf.train.Checkpoint"):
        mtf.train.CheckpointManager(mtf.Module(), tmp_path)
    for bad in (0, -2, 2.5, True):
        with pytest.raises(ValueError, match="max_to_keep must be a positive int"):
            mtf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=bad)
    with pytest.raises(ValueError, match="checkpoint_name must be a file name"):
        mtf.train.CheckpointManager(ckpt, tmp_path, checkpoint_name="a/b")


# ---- list_variables, load_variable

def test_list_and_load_variables(tmp_path):
    model = mtf.layers.Linear(2)
    model(np.ones((1, 3), np.float32))
    opt = mtf.optimizers.SGD(0.1, momentum=0.5)
    opt.apply_gradients([(mtf.ones([3, 2]), model.w)])
    path = mtf.train.Checkpoint(model=model, opt=opt).write(str(tmp_path / "c"))
    assert mtf.train.list_variables(path) == [
        ("model/b", (2,)), ("model/w", (3, 2)), ("opt/iterations", ()), ("opt/learning_rate", ()),
        ("opt/model/w/momentum", (3, 2)), ("save_counter", ())]
    w = mtf.train.load_variable(path, "model/w")
    np.testing.assert_array_equal(w, model.w.numpy())
    w[0, 0] = 99.0                      # a fresh, writable copy
    np.testing.assert_array_equal(mtf.train.load_variable(path, "opt/model/w/momentum"),
                                  -0.1 * np.ones((3, 2), np.float32))
    with pytest.raises(KeyError, match=r"'model/x' not found.*'model/w'"):
        mtf.train.load_variable(path, "model/x")


def test_a_directory_means_its_latest_checkpoint(tmp_path):
    v, _, mgr = make(tmp_path)
    v.assign(1.0), mgr.save()
    v.assign(2.0), mgr.save()
    assert mtf.train.load_variable(tmp_path, "v") == 2.0
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="No checkpoint found"):
        mtf.train.list_variables(tmp_path / "empty")


# ---- command line

def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "minitf.train", *map(str, args)],
                          capture_output=True, text=True)


def test_cli_lists_keys_dtypes_and_shapes(tmp_path):
    model = mtf.Module()
    model.w = mtf.Variable(np.zeros((3, 2), np.float64))
    model.steps = mtf.Variable(np.int32(4))
    path = mtf.train.Checkpoint(model=model).write(str(tmp_path / "c"))
    result = run_cli(path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(path) and "format 1" in lines[0]
    assert lines[1].split() == ["key", "dtype", "shape"]
    assert [line.split(None, 2) for line in lines[2:5]] == [
        ["model/steps", "int32", "()"], ["model/w", "float64", "(3, 2)"],
        ["save_counter", "int64", "()"]]
    assert lines[5] == "3 values, 60 bytes"


def test_cli_on_a_manager_directory(tmp_path):
    v, _, mgr = make(tmp_path)
    mgr.save(), mgr.save()
    result = run_cli(tmp_path)
    assert result.returncode == 0 and result.stdout.startswith(mgr.latest_checkpoint + " ")
    (tmp_path / "empty").mkdir()
    result = run_cli(tmp_path / "empty")
    assert result.returncode == 1 and "No checkpoint found" in result.stderr


def test_cli_reports_a_damaged_file_without_a_traceback(tmp_path):
    path = mtf.train.Checkpoint(v=mtf.Variable(1.0)).write(str(tmp_path / "c"))
    data = bytearray(open(path, "rb").read())
    data[40] ^= 1
    open(path, "wb").write(bytes(data))
    result = run_cli(path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: Checkpoint") and "Traceback" not in result.stderr


# ---- docstrings

@pytest.mark.parametrize("module", [checkpoint, manager, checkpoint_utils])
def test_docstring_examples(tmp_path, module):
    result = doctest.testmod(module, extraglobs={"mtf": mtf, "os": os, "tmp": str(tmp_path)})
    assert result.attempted > 0 and result.failed == 0
