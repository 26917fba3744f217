"""Gradient fuzzer entries of the shape_index research ops: roll, reverse, repeat and
meshgrid; sequence_mask and unique have no gradient (NOT_DIFFERENTIABLE, for the lead
to wire into test_gradients.py)."""
import minitf as mtf
from _gradient_ops import entry

NOT_DIFFERENTIABLE = {"sequence_mask", "unique"}


def _axes(b, ndim, count):
    """``count`` axes in [-ndim, ndim), repeats allowed."""
    return [int(a) for a in b.rng.integers(-ndim, ndim, count)]


@entry("roll")
def _roll(b):
    x = b.rank_at_least(b.cur, 1)
    axes = _axes(b, len(b.shape(x)), int(b.rng.integers(1, 3)))
    shifts = [int(s) for s in b.rng.integers(-5, 6, len(axes))]
    b.add("roll", lambda t: mtf.roll(t, shifts, axes), [x])


@entry("reverse")
def _reverse(b):
    ndim = len(b.shape(b.cur))
    axes = sorted({a % ndim for a in _axes(b, ndim, int(b.rng.integers(0, 3)))}) if ndim else []
    b.add("reverse", lambda t: mtf.reverse(t, axes), [b.cur])


@entry("repeat")
def _repeat(b):
    if b.rng.random() < 0.3:
        counts = int(b.rng.integers(1, 4))
        b.add("repeat", lambda t: mtf.repeat(t, counts), [b.cur])
        return
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    axis = _axes(b, len(shape), 1)[0]
    counts = [int(c) for c in b.rng.integers(0, 3, shape[axis])]
    b.add("repeat", lambda t: mtf.repeat(t, counts, axis), [x])


@entry("meshgrid")
def _meshgrid(b):
    x = b.bridge(b.cur, (b.size(b.cur),))
    other = b.operand((int(b.rng.integers(1, 4)),), scalar=False)
    indexing = "xy" if b.rng.random() < 0.5 else "ij"
    pick = int(b.rng.integers(2))

    def grid(s, t):
        u, v = mtf.meshgrid(s, t, indexing=indexing)
        return u * 0.5 + v * v if pick else u * v
    b.add("meshgrid", grid, [x, other])
