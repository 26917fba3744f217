"""Argument pools for the bad-input fuzzer: good, edge and wrong values of each kind.

Every pool entry is a zero-argument factory, so each call gets fresh objects
(a Variable the op must not change, an array it must not write into). Each
kind has a ``good`` list (values a correct call would pass) and a ``bad`` list
(wrong kinds, shapes, dtypes, big-endian, NaN/Inf, empty, 0-d, read-only,
non-contiguous, ...). Sizes stay small: a call must never allocate much.
"""
import numpy as np

import minitf as mtf

_R = np.random.default_rng(1234)
_X23 = _R.standard_normal((2, 3)).astype(np.float32)
_IMG = _R.standard_normal((1, 4, 4, 2)).astype(np.float32)
_FILT = _R.standard_normal((3, 3, 2, 3)).astype(np.float32)


def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _big_endian(a):
    a = np.asarray(a)
    return a.astype(a.dtype.newbyteorder(">"))


def _strided(a):
    """A non-contiguous view with the values of ``a``."""
    a = np.asarray(a)
    wide = np.repeat(a[..., None], 2, axis=-1)
    return wide[..., 0]


def _with_nan(a):
    a = np.array(a, np.float32)
    a.reshape(-1)[0] = np.nan
    a.reshape(-1)[-1] = np.inf
    return a


# Values no op takes as a tensor, hyperparameter, axis or shape.
JUNK = [
    lambda: None, lambda: "abc", lambda: object(), lambda: 1j, lambda: {"a": 1},
    lambda: {1, 2}, lambda: [[1, 2], [3]], lambda: [None, 1.0], lambda: b"xy",
    lambda: np.array(["a", "b"]), lambda: np.array([1, None], dtype=object),
    lambda: np.ones(2, np.complex64), lambda: np.array(["2020-01-01"], dtype="datetime64[D]"),
    lambda: float, lambda: [mtf.constant(1.0), "x"],
]

TENSOR_GOOD = [
    lambda: _X23.copy(), lambda: mtf.constant(_X23), lambda: mtf.Variable(_X23),
    lambda: _X23.tolist(), lambda: np.float32(0.5), lambda: mtf.constant(_X23[0]),
]
TENSOR_EDGE = [
    lambda: _with_nan(_X23), lambda: np.zeros((0, 3), np.float32),
    lambda: np.zeros((2, 0), np.float32), lambda: np.zeros((0,), np.float32),
    lambda: _X23.astype(np.float64), lambda: _X23.astype(np.float16),
    lambda: np.arange(6, dtype=np.int32).reshape(2, 3) - 2,
    lambda: np.arange(6, dtype=np.int64).reshape(2, 3),
    lambda: np.array([[True, False, True], [False, False, True]]),
    lambda: np.float32(3.0), lambda: np.array(2.0, np.float32), lambda: 2.5, lambda: 3,
    lambda: True, lambda: -1, lambda: 0, lambda: 0.0, lambda: [], lambda: [[]],
    lambda: _readonly(_X23), lambda: _strided(_X23), lambda: _X23.T,
    lambda: _big_endian(_X23), lambda: _big_endian(np.arange(6).reshape(2, 3)),
    lambda: np.full((2, 3), 3e38, np.float32), lambda: np.full((2, 3), -1.0, np.float32),
    lambda: mtf.Variable(np.arange(6, dtype=np.int32).reshape(2, 3)),
    lambda: mtf.Variable(np.zeros((0, 3), np.float32)),
    lambda: np.zeros((2, 3), np.int32), lambda: np.array(0, np.int32),
    lambda: np.array([2**31 - 1, -2**31], np.int32), lambda: 2**40, lambda: 2**70,
    lambda: np.ones(3, np.uint8), lambda: np.ones(3, np.int8), lambda: np.ones(3, np.uint64),
    lambda: np.ones((1, 1, 1, 1, 1, 1), np.float32), lambda: float("nan"),
    lambda: float("inf"), lambda: np.float64(1e300),
    lambda: mtf.IndexedSlices(mtf.constant(_X23[:1]), mtf.constant([1]),
                              mtf.constant([2, 3])),
]

