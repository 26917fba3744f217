"""RMSprop (Hinton, "Neural Networks for Machine Learning", lecture 6e, 2012),
with the centered variant of Graves, "Generating Sequences With Recurrent
Neural Networks" (2013, eq. 38-45), in the form Keras 3 uses:

    v   <- rho * v + (1 - rho) * g^2
    a   <- rho * a + (1 - rho) * g                    (centered only)
    inc <- lr * g / sqrt(v - a^2 + eps)               (centered)
    inc <- lr * g / sqrt(v + eps)                     (not centered)
    mo  <- momentum * mo + inc;  p <- p - mo          (momentum > 0)
    p   <- p - inc                                    (momentum == 0)
"""
from ..kernels import optim as _k
from ._fused import FusedOptimizer, unused_slot
from ._hyper import check_bool, check_float


class RMSprop(FusedOptimizer):
    """RMSprop with optional plain momentum and centering (Keras 3 defaults).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        v   <- rho * v + (1 - rho) * g^2
        a   <- rho * a + (1 - rho) * g                    (centered only)
        inc <- lr * g / sqrt(v - a^2 + eps)               (centered)
        inc <- lr * g / sqrt(v + eps)                     (not centered)
        mo  <- momentum * mo + inc;  p <- p - mo          (momentum > 0)
        p   <- p - inc                                    (momentum == 0)

    Epsilon sits *inside* the square root: ``sqrt(v + eps)``.
    Slots: ``velocity``; ``momentum`` if momentum > 0; ``average_gradient``
    if centered.

    Differences from ``torch.optim.RMSprop``: PyTorch adds eps *outside* the
    root (``sqrt(v) + eps``) and defaults to lr=0.01, alpha (our rho)=0.99,
    eps=1e-8; here lr=0.001, rho=0.9, eps=1e-7. PyTorch's momentum buffer
    holds ``g / (sqrt(v) + eps)`` and is multiplied by lr afterwards.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name="rmsprop", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = check_float("RMSprop", "rho", rho, high=1.0)
        self.momentum = check_float("RMSprop", "momentum", momentum, high=1.0)
        self.epsilon = check_float("RMSprop", "epsilon", epsilon)
        self.centered = check_bool("RMSprop", "centered", centered)

    def build(self, var_list):
        """Create ``velocity``, and ``momentum`` / ``average_gradient`` as configured."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "velocity")
            if self.momentum > 0:
                self.add_slot(var, "momentum")
            if self.centered:
                self.add_slot(var, "average_gradient")

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt, v = p.dtype.type, slots["velocity"]
        if not self.centered and self.momentum == 0:
            _k.run(_k.RMSPROP, p, g, v, out, add, dt(lr), dt(self.rho), dt(1 - self.rho),
                   dt(self.epsilon), dt(wdlr))
            return
        none = unused_slot(p)
        _k.run(_k.RMSPROP_GENERAL, p, g, v, slots.get("average_gradient", none),
               slots.get("momentum", none), out, add, dt(lr), dt(self.rho),
               dt(1 - self.rho), dt(self.momentum), dt(self.epsilon), self.centered,
               self.momentum > 0, dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon,
                      centered=self.centered)
        return config
