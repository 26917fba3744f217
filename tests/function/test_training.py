"""Training inside mtf.function leaves every Variable as eager training does, bit for bit.

Each case builds twin models and optimizers from one seed, trains one twin
eagerly and the other with its step inside ``mtf.function`` (traced on the
first step, replayed on the other 19), on the same batches; the per-step
results, the model Variables and the optimizer's ``iterations`` and slots
must be equal exactly. Truth is eager execution, which the rest of the suite
checks against numpy, finite differences and hand-computed optimizer steps.
"""
import importlib.util
import pathlib
import sys

import numpy as np
import pytest

import minitf as mtf

STEPS = 20
_EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


# ---------------------------------------------------------------- harness

class Trainer:
    """A step function and the Variables it trains (read after training: slots
    appear on the first update)."""

    def __init__(self, step, modules, optimizers):
        self.step, self.modules, self.optimizers = step, modules, optimizers

    def state(self):
        found = [v for m in self.modules for v in m.variables]
        return found + [v for opt in self.optimizers for v in opt.variables]


def twins(make):
    """Two ``make()`` Trainers built from the same seed (so with equal Variables)."""
    pair = []
    for _ in range(2):
        mtf.random.set_seed(0)
        pair.append(make())
    assert_same_arrays(pair[0].state(), pair[1].state())
    return pair


def batches(shapes, seed=0, steps=STEPS):
    """``steps`` tuples of float32 normal arrays of the given shapes."""
    rng = np.random.default_rng(seed)
    return [tuple(rng.standard_normal(s).astype(np.float32) for s in shapes)
            for _ in range(steps)]


def arrays(result):
    """The arrays of a step's result (a Tensor, or a tuple of Tensors)."""
    items = result if isinstance(result, (tuple, list)) else (result,)
    return [np.asarray(r.numpy() if hasattr(r, "numpy") else r) for r in items]


def assert_same_arrays(a, b, what="state"):
    """Equal lengths, dtypes and values, item by item (a NaN anywhere fails)."""
    a, b = arrays(a), arrays(b)
    assert len(a) == len(b), what
    for i, (x, y) in enumerate(zip(a, b)):
        assert x.dtype == y.dtype and np.array_equal(x, y), f"{what}: item {i} differs"


def train_both_ways(make, data):
    """Train twins on ``data`` (one tuple of arguments per step), eagerly and traced;
    assert equal results and state; return the traced twin and the eager results."""
    eager, traced = twins(make)
    initial = [v.numpy().copy() for v in eager.state()]
    function = mtf.function(traced.step)
    eager_results = [arrays(eager.step(*args)) for args in data]
    traced_results = [arrays(function(*args)) for args in data]
    assert function.experimental_get_tracing_count() == 1
    for step, (e, t) in enumerate(zip(eager_results, traced_results)):
        assert_same_arrays(e, t, f"results of step {step}")
    assert_same_arrays(eager.state(), traced.state())
    assert any(not np.array_equal(a, v.numpy()) for a, v in zip(initial, eager.state()))
    for opt in traced.optimizers:
        assert int(opt.iterations.numpy()) == len(data)
    return traced, eager_results


def supervised(model, optimizer, loss_fn):
    """A Trainer whose step is one ``optimizer`` update of ``loss_fn(model(x), y)``."""
    def step(x, y):
        with mtf.GradientTape() as tape:
            loss = loss_fn(model(x), y)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, mtf.global_norm(grads)
    return Trainer(step, [model], [optimizer])


def cross_entropy(logits, labels):
    return mtf.reduce_mean(mtf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=labels, logits=logits))


def classification_batches(features_shape, classes, seed=0):
    """Per step: float32 features and int32 labels in [0, classes)."""
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(features_shape).astype(np.float32),
             rng.integers(0, classes, features_shape[0]).astype(np.int32))
            for _ in range(STEPS)]


def built(model, example):
    """``model`` after one call on ``example`` (lazy layers create their Variables)."""
    model(example)
    return model


# ---------------------------------------------------------------- (a) MLP, (b) CNN

def make_mlp(optimizer=None):
    model = built(mtf.layers.MLP([16, 16, 3]), np.zeros((1, 5), np.float32))
    return supervised(model, optimizer or mtf.optimizers.Adam(learning_rate=0.01),
                      cross_entropy)