FLOAT_GOOD = TENSOR_GOOD[:4]
INT_GOOD = [lambda: np.array([0, 1], np.int32), lambda: [1, 0],
            lambda: mtf.constant([[0], [1]]), lambda: np.array([1, 1], np.int64)]
INT_BAD = [lambda: [-1], lambda: [5], lambda: [0.5], lambda: [[0, 5]], lambda: [True],
           lambda: np.array([0, 1], np.uint8), lambda: np.array([2**40]),
           lambda: _big_endian(np.array([0, 1], np.int32)), lambda: np.zeros((0,), np.int32),
           lambda: np.zeros((1, 0), np.int32), lambda: 0, lambda: [[0, 0, 0, 0]]]
BOOL_GOOD = [lambda: np.array([[True, False, True], [False, True, True]]),
             lambda: [True, False], lambda: mtf.constant(True)]

IMAGE_GOOD = [lambda: _IMG.copy(), lambda: mtf.constant(_IMG), lambda: mtf.Variable(_IMG)]
IMAGE_BAD = [
    lambda: np.zeros((2, 0, 6, 2), np.float32), lambda: np.zeros((0, 4, 4, 2), np.float32),
    lambda: np.zeros((1, 4, 4, 0), np.float32), lambda: np.zeros((1, 4, 0, 2), np.float32),
    lambda: _IMG.astype(np.float64), lambda: _IMG.astype(np.float16),
    lambda: (_IMG * 4).astype(np.int32), lambda: _IMG > 0, lambda: _IMG.astype(np.complex64),
    lambda: _with_nan(_IMG), lambda: _big_endian(_IMG), lambda: _readonly(_IMG),
    lambda: np.ascontiguousarray(_IMG.transpose(0, 3, 1, 2)).transpose(0, 2, 3, 1),
    lambda: _IMG[0], lambda: _IMG[..., None], lambda: np.ones((1, 1, 1, 2), np.float32),
    lambda: (_IMG * 4).astype(np.uint8), lambda: np.full((1, 2, 2, 1), np.nan, np.float32),
]
FILTER_GOOD = [lambda: _FILT.copy(), lambda: mtf.Variable(_FILT)]
FILTER_BAD = [
    lambda: np.ones((1, 1, 2, 1), np.float32), lambda: np.ones((2, 2, 2, 0), np.float32),
    lambda: np.ones((3, 3, 3, 2), np.float32), lambda: np.ones((3, 3, 2), np.float32),
    lambda: _FILT.astype(np.float64), lambda: _FILT.astype(np.int32),
    lambda: np.ones((0, 3, 2, 1), np.float32), lambda: _big_endian(_FILT),
    lambda: np.ones((5, 5, 2, 1), np.float32), lambda: _strided(_FILT),
]

AXIS_GOOD = [lambda: None, lambda: 0, lambda: 1, lambda: -1, lambda: [0, 1], lambda: (1,)]
AXIS_BAD = [
    lambda: 2, lambda: 5, lambda: -7, lambda: True, lambda: False, lambda: 1.0, lambda: 0.5,
    lambda: "1", lambda: [0, 0], lambda: [1, -1], lambda: [], lambda: (), lambda: np.int64(1),
    lambda: np.array([0, 1]), lambda: mtf.constant(1), lambda: mtf.constant([0, 1]),
    lambda: [[0]], lambda: [None], lambda: [1.5], lambda: np.array(1.0), lambda: np.bool_(True),
    lambda: [True], lambda: 2**63, lambda: np.array([[0, 1]]), lambda: mtf.constant(1.0),
    lambda: np.uint8(1), lambda: [0, 1, 2, 3, 4, 5, 6],
]

SHAPE_GOOD = [lambda: [2, 3], lambda: (3, 2), lambda: 6, lambda: [6], lambda: [-1],
              lambda: [2, -1], lambda: np.array([3, 2]), lambda: mtf.constant([2, 3])]
