"""The gradient fuzzer's table: how to apply each differentiable public op.

Each entry ``make(b)`` adds steps to a ``Builder`` (``test_gradients.py``): it
draws the op's parameters and operands from ``b.rng``, brings the current value
into the op's domain or shape with bridge steps, and adds the op. Ops with kinks
give a ``regime`` (which side of each kink the inputs are on), so a finite
difference that would straddle one is rejected rather than wrong.
"""
import numpy as np

import minitf as mtf

TABLE = {}
# Below this, a value is too close to a kink at 0 for a finite-difference step
# (the fuzzer's is 1e-3, possibly amplified by the ops before).
SMALL = 1e-2


class Reject(Exception):
    """The example cannot be checked: overflow, an empty value, a kink within the
    finite-difference step, or the point itself on a kink (regimes raise it)."""


def entry(*names, second=True):
    """Register ``make`` under ``names``; ``second``: supports second derivatives."""
    def register(make):
        for name in names:
            TABLE[name] = (make, second)
        return make
    return register


def sign_regime(*values):
    """The side of 0 each input is on (the kink of abs, relu, elu, ...)."""
    return np.sign(values[0])


# ------------------------------------------------------------ elementwise

# Periodic ops get bounded inputs (chains of them multiply the bound): at large
# arguments the finite-difference step turns their phase and measures nothing.
_UNARY = {  # name: (op, domain) with domain None, "positive" or a bound for tanh
    "abs": (mtf.abs, None), "negative": (mtf.negative, None), "square": (mtf.square, None),
    "reciprocal": (mtf.reciprocal, "positive"), "exp": (mtf.exp, 3.0),
    "expm1": (mtf.expm1, 3.0), "log": (mtf.log, "positive"), "log1p": (mtf.log1p, "positive"),
    "sqrt": (mtf.sqrt, "positive"), "rsqrt": (mtf.rsqrt, "positive"), "sin": (mtf.sin, 1.5),
    "cos": (mtf.cos, 1.5), "tan": (mtf.tan, 1.2), "tanh": (mtf.tanh, None),
    "sigmoid": (mtf.sigmoid, None), "softplus": (mtf.softplus, None), "erf": (mtf.erf, None),
    "sign": (mtf.sign, None), "identity": (mtf.identity, None), "relu": (mtf.nn.relu, None),
    "elu": (mtf.nn.elu, None), "selu": (mtf.nn.selu, None), "l2_loss": (mtf.nn.l2_loss, None),
}
_KINKED = {"abs", "sign", "relu", "elu", "selu"}


def _unary(name):
    op, domain = _UNARY[name]

    def make(b):
        x = b.domain(b.cur, domain)
        b.add(name, op, [x], regime=sign_regime if name in _KINKED else None)
    entry(name)(make)


for _name in _UNARY:
    _unary(_name)


@entry("leaky_relu")
def _leaky_relu(b):
    alpha = float(b.rng.uniform(0.05, 0.5))
    b.add("leaky_relu", lambda x: mtf.nn.leaky_relu(x, alpha), [b.cur], regime=sign_regime)


@entry("gelu")
def _gelu(b):
    approximate = bool(b.rng.integers(2))
    b.add("gelu", lambda x: mtf.nn.gelu(x, approximate=approximate), [b.cur])


@entry("cast", "stop_gradient", second=False)
def _cast(b):
    """cur + z through float32 and back, plus the rounding it lost as a constant:
    the value is exact and z's gradient is cast's (stop_gradient adds nothing).
    z is a new leaf: the gradient passes through float32, and on a leaf its
    rounding stays within the fuzzer's tolerance (further ops could cancel it).
    First order only: differences of float32-rounded gradients are noise."""
    def plus_through_float32(x, z):
        back = mtf.cast(mtf.cast(z, mtf.float32), mtf.float64)
        return x + (back + mtf.stop_gradient(z - back))
    z = b.leaf(b.broadcastable(b.shape(b.cur)))
    b.add("cast", plus_through_float32, [b.cur, z], second=False)


@entry("clip_by_value")
def _clip_by_value(b):
    lo, hi = sorted(b.rng.uniform(-1.5, 1.5, 2))
    b.add("clip_by_value", lambda x: mtf.clip_by_value(x, lo, hi), [b.cur],
          regime=lambda v: np.sign(v - lo) + np.sign(v - hi))


