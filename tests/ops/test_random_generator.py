"""mtf.random.Generator, stateless draws, categorical and shuffle: statistics,
determinism, state tracking and checkpointing, replay in mtf.function, errors."""
import math
import subprocess
import sys

import numpy as np
import pytest

import minitf as mtf

R = mtf.random
N = 20_000
KS_BOUND = 1.95 / math.sqrt(N)       # Kolmogorov-Smirnov, alpha ~ 0.001


@pytest.fixture(autouse=True)
def _no_global_seed_afterwards():
    yield
    R.set_seed(None)


def _ks(samples, cdf):
    """The Kolmogorov-Smirnov distance between ``samples`` and ``cdf``."""
    x = np.sort(np.asarray(samples, np.float64))
    f = cdf(x)
    n = len(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n))


def _normal_cdf(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _truncated_cdf(x):
    low, mass = _normal_cdf(np.array(-2.0)), _normal_cdf(np.array(2.0)) - _normal_cdf(
        np.array(-2.0))
    return np.clip((_normal_cdf(x) - low) / mass, 0, 1)


# Every way of drawing: a Generator's method, the seeded op, the stateless op.
def _normal_draws(kind, shape, **kw):
    if kind == "generator":
        return R.Generator.from_seed(11).normal(shape, **kw)
    if kind == "seeded":
        return R.normal(shape, seed=11, **kw)
    return R.stateless_normal(shape, [11, 12], **kw)


def _uniform_draws(kind, shape, **kw):
    if kind == "generator":
        return R.Generator.from_seed(11).uniform(shape, **kw)
    if kind == "seeded":
        return R.uniform(shape, seed=11, **kw)
    return R.stateless_uniform(shape, [11, 12], **kw)


KINDS = ["generator", "seeded", "stateless"]


# --------------------------------------------------------------- statistics

@pytest.mark.parametrize("kind", KINDS)
def test_normal_statistics(kind):
    x = _normal_draws(kind, [N], mean=2.0, stddev=3.0, dtype=mtf.float64).numpy()
    assert abs(x.mean() - 2.0) < 5 * 3.0 / math.sqrt(N)
    assert abs(x.var() / 9.0 - 1) < 5 * math.sqrt(2 / N)
    assert _ks((x - 2.0) / 3.0, _normal_cdf) < KS_BOUND


@pytest.mark.parametrize("kind", KINDS)
def test_uniform_float_statistics(kind):
    x = _uniform_draws(kind, [N], minval=-1.0, maxval=3.0).numpy()
    assert x.dtype == np.float32 and x.min() >= -1 and x.max() < 3
    assert abs(x.mean() - 1.0) < 5 * (4 / math.sqrt(12)) / math.sqrt(N)
    assert _ks((x + 1) / 4, lambda u: np.clip(u, 0, 1)) < KS_BOUND


@pytest.mark.parametrize("kind", KINDS)
def test_uniform_int_frequencies(kind):
    x = _uniform_draws(kind, [N], minval=-2, maxval=3, dtype=mtf.int64).numpy()
    assert x.dtype == np.int64 and x.min() >= -2 and x.max() <= 2
    counts = np.bincount(x + 2, minlength=5)
    expected = N / 5
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 18.5                 # chi-square, 4 dof, alpha = 0.001


def test_uniform_int_needs_maxval():
    with pytest.raises(ValueError, match="Generator.uniform: integer dtype int32 needs"):
        R.Generator.from_seed(1).uniform([2], dtype=mtf.int32)
    with pytest.raises(ValueError, match="stateless_uniform: integer dtype int64 needs"):
        R.stateless_uniform([2], [1, 2], dtype=mtf.int64)


def test_truncated_normal_statistics_and_bounds():
    g = R.Generator.from_seed(5)
    x = g.truncated_normal([N], mean=1.0, stddev=0.5, dtype=mtf.float64).numpy()
    assert x.min() >= 1.0 - 2 * 0.5 and x.max() <= 1.0 + 2 * 0.5
    assert _ks((x - 1.0) / 0.5, _truncated_cdf) < KS_BOUND


@pytest.mark.parametrize("dtype", [mtf.float16, mtf.float32, mtf.float64])
def test_draws_have_the_requested_dtype(dtype):
    g = R.Generator.from_seed(2)
    for out in (g.normal([3], dtype=dtype), g.uniform([3], dtype=dtype),
                g.truncated_normal([3], dtype=dtype), R.stateless_normal([3], [1, 1], dtype=dtype)):
        assert out.dtype == dtype and out.shape == (3,)


@pytest.mark.parametrize("kind", ["generator", "seeded"])
def test_categorical_frequencies_match_softmax(kind):
    logits = np.array([[0.0, 1.0, -1.0, 2.0, -np.inf], [3.0, 3.0, 3.0, 3.0, 3.0]])
    draw = (R.Generator.from_seed(3).categorical(logits, N) if kind == "generator"
            else R.categorical(logits, N, seed=3))
    x = draw.numpy()
    assert x.shape == (2, N) and x.dtype == np.int64
    for row, z in zip(x, logits):
        p = np.exp(z - z.max())
        p /= p.sum()
        counts = np.bincount(row, minlength=5)
        assert counts[p == 0].sum() == 0             # a -inf logit is never drawn
        live = p > 0
        chi2 = ((counts[live] - N * p[live]) ** 2 / (N * p[live])).sum()
        assert chi2 < 18.5                           # <= 4 dof, alpha = 0.001


def test_categorical_dtype_and_edges():
    assert R.categorical([[1.0, 2.0]], 4, dtype=mtf.int32, seed=1).dtype == mtf.int32
    assert R.categorical(np.zeros((0, 3), np.float32), 2, seed=1).shape == (0, 2)
    assert R.categorical([[1.0, 2.0]], 0, seed=1).shape == (1, 0)
    only = R.categorical([[-np.inf, np.inf, 0.0, np.inf]], 200, seed=1).numpy()
    assert set(only.ravel().tolist()) <= {1, 3}      # all the mass on the +inf logits


@pytest.mark.parametrize("kind", ["generator", "seeded"])
def test_shuffle_is_a_permutation_of_rows(kind):
    value = np.arange(40, dtype=np.int32).reshape(20, 2)
    out = (R.Generator.from_seed(4).shuffle(value) if kind == "generator"
           else R.shuffle(value, seed=4)).numpy()
    assert out.dtype == np.int32 and out.shape == (20, 2)
    assert sorted(out[:, 0].tolist()) == list(range(0, 40, 2))
    np.testing.assert_array_equal(out[:, 1], out[:, 0] + 1)   # rows move whole
    assert not np.array_equal(out, value)


def test_shuffle_keeps_dtype_of_bools_and_floats():
    assert R.shuffle([True, False, True], seed=1).dtype == mtf.bool
    assert R.shuffle(mtf.Variable([1.0, 2.0]), seed=1).dtype == mtf.float32


# --------------------------------------------------------------- determinism

def _all_draws(g):
    return [g.normal([3]).numpy(), g.uniform([3]).numpy(), g.truncated_normal([3]).numpy(),
            g.uniform([3], 0, 100, mtf.int32).numpy(),
            g.categorical([[0.0, 1.0, 2.0]], 4).numpy(), g.shuffle(np.arange(6)).numpy()]


def test_same_seed_same_numbers_other_seed_other_numbers():
    a, b = _all_draws(R.Generator.from_seed(9)), _all_draws(R.Generator.from_seed(9))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = _all_draws(R.Generator.from_seed(10))
    assert not np.array_equal(a[0], c[0])


def test_the_state_changes_on_every_draw():
    g = R.Generator.from_seed(1)
    seen = {tuple(g.state.numpy())}
    for draw in (lambda: g.normal([2]), lambda: g.uniform([2]),
                 lambda: g.truncated_normal([2]), lambda: g.uniform([2], 0, 3, mtf.int64),
                 lambda: g.categorical([[0.0, 0.0]], 2), lambda: g.shuffle([1, 2, 3]),
                 lambda: R.normal([2], seed=g), lambda: mtf.nn.dropout(mtf.ones([4]), 0.5, seed=g),
                 lambda: mtf.initializers.glorot_uniform(seed=g)([2, 2]), lambda: g.split(1)):
        draw()
        state = tuple(g.state.numpy())
        assert state not in seen
        seen.add(state)


def test_successive_draws_differ():
    g = R.Generator.from_seed(1)
    assert not np.array_equal(g.normal([5]).numpy(), g.normal([5]).numpy())


def test_the_draw_is_a_function_of_the_state():
    g = R.Generator.from_seed(3)
    g.normal([4])
    state = g.state.numpy()
    a = g.normal([4]).numpy()
    assert np.array_equal(R.Generator.from_state(state).normal([4]).numpy(), a)
    g.reset(state)
    np.testing.assert_array_equal(g.normal([4]).numpy(), a)


def test_reset_from_seed_restarts_the_sequence():
    g = R.Generator.from_seed(6)
    first = g.normal([3]).numpy()
    g.normal([3])
    g.reset_from_seed(6)
    np.testing.assert_array_equal(g.normal([3]).numpy(), first)


def test_copy_from_continues_independently():
    g = R.Generator.from_seed(2)
    g.normal([2])
    h = R.Generator(copy_from=g)
    np.testing.assert_array_equal(h.normal([3]).numpy(), g.normal([3]).numpy())
    assert h.state is not g.state


def test_split_gives_distinct_reproducible_generators():
    a, b = R.Generator.from_seed(8).split(2)
    c, _ = R.Generator.from_seed(8).split(2)
    x, y, z = a.normal([4]).numpy(), b.normal([4]).numpy(), c.normal([4]).numpy()
    assert not np.array_equal(x, y)
    np.testing.assert_array_equal(x, z)


def test_non_deterministic_generators_differ_and_leave_numpy_alone():
    before = np.random.get_state()[1].copy()
    a = R.Generator.from_non_deterministic_state().normal([4]).numpy()
    b = R.Generator.from_non_deterministic_state().normal([4]).numpy()
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_generator_draws_ignore_the_global_seed():
    R.set_seed(1)
    a = R.Generator.from_seed(4).normal([3]).numpy()
    R.set_seed(2)
    np.testing.assert_array_equal(R.Generator.from_seed(4).normal([3]).numpy(), a)


def test_stateless_same_seed_same_numbers():
    a = R.stateless_normal([5], [3, 4]).numpy()
    np.testing.assert_array_equal(R.stateless_normal([5], [3, 4]).numpy(), a)
    seed = mtf.constant([3, 4], mtf.int64)
    np.testing.assert_array_equal(R.stateless_normal([5], seed).numpy(), a)
    assert not np.array_equal(R.stateless_normal([5], [4, 3]).numpy(), a)
    b = R.stateless_uniform([5], np.array([-1, 2**40]))
    np.testing.assert_array_equal(R.stateless_uniform([5], [-1, 2**40]).numpy(), b.numpy())


def test_stateless_numbers_are_the_same_in_another_process():
    code = ("import minitf as mtf; print(repr(mtf.random.stateless_normal([4], [7, 8], "
            "dtype=mtf.float64).numpy().tolist()), repr(mtf.random.stateless_uniform([3], "
            "[7, 8], 0, 9, mtf.int64).numpy().tolist()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    here = (repr(R.stateless_normal([4], [7, 8], dtype=mtf.float64).numpy().tolist()) + " "
            + repr(R.stateless_uniform([3], [7, 8], 0, 9, mtf.int64).numpy().tolist()))
    assert out == here.split()


def test_int_seeds_keep_the_seed_rules():
    R.set_seed(3)
    a = mtf.nn.dropout(mtf.ones([50]), 0.5, seed=1).numpy()
    w = mtf.initializers.glorot_uniform(seed=2)([3, 3]).numpy()
    R.set_seed(3)
    np.testing.assert_array_equal(mtf.nn.dropout(mtf.ones([50]), 0.5, seed=1).numpy(), a)
    np.testing.assert_array_equal(mtf.initializers.glorot_uniform(seed=2)([3, 3]).numpy(), w)


def test_dropout_with_a_generator_is_reproducible():
    masks = []
    for _ in range(2):
        g = R.Generator.from_seed(12)
        masks.append([mtf.nn.dropout(mtf.ones([30]), 0.4, seed=g).numpy() for _ in range(2)])
    np.testing.assert_array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[0][0], masks[0][1])
    assert set(np.unique(masks[0][0]).tolist()) <= {0.0, np.float32(1 / 0.6)}