SHAPE_BAD = [
    lambda: 2.7, lambda: -1, lambda: [-1, -1], lambda: [-2, 3], lambda: [True, 2],
    lambda: True, lambda: None, lambda: "3", lambda: ["a"], lambda: [[2, 3]],
    lambda: [2.0, 3], lambda: np.array([2.5]), lambda: np.array([[2, 3]]),
    lambda: mtf.constant([2.0, 3.0]), lambda: [2**63], lambda: [2**62, 2**62],
    lambda: np.int64(3), lambda: [np.int32(2), np.int64(3)], lambda: 0, lambda: [],
    lambda: (), lambda: [0, 2], lambda: [1, 1, 1, 1, 1, 1, 6], lambda: np.array([], np.float32),
    lambda: [2**100], lambda: np.uint64(3), lambda: [np.float32(2)], lambda: (2, None),
    lambda: np.array(6), lambda: mtf.constant(6),
]

NUM_GOOD = [lambda: 0.5, lambda: 0.2, lambda: 1, lambda: np.float32(0.3),
            lambda: mtf.constant(0.5)]
NUM_BAD = [
    lambda: 0.0, lambda: -1.0, lambda: 2, lambda: None, lambda: float("nan"),
    lambda: float("inf"), lambda: float("-inf"), lambda: "0.5", lambda: True,
    lambda: [0.5, 0.1], lambda: np.array(0.5), lambda: np.array([0.5, 0.1]),
    lambda: mtf.constant([0.5, 1.0]), lambda: 1e300, lambda: mtf.constant(1.0, mtf.float64),
    lambda: np.float16(0.5), lambda: mtf.constant(2), lambda: np.int64(2), lambda: -0.0,
    lambda: 1.0, lambda: 2**70, lambda: np.array([[0.5]], np.float32),
]

INT_ARG_GOOD = [lambda: 2, lambda: 3, lambda: np.int64(2), lambda: mtf.constant(2)]
INT_ARG_BAD = [
    lambda: 0, lambda: 1, lambda: -1, lambda: 2.5, lambda: 3.0, lambda: None, lambda: True,
    lambda: "3", lambda: [3], lambda: 2**63, lambda: 2**100, lambda: np.float64(2.0),
    lambda: np.array([2]), lambda: mtf.constant(2.0), lambda: np.uint8(2), lambda: False,
    lambda: mtf.constant([2]), lambda: np.array(3),
]

FLAG_GOOD = [lambda: True, lambda: False]
FLAG_BAD = [lambda: 0, lambda: 1, lambda: None, lambda: "yes", lambda: np.bool_(True),
            lambda: [True], lambda: 2, lambda: mtf.constant(True), lambda: "False",
            lambda: np.array([True, False])]

DTYPE_GOOD = [lambda: mtf.float32, lambda: mtf.float64, lambda: "float32", lambda: mtf.int32]
DTYPE_BAD = [
    lambda: None, lambda: "complex64", lambda: np.uint8, lambda: object, lambda: str,
    lambda: "foo", lambda: 3, lambda: np.dtype(">f4"), lambda: np.float16, lambda: mtf.bool,
    lambda: [mtf.float32], lambda: mtf.int64, lambda: np.int8, lambda: mtf.constant(1.0),
    lambda: np.dtype([("a", np.float32)]), lambda: "float", lambda: int, lambda: float,
]

SEED_GOOD = [lambda: None, lambda: 1, lambda: 42]
SEED_BAD = [lambda: -1, lambda: 2**70, lambda: 1.5, lambda: "a", lambda: True,
            lambda: np.int64(3), lambda: mtf.constant(3), lambda: [1], lambda: np.uint64(7)]

WINDOW_GOOD = [lambda: 1, lambda: 2, lambda: [2, 2], lambda: [1, 2, 2, 1]]
WINDOW_BAD = [
    lambda: 0, lambda: -1, lambda: [2, 2, 2, 2], lambda: 1.5, lambda: None, lambda: "2",
    lambda: [], lambda: True, lambda: [1, 2, 3], lambda: np.int64(2), lambda: mtf.constant(2),
    lambda: 2**63, lambda: [2**63, 1], lambda: [2.0, 2.0], lambda: [True, True],
    lambda: (2,), lambda: np.array([2, 2]), lambda: 7, lambda: [[2, 2]],
]

