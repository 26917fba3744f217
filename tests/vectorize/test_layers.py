"""Per-example losses and gradients of mtf.layers models under vectorized_map equal a
loop's, with no op falling back to a per-example loop (a layer's op without a batching
rule would make the most common use of vectorized_map slow).

Every layer of mtf.layers that computes the same thing for the same input is here:
Linear, MLP, LayerNorm, Conv2D, Embedding, BatchNorm (inference), Flatten, Dropout
(inference: the identity; training draws random numbers, which vectorized_map
refuses) and Sequential (the CNN with pools, the transformer block). Pools, conv1d,
conv2d_transpose and depthwise_conv2d have no layer: the direct rule tests below
batch them with every operand batched or shared."""
import warnings

import numpy as np
import pytest

import minitf as mtf
from minitf.kernels import conv as conv_kernels, depthwise, layer_norm as ln_kernels
from minitf.kernels import pool, scatter
from minitf.ops.layer_norm import layer_norm
from minitf.ops.linalg import affine
from minitf._vectorize import batched

from test_vectorized_map import assert_matches_loop

N = 6
L = mtf.layers


def _normal(*shape):
    return np.random.default_rng(1).standard_normal(shape)


def _linear():
    return L.Linear(5), _normal(N, 4)


def _mlp():
    return L.MLP([8, 8, 3]), _normal(N, 4)


def _linear_on_sequences():
    return L.Linear(5), _normal(N, 3, 4)            # affine on rank-3 examples


def _layer_norm():
    return L.LayerNorm(), _normal(N, 5)


def _layer_norm_on_sequences():
    return L.LayerNorm(), _normal(N, 3, 5)          # several rows per example


def _layer_norm_over_two_axes():
    return L.LayerNorm(axis=(-2, -1), create_scale=False), _normal(N, 2, 3, 4)


def _layer_norm_scale_only():
    return L.LayerNorm(create_offset=False), _normal(N, 2, 5)


def _layer_norm_over_a_leading_axis():
    return L.LayerNorm(axis=1), _normal(N, 3, 5)    # moments, not the fused op


def _conv2d():
    return L.Conv2D(3, 3), _normal(N, 6, 5, 2)


def _conv2d_strided_valid_without_bias():
    return L.Conv2D(3, (3, 2), stride=2, padding="VALID", with_bias=False), _normal(N, 7, 6, 2)


def _conv2d_first_layer():
    return L.Conv2D(8, 2), _normal(N, 5, 5, 1)      # its im2col is kept for the gradient


def _cnn():
    model = L.Sequential([L.Conv2D(4, 3), mtf.nn.relu,
                          lambda x: mtf.nn.max_pool2d(x, 2, 2, "SAME"),
                          L.Conv2D(5, 2, stride=2), mtf.nn.tanh,
                          lambda x: mtf.nn.avg_pool2d(x, 2, 1, "VALID"),
                          L.Flatten(), L.Linear(3)])
    return model, _normal(N, 9, 9, 2)


def _embedding():
    ids = np.random.default_rng(2).integers(0, 5, (N, 4))       # repeated rows likely
    return L.Embedding(5, 3, dtype=mtf.float64), ids


def _batch_norm_inference():
    norm = L.BatchNorm(momentum=0.5)
    norm(mtf.constant(_normal(8, 2, 4) * 3 + 1), training=True)  # moving statistics
    return norm, _normal(N, 2, 4)


def _flatten():
    return L.Sequential([L.Flatten(), L.Linear(3)]), _normal(N, 2, 3)


def _dropout_inference():
    return L.Sequential([L.Linear(4), L.Dropout(0.5), L.Linear(2)]), _normal(N, 3)


class TransformerBlock(mtf.Module):
    """Embedding, pre-norm single-head self-attention and an MLP, residuals."""

    def __init__(self, vocab, width):
        super().__init__()
        self.embed = L.Embedding(vocab, width, dtype=mtf.float64)
        self.norm1, self.norm2 = L.LayerNorm(), L.LayerNorm()
        self.qkv, self.proj = L.Linear(3 * width), L.Linear(width)
        self.mlp = L.MLP([2 * width, width])

    def __call__(self, ids):
        x = self.embed(ids)
        q, k, v = mtf.split(self.qkv(self.norm1(x)), 3, axis=-1)
        scores = mtf.matmul(q, k, transpose_b=True) / np.sqrt(x.shape[-1])
        x = x + self.proj(mtf.matmul(mtf.nn.softmax(scores), v))
        return x + self.mlp(self.norm2(x))