# --------------------------------------------------------------- tape and mtf.function

def test_draws_under_a_gradient_tape():
    g = R.Generator.from_seed(1)
    mean, stddev = mtf.Variable([1.0, 2.0]), mtf.Variable(3.0)
    with mtf.GradientTape() as tape:
        z = g.normal([2], mean=mean, stddev=stddev)
        y = mtf.reduce_sum(mtf.nn.dropout(z, 0.5, seed=g))
    dmean, dstd = tape.gradient(y, [mean, stddev])
    assert dmean is not None and dstd is not None
    assert g.state.numpy()[0] == 2


def test_generator_draws_replay_like_the_eager_sequence():
    g = R.Generator.from_seed(21)

    @mtf.function
    def step(x):
        return x * g.normal([3]) + g.uniform([3]) + mtf.cast(g.shuffle([0, 1, 2]), mtf.float32)
    traced = [step(mtf.ones([3])).numpy() for _ in range(4)]
    g.reset_from_seed(21)
    eager = [(mtf.ones([3]) * g.normal([3]) + g.uniform([3])
              + mtf.cast(g.shuffle([0, 1, 2]), mtf.float32)).numpy() for _ in range(4)]
    np.testing.assert_array_equal(traced, eager)
    assert not np.array_equal(traced[0], traced[1])


