"""Every workload with each framework alone in its own fresh interpreter.

Side by side in one process (the other benchmarks), the two frameworks share
the cores: when one finishes a matrix product, its BLAS or OpenMP threads keep
spinning for a while and slow the other one's next steps (torch by up to 2x
beside minitf's numpy matmuls, minitf less). Run alone, neither is disturbed,
so this is the comparison a user running one of them sees. Medians in ms.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

JOBS = [   # (row, script, arguments)
    ("MLP 784-512-512-10 Adam", "mlp_step.py", ["--workload", "mlp"]),
    ("MLP 2-16-16-1 SGD", "mlp_step.py", ["--workload", "tiny"]),
    ("embedding 100000x64 SGD", "sparse_embedding.py", ["--optimizer", "sgd"]),
    ("transformer block Adam", "transformer_block.py", []),
    ("CNN Adam", "cnn_step.py", []),
]
_LINE = re.compile(r"^\s+(minitf|torch)\s+([0-9.]+) ms")


def alone(script, arguments, framework, repeats):
    """Median ms of ``framework`` in ``script`` run by itself, or None (torch missing)."""
    out = subprocess.run([sys.executable, script, *arguments, "--only", framework,
                          "--repeats", str(repeats)], cwd=HERE, capture_output=True,
                         text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    times = [float(m.group(2)) for m in map(_LINE.match, out.stdout.splitlines())
             if m and m.group(1) == framework]
    return times[0] if times else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print("each framework alone in a fresh interpreter (medians, ms)")
    print(f"  {'workload':28s}{'minitf':>9s}{'torch':>9s}{'ratio':>8s}")
    for row, script, arguments in JOBS:
        ours, theirs = (alone(script, arguments, f, args.repeats) for f in ("minitf", "torch"))
        ratio = f"{ours / theirs:8.2f}" if theirs else "     n/a"
        torch_cell = f"{theirs:9.3f}" if theirs else "      n/a"
        print(f"  {row:28s}{ours:9.3f}{torch_cell}{ratio}")


if __name__ == "__main__":
    main()
