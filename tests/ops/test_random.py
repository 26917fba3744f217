"""mtf.random: TensorFlow's seed rules, distribution sanity, threads, errors."""
import math
import threading

import numpy as np
import pytest

import minitf as mtf

R = mtf.random
N = 10_000


@pytest.fixture(autouse=True)
def _no_global_seed_afterwards():
    yield
    R.set_seed(None)


# --------------------------------------------------------------- seed rules

@pytest.mark.parametrize("op", [R.normal, R.uniform, R.truncated_normal])
def test_global_seed_replays_the_sequence(op):
    R.set_seed(5)
    a, b = op([3]).numpy(), op([3]).numpy()
    R.set_seed(5)
    np.testing.assert_array_equal(op([3]).numpy(), a)
    np.testing.assert_array_equal(op([3]).numpy(), b)
    assert not np.array_equal(a, b)                    # successive calls differ
    R.set_seed(6)
    assert not np.array_equal(op([3]).numpy(), a)      # another global seed, other numbers


@pytest.mark.parametrize("global_seed", [None, 9])
def test_op_seed_names_a_stream(global_seed):
    R.set_seed(global_seed)
    a, b = R.normal([4], seed=1).numpy(), R.normal([4], seed=1).numpy()
    other = R.normal([4], seed=2).numpy()
    R.set_seed(global_seed)                            # restarts every stream
    np.testing.assert_array_equal(R.normal([4], seed=1).numpy(), a)
    np.testing.assert_array_equal(R.normal([4], seed=1).numpy(), b)
    assert not np.array_equal(a, b)
    assert not np.array_equal(a, other)


def test_op_seed_streams_depend_on_the_global_seed():
    R.set_seed(1)
    a = R.uniform([4], seed=3).numpy()
    R.set_seed(2)
    assert not np.array_equal(R.uniform([4], seed=3).numpy(), a)


def test_interleaved_streams_do_not_disturb_each_other():
    R.set_seed(4)
    first = [R.normal([2], seed=1).numpy() for _ in range(3)]
    R.set_seed(4)
    mixed = []
    for _ in range(3):
        mixed.append(R.normal([2], seed=1).numpy())
        R.normal([5], seed=2)
        R.normal([5])
    np.testing.assert_array_equal(np.stack(mixed), np.stack(first))


def test_unseeded_draws_differ():
    R.set_seed(None)
    assert not np.array_equal(R.normal([8]).numpy(), R.normal([8]).numpy())


# ------------------------------------------------------------- distributions

def test_normal_statistics():
    x = R.normal([N], mean=3.0, stddev=2.0, dtype=mtf.float64, seed=1).numpy()
    assert abs(x.mean() - 3.0) < 5 * 2 / math.sqrt(N)
    assert abs(x.std() - 2.0) < 0.05


def test_uniform_statistics_and_bounds():
    x = R.uniform([N], minval=-2.0, maxval=4.0, seed=2).numpy()
    assert x.dtype == np.float32
    assert x.min() >= -2.0 and x.max() < 4.0
    assert abs(x.mean() - 1.0) < 5 * 6 / math.sqrt(12 * N)
    assert abs(x.std() - 6 / math.sqrt(12)) < 0.05
    unit = R.uniform([N], seed=3).numpy()
    assert unit.min() >= 0 and unit.max() < 1
    half = R.uniform([4 * N], dtype=mtf.float16, seed=3).numpy()   # rounding must not give 1
    assert half.dtype == np.float16 and half.min() >= 0 and half.max() < 1


def test_uniform_integers():
    x = R.uniform([N], minval=-3, maxval=4, dtype=mtf.int32, seed=4).numpy()
    assert x.dtype == np.int32
    assert set(np.unique(x)) == set(range(-3, 4))
    assert abs(x.mean() - 0.0) < 5 * 2 / math.sqrt(N)


def test_truncated_normal_bounds_and_statistics():
    x = R.truncated_normal([N], mean=1.0, stddev=3.0, dtype=mtf.float64, seed=5).numpy()
    assert np.all(np.abs(x - 1.0) <= 6.0)
    # standard normal truncated to [-2, 2]: var = 1 - 2 * 2 * phi(2) / (2 * Phi(2) - 1)
    phi = math.exp(-2) / math.sqrt(2 * math.pi)
    std = 3.0 * math.sqrt(1 - 4 * phi / math.erf(math.sqrt(2)))
    assert abs(x.mean() - 1.0) < 5 * std / math.sqrt(N)
    assert abs(x.std() - std) < 0.05


