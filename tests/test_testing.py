"""mtf.testing.check_gradients against tape gradients."""
import numpy as np
import pytest

import minitf as mtf
from minitf.testing import GradientCheckError, check_gradients


def test_passes_for_a_correct_op_and_returns_the_largest_difference():
    x = np.array([[0.3, -0.2, 1.1], [0.5, 2.0, -1.4]])
    worst = check_gradients(lambda a: mtf.sin(a) * a, [x])
    assert 0.0 <= worst < 1e-6


def test_checks_every_argument_and_skips_integer_ones():
    x, y = np.array([0.5, 1.5]), np.array([2.0, -1.0])
    check_gradients(lambda a, b, n: a * b * mtf.cast(n, mtf.float64), [x, y, np.array([1, 2])])


def _wrong_square(mask):
    @mtf.custom_gradient
    def square(x):
        def grad(g):
            return g * 2 * x + g * mask    # wrong where mask is 1
        return x * x, grad
    return square


def test_raises_with_the_index_of_the_worst_element():
    mask = np.zeros((2, 3))
    mask[1, 2] = 5.0
    mask[0, 1] = 0.5
    x = np.array([[0.3, -0.2, 1.1], [0.5, 2.0, -1.4]])
    with pytest.raises(GradientCheckError) as info:
        check_gradients(_wrong_square(mask), [x])
    message = str(info.value)
    assert "argument 0" in message and "(2, 3)" in message
    assert "index (1, 2)" in message
    assert "np.float64" not in message


def test_names_the_faulty_argument():
    @mtf.custom_gradient
    def product(a, b):
        return a * b, lambda g: [g * b, g * a * 2]   # d/db doubled

    with pytest.raises(GradientCheckError, match="argument 1"):
        check_gradients(product, [np.array([1.0, 2.0]), np.array([3.0, 4.0])])


def test_gradient_check_error_is_an_assertion_error():
    assert issubclass(GradientCheckError, AssertionError)


def _scaled_exp(factor):
    """exp whose gradient is ``factor`` times the true one."""
    @mtf.custom_gradient
    def scaled(x):
        y = mtf.exp(x)
        return y, lambda g: g * y * factor
    return scaled


FLOAT32_SMOOTH = [  # (function, input): smooth float32 checks that must pass at defaults
    (mtf.exp, np.float32(0.5)),
    (mtf.exp, np.linspace(-3, 3, 7, dtype=np.float32)),
    (lambda a: mtf.sin(3 * a) * a, np.linspace(-2, 2, 9, dtype=np.float32)),
    (lambda a: mtf.nn.softmax(a * 3), np.arange(12, dtype=np.float32).reshape(3, 4) / 7),
    (lambda a: mtf.matmul(a, mtf.transpose(a)),
     np.arange(12, dtype=np.float32).reshape(3, 4) / 5),
    (lambda a: mtf.reduce_sum(mtf.exp(a)), np.linspace(-4, 4, 100, dtype=np.float32)),
    (lambda a: mtf.reduce_variance(a * 10), np.linspace(-1, 1, 50, dtype=np.float32) ** 3),
    (lambda a: a ** 3, np.array([-40.0, 25.0, 31.5], np.float32)),
]


@pytest.mark.parametrize("f, x", FLOAT32_SMOOTH)
def test_float32_smooth_functions_pass_at_default_tolerances(f, x):
    assert check_gradients(f, [x]) < 0.05 * max(1.0, float(np.max(np.abs(x))) ** 2)


@pytest.mark.parametrize("x", [np.float32(0.5), np.linspace(-2, 2, 9, dtype=np.float32)])
@pytest.mark.parametrize("factor", [1.01, 0.99, -1.0])
def test_float32_still_fails_for_a_wrong_gradient(x, factor):
    with pytest.raises(GradientCheckError, match="float32"):
        check_gradients(_scaled_exp(factor), [x])


def test_float64_stays_strict():
    x = np.linspace(-2, 2, 9)
    assert check_gradients(_scaled_exp(1.0), [x]) < 1e-8
    with pytest.raises(GradientCheckError, match="float64"):
        check_gradients(_scaled_exp(1 + 1e-4), [x])


def test_a_float32_output_of_float64_arguments_gets_float32_tolerances():
    x = np.linspace(-2, 2, 5)
    check_gradients(lambda a: mtf.exp(mtf.cast(a, mtf.float32)), [x])
    with pytest.raises(GradientCheckError, match="float64"):
        check_gradients(lambda a: _scaled_exp(1.01)(mtf.cast(a, mtf.float32)), [x])


def test_a_step_below_the_resolution_raises():
    with pytest.raises(ValueError, match=r"check_gradients: delta=1e-12.*argument 0"):
        check_gradients(mtf.exp, [np.float32(3.0)], delta=1e-12)