def test_a_traced_draw_follows_a_restored_state():
    g = R.Generator.from_seed(2)

    @mtf.function
    def draw():
        return g.normal([2])
    start = g.state.numpy()
    first = draw().numpy()
    draw()
    g.reset(start)                                    # rewinds the replayed program too
    np.testing.assert_array_equal(draw().numpy(), first)


def test_seeded_categorical_and_shuffle_replay_like_eager():
    @mtf.function
    def draw(logits):
        return R.categorical(logits, 5), R.shuffle(mtf.range(6))
    logits = mtf.constant([[0.0, 1.0, 2.0]])
    R.set_seed(4)
    traced = [[t.numpy() for t in draw(logits)] for _ in range(3)]
    R.set_seed(4)
    eager = [[R.categorical(logits, 5).numpy(), R.shuffle(mtf.range(6)).numpy()]
             for _ in range(3)]
    for t, e in zip(traced, eager):
        np.testing.assert_array_equal(t[0], e[0])
        np.testing.assert_array_equal(t[1], e[1])


def test_stateless_seed_as_a_traced_argument():
    @mtf.function
    def draw(seed):
        return R.stateless_normal([3], seed)
    for seed in ([1, 2], [5, 6], [1, 2]):
        np.testing.assert_array_equal(draw(mtf.constant(seed)).numpy(),
                                      R.stateless_normal([3], seed).numpy())


