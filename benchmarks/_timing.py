"""Interleaved timing shared by the benchmarks.

The candidates take turns, repeat after repeat, so a change of load on a
shared machine hits them all alike.
"""
import importlib
import time


def optional_torch():
    """The torch module, or None when it is not installed (every benchmark runs
    without it and prints "n/a")."""
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def keep_only(runs, only):
    """``runs`` restricted to the one named ``only`` (all of them when None)."""
    return [(name, step) for name, step in runs if only is None or name == only]


def interleaved(runs, repeats, iters=1, warm_each=False):
    """``{name: [seconds per call, one sample per repeat]}`` for each (name, step) of
    ``runs``. A sample is the mean of ``iters`` calls; ``warm_each`` makes one untimed
    call of the step right before each sample."""
    samples = {name: [] for name, _ in runs}
    for _ in range(repeats):
        for name, step in runs:
            if warm_each:
                step()
            begin = time.perf_counter()
            for _ in range(iters):
                step()
            samples[name].append((time.perf_counter() - begin) / iters)
    return samples


def best_times(runs, repeats, iters):
    """Best-of-``repeats`` seconds per call for each run, interleaving the runs."""
    return {name: min(times) for name, times in interleaved(runs, repeats, iters).items()}
