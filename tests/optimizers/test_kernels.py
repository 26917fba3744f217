"""Fused optimizer kernels: compiled == plain-Python body == numpy reference, bit for bit.

Also: a run cut into chunks on the thread pool equals one call bit for bit, and
the two modes (add in place / write the increment) give p + d identically.
"""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from minitf.kernels import _parallel, optim as k


def _bits(a):
    return a.view(np.uint64 if a.dtype == np.float64 else np.uint32)


# name -> (kernel, numpy reference, number of slots, the rest of the arguments)
SPECS = {
    "sgd": (k.SGD, k.sgd_reference, 0, lambda dt: (dt(0.1), dt(0.0))),
    "sgd-decay": (k.SGD, k.sgd_reference, 0, lambda dt: (dt(0.1), dt(0.003))),
    "sgd-momentum": (k.SGD_MOMENTUM, k.sgd_momentum_reference, 1,
                     lambda dt: (dt(0.1), dt(0.9), False, dt(0.0))),
    "sgd-nesterov": (k.SGD_MOMENTUM, k.sgd_momentum_reference, 1,
                     lambda dt: (dt(0.1), dt(0.9), True, dt(0.002))),
    "rmsprop": (k.RMSPROP, k.rmsprop_reference, 1,
                lambda dt: (dt(0.01), dt(0.9), dt(0.1), dt(1e-7), dt(0.0))),
    "rmsprop-general-plain": (
        k.RMSPROP_GENERAL, k.rmsprop_general_reference, 3,
        lambda dt: (dt(0.01), dt(0.9), dt(0.1), dt(0.0), dt(1e-7), False, False, dt(0.0))),
    "rmsprop-centered-momentum": (
        k.RMSPROP_GENERAL, k.rmsprop_general_reference, 3,
        lambda dt: (dt(0.01), dt(0.9), dt(0.1), dt(0.5), dt(1e-7), True, True, dt(0.001))),
    "adagrad": (k.ADAGRAD, k.adagrad_reference, 1, lambda dt: (dt(0.1), dt(1e-7), dt(0.0))),
    "adadelta": (k.ADADELTA, k.adadelta_reference, 2,
                 lambda dt: (dt(1.0), dt(0.95), dt(0.05), dt(1e-6), dt(0.0))),
    "adam": (k.ADAM, k.adam_reference, 2,
             lambda dt: (dt(0.1), dt(0.001), dt(0.003), dt(1e-7), dt(0.0))),
    "adam-decay": (k.ADAM, k.adam_reference, 2,
                   lambda dt: (dt(0.1), dt(0.001), dt(0.003), dt(1e-7), dt(4e-6))),
    "amsgrad-decay": (k.AMSGRAD, k.amsgrad_reference, 3,
                      lambda dt: (dt(0.1), dt(0.001), dt(0.003), dt(1e-7), dt(4e-6))),
    "adamax": (k.ADAMAX, k.adamax_reference, 2,
               lambda dt: (dt(0.1), dt(0.999), dt(0.001), dt(0.19), dt(1e-7), dt(0.0))),
    "nadam": (k.NADAM, k.nadam_reference, 2,
              lambda dt: (dt(0.1), dt(0.001), dt(0.45), dt(0.8), dt(0.55), dt(0.6), dt(0.002),
                          dt(0.001), dt(1e-7), dt(0.0))),
    "ftrl": (k.FTRL, k.ftrl_reference, 2,
             lambda dt: (dt(0.1), dt(0.5), dt(0.01), dt(0.04), dt(0.06), dt(0.0))),
    "ftrl-decay": (k.FTRL, k.ftrl_reference, 2,
                   lambda dt: (dt(0.1), dt(0.5), dt(0.0), dt(0.0), dt(0.0), dt(0.01))),
    "lion": (k.LION, k.lion_reference, 1,
             lambda dt: (dt(0.01), dt(0.9), dt(0.1), dt(0.99), dt(0.01), dt(0.0))),
}


def _arrays(n_slots, n, dtype, seed):
    rng = np.random.default_rng(seed)
    p = rng.normal(size=n).astype(dtype)
    g = rng.normal(size=n).astype(dtype)
    g[::7] = 0
    # the first slot (a second-moment estimate) dominates the others, so every
    # square root sees a positive number
    slots = [rng.uniform(0.2, 1.0, size=n).astype(dtype)] + [
        rng.uniform(0.0, 0.2, size=n).astype(dtype) for _ in range(n_slots - 1)]
    slots = slots[:n_slots]
    return p, g, slots


def _call(fn, n_slots, rest, dtype, n, add, seed=0):
    """Run ``fn`` on fresh copies of a fixed problem; return (p, out, slots)."""
    p, g, slots = _arrays(n_slots, n, dtype, seed)
    out = np.full(n, np.nan, dtype)
    fn(p, g, *slots, p if add else out, add, *rest(np.dtype(dtype).type))
    return p, out, slots


