"""Smoke tests of the research examples (Transformer, VAE, WGAN-GP, MAML, PINN):
a few steps of each run, and each checks its math against an independent truth
(closed forms, finite differences, a Python loop, numpy)."""
import importlib.util
import pathlib

import numpy as np
import pytest

import minitf as mtf

_EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", _EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


transformer_toy, vae, wgan_gp, maml, pinn = (
    _load(name) for name in ("transformer_toy", "vae", "wgan_gp", "maml", "pinn"))


def _directional_difference(loss, variables, direction, h=1e-5):
    """Central difference of ``loss()`` along ``direction`` (one array per variable)."""
    start = [v.numpy() for v in variables]

    def shifted(sign):
        for v, x, d in zip(variables, start, direction):
            v.assign(x + sign * h * d)
        return float(loss())
    up, down = shifted(1), shifted(-1)
    for v, x in zip(variables, start):
        v.assign(x)
    return (up - down) / (2 * h)


# ---- PINN


@pytest.mark.parametrize("mode", ["tape", "forward"])
def test_pinn_derivatives_match_the_closed_form(mode):
    x = mtf.constant(np.linspace(-1.0, 2.0, 7)[:, None])           # float64

    def fn(t):
        return mtf.sin(3.0 * t) * t * t
    u, du, d2u = pinn.derivatives(fn, x, mode)
    t = x.numpy()
    np.testing.assert_allclose(du.numpy(), 3 * np.cos(3 * t) * t ** 2 + 2 * t * np.sin(3 * t),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d2u.numpy(), -9 * np.sin(3 * t) * t ** 2
                               + 12 * t * np.cos(3 * t) + 2 * np.sin(3 * t),
                               rtol=1e-12, atol=1e-12)


def test_pinn_exact_solution_has_zero_residual_and_boundary_loss():
    x = mtf.constant(np.linspace(0.0, 1.0, 11)[:, None])

    def exact(t):
        return mtf.sin(np.pi * t)
    residual, boundary = pinn.losses(exact, x)
    assert float(residual) < 1e-20
    assert float(boundary) < 1e-13          # sin(pi) in float32 is -8.7e-8


def test_pinn_network_second_derivative_matches_finite_differences():
    net = pinn.make_net(seed=0)
    x = np.linspace(0.1, 0.9, 5, dtype=np.float32)[:, None]
    _, _, by_tape = pinn.derivatives(net, mtf.constant(x), "tape")
    _, _, by_forward = pinn.derivatives(net, mtf.constant(x), "forward")
    h = np.float32(1e-2)
    differences = (net(x + h).numpy() - 2 * net(x).numpy() + net(x - h).numpy()) / h ** 2
    np.testing.assert_allclose(by_tape.numpy(), by_forward.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(by_tape.numpy(), differences, rtol=0.05, atol=0.05)


def test_pinn_residual_falls_and_traced_steps_equal_eager_ones():
    assert pinn.train(steps=3, seed=0)[1] == pinn.train(steps=3, seed=0, use_function=False)[1]
    _, traced = pinn.train(steps=40, seed=0)
    first, last = traced[0][0], np.mean([r for r, _ in traced[-5:]])
    assert last < 0.5 * first


def test_pinn_main_reports_the_error(capsys):
    pinn.main(["--steps", "5", "--mode", "forward"])
    assert "max |u - sin(pi x)| on [0, 1]:" in capsys.readouterr().out


# ---- MAML


def _float64_net_and_tasks(count=3):
    mtf.random.set_seed(1)
    net = maml.SineNet(hidden=(8, 8), dtype=np.float64)
    tasks = maml.sample_tasks(np.random.default_rng(0), count, shots=5, dtype=np.float64)
    return net, tasks


@pytest.mark.parametrize("first_order", [False, True], ids=["maml", "fomaml"])
def test_maml_meta_gradient_matches_finite_differences(first_order):
    net, tasks = _float64_net_and_tasks()
    _, grads = maml.meta_gradient(net, tasks, first_order)
    direction = [np.random.default_rng(k).standard_normal(p.shape) for k, p in
                 enumerate(net.params)]
    along = sum(float(np.sum(g.numpy() * d)) for g, d in zip(grads, direction))
    exact = _directional_difference(lambda: maml.meta_loss(net, tasks), net.params, direction)
    if first_order:     # FOMAML drops the second-order term: close, not equal
        assert abs(along - exact) > 1e-6 * abs(exact)
    else:
        assert along == pytest.approx(exact, rel=1e-6)


def test_first_order_maml_gradient_is_the_query_gradient_at_the_adapted_weights():
    net, tasks = _float64_net_and_tasks()
    _, grads = maml.meta_gradient(net, tasks, first_order=True)
    expected = [np.zeros(p.shape) for p in net.params]
    for x_support, y_support, x_query, y_query in zip(*tasks):
        fast = maml.adapt(net.params, x_support, y_support)
        with mtf.GradientTape() as tape:
            tape.watch(fast)
            loss = maml.mse(maml.forward(fast, x_query), y_query)
        for total, g in zip(expected, tape.gradient(loss, fast)):
            total += g.numpy() / len(tasks[0])
    for g, e in zip(grads, expected):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-10, atol=1e-12)


