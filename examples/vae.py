"""A variational auto-encoder on the 8x8 digits of scikit-learn (Kingma and Welling, 2014).

An encoder maps an image x (64 binary pixels: the digits' 0..16 intensities
thresholded at 8) to a Gaussian
q(z | x) = N(mu, diag(sigma^2)) over a latent z in R^8; a decoder maps z to
the 64 pixel probabilities of p(x | z). Training maximises the evidence lower
bound on log p(x):

    ELBO = E_q[log p(x | z)] - KL(q(z | x) || N(0, I)),

with one sample of z per image drawn by the reparameterisation trick
z = mu + sigma * eps (eps ~ N(0, I) from a ``mtf.random.Generator``, so the
gradient flows through mu and sigma), and the KL term in closed form:
0.5 * sum(mu^2 + sigma^2 - 1 - log sigma^2). The training step runs inside
``mtf.function`` (the generator's draws replay as eager ones would). The
script reports the ELBO per image (nats) on held-out digits, the
reconstruction and KL terms it is made of, and for comparison the
log-likelihood of a model of independent pixels.

    python examples/vae.py [--steps 3000] [--seed 0]

The digits come with scikit-learn (the ``examples`` extra).
"""
import argparse
import sys
import time

import numpy as np

import minitf as mtf

LATENT = 8
PIXELS = 64


def load_digits(seed=0, test_size=297):
    """(train, test): binarised digit images [n, 64] of 0.0 and 1.0, shuffled."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError:
        sys.exit("examples/vae.py needs scikit-learn: pip install 'minitf[examples]'")
    images = (sklearn_digits().data >= 8).astype(np.float32)
    images = images[np.random.default_rng(seed).permutation(len(images))]
    return images[test_size:], images[:test_size]


class Encoder(mtf.Module):
    """Images [batch, 64] -> (mu, log_var), each [batch, LATENT]."""

    def __init__(self, hidden=128, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.net = mtf.layers.MLP([hidden, 2 * LATENT])

    @mtf.Module.with_name_scope
    def __call__(self, x):
        mu, log_var = mtf.split(self.net(x), 2, axis=-1)
        return mu, log_var


class Decoder(mtf.Module):
    """Latents [batch, LATENT] -> pixel logits [batch, 64]."""

    def __init__(self, hidden=128, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.net = mtf.layers.MLP([hidden, PIXELS])

    @mtf.Module.with_name_scope
    def __call__(self, z):
        return self.net(z)


class VAE(mtf.Module):
    """The encoder, the decoder and the random generator of the noise eps."""

    def __init__(self, seed=0, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.encoder = Encoder()
            self.decoder = Decoder()
            self.noise = mtf.random.Generator.from_seed(seed)

    def sample_posterior(self, mu, log_var):
        """z = mu + sigma * eps: a draw of q(z | x) that is differentiable in mu, sigma."""
        eps = self.noise.normal(mu.shape)
        return mu + mtf.exp(0.5 * log_var) * eps

    @mtf.Module.with_name_scope
    def __call__(self, x):
        """(reconstruction log-likelihood, KL), each per image [batch]."""
        mu, log_var = self.encoder(x)
        logits = self.decoder(self.sample_posterior(mu, log_var))
        log_likelihood = -mtf.reduce_sum(
            mtf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=-1)
        return log_likelihood, kl_divergence(mu, log_var)


def kl_divergence(mu, log_var):
    """KL(N(mu, exp(log_var)) || N(0, I)) per row, in closed form."""
    return 0.5 * mtf.reduce_sum(mtf.square(mu) + mtf.exp(log_var) - 1.0 - log_var, axis=-1)


def elbo_terms(model, x):
    """(ELBO, reconstruction log-likelihood, KL), each averaged over the images."""
    log_likelihood, kl = model(x)
    reconstruction, kl = mtf.reduce_mean(log_likelihood), mtf.reduce_mean(kl)
    return reconstruction - kl, reconstruction, kl


def make_train_step(model, optimizer, use_function=True):
    """``step(images) -> ELBO``: one optimizer step on -ELBO."""
    def train_step(x):
        with mtf.GradientTape() as tape:
            elbo, _, _ = elbo_terms(model, x)
            loss = -elbo
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return elbo
    return mtf.function(train_step) if use_function else train_step


def evaluate(model, images, samples=10):
    """Held-out (ELBO, reconstruction, KL) per image, averaged over ``samples`` draws."""
    terms = np.array([[float(t) for t in elbo_terms(model, images)] for _ in range(samples)])
    return tuple(terms.mean(axis=0))


def independent_pixels(train_images, test_images):
    """Held-out log-likelihood per image of the baseline that ignores how pixels go
    together: each pixel on with its frequency in the training set (smoothed)."""
    p = (train_images.sum(axis=0) + 1) / (len(train_images) + 2)
    return float(np.mean(test_images @ np.log(p) + (1 - test_images) @ np.log(1 - p)))


def train(train_images, steps=3000, seed=0, batch=100, learning_rate=1e-3,
          log_every=0, test_images=None, use_function=True):
    """Train a fresh VAE; returns it and the training ELBO of every step."""
    mtf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    model = VAE(seed)
    step = make_train_step(model, mtf.optimizers.Adam(learning_rate), use_function)
    history = []
    for k in range(1, steps + 1):
        batch_images = train_images[rng.choice(len(train_images), batch, replace=False)]
        history.append(float(step(batch_images)))
        if log_every and k % log_every == 0:
            held_out = evaluate(model, test_images, 1)[0] if test_images is not None else np.nan
            print(f"step {k:5d}  ELBO train {history[-1]:8.3f}  held-out {held_out:8.3f}")
    return model, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    train_images, test_images = load_digits(args.seed)
    model, _ = train(train_images, args.steps, args.seed, log_every=max(1, args.steps // 5),
                     test_images=test_images)
    elbo, reconstruction, kl = evaluate(model, test_images)
    print(f"held-out ELBO {elbo:.2f} nats per image (reconstruction {reconstruction:.2f}, "
          f"KL {kl:.2f}); independent pixels: log-likelihood "
          f"{independent_pixels(train_images, test_images):.2f}  "
          f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
