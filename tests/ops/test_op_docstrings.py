"""The one-line example in each op's docstring (its API reference entry) runs."""
import doctest

import numpy as np
import pytest

import minitf as mtf

OPS = [mtf.add_n, mtf.cumsum, mtf.cumprod, mtf.reduce_all, mtf.reduce_any,
       mtf.math.is_finite, mtf.math.is_nan, mtf.math.is_inf,
       mtf.math.atan, mtf.math.asin, mtf.math.acos, mtf.math.sinh, mtf.math.cosh,
       mtf.math.asinh, mtf.math.acosh, mtf.math.atanh, mtf.math.atan2]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.__name__)
def test_docstring_example_runs(op):
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    tests = finder.find(op, op.__name__, globs={"mtf": mtf, "np": np})
    assert sum(len(t.examples) for t in tests) >= 1
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