# --------------------------------------------------------------- tracking and checkpoints

def test_a_module_lists_the_generator_state():
    g = R.Generator.from_seed(1)
    drop = mtf.layers.Dropout(0.5, seed=g)
    assert drop.non_trainable_variables == (g.state,)
    assert drop.trainable_variables == ()
    assert g.state.dtype == mtf.int64 and g.state.shape == (3,) and not g.state.trainable


def test_a_shared_generator_is_one_variable():
    g = R.Generator.from_seed(1)
    net = mtf.layers.Sequential([mtf.layers.Linear(3), mtf.layers.Dropout(0.5, seed=g),
                                 mtf.layers.Linear(2), mtf.layers.Dropout(0.2, seed=g)])
    net(mtf.ones([1, 4]), training=True)
    assert [v for v in net.variables if v is g.state] == [g.state]
    assert sum(1 for v in net.non_trainable_variables if v.dtype == mtf.int64) == 1


def test_get_weights_includes_the_state_and_set_weights_restores_it():
    g = R.Generator.from_seed(1)
    drop = mtf.layers.Dropout(0.5, seed=g)
    saved = drop.get_weights()
    assert len(saved) == 1 and saved[0].dtype == np.int64
    first = drop(mtf.ones([20]), training=True).numpy()
    drop.set_weights(saved)
    np.testing.assert_array_equal(drop(mtf.ones([20]), training=True).numpy(), first)


