"""Reductions, shape, indexing and linalg ops under mtf.function replay exactly.

Each case traces a function once and replays it with new input values (and new
index values, masks, Variable contents); truth is eager execution on the same
values, bit for bit (``_replay``). Gradients are taken by a tape inside the
traced function, to second order where the op is twice differentiable.
"""
import numpy as np
import pytest

import minitf as mtf
from minitf.ops.linalg import affine
import _replay


# ---------------------------------------------------------------- inputs

def floats(*shape, dtype=np.float64):
    return lambda rng: mtf.constant(rng.standard_normal(shape).astype(dtype))


def ints(low, high, *shape, dtype=np.int64):
    return lambda rng: mtf.constant(rng.integers(low, high, shape).astype(dtype))


def masks(*shape):
    """Random bool masks: how many entries are true changes from seed to seed."""
    return lambda rng: mtf.constant(rng.random(shape) < 0.5)


def ties(*shape):
    """Small whole numbers: reductions see ties (and where they are changes)."""
    return lambda rng: mtf.constant(np.round(rng.standard_normal(shape) * 1.5))


def with_zeros(*shape):
    """Normal values with some exact zeros (none at all for some seeds)."""
    def make(rng):
        v = rng.standard_normal(shape)
        v[rng.random(shape) < 0.15] = 0.0
        return mtf.constant(v)
    return make


def with_specials(*shape):
    """Normal values with a few NaN, inf and -inf entries."""
    def make(rng):
        v = rng.standard_normal(shape)
        v[rng.random(shape) < 0.1] = rng.choice([np.nan, np.inf, -np.inf])
        return mtf.constant(v)
    return make


def arguments(makers):
    """``make_args(seed)`` for ``_replay``: one independent stream per argument."""
    return lambda seed: tuple(m(np.random.default_rng([seed, i])) for i, m in enumerate(makers))


def check(op, makers, order):
    """``op`` (and its gradients w.r.t. the first argument, up to ``order``) replays."""
    fn = op if order == 0 else sliced(_replay.with_gradient(op, order))
    _replay.assert_replays(fn, arguments(makers), seeds=(1, 2, 3, 4))


def sliced(fn):
    """``fn`` with each IndexedSlices result returned as its values, its indices and
    its dense value (Tensors, which a traced function returns)."""
    def run(*args):
        return [[r.values, r.indices, mtf.convert_to_tensor(r)]
                if isinstance(r, mtf.IndexedSlices) else r for r in fn(*args)]
    return run


def masked_gradient(select):
    """``fn(x, m, u)``: ``select(x, m)`` (an op whose output shape follows the mask
    ``m``) and its gradient w.r.t. ``x`` for the upstream gradient ``select(u, m)``,
    which has the replayed shape (the tape's default seed would not)."""
    def fn(x, m, u):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = select(x, m)
        return [y, tape.gradient(y, x, output_gradients=select(u, m))]
    return fn


def case(name, op, makers, order):
    return pytest.param(op, makers, order, id=name)


# ---------------------------------------------------------------- reductions

AXES = [("all", {}), ("axis1", dict(axis=1)), ("axis_neg", dict(axis=-1)),
        ("tuple", dict(axis=(0, 2))), ("list_neg_keep", dict(axis=[-1, 0], keepdims=True)),
        ("all_keep", dict(keepdims=True)), ("axis0_keep", dict(axis=0, keepdims=True))]

