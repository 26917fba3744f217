"""Adadelta (Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012,
Algorithm 1), with the learning rate Keras 3 multiplies in:

    Eg  <- rho * Eg + (1 - rho) * g^2
    dx  <- -sqrt(Edx + eps) / sqrt(Eg + eps) * g
    Edx <- rho * Edx + (1 - rho) * dx^2
    p   <- p + lr * dx                   (lr = 1 is the paper's algorithm)
"""
from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_float


class Adadelta(FusedOptimizer):
    """Adadelta: step sizes from running averages of squared gradients and updates.

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        Eg  <- rho * Eg + (1 - rho) * g^2
        dx  <- -sqrt(Edx + eps) / sqrt(Eg + eps) * g
        Edx <- rho * Edx + (1 - rho) * dx^2
        p   <- p + lr * dx                   (lr = 1 is the paper's algorithm)

    Epsilon sits *inside* both square roots: ``sqrt(E + eps)``.
    Slots: ``accumulated_grad``, ``accumulated_delta_var``.

    Differences from ``torch.optim.Adadelta`` (same formula): PyTorch defaults
    to lr=1.0, rho=0.9, eps=1e-6; here lr=0.001, rho=0.95, eps=1e-7.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, name="adadelta",
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.rho = check_float("Adadelta", "rho", rho, high=1.0)
        self.epsilon = check_float("Adadelta", "epsilon", epsilon)

    def build(self, var_list):
        """Create the ``accumulated_grad`` and ``accumulated_delta_var`` slots."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "accumulated_grad")
            self.add_slot(var, "accumulated_delta_var")

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt = p.dtype.type
        _k.run(_k.ADADELTA, p, g, slots["accumulated_grad"], slots["accumulated_delta_var"],
               out, add, dt(lr), dt(self.rho), dt(1 - self.rho), dt(self.epsilon), dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
