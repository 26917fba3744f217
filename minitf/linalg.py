"""``mtf.linalg``: matrix products and decompositions under their TensorFlow names.

Every matrix op takes batched inputs: the last two axes are the matrix, any leading
axes are a batch (``tf.linalg`` conventions).
"""
from .ops import einsum, matmul, norm, tensordot  # noqa: F401
# ---- research ops: linalg matrix
# ---- research ops: linalg decompositions
