"""clip_by_norm, global_norm, clip_by_global_norm: values against numpy formulas,
gradients against finite differences, TensorFlow's handling of None,
IndexedSlices and non-finite norms."""
import numpy as np
import pytest

import minitf as mtf
from minitf.testing import check_gradients

RNG = np.random.default_rng(2)
T = RNG.standard_normal((3, 4))


def _ref_clip_by_norm(t, clip, axes):
    axes = tuple(axes) if isinstance(axes, list) else axes
    norm = np.sqrt(np.sum(t * t, axis=axes, keepdims=True))
    return t * clip / np.maximum(norm, clip)


def _grad(f, x):
    x = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.gradient(y, x)


# ------------------------------------------------------------- clip_by_norm

@pytest.mark.parametrize("axes", [None, 0, 1, -1, (0, 1), [1]])
@pytest.mark.parametrize("clip", [0.5, 1.5, 100.0])
def test_clip_by_norm_values_and_gradients(axes, clip):
    got = mtf.clip_by_norm(T, clip, axes=axes)
    np.testing.assert_allclose(got.numpy(), _ref_clip_by_norm(T, clip, axes), rtol=1e-12)
    check_gradients(lambda t, c: mtf.clip_by_norm(t, c, axes=axes), [T, np.float64(clip)])


def test_clip_by_norm_hand_computed():
    got = mtf.clip_by_norm(np.array([3.0, 4.0]), 1.0)        # norm 5 -> scaled by 1/5
    np.testing.assert_allclose(got.numpy(), [0.6, 0.8])
    got = mtf.clip_by_norm(np.array([[3.0, 0.0], [4.0, 0.5]]), 2.0, axes=0)
    np.testing.assert_allclose(got.numpy(), [[1.2, 0.0], [1.6, 0.5]])


def test_clip_by_norm_below_limit_is_identity_with_identity_gradient():
    t = np.array([0.3, -0.4])
    np.testing.assert_allclose(mtf.clip_by_norm(t, 1.0).numpy(), t)
    g = _grad(lambda x: mtf.reduce_sum(mtf.clip_by_norm(x, 1.0) * [2.0, 3.0]), t)
    np.testing.assert_allclose(g.numpy(), [2.0, 3.0])


def test_clip_by_norm_of_zero_has_a_finite_gradient():
    z = np.zeros((2, 3))
    np.testing.assert_array_equal(mtf.clip_by_norm(z, 1.0).numpy(), z)
    g = _grad(lambda x: mtf.reduce_sum(mtf.clip_by_norm(x, 1.0, axes=1)), z)
    np.testing.assert_array_equal(g.numpy(), np.ones((2, 3)))


def test_clip_by_norm_float32_and_indexed_slices():
    values = T.astype(np.float32)
    slices = mtf.IndexedSlices(values, np.array([4, 0, 4]), (6, 4))
    got = mtf.clip_by_norm(slices, 1.0)
    assert isinstance(got, mtf.IndexedSlices)
    assert got.dense_shape == (6, 4) and got.dtype == mtf.float32
    np.testing.assert_array_equal(got.indices.numpy(), [4, 0, 4])
    # TensorFlow measures the norm of the values (duplicate rows counted twice).
    np.testing.assert_allclose(got.values.numpy(), _ref_clip_by_norm(T, 1.0, None),
                               rtol=1e-6)


def test_clip_by_norm_errors():
    with pytest.raises(TypeError, match=r"clip_by_norm: expected a floating-point.*int32"):
        mtf.clip_by_norm(np.array([1, 2], np.int32), 1.0)
    with pytest.raises(ValueError, match=r"clip_by_norm: clip_norm of shape \(2, 1\) would "
                                         r"change the shape \(3,\)"):
        mtf.clip_by_norm(np.ones(3), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"clip_by_norm: axis 2 is out of range for a "
                                         r"tensor of rank 2"):
        mtf.clip_by_norm(T, 1.0, axes=2)


# -------------------------------------------------------------- global_norm

def test_global_norm_values_none_and_slices():
    a, b, rows = RNG.standard_normal((2, 3)), RNG.standard_normal(4), RNG.standard_normal(
        (2, 3))
    slices = mtf.IndexedSlices(rows, np.array([1, 1]), (5, 3))
    got = mtf.global_norm([a, None, b, slices])
    want = np.sqrt(np.sum(a**2) + np.sum(b**2) + np.sum(rows**2))
    assert float(got) == pytest.approx(want, rel=1e-12)


