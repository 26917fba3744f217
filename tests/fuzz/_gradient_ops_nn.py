"""The gradient fuzzer's table, continued: linear algebra, clipping, nn, custom_gradient."""
import numpy as np

import minitf as mtf
from _gradient_ops import SMALL, Reject, entry


# ------------------------------------------------------------ linear algebra

@entry("matmul")
def _matmul(b):
    batch = [int(n) for n in b.rng.integers(1, 3, b.rng.integers(0, 2))]
    m, k, n = (int(d) for d in b.rng.integers(1, 4, 3))
    ta, tb = (bool(t) for t in b.rng.integers(2, size=2))
    a_shape = batch + ([k, m] if ta else [m, k])
    b_shape = ([1] * len(batch) if b.rng.integers(2) else batch) + ([n, k] if tb else [k, n])
    if b.rng.integers(2):
        a, c = b.bridge(b.cur, a_shape), b.operand(b_shape, scalar=False)
    else:
        a, c = b.operand(a_shape, scalar=False), b.bridge(b.cur, b_shape)
    b.add("matmul", lambda u, v: mtf.matmul(u, v, transpose_a=ta, adjoint_b=tb), [a, c])


_EINSUM = ["ij,jk->ik", "i,i->", "ij->ji", "bij,bjk->bik", "ij,ij->i", "i,j->ij",
           "...ij,jk->...ik", "ijk->k", "ij,j"]


@entry("einsum")
def _einsum(b):
    equation = str(b.rng.choice(_EINSUM))
    inputs = equation.split("->")[0].split(",")
    sizes = {c: int(b.rng.integers(1, 4)) for c in "ijkb"}
    shapes = [[int(b.rng.integers(1, 3))] * (s.startswith("...")) + [sizes[c] for c in
              s.replace("...", "")] for s in inputs]
    refs = [b.bridge(b.cur, shapes[0])] + [b.operand(s, scalar=False) for s in shapes[1:]]
    b.add("einsum", lambda *xs: mtf.einsum(equation, *xs), refs)


@entry("tensordot")
def _tensordot(b):
    p, q, r = (int(d) for d in b.rng.integers(1, 4, 3))
    axes, a_shape, b_shape = [(1, [p, q], [q, r]), (2, [p, q, r], [q, r]),
                              ([[0], [1]], [q, p], [r, q]), (0, [p], [q, r])][b.rng.integers(4)]
    a = b.bridge(b.cur, a_shape)
    b.add("tensordot", lambda u, v: mtf.tensordot(u, v, axes), [a, b.operand(b_shape, False)])


def _norm_regime(ord, axis):
    """Which entries set the 1- and inf-norms (their kinks), or the signs (p-norms)."""
    def regime(v):
        a = np.abs(v)
        if np.min(np.sqrt(np.sum(a * a, axis=axis))) < SMALL:
            raise Reject("norm of (nearly) zeros")    # a cone: a finite step sees |t|
        if ord == "euclidean" or ord == "fro" or ord == 2:
            return np.zeros(0)
        if isinstance(axis, tuple) and ord in (1, np.inf):
            sums = a.sum(axis=axis[0] if ord == 1 else axis[1], keepdims=True)
            return np.concatenate([np.sign(v).ravel(), (sums == sums.max(
                axis=axis[1] if ord == 1 else axis[0], keepdims=True)).ravel()])
        if ord == np.inf:
            return np.concatenate([np.sign(v).ravel(), (a == a.max(axis=axis, keepdims=True)
                                                        ).ravel()])
        return np.sign(v)
    return regime


@entry("norm")
def _norm(b):
    matrix = bool(b.rng.integers(2))
    x = b.rank_at_least(b.cur, 2 if matrix else 0)
    ndim = len(b.shape(x))
    if matrix:
        axis = tuple(int(a) for a in b.rng.choice(ndim, 2, replace=False))
        ord = ["fro", 1, np.inf, 2, "euclidean"][b.rng.integers(5)]
    else:
        axis = None if ndim == 0 or b.rng.random() < 0.4 else int(b.rng.integers(ndim))
        ord = ["euclidean", 1, np.inf, 2, 3.0][b.rng.integers(5)]
    keepdims = bool(b.rng.integers(2))
    second = not (matrix and ord == 2)
    b.add("norm", lambda t: mtf.norm(t, ord, axis, keepdims), [x],
          regime=_norm_regime(ord, axis), second=second)


# ------------------------------------------------------------ clipping

def _l2(values):
    return float(np.sqrt(sum(np.sum(np.square(v)) for v in values)))


def _scale(norm):
    """A clip norm's scale: the norm, unless it is too small for a finite step."""
    return norm if norm > 10 * SMALL else 1.0


@entry("clip_by_norm")
def _clip_by_norm(b):
    x = b.rank_at_least(b.cur, 1)
    ndim = len(b.shape(x))
    axes = None if b.rng.random() < 0.5 else sorted(
        b.rng.choice(ndim, b.rng.integers(1, ndim + 1), replace=False).tolist())
    norms = np.sqrt(np.sum(np.square(b.value(x)), axis=None if axes is None else tuple(axes)))
    clip = float(_scale(np.median(norms)) * b.rng.uniform(0.5, 1.5))

    def regime(v):
        return np.sqrt(np.sum(v * v, axis=None if axes is None else tuple(axes))) > clip
    b.add("clip_by_norm", lambda t: mtf.clip_by_norm(t, clip, axes), [x], regime=regime)


