"""A Python float beside a float tensor gives exactly numpy's result.

The ops hand numpy a cached 0-d array of the tensor's dtype instead of the
Python float (numpy converts the float to that dtype itself, only slower); the
results must agree bit for bit for every value, including signed zeros, NaN,
infinities, subnormals and values out of the dtype's range, whichever side the
float is on.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minitf as mtf

OPS = [(np.add, lambda a, b: a + b), (np.subtract, lambda a, b: a - b),
       (np.multiply, lambda a, b: a * b), (np.divide, lambda a, b: a / b),
       (np.maximum, mtf.maximum), (np.minimum, mtf.minimum), (np.power, mtf.pow)]
SPECIAL = [0.0, -0.0, 1.01, -0.5, 1e-8, 6e-8, 65504.0, 65520.0, 3.5e38, 1e300, 1e-300,
           2.0**-149, float("inf"), float("-inf"), float("nan")]


def _same_bits(got, expected):
    assert got.dtype == expected.dtype
    assert np.array_equal(got.view(np.uint8), expected.view(np.uint8)), (got, expected)


def _check(dtype, array, number):
    tensor = mtf.constant(array)
    for reference, op in OPS:
        for left in (True, False):
            with np.errstate(all="ignore"):
                expected = reference(array, number) if left else reference(number, array)
            got = op(tensor, number) if left else op(number, tensor)
            _same_bits(got.numpy(), expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_special_floats_as_numpy(dtype):
    array = np.array([0.0, -0.0, 1.0, -3.5, 1e-3, 6e4, np.inf, -np.inf, np.nan], dtype)
    for number in SPECIAL:
        for _ in range(2):             # the second time from the cache
            _check(dtype, array, number)


@settings(max_examples=300, deadline=None)
@given(dtype=st.sampled_from([np.float16, np.float32, np.float64]),
       numbers=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1,
                        max_size=4),
       values=st.lists(st.floats(allow_nan=True, allow_infinity=True, width=16),
                       min_size=1, max_size=5))
def test_any_float_as_numpy(dtype, numbers, values):
    array = np.array(values, dtype)
    for number in numbers + numbers:
        _check(dtype, array, number)
