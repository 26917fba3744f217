"""Softmax kernels: compiled vs py_func vs the textbook formulas in float64, any axis,
odd row lengths, NaN/inf and empty inputs."""
import numpy as np
import pytest

from minitf.kernels import softmax as K
from minitf.kernels._parallel import PARALLEL_MIN
from _helpers import log_softmax_ref, softmax_ref

rng = np.random.default_rng(2)


def _as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


def test_float32_row_kernels_equal_their_python_bodies_bit_for_bit():
    x = (rng.standard_normal((6, 37)) * 3).astype(np.float32)
    g = rng.standard_normal((6, 37)).astype(np.float32)
    for name, args in [("_softmax_rows", (x,)), ("_log_softmax_rows", (x,)),
                       ("_softmax_grad_rows", (softmax_ref(x, 1), g)),
                       ("_log_softmax_grad_rows", (log_softmax_ref(x, 1), g))]:
        compiled, python = np.empty_like(x), np.empty_like(x)
        getattr(K, name)(compiled, *args)
        getattr(K, name).py_func(python, *args)
        np.testing.assert_array_equal(compiled, python, err_msg=name)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_grad", "log_softmax_grad"])
def test_large_inputs_run_in_blocks_of_rows_with_the_numbers_of_one_call(name):
    """Above the threshold the rows are cut into blocks on the pool: every row must be
    what the whole-array kernel gives in one call."""
    rows = 2 * PARALLEL_MIN // 37 * 3 + 5
    x = (rng.standard_normal((rows, 37)) * 3).astype(np.float32)
    g = rng.standard_normal((rows, 37)).astype(np.float32)
    args = (x,) if name in ("softmax", "log_softmax") else (softmax_ref(x, 1), g)
    whole = np.empty_like(x)
    getattr(K, "_" + name + "_rows")(whole, *args)                  # one call
    np.testing.assert_array_equal(getattr(K, name)(*args, 1), whole)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_xent_kernels_match_py_func(dtype):
    x = (rng.standard_normal((6, 5)) * 3).astype(dtype)
    labels = rng.random((6, 5)).astype(dtype)
    sparse = rng.integers(0, 5, 6)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    for name, args in [("_xent_rows", (labels, x)), ("_sparse_xent_rows", (sparse, x))]:
        compiled = getattr(K, name)(*args)
        python = getattr(K, name).py_func(*args)
        for c, p in zip(compiled, python):
            assert c.dtype == dtype, name
            np.testing.assert_allclose(c, p, rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize("n", [1, 5, 15, 16, 17, 64, 100, 333])
def test_float32_rows_against_float64_references(n):
    """The row kernels (float32, last axis) within a few ulp of exact values: the
    exponentials see x - max(x) without rounding it, the sums run in float64."""
    x = (rng.standard_normal((7, n)) * 4).astype(np.float32)
    g = rng.standard_normal((7, n)).astype(np.float32)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    eps = np.finfo(np.float32).eps
    p = softmax_ref(x64, 1)
    np.testing.assert_allclose(K.softmax(x, 1), p, rtol=3 * eps, atol=0)
    logp = log_softmax_ref(x64, 1)
    np.testing.assert_allclose(K.log_softmax(x, 1), logp, rtol=0,
                               atol=2 * eps * np.abs(logp).max())
    y = K.softmax(x, 1)
    y64 = y.astype(np.float64)
    want = y64 * (g64 - (g64 * y64).sum(1, keepdims=True))
    scale = y64 * (np.abs(g64) + np.abs(g64 * y64).sum(1, keepdims=True))
    assert (np.abs(K.softmax_grad(y, g, 1) - want) <= 2 * eps * scale + 1e-45).all()
    ly = K.log_softmax(x, 1)
    want = g64 - np.exp(ly.astype(np.float64)) * g64.sum(1, keepdims=True)
    scale = np.abs(g64) + np.exp(ly) * np.abs(g64).sum(1, keepdims=True)
    assert (np.abs(K.log_softmax_grad(ly, g, 1) - want) <= 4 * eps * scale).all()


def test_float32_rows_spread_nan_and_inf_as_the_reference():
    nan, inf = np.nan, np.inf
    x = np.array([[0.0, nan, 1.0], [inf, 0.0, 1.0], [-inf, -inf, -inf],
                  [-inf, 0.0, 1.0], [1e30, -1e30, 0.0]], np.float32)
    with np.errstate(all="ignore"):
        for fast, ref in ((K.softmax, K.softmax_reference),
                          (K.log_softmax, K.log_softmax_reference)):
            np.testing.assert_allclose(fast(x, 1), ref(x.astype(np.float64), 1), rtol=1e-6)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0), (2, 0, 4), (4,)])