@entry("global_norm", "clip_by_global_norm")
def _global_norm(b):
    other = b.operand(b.broadcastable(b.shape(b.cur)), scalar=False)
    norm = _l2([b.value(b.cur), b.value(other)])
    clip = _scale(norm) * float(b.rng.uniform(0.5, 1.5))

    def clipped(u, v):
        """Both clipped tensors and norm * global_norm, a smooth function at 0
        whose first derivative there is the norm's chosen subgradient, 0."""
        (cu, cv), used = mtf.clip_by_global_norm([u, v], clip)
        return mtf.concat([mtf.reshape(cu, (-1,)), mtf.reshape(cv, (-1,)),
                           mtf.reshape(used * mtf.global_norm([v, u]), (1,))], 0)
    # at 0 the second derivative of norm * norm is 2, but the subgradient's product
    # rule gives 0 (a kink times a kink): check first order only there
    def regime(u, v):
        if 0 < _l2([u, v]) < SMALL:
            raise Reject("global norm nearly 0")    # smooth at 0 itself, not near it
        return _l2([u, v]) > clip
    b.add("clip_by_global_norm", clipped, [b.cur, other], regime=regime, second=norm > 0)


# ------------------------------------------------------------ nn

def _image(b, channels):
    """Bridge the current value to a small NHWC image."""
    shape = [int(b.rng.integers(1, 3)), int(b.rng.integers(2, 5)), int(b.rng.integers(2, 5)),
             channels]
    return b.bridge(b.cur, shape), shape


@entry("conv2d")
def _conv2d(b):
    c, o = (int(n) for n in b.rng.integers(1, 3, 2))
    x, shape = _image(b, c)
    padding = str(b.rng.choice(["SAME", "VALID"]))
    strides = int(b.rng.integers(1, 3))
    dilations = int(b.rng.integers(1, 3)) if strides == 1 else 1
    room = min(shape[1:3]) if padding == "VALID" else 3   # the dilated window must fit
    largest = min(3, (room - 1) // dilations + 1)
    kh, kw = (int(n) for n in b.rng.integers(1, largest + 1, 2))
    filters = b.operand([kh, kw, c, o], scalar=False)
    b.add("conv2d", lambda u, w: mtf.nn.conv2d(u, w, strides, padding, dilations=dilations),
          [x, filters])


def _routing_regime(fn):
    """Where each window's maximum sits: fn's gradient for a fixed positive upstream
    (the same bits at two points exactly when every window picks the same input)."""
    def regime(v):
        t = mtf.constant(v)
        with mtf.GradientTape() as tape:
            tape.watch(t)
            y = fn(t)
        upstream = np.random.default_rng(0).uniform(1, 2, y.shape)
        return tape.gradient(y, t, output_gradients=mtf.constant(upstream)).numpy()
    return regime


def _pool(name):
    def make(b):
        x, shape = _image(b, int(b.rng.integers(1, 3)))
        padding = str(b.rng.choice(["SAME", "VALID"]))
        room = min(shape[1:3]) if padding == "VALID" else 3
        ksize, strides = int(b.rng.integers(1, room + 1)), int(b.rng.integers(1, 3))

        def pool(t):
            return getattr(mtf.nn, name)(t, ksize, strides, padding)
        b.add(name, pool, [x], regime=_routing_regime(pool) if name == "max_pool2d" else None)
    entry(name)(make)


_pool("max_pool2d")
_pool("avg_pool2d")


@entry("sigmoid_cross_entropy_with_logits")
def _sigmoid_xent(b):
    labels = b.operand(b.shape(b.cur), scalar=False, unit=True)
    b.add("sigmoid_xent", lambda z, x: mtf.nn.sigmoid_cross_entropy_with_logits(z, x),
          [labels, b.cur])


@entry("softmax_cross_entropy_with_logits")
def _softmax_xent(b):
    x = b.rank_at_least(b.cur, 1)
    axis = int(b.rng.integers(-len(b.shape(x)), len(b.shape(x))))
    labels = b.operand(b.shape(x), scalar=False, unit=True)
    b.add("softmax_xent", lambda z, t: mtf.nn.softmax_cross_entropy_with_logits(z, t, axis),
          [labels, x])


@entry("sparse_softmax_cross_entropy_with_logits")
def _sparse_xent(b):
    x = b.rank_at_least(b.cur, 1)
    shape = b.shape(x)
    labels = b.rng.integers(0, shape[-1], shape[:-1])
    b.add("sparse_xent", lambda t: mtf.nn.sparse_softmax_cross_entropy_with_logits(labels, t),
          [x])


@entry("dropout")
def _dropout(b):
    rate = float(b.rng.uniform(0.1, 0.6))
    shape = b.shape(b.cur)
    noise = None if b.rng.random() < 0.5 else [n if b.rng.integers(2) else 1 for n in shape]
    seed = int(b.rng.integers(1000))

    def dropout(x):
        mtf.random.set_seed(seed)       # the same mask at every evaluation point
        try:
            return mtf.nn.dropout(x, rate, noise_shape=noise, seed=seed)
        finally:
            mtf.random.set_seed(None)
    b.add("dropout", dropout, [b.cur])


# ------------------------------------------------------------ custom_gradient

@mtf.custom_gradient
def _sigmoid_closing_over_output(x):
    y = 1 / (1 + mtf.exp(-x))
    return y, lambda g: g * y * (1 - y)


@mtf.custom_gradient
def _polar(x, r):
    s, c = mtf.sin(x), mtf.cos(x)
    return (r * s, r * c), lambda gs, gc: [(gs * c - gc * s) * r, gs * s + gc * c]


@entry("custom_gradient")
def _custom(b):
    if b.rng.integers(2):
        b.add("custom_gradient", _sigmoid_closing_over_output, [b.cur])
        return
    radius = b.operand(b.shape(b.cur), scalar=False)
    b.add("custom_gradient", lambda x, r: mtf.stack(list(_polar(x, r))), [b.cur, radius])
