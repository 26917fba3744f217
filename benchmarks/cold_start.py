"""Start-up: ``import minitf`` and the first training step, in fresh interpreters.

A cold run has an empty numba cache (every kernel the step needs compiles); a
warm run reuses the cache the cold run wrote (kernels load from disk). Both
time ``import minitf`` and the first step of the tiny 2-16-16-1 SGD MLP and of
the 784-512-512-10 Adam MLP (``mlp_step.py``), and list the kernels compiled.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = """
import sys, time
sys.path.insert(0, {here!r})
begin = time.perf_counter()
import minitf
imported = time.perf_counter()
import mlp_step
step = mlp_step.steps({workload!r}, ("minitf",))[0][1]
step()
done = time.perf_counter()
print("RESULT", imported - begin, done - imported, done - begin)
"""


def start(workload, cache_dir):
    """(import s, first step s, total s) of one fresh interpreter."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", CHILD.format(here=HERE, workload=workload)],
                         env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT"))
    return [float(v) for v in line.split()[1:]]


def cached_kernels(cache_dir):
    """Compiled kernel entries numba wrote to ``cache_dir``."""
    return sum(name.endswith(".nbc") for _, _, names in os.walk(cache_dir) for name in names)


def main():
    print("import minitf + first training step, fresh interpreter (seconds)")
    print(f"  {'workload':10s}{'cache':>7s}{'import':>9s}{'1st step':>10s}{'total':>8s}"
          f"{'kernels':>9s}")
    for workload in ("tiny", "mlp"):
        with tempfile.TemporaryDirectory() as cache_dir:
            for cache in ("cold", "warm"):
                seconds = start(workload, cache_dir)
                print(f"  {workload:10s}{cache:>7s}" + "".join(f"{s:9.2f}" for s in seconds)
                      + f"{cached_kernels(cache_dir):9d}")


if __name__ == "__main__":
    main()
