"""``mtf.math``: the elementwise and reduction ops under their TensorFlow names.

The same function objects as the top level (``mtf.math.reduce_sum is
mtf.reduce_sum``), so code written for ``tf.math`` ports by renaming ``tf``.
"""
from .ops import (  # noqa: F401
    abs, add, ceil, cos, divide, equal, erf, exp, expm1, floor, floordiv, greater,
    greater_equal, less, less_equal, log, log1p, logical_and, logical_not, logical_or,
    maximum, minimum, mod, multiply, negative, not_equal, pow, reciprocal, round, rsqrt,
    sigmoid, sign, sin, softplus, sqrt, square, squared_difference, subtract, tan, tanh)
from .ops import (  # noqa: F401
    argmax, argmin, reduce_logsumexp, reduce_max, reduce_mean, reduce_min, reduce_prod,
    reduce_std, reduce_sum, reduce_variance)
from .ops import add_n, cumprod, cumsum, reduce_all, reduce_any  # noqa: F401
from .ops import is_finite, is_inf, is_nan  # noqa: F401
from .ops import acos, acosh, asin, asinh, atan, atan2, atanh, cosh, sinh  # noqa: F401
# ---- research ops: math
from .ops import divide_no_nan, log_sigmoid, xlogy  # noqa: F401
from .ops import segment_sum, unsorted_segment_sum  # noqa: F401
# ---- research ops: sorting and special functions
from .ops import argsort, digamma, erfinv, lgamma, sort, top_k  # noqa: F401
# ---- research ops: nn
from .ops.nn_ops import l2_normalize  # noqa: F401
