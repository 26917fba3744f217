"""Smoke test of examples/gan.py: a few steps run, each model trains only its own
variables, the optimizers' step size decays linearly to zero."""
import importlib.util
import math
import pathlib

import numpy as np
import pytest

import minitf as mtf

_PATH = pathlib.Path(__file__).resolve().parent.parent / "examples" / "gan.py"
_spec = importlib.util.spec_from_file_location("gan_example", _PATH)
gan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gan)


def test_few_steps_run_and_report_finite_metrics():
    metrics, gen, disc = gan.train(steps=15, batch=32, seed=0)
    assert all(math.isfinite(v) for v in metrics.values())
    assert 0.0 <= metrics["d_accuracy"] <= 1.0
    assert len(gen.trainable_variables) == len(disc.trainable_variables) == 6


@pytest.mark.parametrize("use_function", [False, True], ids=["eager", "function"])
def test_each_model_updates_only_its_own_variables(use_function):
    mtf.random.set_seed(0)
    gen, disc = gan.Generator(), gan.Discriminator()
    gen(np.zeros((1, gan.NOISE_DIM), np.float32))
    disc(np.zeros((1, 1), np.float32))
    g_vars, d_vars = gen.trainable_variables, disc.trainable_variables
    assert not {id(v) for v in g_vars} & {id(v) for v in d_vars}
    assert all(v.name.startswith("generator/mlp/") for v in g_vars)
    assert all(v.name.startswith("discriminator/mlp/") for v in d_vars)
    before = [v.numpy() for v in g_vars + d_vars]
    frozen_g = mtf.optimizers.Adam(learning_rate=0.0)
    step = gan.make_train_step(gen, disc, gan.linear_decay_adam(1e-3, 10), frozen_g,
                               use_function)
    step(*gan.sample_batch(np.random.default_rng(0), 16))
    after = [v.numpy() for v in g_vars + d_vars]
    n = len(g_vars)
    assert all(np.array_equal(b, a) for b, a in zip(before[:n], after[:n]))
    assert all(not np.array_equal(b, a) for b, a in zip(before[n:], after[n:]))


def test_optimizers_step_size_decays_linearly_to_zero():
    opt = gan.linear_decay_adam(1e-3, steps=4)
    v = mtf.Variable(np.zeros(2, np.float32))
    rates = []
    for _ in range(4):
        rates.append(opt.learning_rate)            # what the next update uses
        opt.apply_gradients([(mtf.constant(np.ones(2, np.float32)), v)])
    assert rates == [1e-3 * (1 - k / 4) for k in range(4)]
    assert (opt.beta_1, opt.epsilon) == (0.5, 1e-8)
