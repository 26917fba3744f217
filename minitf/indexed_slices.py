"""IndexedSlices: a sparse gradient made of rows of a dense tensor.

``gather`` (axis 0) and row indexing send their gradient back as the rows that
were read, not as a dense array mostly full of zeros. Duplicate indices are
allowed; densifying sums them.
"""
from ._context import ctx


class IndexedSlices:
    """Rows ``values[i]`` placed at ``indices[i]`` of a ``dense_shape`` tensor."""

    __slots__ = ("_values", "_indices", "_dense_shape")

    def __init__(self, values, indices, dense_shape):
        from .ops import _validate
        from .ops._dispatch import as_tensor
        self._values = as_tensor(values)
        self._indices = as_tensor(indices)
        self._dense_shape = _validate.shape("IndexedSlices", dense_shape, "dense_shape")
        if self._indices.dtype.kind not in "iu" or self._indices.ndim != 1:
            raise TypeError(f"IndexedSlices: indices must be a 1-D integer tensor. "
                            f"Received: shape={self._indices.shape}, "
                            f"dtype={self._indices.dtype}")
        if self._values.shape != (len(self._indices._value),) + self._dense_shape[1:]:
            raise ValueError(f"IndexedSlices: values shape {self._values.shape} does not "
                             f"match {len(self._indices._value)} rows of dense shape "
                             f"{self._dense_shape}.")

    @classmethod
    def _unchecked(cls, values, indices, dense_shape):
        """An IndexedSlices of Tensors already known to fit (for gradient rules)."""
        slices = object.__new__(cls)
        slices._values, slices._indices, slices._dense_shape = values, indices, dense_shape
        return slices

    values = property(lambda self: self._values, doc="The rows (a Tensor).")
    indices = property(lambda self: self._indices, doc="Row index of each value row.")
    dense_shape = property(lambda self: self._dense_shape, doc="Shape when densified.")
    dtype = property(lambda self: self._values.dtype, doc="dtype of the values.")
    shape = dense_shape

    def _densify(self):
        """The dense Tensor, duplicate rows summed (differentiable in ``values``)."""
        from .ops.indexing import scatter_rows
        return scatter_rows(self._values, self._indices, self._dense_shape[0])

    def numpy(self):
        """The dense value as a numpy array."""
        return self._densify().numpy()

    def __repr__(self):
        return (f"<mtf.IndexedSlices: dense_shape={self._dense_shape}, "
                f"indices={self._indices._value!r}, dtype={self.dtype}>")


def dense(g):
    """``g`` as a dense Tensor."""
    return g._densify() if type(g) is IndexedSlices else g


def add_gradients(a, b):
    """Sum of two gradients; two IndexedSlices stay sparse."""
    if type(a) is IndexedSlices:
        if type(b) is IndexedSlices:
            return IndexedSlices(_ops.concat([a.values, b.values], 0),
                                 _ops.concat([a.indices, b.indices], 0), a.dense_shape)
        a = a._densify()
    elif type(b) is IndexedSlices:
        b = b._densify()
    if not ctx.tapes and ctx.recorder is None:  # nothing records this sum: skip dispatch
        return _ops._dispatch.wrap(a._value + b._value)
    return _ops.add(a, b)


from . import ops as _ops  # noqa: E402  (ops import this module)
