"""roll, reverse, repeat, meshgrid, sequence_mask, unique: forward against numpy,
gradients against central differences, errors, properties."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitf as mtf
from minitf.testing import check_gradients

DTYPES = [np.int32, np.int64, np.float16, np.float32, np.float64, np.bool_]


def _x(shape=(2, 3, 4), dtype=np.float64, seed=0):
    v = np.random.default_rng(seed).integers(-5, 6, shape)
    return (v > 0) if dtype is np.bool_ else v.astype(dtype)


def _grad(fn, x):
    t = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    return tape.gradient(y, t)


# ------------------------------------------------------------------ roll

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shift, axis", [(1, 0), (-2, -1), (7, 1), ([1, 2], [0, 2]),
                                         ([1, -3], [1, 1]), ([], []), (0, 2)])
def test_roll_matches_numpy(dtype, shift, axis):
    x = _x(dtype=dtype)
    got = mtf.roll(x, shift, axis)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), np.roll(x, shift, axis) if axis != [] else x)


def test_roll_takes_tensor_shifts_and_keywords():
    x = _x((5,))
    got = mtf.roll(input=x, shift=mtf.constant(2, mtf.int64), axis=0, name="r")
    np.testing.assert_array_equal(got.numpy(), np.roll(x, 2))
    np.testing.assert_array_equal(mtf.roll(x, mtf.constant([1]), [0]).numpy(), np.roll(x, 1))


def test_roll_of_empty_axis():
    assert mtf.roll(np.zeros((0, 3)), 2, 0).shape == (0, 3)


@pytest.mark.parametrize("shift, axis", [(1, [0, 1]), ([1, 2], 0), ([[1]], [0])])
def test_roll_shift_and_axis_must_match(shift, axis):
    with pytest.raises(ValueError, match="^roll: shift"):
        mtf.roll(_x(), shift, axis)


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(input=3.0, shift=1, axis=0), ValueError, "rank >= 1"),
    (dict(input=[1, 2], shift=1, axis=1), ValueError, "out of range"),
    (dict(input=[1, 2], shift=1.5, axis=0), TypeError, "int32 or int64"),
    (dict(input=[1, 2], shift=1, axis=None), TypeError, "axis"),
    (dict(input=[1, 2], shift=1, axis=0.0), TypeError, "axis"),
])
def test_roll_errors(kwargs, error, pattern):
    with pytest.raises(error, match=f"^roll: .*{pattern}"):
        mtf.roll(**kwargs)


@pytest.mark.parametrize("shift, axis", [(1, 0), ([2, -1], [1, 2]), ([1, 1], [2, 2])])
def test_roll_gradient(shift, axis):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    check_gradients(lambda t: mtf.roll(t, shift, axis) * np.arange(24.0).reshape(2, 3, 4),
                    [x])


# --------------------------------------------------------------- reverse

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [[0], [-1], [0, 2], [2, 0, 1], []])
def test_reverse_matches_numpy(dtype, axis):
    x = _x(dtype=dtype)
    got = mtf.reverse(x, axis)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), np.flip(x, axis) if axis else x)


def test_reverse_scalars_empties_tensor_axes_and_variables():
    assert mtf.reverse(3.0, []).numpy() == 3.0
    assert mtf.reverse(np.zeros((0, 2)), [0]).shape == (0, 2)
    np.testing.assert_array_equal(mtf.reverse([1, 2, 3], mtf.constant([0])).numpy(), [3, 2, 1])
    v = mtf.Variable([1.0, 2.0])
    out = mtf.reverse(v, [0])
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(out.numpy(), [2.0, 1.0])


@pytest.mark.parametrize("axis, error, pattern", [
    (0, ValueError, "1-D list"), ([0, 0], ValueError, "repeated"),
    ([3], ValueError, "out of range"), ([0.5], TypeError, "int"),
    (mtf.constant(0), ValueError, "1-D list")])
def test_reverse_errors(axis, error, pattern):
    with pytest.raises(error, match=f"^reverse: .*{pattern}"):
        mtf.reverse(_x(), axis)


def test_reverse_gradient():
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    check_gradients(lambda t: mtf.reverse(t, [0, 2]) * np.arange(24.0).reshape(2, 3, 4), [x])


# ---------------------------------------------------------------- repeat

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("repeats, axis", [(2, None), (3, 0), ([1, 0, 2], 1), (0, -1),
                                           ([2], 2), ([1, 2, 0, 1], -1), (1, None)])
def test_repeat_matches_numpy(dtype, repeats, axis):
    x = _x(dtype=dtype)
    got = mtf.repeat(x, repeats, axis)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), np.repeat(x, repeats, axis))


def test_repeat_scalars_empties_and_tensor_repeats():
    np.testing.assert_array_equal(mtf.repeat(5, 3).numpy(), [5, 5, 5])
    assert mtf.repeat(np.zeros((0, 2)), 2, 0).shape == (0, 2)
    assert mtf.repeat(np.zeros((0, 2)), [], axis=0).shape == (0, 2)
    got = mtf.repeat([1, 2], mtf.constant([2, 1], mtf.int64), axis=0)
    np.testing.assert_array_equal(got.numpy(), [1, 1, 2])


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(input=[1, 2], repeats=[1, 2, 3], axis=0), ValueError, "1 or 2 counts"),
    (dict(input=[1, 2], repeats=[-1], axis=0), ValueError, ">= 0"),
    (dict(input=[1, 2], repeats=[[1, 2]], axis=0), ValueError, "counts"),
    (dict(input=[1, 2], repeats=1.5), TypeError, "int32 or int64"),
    (dict(input=[1, 2], repeats=1, axis=1), ValueError, "out of range"),
    (dict(input=3, repeats=2, axis=0), ValueError, "rank >= 1"),
    (dict(input=[1, 2], repeats=[2**40], axis=0), ValueError, "memory"),
])
def test_repeat_errors(kwargs, error, pattern):
    with pytest.raises(error, match=f"^repeat: .*{pattern}"):
        mtf.repeat(**kwargs)


@pytest.mark.parametrize("repeats, axis", [(2, None), ([1, 0, 3], 1), (2, 0), ([2], -1)])
def test_repeat_gradient_sums_the_copies(repeats, axis):
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    check_gradients(lambda t: mtf.repeat(t, repeats, axis) ** 2, [x])
    g = _grad(lambda t: mtf.repeat(t, repeats, axis), x).numpy()
    counts = np.broadcast_to(repeats, (x.size if axis is None else x.shape[axis],))
    want = counts.reshape(x.shape if axis is None else
                          [-1 if i == axis % 3 else 1 for i in range(3)])
    np.testing.assert_array_equal(g, np.broadcast_to(want, x.shape))


def test_repeat_second_derivative():
    x = mtf.constant([1.0, 2.0])
    with mtf.GradientTape() as outer:
        outer.watch(x)
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = mtf.reduce_sum(mtf.repeat(x, [2, 3]) ** 3)
        g = inner.gradient(y, x)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), [2 * 6 * 1.0, 3 * 6 * 2.0])


# -------------------------------------------------------------- meshgrid

@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sizes", [(3,), (2, 3), (2, 3, 4), (0, 2), (1, 1, 1, 2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_meshgrid_matches_numpy(indexing, sizes, dtype):
    xs = [_x((n,), dtype, seed=i) for i, n in enumerate(sizes)]
    got = mtf.meshgrid(*xs, indexing=indexing)
    want = np.meshgrid(*xs, indexing=indexing)
    assert isinstance(got, list) and len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == dtype
        np.testing.assert_array_equal(g.numpy(), w)


def test_meshgrid_without_args_and_with_scalars():
    assert mtf.meshgrid() == []
    got = mtf.meshgrid(2.0, [1.0, 3.0])
    np.testing.assert_array_equal(got[0].numpy(), [[2.0], [2.0]])


@pytest.mark.parametrize("args, kwargs, error, pattern", [
    (([1], [2]), dict(indexing="xz"), ValueError, "indexing"),
    (([1], [2]), dict(indexing=None), ValueError, "indexing"),
    (([1], [2.0]), {}, TypeError, "same dtype"),
    (([1], "a"), {}, TypeError, "Received"),
])
def test_meshgrid_errors(args, kwargs, error, pattern):
    with pytest.raises(error, match=f"^meshgrid: .*{pattern}"):
        mtf.meshgrid(*args, **kwargs)


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid_gradient(indexing):
    rng = np.random.default_rng(4)
    a, b, c = rng.standard_normal(2), rng.standard_normal(3), rng.standard_normal(4)

    def fn(x, y, z):
        u, v, w = mtf.meshgrid(x, y, z, indexing=indexing)
        return u * v + w * w
    check_gradients(fn, [a, b, c])


# --------------------------------------------------------- sequence_mask

def _mask_ref(lengths, maxlen=None):
    lengths = np.asarray(lengths)
    m = max(int(lengths.max()), 0) if maxlen is None and lengths.size else (maxlen or 0)
    return np.arange(m) < lengths[..., None]


@pytest.mark.parametrize("lengths", [[1, 3, 2], [[0, 2], [4, 1]], 3, [], [-1, 2], [0, 0]])
@pytest.mark.parametrize("maxlen", [None, 0, 2, 5])
@pytest.mark.parametrize("ldtype", [np.int32, np.int64])
def test_sequence_mask_matches_reference(lengths, maxlen, ldtype):
    n = np.asarray(lengths, ldtype)
    got = mtf.sequence_mask(n, maxlen)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.numpy(), _mask_ref(n, maxlen))


@pytest.mark.parametrize("dtype", [mtf.float32, mtf.int32, mtf.int64, mtf.float16])
def test_sequence_mask_dtype(dtype):
    got = mtf.sequence_mask(lengths=[1, 2], maxlen=mtf.constant(3), dtype=dtype, name="m")
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), [[1, 0, 0], [1, 1, 0]])


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(lengths=[1.0, 2.0]), TypeError, "int32 or int64"),
    (dict(lengths=[1, 2], maxlen=-1), ValueError, "maxlen"),
    (dict(lengths=[1, 2], maxlen=2.5), TypeError, "maxlen"),
    (dict(lengths=[1, 2], dtype="str"), TypeError, "dtype"),
    (dict(lengths=[2**40]), ValueError, "memory|large"),
])
def test_sequence_mask_errors(kwargs, error, pattern):
    with pytest.raises(error, match=f"^sequence_mask: .*({pattern})"):
        mtf.sequence_mask(**kwargs)


def test_sequence_mask_has_no_gradient():
    n = mtf.constant([1, 2])
    with mtf.GradientTape() as tape:
        with pytest.warns(UserWarning, match="no gradient"):
            tape.watch(n)
        y = mtf.cast(mtf.sequence_mask(n, 3), mtf.float32)
    assert tape.gradient(y, n) is None


# ---------------------------------------------------------------- unique

def _unique_ref(x):
    y, idx = [], []
    for v in x:
        hit = [i for i, u in enumerate(y) if u == v]
        if not hit:
            y.append(v)
        idx.append(hit[0] if hit else len(y) - 1)
    return np.array(y, np.asarray(x).dtype), np.array(idx)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", range(3))
def test_unique_matches_first_occurrence_reference(dtype, seed):
    x = _x((12,), dtype, seed)
    y, idx = mtf.unique(x)
    want_y, want_idx = _unique_ref(x)
    assert y.dtype == dtype and idx.dtype == np.int32
    np.testing.assert_array_equal(y.numpy(), want_y)
    np.testing.assert_array_equal(idx.numpy(), want_idx)


def test_unique_edges():
    y, idx = mtf.unique(np.zeros(0, np.float32), out_idx=mtf.int64)
    assert y.shape == (0,) and idx.shape == (0,) and idx.dtype == np.int64
    y, idx = mtf.unique([np.nan, 1.0, np.nan, -0.0, 0.0])
    np.testing.assert_array_equal(y.numpy(), [np.nan, 1.0, np.nan, -0.0])
    np.testing.assert_array_equal(idx.numpy(), [0, 1, 2, 3, 3])


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(x=[[1, 2]]), ValueError, "1-D"), (dict(x=3), ValueError, "1-D"),
    (dict(x=[1, 2], out_idx=mtf.float32), TypeError, "out_idx"),
])
def test_unique_errors(kwargs, error, pattern):
    with pytest.raises(error, match=f"^unique: .*{pattern}"):
        mtf.unique(**kwargs)


# ------------------------------------------------------------ properties

@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_rearrangements_invert_and_match_numpy(shape, data):
    x = np.arange(int(np.prod(shape))).reshape(shape)
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=3))
    shifts = data.draw(st.lists(st.integers(-9, 9), min_size=len(axes), max_size=len(axes)))
    rolled = mtf.roll(x, shifts, axes)
    np.testing.assert_array_equal(rolled.numpy(), np.roll(x, shifts, axes))
    np.testing.assert_array_equal(mtf.roll(rolled, [-s for s in shifts], axes).numpy(), x)
    flips = sorted({a % ndim for a in axes})
    np.testing.assert_array_equal(mtf.reverse(mtf.reverse(x, flips), flips).numpy(), x)
    axis = axes[0]
    counts = data.draw(st.lists(st.integers(0, 3), min_size=shape[axis], max_size=shape[axis]))
    np.testing.assert_array_equal(mtf.repeat(x, counts, axis).numpy(),
                                  np.repeat(x, counts, axis))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3), max_size=10))
def test_unique_reconstructs_its_input(values):
    x = np.array(values, np.int64)
    y, idx = mtf.unique(x)
    np.testing.assert_array_equal(y.numpy()[idx.numpy()], x)
    assert len(set(y.numpy().tolist())) == y.shape[0]
