"""Adagrad (Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online
Learning and Stochastic Optimization", JMLR 2011, diagonal version), in the
form Keras 3 uses:

    acc <- acc + g^2                  (acc starts at initial_accumulator_value)
    p   <- p - lr * g / sqrt(acc + eps)
"""
import numpy as np

from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_float


class Adagrad(FusedOptimizer):
    """Per-coordinate learning rates shrinking with the summed squared gradients.

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        acc <- acc + g^2                  (acc starts at initial_accumulator_value)
        p   <- p - lr * g / sqrt(acc + eps)

    Epsilon sits *inside* the square root: ``sqrt(acc + eps)``.
    Slot: ``accumulator``.

    Differences from ``torch.optim.Adagrad``: PyTorch adds eps *outside* the
    root and defaults to lr=0.01, initial_accumulator_value=0, eps=1e-10; here
    lr=0.001, initial_accumulator_value=0.1, eps=1e-7. PyTorch's ``lr_decay``
    has no counterpart (use a schedule).
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name="adagrad", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_float(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value)
        self.epsilon = check_float("Adagrad", "epsilon", epsilon)

    def build(self, var_list):
        """Create the ``accumulator`` slots, filled with initial_accumulator_value."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "accumulator", initializer=self.initial_accumulator_value)

    def _rows_only(self, dtype):
        # a zero gradient: acc + 0 = acc, p - lr * 0 / sqrt(acc + eps) = p, given
        # acc + eps > 0 (acc >= initial value) and no -0.0 in acc (never written)
        dt = np.float32 if dtype == np.float16 else dtype.type
        return dt(self.initial_accumulator_value) + dt(self.epsilon) > 0

    def _rows_only_slots(self, slots):
        acc = slots["accumulator"]
        acc = acc.astype(np.float32) if acc.dtype == np.float16 else acc
        positive = np.all(acc + acc.dtype.type(self.epsilon) > 0)
        return bool(positive and not np.any(np.signbit(acc) & (acc == 0)))

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt = p.dtype.type
        _k.run(_k.ADAGRAD, p, g, slots["accumulator"], out, add, dt(lr), dt(self.epsilon),
               dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value,
                      epsilon=self.epsilon)
        return config
