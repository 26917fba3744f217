"""``mtf.nn``: activations, losses, dropout, moments, convolution and pooling.

Names and signatures follow ``tf.nn``; ``sigmoid``, ``tanh`` and ``softplus``
are the top-level ops themselves, as in TensorFlow.
"""
from .ops.activations import (  # noqa: F401
    elu, gelu, leaky_relu, log_softmax, relu, selu, softmax)
from .ops.conv import conv2d  # noqa: F401
from .ops.elementwise import sigmoid, softplus, tanh  # noqa: F401
from .ops.losses import (  # noqa: F401
    l2_loss, sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits)
from .ops.nn_misc import dropout, moments  # noqa: F401
from .ops.pool import avg_pool2d, max_pool2d  # noqa: F401
# ---- research ops: nn
from .ops.sorting import top_k  # noqa: F401  (tf.nn.top_k is tf.math.top_k)
from .ops.activations import relu6, silu, swish  # noqa: F401
from .ops.nn_ops import bias_add, embedding_lookup, l2_normalize  # noqa: F401
# ---- research ops: convolutions
from .ops.conv_variants import conv1d, conv2d_transpose, depthwise_conv2d  # noqa: F401
