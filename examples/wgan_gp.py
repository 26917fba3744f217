"""WGAN-GP on a ring of eight Gaussians (Gulrajani et al., 2017).

The data are 2-D points from eight Gaussians (standard deviation 0.05) evenly
spaced on a circle of radius 2. A generator maps unit Gaussian noise to points;
a critic scores points, and is trained to maximise mean score(real) -
mean score(fake), an estimate of the Wasserstein-1 distance when the critic is
1-Lipschitz. Instead of clipping weights, the gradient penalty asks for that:

    penalty = mean over x_hat of (|grad_x critic(x_hat)| - 1)^2,

at points x_hat on the lines between real and generated points. The penalty
needs the critic's gradient with respect to its *input* (an inner tape) inside
the tape that differentiates the critic loss with respect to the critic's
weights: a second-order gradient. Two Modules, two Adam optimizers, five critic
steps per generator step, each step traced by ``mtf.function``, the noise drawn
from a ``mtf.random.Generator`` inside it.

The script reports how many of the eight modes the generator covers and the
share of its points within 4 standard deviations of a mode.

    python examples/wgan_gp.py [--steps 1500] [--seed 0]
"""
import argparse
import time

import numpy as np

import minitf as mtf

MODES = 8
RADIUS, MODE_STD = 2.0, 0.05
NOISE_DIM = 2
PENALTY_WEIGHT = 10.0
CRITIC_STEPS = 5


def centres():
    """The eight mode centres [8, 2] (numpy)."""
    angles = 2 * np.pi * np.arange(MODES) / MODES
    return RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_real(generator, batch):
    """``batch`` points of the ring: a random centre plus Gaussian noise."""
    which = generator.uniform([batch], 0, MODES, dtype=mtf.int32)
    return (mtf.gather(mtf.constant(centres(), dtype=mtf.float32), which)
            + generator.normal([batch, 2], stddev=MODE_STD))


class Generator(mtf.Module):
    """Noise [batch, NOISE_DIM] -> points [batch, 2]."""

    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.net = mtf.layers.MLP([64, 64, 64, 2])

    @mtf.Module.with_name_scope
    def __call__(self, z):
        return self.net(z)


class Critic(mtf.Module):
    """Points [batch, 2] -> scores [batch, 1] (higher: more like the data)."""

    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.net = mtf.layers.MLP([64, 64, 64, 1])

    @mtf.Module.with_name_scope
    def __call__(self, x):
        return self.net(x)


def gradient_penalty(critic, real, fake, mix):
    """mean (|grad critic(x_hat)| - 1)^2 at x_hat = mix * real + (1 - mix) * fake.

    Each score depends on its own row only, so the gradient of their sum with
    respect to x_hat holds each row's own gradient."""
    x_hat = mix * real + (1.0 - mix) * fake
    with mtf.GradientTape() as tape:
        tape.watch(x_hat)
        scores = critic(x_hat)
    grads = tape.gradient(scores, x_hat)
    norms = mtf.sqrt(mtf.reduce_sum(mtf.square(grads), axis=1) + 1e-12)
    return mtf.reduce_mean(mtf.square(norms - 1.0))


def critic_loss(critic, real, fake, mix):
    """(loss to minimise, Wasserstein estimate, penalty)."""
    distance = mtf.reduce_mean(critic(real)) - mtf.reduce_mean(critic(fake))
    penalty = gradient_penalty(critic, real, fake, mix)
    return -distance + PENALTY_WEIGHT * penalty, distance, penalty


def make_steps(gen, critic, g_opt, c_opt, rng, batch=256):
    """(critic_step, generator_step), each a traced function of no argument."""
    @mtf.function
    def critic_step():
        real = sample_real(rng, batch)
        fake = gen(rng.normal([batch, NOISE_DIM]))
        mix = rng.uniform([batch, 1])
        with mtf.GradientTape() as tape:
            loss, distance, penalty = critic_loss(critic, real, fake, mix)
        grads = tape.gradient(loss, critic.trainable_variables)
        c_opt.apply_gradients(zip(grads, critic.trainable_variables))
        return distance, penalty

    @mtf.function
    def generator_step():
        with mtf.GradientTape() as tape:
            loss = -mtf.reduce_mean(critic(gen(rng.normal([batch, NOISE_DIM]))))
        grads = tape.gradient(loss, gen.trainable_variables)
        g_opt.apply_gradients(zip(grads, gen.trainable_variables))
        return loss
    return critic_step, generator_step


def evaluate(gen, rng, n=4000):
    """Modes hit by at least 1% of the points, and the share of points within
    4 standard deviations of a mode."""
    points = gen(rng.normal([n, NOISE_DIM])).numpy()
    distances = np.linalg.norm(points[:, None, :] - centres()[None], axis=2)
    nearest, close = distances.argmin(axis=1), distances.min(axis=1) < 4 * MODE_STD
    counts = np.bincount(nearest[close], minlength=MODES)
    return {"modes": int((counts >= 0.01 * n).sum()), "on_modes": float(close.mean())}


def adam_decaying_to_zero(learning_rate, steps):
    """Adam (beta_1 = 0.5, beta_2 = 0.9, as in the paper) whose step size falls
    linearly to zero over ``steps`` updates, which lets the two players settle."""
    schedule = mtf.optimizers.schedules.PolynomialDecay(
        learning_rate, decay_steps=steps, end_learning_rate=0.0)
    return mtf.optimizers.Adam(schedule, beta_1=0.5, beta_2=0.9)


def train(steps=1500, seed=0, learning_rate=2e-3, batch=256, log_every=0):
    """``steps`` generator steps (each after CRITIC_STEPS critic steps); returns
    the models, the random generator and the last (distance, penalty)."""
    mtf.random.set_seed(seed)
    rng = mtf.random.Generator.from_seed(seed)
    gen, critic = Generator(), Critic()
    gen(np.zeros((1, NOISE_DIM), np.float32))
    critic(np.zeros((1, 2), np.float32))
    g_opt, c_opt = (adam_decaying_to_zero(learning_rate, steps * n) for n in (1, CRITIC_STEPS))
    critic_step, generator_step = make_steps(gen, critic, g_opt, c_opt, rng, batch)
    for k in range(1, steps + 1):
        for _ in range(CRITIC_STEPS):
            distance, penalty = critic_step()
        generator_step()
        if log_every and k % log_every == 0:
            stats = evaluate(gen, rng)
            print(f"step {k:5d}  W-distance {float(distance):.3f}  penalty "
                  f"{float(penalty):.3f}  modes {stats['modes']}/{MODES}  "
                  f"on modes {stats['on_modes']:.1%}")
    return gen, critic, rng, (float(distance), float(penalty))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    gen, _, rng, (distance, _) = train(args.steps, args.seed,
                                       log_every=max(1, args.steps // 5))
    stats = evaluate(gen, rng, n=20000)
    print(f"modes covered {stats['modes']}/{MODES}, {stats['on_modes']:.1%} of the points "
          f"within {4 * MODE_STD:g} of a mode, W-distance {distance:.3f}  "
          f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
