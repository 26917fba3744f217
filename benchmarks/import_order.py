"""The MLP step's speed must not depend on what was imported or run before minitf.

Each order runs in a fresh interpreter: minitf first, PyTorch first, and the
user's own numba ``parallel=True`` code run first (which starts numba's
process-wide threading layer). Each child times the 784-512-512-10 Adam step
of ``mlp_step.py`` for minitf and PyTorch side by side. Further children run
each framework alone, torch with minitf imported but idle (torch's speed must
not change), and both with numpy's OpenBLAS on one thread: when the two
alternate in one process, each one's BLAS threads still spin for a while after
its matmuls and slow the other one's, which that row shows. Medians in ms.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

USER_NUMBA = """
import numba, numpy as np
@numba.njit(parallel=True)
def _user_kernel(a):
    for i in numba.prange(a.size):
        a[i] += 1.0
_user_kernel(np.zeros(1 << 20))
"""

ORDERS = {   # name: (code run first, frameworks timed, extra environment)
    "minitf alone": ("import minitf", ("minitf",), {}),
    "minitf alone, torch imported first": ("import torch\nimport minitf", ("minitf",), {}),
    "minitf alone, user numba first": (USER_NUMBA + "import minitf", ("minitf",), {}),
    "torch alone": ("import torch", ("torch",), {}),
    "torch alone, minitf imported first": ("import minitf\nimport torch", ("torch",), {}),
    "side by side, minitf first": ("import minitf\nimport torch", ("minitf", "torch"), {}),
    "side by side, torch first": ("import torch\nimport minitf", ("minitf", "torch"), {}),
    "side by side, user numba first": (USER_NUMBA + "import minitf\nimport torch",
                                       ("minitf", "torch"), {}),
    "side by side, numpy BLAS 1 thread": ("import minitf\nimport torch", ("minitf", "torch"),
                                          {"OPENBLAS_NUM_THREADS": "1"}),
}

CHILD = """
import sys
sys.path.insert(0, {here!r})
{prelude}
import mlp_step
runs = mlp_step.steps("mlp", {frameworks!r})
medians = mlp_step.report("mlp", runs, {repeats}, 10)
print("RESULT", *(f"{{k}}={{v}}" for k, v in medians.items()))
"""


def run_order(prelude, frameworks, repeats, env=None):
    """{framework: median seconds} measured in a fresh interpreter."""
    code = CHILD.format(here=HERE, prelude=prelude, frameworks=frameworks, repeats=repeats)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=1200, env=dict(os.environ, **(env or {})))
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT"))
    return {k: float(v) for k, v in (item.split("=") for item in line.split()[1:])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("import order: torch n/a, only the minitf-first order without torch")
        print(run_order("import minitf", ("minitf",), args.repeats))
        return
    print("MLP 784-512-512-10 Adam step, batch 128, by what ran before minitf "
          "(medians, ms; fresh interpreter each)")
    print(f"  {'order':38s}{'minitf':>9s}{'torch':>9s}{'ratio':>8s}")
    for name, (prelude, frameworks, env) in ORDERS.items():
        medians = run_order(prelude, frameworks, args.repeats, env)
        ours, theirs = medians.get("minitf"), medians.get("torch")
        cells = [f"{ours * 1e3:9.2f}" if ours else f"{'-':>9s}",
                 f"{theirs * 1e3:9.2f}" if theirs else f"{'-':>9s}",
                 f"{ours / theirs:8.2f}" if ours and theirs else f"{'-':>8s}"]
        print(f"  {name:38s}{''.join(cells)}")


if __name__ == "__main__":
    main()
