"""mtf.debugging.enable_check_numerics / disable_check_numerics."""
import numpy as np
import pytest

import minitf as mtf
from minitf.ops import _dispatch


@pytest.fixture
def check_numerics():
    mtf.debugging.enable_check_numerics()
    try:
        yield
    finally:
        mtf.debugging.disable_check_numerics()


def test_nan_raises_naming_the_op_and_the_scope(check_numerics):
    x = mtf.constant([1.0, -1.0, 0.0])
    with mtf.name_scope("encoder"):
        with mtf.name_scope("layer"):
            with np.errstate(all="ignore"), pytest.raises(mtf.debugging.NumericsError) as info:
                mtf.log(x)
    message = str(info.value)
    assert "'log'" in message and "encoder/layer" in message
    assert "1 NaN" in message and "1 Inf" in message and "(3,)" in message
    assert isinstance(info.value, ValueError)


def test_inf_raises_at_top_level(check_numerics):
    with np.errstate(over="ignore"), pytest.raises(ValueError, match=r"'exp'.*top level"):
        mtf.exp(mtf.constant([1.0, 1000.0]))


def test_finite_values_pass_and_match_unchecked_results(check_numerics):
    x = mtf.constant([0.5, 2.0])
    np.testing.assert_allclose(mtf.log(x).numpy(), np.log([0.5, 2.0]), rtol=1e-6)
    assert (mtf.constant([1, 2]) + 1).dtype == np.int32


def test_backward_ops_are_checked(check_numerics):
    x = mtf.constant([0.0, 4.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.sqrt(x)       # forward finite; d/dx at 0 is infinite
    with np.errstate(all="ignore"), pytest.raises(mtf.debugging.NumericsError,
                                                  match="Inf"):
        tape.gradient(y, x)


def test_disabled_check_lets_nan_through_at_no_cost():
    mtf.debugging.enable_check_numerics()
    mtf.debugging.disable_check_numerics()
    assert _dispatch.numerics_check is None
    with np.errstate(invalid="ignore"):
        out = mtf.sqrt(mtf.constant([-1.0]))
    assert np.isnan(out.numpy()[0])


def test_enable_twice_then_disable():
    mtf.debugging.enable_check_numerics()
    mtf.debugging.enable_check_numerics()
    assert _dispatch.numerics_check is not None
    mtf.debugging.disable_check_numerics()
    mtf.debugging.disable_check_numerics()
    assert _dispatch.numerics_check is None