REDUCE = [
    *[case(f"{op.__name__}-{tag}", lambda x, op=op, kw=kw: op(x, **kw), [floats(2, 3, 4)], 2)
      for op in (mtf.reduce_sum, mtf.reduce_mean) for tag, kw in AXES],
    *[case(f"{op.__name__}-{tag}-ties", lambda x, op=op, kw=kw: op(x, **kw), [ties(2, 3, 4)], 1)
      for op in (mtf.reduce_max, mtf.reduce_min) for tag, kw in AXES],
    *[case(f"reduce_prod-{tag}", lambda x, kw=kw: mtf.reduce_prod(x, **kw), [with_zeros(3, 4)], 2)
      for tag, kw in [("all", {}), ("axis1", dict(axis=1)),
                      ("axis0_keep", dict(axis=0, keepdims=True)), ("tuple", dict(axis=(0, 1)))]],
    *[case(f"{op.__name__}-{tag}", lambda x, op=op, kw=kw: op(x, **kw), [floats(2, 3, 4)], 2)
      for op in (mtf.reduce_logsumexp, mtf.reduce_variance, mtf.reduce_std)
      for tag, kw in AXES],
    case("reduce_sum-float32", lambda x: mtf.reduce_sum(x, 0), [floats(5, 3, dtype=np.float32)], 2),
    case("reduce_mean-float32", lambda x: mtf.reduce_mean(x, -1), [floats(5, 3, dtype=np.float32)],
         2),
    case("reduce_max-specials", lambda x: mtf.reduce_max(x, 1), [with_specials(4, 5)], 1),
    case("reduce_min-specials", lambda x: mtf.reduce_min(x), [with_specials(4, 5)], 1),
    case("reduce_logsumexp-specials", lambda x: mtf.reduce_logsumexp(x, 1), [with_specials(4, 5)],
         1),
    case("reduce_max-empty", lambda x: mtf.reduce_max(x, 0), [floats(0, 3)], 1),
    case("reduce_mean-empty", lambda x: mtf.reduce_mean(x, 0), [floats(0, 3)], 0),
    *[case(f"{op.__name__}-{dtype.__name__}", lambda x, op=op: [op(x), op(x, 1, keepdims=True)],
           [ints(-50, 50, 3, 4, dtype=dtype)], 0)
      for op in (mtf.reduce_sum, mtf.reduce_mean, mtf.reduce_max, mtf.reduce_min, mtf.reduce_prod)
      for dtype in (np.int32, np.int64)],
    case("reduce_sum-bool", lambda m: [mtf.reduce_sum(m), mtf.reduce_max(m, 0)], [masks(3, 4)], 0),
    *[case(f"{op.__name__}-{tag}", lambda x, op=op, kw=kw: op(x, **kw), [make], 0)
      for op in (mtf.argmax, mtf.argmin)
      for tag, kw, make in [("default", {}, floats(4, 5)), ("axis1", dict(axis=1), ties(4, 5)),
                            ("neg_int32", dict(axis=-1, output_type=mtf.int32),
                             ints(0, 9, 2, 3, 4)),
                            ("nan", dict(axis=0), with_specials(6, 3))]],
]


@pytest.mark.parametrize("op, makers, order", REDUCE)
def test_reductions_replay(op, makers, order):
    check(op, makers, order)


# ---------------------------------------------------------------- shape ops

