"""``mtf.linalg``: matrix products and decompositions under their TensorFlow names.

Every matrix op takes batched inputs: the last two axes are the matrix, any leading
axes are a batch (``tf.linalg`` conventions).
"""
from .ops import einsum, matmul, norm, tensordot  # noqa: F401
# ---- research ops: linalg matrix
from .ops import band_part, det, diag, diag_part, inv, slogdet, trace  # noqa: F401
from .ops import triangular_solve  # noqa: F401
from .ops.solve import solve  # noqa: F401
# ---- research ops: linalg decompositions
from .ops.decompositions import cholesky, eigh, qr, svd  # noqa: F401