def test_checkpoint_saves_and_restores_the_state(tmp_path):
    g = R.Generator.from_seed(5)
    model = mtf.layers.Sequential([mtf.layers.Dropout(0.5, seed=g)])
    ckpt = mtf.train.Checkpoint(model=model, gen=g)
    g.normal([3])
    path = ckpt.write(str(tmp_path / "rng"))
    expected = [g.normal([4]).numpy(), model(mtf.ones([8]), training=True).numpy()]
    g.reset_from_seed(0)
    ckpt.read(path).assert_consumed()
    np.testing.assert_array_equal(g.normal([4]).numpy(), expected[0])
    np.testing.assert_array_equal(model(mtf.ones([8]), training=True).numpy(), expected[1])


def test_checkpoint_keys_name_the_state(tmp_path):
    g = R.Generator.from_seed(5)
    path = mtf.train.Checkpoint(model=mtf.layers.Dropout(0.5, seed=g)).write(
        str(tmp_path / "k"))
    keys = [k for k, _ in mtf.train.list_variables(path)]
    assert "model/seed/state" in keys
    np.testing.assert_array_equal(mtf.train.load_variable(path, "model/seed/state"),
                                  g.state.numpy())


# --------------------------------------------------------------- errors

@pytest.mark.parametrize("call, error, text", [
    (lambda: R.Generator(), ValueError, "Generator: pass exactly one of copy_from"),
    (lambda: R.Generator(state=[1, 2]), ValueError, "Generator: state must be 3 ints"),
    (lambda: R.Generator(copy_from=3), TypeError, "Generator: copy_from must be"),
    (lambda: R.Generator.from_seed(1.5), TypeError, "Generator.from_seed: seed must be an int"),
    (lambda: R.Generator.from_seed(1, alg="threefry"), ValueError, "Generator: alg"),
    (lambda: R.Generator.from_seed(1).split(0), ValueError, "Generator.split: count"),
    (lambda: R.Generator.from_seed(1).normal([-1]), ValueError, "Generator.normal: shape"),
    (lambda: R.Generator.from_seed(1).reset([1.0, 2.0, 3.0]), ValueError, "Generator.reset"),
    (lambda: R.stateless_normal([2], [1, 2, 3]), ValueError, "stateless_normal: seed must have"),
    (lambda: R.stateless_normal([2], [1.0, 2.0]), TypeError, "stateless_normal: seed must hold"),
    (lambda: R.stateless_normal([2], None), ValueError, "stateless_normal: seed is required"),
    (lambda: R.stateless_uniform([2], [1, 2], alg="x"), ValueError, "stateless_uniform: alg"),
    (lambda: R.stateless_uniform([2], [1, 2], alg=3), TypeError, "stateless_uniform: alg"),
    (lambda: R.categorical([1.0, 2.0], 2), ValueError, "categorical: logits must have shape"),
    (lambda: R.categorical(np.zeros((2, 0)), 2), ValueError, "categorical: logits must have"),
    (lambda: R.categorical([[1.0]], -1), ValueError, "categorical: num_samples"),
    (lambda: R.categorical([[1.0]], 2, dtype=mtf.float32), TypeError, "categorical: dtype"),
    (lambda: R.categorical([[1, 2]], 2), TypeError, "categorical"),
    (lambda: R.shuffle(3.0), ValueError, "shuffle: value must have at least one axis"),
    (lambda: R.shuffle([1, 2], seed="a"), TypeError, "shuffle: seed must be an int"),
    (lambda: mtf.nn.dropout(mtf.ones([2]), 0.5, seed=[1]), TypeError, "dropout: seed"),
])
def test_errors_name_the_op_and_argument(call, error, text):
    with pytest.raises(error, match=text.replace(".", r"\.")):
        call()