SHAPE = [
    case("reshape-minus1", lambda x: mtf.reshape(x, [4, -1]), [floats(2, 3, 4)], 2),
    case("reshape-flat", lambda x: mtf.reshape(x, (24,)) * 2.0, [floats(2, 3, 4)], 2),
    case("reshape-float32", lambda x: mtf.reshape(x, [3, 8]), [floats(2, 3, 4, dtype=np.float32)],
         2),
    case("transpose-default", lambda x: mtf.transpose(x) * mtf.transpose(x[:, :, 0:1]),
         [floats(2, 3, 4)], 2),
    case("transpose-perm", lambda x: mtf.transpose(x, [1, 2, 0]), [floats(2, 3, 4)], 2),
    case("broadcast_to", lambda x: mtf.broadcast_to(x, [2, 3, 4]) ** 2, [floats(3, 1)], 2),
    case("expand_dims", lambda x: [mtf.expand_dims(x, -1), mtf.expand_dims(x, 0)],
         [floats(2, 3)], 2),
    case("squeeze-all", lambda x: mtf.squeeze(x) ** 2, [floats(1, 3, 1, 4)], 2),
    case("squeeze-axes", lambda x: mtf.squeeze(x, axis=[0, -2]), [floats(1, 3, 1, 4)], 1),
    case("concat", lambda x, y: mtf.concat([x, y, x * x], -1), [floats(2, 3), floats(2, 5)], 2),
    case("concat-second", lambda y, x: mtf.concat([x, y], 0), [floats(1, 3), floats(2, 3)], 1),
    case("concat-python-values", lambda x: mtf.concat([x, [[1.0, 2.0]]], 0), [floats(3, 2)], 1),
    case("stack", lambda x, y: mtf.stack([x, y * x], axis=1), [floats(2, 3), floats(2, 3)], 2),
    case("split-num", lambda x: [p * float(i + 1) for i, p in enumerate(mtf.split(x, 3, axis=1))],
         [floats(2, 6)], 2),
    case("split-sizes", lambda x: mtf.split(x, [2, -1, 1], axis=-1)[1:], [floats(2, 3, 6)], 1),
    case("unstack", lambda x: [p * p for p in mtf.unstack(x, axis=1)], [floats(2, 3, 2)], 2),
    case("tile", lambda x: mtf.tile(x, [2, 1, 3]) ** 2, [floats(2, 3, 1)], 2),
    case("pad-constant", lambda x: mtf.pad(x, [[1, 2], [0, 1]]) ** 2, [floats(2, 3)], 2),
    case("pad-constant-fill", lambda x: mtf.pad(x, [[1, 0], [2, 1]], constant_values=1.5),
         [floats(2, 3)], 1),
    case("pad-constant-tensor-fill", lambda x, c: mtf.pad(x, [[1, 1], [1, 1]], constant_values=c),
         [floats(2, 3), floats()], 1),
    case("pad-reflect", lambda x: mtf.pad(x, [[1, 1], [2, 0]], "REFLECT") ** 2, [floats(3, 4)], 2),
    case("pad-symmetric", lambda x: mtf.pad(x, [[2, 1], [0, 3]], "symmetric") ** 2,
         [floats(3, 4)], 2),
    case("pad-int", lambda x: mtf.pad(x, [[1, 1]], constant_values=-7), [ints(0, 9, 5)], 0),
    case("shape-size-rank", lambda x: [x * 2.0, mtf.shape(x), mtf.size(x, out_type=mtf.int64),
                                       mtf.rank(x), mtf.shape(x, out_type=mtf.int64)],
         [floats(2, 3)], 0),
    case("reshape-to-shape-of", lambda x, y: mtf.reshape(x, mtf.shape(y)),
         [floats(6), floats(2, 3)], 2),
]


@pytest.mark.parametrize("op, makers, order", SHAPE)
def test_shape_ops_replay(op, makers, order):
    check(op, makers, order)


# ---------------------------------------------------------------- indexing

KEYS = [
    ("int", 1), ("negative_int", -1), ("slice", slice(1, 3)), ("ints_and_slice", (-1, slice(1, 3))),
    ("ellipsis_reversed", (Ellipsis, slice(None, None, -1))),
    ("newaxis_step", (slice(None), None, slice(None, None, -2))),
    ("reversed_ellipsis_int", (slice(None, None, -1), Ellipsis, 1)),
    ("newaxis", (slice(1, None), np.newaxis)), ("numpy_int", (np.int64(2), slice(None))),
    ("row_list", [0, 2, 2, -1]), ("row_array", np.array([[0, -1], [1, 1]])),
    ("advanced_tuple", (slice(None), [0, 0, 2])), ("two_arrays", ([0, 2], [1, -1])),
    ("bool_array", np.array([True, False, True])),
]