def _transformer_block():
    return TransformerBlock(7, 4), np.random.default_rng(3).integers(0, 7, (N, 5))


LAYERS = {"Linear": _linear, "MLP": _mlp, "Linear on sequences": _linear_on_sequences,
          "LayerNorm": _layer_norm, "LayerNorm on sequences": _layer_norm_on_sequences,
          "LayerNorm over two axes, no scale": _layer_norm_over_two_axes,
          "LayerNorm, no offset": _layer_norm_scale_only,
          "LayerNorm over a leading axis": _layer_norm_over_a_leading_axis,
          "Conv2D": _conv2d, "Conv2D strided VALID, no bias": _conv2d_strided_valid_without_bias,
          "Conv2D first layer": _conv2d_first_layer, "CNN with pools": _cnn,
          "Embedding": _embedding, "BatchNorm (inference)": _batch_norm_inference,
          "Flatten": _flatten, "Dropout (inference)": _dropout_inference,
          "Transformer block": _transformer_block}


def refuse_loops(monkeypatch):
    """Make any per-example run of a step fail (a warning is given once per op name
    and process, so an earlier test could have used it up)."""
    def refused(step, *args):
        raise AssertionError(f"op {step.op!r} ran once per example")
    monkeypatch.setattr(batched, "per_example", refused)


