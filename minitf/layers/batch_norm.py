"""BatchNorm: normalize with batch statistics while training, moving averages after."""
from .. import initializers
from ..module import Module
from ..nn import moments
from ..ops import add, multiply, negative, reshape, rsqrt, stop_gradient
from ..ops._validate import axes as normalize_axes
from ..tensor import Variable
from ._utils import build, check_size, create_scale_offset, float_input


class BatchNorm(Module):
    """Batch normalization (Ioffe & Szegedy, 2015) over all axes but ``axis``.

    ``training=True``: normalize with the batch's mean and (biased) variance
    and update ``moving_mean`` / ``moving_variance`` as Keras does,
    ``moving = moving * momentum + batch * (1 - momentum)``.
    ``training=False`` (default): normalize with the moving statistics. The
    moving statistics are non-trainable Variables; ``scale`` and ``offset``
    are trainable. All are created on the first call, of the channel size.

    >>> bn = mtf.layers.BatchNorm(momentum=0.5)
    >>> _ = bn(mtf.constant([[0.0], [2.0]]), training=True)
    >>> float(bn.moving_mean[0]), [v.name for v in bn.non_trainable_variables]
    (0.5, ['batch_norm/moving_mean:0', 'batch_norm/moving_variance:0'])
    """

    def __init__(self, momentum=0.99, eps=1e-3, axis=-1, create_scale=True,
                 create_offset=True, scale_init=None, offset_init=None, name=None):
        super().__init__(name=name)
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1]. Received: "
                             f"momentum={momentum!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNorm: axis must be an int (the channel axis). "
                             f"Received: axis={axis!r}")
        self.momentum = momentum
        self.eps = eps
        self.axis = axis
        self.create_scale = create_scale
        self.create_offset = create_offset
        self.scale_init = scale_init
        self.offset_init = offset_init
        self.channels = None

    def _build(self, x):
        (axis,) = normalize_axes("BatchNorm", self.axis, x.ndim)
        self._channel_axis = axis
        self._reduce_axes = tuple(a for a in range(x.ndim) if a != axis)
        self._stat_shape = tuple(n if a == axis else 1 for a, n in enumerate(x.shape))
        self.channels = c = x.shape[axis]
        create_scale_offset(self, [c], x.dtype)
        self.moving_mean = Variable(initializers.Zeros()([c], x.dtype), trainable=False,
                                    name="moving_mean")
        self.moving_variance = Variable(initializers.Ones()([c], x.dtype),
                                        trainable=False, name="moving_variance")

    @Module.with_name_scope
    def __call__(self, inputs, training=False):
        x = float_input("BatchNorm", inputs)
        if self.channels is None:
            build(self, x)
        elif x.ndim != len(self._stat_shape):
            raise ValueError(f"BatchNorm: built for rank-{len(self._stat_shape)} inputs, "
                             f"called with shape {x.shape}.")
        else:
            check_size("BatchNorm", x, self._channel_axis, self.channels)
        if training:
            mean, variance = moments(x, self._reduce_axes, keepdims=True)
            self._update_moving(mean, variance)
        else:
            mean = reshape(self.moving_mean, self._stat_shape)
            variance = reshape(self.moving_variance, self._stat_shape)
        inv = rsqrt(variance + self.eps)
        if self.create_scale:
            inv = multiply(inv, reshape(self.scale, self._stat_shape))
        shift = negative(multiply(mean, inv))
        if self.create_offset:
            shift = add(shift, reshape(self.offset, self._stat_shape))
        return add(multiply(x, inv), shift)

    def _update_moving(self, mean, variance):
        m = self.momentum
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            batch = reshape(stop_gradient(batch), (self.channels,))
            moving.assign(add(multiply(moving, m), multiply(batch, 1 - m)))
