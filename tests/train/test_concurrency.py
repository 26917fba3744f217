"""Checkpoints taken while training runs, and managers shared by threads.

The model is one large variable whose loss is its sum, so the gradient is all
ones and every element moves identically under Adam: any array in a file that
is not one state of its variable (a torn copy) has unequal elements, and any
file whose state is not the state after some whole number of steps is caught
against a reference run of the same steps on a small copy.
"""
import os
import threading

import numpy as np

import minitf as mtf
from minitf.train import _read

SIZE = 1 << 18          # 1 MiB of float32


def train_setup():
    """A 4 MiB variable, an Adam that has made one step (so its slots exist), a Checkpoint."""
    var = mtf.Variable(np.zeros(SIZE, np.float32), name="w")
    opt = mtf.optimizers.Adam(0.01)
    step(var, opt)
    return var, opt, mtf.train.Checkpoint(w=var, optimizer=opt)


def step(var, opt):
    opt.apply_gradients([(mtf.ones_like(var), var)])


def reference_states(steps):
    """``{iterations: (w, m, v)}`` of the first element after each whole step."""
    var, opt = mtf.Variable(np.zeros(4, np.float32)), mtf.optimizers.Adam(0.01)
    states = {}
    for t in range(1, steps + 1):
        step(var, opt)
        m, v = (opt.get_slot(var, name).numpy()[0] for name in ("momentum", "velocity"))
        states[t] = (var.numpy()[0], m, v)
    return states


def train_in_background(var, opt, stop):
    def loop():
        while not stop.is_set():
            step(var, opt)
    thread = threading.Thread(target=loop)
    thread.start()
    return thread


def run_threads(count, target):
    errors = []

    def guarded(i):
        try:
            target(i)
        except BaseException as error:  # noqa: B902 - reported below
            errors.append(error)
    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def check_self_consistent(path, states):
    """The file reads back, and holds one whole training state (each array uniform)."""
    with _read.CheckpointFile(path) as file:
        arrays = file.read_all()
    w, m, v = (arrays[key] for key in ("w", "optimizer/w/momentum", "optimizer/w/velocity"))
    for array in (w, m, v):
        assert np.all(array == array[0]), f"{path}: a torn array"
    t = int(arrays["optimizer/iterations"])
    assert t in states, f"{path}: {t} steps is past the reference run"
    assert (w[0], m[0], v[0]) == states[t], f"{path}: not the state after {t} steps"
    return int(arrays["save_counter"])


def test_saves_from_threads_while_training_are_whole_states(tmp_path):
    var, opt, ckpt = train_setup()
    stop = threading.Event()
    trainer = train_in_background(var, opt, stop)
    try:
        run_threads(4, lambda i: [ckpt.save(str(tmp_path / "run")) for _ in range(50)])
    finally:
        stop.set()
        trainer.join()
    states = reference_states(int(opt.iterations))
    names = sorted(n for n in os.listdir(tmp_path) if n.startswith("run-"))
    assert sorted(names, key=lambda n: int(n[4:])) == [f"run-{n}" for n in range(1, 201)]
    assert int(ckpt.save_counter) == 200
    for name in names:
        assert check_self_consistent(str(tmp_path / name), states) == int(name[4:])
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


def test_write_in_a_loop_while_training_never_tears(tmp_path):
    var, opt, ckpt = train_setup()
    stop = threading.Event()
    trainer = train_in_background(var, opt, stop)
    paths = []
    try:
        for i in range(40):
            paths.append(ckpt.write(str(tmp_path / f"w{i}")))
    finally:
        stop.set()
        trainer.join()
    states = reference_states(int(opt.iterations))
    for path in paths:
        check_self_consistent(path, states)


def manager_saves_while_training(directory, max_to_keep):
    """4 threads x 50 ``manager.save()`` while Adam trains; the manager and the optimizer."""
    var, opt, ckpt = train_setup()
    manager = mtf.train.CheckpointManager(ckpt, directory, max_to_keep=max_to_keep)
    stop = threading.Event()
    trainer = train_in_background(var, opt, stop)
    try:
        run_threads(4, lambda i: [manager.save() for _ in range(50)])
    finally:
        stop.set()
        trainer.join()
    return manager, opt


def test_one_manager_shared_by_threads(tmp_path):
    manager, opt = manager_saves_while_training(tmp_path, max_to_keep=3)
    kept = ["ckpt-198", "ckpt-199", "ckpt-200"]
    assert [os.path.basename(p) for p in manager.checkpoints] == kept
    assert manager.latest_checkpoint == str(tmp_path / "ckpt-200")
    assert sorted(os.listdir(tmp_path)) == ["checkpoint"] + kept
    states = reference_states(int(opt.iterations))
    for path in manager.checkpoints:
        assert check_self_consistent(path, states) == int(path.rsplit("-", 1)[1])
    again = mtf.train.CheckpointManager(train_setup()[2], tmp_path, max_to_keep=3)
    assert again.checkpoints == manager.checkpoints


def test_a_manager_keeping_everything_reads_back_all_saves(tmp_path):
    manager, opt = manager_saves_while_training(tmp_path, max_to_keep=None)
    assert [os.path.basename(p) for p in manager.checkpoints] == [
        f"ckpt-{n}" for n in range(1, 201)]
    states = reference_states(int(opt.iterations))
    for path in manager.checkpoints:
        assert check_self_consistent(path, states) == int(path.rsplit("-", 1)[1])