_BINARY = {  # name: (op, domain of x, domain of y, kinked)
    "add": (mtf.add, None, None, False), "subtract": (mtf.subtract, None, None, False),
    "multiply": (mtf.multiply, None, None, False),
    "divide": (mtf.divide, None, "positive", False), "pow": (mtf.pow, "positive", 2.0, False),
    "maximum": (mtf.maximum, None, None, True), "minimum": (mtf.minimum, None, None, True),
    "squared_difference": (mtf.squared_difference, None, None, False),
}


def _binary(name):
    op, dom_x, dom_y, kinked = _BINARY[name]

    def make(b):
        other = b.operand(b.broadcastable(b.shape(b.cur)))
        first, second = (b.cur, other) if b.rng.integers(2) else (other, b.cur)
        if other is None:                       # a Python float operand
            scalar = float(b.rng.uniform(0.5, 1.5) * b.rng.choice([-1, 1]))
            scalar = abs(scalar) if "positive" in (dom_x, dom_y) else scalar
            regime = (lambda v: np.sign(v - scalar)) if kinked else None
            if dom_y == "positive" or name == "pow" and b.rng.integers(2):
                b.add(name, lambda x: op(x, scalar), [b.domain(b.cur, dom_x)], regime=regime)
            else:
                b.add(name, lambda y: op(scalar, y), [b.domain(b.cur, dom_y)], regime=regime)
            return
        regime = (lambda x, y: np.sign(x - y)) if kinked else None
        b.add(name, op, [b.domain(first, dom_x), b.domain(second, dom_y)], regime=regime)
    entry(name)(make)


for _name in _BINARY:
    _binary(_name)


@entry("where")
def _where(b):
    other = b.operand(b.broadcastable(b.shape(b.cur)), scalar=False)
    cond = b.rng.random(b.broadcastable(b.shape(b.cur))) < 0.5
    pair = [b.cur, other] if b.rng.integers(2) else [other, b.cur]
    b.add("where", lambda x, y: mtf.where(cond, x, y), pair)


# ------------------------------------------------------------ control flow

@entry("cond")
def _cond(b):
    """A branch picked by a fixed predicate: x * y, or sin(x) + y."""
    other = b.operand(b.broadcastable(b.shape(b.cur)), scalar=False)
    pred = mtf.constant(bool(b.rng.integers(2)))
    b.add("cond", lambda x, y: mtf.cond(pred, lambda: x * y, lambda: mtf.sin(x) + y),
          [b.cur, other])


@entry("while_loop")
def _while_loop(b):
    """0-3 iterations of a = sin(a) * 0.9 + x, from a = x."""
    trips = int(b.rng.integers(0, 4))

    def loop(x):
        return mtf.while_loop(lambda i, a: i < trips,
                              lambda i, a: (i + 1, mtf.sin(a) * 0.9 + x), [0, x])[1]
    b.add("while_loop", loop, [b.cur])


# ------------------------------------------------------------ reductions

def _reduction(name, op, regime=None):
    def make(b):
        axis, keepdims = b.axes(len(b.shape(b.cur))), bool(b.rng.integers(2))
        b.add(name, lambda t: op(t, axis, keepdims), [b.cur],
              regime=None if regime is None else lambda v: regime(v, axis))
    entry(name)(make)


def _extremum_regime(fn):
    def regime(v, axis):
        axes = None if axis is None else tuple(np.atleast_1d(axis))
        return v == fn(v, axis=axes, keepdims=True)
    return regime


_reduction("reduce_sum", mtf.reduce_sum)
_reduction("reduce_mean", mtf.reduce_mean)
_reduction("reduce_prod", mtf.reduce_prod)
_reduction("reduce_logsumexp", mtf.reduce_logsumexp)
_reduction("reduce_variance", mtf.reduce_variance)
_reduction("reduce_max", mtf.reduce_max, _extremum_regime(np.max))
_reduction("reduce_min", mtf.reduce_min, _extremum_regime(np.min))


