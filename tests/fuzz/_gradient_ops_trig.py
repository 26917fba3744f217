"""Gradient fuzzer entries of the inverse trigonometric and hyperbolic ops: each
brings its input inside its domain (tanh-bounded, or shifted above 1 for acosh)."""
import minitf as mtf

from _gradient_ops import entry

_BOUNDED = {  # name: (op, bound of the tanh bridge): inside the domain, off its edges
    "atan": (mtf.math.atan, 3.0), "asin": (mtf.math.asin, 0.9),
    "acos": (mtf.math.acos, 0.9), "sinh": (mtf.math.sinh, 3.0),
    "cosh": (mtf.math.cosh, 3.0), "asinh": (mtf.math.asinh, 3.0),
    "atanh": (mtf.math.atanh, 0.9),
}


def _bounded(name):
    op, bound = _BOUNDED[name]

    def make(b):
        b.add(name, op, [b.domain(b.cur, bound)])
    entry(name)(make)


for _name in _BOUNDED:
    _bounded(_name)


@entry("acosh")
def _acosh(b):
    above_one = b.add("to_above_one", lambda x: x * x + 1.2, [b.cur], current=False)
    b.add("acosh", mtf.math.acosh, [above_one])


@entry("atan2")
def _atan2(b):
    other = b.operand(b.broadcastable(b.shape(b.cur)), scalar=False)
    first, second = (b.cur, other) if b.rng.integers(2) else (other, b.cur)
    away = b.add("away_from_origin", lambda x: x * x + 0.5, [second], current=False)
    b.add("atan2", mtf.math.atan2, [first, away])
