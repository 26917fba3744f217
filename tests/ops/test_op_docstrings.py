"""The one-line example in the docstring of every research op (its API reference
entry) runs: each name of the research op list that minitf exports has one."""
import doctest

import numpy as np
import pytest

import minitf as mtf

RESEARCH_OPS = """
add_n cumsum cumprod sort argsort top_k reduce_all reduce_any is_finite is_nan is_inf
log_sigmoid lgamma digamma erfinv divide_no_nan xlogy atan2 atan asin acos sinh cosh
asinh acosh atanh segment_sum unsorted_segment_sum roll reverse repeat meshgrid unique
sequence_mask scatter_nd tensor_scatter_nd_update tensor_scatter_nd_add map_fn
vectorized_map silu swish relu6 l2_normalize bias_add embedding_lookup conv1d
conv2d_transpose depthwise_conv2d band_part inv solve cholesky det slogdet eigh svd qr
triangular_solve trace diag_part diag ForwardAccumulator Generator stateless_normal
stateless_uniform categorical shuffle""".split()


def _exported():
    found = {}
    for name in RESEARCH_OPS:
        for namespace in (mtf, mtf.math, mtf.nn, mtf.linalg, mtf.random,
                          getattr(mtf, "autodiff", mtf)):
            if hasattr(namespace, name):
                found[name] = getattr(namespace, name)
                break
    return found


@pytest.mark.parametrize("name", sorted(_exported()))
def test_docstring_example_runs(name):
    op = _exported()[name]
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner()
    tests = finder.find(op, name, globs={"mtf": mtf, "np": np})
    assert sum(len(t.examples) for t in tests) >= 1, f"{name} has no >>> example"
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
