"""Shared by the layers: argument checks (errors name the layer and the value), the
all-or-nothing lazy build, and the scale/offset parameters of the normalization layers."""
from .. import initializers
from ..module import reset_attributes
from ..ops.convert import convert_to_tensor
from ..tensor import Variable


def positive_int(layer, arg, value):
    """``value`` as an int > 0, or ValueError naming ``layer`` and ``arg``."""
    if isinstance(value, bool) or not hasattr(value, "__index__") or int(value) <= 0:
        raise ValueError(f"{layer}: {arg} must be a positive int. Received: "
                         f"{arg}={value!r}")
    return int(value)


def float_input(layer, inputs, min_rank=0):
    """``inputs`` as a floating Tensor of rank >= ``min_rank``, or TypeError/ValueError."""
    x = convert_to_tensor(inputs)
    if x.dtype.kind != "f":
        raise TypeError(f"{layer}: inputs must be floating point (cast with mtf.cast). "
                        f"Received: dtype={x.dtype}")
    if x.ndim < min_rank:
        raise ValueError(f"{layer}: inputs must have rank >= {min_rank}. Received: "
                         f"shape={x.shape}")
    return x


def check_size(layer, x, axis, expected):
    """Raise when a built layer is called with a different size on ``axis``."""
    if x.shape[axis] != expected:
        raise ValueError(f"{layer}: built for size {expected} on axis {axis}, called with "
                         f"inputs of shape {x.shape}.")


def build(layer, x):
    """Run ``layer._build(x)``; if it raises, undo it so the layer is unbuilt and the next call
    builds again (a checkpoint value that did not fit, a bad initializer, an interrupt)."""
    saved = dict(vars(layer))
    try:
        layer._build(x)
    except BaseException:
        reset_attributes(layer, saved)
        raise


def create_scale_offset(layer, shape, dtype):
    """A normalization layer's ``scale`` (default init Ones) and ``offset`` (Zeros), each
    if its ``create_scale`` / ``create_offset`` asks for it."""
    if layer.create_scale:
        init = layer.scale_init or initializers.Ones()
        layer.scale = Variable(init(shape, dtype), name="scale")
    if layer.create_offset:
        init = layer.offset_init or initializers.Zeros()
        layer.offset = Variable(init(shape, dtype), name="offset")
