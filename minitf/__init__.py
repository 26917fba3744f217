"""minitf: eager reverse-mode autodiff, Modules and optimizers on numpy and numba.

Every public name is listed here explicitly; nothing is generated at import.
"""
from .dtypes import bool_ as bool, float16, float32, float64, int32, int64  # noqa: F401
from .tensor import Tensor, Variable  # noqa: F401
from ._context import name_scope  # noqa: F401
from .tape import GradientTape, UnconnectedGradients  # noqa: F401
from .indexed_slices import IndexedSlices  # noqa: F401
from .ops.convert import constant, convert_to_tensor  # noqa: F401
# ---- elementwise
from .ops import (  # noqa: F401
    abs, add, cast, ceil, clip_by_value, cos, divide, equal, erf, exp, expm1, floor,
    floordiv, greater, greater_equal, identity, less, less_equal, log, log1p,
    logical_and, logical_not, logical_or, maximum, minimum, mod, multiply, negative,
    not_equal, pow, reciprocal, round, rsqrt, sigmoid, sign, sin, softplus, sqrt,
    square, squared_difference, stop_gradient, subtract, tan, tanh, where)
# ---- reduce
from .ops import (  # noqa: F401
    argmax, argmin, reduce_logsumexp, reduce_max, reduce_mean, reduce_min, reduce_prod,
    reduce_std, reduce_sum, reduce_variance)
from .ops import add_n, cumprod, cumsum, reduce_all, reduce_any  # noqa: F401
from .ops import acos, acosh, asin, asinh, atan, atan2, atanh, cosh, sinh  # noqa: F401
# ---- shape
from .ops import (  # noqa: F401
    broadcast_to, concat, expand_dims, pad, rank, reshape, size, split, squeeze, stack,
    tile, transpose, unstack)
from .ops.shape import shape  # noqa: F401
# ---- indexing
from .ops import boolean_mask, gather, gather_nd  # noqa: F401
# ---- creation
from .ops import (  # noqa: F401
    eye, fill, linspace, one_hot, ones, ones_like, range, zeros, zeros_like)
# ---- linalg
from .ops import einsum, matmul, norm, tensordot  # noqa: F401
# ---- clip
from .ops import clip_by_global_norm, clip_by_norm, global_norm  # noqa: F401
# ---- namespaces and helpers
from . import math, nn, random  # noqa: F401
from .module import Module  # noqa: F401
from . import initializers, layers  # noqa: F401
from . import optimizers  # noqa: F401
from . import train  # noqa: F401
from . import testing  # noqa: F401
from . import debugging  # noqa: F401
from . import viz  # noqa: F401
from . import distribute  # noqa: F401  (mpi4py is imported on first use only)
from . import playground  # noqa: F401
from .custom_gradient import custom_gradient  # noqa: F401
# ---- graph functions
from . import errors  # noqa: F401
from ._function.function import function  # noqa: F401
from ._function.signature import TensorSpec  # noqa: F401
from ._function.printing import print_ as print  # noqa: F401,A001
from ._function.control_flow import cond, while_loop  # noqa: F401
# ---- research ops: shape and index
from .ops import meshgrid, repeat, reverse, roll, sequence_mask, unique  # noqa: F401
# ---- research ops: sorting and special functions
from .ops import argsort, sort  # noqa: F401
# ---- research ops: scatter and map
from .ops import (  # noqa: F401
    map_fn, scatter_nd, tensor_scatter_nd_add, tensor_scatter_nd_update)
# ---- research ops: vectorized_map
from ._vectorize import vectorized_map  # noqa: F401
# ---- research ops: linalg
from . import linalg  # noqa: F401
# ---- research ops: autodiff
from . import autodiff  # noqa: F401
# ---- research ops: random

__version__ = "0.1.0"
