"""roll, reverse, repeat, meshgrid, sequence_mask and unique replay under
``mtf.function`` bit for bit as they run eagerly, with gradients where they have them;
value-shaped outputs (tensor repeats, sequence_mask without maxlen, unique) take new
shapes on replay without tracing again."""
import numpy as np
import pytest

import minitf as mtf
import _replay

F32, F64 = np.float32, np.float64


def _floats(seed, shape=(3, 4), dtype=F64):
    return mtf.constant(np.random.default_rng(seed).uniform(-2, 2, shape).astype(dtype))


def _ints(seed, shape, low, high, dtype=np.int32):
    return mtf.constant(np.random.default_rng(seed + 100).integers(low, high, shape)
                        .astype(dtype))


# --------------------------------------------------------- differentiable

DIFFERENTIABLE = [
    ("roll", lambda x: mtf.roll(x, 1, 0)),
    ("roll-many", lambda x: mtf.roll(x, [2, -1, 3], [1, 0, 1])),
    ("reverse", lambda x: mtf.reverse(x, [0, -1])),
    ("reverse-none", lambda x: mtf.reverse(x, [])),
    ("repeat-flat", lambda x: mtf.repeat(x, 2)),
    ("repeat-counts", lambda x: mtf.repeat(x, [1, 0, 2, 3], axis=1)),
    ("repeat-rows", lambda x: mtf.repeat(x, 2, axis=-2) * x[0, 0]),
    ("meshgrid-xy", lambda x: mtf.meshgrid(x[0], x[1])[0] * mtf.meshgrid(x[0], x[2])[1]),
    ("meshgrid-ij", lambda x: mtf.add_n(mtf.meshgrid(x[0], x[1, :2], indexing="ij")) ** 2),
]


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("name, op", DIFFERENTIABLE, ids=[row[0] for row in DIFFERENTIABLE])
def test_replays_with_two_orders_of_gradient(name, op, dtype):
    def fn(x):
        return op(x) * op(x)
    _replay.assert_replays(_replay.with_gradient(fn, 2), lambda s: (_floats(s, dtype=dtype),))


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_non_float_rearrangements_replay(dtype):
    def fn(x):
        return [mtf.roll(x, [1, 2], [0, 1]), mtf.reverse(x, [1]), mtf.repeat(x, [2, 0, 1], 0),
                mtf.meshgrid(x[0], x[1], indexing="ij")]
    _replay.assert_replays(fn, lambda s: (mtf.cast(_ints(s, (3, 4), -3, 4), dtype),))


def test_roll_replays_new_tensor_shifts():
    def fn(x, shift):
        return mtf.roll(x, shift, [0, 1])
    _replay.assert_replays(_replay.with_gradient(fn, 2),
                           lambda s: (_floats(s), _ints(s, (2,), -5, 6)))


def test_repeat_with_tensor_repeats_takes_new_output_shapes():
    def fn(x, counts):
        return mtf.repeat(x, counts, axis=0)
    make = lambda s: (_floats(s), _ints(s, (3,), 0, 4))  # noqa: E731
    _replay.assert_replays(_replay.with_gradient(fn, 2), make, seeds=(1, 2, 3, 4, 5))
    assert len({int(make(s)[1].numpy().sum()) for s in range(6)}) > 1


def test_repeat_gradient_replays_for_new_counts():
    def fn(x, counts, u):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = mtf.repeat(x, counts, axis=1)
        return [y, tape.gradient(y, x, output_gradients=mtf.repeat(u, counts, axis=1))]
    _replay.assert_replays(fn, lambda s: (_floats(s), _ints(s, (4,), 0, 3), _floats(s + 9)),
                           seeds=(1, 2, 3, 4, 5))


def test_empty_rearrangements_replay():
    def fn(x):
        return [mtf.roll(x, 1, 1), mtf.reverse(x, [0]), mtf.repeat(x, 2, 0)]
    _replay.assert_replays(_replay.with_gradient(fn, 2), lambda s: (_floats(s, (0, 3)),))


# ------------------------------------------------------ no gradient, value-shaped

@pytest.mark.parametrize("maxlen", [0, 5])
def test_sequence_mask_with_maxlen_replays(maxlen):
    def fn(lengths, x):
        mask = mtf.sequence_mask(lengths, maxlen, dtype=mtf.float64)
        return [mask, mtf.reduce_sum(mask, 1) * x, mtf.sequence_mask(lengths, maxlen)]
    _replay.assert_replays(fn, lambda s: (_ints(s, (4,), -1, 6, np.int64), _floats(s, (4,))),
                           seeds=(1, 2, 3, 4, 5))


def test_sequence_mask_without_maxlen_takes_new_shapes():
    def fn(lengths):
        return [mtf.sequence_mask(lengths), mtf.sequence_mask(lengths, dtype=mtf.int32)]
    make = lambda s: (_ints(s, (2, 3), -1, 6),)  # noqa: E731
    _replay.assert_replays(fn, make, seeds=(1, 2, 3, 4, 5))
    assert len({int(make(s)[0].numpy().max()) for s in range(6)}) > 1


def test_unique_replays_with_new_output_sizes():
    def fn(x):
        return list(mtf.unique(x, out_idx=mtf.int64))
    make = lambda s: (_ints(s, (8,), 0, 2 + s),)  # noqa: E731
    _replay.assert_replays(fn, make, seeds=(1, 2, 3, 4, 5))
    assert len({len(np.unique(make(s)[0].numpy())) for s in range(6)}) > 1


def test_unique_of_floats_replays():
    _replay.assert_replays(lambda x: list(mtf.unique(mtf.round(x))),
                           lambda s: (_floats(s, (9,), F32),))


def test_an_op_after_unique_refuses_a_new_size_by_name():
    f = mtf.function(lambda x: mtf.reduce_sum(mtf.unique(x)[0]))
    assert f(mtf.constant([1, 1, 2])).numpy() == 3
    assert f(mtf.constant([4, 4, 5])).numpy() == 9
    with pytest.raises(ValueError, match="^unique: its result has shape"):
        f(mtf.constant([1, 2, 3]))