PADDING_GOOD = [lambda: "SAME", lambda: "VALID"]
PADDING_BAD = [
    lambda: "same", lambda: "FULL", lambda: None, lambda: 0,
    lambda: [[0, 0], [1, 1], [1, 1], [0, 0]], lambda: [[0, 0], [-1, 1], [1, 1], [0, 0]],
    lambda: [[1, 1], [1, 1], [1, 1], [0, 0]], lambda: [[0, 0], [1.5, 1], [1, 1], [0, 0]],
    lambda: [[0, 0], [2**63, 1], [1, 1], [0, 0]], lambda: [[0, 0], [1, 1]],
    lambda: [[0, 0], [True, 1], [1, 1], [0, 0]], lambda: b"SAME", lambda: ["SAME"],
    lambda: np.array([[0, 0], [1, 1], [1, 1], [0, 0]]), lambda: [[0, 0], [9, 9], [0, 0], [0, 0]],
]

FORMAT_GOOD = [lambda: "NHWC"]
FORMAT_BAD = [lambda: "NCHW", lambda: None, lambda: 3, lambda: "nhwc"]

LIST_GOOD = [lambda: [_X23.copy(), _X23.copy()], lambda: (mtf.constant(_X23), mtf.Variable(_X23)),
             lambda: [mtf.Variable(_X23)]]
LIST_BAD = [
    lambda: _X23.copy(), lambda: [_X23, np.ones((3, 3), np.float32)],
    lambda: [_X23, _X23.astype(np.int32)], lambda: "ab", lambda: None, lambda: [],
    lambda: [None, _X23.copy()], lambda: [None], lambda: [[1.0, 2.0], [3.0]],
    lambda: [mtf.IndexedSlices(mtf.constant(_X23[:1]), mtf.constant([0]), mtf.constant([2, 3]))],
    lambda: [_X23.astype(np.float64), _X23], lambda: [np.float32(1), np.float32(2)],
    lambda: [_with_nan(_X23)], lambda: [_big_endian(_X23)], lambda: [np.zeros((0, 3), np.float32)],
    lambda: {"a": _X23}, lambda: [1, 2.5], lambda: [_X23 > 0, _X23 > 1],
]

EQUATION_GOOD = [lambda: "ij,jk->ik", lambda: "ij->ji", lambda: "ij,ij->"]
EQUATION_BAD = [lambda: "ii->i", lambda: "ij,jk", lambda: "", lambda: "->", lambda: "ab,,c",
                lambda: 3, lambda: None, lambda: "ij->kk", lambda: "IJ->JI", lambda: "...ij->...ji",
                lambda: "ij->i...", lambda: "i j -> j i", lambda: "ij,jk->ik,", lambda: "1i->i",
                lambda: "...->...", lambda: "ij->->j"]

ORD_GOOD = [lambda: "euclidean", lambda: 1, lambda: 2, lambda: np.inf]
ORD_BAD = [lambda: "fro", lambda: 0.5, lambda: -1, lambda: 0, lambda: "nuc", lambda: None,
           lambda: True, lambda: "inf", lambda: [1], lambda: 3.0, lambda: float("nan"),
           lambda: mtf.constant(2.0), lambda: 1j, lambda: -np.inf]

PADDINGS_GOOD = [lambda: [[1, 1], [0, 2]], lambda: [[0, 0], [0, 0]],
                 lambda: np.array([[1, 0], [1, 1]])]
PADDINGS_BAD = [lambda: [[1, 1]], lambda: [[-1, 0], [0, 0]], lambda: [[1.5, 0], [0, 0]],
                lambda: None, lambda: 3, lambda: "a", lambda: mtf.constant([[1, 1], [1, 1]]),
                lambda: [[2**63, 0], [0, 0]], lambda: [[1, 1], [1, 1], [1, 1]],
                lambda: [[True, 0], [0, 0]], lambda: [[5, 5], [5, 5]], lambda: [],
                lambda: [[1, 1, 1], [0, 0, 0]]]

MODE_GOOD = [lambda: "CONSTANT", lambda: "REFLECT", lambda: "SYMMETRIC"]
MODE_BAD = [lambda: "constant", lambda: "WRAP", lambda: None, lambda: 3, lambda: ["CONSTANT"]]