def test_maml_vectorized_map_equals_a_python_loop_over_tasks():
    net, tasks = _float64_net_and_tasks()
    loop = np.mean([float(maml.mse(maml.forward(maml.adapt(net.params, xs, ys, steps=2), xq),
                                   yq)) for xs, ys, xq, yq in zip(*tasks)])
    assert float(maml.meta_loss(net, tasks, inner_steps=2)) == pytest.approx(loop, rel=1e-12)


def test_maml_one_inner_step_is_sgd_on_the_support_loss():
    net, tasks = _float64_net_and_tasks(count=1)
    x, y = tasks[0][0], tasks[1][0]
    with mtf.GradientTape() as tape:
        loss = maml.mse(net(x), y)
    grads = tape.gradient(loss, net.params)
    for fast, p, g in zip(maml.adapt(net.params, x, y), net.params, grads):
        np.testing.assert_allclose(fast.numpy(), p.numpy() - maml.INNER_LR * g.numpy())


def test_maml_meta_training_lowers_the_post_adaptation_loss():
    held_out = maml.sample_tasks(np.random.default_rng(5), 50)
    mtf.random.set_seed(0)
    before = maml.evaluate(maml.SineNet(), held_out, (0, 1))
    after = maml.evaluate(maml.train(steps=100, seed=0), held_out, (0, 1))
    assert before[1] > before[0]            # from random weights one step hurts
    assert after[1] < 0.9 * before[1]
    assert after[1] < after[0]              # after meta-training it helps


def test_maml_main_reports_before_and_after(capsys):
    maml.main(["--steps", "2", "--first-order"])
    out = capsys.readouterr().out
    assert "before meta-training: query loss" in out and "after meta-training" in out


# ---- VAE


def test_vae_kl_matches_numpy_closed_form_and_monte_carlo():
    rng = np.random.default_rng(0)
    mu, log_var = rng.normal(size=(4, 3)), rng.normal(scale=0.5, size=(4, 3))
    kl = vae.kl_divergence(mtf.constant(mu), mtf.constant(log_var)).numpy()
    var = np.exp(log_var)
    closed = 0.5 * (mu ** 2 + var - 1 - log_var).sum(axis=1)
    np.testing.assert_allclose(kl, closed, rtol=1e-12)
    # E_q[log q(z) - log p(z)] with 400000 draws of z ~ q, row by row
    z = mu[:, None] + np.sqrt(var)[:, None] * rng.standard_normal((4, 400_000, 3))
    log_q = -0.5 * (((z - mu[:, None]) ** 2 / var[:, None]) + log_var[:, None]).sum(axis=2)
    log_p = -0.5 * (z ** 2).sum(axis=2)
    np.testing.assert_allclose(kl, (log_q - log_p).mean(axis=1), rtol=0.02, atol=0.01)


