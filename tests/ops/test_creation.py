"""Creation ops: values and dtypes against numpy and TensorFlow's documented rules."""
import numpy as np
import pytest

import minitf as mtf


def test_zeros_ones_and_likes():
    assert mtf.zeros([2, 3]).dtype == mtf.float32
    np.testing.assert_array_equal(mtf.ones((2,), dtype=mtf.int64).numpy(), [1, 1])
    like = mtf.zeros_like(mtf.constant([[1, 2]]))
    assert like.dtype == mtf.int32 and like.shape == (1, 2)
    np.testing.assert_array_equal(mtf.ones_like([1.0, 2.0], dtype=mtf.float64).numpy(),
                                  [1.0, 1.0])


def test_fill_takes_the_value_dtype():
    f = mtf.fill([2, 3], 9)
    assert f.dtype == mtf.int32
    np.testing.assert_array_equal(f.numpy(), np.full((2, 3), 9))
    assert mtf.fill([2], 0.5).dtype == mtf.float32
    assert mtf.fill(mtf.constant([1, 2]), mtf.constant(1.0, dtype=mtf.float64)).shape == (1, 2)


@pytest.mark.parametrize("args, kwargs, expected, dtype", [
    ((5,), {}, [0, 1, 2, 3, 4], mtf.int32),
    ((3, 18, 3), {}, [3, 6, 9, 12, 15], mtf.int32),
    ((3, 1, -0.5), {}, [3, 2.5, 2, 1.5], mtf.float32),
    ((0.0, 1.0, 0.25), {}, [0, 0.25, 0.5, 0.75], mtf.float32),
    ((2,), {"dtype": mtf.float64}, [0, 1], mtf.float64),
    ((mtf.constant(4, dtype=mtf.int64),), {}, [0, 1, 2, 3], mtf.int64),
    ((1, mtf.constant(3.0, dtype=mtf.float64)), {}, [1, 2], mtf.float64),
    ((4, 4), {}, [], mtf.int32),
])
def test_range_values_and_dtype_inference(args, kwargs, expected, dtype):
    r = mtf.range(*args, **kwargs)
    assert r.dtype == dtype
    np.testing.assert_allclose(r.numpy(), expected)


def test_range_errors():
    with pytest.raises(ValueError, match="range: delta must not be 0"):
        mtf.range(0, 5, 0)
    with pytest.raises(ValueError, match=r"range: .*start \(5\) must be <= limit \(1\)"):
        mtf.range(5, 1)
    with pytest.raises(TypeError, match="range: .*shape \\(2,\\)"):
        mtf.range([1, 2])


def _tf_range_length(start, limit, delta, dtype):
    """TensorFlow's RangeOp size for floats: ceil(|(limit - start) / delta|), with the
    arguments first cast to ``dtype`` and the arithmetic done in it."""
    s, lim, d = (np.asarray(v, dtype)[()] for v in (start, limit, delta))
    return int(np.ceil(np.abs((lim - s) / d)))


def _range_grid():
    """(start, limit, delta) with limits at decimal multiples of delta: the cases
    where float32 rounding decides whether the last element exists."""
    for start in (0.0, 0.1, -0.3, 1.5, 2.2, -1.7):
        for step in (0.1, 0.2, 0.3, 0.25, 0.7, 1.1):
            for k in range(0, 12):
                for sign in (1, -1):
                    yield start, round(start + sign * k * step, 10), sign * step


@pytest.mark.parametrize("dtype", [mtf.float32, mtf.float64])
def test_range_float_length_is_tensorflows_over_a_grid(dtype):
    cases = list(_range_grid())
    assert len(cases) == 864
    for start, limit, delta in cases:
        out = mtf.range(start, limit, delta, dtype=dtype)
        n = _tf_range_length(start, limit, delta, dtype)
        assert out.shape == (n,), (start, limit, delta, out.shape, n)
        expected = np.float64(np.float32(start) if dtype == mtf.float32 else start) + \
            np.arange(n) * np.float64(np.float32(delta) if dtype == mtf.float32 else delta)
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)


def test_range_quoted_cases():
    assert mtf.range(0.1, 1.1, 0.1).shape == (10,)    # tf.range: 10 elements, ends at 1.0
    np.testing.assert_allclose(mtf.range(0.1, 1.1, 0.1).numpy()[-1], 1.0, rtol=1e-6)
    assert mtf.range(0, 0.6, 0.1).shape == (6,)


@pytest.mark.parametrize("start, limit, delta", [
    (0, 10, 3), (10, 0, -3), (-2**31, 2**31 - 1, 2**30), (5, 5, 1), (-7, 8, 5),
    (2**31 - 3, -2**31, -(2**30) - 1), (0, 2**40, 2**37), (-2**62, 2**62, 2**61 + 3)])
