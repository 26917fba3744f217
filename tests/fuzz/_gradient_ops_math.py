"""The gradient fuzzer's table, continued: add_n, cumsum and cumprod."""
import minitf as mtf
from _gradient_ops import entry


@entry("add_n")
def _add_n(b):
    shape = b.shape(b.cur)
    others = [b.operand(shape, scalar=False) for _ in range(int(b.rng.integers(0, 3)))]
    b.add("add_n", lambda *xs: mtf.add_n(list(xs)), [b.cur] + others)


def _scan(name):
    def make(b):
        x = b.rank_at_least(b.cur, 1)
        ndim = len(b.shape(x))
        axis = int(b.rng.integers(-ndim, ndim))
        exclusive, reverse = (bool(f) for f in b.rng.integers(2, size=2))
        op = getattr(mtf, name)
        b.add(name, lambda t: op(t, axis, exclusive, reverse), [x])
    entry(name)(make)


_scan("cumsum")
_scan("cumprod")
