"""Gradient fuzzer entries of sort, math.top_k, math.lgamma, math.digamma and
math.erfinv; argsort has no gradient (NOT_DIFFERENTIABLE). The sorts' regime is the
permutation they pick: a step that reorders tied or close values is rejected."""
import numpy as np

import minitf as mtf
from _gradient_ops import entry

NOT_DIFFERENTIABLE = {"argsort"}


def _order(axis, direction):
    """The regime of a sort: the stable permutation it applies."""
    def regime(v):
        a = -v if direction == "DESCENDING" else v
        return np.argsort(a, axis, kind="stable")
    return regime


@entry("sort")
def _sort(b):
    x = b.rank_at_least(b.cur, 1)
    ndim = len(b.shape(x))
    axis = int(b.rng.integers(-ndim, ndim))
    direction = "DESCENDING" if b.rng.integers(2) else "ASCENDING"
    b.add("sort", lambda t: mtf.sort(t, axis, direction), [x],
          regime=_order(axis, direction))


@entry("top_k")
def _top_k(b):
    x = b.rank_at_least(b.cur, 1)
    k = int(b.rng.integers(1, b.shape(x)[-1] + 1))
    b.add("top_k", lambda t: mtf.math.top_k(t, k).values, [x],
          regime=lambda v: _order(-1, "DESCENDING")(v)[..., :k])


@entry("lgamma")
def _lgamma(b):
    b.add("lgamma", mtf.math.lgamma, [b.domain(b.cur, "positive")])


@entry("digamma")
def _digamma(b):
    b.add("digamma", mtf.math.digamma, [b.domain(b.cur, "positive")])


@entry("erfinv")
def _erfinv(b):
    b.add("erfinv", mtf.math.erfinv, [b.domain(b.cur, 0.9)])
