"""Save checkpoints from other threads while Adam trains a 4 MiB variable; count bad files.

Two setups, as a user would write them:
- a background thread calls ``ckpt.write()`` in a loop while the main thread trains;
- four threads call ``ckpt.save()`` 25 times each while the main thread trains.
A file is unreadable if it does not read back, torn if an array in it is not one state
of its variable (every element of the variable moves identically here, so a
torn copy shows as unequal elements).

    python tools/save_while_training.py
    PYTHONPATH=/path/to/other/checkout python tools/save_while_training.py   # compare
"""
import os
import tempfile
import threading

import numpy as np

import minitf as mtf
from minitf.train import _read

SIZE = 1 << 20


def setup():
    var = mtf.Variable(np.zeros(SIZE, np.float32))
    opt = mtf.optimizers.Adam(0.01)
    opt.apply_gradients([(mtf.ones_like(var), var)])
    return var, opt, mtf.train.Checkpoint(w=var, optimizer=opt)


def verdict(path):
    """"unreadable", "torn" (an array mixing two states) or "" for a good file."""
    try:
        file = _read.CheckpointFile(path)
        arrays = file.read_all()
        getattr(file, "close", lambda: None)()
    except mtf.train.CheckpointError:
        return "unreadable"
    torn = any(not np.all(a == a.reshape(-1)[0]) for a in arrays.values() if a.size)
    return "torn" if torn else ""


def tally(paths):
    """``"U unreadable, T torn, of N files"``."""
    verdicts = [verdict(p) for p in paths]
    return (f"{verdicts.count('unreadable')} unreadable, {verdicts.count('torn')} torn, "
            f"of {len(verdicts)} files")


def while_training(var, opt, work):
    """Run ``work()`` while another thread trains; returns ``work``'s result."""
    stop = threading.Event()

    def train():
        while not stop.is_set():
            opt.apply_gradients([(mtf.ones_like(var), var)])
    trainer = threading.Thread(target=train)
    trainer.start()
    try:
        return work()
    finally:
        stop.set()
        trainer.join()


def write_loop(directory, count=13):
    var, opt, ckpt = setup()
    return tally(while_training(var, opt, lambda: [
        ckpt.write(os.path.join(directory, f"w{i}")) for i in range(count)]))


def threaded_saves(directory, threads=4, each=25):
    var, opt, ckpt = setup()
    prefix = os.path.join(directory, "s")

    def work():
        workers = [threading.Thread(target=lambda: [ckpt.save(prefix) for _ in range(each)])
                   for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    while_training(var, opt, work)
    files = [os.path.join(directory, n) for n in os.listdir(directory) if n.startswith("s-")]
    return tally(files), threads * each - len(files)


def main():
    for attempt in range(3):
        with tempfile.TemporaryDirectory() as directory:
            print(f"write() loop while training, attempt {attempt + 1}: "
                  f"{write_loop(directory)}")
    for attempt in range(3):
        with tempfile.TemporaryDirectory() as directory:
            counts, missing = threaded_saves(directory)
            print(f"save() from 4 threads x 25 while training, attempt {attempt + 1}: "
                  f"{counts}, {missing} of 100 saves missing (repeated numbers)")


if __name__ == "__main__":
    main()
