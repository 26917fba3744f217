"""conv1d, conv2d_transpose and depthwise_conv2d replay under ``mtf.function`` bit for
bit as they run eagerly, with first and second gradients for input and filters.

Seed 2 plants zeros, seed 3 NaN and infinities.
"""
import numpy as np
import pytest

import minitf as mtf
import _replay

F16, F32, F64 = np.float16, np.float32, np.float64
nn = mtf.nn


def _floats(seed, shape, dtype):
    return _replay.planted(seed, shape, dtype)


def _both_gradients(op):
    """op(x, w), its gradients in x and w, and the gradients of their sum (2nd order)."""
    def fn(x, w):
        with mtf.GradientTape(persistent=True) as outer:
            outer.watch([x, w])
            with mtf.GradientTape() as inner:
                inner.watch([x, w])
                y = op(x, w)
            gx, gw = inner.gradient(y, [x, w])
            total = mtf.reduce_sum(gx * gx) + mtf.reduce_sum(gw * gw)
        return [y, gx, gw] + outer.gradient(total, [x, w])
    return fn


CASES = {
    "conv1d_same": (lambda x, w: nn.conv1d(x, w, 2, "SAME"), (2, 7, 3), (3, 3, 2)),
    "conv1d_dilated": (lambda x, w: nn.conv1d(x, w, [1], "VALID", dilations=2),
                       (2, 7, 3), (2, 3, 2)),
    "transpose_same": (lambda x, w: nn.conv2d_transpose(x, w, [2, 6, 5, 2], 2),
                       (2, 3, 3, 3), (3, 3, 2, 3)),
    "transpose_valid": (lambda x, w: nn.conv2d_transpose(x, w, [1, 7, 5, 2], [2, 1],
                                                         "VALID", name="up"),
                        (1, 3, 3, 3), (3, 3, 2, 3)),
    "transpose_explicit": (lambda x, w: nn.conv2d_transpose(
        x, w, [1, 4, 4, 2], 1, [[0, 0], [1, 0], [0, 1], [0, 0]], dilations=2),
        (1, 3, 3, 3), (2, 2, 2, 3)),
    "depthwise_same": (lambda x, w: nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"),
                       (2, 5, 4, 3), (3, 3, 3, 1)),
    "depthwise_strided": (lambda x, w: nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "VALID",
                                                           name="dw"),
                          (1, 6, 5, 2), (2, 2, 2, 3)),
    "depthwise_dilated": (lambda x, w: nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME",
                                                           dilations=[2, 1]),
                          (1, 5, 5, 2), (2, 3, 2, 2)),
}


@pytest.mark.parametrize("dtype", [F32, F64], ids=["f32", "f64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_replays_with_two_orders_of_gradient(case, dtype):
    op, x_shape, w_shape = CASES[case]
    _replay.assert_replays(_both_gradients(op), lambda s: (
        _floats(s, x_shape, dtype), _floats(s + 10, w_shape, dtype)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_float16_forward_replays(case):
    op, x_shape, w_shape = CASES[case]
    _replay.assert_replays(op, lambda s: (_floats(s, x_shape, F16),
                                          _floats(s + 10, w_shape, F16)))


def test_gradient_of_input_only_replays():
    op = _replay.with_gradient(
        lambda x, w: nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"), order=2)
    _replay.assert_replays(op, lambda s: (_floats(s, (1, 4, 4, 2), F64),
                                          mtf.constant(np.ones((2, 2, 2, 2)))))
