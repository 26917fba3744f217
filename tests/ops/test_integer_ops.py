"""Integer arithmetic: division by zero, negative powers and out-of-range Python ints
raise errors that name the op and the cause (TensorFlow), never a silent 0."""
import itertools

import numpy as np
import pytest

import minitf as mtf

INT_DTYPES = [mtf.int32, mtf.int64]


@pytest.mark.parametrize("op", [mtf.floordiv, mtf.mod], ids=["floordiv", "mod"])
@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
def test_integer_division_by_zero_raises_wherever_the_zero_is(op, dtype):
    x = mtf.constant([7, -7, 3], dtype=dtype)
    divisors = [0, mtf.constant(0, dtype=dtype)] + [
        mtf.constant([d0, d1, d2], dtype=dtype)
        for d0, d1, d2 in itertools.product([0, 2], [0, -3], [0, 5]) if 0 in (d0, d1, d2)]
    for y in divisors:
        with pytest.raises(ZeroDivisionError) as info:
            op(x, y)
        assert str(info.value).startswith(op.__name__) and "division by zero" in str(info.value)


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
def test_integer_operators_raise_too(dtype):
    x = mtf.constant([7, -7], dtype=dtype)
    with pytest.raises(ZeroDivisionError, match=r"^floordiv: integer division by zero"):
        x // 0
    with pytest.raises(ZeroDivisionError, match=r"^mod: integer division by zero"):
        x % mtf.constant([1, 0], dtype=dtype)
    with pytest.raises(ZeroDivisionError, match=r"^floordiv: "):
        7 // mtf.constant([0, 1], dtype=dtype)


def test_integer_division_without_zeros_matches_python():
    xs, ys = [7, -7, 7, -7, 0, 13], [2, 2, -2, -2, 5, 13]
    x, y = mtf.constant(xs), mtf.constant(ys)
    assert (x // y).numpy().tolist() == [a // b for a, b in zip(xs, ys)]
    assert (x % y).numpy().tolist() == [a % b for a, b in zip(xs, ys)]


def test_float_division_by_zero_is_inf_or_nan_silently():
    x = mtf.constant([1.0, -1.0, 0.0])
    np.testing.assert_array_equal((x // 0.0).numpy(), [np.inf, -np.inf, np.nan])
    assert np.isnan((x % 0.0).numpy()).all()
    np.testing.assert_array_equal((x / 0.0).numpy(), [np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("dtype", INT_DTYPES, ids=str)
def test_integers_to_negative_powers_raise_and_name_the_cause(dtype):
    x = mtf.constant([2, 3], dtype=dtype)
    for y in (-1, mtf.constant([1, -2], dtype=dtype), mtf.constant(-3, dtype=dtype)):
        with pytest.raises(ValueError) as info:
            x ** y
        text = str(info.value)
        assert text.startswith("pow") and "negative" in text and "broadcast" not in text, text
    assert (x ** 2).numpy().tolist() == [4, 9]
    assert (x ** mtf.constant([0, 3], dtype=dtype)).numpy().tolist() == [1, 27]


BINARY = [mtf.add, mtf.subtract, mtf.multiply, mtf.divide, mtf.maximum, mtf.minimum,
          mtf.floordiv, mtf.mod, mtf.pow, mtf.squared_difference]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("big, dtype", [(2**40, mtf.int32), (-2**40, mtf.int32),
                                        (2**70, mtf.int64), (-2**70, mtf.int64)],
                         ids=["2**40-int32", "-2**40-int32", "2**70-int64", "-2**70-int64"])
def test_python_ints_out_of_the_dtypes_range_name_the_op(op, big, dtype):
    x = mtf.constant([1, 2], dtype=dtype)
    for args in ((x, big), (big, x)):
        with pytest.raises((TypeError, ValueError)) as info:
            op(*args)
        text = str(info.value)
        assert text.startswith(op.__name__) and str(big) in text, text


def test_quoted_overflow_case():
    with pytest.raises((TypeError, ValueError), match=r"^add: .*1099511627776"):
        mtf.constant(1) + 2**40


@pytest.mark.parametrize("op", [mtf.add, mtf.subtract, mtf.multiply, mtf.divide, mtf.pow,
                                mtf.maximum, mtf.minimum, mtf.floordiv, mtf.mod,
                                mtf.squared_difference], ids=lambda f: f.__name__)
def test_arithmetic_on_bools_is_a_type_error_as_in_tensorflow(op):
    t = mtf.constant([True, False])
    with pytest.raises(TypeError) as info:
        op(t, t)
    assert str(info.value).startswith(op.__name__) and "bool" in str(info.value)


@pytest.mark.parametrize("op", [mtf.negative, mtf.abs, mtf.sign, mtf.square],
                         ids=lambda f: f.__name__)
def test_unary_arithmetic_on_bools_is_a_type_error(op):
    with pytest.raises(TypeError) as info:
        op(mtf.constant([True, False]))
    assert str(info.value).startswith(op.__name__) and "bool" in str(info.value)
