"""CheckpointManager after restarts and crashes: shared directories, dead writers' temp
files, checkpoints a crash left unlisted, and `kill -9` in the middle of saves."""
import fcntl
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import minitf as mtf
from minitf.train import _read


def gan(directory, gen_value=0.0, disc_value=0.0):
    """Two models saved by two managers into one directory (a GAN's G and D)."""
    g, d = mtf.Variable(gen_value), mtf.Variable(disc_value)
    g_ckpt, d_ckpt = mtf.train.Checkpoint(g=g), mtf.train.Checkpoint(d=d)
    return (g, g_ckpt, mtf.train.CheckpointManager(g_ckpt, directory, 2, checkpoint_name="gen"),
            d, d_ckpt, mtf.train.CheckpointManager(d_ckpt, directory, 2, checkpoint_name="disc"))


def names(manager):
    return [os.path.basename(p) for p in manager.checkpoints]


def test_two_managers_in_one_directory_each_find_their_own_after_a_restart(tmp_path):
    g, _, g_manager, d, _, d_manager = gan(tmp_path)
    for step in range(1, 4):
        g.assign(float(step)), g_manager.save()
        d.assign(-float(step)), d_manager.save()
    g2, g_ckpt2, g_manager2, d2, d_ckpt2, d_manager2 = gan(tmp_path)
    assert names(g_manager2) == ["gen-2", "gen-3"] and names(d_manager2) == ["disc-2", "disc-3"]
    g_ckpt2.restore(g_manager2.latest_checkpoint).assert_consumed()
    d_ckpt2.restore(d_manager2.latest_checkpoint).assert_consumed()
    assert (float(g2), float(d2), int(g_ckpt2.save_counter)) == (3.0, -3.0, 3)
    assert g_manager2.save().endswith("gen-4") and d_manager2.save().endswith("disc-4")
    assert sorted(os.listdir(tmp_path)) == ["disc-3", "disc-4", "disc.checkpoint",
                                            "gen-3", "gen-4", "gen.checkpoint"]
    assert "disc" not in (tmp_path / "gen.checkpoint").read_text()


def test_a_default_manager_beside_a_named_one(tmp_path):
    v, w = mtf.Variable(1.0), mtf.Variable(2.0)
    default = mtf.train.CheckpointManager(mtf.train.Checkpoint(v=v), tmp_path)
    named = mtf.train.CheckpointManager(mtf.train.Checkpoint(w=w), tmp_path,
                                        checkpoint_name="ema")
    default.save(), named.save(), named.save()
    again = mtf.train.CheckpointManager(mtf.train.Checkpoint(v=v), tmp_path)
    assert names(again) == ["ckpt-1"]
    assert mtf.train.load_variable(tmp_path, "v") == 1.0     # a directory: the default one


def test_a_directory_of_named_managers_only(tmp_path):
    _, _, g_manager, _, _, d_manager = gan(tmp_path / "one")
    g_manager.save()
    assert mtf.train.list_variables(tmp_path / "one") == [("g", ()), ("save_counter", ())]
    d_manager.save()
    with pytest.raises(FileNotFoundError, match=r"several managers \(disc, gen\)"):
        mtf.train.list_variables(tmp_path / "one")


def test_a_checkpoint_saved_after_the_index_was_last_written_is_found(tmp_path):
    v = mtf.Variable(0.0)
    ckpt = mtf.train.Checkpoint(v=v)
    manager = mtf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=2)
    manager.save(), manager.save()
    v.assign(7.0)
    ckpt.save(str(tmp_path / "ckpt"))       # as a crash between file and index leaves it
    again = mtf.train.CheckpointManager(mtf.train.Checkpoint(v=mtf.Variable(0.0)), tmp_path,
                                        max_to_keep=2)
    assert names(again) == ["ckpt-1", "ckpt-2", "ckpt-3"]
    assert mtf.train.load_variable(again.latest_checkpoint, "v") == 7.0
    again.save(checkpoint_number=4)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-3", "ckpt-4"]


def stale_temp(directory, base):
    path = directory / f".{base}.{os.urandom(6).hex()}.tmp"
    path.write_bytes(b"half a checkpoint")
    return path


def test_save_removes_dead_writers_temp_files_and_orphans_but_nothing_else(tmp_path):
    v = mtf.Variable(0.0)
    manager = mtf.train.CheckpointManager(mtf.train.Checkpoint(v=v), tmp_path, max_to_keep=2)
    for _ in range(3):
        manager.save()
    orphan = tmp_path / "ckpt-1"            # as a crash between index and pruning leaves it
    orphan.write_bytes((tmp_path / "ckpt-2").read_bytes())
    dead = [stale_temp(tmp_path, "ckpt-4"), stale_temp(tmp_path, "checkpoint")]
    others = [stale_temp(tmp_path, "gen-4"), stale_temp(tmp_path, "notes.txt")]
    alive = stale_temp(tmp_path, "ckpt-9")
    holder = os.open(alive, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)      # a writer in another process is still at it
    try:
        manager.save()
    finally:
        os.close(holder)
    left = sorted(os.listdir(tmp_path))
    assert left == sorted(["checkpoint", "ckpt-3", "ckpt-4"] + [p.name for p in others] +
                          [alive.name])
    assert not orphan.exists() and not any(p.exists() for p in dead)


KILLED_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import minitf as mtf
    directory = sys.argv[1]
    v = mtf.Variable(np.zeros(1 << 18, np.float32))
    ckpt = mtf.train.Checkpoint(v=v)
    manager = mtf.train.CheckpointManager(ckpt, directory, max_to_keep=3)
    ckpt.restore(manager.latest_checkpoint)
    print("ready", flush=True)
    while True:
        v.assign_add(np.ones_like(v.numpy()))
        manager.save()
""")


def kill_saves(script, directory, delays):
    """Run the saver and ``kill -9`` it after each delay; how many temp files were left."""
    litter = 0
    for delay in delays:
        process = subprocess.Popen([sys.executable, str(script), str(directory)],
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline() == "ready\n"
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()
        litter += len([n for n in os.listdir(directory) if n.endswith(".tmp")])
    return litter


def test_kill_9_during_saves_leaves_no_litter_after_the_next_save(tmp_path):
    script = tmp_path / "saver.py"
    script.write_text(KILLED_SAVER)
    directory = tmp_path / "run"
    rng = random.Random(0)
    litter = kill_saves(script, directory, [rng.uniform(0.02, 0.2) for _ in range(12)])
    assert litter > 0       # the kills did land mid-save
    v = mtf.Variable(np.zeros(1 << 18, np.float32))
    ckpt = mtf.train.Checkpoint(v=v)
    manager = mtf.train.CheckpointManager(ckpt, directory, max_to_keep=3)
    ckpt.restore(manager.latest_checkpoint).assert_consumed()
    v.assign_add(np.ones(v.shape, np.float32))
    manager.save()
    left = sorted(os.listdir(directory))
    assert left == sorted(["checkpoint"] + names(manager)) and len(names(manager)) == 3
    numbers = [int(n.split("-")[1]) for n in names(manager)]
    assert numbers == sorted(numbers) and numbers[-1] == int(ckpt.save_counter)
    for path in manager.checkpoints:
        with _read.CheckpointFile(path) as file:
            arrays = file.read_all()
        assert np.all(arrays["v"] == arrays["save_counter"])   # one assign per save