def test_range_integer_length_and_values_are_exact(start, limit, delta):
    expected = list(range(start, limit, delta))       # Python's range: exact integers
    out = mtf.range(start, limit, delta)
    assert out.numpy().tolist() == expected


@pytest.mark.parametrize("args, exc, words", [
    ((0.0, float("nan"), 0.5), ValueError, ["range", "finite"]),
    ((0.0, float("inf"), 0.5), ValueError, ["range", "finite"]),
    ((0.0, 1.0, float("nan")), ValueError, ["range", "finite"]),
    ((0.0, 1e30, 1e-30), ValueError, ["range", "elements"]),
    ((0.5, 3, 1, mtf.int32), TypeError, ["range", "float", "int32"]),
    ((True,), TypeError, ["range", "bool"]),
    ((None,), TypeError, ["range"]),
])
def test_range_rejects_what_tensorflow_rejects(args, exc, words):
    with pytest.raises(exc) as info:
        mtf.range(*args)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_eye_with_columns_and_batch_shape():
    np.testing.assert_array_equal(mtf.eye(3).numpy(), np.identity(3))
    e = mtf.eye(2, 3, batch_shape=[4], dtype=mtf.int32)
    assert e.shape == (4, 2, 3) and e.dtype == mtf.int32
    for m in e.numpy():
        np.testing.assert_array_equal(m, [[1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="eye: .*-1"):
        mtf.eye(-1)


def test_linspace_matches_numpy_and_is_exact_at_the_ends():
    out = mtf.linspace(1.0, 2.0, 5)
    assert out.dtype == mtf.float32
    np.testing.assert_allclose(out.numpy(), [1.0, 1.25, 1.5, 1.75, 2.0])
    ints = mtf.linspace(0, 10, 3)
    assert ints.dtype == mtf.float64
    np.testing.assert_array_equal(ints.numpy(), [0.0, 5.0, 10.0])
    batched = mtf.linspace(mtf.constant([0.0, 10.0]), mtf.constant([1.0, 20.0]), 3, axis=-1)
    np.testing.assert_allclose(batched.numpy(), [[0, 0.5, 1], [10, 15, 20]])
    assert mtf.linspace(mtf.constant([0.0, 10.0]), 1.0, 4).shape == (4, 2)


def test_linspace_errors():
    with pytest.raises(TypeError, match="linspace: .*float32.*float64"):
        mtf.linspace(mtf.constant(0.0), mtf.constant(1.0, dtype=mtf.float64), 3)
    with pytest.raises(ValueError, match=r"linspace: .*\(2,\).*\(3,\)"):
        mtf.linspace(mtf.constant([0.0, 1.0]), mtf.constant([1.0, 2.0, 3.0]), 3)
    with pytest.raises(ValueError, match="linspace: num"):
        mtf.linspace(0.0, 1.0, -2)


def test_one_hot_defaults_axis_and_out_of_range_indices():
    out = mtf.one_hot([0, 2, -1, 3], 3)
    assert out.dtype == mtf.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    first = mtf.one_hot([[1, 0]], 2, axis=0)
    assert first.shape == (2, 1, 2)
    np.testing.assert_array_equal(first.numpy(), [[[0, 1]], [[1, 0]]])
    middle = mtf.one_hot([[1, 0]], 3, axis=1)
    assert middle.shape == (1, 3, 2)
    np.testing.assert_array_equal(middle.numpy()[0], [[0, 1], [1, 0], [0, 0]])


def test_one_hot_on_off_values_and_dtypes():
    out = mtf.one_hot([1], 3, on_value=5, off_value=-1)
    assert out.dtype == mtf.int32
    np.testing.assert_array_equal(out.numpy(), [[-1, 5, -1]])
    out = mtf.one_hot([1], 2, on_value=2.5, dtype=mtf.float64)
    assert out.dtype == mtf.float64
    np.testing.assert_array_equal(out.numpy(), [[0.0, 2.5]])
    with pytest.raises(TypeError, match="one_hot: on_value.*float32.*int32"):
        mtf.one_hot([1], 2, on_value=mtf.constant(1), off_value=mtf.constant(0.0))
    with pytest.raises(TypeError, match="one_hot: indices must be integers"):
        mtf.one_hot([0.5], 2)
    with pytest.raises(ValueError, match="one_hot: axis 3"):
        mtf.one_hot([[1]], 2, axis=3)


def test_creation_ops_are_not_recorded():
    x = mtf.constant(2.0)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outs = [mtf.fill([2], x), mtf.zeros_like(x), mtf.ones_like(x),
                mtf.linspace(x, x + 1.0, 3), mtf.range(x, 4.0)]
    for out in outs:
        assert tape.gradient(out, x) is None
