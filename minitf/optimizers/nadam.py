"""Nadam (Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016
workshop, Algorithm 2, with the momentum schedule mu_t = beta_1 (1 - 0.5 *
0.96^t)), as Keras 3:

    t      <- iterations + 1
    u_t    <- beta_1 * (1 - 0.5 * 0.96^t);   u_t1 <- beta_1 * (1 - 0.5 * 0.96^(t+1))
    P_t    <- u_1 * u_2 * ... * u_t          (kept in the u_product state variable)
    m      <- m + (g - m) * (1 - beta_1);    v <- v + (g^2 - v) * (1 - beta_2)
    m_hat  <- u_t1 * m / (1 - P_t * u_t1) + (1 - u_t) * g / (1 - P_t)
    v_hat  <- v / (1 - beta_2^t)
    p      <- p - lr * m_hat / (sqrt(v_hat) + eps)
"""
import numpy as np

from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_float


class Nadam(FusedOptimizer):
    """Adam with Nesterov momentum (Keras 3 defaults and formulas).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        t      <- iterations + 1
        u_t    <- beta_1 * (1 - 0.5 * 0.96^t);   u_t1 <- beta_1 * (1 - 0.5 * 0.96^(t+1))
        P_t    <- u_1 * u_2 * ... * u_t          (the u_product state variable)
        m      <- m + (g - m) * (1 - beta_1);    v <- v + (g^2 - v) * (1 - beta_2)
        m_hat  <- u_t1 * m / (1 - P_t * u_t1) + (1 - u_t) * g / (1 - P_t)
        v_hat  <- v / (1 - beta_2^t)
        p      <- p - lr * m_hat / (sqrt(v_hat) + eps)

    Epsilon sits *outside* the square root of the bias-corrected ``v_hat``.
    Slots: ``momentum``, ``velocity``; one state variable ``u_product``
    (float64) shared by all variables, advanced once per update.

    Differences from ``torch.optim.NAdam``: PyTorch's momentum schedule is
    ``0.96^(t * momentum_decay)`` with momentum_decay=0.004, Keras's (ours)
    ``0.96^t``; PyTorch defaults to lr=0.002, eps=1e-8; here lr=0.001, eps=1e-7.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name="nadam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.beta_1 = check_float("Nadam", "beta_1", beta_1, high=1.0, high_open=True)
        self.beta_2 = check_float("Nadam", "beta_2", beta_2, high=1.0, high_open=True)
        self.epsilon = check_float("Nadam", "epsilon", epsilon)
        self._u_product = self._add_state_variable("u_product", np.float64(1.0))

    def build(self, var_list):
        """Create the ``momentum`` and ``velocity`` slots."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "momentum")
            self.add_slot(var, "velocity")

    def _u(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** t)

    def _prepare_update(self):
        t = self._step_number()
        self._u_product.assign(float(self._u_product._value) * self._u(t))

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt, t = p.dtype.type, self._step_number()
        u_t, u_t1 = self._u(t), self._u(t + 1)
        product = float(self._u_product._value)
        _k.run(_k.NADAM, p, g, slots["momentum"], slots["velocity"], out, add,
               dt(1 - self.beta_1), dt(1 - self.beta_2), dt(u_t1), dt(1 - product * u_t1),
               dt(1 - u_t), dt(1 - product), dt(1 - self.beta_2 ** t), dt(lr),
               dt(self.epsilon), dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