def _groups_of_two(b):
    """(x, axes): the current value and axes whose groups hold >= 2 elements."""
    x, shape = b.cur, b.shape(b.cur)
    big = [i for i, n in enumerate(shape) if n >= 2]
    if not big:
        x, shape, big = b.bridge(x, (2,) + tuple(shape)), (2,) + tuple(shape), [0]
    axes = set(b.rng.choice(big, size=b.rng.integers(1, len(big) + 1), replace=False).tolist())
    axes |= {i for i in range(len(shape)) if b.rng.random() < 0.3}
    return x, sorted(axes)


def _spread_regime(axes):
    """No regime; raise Reject where a group's values are (nearly) all equal: std
    is not differentiable where they are (TensorFlow's gradient is NaN), and
    near there its curvature is too large for a finite step."""
    def regime(v):
        if np.min(np.ptp(v, axis=tuple(axes))) < SMALL:
            raise Reject("reduce_std of (nearly) equal values")
        return np.zeros(0)
    return regime


@entry("reduce_std")
def _reduce_std(b):
    x, axes = _groups_of_two(b)
    keepdims = bool(b.rng.integers(2))
    b.add("reduce_std", lambda t: mtf.reduce_std(t, axes, keepdims), [x],
          regime=_spread_regime(axes))


@entry("moments")
def _moments(b):
    x, axes = _groups_of_two(b)
    keepdims = bool(b.rng.integers(2))

    def moments(t):
        mean, variance = mtf.nn.moments(t, axes, keepdims=keepdims)
        return mtf.concat([mtf.reshape(mean, (-1,)), mtf.reshape(variance, (-1,))], 0)
    b.add("moments", moments, [x])


def _softmax(name):
    def make(b):
        x = b.rank_at_least(b.cur, 1)
        axis = int(b.rng.integers(-len(b.shape(x)), len(b.shape(x))))
        b.add(name, lambda t: getattr(mtf.nn, name)(t, axis), [x])
    entry(name)(make)


_softmax("softmax")
_softmax("log_softmax")


# ------------------------------------------------------------ shape ops

def _factorize(rng, size):
    """A random shape with ``size`` elements (rank 0 to 3)."""
    dims = []
    while size > 1 and len(dims) < 3 and rng.random() < 0.8:
        divisors = [d for d in range(2, size + 1) if size % d == 0]
        d = int(rng.choice(divisors))
        dims.append(d)
        size //= d
    dims.append(size) if size > 1 or rng.random() < 0.3 else None
    return [int(d) for d in rng.permutation(dims)]


@entry("reshape")
def _reshape(b):
    shape = _factorize(b.rng, b.size(b.cur))
    if shape and b.rng.random() < 0.3:
        shape[int(b.rng.integers(len(shape)))] = -1
    b.add("reshape", lambda x: mtf.reshape(x, shape), [b.cur])


@entry("broadcast_to")
def _broadcast_to(b):
    lead = [int(n) for n in b.rng.integers(1, 3, b.rng.integers(0, 2))]
    shape = lead + [int(b.rng.integers(1, 3)) if n == 1 else n for n in b.shape(b.cur)]
    b.add("broadcast_to", lambda x: mtf.broadcast_to(x, shape), [b.cur])


@entry("transpose")
def _transpose(b):
    ndim = len(b.shape(b.cur))
    perm = None if b.rng.random() < 0.2 else b.rng.permutation(ndim).tolist()
    b.add("transpose", lambda x: mtf.transpose(x, perm), [b.cur])


@entry("expand_dims", "squeeze")
def _expand_squeeze(b):
    ndim = len(b.shape(b.cur))
    axis = int(b.rng.integers(-ndim - 1, ndim + 1))
    b.add("expand_dims", lambda x: mtf.expand_dims(x, axis), [b.cur])
    ones = [i for i, n in enumerate(b.shape(b.cur)) if n == 1]
    squeeze_axis = None if b.rng.random() < 0.4 else [int(b.rng.choice(ones))]
    b.add("squeeze", lambda x: mtf.squeeze(x, squeeze_axis), [b.cur])


@entry("concat")
def _concat(b):
    x = b.rank_at_least(b.cur, 1)
    shape = list(b.shape(x))
    axis = int(b.rng.integers(-len(shape), len(shape)))
    shape[axis] = int(b.rng.integers(1, 3))
    other = b.operand(shape, scalar=False)
    pair = [x, other] if b.rng.integers(2) else [other, x]
    b.add("concat", lambda u, v: mtf.concat([u, v], axis), pair)


