"""MAML on sinusoid regression (Finn, Abbeel and Levine, 2017).

Each task is a sine wave y = A sin(x + phase), A in [0.1, 5], phase in [0, pi],
x in [-5, 5]. A learner sees K = 10 points of a new task, takes one SGD step
(step size alpha = 0.01) on their mean squared error, and is scored on 10 other
points of the same task. MAML learns initial weights theta for which that one
step works: its meta-loss is the query loss at the adapted weights
theta' = theta - alpha * grad L_support(theta), and its meta-gradient goes
through the inner gradient (second order: an inner tape inside the outer one).
``--first-order`` drops that term (FOMAML: the inner gradient is a constant).

The tasks of a meta-batch are adapted in parallel by ``mtf.vectorized_map`` (an
inner tape per task, batched) and the meta-step runs inside ``mtf.function``.
The script reports the query loss after adaptation on held-out tasks, before
and after meta-training.

    python examples/maml.py [--steps 4000] [--seed 0] [--first-order]
"""
import argparse
import time

import numpy as np

import minitf as mtf

INNER_LR = 0.01
SHOTS = 10


class SineNet(mtf.Module):
    """A 1 -> 40 -> 40 -> 1 ReLU MLP that can also run with other weights."""

    def __init__(self, hidden=(40, 40), dtype=np.float32, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.mlp = mtf.layers.MLP([*hidden, 1])
        self.mlp(np.zeros((1, 1), dtype))                 # build the weights

    @property
    def params(self):
        """The weights in layer order: [w0, b0, w1, b1, ...]."""
        return [v for layer in self.mlp.layers for v in (layer.w, layer.b)]

    def __call__(self, x, params=None):
        return forward(self.params if params is None else params, x)


def forward(params, x):
    """The MLP with weights ``params`` ([w0, b0, w1, b1, ...]) applied to x [n, 1]."""
    h = x
    last = len(params) - 2
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i < last:
            h = mtf.nn.relu(h)
    return h


def mse(prediction, target):
    return mtf.reduce_mean(mtf.square(prediction - target))


def sample_tasks(rng, count, shots=SHOTS, dtype=np.float32):
    """(x_support, y_support, x_query, y_query), each [count, shots, 1]."""
    amplitude = rng.uniform(0.1, 5.0, (count, 1, 1))
    phase = rng.uniform(0.0, np.pi, (count, 1, 1))
    x = rng.uniform(-5.0, 5.0, (count, 2 * shots, 1))
    y = amplitude * np.sin(x + phase)
    return tuple(a.astype(dtype) for a in (x[:, :shots], y[:, :shots],
                                           x[:, shots:], y[:, shots:]))


def adapt(params, x, y, steps=1, first_order=False):
    """The weights after ``steps`` SGD steps on mse(forward(params, x), y)."""
    for _ in range(steps):
        with mtf.GradientTape() as tape:
            tape.watch(params)
            loss = mse(forward(params, x), y)
        grads = tape.gradient(loss, params)
        if first_order:
            grads = [mtf.stop_gradient(g) for g in grads]
        params = [p - INNER_LR * g for p, g in zip(params, grads)]
    return params


def meta_loss(net, tasks, inner_steps=1, first_order=False):
    """Mean over tasks of the query loss after adapting on the support set."""
    def task_loss(task):
        x_support, y_support, x_query, y_query = task
        fast = adapt(net.params, x_support, y_support, inner_steps, first_order)
        return mse(forward(fast, x_query), y_query)
    return mtf.reduce_mean(mtf.vectorized_map(task_loss, tasks))


def meta_gradient(net, tasks, first_order=False):
    """(meta-loss, its gradient with respect to ``net.params``)."""
    with mtf.GradientTape() as tape:
        loss = meta_loss(net, tasks, first_order=first_order)
    return loss, tape.gradient(loss, net.params)


def make_meta_step(net, optimizer, first_order=False):
    """``step(tasks) -> meta-loss``: one Adam step on the meta-gradient, traced."""
    @mtf.function
    def meta_step(tasks):
        loss, grads = meta_gradient(net, tasks, first_order)
        optimizer.apply_gradients(zip(grads, net.params))
        return loss
    return meta_step


def evaluate(net, tasks, inner_steps=(0, 1, 10)):
    """{k: mean query loss after k SGD steps} on ``tasks``."""
    return {k: float(meta_loss(net, tasks, k)) for k in inner_steps}


def train(steps=4000, seed=0, meta_batch=25, learning_rate=1e-3, first_order=False,
          log_every=0, held_out=None):
    """Meta-train a fresh SineNet; returns it (and logs held-out losses)."""
    mtf.random.set_seed(seed)
    rng = np.random.default_rng(seed)
    net = SineNet()
    step = make_meta_step(net, mtf.optimizers.Adam(learning_rate), first_order)
    for k in range(1, steps + 1):
        loss = step(sample_tasks(rng, meta_batch))
        if log_every and k % log_every == 0:
            post = evaluate(net, held_out, (1,))[1] if held_out is not None else float("nan")
            print(f"step {k:5d}  meta-loss {float(loss):.3f}  held-out after 1 step {post:.3f}")
    return net


def report(name, losses):
    print(f"{name}: query loss " + ", ".join(f"{v:.3f} after {k} step{'s' * (k != 1)}"
                                             for k, v in losses.items()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first-order", action="store_true",
                        help="first-order MAML: no gradient through the inner step")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    held_out = sample_tasks(np.random.default_rng(args.seed + 1000), 200)
    mtf.random.set_seed(args.seed)
    report("before meta-training", evaluate(SineNet(), held_out))
    net = train(args.steps, args.seed, first_order=args.first_order,
                log_every=max(1, args.steps // 5), held_out=held_out)
    report("after meta-training ", evaluate(net, held_out))
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