@pytest.mark.parametrize("add", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_kernel_equals_python_body_and_numpy_reference(name, dtype, add):
    kern, reference, n_slots, rest = SPECS[name]
    results = [_call(f, n_slots, rest, dtype, 41, add)
               for f in (kern, kern.py_func, reference)]
    compiled = results[0]
    for other in results[1:]:
        np.testing.assert_array_equal(_bits(compiled[0]), _bits(other[0]))
        for a, b in zip(compiled[2], other[2]):
            np.testing.assert_array_equal(_bits(a), _bits(b))
        if not add:
            np.testing.assert_array_equal(_bits(compiled[1]), _bits(other[1]))
    p0, _, slots0 = _arrays(n_slots, 41, dtype, 0)
    assert not np.array_equal(compiled[0] if add else compiled[1] + p0, p0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_chunked_run_equals_one_call_and_modes_agree(name, dtype, monkeypatch):
    kern, _, n_slots, rest = SPECS[name]
    n = 3 * 7919     # not a multiple of any vector width or of the chunk count
    whole = _call(kern, n_slots, rest, dtype, n, True, seed=3)
    monkeypatch.setattr(_parallel, "PARALLEL_MIN", 1000)
    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 5)
    chunked = _call(lambda *a: k.run(kern, *a), n_slots, rest, dtype, n, True, seed=3)
    np.testing.assert_array_equal(_bits(whole[0]), _bits(chunked[0]))
    for a, b in zip(whole[2], chunked[2]):
        np.testing.assert_array_equal(_bits(a), _bits(b))
    p0, _, _ = _arrays(n_slots, n, dtype, 3)
    increments = _call(lambda *a: k.run(kern, *a), n_slots, rest, dtype, n, False, seed=3)[1]
    np.testing.assert_array_equal(_bits(p0 + increments), _bits(whole[0]))


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ema_kernel(dtype, overwrite):
    rng = np.random.default_rng(1)
    p, u, avg = (rng.normal(size=33).astype(dtype) for _ in range(3))
    dt = np.dtype(dtype).type
    runs = []
    for fn in (k.EMA, k.EMA.py_func, k.ema_reference):
        arrays = [p.copy(), u.copy(), avg.copy()]
        fn(*arrays, True, dt(0.9), dt(0.1), overwrite)
        runs.append(arrays)
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(_bits(a), _bits(b))
    expected_avg = dt(0.9) * avg + dt(0.1) * (p + u)
    np.testing.assert_array_equal(runs[0][2], expected_avg)
    np.testing.assert_array_equal(runs[0][0], p + (expected_avg - p) if overwrite else p + u)


def test_run_uses_threads_only_for_large_arrays(monkeypatch):
    """One call below the threshold; above it, contiguous chunks that cover the array
    once, at least PARALLEL_MIN long, one per core at most, the caller's and the pool's."""
    calls = []

    def spy(out, g):
        calls.append((threading.get_ident(), g.size))
        out += 1

    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 4)
    n = _parallel.PARALLEL_MIN
    out = np.zeros(n)
    k.run(spy, out, out)
    assert calls == [(threading.get_ident(), n)]
    for size, parts in [(2 * n - 1, 1), (2 * n, 2), (3 * n + 5, 3), (10 * n, 4)]:
        calls.clear()
        out = np.zeros(size)
        k.run(spy, out, out)
        assert sorted(s for _, s in calls) == sorted(np.diff(np.linspace(0, size, parts + 1)
                                                          .astype(int)))
        assert (len({t for t, _ in calls}) > 1) == (parts > 1)  # the caller runs one chunk
        np.testing.assert_array_equal(out, 1)


def test_an_error_in_a_chunk_reaches_the_caller(monkeypatch):
    def fail_on_late_chunks(out, g):
        if out[0] != 0:
            raise FloatingPointError(f"chunk at {out[0]}")

    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 3)
    with pytest.raises(FloatingPointError, match="chunk at"):
        k.run(fail_on_late_chunks, np.arange(3.0 * _parallel.PARALLEL_MIN),
              np.zeros(3 * _parallel.PARALLEL_MIN))
    k.run(lambda out, g: None, np.zeros(3 * _parallel.PARALLEL_MIN),
          np.zeros(3 * _parallel.PARALLEL_MIN))          # the pool still works


NO_PROCESS_WIDE_THREADING = """
import os, sys, numpy as np
before = dict(os.environ)
import minitf as mtf
v, small = mtf.Variable(np.zeros(1 << 20, np.float32)), mtf.Variable(np.zeros(3, np.float32))
mtf.optimizers.Adam(0.1).apply_gradients([(mtf.ones_like(v), v), (mtf.ones_like(small), small)])
assert (v.numpy() == small.numpy()[0]).all() and small.numpy()[0] < -0.0999
assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())
import numba
try:
    numba.threading_layer()
except ValueError:
    print("no threading layer")
"""


def test_kernels_leave_the_environment_and_numbas_threading_layer_alone(tmp_path):
    """numba's threading layer and OpenMP settings are process-wide: minitf must neither
    start the layer nor set environment variables (a large Adam step runs threaded)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OMP_")}
    result = subprocess.run([sys.executable, "-c", NO_PROCESS_WIDE_THREADING], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "no threading layer"


def test_the_pool_works_in_a_forked_child(monkeypatch):
    """A child forked after the pool started has none of its threads: it starts its own."""
    monkeypatch.setattr(_parallel, "_cpu_count", lambda: 2)
    big = np.zeros(2 * _parallel.PARALLEL_MIN)
    k.run(lambda out, g: out.__iadd__(1), big, big)
    pid = os.fork()
    if pid == 0:
        try:
            k.run(lambda out, g: out.__iadd__(1), big, big)
            os._exit(0 if (big == 2).all() else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
