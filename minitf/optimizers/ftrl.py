"""FTRL-Proximal (McMahan et al., "Ad Click Prediction: a View from the
Trenches", KDD 2013, Algorithm 1), generalised as Keras 3 does (learning-rate
power, L2 shrinkage, beta folded into L2):

    g_s  <- g + 2 * l2_shrinkage * p
    n'   <- n + g^2                       (n starts at initial_accumulator_value)
    z    <- z + g_s - (n'^(-c) - n^(-c)) / lr * p          (c = learning_rate_power)
    q    <- n'^(-c) / lr + 2 * (l2 + beta / (2 * lr))
    p    <- (clip(z, -l1, l1) - z) / q    (0 where |z| <= l1)
    n    <- n'
"""
from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_float


class Ftrl(FusedOptimizer):
    """Follow The (Proximally) Regularized Leader (Keras 3 defaults and formulas).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        g_s  <- g + 2 * l2_shrinkage * p
        n'   <- n + g^2                       (n starts at initial_accumulator_value)
        z    <- z + g_s - (n'^(-c) - n^(-c)) / lr * p          (c = learning_rate_power)
        q    <- n'^(-c) / lr + 2 * (l2 + beta / (2 * lr))
        p    <- (clip(z, -l1, l1) - z) / q    (0 where |z| <= l1)
        n    <- n'

    (n is the ``accumulator`` slot, z the ``linear`` slot; l1, l2 and
    l2_shrinkage are the ``*_regularization_strength`` arguments.)

    No epsilon. With learning_rate_power = -0.5 (default) ``n'^(-c)`` is
    ``sqrt(n')``. The new value is computed whole and applied as the
    increment ``new - p``, so it can differ from ``new`` in the last bit.
    Slots: ``accumulator``, ``linear``. PyTorch has no FTRL optimizer.
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, name="ftrl", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        if learning_rate == 0 and type(learning_rate) in (int, float):
            raise ValueError("Ftrl: `learning_rate` must be > 0 (FTRL divides by it). "
                             f"Received: learning_rate={learning_rate!r}")
        self.learning_rate_power = check_float("Ftrl", "learning_rate_power",
                                               learning_rate_power, low=-float("inf"),
                                               high=0.0)
        self.initial_accumulator_value = check_float(
            "Ftrl", "initial_accumulator_value", initial_accumulator_value)
        self.l1_regularization_strength = check_float(
            "Ftrl", "l1_regularization_strength", l1_regularization_strength)
        self.l2_regularization_strength = check_float(
            "Ftrl", "l2_regularization_strength", l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = check_float(
            "Ftrl", "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength)
        self.beta = check_float("Ftrl", "beta", beta)

    def build(self, var_list):
        """Create the ``accumulator`` (initial_accumulator_value) and ``linear`` slots."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "accumulator", initializer=self.initial_accumulator_value)
            self.add_slot(var, "linear")

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt = p.dtype.type
        l2 = self.l2_regularization_strength + (self.beta / (2.0 * lr) if self.beta else 0.0)
        _k.run(_k.FTRL, p, g, slots["accumulator"], slots["linear"], out, add, dt(lr),
               dt(-self.learning_rate_power), dt(self.l1_regularization_strength),
               dt(2.0 * l2), dt(2.0 * self.l2_shrinkage_regularization_strength), dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(
            learning_rate_power=self.learning_rate_power,
            initial_accumulator_value=self.initial_accumulator_value,
            l1_regularization_strength=self.l1_regularization_strength,
            l2_regularization_strength=self.l2_regularization_strength,
            l2_shrinkage_regularization_strength=self.l2_shrinkage_regularization_strength,
            beta=self.beta)
        return config
