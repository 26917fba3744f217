"""mtf.layers.LayerNorm against a numpy reference."""
import numpy as np
import pytest

import minitf as mtf


def reference(x, axes, scale, offset, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * scale + offset


def test_last_axis_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6)) * 3 + 1
    norm = mtf.layers.LayerNorm()
    norm(x)
    norm.scale.assign(rng.standard_normal(6))
    norm.offset.assign(rng.standard_normal(6))
    expected = reference(x, (1,), norm.scale.numpy(), norm.offset.numpy(), 1e-5)
    np.testing.assert_allclose(norm(x).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_several_trailing_axes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5))
    norm = mtf.layers.LayerNorm(axis=(1, 2, 3), eps=1e-3)
    norm(x)
    assert norm.scale.shape == (3, 4, 5)
    norm.scale.assign(rng.standard_normal((3, 4, 5)))
    expected = reference(x, (1, 2, 3), norm.scale.numpy(), 0.0, 1e-3)
    np.testing.assert_allclose(norm(x).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_non_trailing_axis_broadcasts_parameters():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 3))
    norm = mtf.layers.LayerNorm(axis=1)
    norm(x)
    assert norm.scale.shape == (5,)
    norm.offset.assign(rng.standard_normal(5))
    expected = reference(x, (1,), 1.0, norm.offset.numpy().reshape(1, 5, 1), 1e-5)
    np.testing.assert_allclose(norm(x).numpy(), expected, rtol=1e-10, atol=1e-12)


def test_without_scale_and_offset():
    norm = mtf.layers.LayerNorm(create_scale=False, create_offset=False)
    x = np.array([[1.0, 2.0, 6.0]])
    np.testing.assert_allclose(norm(x).numpy(), reference(x, (1,), 1.0, 0.0, 1e-5),
                               rtol=1e-12)
    assert norm.variables == ()


def test_variable_names_and_lazy_creation():
    norm = mtf.layers.LayerNorm()
    assert norm.variables == ()
    norm(np.ones((2, 3), np.float32))
    assert [v.name for v in norm.trainable_variables] == \
        ["layer_norm/offset:0", "layer_norm/scale:0"]


def test_gradient_matches_finite_differences():
    norm = mtf.layers.LayerNorm()
    x = np.random.default_rng(3).standard_normal((3, 4))
    norm(x)
    norm.scale.assign(np.linspace(0.5, 2.0, 4))
    mtf.testing.check_gradients(lambda t: norm(t), [x])


def test_changed_shape_raises():
    norm = mtf.layers.LayerNorm()
    norm(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"LayerNorm: built for inputs of shape \(None, 3\)"):
        norm(np.ones((2, 4), np.float32))


def test_bad_axis_raises():
    with pytest.raises(ValueError, match="LayerNorm: axis 2 is out of range"):
        mtf.layers.LayerNorm(axis=2)(np.ones((2, 3), np.float32))


@pytest.mark.parametrize("layer", [mtf.layers.LayerNorm, mtf.layers.BatchNorm])
@pytest.mark.parametrize("axis", [True, 1.0, "1", [1, True]])
def test_axis_of_the_wrong_kind_raises_instead_of_meaning_axis_1(layer, axis):
    """A bool or float axis is a mistake, not axis 1 (the shared axis checker of the ops)."""
    with pytest.raises(TypeError, match=rf"{layer.__name__}: axis must be an int"):
        layer(axis=axis)(np.ones((2, 3), np.float32))