INDEXING = [
    *[case(f"getitem-{tag}", lambda x, key=key: x[key], [floats(3, 4, 2)],
           1 if tag.startswith("row") else 2)          # row gradients are IndexedSlices
      for tag, key in KEYS],
    case("getitem-float32-rows", lambda x: x[[1, 1, 0]], [floats(3, 2, dtype=np.float32)], 1),
    case("getitem-index-tensor", lambda x, i: x[i], [floats(5, 2), ints(-5, 5, 7)], 1),
    case("getitem-index-tensor-2d", lambda x, i: x[i] * 2.0, [floats(5, 2), ints(-5, 5, 2, 3)], 1),
    case("getitem-index-tensor-axis1", lambda x, i: x[:, i], [floats(3, 5), ints(-5, 5, 4)], 2),
    case("getitem-scalar-tensor", lambda x, i: x[i], [floats(5, 2), ints(-5, 5)], 2),
    case("getitem-scalar-tensor-tuple", lambda x, i: x[1:, i, ::-1],
         [floats(3, 4, 2), ints(-4, 4)], 2),
    case("getitem-int-tensor", lambda i, x: x[i], [ints(0, 3, 4), floats(3)], 0),
    case("gather-rows", lambda x, i: mtf.gather(x, i), [floats(5, 3), ints(0, 5, 6)], 1),
    case("gather-rows-2d", lambda x, i: mtf.gather(x, i) * 2.0, [floats(5, 3), ints(0, 5, 2, 2)],
         1),
    case("gather-rows-int32", lambda x, i: mtf.gather(x, i),
         [floats(5, 3), ints(0, 5, 4, dtype=np.int32)], 1),
    case("gather-axis1", lambda x, i: mtf.gather(x, i, axis=1), [floats(2, 5, 3), ints(0, 5, 2, 3)],
         2),
    case("gather-axis-neg-constant", lambda x: mtf.gather(x, [[0, 1], [2, 2]], axis=-1),
         [floats(2, 3)], 2),
    case("gather-empty", lambda x: mtf.gather(x, []), [floats(4, 2)], 1),
    case("gather_nd-points", lambda x, i: mtf.gather_nd(x, i), [floats(3, 4), ints(0, 3, 5, 2)], 2),
    case("gather_nd-rows", lambda x, i: mtf.gather_nd(x, i), [floats(3, 4), ints(0, 3, 2, 1)], 2),
    case("gather_nd-none", lambda x, i: mtf.gather_nd(x, i),
         [floats(2, 3), ints(0, 1, 4, 0)], 1),
    case("boolean_mask-no-gradient", lambda x, m: mtf.boolean_mask(x, m),
         [floats(3, 4), masks(3, 4)], 0),
]

MASKED = [
    ("getitem-mask", lambda x, m: x[m], (3, 4), (3, 4)),
    ("getitem-mask-rows-and-int", lambda x, m: x[m, 1], (4, 3), (4,)),
    ("getitem-mask-and-slice", lambda x, m: x[::-1, m], (2, 5), (5,)),
    ("getitem-scalar-mask", lambda x, m: x[m], (2,), ()),
    ("boolean_mask", lambda x, m: mtf.boolean_mask(x, m), (3, 4), (3, 4)),
    ("boolean_mask-rows", lambda x, m: mtf.boolean_mask(x, m), (5, 2), (5,)),
    ("boolean_mask-axis", lambda x, m: mtf.boolean_mask(x, m, axis=1), (2, 3, 4), (3, 4)),
    ("boolean_mask-axis-neg", lambda x, m: mtf.boolean_mask(x, m, axis=-1), (2, 3), (3,)),
]


@pytest.mark.parametrize("select, shape, mask_shape",
                         [pytest.param(*row[1:], id=row[0]) for row in MASKED])
def test_masks_replay_with_new_output_shapes(select, shape, mask_shape):
    makers = [floats(*shape), masks(*mask_shape), floats(*shape)]
    _replay.assert_replays(masked_gradient(select), arguments(makers), seeds=(1, 2, 3, 4, 5))


@pytest.mark.parametrize("op, makers, order", INDEXING)
def test_indexing_replays(op, makers, order):
    check(op, makers, order)


