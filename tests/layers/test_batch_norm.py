"""mtf.layers.BatchNorm: batch statistics, moving averages, variable kinds."""
import numpy as np
import pytest

import minitf as mtf


def normalize(x, mean, var, scale, offset, eps):
    return (x - mean) / np.sqrt(var + eps) * scale + offset


def test_training_uses_batch_statistics_and_updates_moving_ones():
    rng = np.random.default_rng(0)
    bn = mtf.layers.BatchNorm(momentum=0.9)
    moving_mean, moving_var = np.zeros(3), np.ones(3)
    for step in range(2):
        x = rng.standard_normal((8, 3)) * [1.0, 2.0, 3.0] + [0.0, 1.0, -2.0]
        y = bn(x, training=True).numpy()
        mean, var = x.mean(0), x.var(0)
        np.testing.assert_allclose(y, normalize(x, mean, var, 1.0, 0.0, 1e-3), rtol=1e-10)
        moving_mean = moving_mean * 0.9 + mean * 0.1
        moving_var = moving_var * 0.9 + var * 0.1
        np.testing.assert_allclose(bn.moving_mean.numpy(), moving_mean, rtol=1e-12)
        np.testing.assert_allclose(bn.moving_variance.numpy(), moving_var, rtol=1e-12)


def test_inference_uses_moving_statistics_and_leaves_them():
    rng = np.random.default_rng(1)
    bn = mtf.layers.BatchNorm()
    bn(rng.standard_normal((4, 2)), training=True)
    bn.moving_mean.assign([1.0, -1.0])
    bn.moving_variance.assign([4.0, 0.25])
    bn.scale.assign([2.0, 3.0])
    bn.offset.assign([0.5, 0.0])
    x = rng.standard_normal((5, 2))
    expected = normalize(x, np.array([1.0, -1.0]), np.array([4.0, 0.25]),
                         np.array([2.0, 3.0]), np.array([0.5, 0.0]), 1e-3)
    np.testing.assert_allclose(bn(x).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(bn(x, training=False).numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), [1.0, -1.0])


def test_moving_statistics_only_in_non_trainable_variables():
    bn = mtf.layers.BatchNorm()
    bn(np.ones((2, 3), np.float32), training=True)
    assert bn.trainable_variables == (bn.offset, bn.scale)
    assert bn.non_trainable_variables == (bn.moving_mean, bn.moving_variance)
    assert not bn.moving_mean.trainable and not bn.moving_variance.trainable
    assert [v.name for v in bn.variables] == [
        "batch_norm/moving_mean:0", "batch_norm/moving_variance:0",
        "batch_norm/offset:0", "batch_norm/scale:0"]


def test_moving_statistics_get_no_gradient():
    bn = mtf.layers.BatchNorm()
    x = np.random.default_rng(2).standard_normal((4, 2))
    bn(x, training=True)
    for training in (True, False):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(bn(x, training=training) ** 2)
        grads = tape.gradient(loss, bn.variables)
        assert grads[0] is None and grads[1] is None
        assert grads[2] is not None and grads[3] is not None
        assert [id(v) for v in tape.watched_variables()] == [id(bn.scale), id(bn.offset)]


def test_training_gradient_matches_finite_differences():
    bn = mtf.layers.BatchNorm()
    x = np.random.default_rng(3).standard_normal((5, 3))
    bn(x, training=True)
    bn.scale.assign([0.5, 1.5, 2.0])
    mtf.testing.check_gradients(lambda t: bn(t, training=True), [x])


def test_channel_axis_one_for_nchw():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 2, 4, 4))
    bn = mtf.layers.BatchNorm(axis=1)
    y = bn(x, training=True).numpy()
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y, normalize(x, mean, var, 1.0, 0.0, 1e-3), rtol=1e-10)
    assert bn.moving_mean.shape == (2,)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean.reshape(-1), rtol=1e-10)


def test_without_scale_and_offset():
    bn = mtf.layers.BatchNorm(create_scale=False, create_offset=False)
    bn(np.ones((2, 2), np.float32), training=True)
    assert bn.trainable_variables == ()
    assert len(bn.non_trainable_variables) == 2


@pytest.mark.parametrize("momentum", [-0.1, 1.5])
def test_bad_momentum_raises(momentum):
    with pytest.raises(ValueError, match=r"BatchNorm: momentum must be in \[0, 1\]"):
        mtf.layers.BatchNorm(momentum=momentum)


def test_bad_axis_raises():
    with pytest.raises(TypeError, match="BatchNorm: axis must be an int"):
        mtf.layers.BatchNorm(axis=(1, 2))


def test_changed_channels_raise():
    bn = mtf.layers.BatchNorm()
    bn(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="BatchNorm: built for size 3"):
        bn(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"BatchNorm: built for rank-2 inputs.*\(2, 2, 3\)"):
        bn(np.ones((2, 2, 3), np.float32))
