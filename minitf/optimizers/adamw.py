"""AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR
2019, Algorithm 2): Adam (adam.py) plus decoupled weight decay, as Keras 3:

    p <- p - p * weight_decay * lr          (before the Adam update)
    p <- p - alpha * m / (sqrt(v) + eps)    (Adam, see adam.py)

The decay is the base Optimizer's ``weight_decay``, which every optimizer
has; AdamW only makes it required, with Keras 3's default 0.004.
"""
from .adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (required; default 0.004 as Keras 3).

    Update rule, per element (g: gradient, p: variable, lr: learning rate)::

        p     <- p - p * weight_decay * lr        (decay first, decoupled)
        t     <- iterations + 1
        m     <- m + (g - m) * (1 - beta_1)
        v     <- v + (g^2 - v) * (1 - beta_2)
        alpha <- lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        p     <- p - alpha * m / (sqrt(v) + eps)  (Adam)

    Epsilon sits *outside* the square root, as in Adam.
    Slots: those of Adam.

    Differences from ``torch.optim.AdamW``: weight_decay defaults to 0.004
    (PyTorch: 0.01) and eps to 1e-7 (PyTorch: 1e-8, added to the
    bias-corrected root). The decay itself, ``p -= lr * wd * p``, is the same.
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, name="adamw", **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float. "
                             "Received: weight_decay=None")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)
