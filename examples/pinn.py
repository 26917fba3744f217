"""A physics-informed network: u'' = -pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0.

The solution is u(x) = sin(pi x). A physics-informed neural network (Raissi,
Perdikaris and Karniadakis, 2019) learns it without ever seeing it: a small
tanh MLP u(x) is trained so that the residual u''(x) + pi^2 sin(pi x) vanishes
at collocation points drawn afresh each step, and u is 0 at both ends. The
second derivative is taken with respect to the network's *input*, by autodiff:

- ``--mode tape``: two nested ``GradientTape``s (reverse over reverse);
- ``--mode forward``: a ``mtf.autodiff.ForwardAccumulator`` around a tape
  (forward over reverse: the JVP of the gradient along dx = 1).

A third tape around it all differentiates the loss with respect to the
weights, so each step is a third-order computation; it runs inside
``mtf.function`` (``--eager`` to run it op by op). The collocation points come
from a ``mtf.random.Generator``, whose draws replay correctly inside the
traced step. The script reports the maximum error against sin(pi x).

    python examples/pinn.py [--steps 3000] [--seed 0] [--mode tape|forward] [--eager]
"""
import argparse
import math
import time

import numpy as np

import minitf as mtf

BOUNDARY = np.array([[0.0], [1.0]], np.float32)


def source(x):
    """The right-hand side f(x) = -pi^2 sin(pi x) of u'' = f."""
    return -math.pi ** 2 * mtf.sin(math.pi * x)


def exact(x):
    """The closed-form solution sin(pi x) (numpy)."""
    return np.sin(np.pi * x)


def derivatives(fn, x, mode="tape"):
    """(u, u', u'') of a pointwise function ``fn`` at the points ``x`` [n, 1].

    Each u[i] depends only on x[i], so the gradient of sum(u) with respect to x
    is the column of first derivatives (and likewise for the second)."""
    if mode == "tape":
        with mtf.GradientTape() as outer:
            outer.watch(x)
            with mtf.GradientTape() as inner:
                inner.watch(x)
                u = fn(x)
            du = inner.gradient(u, x)
        return u, du, outer.gradient(du, x)
    if mode == "forward":
        with mtf.autodiff.ForwardAccumulator(x, mtf.ones_like(x)) as acc:
            with mtf.GradientTape() as tape:
                tape.watch(x)
                u = fn(x)
            du = tape.gradient(u, x)
        return u, du, acc.jvp(du)
    raise ValueError(f"derivatives: mode must be 'tape' or 'forward'. Received: mode={mode!r}")


def make_net(seed=0, width=32):
    """A 1 -> width -> width -> 1 tanh MLP, built."""
    mtf.random.set_seed(seed)
    net = mtf.layers.MLP([width, width, 1], activation=mtf.tanh)
    net(BOUNDARY)
    return net


def losses(net, x, mode="tape"):
    """(mean squared residual of the equation at ``x``, mean squared boundary value)."""
    _, _, u_xx = derivatives(net, x, mode)
    residual = mtf.reduce_mean(mtf.square(u_xx - source(x)))
    boundary = mtf.reduce_mean(mtf.square(net(BOUNDARY)))
    return residual, boundary


def make_train_step(net, optimizer, generator, points=64, mode="tape", use_function=True):
    """``step() -> (residual, boundary)``: draw ``points`` collocation points in
    [0, 1], take one optimizer step on residual + boundary."""
    def train_step():
        x = generator.uniform([points, 1])
        with mtf.GradientTape() as tape:
            residual, boundary = losses(net, x, mode)
            loss = residual + boundary
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        return residual, boundary
    return mtf.function(train_step) if use_function else train_step


def max_error(net, n=1001):
    """The largest |u(x) - sin(pi x)| on a grid of ``n`` points of [0, 1]."""
    x = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
    return float(np.abs(net(x).numpy() - exact(x)).max())


def train(steps=3000, seed=0, mode="tape", learning_rate=1e-2, use_function=True,
          log_every=0):
    """Train from scratch; returns (net, history of (residual, boundary) per step)."""
    net = make_net(seed)
    schedule = mtf.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    optimizer = mtf.optimizers.Adam(schedule)
    generator = mtf.random.Generator.from_seed(seed)
    step = make_train_step(net, optimizer, generator, mode=mode, use_function=use_function)
    history = []
    for k in range(1, steps + 1):
        residual, boundary = step()
        history.append((float(residual), float(boundary)))
        if log_every and k % log_every == 0:
            print(f"step {k:5d}  residual {history[-1][0]:.2e}  boundary {history[-1][1]:.2e}"
                  f"  max error {max_error(net):.2e}")
    return net, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=["tape", "forward"], default="tape",
                        help="u'' by nested tapes or by forward over reverse")
    parser.add_argument("--eager", action="store_true", help="do not use mtf.function")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    net, _ = train(args.steps, args.seed, args.mode, use_function=not args.eager,
                   log_every=max(1, args.steps // 5))
    print(f"max |u - sin(pi x)| on [0, 1]: {max_error(net):.2e}  "
          f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
