"""Dropout: zero random inputs while training, identity otherwise."""
from ..module import Module
from ..ops.convert import convert_to_tensor
from ..ops.nn_misc import dropout


class Dropout(Module):
    """``mtf.nn.dropout(x, rate)`` when called with ``training=True``; else ``x``.

    Kept values are scaled by 1 / (1 - rate), so inference needs no rescaling.
    ``seed``: None, an int (``mtf.random``'s seed rules) or a ``mtf.random.Generator``;
    a Generator is tracked, so its state is among the layer's non-trainable
    variables, in checkpoints and in ``get_weights`` (see ``docs/random.md``).

    >>> drop = mtf.layers.Dropout(0.5)
    >>> float(mtf.reduce_sum(drop(mtf.ones([4]))))
    4.0
    """

    def __init__(self, rate, noise_shape=None, seed=None, name=None):
        super().__init__(name=name)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) \
                or not 0 <= rate < 1:
            raise ValueError(f"Dropout: rate must be a number in [0, 1). Received: "
                             f"rate={rate!r}")
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    @Module.with_name_scope
    def __call__(self, inputs, training=False):
        if not training:
            return convert_to_tensor(inputs)
        return dropout(inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed)
