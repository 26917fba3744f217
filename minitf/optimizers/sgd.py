"""SGD with optional (Nesterov) momentum, in the form Keras 3 uses.

Robbins & Monro, "A Stochastic Approximation Method" (1951); momentum as
Polyak (1964); Nesterov momentum in the reformulation of Sutskever et al.,
"On the importance of initialization and momentum in deep learning" (2013):

    momentum == 0:   p <- p - lr * g
    momentum > 0:    m <- momentum * m - lr * g
                     p <- p + m                          (nesterov=False)
                     p <- p + momentum * m - lr * g      (nesterov=True)
"""
from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_bool, check_float


class SGD(FusedOptimizer):
    """Gradient descent with optional momentum (Keras 3 defaults and formulas).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        p <- p - lr * g                           (momentum == 0)
        m <- momentum * m - lr * g                (momentum > 0; m starts at 0)
        p <- p + m                                (nesterov=False)
        p <- p + momentum * m - lr * g            (nesterov=True)

    No epsilon. Slot: ``momentum`` (only when ``momentum > 0``).

    Differences from ``torch.optim.SGD``: the learning rate defaults to 0.01
    (PyTorch: 0.001). The momentum buffer holds ``-lr * g`` terms (PyTorch's
    holds ``g`` and multiplies by ``lr`` afterwards), so the two agree for a
    constant learning rate and differ when it changes; PyTorch has
    ``dampening`` and coupled (L2) ``weight_decay``, where ours is decoupled.

    >>> v = mtf.Variable([1.0])
    >>> _ = mtf.optimizers.SGD(0.1).apply_gradients([(mtf.constant([2.0]), v)])
    >>> v.numpy()
    array([0.8], dtype=float32)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD",
                 **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        self.momentum = check_float("SGD", "momentum", momentum, high=1.0)
        self.nesterov = check_bool("SGD", "nesterov", nesterov)

    def build(self, var_list):
        """Create the ``momentum`` slots (none when momentum is 0)."""
        super().build(var_list)
        if self.momentum != 0:
            for var in var_list:
                self.add_slot(var, "momentum")

    def _rows_only(self, dtype):
        return self.momentum == 0      # p - lr * 0 = p; momentum decays every row

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt = p.dtype.type
        if self.momentum == 0:
            _k.run(_k.SGD, p, g, out, add, dt(lr), dt(wdlr))
        else:
            _k.run(_k.SGD_MOMENTUM, p, g, slots["momentum"], out, add, dt(lr),
                   dt(self.momentum), self.nesterov, dt(wdlr))

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config