def test_new_mask_values_change_the_output_shape_on_replay():
    f = mtf.function(lambda x, m: mtf.boolean_mask(x, m))
    x = mtf.constant(np.arange(6.0))
    sizes = []
    for bits in ([1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 1, 1], [0] * 6):
        mask = mtf.constant(np.array(bits, bool))
        out = f(x, mask)
        np.testing.assert_array_equal(out.numpy(), np.arange(6.0)[np.array(bits, bool)])
        sizes.append(out.shape[0])
    assert sizes == [1, 5, 0] and f.experimental_get_tracing_count() == 1


# ---------------------------------------------------------------- linalg

MATMUL = [
    ("plain", dict(), (3, 4), (4, 2)),
    ("transpose_a", dict(transpose_a=True), (4, 3), (4, 2)),
    ("transpose_b", dict(transpose_b=True), (3, 4), (2, 4)),
    ("both", dict(transpose_a=True, transpose_b=True), (4, 3), (2, 4)),
    ("adjoint_a", dict(adjoint_a=True), (4, 3), (4, 2)),
    ("adjoint_b", dict(adjoint_b=True), (3, 4), (2, 4)),
    ("batch_broadcast", dict(), (2, 1, 3, 4), (5, 4, 2)),
    ("batch_transposed", dict(transpose_a=True, adjoint_b=True), (2, 4, 3), (1, 2, 4)),
    ("rows", dict(), (2, 3, 4), (4, 5)),
    ("rows_transpose_b", dict(transpose_b=True), (2, 3, 4), (5, 4)),
    ("matrix_times_batch", dict(), (3, 4), (2, 4, 5)),
]

LINALG = [
    *[case(f"matmul-{tag}-{which}",
           (lambda a, b, kw=kw: mtf.matmul(a, b, **kw)) if which == "a" else
           (lambda b, a, kw=kw: mtf.matmul(a, b, **kw)),
           [floats(*sa), floats(*sb)] if which == "a" else [floats(*sb), floats(*sa)], 2)
      for tag, kw, sa, sb in MATMUL for which in ("a", "b")],
    case("matmul-float32", lambda a, b: mtf.matmul(a, b),
         [floats(3, 4, dtype=np.float32), floats(4, 2, dtype=np.float32)], 2),
    case("matmul-int32", lambda a, b: mtf.matmul(a, b, transpose_b=True),
         [ints(-9, 9, 3, 4, dtype=np.int32), ints(-9, 9, 2, 4, dtype=np.int32)], 0),
    case("matmul-operator", lambda a, b: a @ b, [floats(2, 3), floats(3, 2)], 2),
    case("einsum-matmul", lambda a, b: mtf.einsum("ij,jk->ik", a, b), [floats(3, 4), floats(4, 2)],
         2),
    case("einsum-implicit", lambda a, b: mtf.einsum("ij,jk", a, b),
         [floats(3, 4), floats(4, 2)], 2),
    case("einsum-batch", lambda b, a: mtf.einsum("bij,bjk->bik", a, b),
         [floats(2, 4, 2), floats(2, 3, 4)], 2),
    case("einsum-ellipsis-broadcast", lambda a, b: mtf.einsum("...ij,...jk->...ik", a, b),
         [floats(1, 3, 4), floats(2, 4, 5)], 2),
    case("einsum-size1-broadcast", lambda a, b: mtf.einsum("ij,ij->ij", a, b),
         [floats(1, 3), floats(4, 3)], 2),
    case("einsum-dot", lambda a, b: mtf.einsum("i,i->", a, b), [floats(5), floats(5)], 2),
    case("einsum-transpose-sum", lambda a: mtf.einsum("ijk->ki", a), [floats(2, 3, 4)], 2),
    case("einsum-three", lambda b, a, c: mtf.einsum("ij,jk,kl->il", a, b, c),
         [floats(4, 5), floats(3, 4), floats(5, 2)], 2),
    case("einsum-large", lambda a, b: mtf.einsum("ij,jk->ik", a, b),
         [floats(40, 40), floats(40, 40)], 1),
    case("tensordot-int", lambda a, b: mtf.tensordot(a, b, 1), [floats(2, 3), floats(3, 4)], 2),
    case("tensordot-pairs", lambda b, a: mtf.tensordot(a, b, [[0, 2], [1, 0]]),
         [floats(4, 2, 5), floats(2, 3, 4)], 2),
    case("tensordot-outer", lambda a, b: mtf.tensordot(a, b, 0), [floats(2), floats(3)], 2),
    case("affine-x", lambda x, w, b: affine(x, w, b), [floats(4, 3), floats(3, 2), floats(2)], 2),
    case("affine-w", lambda w, x, b: affine(x, w, b), [floats(3, 2), floats(4, 3), floats(2)], 2),
    case("affine-b", lambda b, x, w: affine(x, w, b), [floats(2), floats(4, 3), floats(3, 2)], 1),
    case("affine-rank3-w", lambda w, x, b: affine(x, w, b) ** 2,
         [floats(3, 2), floats(2, 4, 3), floats(2)], 2),
    case("affine-rank3-x", lambda x, w, b: affine(x, w, b) ** 2,
         [floats(2, 4, 3), floats(3, 2), floats(2)], 2),
    case("sum_to-bias", lambda b, x: (x + b) ** 2, [floats(3), floats(2, 3)], 2),
    case("sum_to-stretched", lambda b, x: (x * b) ** 2, [floats(2, 1), floats(4, 2, 3)], 2),
]


