"""mtf.distribute: real `mpiexec -n 2` jobs compared with one process, plus pass-through."""
import importlib.util
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import minitf as mtf
from minitf import distribute as dist

JOBS = os.path.join(os.path.dirname(__file__), "_jobs")
BIN = os.path.dirname(sys.executable)
MPIEXEC = os.path.join(BIN, "mpiexec")


def needs_mpi(test):
    """The test runs real mpiexec jobs: `make test` installs the mpi extra, so a missing
    MPI is a failed set-up, not a reason to skip."""
    return test


def test_mpi_is_installed_where_make_test_puts_it():
    assert os.path.exists(MPIEXEC), "mpiexec missing: pip install minitf[mpi]"
    assert importlib.util.find_spec("mpi4py") is not None, "pip install minitf[mpi]"


def _job(script, *args, timeout=60):
    """Run ``script`` under ``mpiexec -n 2``; the CompletedProcess (stdout and stderr joined)."""
    return subprocess.run([MPIEXEC, "-n", "2", sys.executable, os.path.join(JOBS, script),
                           *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, cwd=JOBS)


def _reference(mode):
    """The job's variables when one process trains on the whole batches."""
    spec = importlib.util.spec_from_file_location("_dist_train_job",
                                                  os.path.join(JOBS, "train.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [p.numpy() for p in module.run(mode)]


def _distributed(mode, tmp_path):
    """``(weights of rank 0, flat weights of every rank)`` of a 2-rank run of ``mode``."""
    out = tmp_path / f"{mode}.npz"
    done = _job("train.py", mode, out)
    assert done.returncode == 0, done.stdout
    with np.load(out) as data:
        assert int(data["size"]) == 2
        n = len([k for k in data.files if k.startswith("arr_")])
        return [data[f"arr_{i}"] for i in range(n)], data["every_rank"]


def _check_same_as_one_process(mode, tmp_path, rtol=1e-5, atol=0.0):
    weights, every = _distributed(mode, tmp_path)
    assert np.array_equal(every[0], every[1]), "ranks ended with different weights"
    reference = _reference(mode)
    for got, want in zip(weights, reference):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    return weights


@needs_mpi
def test_mlp_adam_two_ranks_equal_one_process(tmp_path):
    _check_same_as_one_process("mlp_adam", tmp_path)


@needs_mpi
def test_sparse_embedding_two_ranks_equal_one_process(tmp_path):
    _check_same_as_one_process("embedding_adam", tmp_path)


@needs_mpi
def test_clipping_acts_on_the_aggregated_gradient(tmp_path):
    (v,) = _check_same_as_one_process("clip_global", tmp_path)
    np.testing.assert_allclose(v, -np.full(2, 0.5 ** 0.5))     # clip(average)
    assert not np.allclose(v, [-0.5, -0.5])                   # average(clip) differs


@needs_mpi
def test_fp16_compression_within_float16_tolerance(tmp_path):
    weights, every = _distributed("mlp_sgd_fp16", tmp_path)
    assert np.array_equal(every[0], every[1])
    for got, want in zip(weights, _reference("mlp_sgd_reference")):
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3)


@needs_mpi
def test_two_backward_passes_equal_one_step_on_the_whole_batch(tmp_path):
    weights, every = _distributed("two_passes", tmp_path)
    assert np.array_equal(every[0], every[1])
    for got, want in zip(weights, _reference("one_pass")):
        np.testing.assert_allclose(got, want, rtol=1e-5)


@needs_mpi
def test_fusion_sends_few_buffers(tmp_path):
    weights, _ = _distributed("fusion", tmp_path)
    counts = weights[-1]
    # one buffer per dtype; at 400 bytes, 10 buffers of 5 float64 tensors + 1 of float32
    assert counts.tolist() == [2.0, 11.0]
    np.testing.assert_allclose(weights[0], np.full(10, -0.2))   # two steps of SGD, lr 0.1


@needs_mpi
def test_a_raising_rank_ends_the_job_naming_it():
    start = time.monotonic()
    done = _job("fail.py", "raise", timeout=90)
    assert done.returncode != 0
    assert time.monotonic() - start < 60
    assert "rank 1 exited (it raised or returned) while rank 0 waited in allreduce" \
        in done.stdout, done.stdout
    assert "finished" not in done.stdout


@needs_mpi
def test_a_stuck_rank_ends_the_job_after_the_timeout():
    start = time.monotonic()
    done = _job("fail.py", "stall", timeout=90)
    assert done.returncode != 0
    assert time.monotonic() - start < 8
    assert "rank 0 waited 2 s in allreduce" in done.stdout, done.stdout


@needs_mpi
def test_a_rank_raising_before_mpi_starts_ends_the_job():
    """MPI start-up waits for every rank; a watchdog ends the wait after the timeout."""
    start = time.monotonic()
    done = _job("fail.py", "early", timeout=90)
    assert done.returncode != 0
    assert time.monotonic() - start < 10
    assert "rank 1 fails before MPI starts" in done.stdout, done.stdout
    assert "rank 0 waited 2 s for the other ranks to start MPI" in done.stdout, done.stdout


@needs_mpi
def test_broadcasting_different_variables_is_an_error_naming_both_ranks():
    done = _job("fail.py", "layout", timeout=90)
    assert done.returncode != 0 and "finished" not in done.stdout
    assert "broadcast_variables: rank 1 has 3 variables (12 values) but rank 0 has 2 " \
           "(7 values)" in done.stdout, done.stdout


@needs_mpi
def test_only_rank_0_writes_checkpoints(tmp_path):
    done = _job("checkpoint.py", tmp_path)
    assert done.returncode == 0, done.stdout
    paths = [(tmp_path / f"rank{r}.txt").read_text().splitlines() for r in (0, 1)]
    assert paths[0] == paths[1]
    assert sorted(os.listdir(tmp_path / "managed")) == ["checkpoint", "ckpt-1"]
    assert os.path.isfile(tmp_path / "one") and os.path.isfile(tmp_path / "numbered-2")
    assert sorted(os.listdir(tmp_path)) == ["managed", "numbered-2", "one", "rank0.txt",
                                             "rank1.txt"]


# ---- a single process: everything is a pass-through


def test_single_process_pass_through():
    x = np.array([[1.0, 2.0]])
    t = mtf.constant([3.0])
    assert (dist.rank(), dist.size(), dist.local_rank(), dist.is_distributed()) == \
        (0, 1, 0, False)
    assert dist.allreduce(x) is x and dist.allreduce(t, op="sum") is t
    assert dist.allgather(x) is x and dist.broadcast(t) is t
    assert dist.shard(7) == slice(0, 7)
    v = mtf.Variable([1.0])
    dist.broadcast_variables([v, mtf.Module()])
    assert v.numpy().tolist() == [1.0]


def test_importing_does_not_import_mpi4py():
    code = ("import sys, minitf, minitf.distribute as d; d.rank(); "
            "print('mpi4py' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "PMIX_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.stdout.strip() == "False", out.stderr


def test_optimizer_pass_through_matches_the_wrapped_one():
    v1, v2 = mtf.Variable([1.0, -2.0]), mtf.Variable([1.0, -2.0])
    plain = mtf.optimizers.Adam(learning_rate=0.1, clipnorm=0.5)
    wrapped = dist.DistributedOptimizer(mtf.optimizers.Adam(learning_rate=0.1, clipnorm=0.5))
    for _ in range(3):
        plain.minimize(lambda: mtf.reduce_sum(v1 * v1 * v1), [v1])
        wrapped.minimize(lambda: mtf.reduce_sum(v2 * v2 * v2), [v2])
    assert np.array_equal(v1.numpy(), v2.numpy())
    assert int(wrapped.iterations) == 3 and wrapped.learning_rate is wrapped.optimizer.learning_rate
    assert wrapped.get_slot(v2, "momentum") is not None


def test_backward_passes_accumulate_then_apply_once():
    v1, v2 = mtf.Variable([1.0, 2.0]), mtf.Variable([1.0, 2.0])
    g1, g2 = mtf.constant([1.0, 0.0]), mtf.constant([0.0, 3.0])
    one = mtf.optimizers.SGD(learning_rate=1.0)
    one.apply_gradients([(mtf.constant([0.5, 1.5]), v1)])
    two = dist.DistributedOptimizer(mtf.optimizers.SGD(learning_rate=1.0),
                                    backward_passes_per_step=2)
    two.apply_gradients([(g1, v2)])
    assert v2.numpy().tolist() == [1.0, 2.0] and int(two.iterations) == 0
    two.apply_gradients([(g2, v2)])
    assert np.array_equal(v1.numpy(), v2.numpy()) and int(two.iterations) == 1


def test_sparse_gradients_pass_through_and_accumulate():
    table = mtf.Variable(np.zeros((4, 2)))
    opt = dist.DistributedOptimizer(mtf.optimizers.SGD(learning_rate=1.0),
                                    backward_passes_per_step=2)
    for idx in ([0, 1], [1, 3]):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.gather(table, mtf.constant(idx)))
        grad = tape.gradient(loss, table)
        assert isinstance(grad, mtf.IndexedSlices)
        opt.apply_gradients([(grad, table)])
    np.testing.assert_allclose(table.numpy()[:, 0], [-0.5, -1.0, 0.0, -0.5])


@pytest.mark.parametrize("kwargs, message", [
    (dict(op="mean"), "op must be 'average' or 'sum'"),
    (dict(fusion_bytes=0), "fusion_bytes must be a positive int"),
    (dict(compression="int8"), "compression must be None or 'fp16'"),
    (dict(backward_passes_per_step=0), "backward_passes_per_step must be an int >= 1"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dist.DistributedOptimizer(mtf.optimizers.SGD(), **kwargs)


def test_bad_collective_arguments_are_named():
    with pytest.raises(TypeError, match="broadcast_variables: expected Variables"):
        dist.broadcast_variables(["w"])
    with pytest.raises(ValueError, match="root_rank must be an int in"):
        dist.broadcast(np.ones(2), root_rank=3)
    with pytest.raises(ValueError, match="allgather: value must have at least one dim"):
        dist.allgather(np.float64(1.0))
    with pytest.raises(ValueError, match="shard: n_items"):
        dist.shard(-1)
    with pytest.raises(TypeError, match="DistributedOptimizer: optimizer must have"):
        dist.DistributedOptimizer("adam")


@pytest.mark.parametrize("module", ["collectives", "optimizer"])
def test_docstring_examples_run(module):
    import doctest
    import importlib
    lib = importlib.import_module(f"minitf.distribute.{module}")
    glob_mtf = type(sys)("mtf_with_distribute")
    glob_mtf.__dict__.update(vars(mtf), distribute=dist)
    result = doctest.testmod(lib, extraglobs={"mtf": glob_mtf, "np": np})
    assert result.attempted > 0 and result.failed == 0


def test_a_checkpoint_of_the_wrapper_restores_into_a_plain_optimizer(tmp_path):
    """The wrapper saves its optimizer's state under the same keys as without MPI."""
    v = mtf.Variable([1.0, -2.0])
    wrapped = dist.DistributedOptimizer(mtf.optimizers.Adam(learning_rate=0.1))
    wrapped.minimize(lambda: mtf.reduce_sum(v * v), [v])
    path = mtf.train.Checkpoint(v=v, optimizer=wrapped).write(str(tmp_path / "ckpt"))
    plain = mtf.optimizers.Adam(learning_rate=0.1)
    fresh = mtf.Variable([0.0, 0.0])
    mtf.train.Checkpoint(v=fresh, optimizer=plain).read(path).assert_consumed()
    assert np.array_equal(fresh.numpy(), v.numpy()) and int(plain.iterations) == 1
    for slot in ("momentum", "velocity"):
        np.testing.assert_array_equal(plain.get_slot(fresh, slot).numpy(),
                                      wrapped.get_slot(v, slot).numpy())
