"""Linear: y = x @ w + b, with the input size taken from the first call."""
import math

from .. import initializers
from ..module import Module
from ..ops import add, matmul
from ..ops.linalg import affine
from ..tensor import Variable
from ._utils import build, check_size, float_input, positive_int


class Linear(Module):
    """A fully connected layer (Sonnet 2's ``snt.Linear``).

    ``w`` ([input_size, output_size]) and ``b`` ([output_size]) are created on
    the first call, inside the module's name scope, in the inputs' dtype.
    ``w_init`` defaults to a truncated normal with stddev 1 / sqrt(input_size),
    ``b_init`` to zeros.

    >>> layer = mtf.layers.Linear(3)
    >>> layer(mtf.ones([2, 5])).shape, layer.w.name
    ((2, 3), 'linear/w:0')
    """

    def __init__(self, output_size, with_bias=True, w_init=None, b_init=None, name=None):
        super().__init__(name=name)
        self.output_size = positive_int("Linear", "output_size", output_size)
        if not with_bias and b_init is not None:
            raise ValueError("Linear: b_init was given but with_bias=False; drop one.")
        self.with_bias = with_bias
        self.w_init = w_init
        self.b_init = b_init
        self.input_size = None

    def _build(self, x):
        self.input_size = x.shape[-1]
        w_init = self.w_init or initializers.TruncatedNormal(
            stddev=1 / math.sqrt(max(1, self.input_size)))
        self.w = Variable(w_init([self.input_size, self.output_size], x.dtype), name="w")
        if self.with_bias:
            b_init = self.b_init or initializers.Zeros()
            self.b = Variable(b_init([self.output_size], x.dtype), name="b")

    @Module.with_name_scope
    def __call__(self, inputs):
        x = float_input("Linear", inputs, min_rank=1)
        if self.input_size is None:
            build(self, x)
        else:
            check_size("Linear", x, -1, self.input_size)
        if self.with_bias and _fits_affine(x, self.w, self.b):
            return affine(x, self.w, self.b)       # one op: the same numbers, one node
        y = matmul(x, self.w)
        return add(y, self.b) if self.with_bias else y


def _fits_affine(x, w, b):
    """Whether ``x @ w + b`` can run as one op; otherwise matmul and add run (and
    raise the errors they raise)."""
    return (type(w) is Variable and type(b) is Variable and x.ndim >= 2 and w.ndim == 2
            and x.shape[-1] == w.shape[0] and b.shape == w.shape[1:]
            and x.dtype == w.dtype == b.dtype)