@entry("stack")
def _stack(b):
    other = b.operand(b.shape(b.cur), scalar=False)
    axis = int(b.rng.integers(-len(b.shape(b.cur)) - 1, len(b.shape(b.cur)) + 1))
    b.add("stack", lambda u, v: mtf.stack([u, v], axis), [b.cur, other])


@entry("unstack")
def _unstack(b):
    x = b.rank_at_least(b.cur, 1)
    axis = int(b.rng.integers(-len(b.shape(x)), len(b.shape(x))))
    b.add("unstack", lambda t: mtf.stack(mtf.unstack(t, axis=axis)[::-1], axis), [x])


@entry("split")
def _split(b):
    x = b.rank_at_least(b.cur, 1)
    axis = int(b.rng.integers(len(b.shape(x))))
    dim = b.shape(x)[axis]
    if b.rng.random() < 0.5:
        spec = int(b.rng.choice([d for d in range(1, dim + 1) if dim % d == 0]))
    else:
        cuts = np.sort(b.rng.integers(0, dim + 1, b.rng.integers(1, 3)))
        spec = np.diff(np.concatenate([[0], cuts, [dim]])).tolist()
    b.add("split", lambda t: mtf.concat(mtf.split(t, spec, axis)[::-1], axis), [x])


@entry("tile")
def _tile(b):
    multiples = b.rng.integers(1, 3, len(b.shape(b.cur))).tolist()
    b.add("tile", lambda x: mtf.tile(x, multiples), [b.cur])


@entry("pad")
def _pad(b):
    x = b.rank_at_least(b.cur, 1)
    mode = str(b.rng.choice(["CONSTANT", "REFLECT", "SYMMETRIC"]))
    caps = [2 if mode == "CONSTANT" else min(2, n - (mode == "REFLECT")) for n in b.shape(x)]
    pads = [[int(b.rng.integers(0, cap + 1)) for _ in range(2)] for cap in caps]
    fill = float(b.rng.normal())
    b.add("pad", lambda t: mtf.pad(t, pads, mode, constant_values=fill), [x])


# ------------------------------------------------------------ indexing

def _basic_key(rng, shape):
    """A numpy basic-indexing key (ints, slices, None, ...) selecting >= 1 element."""
    key = []
    for n in shape:
        kind = rng.integers(3)
        if kind == 0:
            key.append(int(rng.integers(-n, n)))
        elif kind == 1:
            step = int(rng.choice([1, 2, -1]))
            key.append(slice(int(rng.integers(0, n)), None, step))
        else:
            key.append(slice(None))
        if rng.random() < 0.15:
            key.append(None)
    if key and rng.random() < 0.3:
        key = [Ellipsis] + key[int(rng.integers(1, len(key) + 1)):]
    return tuple(key)


@entry("getitem")
def _getitem(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    kind = b.rng.integers(3)
    if kind == 0:
        key = _basic_key(b.rng, shape)
    elif kind == 1:
        key = b.rng.integers(-shape[0], shape[0], b.rng.integers(1, 4))
    else:
        key = b.rng.random(shape[:int(b.rng.integers(1, len(shape) + 1))]) < 0.6
        key.reshape(-1)[0] = True
    b.add("getitem", lambda t: t[key], [x])


@entry("gather")
def _gather(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    axis = int(b.rng.integers(len(shape)))
    index_shape = b.rng.integers(1, 3, b.rng.integers(0, 3)).tolist()
    indices = b.rng.integers(0, shape[axis], index_shape)
    b.add("gather", lambda t: mtf.gather(t, indices, axis=axis), [x])


@entry("gather_nd")
def _gather_nd(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    m = int(b.rng.integers(1, len(shape) + 1))
    lead = b.rng.integers(1, 3, b.rng.integers(1, 3)).tolist()
    indices = np.stack([b.rng.integers(0, n, lead) for n in shape[:m]], axis=-1)
    b.add("gather_nd", lambda t: mtf.gather_nd(t, indices), [x])


@entry("boolean_mask")
def _boolean_mask(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    axis = int(b.rng.integers(len(shape)))
    mask = b.rng.random(shape[axis:axis + int(b.rng.integers(1, len(shape) - axis + 1))]) < 0.6
    mask.reshape(-1)[0] = True
    b.add("boolean_mask", lambda t: mtf.boolean_mask(t, mask, axis=axis), [x])
