"""LayerNorm: normalize each example over the given axes, then scale and shift."""
from ..module import Module
from ..nn import moments
from ..ops import add, multiply, reshape, rsqrt, subtract
from ..ops._validate import axes as normalize_axes
from ..ops.layer_norm import layer_norm
from ._utils import build, create_scale_offset, float_input


class LayerNorm(Module):
    """Layer normalization (Ba et al., 2016) over ``axis`` (an int or a tuple).

    y = (x - mean) / sqrt(variance + eps) * scale + offset, with the statistics
    of each example over ``axis``. ``scale`` and ``offset`` have the input's
    size on those axes (as Keras) and are created on the first call. Trailing
    axes (the default, -1) run as one fused op, forward and backward.

    >>> norm = mtf.layers.LayerNorm()
    >>> y = norm(mtf.constant([[1.0, 3.0]]))
    >>> [round(float(v), 3) for v in y[0]]
    [-1.0, 1.0]
    """

    def __init__(self, axis=-1, create_scale=True, create_offset=True, eps=1e-5,
                 scale_init=None, offset_init=None, name=None):
        super().__init__(name=name)
        self.axis = axis
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.eps = eps
        self.scale_init = scale_init
        self.offset_init = offset_init
        self.input_shape = None

    def _build(self, x):
        axes = normalize_axes("LayerNorm", self.axis, x.ndim)
        param_shape = tuple(x.shape[a] for a in axes)
        trailing = axes == tuple(range(x.ndim - len(axes), x.ndim))
        self._axes = axes
        self._broadcast_shape = None if trailing else tuple(
            n if i in axes else 1 for i, n in enumerate(x.shape))
        create_scale_offset(self, param_shape, x.dtype)
        self.input_shape = tuple(x.shape[a] if a in axes else None for a in range(x.ndim))

    @Module.with_name_scope
    def __call__(self, inputs):
        x = float_input("LayerNorm", inputs)
        if self.input_shape is None:
            build(self, x)
        elif x.ndim != len(self.input_shape) or any(
                n is not None and n != m for n, m in zip(self.input_shape, x.shape)):
            raise ValueError(f"LayerNorm: built for inputs of shape {self.input_shape} "
                             f"(None: any size), called with shape {x.shape}.")
        scale = self.scale if self.create_scale else None
        offset = self.offset if self.create_offset else None
        if self._broadcast_shape is None:
            for p in (scale, offset):
                if p is not None and p.dtype != x.dtype:
                    raise TypeError(f"LayerNorm: built for dtype {p.dtype.name}, called "
                                    f"with inputs of dtype {x.dtype.name} (shape "
                                    f"{x.shape}); cast them with mtf.cast first.")
            return layer_norm(x, scale, offset, len(self._axes), self.eps)
        mean, variance = moments(x, self._axes, keepdims=True)
        y = multiply(subtract(x, mean), rsqrt(variance + self.eps))
        if self.create_scale:
            y = multiply(y, self._param(self.scale))
        if self.create_offset:
            y = add(y, self._param(self.offset))
        return y

    def _param(self, variable):
        shape = self._broadcast_shape
        return variable if shape is None else reshape(variable, shape)