def test_empty_and_odd_shapes_keep_their_shape(shape):
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(shape).astype(dtype)
        last = len(shape) - 1
        for out in (K.softmax(x, last), K.log_softmax(x, last), K.softmax_grad(x, x, last),
                    K.log_softmax_grad(x, x, last), K.softmax(x, 0)):
            assert out.shape == shape and out.dtype == dtype


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_float32_wrappers_on_every_axis(axis):
    x = rng.standard_normal((3, 4, 17)).astype(np.float32)
    g = rng.standard_normal((3, 4, 17)).astype(np.float32)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    p = softmax_ref(x64, axis)
    np.testing.assert_allclose(K.softmax(x, axis), p, rtol=1e-6)
    np.testing.assert_allclose(K.log_softmax(x, axis), log_softmax_ref(x64, axis), atol=2e-6)
    dot = (g64 * p).sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(K.softmax_grad(p.astype(np.float32), g, axis), p * (g64 - dot),
                               atol=1e-6)
    np.testing.assert_allclose(K.log_softmax_grad(np.log(p).astype(np.float32), g, axis),
                               g64 - p * g64.sum(axis=axis, keepdims=True), atol=1e-5)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_wrappers_against_formulas(axis):
    x = rng.standard_normal((3, 4, 5))
    g = rng.standard_normal((3, 4, 5))
    labels = rng.random((3, 4, 5))
    p = softmax_ref(x, axis)
    np.testing.assert_allclose(K.softmax(x, axis), p, rtol=1e-13)
    np.testing.assert_allclose(K.log_softmax(x, axis), log_softmax_ref(x, axis), rtol=1e-13)
    dot = (g * p).sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(K.softmax_grad(p, g, axis), p * (g - dot), atol=1e-14)
    np.testing.assert_allclose(K.log_softmax_grad(np.log(p), g, axis),
                               g - p * g.sum(axis=axis, keepdims=True), atol=1e-13)
    loss, backprop = K.softmax_xent(labels, x, axis)
    np.testing.assert_allclose(loss, -(labels * log_softmax_ref(x, axis)).sum(axis=axis),
                               rtol=1e-13)
    np.testing.assert_allclose(backprop, p * labels.sum(axis=axis, keepdims=True) - labels,
                               atol=1e-14)


def test_sparse_xent_wrapper():
    x = rng.standard_normal((2, 3, 4))
    labels = np.array([[0, 3, 1], [2, 2, 0]])
    loss, backprop = K.sparse_xent(labels, x)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(loss, -(onehot * log_softmax_ref(x, -1)).sum(-1), rtol=1e-13)
    np.testing.assert_allclose(backprop, softmax_ref(x, -1) - onehot, atol=1e-14)


def test_stable_for_huge_logits_and_half_precision():
    x = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    np.testing.assert_allclose(K.softmax(x, 1), [[1, 0], [0, 1]])
    np.testing.assert_allclose(K.log_softmax(x, 1), [[0, -1000], [-1000, 0]])
    half = K.softmax(np.array([1.0, 2.0, 3.0], np.float16), 0)
    assert half.dtype == np.float16
    np.testing.assert_allclose(half, softmax_ref(np.array([1.0, 2.0, 3.0]), 0), rtol=1e-3)