def test_vae_reparameterised_sample_has_the_right_law_and_gradients():
    model = vae.VAE(seed=3)
    mu = mtf.constant(np.full((20000, 2), [1.0, -2.0], np.float32))
    log_var = mtf.constant(np.full((20000, 2), np.log([0.25, 4.0]), np.float32))
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch([mu, log_var])
        z = model.sample_posterior(mu, log_var)
    sample = z.numpy()
    np.testing.assert_allclose(sample.mean(axis=0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(sample.std(axis=0), [0.5, 2.0], rtol=0.03)
    eps = (sample - mu.numpy()) / np.exp(0.5 * log_var.numpy())
    np.testing.assert_allclose(tape.gradient(z, mu).numpy(), 1.0)
    np.testing.assert_allclose(tape.gradient(z, log_var).numpy(),      # dz/dlog_var
                               0.5 * np.exp(0.5 * log_var.numpy()) * eps, rtol=1e-5, atol=1e-6)


def test_vae_reconstruction_term_is_the_bernoulli_log_likelihood():
    model = vae.VAE(seed=0)
    x = (np.random.default_rng(0).random((5, vae.PIXELS)) > 0.5).astype(np.float32)
    state = model.noise.state.numpy()
    log_likelihood, _ = model(x)
    model.noise.reset(state)                  # the same eps again
    mu, log_var = model.encoder(x)
    p = mtf.sigmoid(model.decoder(model.sample_posterior(mu, log_var))).numpy()
    expected = (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=1)
    np.testing.assert_allclose(log_likelihood.numpy(), expected, rtol=1e-4)


def test_vae_elbo_rises_and_traced_steps_equal_eager_ones():
    train_images, test_images = vae.load_digits()
    assert set(np.unique(train_images)) == {0.0, 1.0} and train_images.shape[1] == 64
    traced = vae.train(train_images, steps=3, seed=0)[1]
    assert traced == vae.train(train_images, steps=3, seed=0, use_function=False)[1]
    model, history = vae.train(train_images, steps=60, seed=0)
    assert np.mean(history[-10:]) > history[0] + 10           # nats per image
    assert vae.evaluate(model, test_images, samples=2)[0] > history[0] + 10


def test_vae_independent_pixel_baseline_by_hand():
    train_images = np.array([[1.0, 0.0], [1.0, 1.0]])
    test_images = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = np.array([3 / 4, 2 / 4])                  # (ones + 1) / (images + 2)
    by_hand = np.mean([np.log(p[0]) + np.log(1 - p[1]), np.log(1 - p[0]) + np.log(p[1])])
    assert vae.independent_pixels(train_images, test_images) == pytest.approx(by_hand)


def test_vae_main_reports_the_held_out_elbo(capsys):
    vae.main(["--steps", "3"])
    assert "held-out ELBO" in capsys.readouterr().out


# ---- WGAN-GP


def _float64_critic():
    mtf.random.set_seed(0)
    critic = wgan_gp.Critic()
    critic(np.zeros((1, 2)))                                     # float64 weights
    return critic


def _pair(batch=6):
    rng = np.random.default_rng(1)
    return (mtf.constant(rng.normal(size=(batch, 2))), mtf.constant(rng.normal(size=(batch, 2))),
            mtf.constant(rng.random((batch, 1))))


def test_wgan_gradient_penalty_matches_finite_differences_of_the_critic():
    critic = _float64_critic()
    real, fake, mix = _pair()
    penalty = float(wgan_gp.gradient_penalty(critic, real, fake, mix))
    x_hat, h = (mix * real + (1 - mix) * fake).numpy(), 1e-6
    grads = np.zeros_like(x_hat)
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        grads[:, j] = (critic(x_hat + step).numpy() - critic(x_hat - step).numpy())[:, 0] / (2 * h)
    expected = np.mean((np.linalg.norm(grads, axis=1) - 1) ** 2)
    assert penalty == pytest.approx(expected, rel=1e-7)


def test_wgan_critic_loss_gradient_includes_the_second_order_penalty_term():
    critic = _float64_critic()
    real, fake, mix = _pair()
    variables = critic.trainable_variables
    with mtf.GradientTape() as tape:
        loss, _, _ = wgan_gp.critic_loss(critic, real, fake, mix)
    grads = tape.gradient(loss, variables)
    direction = [np.random.default_rng(k).standard_normal(v.shape)
                 for k, v in enumerate(variables)]
    along = sum(float(np.sum(g.numpy() * d)) for g, d in zip(grads, direction))
    exact = _directional_difference(lambda: wgan_gp.critic_loss(critic, real, fake, mix)[0],
                                    variables, direction)
    assert along == pytest.approx(exact, rel=1e-6)


def test_wgan_real_samples_lie_on_the_eight_modes():
    points = wgan_gp.sample_real(mtf.random.Generator.from_seed(0), 4000).numpy()
    distances = np.linalg.norm(points[:, None] - wgan_gp.centres()[None], axis=2)
    assert distances.min(axis=1).max() < 6 * wgan_gp.MODE_STD
    counts = np.bincount(distances.argmin(axis=1), minlength=8)
    assert counts.min() > 400                    # about 500 each
    np.testing.assert_allclose(np.linalg.norm(wgan_gp.centres(), axis=1), wgan_gp.RADIUS)


def test_wgan_steps_update_only_their_own_model_and_the_critic_learns():
    mtf.random.set_seed(0)
    rng = mtf.random.Generator.from_seed(0)
    gen, critic = wgan_gp.Generator(), wgan_gp.Critic()
    gen(np.zeros((1, wgan_gp.NOISE_DIM), np.float32))
    critic(np.zeros((1, 2), np.float32))
    opts = [mtf.optimizers.Adam(1e-2) for _ in range(2)]
    critic_step, generator_step = wgan_gp.make_steps(gen, critic, *opts, rng, batch=64)
    g_before = [v.numpy() for v in gen.trainable_variables]
    distances = [float(critic_step()[0]) for _ in range(30)]
    assert all(np.array_equal(b, v.numpy()) for b, v in zip(g_before, gen.trainable_variables))
    assert np.mean(distances[-5:]) > distances[0] + 0.5   # the critic tells them apart
    c_before = [v.numpy() for v in critic.trainable_variables]
    generator_step()
    assert all(np.array_equal(b, v.numpy()) for b, v in zip(c_before, critic.trainable_variables))
    assert not any(np.array_equal(b, v.numpy()) for b, v in zip(g_before, gen.trainable_variables))


def test_wgan_main_reports_modes(capsys):
    wgan_gp.main(["--steps", "2"])
    assert "modes covered" in capsys.readouterr().out


# ---- Transformer


def test_transformer_batches_pair_digits_with_their_sorted_copy():
    inputs, targets = transformer_toy.make_batch(np.random.default_rng(0), 50)
    length = transformer_toy.LENGTH
    tokens = np.concatenate([inputs, targets[:, -1:]], axis=1)
    np.testing.assert_array_equal(inputs[:, 1:], targets[:, :-1])     # next-token pairs
    assert (tokens[:, length] == transformer_toy.SEP).all()
    np.testing.assert_array_equal(tokens[:, length + 1:], np.sort(tokens[:, :length], axis=1))
    digits = tokens[:, :length]
    assert not transformer_toy.held_out(digits).any()
    test_inputs, _ = transformer_toy.make_batch(np.random.default_rng(0), 50, "held_out")
    assert transformer_toy.held_out(test_inputs[:, :length]).all()


def _small_transformer():
    mtf.random.set_seed(0)
    return transformer_toy.Transformer(d_model=16, heads=2, layers=1)


def test_transformer_attention_is_causal():
    model = _small_transformer()
    tokens, _ = transformer_toy.make_batch(np.random.default_rng(0), 4)
    attention = model.blocks[0].attention
    x = model.embed(tokens) + model.position[:tokens.shape[1]]
    weights, _ = attention.weights(model.blocks[0].norm_1(x))
    weights = weights.numpy()                                   # [batch, heads, time, time]
    allowed = np.tril(np.ones(weights.shape[-2:], bool))         # key j <= query i
    assert np.all(weights[..., ~allowed] == 0.0)
    assert np.all(weights[..., allowed] > 0.0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-6)
    # changing token t leaves the logits before t unchanged, and changes those at t
    t = 5
    changed = tokens.copy()
    changed[:, t] = (changed[:, t] + 1) % transformer_toy.DIGITS
    before, after = model(tokens).numpy(), model(changed).numpy()
    np.testing.assert_allclose(after[:, :t], before[:, :t], rtol=1e-6, atol=1e-6)
    assert np.abs(after[:, t] - before[:, t]).max() > 1e-3


def test_transformer_loss_falls_in_a_few_steps():
    model = _small_transformer()
    rng = np.random.default_rng(0)
    step = transformer_toy.make_train_step(model, mtf.optimizers.Adam(1e-2))
    losses = [float(step(*transformer_toy.make_batch(rng, 32))) for _ in range(40)]
    assert losses[0] == pytest.approx(np.log(transformer_toy.VOCAB), rel=0.2)
    assert np.mean(losses[-5:]) < 0.8 * losses[0]


class _SortingOracle:
    """Logits that put all mass on the right next token, as a perfect model would."""

    def __call__(self, tokens):
        tokens = np.asarray(tokens)
        length = transformer_toy.LENGTH
        logits = np.zeros(tokens.shape + (transformer_toy.VOCAB,), np.float32)
        written = tokens.shape[1] - length - 1
        answer = np.sort(tokens[:, :length], axis=1)[:, min(written, length - 1)]
        logits[np.arange(len(tokens)), -1, answer] = 1.0
        return mtf.constant(logits)


def test_transformer_greedy_decoding_writes_the_predicted_tokens():
    shape = (20, transformer_toy.LENGTH)
    digits = np.random.default_rng(0).integers(0, transformer_toy.DIGITS, shape)
    np.testing.assert_array_equal(transformer_toy.greedy_sort(_SortingOracle(), digits),
                                  np.sort(digits, axis=1))


def test_transformer_main_reports_accuracies(capsys):
    transformer_toy.main(["--steps", "2", "--held-out", "50"])
    assert "held-out token accuracy" in capsys.readouterr().out
