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


# ------------------------------------------------- the fused op behind trailing axes

def _closed_form_grads(x, scale, g, eps):
    """Gradients of sum(g * LayerNorm(x)) over the last axis, in numpy."""
    mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    xhat = (x - mean) / np.sqrt(var + eps)
    v = g * scale
    dx = (v - v.mean(-1, keepdims=True) - xhat * (v * xhat).mean(-1, keepdims=True)) \
        / np.sqrt(var + eps)
    lead = tuple(range(x.ndim - 1))
    return dx, (g * xhat).sum(lead), g.sum(lead)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_fused_values_and_gradients_match_numpy(dtype, tol):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((3, 5, 16)) * 2 + 1).astype(dtype)
    g = rng.standard_normal(x.shape).astype(dtype)
    norm = mtf.layers.LayerNorm(eps=1e-3)
    norm(x)
    norm.scale.assign(rng.standard_normal(16).astype(dtype))
    norm.offset.assign(rng.standard_normal(16).astype(dtype))
    t = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = norm(t)
    grads = tape.gradient(y, [t, norm.scale, norm.offset], output_gradients=g)
    x64, s64 = x.astype(np.float64), norm.scale.numpy().astype(np.float64)
    want_y = reference(x64, (2,), s64, norm.offset.numpy().astype(np.float64), 1e-3)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.numpy(), want_y, rtol=tol, atol=tol * 10)
    for got, want in zip(grads, _closed_form_grads(x64, s64, g.astype(np.float64), 1e-3)):
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=tol, atol=tol * np.abs(want).max())


@pytest.mark.parametrize("scale,offset", [(True, True), (False, True), (True, False),
                                          (False, False)])
def test_fused_gradients_with_and_without_parameters(scale, offset):
    norm = mtf.layers.LayerNorm(create_scale=scale, create_offset=offset)
    x = np.random.default_rng(6).standard_normal((2, 3, 4))
    norm(x)
    if scale:
        norm.scale.assign(np.linspace(0.5, 2.0, 4))
    mtf.testing.check_gradients(lambda t: norm(t), [x])
    with mtf.GradientTape() as tape:
        y = mtf.reduce_sum(norm(x) * np.arange(24.0).reshape(2, 3, 4))
    grads = tape.gradient(y, norm.trainable_variables)
    assert len(grads) == scale + offset and all(g is not None for g in grads)


def _first_order(eps=1e-3):
    """(x, scale, offset, g) -> the tape gradients of layer_norm's op, a function whose
    own gradients check the second-order rules."""
    from minitf.ops.layer_norm import layer_norm

    def f(x, scale, offset, g):
        with mtf.GradientTape() as tape:
            tape.watch([x, scale, offset])
            y = layer_norm(x, scale, offset, 1, eps)
        return tape.gradient(y, [x, scale, offset], output_gradients=g)
    return f


def test_fused_second_order_gradients():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 2, 5)) * 2 + 1
    args = [x, rng.standard_normal(5), rng.standard_normal(5), rng.standard_normal(x.shape)]
    mtf.testing.check_gradients(_first_order(), args)


def test_fused_third_order_gradients():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 6))
    hx, hs, ho = rng.standard_normal((2, 6)), rng.standard_normal(6), rng.standard_normal(6)
    first = _first_order()

    def second(x, scale, offset, g):
        with mtf.GradientTape() as tape:
            tape.watch([x, scale, g])
            gx, gs, go = first(x, scale, offset, g)
            z = (mtf.reduce_sum(gx * gx * hx) + mtf.reduce_sum(gs * gs * hs)
                 + mtf.reduce_sum(go * go * ho))
        return tape.gradient(z, [x, scale, g])
    mtf.testing.check_gradients(second, [x, rng.standard_normal(6), rng.standard_normal(6),
                                         rng.standard_normal((2, 6))])


def test_fused_half_precision_keeps_dtype():
    x = np.random.default_rng(9).standard_normal((4, 8)).astype(np.float16)
    y = mtf.layers.LayerNorm()(x)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.numpy(), reference(x.astype(np.float64), (1,), 1, 0, 1e-5),
                               atol=5e-3)


def test_dtype_other_than_the_built_one_raises():
    norm = mtf.layers.LayerNorm()
    norm(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"LayerNorm: built for dtype float32, called with "
                                        r"inputs of dtype float64"):
        norm(np.ones((2, 3)))