@pytest.mark.parametrize("op, makers, order", LINALG)
def test_linalg_replays(op, makers, order):
    check(op, makers, order)


def test_linear_layer_replays_with_new_inputs_and_weights():
    layer = mtf.layers.Linear(3)
    layer(mtf.zeros([2, 4], mtf.float64))

    def step(x):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(layer(x) ** 2)
        return [loss] + tape.gradient(loss, [layer.w, layer.b])

    def make(seed):
        rng = np.random.default_rng(seed)
        layer.w.assign(rng.standard_normal((4, 3)))
        layer.b.assign(rng.standard_normal(3))
        return (mtf.constant(rng.standard_normal((5, 2, 4))),)
    _replay.assert_replays(step, make)


# ---------------------------------------------------------------- Variables

def variable_args(variable, makers):
    """``make_args``: the same Variable (assigned new values) and fresh Tensors."""
    def make(seed):
        values = arguments(makers)(seed)
        variable.assign(values[0])
        return (variable,) + values[1:]
    return make


VARIABLE_READS = [
    ("reshape", lambda v: mtf.reshape(v, [-1]), [floats(3, 4)]),
    ("transpose", lambda v: mtf.transpose(v), [floats(3, 4)]),
    ("expand_squeeze", lambda v: [mtf.expand_dims(v, 1), mtf.squeeze(mtf.reshape(v, [1, 12]))],
     [floats(3, 4)]),
    ("broadcast_to", lambda v: mtf.broadcast_to(v, [2, 3, 4]), [floats(3, 4)]),
    ("basic_getitem", lambda v: [v[1], v[:, ::-2], v[..., None]], [floats(3, 4)]),
    ("split_unstack", lambda v: mtf.split(v, 2, axis=1) + mtf.unstack(v), [floats(3, 4)]),
    ("reduce", lambda v: [mtf.reduce_sum(v, 0), mtf.reduce_max(v), mtf.reduce_prod(v, 1)],
     [floats(3, 4)]),
    ("matmul", lambda v: mtf.matmul(v, v, transpose_b=True), [floats(3, 4)]),
    ("concat_stack_tile_pad", lambda v: [mtf.concat([v, v], 0), mtf.stack([v, v]),
                                         mtf.tile(v, [1, 2]), mtf.pad(v, [[1, 0], [0, 1]])],
     [floats(3, 4)]),
    ("gather", lambda v, i: [mtf.gather(v, i), v[i], v[:, i[:2]]],
     [floats(3, 4), ints(0, 3, 5)]),
    ("einsum", lambda v: mtf.einsum("ij,ij->i", v, v), [floats(3, 4)]),
]


