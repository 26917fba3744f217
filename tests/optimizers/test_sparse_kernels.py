"""The kernels behind sparse optimizer updates against numpy: duplicate rows summed,
row copies, and the fixed-order sum of squares that clip norms use."""
import math

import numpy as np
import pytest

from minitf.kernels import scatter, sparse_optim

rng = np.random.default_rng(11)


def _values(n, rest, dtype):
    values = rng.normal(size=(n,) + rest)
    values[rng.random(values.shape) < 0.2] = -0.0
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("rest", [(), (3,), (2, 5)])
def test_sum_duplicates_scattered_equals_scatter_add_into_zeros(rest, dtype):
    indices = rng.integers(0, 6, 17)
    values = _values(17, rest, dtype)
    rows, sums = scatter.sum_duplicates(values, indices)
    assert list(rows) == list(dict.fromkeys(indices.tolist()))   # order of first appearance
    reference = np.zeros((6,) + rest, np.float32 if dtype == np.float16 else dtype)
    np.add.at(reference, indices, values.astype(reference.dtype))   # in order, from +0.0
    dense = np.zeros((6,) + rest, dtype)
    dense[rows] = sums
    assert dense.tobytes() == reference.astype(dtype).tobytes()
    assert dense.tobytes() == scatter.scatter_add_rows(values, indices, 6).tobytes()


def test_sum_duplicates_of_no_rows_and_of_colliding_rows():
    rows, sums = scatter.sum_duplicates(np.zeros((0, 2)), np.zeros(0, np.int64))
    assert rows.shape == (0,) and sums.shape == (0, 2)
    indices = np.arange(0, 64 * 1024, 1024)              # rows that share low bits
    rows, sums = scatter.sum_duplicates(np.ones((128, 1)), np.concatenate([indices, indices]))
    np.testing.assert_array_equal(rows, indices)
    np.testing.assert_array_equal(sums, np.full((64, 1), 2.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_take_and_put_rows_copy_bits(dtype):
    tables = [rng.normal(size=(7, 3)).astype(dtype) for _ in range(3)]
    bits = tables[1].view(f"u{np.dtype(dtype).itemsize}")
    bits[4, 1] = np.iinfo(bits.dtype).max >> 1          # a NaN with a payload
    rows = np.array([4, 0, 6])
    blocks = sparse_optim.take_rows(tables, rows)
    assert blocks.shape == (3, 3, 3)
    for table, block in zip(tables, blocks):
        assert block.tobytes() == table[rows].tobytes()
    new = rng.normal(size=(3, 3, 3)).astype(dtype)
    expected = [t.copy() for t in tables]
    for e, b in zip(expected, new):
        e[rows] = b
    sparse_optim.put_rows(tables, rows, new)
    assert [t.tobytes() for t in tables] == [e.tobytes() for e in expected]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape", [(0,), (5,), (300, 7), (2, 64), (9, 3, 5)])
def test_sum_of_squares_is_accurate(shape, dtype):
    x = rng.normal(size=shape).astype(dtype)
    exact = math.fsum(float(v) ** 2 for v in x.astype(np.float64).reshape(-1))
    assert sparse_optim.sum_of_squares(x) == pytest.approx(exact, rel=1e-13, abs=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("rest", [(), (3,), (64,), (100,), (2, 7)])
def test_sum_of_squares_of_rows_equals_the_dense_sum_bit_for_bit(rest, dtype):
    rows = rng.permutation(40)[:13]
    block = _values(13, rest, dtype) * 1000
    dense = np.zeros((40,) + rest, dtype)
    dense[rows] = block
    assert sparse_optim.rows_sum_of_squares(block, rows) == sparse_optim.sum_of_squares(dense)
