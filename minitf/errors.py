"""Exceptions users catch by name (as ``tf.errors``)."""


class OperatorNotAllowedInGraphError(TypeError):
    """A traced Tensor was used where Python needs its value while ``mtf.function``
    traces (``if x > 0:``, ``float(x)``, ``x.numpy()``): the value would be baked
    into the program, so later calls would silently reuse it."""
