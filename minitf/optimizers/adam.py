"""Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015),
in the efficient form of Section 2 (the paper's "epsilon hat"), as Keras 3:

    t     <- iterations + 1
    m     <- m + (g - m) * (1 - beta_1)              # = beta_1 m + (1 - beta_1) g
    v     <- v + (g^2 - v) * (1 - beta_2)
    alpha <- lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
    p     <- p - alpha * m / (sqrt(v) + eps)

AMSGrad (Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR
2018) keeps v_hat <- max(v_hat, v) and uses it in place of v in the last line.
"""
import math

from ..kernels import optim as _k
from ._fused import FusedOptimizer
from ._hyper import check_bool, check_float


class Adam(FusedOptimizer):
    """Adam, optionally AMSGrad (Keras 3 defaults and formulas).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        t     <- iterations + 1
        m     <- m + (g - m) * (1 - beta_1)       # = beta_1 m + (1 - beta_1) g
        v     <- v + (g^2 - v) * (1 - beta_2)
        alpha <- lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        p     <- p - alpha * m / (sqrt(v) + eps)

    With amsgrad: ``v_hat <- max(v_hat, v)`` and ``p <- p - alpha * m /
    (sqrt(v_hat) + eps)``.

    Epsilon sits *outside* the square root and is not bias-corrected:
    ``alpha * m / (sqrt(v) + eps)`` with the bias corrections folded into
    ``alpha`` (the paper's epsilon-hat form).
    Slots: ``momentum``, ``velocity``; ``velocity_hat`` with amsgrad.
    ``lazy=True`` makes sparse (IndexedSlices) gradients update only their
    rows, as TF Addons' LazyAdam and torch's SparseAdam (see FusedOptimizer).

    Differences from ``torch.optim.Adam``: eps defaults to 1e-7 (PyTorch: 1e-8)
    and PyTorch adds it to the bias-corrected root, ``sqrt(v / (1 - beta_2^t))
    + eps``; the two agree up to that rescaling of eps. lr, betas and amsgrad
    defaults are the same. PyTorch's ``weight_decay`` is coupled (L2); ours is
    decoupled (``weight_decay=`` makes this AdamW).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name="adam", **kwargs):
        super().__init__(learning_rate, name=name, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_float(owner, "beta_1", beta_1, high=1.0, high_open=True)
        self.beta_2 = check_float(owner, "beta_2", beta_2, high=1.0, high_open=True)
        self.epsilon = check_float(owner, "epsilon", epsilon)
        self.amsgrad = check_bool(owner, "amsgrad", amsgrad)

    def build(self, var_list):
        """Create ``momentum`` and ``velocity`` (and ``velocity_hat`` with amsgrad)."""
        super().build(var_list)
        for var in var_list:
            self.add_slot(var, "momentum")
            self.add_slot(var, "velocity")
            if self.amsgrad:
                self.add_slot(var, "velocity_hat")

    def _kernel(self, p, g, slots, lr, out, add, wdlr):
        dt, t = p.dtype.type, self._step_number()
        alpha = lr * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
        common = (dt(1 - self.beta_1), dt(1 - self.beta_2), dt(alpha), dt(self.epsilon),
                  dt(wdlr))
        if self.amsgrad:
            _k.run(_k.AMSGRAD, p, g, slots["momentum"], slots["velocity"],
                   slots["velocity_hat"], out, add, *common)
        else:
            _k.run(_k.ADAM, p, g, slots["momentum"], slots["velocity"], out, add, *common)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon,
                      amsgrad=self.amsgrad)
        return config
