"""All ops, one file per family; this namespace is what Tensor operators call.

Each family's names are listed explicitly under its banner.
"""
# ---- elementwise
from .elementwise import (  # noqa: F401
    abs, add, cast, clip_by_value, cos, divide, erf, exp, expm1, identity, log, log1p,
    maximum, minimum, multiply, negative, pow, reciprocal, rsqrt, sigmoid, sign, sin,
    softplus, sqrt, square, squared_difference, stop_gradient, subtract, tan, tanh, where)
from .comparison import (  # noqa: F401
    ceil, equal, floor, floordiv, greater, greater_equal, less, less_equal, logical_and,
    logical_not, logical_or, mod, not_equal, round)
from .comparison import is_finite, is_inf, is_nan  # noqa: F401
from .nary import add_n  # noqa: F401
# ---- reduce
from .reduce import (  # noqa: F401
    argmax, argmin, reduce_logsumexp, reduce_max, reduce_mean, reduce_min, reduce_prod,
    reduce_std, reduce_sum, reduce_variance)
from .reduce import reduce_all, reduce_any  # noqa: F401
# ---- shape
# (the op `shape` is not re-exported here: it would hide the module ops.shape)
from .shape import (  # noqa: F401
    broadcast_to, concat, expand_dims, pad, rank, reshape, size, split, squeeze, stack,
    tile, transpose, unstack)
# ---- indexing
from .indexing import boolean_mask, gather, gather_nd, getitem  # noqa: F401
# ---- scan
from .scan import cumprod, cumsum  # noqa: F401
# ---- inverse trigonometric and hyperbolic
from .trig import acos, acosh, asin, asinh, atan, atan2, atanh, cosh, sinh  # noqa: F401
# ---- creation
from .creation import (  # noqa: F401
    eye, fill, linspace, one_hot, ones, ones_like, range, zeros, zeros_like)
# ---- linalg
from .linalg import einsum, matmul, tensordot  # noqa: F401
from .norm import norm  # noqa: F401
# ---- clip
from .clip import clip_by_global_norm, clip_by_norm, global_norm  # noqa: F401
# ---- nn (mtf.nn)
from .activations import (  # noqa: F401
    elu, gelu, leaky_relu, log_softmax, relu, selu, softmax)
from .conv import conv2d  # noqa: F401
from .losses import (  # noqa: F401
    l2_loss, sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits)
from .nn_misc import dropout, moments  # noqa: F401
from .pool import avg_pool2d, max_pool2d  # noqa: F401
# ---- random (mtf.random)
from .random import normal, set_seed, truncated_normal, uniform  # noqa: F401
# ---- research ops: math
from .special import divide_no_nan, log_sigmoid, xlogy  # noqa: F401
from .segments import segment_sum, unsorted_segment_sum  # noqa: F401
# ---- research ops: shape and index
from .rearrange import meshgrid, repeat, reverse, roll  # noqa: F401
from .sequence import sequence_mask, unique  # noqa: F401
# ---- research ops: nn
from .activations import relu6, silu, swish  # noqa: F401
from .nn_ops import bias_add, embedding_lookup, l2_normalize  # noqa: F401
# ---- research ops: sorting and special functions
from .sorting import argsort, sort, top_k  # noqa: F401
from .gamma import digamma, erfinv, lgamma  # noqa: F401
# ---- research ops: scatter
from .scatter_nd import (  # noqa: F401
    scatter_nd, tensor_scatter_nd_add, tensor_scatter_nd_update)
from .map_fn import map_fn  # noqa: F401
# ---- research ops: convolutions
from .conv_variants import conv1d, conv2d_transpose, depthwise_conv2d  # noqa: F401
# ---- research ops: linalg matrix
# (the op `solve` is not re-exported here: it would hide the module ops.solve)
from .matrix import band_part, diag, diag_part, trace  # noqa: F401
from .solve import det, inv, slogdet, triangular_solve  # noqa: F401
# ---- research ops: linalg decompositions
from .decompositions import cholesky, eigh, qr, svd  # noqa: F401
