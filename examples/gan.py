"""A GAN on 1-D data: two Modules trained against each other with the tape.

The data are samples of N(4, 1.25**2). The generator maps unit Gaussian noise
to samples; the discriminator maps a sample to a logit (real vs generated).
Each step updates the discriminator with its own ``trainable_variables``, then
the generator with its own (the non-saturating loss of Goodfellow et al.,
2014), each with its own ``mtf.optimizers.Adam`` whose step size decays
linearly to zero (a ``PolynomialDecay`` schedule). At the end the
discriminator should be guessing (accuracy near 0.5) and the generated mean
and standard deviation should be those of the data (within a few percent).

    python examples/gan.py [--steps 5000] [--seed 0] [--function]

With ``--function`` the training step runs inside ``mtf.function`` (traced
once, then replayed); the numpy samples are drawn outside and passed in, and
the results are bit-identical to the eager run (the default).
"""
import argparse
import time

import numpy as np

import minitf as mtf

DATA_MEAN, DATA_STD = 4.0, 1.25
NOISE_DIM = 4


class Generator(mtf.Module):
    """Noise [batch, NOISE_DIM] -> samples [batch, 1]."""

    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.net = mtf.layers.MLP([32, 32, 1], activation=mtf.nn.leaky_relu)

    @mtf.Module.with_name_scope
    def __call__(self, z):
        return self.net(z)


class Discriminator(mtf.Module):
    """Samples [batch, 1] -> logits [batch, 1] (positive: "real")."""

    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.net = mtf.layers.MLP([32, 32, 1], activation=mtf.nn.leaky_relu)

    @mtf.Module.with_name_scope
    def __call__(self, x):
        return self.net((x - DATA_MEAN) / DATA_STD)


def linear_decay_adam(learning_rate, steps):
    """Adam whose step size falls linearly from ``learning_rate`` (first step) to
    zero: ``learning_rate * (1 - (step - 1) / steps)`` for steps 1, 2, ..."""
    schedule = mtf.optimizers.schedules.PolynomialDecay(
        learning_rate, decay_steps=steps, end_learning_rate=0.0, power=1.0)
    return mtf.optimizers.Adam(learning_rate=schedule, beta_1=0.5, epsilon=1e-8)


def bce(labels, logits):
    """Mean sigmoid cross-entropy."""
    labels = np.full(logits.shape, labels, np.float32)
    return mtf.reduce_mean(mtf.nn.sigmoid_cross_entropy_with_logits(labels=labels,
                                                                    logits=logits))


def sample_batch(rng, batch):
    """The step's random inputs: real samples, noise for the discriminator's update,
    noise for the generator's (drawn in that order)."""
    real = rng.normal(DATA_MEAN, DATA_STD, (batch, 1)).astype(np.float32)
    d_noise = rng.standard_normal((batch, NOISE_DIM)).astype(np.float32)
    g_noise = rng.standard_normal((batch, NOISE_DIM)).astype(np.float32)
    return real, d_noise, g_noise


def make_train_step(gen, disc, d_opt, g_opt, use_function=False):
    """``step(real, d_noise, g_noise) -> (d_loss, g_loss)``: one discriminator update,
    then one generator update, run eagerly or inside ``mtf.function``."""
    def train_step(real, d_noise, g_noise):
        fake = gen(d_noise)
        with mtf.GradientTape() as tape:
            d_loss = bce(1.0, disc(real)) + bce(0.0, disc(fake))
        d_grads = tape.gradient(d_loss, disc.trainable_variables)
        d_opt.apply_gradients(zip(d_grads, disc.trainable_variables))
        with mtf.GradientTape() as tape:
            g_loss = bce(1.0, disc(gen(g_noise)))
        g_grads = tape.gradient(g_loss, gen.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, gen.trainable_variables))
        return d_loss, g_loss
    return mtf.function(train_step) if use_function else train_step


def evaluate(gen, disc, rng, n=20000):
    """Generated mean/std and the discriminator's accuracy on n real + n fake."""
    real = rng.normal(DATA_MEAN, DATA_STD, (n, 1)).astype(np.float32)
    fake = gen(rng.standard_normal((n, NOISE_DIM)).astype(np.float32))
    correct = (disc(real).numpy() > 0).sum() + (disc(fake).numpy() <= 0).sum()
    samples = fake.numpy()
    return {"mean": float(samples.mean()), "std": float(samples.std()),
            "d_accuracy": float(correct / (2 * n))}


def train(steps=5000, batch=128, seed=0, learning_rate=1e-3, log_every=0,
          use_function=False):
    """Train from scratch; returns the final metrics (with the last losses) and the
    two models."""
    mtf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    gen, disc = Generator(), Discriminator()
    gen(np.zeros((1, NOISE_DIM), np.float32))          # build the lazy layers
    disc(np.zeros((1, 1), np.float32))
    # Decaying the step size to zero lets the two players settle.
    d_opt = linear_decay_adam(learning_rate, steps)
    g_opt = linear_decay_adam(learning_rate, steps)
    train_step = make_train_step(gen, disc, d_opt, g_opt, use_function)
    for step in range(1, steps + 1):
        d_loss, g_loss = train_step(*sample_batch(rng, batch))
        if log_every and step % log_every == 0:
            stats = evaluate(gen, disc, rng, n=2000)
            print(f"step {step:5d}  d_loss {float(d_loss):.3f}  "
                  f"g_loss {float(g_loss):.3f}  mean {stats['mean']:.3f}  "
                  f"std {stats['std']:.3f}  d_acc {stats['d_accuracy']:.3f}")
    metrics = evaluate(gen, disc, rng)
    metrics.update(d_loss=float(d_loss), g_loss=float(g_loss))
    return metrics, gen, disc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--function", action="store_true",
                        help="run the training step inside mtf.function")
    args = parser.parse_args()
    start = time.perf_counter()
    metrics, gen, disc = train(args.steps, seed=args.seed, log_every=1000,
                               use_function=args.function)
    print(f"data:      mean {DATA_MEAN:.3f}  std {DATA_STD:.3f}")
    print(f"generated: mean {metrics['mean']:.3f}  std {metrics['std']:.3f}  "
          f"(errors {abs(metrics['mean'] / DATA_MEAN - 1):.1%}, "
          f"{abs(metrics['std'] / DATA_STD - 1):.1%})")
    print(f"discriminator accuracy: {metrics['d_accuracy']:.3f}  "
          f"({time.perf_counter() - start:.1f} s)")
    print(gen)
    print(disc)


if __name__ == "__main__":
    main()