class SmallCNN(mtf.Module):
    """Conv2D, ReLU, 2x2 max pooling, Flatten, Linear: images [b, 8, 8, 1] -> 3 logits."""

    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.conv = mtf.layers.Conv2D(4, kernel_shape=3)
            self.flatten = mtf.layers.Flatten()
            self.linear = mtf.layers.Linear(3)

    @mtf.Module.with_name_scope
    def __call__(self, images):
        x = mtf.nn.max_pool2d(mtf.nn.relu(self.conv(images)), 2, 2, "VALID")
        return self.linear(self.flatten(x))


def make_cnn():
    model = built(SmallCNN(), np.zeros((1, 8, 8, 1), np.float32))
    return supervised(model, mtf.optimizers.Adam(learning_rate=0.01), cross_entropy)


def test_mlp_with_adam_trains_identically_inside_a_function():
    traced, results = train_both_ways(make_mlp, classification_batches((32, 5), 3))
    assert results[-1][0] < results[0][0]                 # the loss went down
    # iterations, learning_rate, then m and v of each of the 6 Variables
    assert len(traced.optimizers[0].variables) == 2 + 2 * 6


def test_cnn_with_adam_trains_identically_inside_a_function():
    train_both_ways(make_cnn, classification_batches((8, 8, 8, 1), 3))


def test_an_unbuilt_mlp_can_create_its_variables_on_the_first_trace():
    def make():
        model = mtf.layers.MLP([8, 2])
        return supervised(model, mtf.optimizers.Adam(0.01), cross_entropy)
    eager, traced = make(), make()
    function = mtf.function(traced.step)
    data = classification_batches((16, 4), 2)[:5]
    mtf.random.set_seed(0)          # the initializers draw on the first call
    eager_results = [arrays(eager.step(x, y)) for x, y in data]
    mtf.random.set_seed(0)
    traced_results = [arrays(function(x, y)) for x, y in data]
    assert function.experimental_get_tracing_count() == 1
    for e, t in zip(eager_results, traced_results):
        assert_same_arrays(e, t, "results")
    assert_same_arrays(eager.state(), traced.state())


# ---------------------------------------------------------------- (c) GAN

def bce(label, logits):
    labels = mtf.fill(logits.shape, label)
    return mtf.reduce_mean(mtf.nn.sigmoid_cross_entropy_with_logits(labels=labels,
                                                                    logits=logits))


class TinyGAN:
    """A generator and a discriminator (small MLPs), each with its own Adam."""

    def __init__(self):
        self.gen = built(mtf.layers.MLP([8, 1], activation=mtf.nn.leaky_relu, name="gen"),
                         np.zeros((1, 2), np.float32))
        self.disc = built(mtf.layers.MLP([8, 1], activation=mtf.nn.leaky_relu, name="disc"),
                          np.zeros((1, 1), np.float32))
        self.d_opt = mtf.optimizers.Adam(learning_rate=0.005, beta_1=0.5)
        self.g_opt = mtf.optimizers.Adam(learning_rate=0.005, beta_1=0.5)

    def d_step(self, real, noise):
        with mtf.GradientTape() as tape:
            loss = bce(1.0, self.disc(real)) + bce(0.0, self.disc(self.gen(noise)))
        variables = self.disc.trainable_variables
        self.d_opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def g_step(self, noise):
        with mtf.GradientTape() as tape:
            loss = bce(1.0, self.disc(self.gen(noise)))
        variables = self.gen.trainable_variables
        self.g_opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def step(self, real, d_noise, g_noise):
        return self.d_step(real, d_noise), self.g_step(g_noise)

    def trainer(self, step):
        return Trainer(step, [self.gen, self.disc], [self.d_opt, self.g_opt])

    def state(self):
        return self.trainer(None).state()


def gan_batches():
    data = batches([(16, 1), (16, 2), (16, 2)], seed=3)
    return [(3.0 + real, d_noise, g_noise) for real, d_noise, g_noise in data]


def test_gan_with_two_optimizers_in_one_traced_step_trains_identically():
    def make():
        gan = TinyGAN()
        return gan.trainer(gan.step)
    traced, _ = train_both_ways(make, gan_batches())
    assert [int(opt.iterations.numpy()) for opt in traced.optimizers] == [STEPS, STEPS]


def test_gan_with_a_traced_step_per_model_trains_identically():
    mtf.random.set_seed(0)
    eager = TinyGAN()
    mtf.random.set_seed(0)
    traced = TinyGAN()
    d_step, g_step = mtf.function(traced.d_step), mtf.function(traced.g_step)
    for real, d_noise, g_noise in gan_batches():
        assert_same_arrays(eager.d_step(real, d_noise), d_step(real, d_noise), "d_loss")
        assert_same_arrays(eager.g_step(g_noise), g_step(g_noise), "g_loss")
    assert d_step.experimental_get_tracing_count() == g_step.experimental_get_tracing_count() == 1
    assert_same_arrays(eager.state(), traced.state())