def per_example_gradients(model, x):
    """The per-example (loss, gradients) function of ``model`` on inputs like ``x``."""
    model(mtf.constant(x[:1]))                       # builds the variables

    def per_example(example):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.square(model(example[None])))
        return loss, tape.gradient(loss, model.trainable_variables)
    return per_example


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_per_example_gradients_of_layers_equal_a_loop_without_fallback(name, monkeypatch):
    mtf.random.set_seed(0)
    model, x = LAYERS[name]()
    fn = per_example_gradients(model, x)
    refuse_loops(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # a fallback warns
        loss, grads = assert_matches_loop(fn, mtf.constant(x), N, rtol=1e-12)
    assert len(grads) == len(model.trainable_variables) > 0
    assert np.all(np.abs(grads[0].numpy()).reshape(N, -1).sum(axis=1) > 0)   # not all zero


@pytest.mark.parametrize("name", ["CNN with pools", "Transformer block", "LayerNorm on sequences"])
def test_an_empty_batch_gives_empty_per_example_gradients(name, monkeypatch):
    model, x = LAYERS[name]()
    fn = per_example_gradients(model, x)
    refuse_loops(monkeypatch)
    loss, grads = mtf.vectorized_map(fn, mtf.constant(x[:0]))
    assert loss.shape == (0,)
    assert [g.shape for g in grads] == [(0,) + v.shape for v in model.trainable_variables]


KERNELS = [(conv_kernels, ("im2col", "col2im", "conv_forward", "conv_input_grad",
                           "conv_filter_grad")),
           (pool, ("max_pool", "avg_pool", "avg_pool_grad", "scatter_add")),
           (ln_kernels, ("forward", "backward")),
           (scatter, ("scatter_add_rows", "scatter_add_flat")),
           (depthwise, ("forward", "input_grad", "filter_grad"))]


def _kernel_calls(monkeypatch, fn, x):
    """How many times the batched run of ``fn`` on ``x`` calls the numba kernels."""
    mtf.vectorized_map(fn, x)                        # traced before counting
    calls = []
    for module, names in KERNELS:
        for name in names:
            monkeypatch.setattr(module, name, _counted(getattr(module, name), calls))
    mtf.vectorized_map(fn, x)
    monkeypatch.undo()
    return len(calls)


def _counted(kernel, calls):
    def counted(*args, **kwargs):
        calls.append(kernel)
        return kernel(*args, **kwargs)
    return counted


@pytest.mark.parametrize("name", ["CNN with pools", "Transformer block"])
def test_the_rules_call_each_kernel_once_whatever_the_batch_size(name, monkeypatch):
    model, x = LAYERS[name]()
    fn = per_example_gradients(model, x)
    small = _kernel_calls(monkeypatch, fn, mtf.constant(x[:2]))
    large = _kernel_calls(monkeypatch, fn, mtf.constant(np.concatenate([x, x, x])))
    assert small == large >= 5         # the kernels of the layers, each once


@pytest.mark.parametrize("batched", [(True, False, False), (False, True, False),
                                     (False, False, True), (True, True, True)])
def test_affine_with_any_operand_batched_equals_a_loop(batched):
    rng = np.random.default_rng(2)
    full = [rng.standard_normal(s) for s in ((N, 2, 4), (N, 4, 3), (N, 3))]
    shared = [rng.standard_normal(s) for s in ((2, 4), (4, 3), (3,))]
    elems = tuple(mtf.constant(f) for f, b in zip(full, batched) if b)

    def fn(example):
        parts = iter(example)
        x, w, b = (next(parts) if flag else mtf.constant(s) for flag, s in zip(batched, shared))
        return affine(x, w, b)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = assert_matches_loop(fn, elems, N, rtol=1e-12)
    x, w, b = (f if flag else np.broadcast_to(s, f.shape) for f, s, flag in
               zip(full, shared, batched))
    np.testing.assert_allclose(got.numpy(), np.matmul(x, w) + b[:, None, :], rtol=1e-12)


# ------------------------------------------- direct rule tests, any operand batched

FLAGS = [(True, False, False), (False, True, False), (False, False, True),
         (True, True, False), (True, True, True)]


def _operands(shapes, flags, seed=4):
    """(elems: the batched operands, make: example -> every operand) for ``shapes``."""
    rng = np.random.default_rng(seed)
    full = [rng.standard_normal((N,) + s) for s in shapes]
    elems = tuple(mtf.constant(f) for f, flag in zip(full, flags) if flag)

    def make(example):
        parts = iter(example)
        return [next(parts) if flag else mtf.constant(f[0]) for f, flag in zip(full, flags)]
    return elems, make, full


def _gradients_of(op, flags, shapes, second_order=False):
    """fn(example) -> op's output and the gradients of <op(a, b), u> w.r.t. a and b
    (and, for ``second_order``, of <those gradients, 1> w.r.t. u)."""
    elems, make, full = _operands(shapes, flags)

    def fn(example):
        a, b, u = make(example)
        with mtf.GradientTape(persistent=True) as outer:
            outer.watch(u)
            with mtf.GradientTape() as tape:
                tape.watch([a, b])
                out = op(a, b)
                loss = mtf.reduce_sum(out * u)
            grads = tape.gradient(loss, [a, b])
            total = sum(mtf.reduce_sum(mtf.square(g)) for g in grads)
        found = [out] + grads
        return found + [outer.gradient(total, u)] if second_order else found
    return fn, elems, full


def _check_without_loops(monkeypatch, fn, elems):
    refuse_loops(monkeypatch)
    try:
        return assert_matches_loop(fn, elems, N, rtol=1e-11)
    finally:
        monkeypatch.undo()


def _valid_conv(x, w):
    """An independent VALID cross-correlation of NHWC ``x`` with HWIO ``w``."""
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[:2], axis=(1, 2))
    return np.einsum("nijcpq,pqco->nijo", windows, w)