PERM_GOOD = [lambda: None, lambda: [1, 0], lambda: (0, 1)]
PERM_BAD = [lambda: [0, 0], lambda: [2, 0], lambda: [1.0, 0], lambda: [True, False],
            lambda: "10", lambda: [[1, 0]], lambda: mtf.constant([1, 0]), lambda: [-1, 0],
            lambda: [0], lambda: 1, lambda: [0, 1, 2], lambda: [2**63, 0]]

SPLITS_GOOD = [lambda: 3, lambda: [1, 2], lambda: [-1, 1], lambda: 1]
SPLITS_BAD = [lambda: 0, lambda: -1, lambda: 2.5, lambda: None, lambda: [1.5, 1.5],
              lambda: [True, 2], lambda: mtf.constant(3), lambda: np.array([1, 2]),
              lambda: [], lambda: [2**63, 1], lambda: [1, 1, 1, 1], lambda: [-1, -1, 5],
              lambda: [[1, 2]], lambda: 2**63, lambda: True]

OUT_TYPE_GOOD = [lambda: mtf.int32, lambda: mtf.int64]
OUT_TYPE_BAD = [lambda: mtf.float32, lambda: None, lambda: "int32", lambda: "foo",
                lambda: object, lambda: np.uint8, lambda: 3]

SCALAR_GOOD = [lambda: 0.0, lambda: 1.0, lambda: 3, lambda: mtf.constant(2.0)]
SCALAR_BAD = [lambda: float("nan"), lambda: float("inf"), lambda: None, lambda: "1",
              lambda: [1.0, 2.0], lambda: np.array([1.0]), lambda: True, lambda: 1e300,
              lambda: mtf.constant(1, mtf.int64), lambda: -5, lambda: 1e10, lambda: 2**70,
              lambda: np.float64(0.5), lambda: mtf.constant([0.5]), lambda: 0.1,
              lambda: np.int64(4), lambda: 1j, lambda: np.float16(2)]

LABELS_GOOD = [lambda: np.full((2, 3), 1 / 3, np.float32), lambda: mtf.constant((_X23 > 0).astype(np.float32))]
SPARSE_LABELS_GOOD = [lambda: np.array([0, 2], np.int32), lambda: [1, 1]]
SPARSE_LABELS_BAD = [lambda: [3, 0], lambda: [-1, 0], lambda: [0.0, 1.0], lambda: [0],
                     lambda: np.array([0, 1], np.uint8), lambda: [[0, 1]], lambda: 0]

KINDS = {
    "tensor": (TENSOR_GOOD, TENSOR_EDGE),
    "float": (FLOAT_GOOD, TENSOR_EDGE),
    "ints": (INT_GOOD, INT_BAD + TENSOR_EDGE[:12]),
    "bools": (BOOL_GOOD, TENSOR_EDGE),
    "image": (IMAGE_GOOD, IMAGE_BAD),
    "filters": (FILTER_GOOD, FILTER_BAD),
    "axis": (AXIS_GOOD, AXIS_BAD),
    "shape": (SHAPE_GOOD, SHAPE_BAD),
    "number": (NUM_GOOD, NUM_BAD),
    "int": (INT_ARG_GOOD, INT_ARG_BAD),
    "flag": (FLAG_GOOD, FLAG_BAD),
    "dtype": (DTYPE_GOOD, DTYPE_BAD),
    "seed": (SEED_GOOD, SEED_BAD),
    "window": (WINDOW_GOOD, WINDOW_BAD),
    "padding": (PADDING_GOOD, PADDING_BAD),
    "format": (FORMAT_GOOD, FORMAT_BAD),
    "list": (LIST_GOOD, LIST_BAD),
    "equation": (EQUATION_GOOD, EQUATION_BAD),
    "ord": (ORD_GOOD, ORD_BAD),
    "paddings": (PADDINGS_GOOD, PADDINGS_BAD),
    "mode": (MODE_GOOD, MODE_BAD),
    "perm": (PERM_GOOD, PERM_BAD),
    "splits": (SPLITS_GOOD, SPLITS_BAD),
    "out_type": (OUT_TYPE_GOOD, OUT_TYPE_BAD),
    "scalar": (SCALAR_GOOD, SCALAR_BAD),
    "labels": (LABELS_GOOD, TENSOR_EDGE),
    "sparse_labels": (SPARSE_LABELS_GOOD, SPARSE_LABELS_BAD),
}
