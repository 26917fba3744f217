"""Gradient fuzzer entries of the segments research ops (and log_sigmoid, xlogy,
divide_no_nan). Every op here is differentiable in its float arguments."""
import numpy as np

import minitf as mtf
from _gradient_ops import entry

NOT_DIFFERENTIABLE = set()   # none: all five have gradients


@entry("log_sigmoid")
def _log_sigmoid(b):
    b.add("log_sigmoid", mtf.math.log_sigmoid, [b.cur])


def _x_is_zero(x, y):
    """xlogy's guard: its x-derivative is TensorFlow's 0 at x == 0, not log(y)."""
    return np.asarray(x) == 0


@entry("xlogy")
def _xlogy(b):
    other = b.operand(b.broadcastable(b.shape(b.cur)))
    if other is None:                        # a Python float operand
        if b.rng.integers(2):
            scalar = float(b.rng.uniform(0.5, 1.5))
            b.add("xlogy", lambda x: mtf.math.xlogy(x, scalar), [b.cur],
                  regime=lambda x: np.asarray(x) == 0)
        else:
            scalar = float(b.rng.uniform(0.5, 1.5) * b.rng.choice([-1, 1]))
            b.add("xlogy", lambda y: mtf.math.xlogy(scalar, y), [b.domain(b.cur, "positive")])
        return
    x, y = (b.cur, other) if b.rng.integers(2) else (other, b.cur)
    b.add("xlogy", mtf.math.xlogy, [x, b.domain(y, "positive")], regime=_x_is_zero)


@entry("divide_no_nan")
def _divide_no_nan(b):
    other = b.operand(b.broadcastable(b.shape(b.cur)))
    if other is None:
        scalar = float(b.rng.uniform(0.5, 1.5) * b.rng.choice([-1, 1]))
        if b.rng.integers(2):
            b.add("divide_no_nan", lambda x: mtf.math.divide_no_nan(x, scalar), [b.cur])
        else:
            b.add("divide_no_nan", lambda y: mtf.math.divide_no_nan(scalar, y),
                  [b.domain(b.cur, "positive")])
        return
    x, y = (b.cur, other) if b.rng.integers(2) else (other, b.cur)
    b.add("divide_no_nan", mtf.math.divide_no_nan, [x, b.domain(y, "positive")])


@entry("segment_sum")
def _segment_sum(b):
    x = b.rank_at_least(b.cur, 1)
    rows = b.shape(x)[0]
    ids = np.sort(b.rng.integers(0, max(1, rows - 1) + 1, rows)).astype(np.int32)
    b.add("segment_sum", lambda t: mtf.math.segment_sum(t, ids), [x])


@entry("unsorted_segment_sum")
def _unsorted_segment_sum(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    n = int(b.rng.integers(1, 5))
    ids = b.rng.integers(-1, n, shape[:int(b.rng.integers(0, len(shape) + 1))])
    b.add("unsorted_segment_sum", lambda t: mtf.math.unsorted_segment_sum(t, ids, n), [x])