@pytest.mark.parametrize("flags", FLAGS)
def test_conv2d_and_its_gradients_with_any_operand_batched(flags, monkeypatch):
    shapes = ((1, 6, 5, 2), (3, 2, 2, 4), (1, 4, 4, 4))
    fn, elems, full = _gradients_of(
        lambda x, w: mtf.nn.conv2d(x, w, 1, "VALID"), flags, shapes, second_order=True)
    got = _check_without_loops(monkeypatch, fn, elems)
    x, w = (f if flag else np.broadcast_to(f[0], f.shape) for f, flag in zip(full[:2], flags))
    want = np.stack([_valid_conv(x[b], w[b]) for b in range(N)])
    np.testing.assert_allclose(got[0].numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("flags", FLAGS)
def test_conv2d_with_bias_and_padding_any_operand_batched(flags, monkeypatch):
    from minitf.ops.conv import conv2d_bias
    elems, make, _ = _operands(((2, 5, 5, 3), (3, 3, 3, 4), (4,)), flags)

    def fn(example):
        x, w, b = make(example)
        with mtf.GradientTape() as tape:
            tape.watch([x, w, b])
            y = conv2d_bias(x, w, b, strides=2, padding="SAME")
            loss = mtf.reduce_sum(mtf.square(y))
        return [y] + tape.gradient(loss, [x, w, b])
    _check_without_loops(monkeypatch, fn, elems)


@pytest.mark.parametrize("flags", FLAGS)
def test_conv1d_and_conv2d_transpose_with_any_operand_batched(flags, monkeypatch):
    fn, elems, _ = _gradients_of(lambda x, w: mtf.nn.conv1d(x, w, 2, "SAME"), flags,
                                 ((2, 7, 3), (3, 3, 2), (2, 4, 2)))
    _check_without_loops(monkeypatch, fn, elems)
    fn, elems, _ = _gradients_of(
        lambda x, w: mtf.nn.conv2d_transpose(x, w, [1, 6, 5, 2], 2, "SAME"), flags,
        ((1, 3, 3, 4), (3, 2, 2, 4), (1, 6, 5, 2)), second_order=True)
    _check_without_loops(monkeypatch, fn, elems)


@pytest.mark.parametrize("flags", FLAGS)
def test_depthwise_conv2d_with_any_operand_batched(flags, monkeypatch):
    fn, elems, _ = _gradients_of(
        lambda x, w: mtf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"), flags,
        ((2, 5, 4, 3), (3, 2, 3, 2), (2, 5, 4, 6)), second_order=True)
    _check_without_loops(monkeypatch, fn, elems)


@pytest.mark.parametrize("flags", [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("pool_fn", [mtf.nn.max_pool2d, mtf.nn.avg_pool2d])
def test_pools_and_their_gradients_with_any_operand_batched(flags, pool_fn, monkeypatch):
    """Max pooling's second order reads the upstream at the maxima (its grad's grad)."""
    elems, make, full = _operands(((2, 5, 5, 3), (2, 3, 3, 3)), flags)

    def fn(example):
        x, u = make(example)
        with mtf.GradientTape() as outer:
            outer.watch(u)
            with mtf.GradientTape() as tape:
                tape.watch(x)
                y = pool_fn(x, 2, 2, "SAME")
            g = tape.gradient(y, x, output_gradients=u)
            total = mtf.reduce_sum(mtf.square(g))
        return y, g, outer.gradient(total, u)
    y, g, _ = _check_without_loops(monkeypatch, fn, elems)
    x, u = (f if flag else np.broadcast_to(f[0], f.shape) for f, flag in zip(full, flags))
    reduce = np.max if pool_fn is mtf.nn.max_pool2d else np.mean
    np.testing.assert_allclose(y.numpy(), _pooled(x, reduce), rtol=1e-12)
    # each upstream value goes to one maximum, or is spread evenly over its window
    np.testing.assert_allclose(g.numpy().sum(axis=(1, 2, 3)), u.sum(axis=(1, 2, 3)),
                               rtol=1e-12)


def _pooled(x, reduce):
    """An independent 2x2 stride-2 SAME pool of 5x5 images (the last row and column
    form windows of their own in-image elements)."""
    out = np.empty(x.shape[:2] + (3, 3) + x.shape[4:])
    for i in range(3):
        for j in range(3):
            out[:, :, i, j] = reduce(x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2], axis=(2, 3))
    return out


@pytest.mark.parametrize("flags", [(True, False, False), (False, True, False),
                                   (False, False, True), (True, True, True)])
def test_layer_norm_with_any_operand_batched(flags, monkeypatch):
    elems, make, full = _operands(((3, 4), (4,), (4,)), flags)

    def fn(example):
        x, scale, offset = make(example)
        with mtf.GradientTape() as tape:
            tape.watch([x, scale, offset])
            y = layer_norm(x, scale, offset, 1, 1e-5)
            loss = mtf.reduce_sum(mtf.square(y) * mtf.constant(np.arange(12.0).reshape(3, 4)))
        return [y] + tape.gradient(loss, [x, scale, offset])
    got = _check_without_loops(monkeypatch, fn, elems)
    x, scale, offset = (f if flag else np.broadcast_to(f[0], f.shape)
                        for f, flag in zip(full, flags))
    xhat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(got[0].numpy(), xhat * scale[:, None] + offset[:, None],
                               rtol=1e-12)


@pytest.mark.parametrize("axis", [0, 1])
def test_gather_with_params_and_indices_both_batched(axis, monkeypatch):
    rng = np.random.default_rng(5)
    params = rng.standard_normal((N, 4, 5, 2))
    ids = rng.integers(0, params.shape[axis + 1], (N, 3, 2))
    got = _check_without_loops(monkeypatch, lambda e: mtf.gather(e[0], e[1], axis=axis),
                               (mtf.constant(params), mtf.constant(ids)))
    want = np.stack([np.take(params[b], ids[b], axis=axis) for b in range(N)])
    np.testing.assert_array_equal(got.numpy(), want)


def test_embedding_gradient_of_a_shared_lookup_with_batched_upstream(monkeypatch):
    """Rows picked by shared ids, gradients densified (scatter_rows with batched values),
    and the gradient's own gradient (gather with both operands batched)."""
    table = mtf.constant(_normal(5, 3))
    ids = mtf.constant([[0, 3], [3, 1]])
    upstream = mtf.constant(_normal(N, 2, 2, 3))

    def fn(u):
        with mtf.GradientTape() as outer:
            outer.watch(u)
            with mtf.GradientTape() as tape:
                tape.watch(table)
                rows = mtf.gather(table, ids)
            dense = tape.gradient(rows, table, output_gradients=u)._densify()
            total = mtf.reduce_sum(mtf.square(dense))
        return dense, outer.gradient(total, u)
    dense, _ = _check_without_loops(monkeypatch, fn, upstream)
    want = np.zeros((N, 5, 3))
    for b in range(N):
        np.add.at(want[b], ids.numpy().ravel(), upstream.numpy()[b].reshape(4, 3))
    np.testing.assert_allclose(dense.numpy(), want, rtol=1e-12)


GATHERS = {"gather on axis 1": lambda x, i: mtf.gather(x, i, axis=1),
           "gather_nd": lambda x, i: mtf.gather_nd(x, mtf.stack([i, i[::-1]], axis=-1)),
           "advanced indexing": lambda x, i: x[:, i]}
BOTH = [(True, False), (False, True), (True, True)]
CASES = [(name, flags) for name in sorted(GATHERS) for flags in BOTH
         # batched index Tensors in advanced indexing still run once per example
         if name != "advanced indexing" or flags == (True, False)]


@pytest.mark.parametrize("name, flags", CASES)
def test_flat_gathers_and_their_scatter_gradients_with_any_operand_batched(
        name, flags, monkeypatch):
    """Gradients scattered to flat positions (shared or per example), and read back
    from them (the second order)."""
    rng = np.random.default_rng(6)
    params = rng.standard_normal((N, 4, 4, 2))
    ids = rng.integers(0, 4, (N, 3))                 # repeated positions likely
    elems = tuple(mtf.constant(a) for a, flag in zip((params, ids), flags) if flag)

    def fn(example):
        parts = iter(example)
        x, i = (next(parts) if flag else mtf.constant(a[0])
                for a, flag in zip((params, ids), flags))
        with mtf.GradientTape() as outer:
            outer.watch(x)
            with mtf.GradientTape() as tape:
                tape.watch(x)
                y = GATHERS[name](x, i)
                loss = mtf.reduce_sum(mtf.square(y))
            g = tape.gradient(loss, x)
            total = mtf.reduce_sum(g * g)
        return y, g, outer.gradient(total, x)
    _, g, _ = _check_without_loops(monkeypatch, fn, elems)
    assert np.any(g.numpy() != 0)
