"""Gradient fuzzer entries of scatter_nd, tensor_scatter_nd_update (duplicate indices
included: the last update wins and alone gets the gradient), tensor_scatter_nd_add
and map_fn. All four are differentiable."""
import numpy as np

import minitf as mtf
from _gradient_ops import entry

NOT_DIFFERENTIABLE = set()


def _indices(b, lead, dims):
    """Random indices (duplicates likely) of shape ``lead + (len(dims),)``."""
    lead = tuple(int(n) for n in lead)
    cols = [b.rng.integers(0, n, lead) for n in dims]
    return (np.stack(cols, axis=-1) if cols else np.zeros(lead + (0,))).astype(np.int32)


@entry("scatter_nd")
def _scatter_nd(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    lead = int(b.rng.integers(0, len(shape) + 1))
    head = [int(n) for n in b.rng.integers(1, 4, b.rng.integers(1, 3))]
    indices = _indices(b, shape[:lead], head)
    out_shape = head + list(shape[lead:])
    b.add("scatter_nd", lambda u: mtf.scatter_nd(indices, u, out_shape), [x])


def _tensor_scatter(name):
    op = getattr(mtf, name)

    def make(b):
        t = b.rank_at_least(b.cur, 1)
        shape = b.shape(t)
        m = int(b.rng.integers(1, len(shape) + 1))
        lead = b.rng.integers(1, 4, b.rng.integers(1, 3)).tolist()
        indices = _indices(b, lead, shape[:m])
        u = b.operand(tuple(lead) + tuple(shape[m:]), scalar=False)
        b.add(name, lambda a, c: op(a, indices, c), [t, u])
    entry(name)(make)


_tensor_scatter("tensor_scatter_nd_update")
_tensor_scatter("tensor_scatter_nd_add")


@entry("map_fn")
def _map_fn(b):
    x = b.rank_at_least(b.cur, 1)
    w = float(b.rng.uniform(0.5, 1.5))
    b.add("map_fn", lambda t: mtf.map_fn(lambda r: mtf.sin(r) * w + r * mtf.reduce_sum(r),
                                         t), [x])
