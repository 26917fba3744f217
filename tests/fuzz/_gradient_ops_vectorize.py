"""Gradient fuzzer entry of vectorized_map: a per-row function of the current value
that also reads a captured operand. Without a tape (the finite differences) it runs
batched; under the fuzzer's tapes it runs as a loop of the same ops."""
import minitf as mtf
from _gradient_ops import entry

NOT_DIFFERENTIABLE = set()


@entry("vectorized_map")
def _vectorized_map(b):
    x = b.rank_at_least(b.cur, 1)
    c = b.operand(b.shape(x)[1:], scalar=False)

    def per_row(r, k):
        return mtf.tanh(r * k) + mtf.reduce_sum(r * r) * 0.5
    b.add("vectorized_map", lambda t, k: mtf.vectorized_map(lambda r: per_row(r, k), t),
          [x, c])