@pytest.mark.parametrize("op, makers", [pytest.param(op, m, id=name)
                                        for name, op, m in VARIABLE_READS])
@pytest.mark.parametrize("order", [0, 1])
def test_variable_arguments_are_read_on_every_call(op, makers, order):
    v = mtf.Variable(np.zeros((3, 4)))
    fn = op if order == 0 else sliced(_replay.with_gradient(op, order))
    _replay.assert_replays(fn, variable_args(v, makers), seeds=(1, 2, 3))


def test_index_variables_are_read_on_every_call():
    index = mtf.Variable(np.array([0, 1], np.int64))
    scalar = mtf.Variable(np.array(0, np.int64))
    mask = mtf.Variable(np.zeros(4, bool))

    def fn(x):
        return [x[index], mtf.gather(x, index), x[scalar], x[:, scalar // 2]]

    def masked(x):
        return [x[mask], mtf.boolean_mask(x, mask)]

    def make(seed):
        rng = np.random.default_rng(seed)
        index.assign(rng.integers(0, 4, 2))
        scalar.assign(rng.integers(-4, 4))
        mask.assign(rng.random(4) < 0.5)
        return (mtf.constant(rng.standard_normal((4, 2))),)
    _replay.assert_replays(sliced(_replay.with_gradient(fn, 1)), make)
    _replay.assert_replays(masked, make)


@pytest.mark.parametrize("name, op", [(name, op) for name, op, _ in VARIABLE_READS[:6]])
def test_views_of_a_variable_keep_their_values_after_assign(name, op):
    v = mtf.Variable(np.arange(12.0).reshape(3, 4))
    traced = mtf.function(op)
    for _ in range(2):                 # the traced call, then a replay
        outs = traced(v)
        kept = [t.numpy().copy() for t in (outs if isinstance(outs, list) else [outs])]
        v.assign(np.full((3, 4), -1.0))
        after = [t.numpy() for t in (outs if isinstance(outs, list) else [outs])]
        for a, b in zip(kept, after):
            np.testing.assert_array_equal(a, b)
        v.assign(np.arange(12.0).reshape(3, 4) * 2)
    assert traced.experimental_get_tracing_count() == 1


# ---------------------------------------------------------------- errors

def test_replayed_indices_are_range_checked():
    x = mtf.constant(np.arange(10.0).reshape(5, 2))
    gather = mtf.function(lambda x, i: mtf.gather(x, i))
    rows = mtf.function(lambda x, i: x[i])
    gather(x, mtf.constant([0, 4]))
    rows(x, mtf.constant([0, -5]))
    with pytest.raises(IndexError, match="gather: index 5 is out of range"):
        gather(x, mtf.constant([0, 5]))
    with pytest.raises(IndexError, match="gather: index -1 is out of range"):
        gather(x, mtf.constant([-1, 0]))
    with pytest.raises(IndexError, match="getitem: index -6 is out of range"):
        rows(x, mtf.constant([-6, 0]))
    assert gather.experimental_get_tracing_count() == 1


def test_traced_tensors_as_axes_or_shapes_raise_instead_of_being_baked_in():
    x = mtf.constant(np.ones((2, 3)))
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError):
        mtf.function(lambda x, a: mtf.reduce_sum(x, axis=a))(x, mtf.constant([1]))
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError):
        mtf.function(lambda x, s: mtf.reshape(x, s))(x, mtf.constant([3, 2]))
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError):
        mtf.function(lambda x, p: mtf.pad(x, p))(x, mtf.constant([[1, 1], [0, 0]]))
    fixed = mtf.function(lambda x: mtf.reduce_sum(x, axis=mtf.constant([1])))
    np.testing.assert_array_equal(fixed(x).numpy(), [3.0, 3.0])