def test_global_norm_hand_computed_and_dtypes():
    got = mtf.global_norm([np.array([3.0], np.float32), np.array([[4.0]], np.float32)])
    assert got.dtype == mtf.float32 and float(got) == 5.0
    mixed = mtf.global_norm([np.array([3.0], np.float32), np.array([4.0])])
    assert mixed.dtype == mtf.float64 and float(mixed) == 5.0
    assert float(mtf.global_norm([None, None])) == 0.0


def test_global_norm_gradient():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(3)
    check_gradients(lambda x, y: mtf.global_norm([x, y]), [a, b])
    # d/dx sqrt(sum x^2) = x / norm.
    g = _grad(lambda x: mtf.global_norm([x, b]), a)
    np.testing.assert_allclose(g.numpy(), a / np.sqrt(np.sum(a**2) + np.sum(b**2)))


@pytest.mark.parametrize("op", [lambda t: mtf.global_norm(t),
                                lambda t: mtf.clip_by_global_norm(t, 1.0)],
                         ids=["global_norm", "clip_by_global_norm"])
def test_t_list_must_be_a_sequence(op):
    with pytest.raises(TypeError, match=r"(global_norm|clip_by_global_norm): t_list should "
                                        r"be a list or tuple.*ndarray"):
        op(np.ones(3))
    with pytest.raises(TypeError, match=r"floating-point tensor as t_list\[1\], got int32"):
        op([np.ones(2), np.array([1], np.int32)])


# ------------------------------------------------------- clip_by_global_norm

def test_clip_by_global_norm_values():
    a, b = 3 * RNG.standard_normal((2, 3)), 3 * RNG.standard_normal(4)
    norm = np.sqrt(np.sum(a**2) + np.sum(b**2))
    clipped, got_norm = mtf.clip_by_global_norm([a, None, b], 1.5)
    assert clipped[1] is None and len(clipped) == 3
    assert float(got_norm) == pytest.approx(norm, rel=1e-12)
    np.testing.assert_allclose(clipped[0].numpy(), a * 1.5 / norm, rtol=1e-12)
    np.testing.assert_allclose(clipped[2].numpy(), b * 1.5 / norm, rtol=1e-12)
    new_norm = np.sqrt(sum(np.sum(c.numpy() ** 2) for c in clipped if c is not None))
    assert new_norm == pytest.approx(1.5)


def test_clip_by_global_norm_below_limit_and_use_norm():
    a = np.array([0.3, 0.4])
    clipped, norm = mtf.clip_by_global_norm((a,), 1.0)
    np.testing.assert_allclose(clipped[0].numpy(), a)
    assert float(norm) == pytest.approx(0.5)
    # use_norm replaces the computed norm and is returned as given.
    clipped, norm = mtf.clip_by_global_norm([a], 1.0, use_norm=mtf.constant(4.0, mtf.float64))
    np.testing.assert_allclose(clipped[0].numpy(), a / 4.0)
    assert float(norm) == 4.0


def test_clip_by_global_norm_keeps_dtypes_and_slices():
    a32 = np.array([6.0, 8.0], np.float32)
    slices = mtf.IndexedSlices(np.array([[0.0, 0.0]]), np.array([2]), (3, 2))
    clipped, norm = mtf.clip_by_global_norm([a32, slices], 5.0)
    assert clipped[0].dtype == mtf.float32
    np.testing.assert_allclose(clipped[0].numpy(), [3.0, 4.0])
    assert isinstance(clipped[1], mtf.IndexedSlices) and clipped[1].dense_shape == (3, 2)
    np.testing.assert_array_equal(clipped[1].indices.numpy(), [2])
    assert float(norm) == 10.0


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_clip_by_global_norm_non_finite_norm_gives_nan(bad):
    clipped, norm = mtf.clip_by_global_norm([np.array([1.0, bad]), np.array([2.0])], 1.0)
    assert np.isnan(clipped[0].numpy()).all() and np.isnan(clipped[1].numpy()).all()
    assert not np.isfinite(float(norm))


@pytest.mark.parametrize("clip", [0.7, 50.0])
def test_clip_by_global_norm_gradients(clip):
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal(3)

    def f(x, y, c):
        clipped, norm = mtf.clip_by_global_norm([x, None, y], c)
        return [clipped[0], clipped[2], norm]
    check_gradients(f, [a, b, np.float64(clip)])
