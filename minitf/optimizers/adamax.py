"""Adamax (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR
2015, Section 7.1, Algorithm 2), Adam with the infinity norm, as Keras 3:

    t <- iterations + 1
    m <- m + (g - m) * (1 - beta_1)
    u <- max(beta_2 * u, |g|)
    p <- p - lr * m / ((1 - beta_1^t) * (u + eps))
"""
from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_float


class Adamax(FusedOptimizer):
    """Adamax (Keras 3 defaults and formulas).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        t <- iterations + 1
        m <- m + (g - m) * (1 - beta_1)
        u <- max(beta_2 * u, |g|)
        p <- p - lr * m / ((1 - beta_1^t) * (u + eps))

    No square root; epsilon is added to the norm: ``u + eps``.
    Slots: ``momentum``, ``norm``.

    Differences from ``torch.optim.Adamax``: PyTorch puts eps inside the max,
    ``u = max(beta_2 * u, |g| + eps)``, and defaults to lr=0.002, eps=1e-8;
    here lr=0.001, eps=1e-7.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="adamax", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = check_float("Adamax", "beta_1", beta_1, high=1.0, high_open=True)
        self.beta_2 = check_float("Adamax", "beta_2", beta_2, high=1.0)
        self.epsilon = check_float("Adamax", "epsilon", epsilon)

    def build(self, var_list):
        """Create the ``momentum`` and ``norm`` slots."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "momentum")
            self.add_slot(var, "norm")

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt, t = p.dtype.type, self._step_number()
        _k.run(_k.ADAMAX, p, g, slots["momentum"], slots["norm"], out, add,
               dt(1 - self.beta_1), dt(self.beta_2), dt(lr), dt(1 - self.beta_1 ** t),
               dt(self.epsilon), dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