# ---------------------------------------------------------------- value-dependent optimizer logic

SCHEDULES = {
    "exponential": lambda: mtf.optimizers.schedules.ExponentialDecay(
        0.02, decay_steps=4, decay_rate=0.5),
    "polynomial": lambda: mtf.optimizers.schedules.PolynomialDecay(
        0.02, decay_steps=STEPS, end_learning_rate=0.0, power=1.0),
}


@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_clipping_schedule_and_weight_decay_rerun_on_every_replay(schedule):
    clip = 0.5

    def make():
        opt = mtf.optimizers.AdamW(learning_rate=SCHEDULES[schedule](), weight_decay=0.05,
                                   global_clipnorm=clip)
        return make_mlp(opt)
    _, results = train_both_ways(make, classification_batches((32, 5), 3, seed=1))
    norms = [float(norm) for _, norm in results]
    assert min(norms) < clip < max(norms)      # clipping was on for some steps only


def test_ema_with_overwrites_reruns_on_every_replay():
    def make():
        opt = mtf.optimizers.Adam(learning_rate=0.01, use_ema=True, ema_momentum=0.9,
                                  ema_overwrite_frequency=7)
        return make_mlp(opt)
    traced, _ = train_both_ways(make, classification_batches((32, 5), 3, seed=2))
    opt = traced.optimizers[0]
    model = traced.modules[0]
    averages = [opt.get_slot(v, "average") for v in model.trainable_variables]
    # 20 steps: overwritten at 7 and 14, then 6 more updates move the weights away.
    assert all(not np.array_equal(a.numpy(), v.numpy())
               for a, v in zip(averages, model.trainable_variables))


# ---------------------------------------------------------------- (d) the examples

def load_example(name):
    if str(_EXAMPLES) not in sys.path:
        sys.path.insert(0, str(_EXAMPLES))    # the digits examples import _digits beside them
    spec = importlib.util.spec_from_file_location(f"example_{name}_training",
                                                  _EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_step_traces_once_and_matches_eager():
    digits, mlp = load_example("_digits"), load_example("digits_mlp")
    data = digits.load()
    steps = list(digits.batches(data.x_train, data.y_train, digits.BATCH_SIZE,
                                np.random.default_rng(0)))[:STEPS]

    def make():
        model = built(mlp.DigitsMLP(), data.x_train[:1])
        optimizer = digits.make_optimizer(mlp.LEARNING_RATE, STEPS)
        return Trainer(digits.make_train_step(model, optimizer), [model], [optimizer])
    train_both_ways(make, steps)


def test_demo_train_gives_the_same_losses_and_model_both_ways(capsys):
    data = load_example("_digits").load()
    mlp = load_example("digits_mlp")
    runs = [mlp.train(data, STEPS, use_function=use_function) for use_function in (False, True)]
    (eager, eager_losses), (traced, traced_losses) = runs
    assert len(eager_losses) == STEPS and eager_losses == traced_losses
    assert_same_arrays(eager.variables, traced.variables)
    assert f"{STEPS}/{STEPS}" in capsys.readouterr().err        # the progress bar ran


def test_gan_step_traces_once_and_matches_eager():
    gan = load_example("gan")
    rng = np.random.default_rng(0)
    data = [gan.sample_batch(rng, 32) for _ in range(STEPS)]

    def make():
        gen, disc = gan.Generator(), gan.Discriminator()
        built(gen, np.zeros((1, gan.NOISE_DIM), np.float32))
        built(disc, np.zeros((1, 1), np.float32))
        d_opt, g_opt = gan.linear_decay_adam(1e-3, STEPS), gan.linear_decay_adam(1e-3, STEPS)
        step = gan.make_train_step(gen, disc, d_opt, g_opt)
        return Trainer(step, [gen, disc], [d_opt, g_opt])
    train_both_ways(make, data)


def test_gan_train_gives_the_same_metrics_and_models_both_ways():
    gan = load_example("gan")
    runs = [gan.train(steps=STEPS, batch=32, seed=0, use_function=use_function)
            for use_function in (False, True)]
    (eager_metrics, *eager_models), (traced_metrics, *traced_models) = runs
    assert eager_metrics == traced_metrics
    assert_same_arrays([v for m in eager_models for v in m.variables],
                       [v for m in traced_models for v in m.variables])
