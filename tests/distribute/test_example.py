"""examples/distributed_mnist_like.py: two ranks end where one process does, and resume."""
import os
import subprocess
import sys

import numpy as np

import minitf as mtf

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                       "distributed_mnist_like.py")
MPIEXEC = os.path.join(os.path.dirname(sys.executable), "mpiexec")


def _run(out, epochs, processes):
    launcher = [MPIEXEC, "-n", str(processes)] if processes > 1 else []
    done = subprocess.run([*launcher, sys.executable, EXAMPLE, "--epochs", str(epochs),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def _weights(directory):
    path = mtf.train.CheckpointManager(mtf.train.Checkpoint(), str(directory)).latest_checkpoint
    return {key: mtf.train.load_variable(path, key)
            for key, _ in mtf.train.list_variables(path)}


def test_two_ranks_match_one_process_and_a_rerun_resumes(tmp_path):
    two = _run(tmp_path / "two", 2, processes=2)
    one = _run(tmp_path / "one", 2, processes=1)
    assert two[0].startswith("2 process(es), global batch 64 (32 rows per rank)")
    assert [line.split()[1] for line in two[1:]] == ["1", "2"]     # rank 0 alone prints
    weights_two, weights_one = _weights(tmp_path / "two"), _weights(tmp_path / "one")
    assert sorted(weights_two) == sorted(weights_one)
    assert any("optimizer" in key and "momentum" in key for key in weights_two)
    for key in weights_one:
        np.testing.assert_allclose(weights_two[key], weights_one[key], rtol=1e-5, atol=1e-6,
                                   err_msg=key)
    again = _run(tmp_path / "two", 3, processes=2)
    assert [line.split()[1] for line in again[1:]] == ["3"]        # epochs 1-2 restored
    accuracy = float(again[-1].split()[-1])
    assert accuracy > 0.85, again                                   # chance is 0.10
