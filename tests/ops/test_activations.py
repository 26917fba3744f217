"""mtf.nn activations: values vs formulas, gradients (1st and 2nd order) vs finite
differences, numerical stability, aliases and errors."""
import math
import warnings

import numpy as np
import pytest

import minitf as mtf
from minitf.testing import check_gradients
from _helpers import softmax_ref

rng = np.random.default_rng(10)
erf = np.vectorize(math.erf)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


REFERENCES = {
    "relu": (mtf.nn.relu, lambda x: np.maximum(x, 0)),
    "leaky_relu": (mtf.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "leaky_relu_0.05": (lambda x: mtf.nn.leaky_relu(x, alpha=0.05),
                        lambda x: np.where(x > 0, x, 0.05 * x)),
    "elu": (mtf.nn.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "selu": (mtf.nn.selu,
             lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))),
    "gelu": (mtf.nn.gelu, lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    "gelu_tanh": (lambda x: mtf.nn.gelu(x, approximate=True),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                   * (x + 0.044715 * x ** 3)))),
    "softmax": (mtf.nn.softmax, softmax_ref),
    "softmax_axis0": (lambda x: mtf.nn.softmax(x, axis=0), lambda x: softmax_ref(x, 0)),
    "log_softmax": (mtf.nn.log_softmax, lambda x: np.log(softmax_ref(x))),
    "log_softmax_axis1": (lambda x: mtf.nn.log_softmax(x, axis=1),
                          lambda x: np.log(softmax_ref(x, 1))),
}


def _away_from_kinks(shape):
    """Random values at least 0.05 from 0, where relu-like rules are not smooth."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_formula(name):
    op, ref = REFERENCES[name]
    x = rng.standard_normal((3, 4, 5)) * 2
    np.testing.assert_allclose(op(x).numpy(), ref(x), rtol=1e-12, atol=1e-14)
    y32 = op(x.astype(np.float32))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), ref(x), rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_gradients_match_finite_differences(name):
    op, _ = REFERENCES[name]
    check_gradients(op, [_away_from_kinks((3, 4, 2))])


def _gradient_of(op):
    """x -> d/dx sum(op(x)**3): differentiating it checks second derivatives."""
    def f(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = op(x)
            total = mtf.reduce_sum(y * y * y)
        return tape.gradient(total, x)
    return f


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_second_order_gradients(name):
    op, _ = REFERENCES[name]
    check_gradients(_gradient_of(op), [_away_from_kinks((2, 3))], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_third_order(approximate):
    def second(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            g = _gradient_of(lambda t: mtf.nn.gelu(t, approximate))(x)
        return tape.gradient(g, x)
    check_gradients(second, [rng.standard_normal(5)], rtol=1e-4, atol=1e-6)


def test_gelu_closed_form_derivative():
    x = np.linspace(-4, 4, 17)
    t = mtf.constant(x)
    with mtf.GradientTape() as tape:
        tape.watch(t)
        y = mtf.nn.gelu(t)
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    expected = 0.5 * (1 + erf(x / math.sqrt(2))) + x * phi
    np.testing.assert_allclose(tape.gradient(y, t).numpy(), expected, rtol=1e-12, atol=1e-15)


def test_relu_gradient_is_zero_at_and_below_zero():
    x = mtf.constant([-2.0, 0.0, 3.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.nn.relu(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.0, 1.0])


def test_softmax_is_stable_for_huge_logits():
    np.testing.assert_array_equal(mtf.nn.softmax([1000.0, 0.0]).numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(mtf.nn.softmax([-1000.0, 0.0]).numpy(), [0.0, 1.0])
    np.testing.assert_allclose(mtf.nn.log_softmax([1000.0, 0.0]).numpy(), [0.0, -1000.0])
    x = mtf.constant([1000.0, 0.0, -1000.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.nn.log_softmax(x)[1]
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [-1.0, 1.0, 0.0], atol=1e-30)


def test_exponential_units_saturate_without_overflow():
    x = np.array([-1000.0, 1000.0])
    np.testing.assert_allclose(mtf.nn.elu(x).numpy(), [-1.0, 1000.0])
    np.testing.assert_allclose(mtf.nn.selu(x).numpy(),
                               [-SELU_SCALE * SELU_ALPHA, SELU_SCALE * 1000])
    for approximate in (False, True):
        np.testing.assert_allclose(mtf.nn.gelu(x, approximate).numpy(), [0.0, 1000.0])


def test_half_precision_keeps_dtype():
    x = rng.standard_normal((2, 3)).astype(np.float16)
    for name, (op, ref) in REFERENCES.items():
        y = op(x)
        assert y.dtype == np.float16, name
        np.testing.assert_allclose(y.numpy(), ref(x.astype(np.float64)), rtol=1e-2,
                                   atol=1e-2, err_msg=name)


def test_axis_none_means_the_last_axis():
    x = rng.standard_normal((2, 3))
    np.testing.assert_allclose(mtf.nn.softmax(x, axis=None).numpy(), softmax_ref(x))
    np.testing.assert_allclose(mtf.nn.log_softmax(x, axis=None).numpy(),
                               np.log(softmax_ref(x)))


def test_aliases_are_the_top_level_ops():
    assert mtf.nn.sigmoid is mtf.sigmoid
    assert mtf.nn.tanh is mtf.tanh
    assert mtf.nn.softplus is mtf.softplus


def test_variables_get_gradients():
    v = mtf.Variable([[-1.0, 2.0], [3.0, -4.0]])
    with mtf.GradientTape() as tape:
        loss = mtf.reduce_sum(mtf.nn.leaky_relu(v, alpha=0.1))
    np.testing.assert_allclose(tape.gradient(loss, v).numpy(), [[0.1, 1.0], [1.0, 0.1]])


def test_relu_accepts_integers_without_gradient():
    y = mtf.nn.relu(mtf.constant([-3, 0, 4]))
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y.numpy(), [0, 0, 4])


def test_errors_name_op_and_input():
    with pytest.raises(TypeError, match=r"softmax.*int32"):
        mtf.nn.softmax(mtf.constant([1, 2]))
    with pytest.raises(ValueError, match=r"log_softmax: axis 2 is out of range.*rank 2"):
        mtf.nn.log_softmax(np.zeros((2, 3)), axis=2)
    with pytest.raises(TypeError, match=r"softmax: axis must be a single int"):
        mtf.nn.softmax(np.zeros((2, 3)), axis=(0, 1))
    with pytest.raises(ValueError, match=r"softmax: logits must have at least one axis"):
        mtf.nn.softmax(mtf.constant(1.0))
    with pytest.raises(TypeError, match=r"gelu.*int32"):
        mtf.nn.gelu(mtf.constant([1]))


FAST_FLOAT32 = ["gelu", "gelu_tanh", "softmax", "log_softmax", "softmax_axis0"]


@pytest.mark.parametrize("name", FAST_FLOAT32)
def test_float32_gradients_first_and_second_order(name):
    """float32 runs the vectorized kernels (the last axis for softmax): their gradient
    ops against finite differences, to second order."""
    op, _ = REFERENCES[name]
    x = _away_from_kinks((3, 17)).astype(np.float32)
    check_gradients(op, [x])
    check_gradients(_gradient_of(op), [x[:, :5]], rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("name", FAST_FLOAT32)
def test_float32_nan_and_inf_without_warnings(name):
    op, ref = REFERENCES[name]
    x = np.array([[0.5, np.nan, 1.0], [np.inf, 0.0, -1.0], [-np.inf, 2.0, 3.0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = op(x).numpy()
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
