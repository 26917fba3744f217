"""Lion, EvoLved Sign Momentum (Chen et al., "Symbolic Discovery of
Optimization Algorithms", NeurIPS 2023, Program 1), as Keras 3:

    c <- beta_1 * m + (1 - beta_1) * g
    p <- p - lr * sign(c)
    m <- beta_2 * m + (1 - beta_2) * g
"""
from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_float


class Lion(FusedOptimizer):
    """Lion: signed momentum updates (Keras 3 defaults and formulas).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        c <- beta_1 * m + (1 - beta_1) * g
        p <- p - lr * sign(c)
        m <- beta_2 * m + (1 - beta_2) * g

    No epsilon and no square root. Slot: ``momentum``.

    ``torch.optim`` has no Lion. The paper advises a learning rate 3-10x
    smaller and a weight decay 3-10x larger than for AdamW.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, name="lion",
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = check_float("Lion", "beta_1", beta_1, high=1.0, low_open=True)
        self.beta_2 = check_float("Lion", "beta_2", beta_2, high=1.0)

    def build(self, var_list):
        """Create the ``momentum`` slots."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "momentum")

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt = p.dtype.type
        _k.run(_k.LION, p, g, slots["momentum"], out, add, dt(lr), dt(self.beta_1),
               dt(1 - self.beta_1), dt(self.beta_2), dt(1 - self.beta_2), dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2)
        return config
