"""Forward-mode automatic differentiation (``tf.autodiff``): ``ForwardAccumulator``
computes Jacobian-vector products as the computation runs (docs/forward_mode.md)."""
from ._forward import ForwardAccumulator  # noqa: F401