@pytest.mark.parametrize("dtype", [mtf.float16, mtf.float32, mtf.float64])
def test_dtypes_and_shapes(dtype):
    for op in (R.normal, R.uniform, R.truncated_normal):
        x = op([2, 3], dtype=dtype, seed=6)
        assert x.shape == (2, 3) and x.dtype == dtype
    assert R.normal(mtf.constant([4, 1])).shape == (4, 1)
    assert R.uniform((), seed=1).shape == ()
    assert R.normal([0, 3]).shape == (0, 3)


def test_tensor_parameters_get_gradients():
    mean, stddev = mtf.Variable(0.5), mtf.Variable(2.0)
    with mtf.GradientTape() as tape:
        x = R.normal([1000], mean=mean, stddev=stddev, seed=7)
        total = mtf.reduce_sum(x)
    d_mean, d_std = tape.gradient(total, [mean, stddev])
    z = (x.numpy() - 0.5) / 2.0                        # the standard draws behind x
    assert float(d_mean) == 1000.0
    np.testing.assert_allclose(float(d_std), z.sum(), rtol=1e-4)


def test_uniform_tensor_bounds_get_gradients():
    lo, hi = mtf.Variable(-1.0), mtf.Variable(3.0)
    with mtf.GradientTape() as tape:
        x = R.uniform([1000], minval=lo, maxval=hi, seed=8)
        total = mtf.reduce_sum(x)
    d_lo, d_hi = tape.gradient(total, [lo, hi])
    u = (x.numpy() - -1.0) / 4.0                       # the U[0, 1) draws behind x
    assert u.min() >= 0 and u.max() < 1
    np.testing.assert_allclose(float(d_hi), u.sum(), rtol=1e-4)
    np.testing.assert_allclose(float(d_lo), (1 - u).sum(), rtol=1e-4)


# ------------------------------------------------------------------ threads

def _in_threads(fn, threads=4, calls=25):
    results = [[] for _ in range(threads)]

    def work(k):
        for _ in range(calls):
            results[k].append(fn())
    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return [r for rs in results for r in rs]


@pytest.mark.parametrize("seed", [None, 3])
def test_threads_draw_exactly_the_sequential_numbers(seed):
    R.set_seed(12)
    sequential = [R.normal([16], seed=seed).numpy() for _ in range(100)]
    R.set_seed(12)
    threaded = _in_threads(lambda: R.normal([16], seed=seed).numpy())
    # Each call draws one whole block: the same blocks, in some order.
    assert sorted(map(tuple, threaded)) == sorted(map(tuple, sequential))


def test_unseeded_threads_do_not_repeat_each_other():
    R.set_seed(None)
    draws = _in_threads(lambda: R.uniform([4]).numpy(), threads=3, calls=10)
    assert len({tuple(d) for d in draws}) == len(draws)


# ------------------------------------------------------------------- errors

def test_errors():
    with pytest.raises(TypeError, match=r"normal: dtype must be float16, float32 or "
                                        r"float64. Received: dtype=dtype\('int32'\)"):
        R.normal([2], dtype=mtf.int32)
    with pytest.raises(ValueError, match=r"uniform: integer dtype int32 needs Python int "
                                         r"minval and maxval"):
        R.uniform([2], dtype=mtf.int32)
    with pytest.raises(ValueError, match=r"uniform: need minval < maxval"):
        R.uniform([2], minval=3, maxval=3, dtype=mtf.int64)
    with pytest.raises(ValueError, match=r"truncated_normal: shape must hold ints >= 0; -1 "
                                         r"is not allowed. Received: shape=\[2, -1\]"):
        R.truncated_normal([2, -1])
    with pytest.raises(TypeError, match=r"normal: shape must be an int or a list of ints"):
        R.normal([2.5])
    with pytest.raises(TypeError, match=r"normal: seed must be an int. Received: seed='a'"):
        R.normal([2], seed="a")
    with pytest.raises(TypeError, match=r"set_seed: seed must be an int"):
        R.set_seed(1.5)
    with pytest.raises(ValueError, match=r"normal: parameters of shape \(2, 3\) do not "
                                         r"broadcast to the requested shape \(3,\)"):
        R.normal([3], mean=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"uniform: parameters .* must be numbers or arrays "
                                         r"broadcastable to shape \(3,\)"):
        R.uniform([3], minval=[0.0, 1.0], maxval=[2.0, 3.0])


def test_array_bounds_broadcast():
    lo, hi = np.array([0.0, 10.0, 20.0]), np.array([1.0, 11.0, 21.0])
    x = R.uniform([500, 3], minval=lo, maxval=hi, seed=1).numpy()
    assert np.all((x >= lo) & (x < hi))
    y = R.normal([500, 3], mean=lo, stddev=np.array([1.0, 0.0, 2.0]), seed=2).numpy()
    np.testing.assert_array_equal(y[:, 1], 10.0)
