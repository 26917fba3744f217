"""Matrix structure ops under their ``tf.linalg`` names: band_part, trace, diag_part, diag.

Each takes a batch of matrices (the last two axes; leading axes are a batch) of any
dtype TensorFlow allows. They are linear, so their gradients are each other:
diag_part's is diag, diag's is diag_part, band_part's is band_part.
"""
import numpy as np

from . import _validate as check
from ._arith import quiet_apply
from ._dispatch import wrap_constant
from .elementwise import multiply
from .shape import expand_dims


def _matrices(op, x, what="input"):
    """``x`` as a Tensor of rank >= 2."""
    x = check.tensor(op, x, what)
    if x.ndim < 2:
        raise ValueError(f"{op}: {what} must have rank >= 2 (a batch of matrices), got "
                         f"shape {x.shape}. {check.received(what, x)}")
    return x


# ---------------------------------------------------------------- band_part

def band_part(input, num_lower, num_upper, name=None):
    """Keep ``num_lower`` subdiagonals and ``num_upper`` superdiagonals (negative: all).

    >>> mtf.linalg.band_part(mtf.ones((3, 3)), -1, 0).numpy().astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    op = "band_part"
    x = _matrices(op, input)
    m, n = x.shape[-2:]
    lower = check.integer(op, "num_lower", num_lower)
    upper = check.integer(op, "num_upper", num_upper)
    if lower > m:
        raise ValueError(f"{op}: num_lower must be negative or at most the number of rows "
                         f"({m}) of input of shape {x.shape}. Received: num_lower={lower}")
    if upper > n:
        raise ValueError(f"{op}: num_upper must be negative or at most the number of "
                         f"columns ({n}) of input of shape {x.shape}. "
                         f"Received: num_upper={upper}")
    return _banded(x, _band_mask(m, n, lower, upper), name)


def _band_mask(m, n, lower, upper):
    """The [m, n] bool mask of the band (a negative bound keeps its whole triangle)."""
    offset = np.arange(n)[None, :] - np.arange(m)[:, None]      # column - row
    keep = np.ones((m, n), bool)
    if lower >= 0:
        keep &= offset >= -lower
    if upper >= 0:
        keep &= offset <= upper
    return keep


def _banded(x, mask, label=None):
    """``x`` with the entries outside ``mask`` set to zero (no argument checks)."""
    def grad(g, _):
        return (_banded(g, mask),)
    return quiet_apply("band_part", lambda v: np.where(mask, v, np.zeros((), v.dtype)),
                       (x,), grad, saves=False, label=label)


# ---------------------------------------------------------------- trace

def trace(x, name=None):
    """Sum of the main diagonal of each matrix (non-square allowed).

    >>> mtf.linalg.trace([[1.0, 2.0], [3.0, 4.0]]).numpy().item()
    5.0
    """
    op = "trace"
    x = _matrices(op, x, "x")
    if x.dtype.kind == "b":
        raise TypeError(f"{op}: bool input of shape {x.shape} is not supported; cast it "
                        f"with mtf.cast(x, mtf.int32) first.")
    m, n = x.shape[-2:]
    eye = wrap_constant(np.eye(m, n, dtype=x.dtype))

    def grad(g, _):
        return (multiply(expand_dims(expand_dims(g, -1), -1), eye),)
    return quiet_apply(op, lambda v: np.asarray(np.trace(v, 0, -2, -1, dtype=v.dtype)),
                       (x,), grad, saves=False, label=name)


# ---------------------------------------------------------------- diag_part / diag
# A range k=(lo, hi) stacks diagonals hi down to lo, each padded to the longest with
# TensorFlow's default alignment RIGHT_LEFT: superdiagonals to the right, the main
# diagonal and subdiagonals to the left.

def _offsets(op, k):
    """``k`` (an int, or one or two ints) as (lo, hi, one diagonal only)."""
    if type(k) in (list, tuple) or getattr(k, "ndim", 0) == 1:
        items = list(check.static_value(k) if hasattr(k, "_value") else k)
        if len(items) not in (1, 2):
            raise ValueError(f"{op}: k must be an int or a pair of ints (lo, hi). "
                             f"{check.received('k', k)}")
        lo, hi = (check.integer(op, "k", item) for item in (items * 2)[-2:])
        if lo > hi:
            raise ValueError(f"{op}: k=(lo, hi) needs lo <= hi. {check.received('k', k)}")
        return lo, hi, lo == hi
    k = check.integer(op, "k", k)
    return k, k, True


def _alignment(op, align):
    """Only TensorFlow's default alignment RIGHT_LEFT is implemented."""
    if align == "RIGHT_LEFT":
        return
    if align in ("LEFT_RIGHT", "LEFT_LEFT", "RIGHT_RIGHT"):
        raise NotImplementedError(f"{op}: only align='RIGHT_LEFT' (the default) is "
                                  f"implemented. Received: align={align!r}")
    raise ValueError(f"{op}: align must be 'RIGHT_LEFT', 'LEFT_RIGHT', 'LEFT_LEFT' or "
                     f"'RIGHT_RIGHT'. Received: align={align!r}")


def _check_in(op, lo, hi, m, n):
    """Each bound of k must be 0 or in (-m, n), for diagonals of m x n matrices."""
    for k in {lo, hi}:
        if k != 0 and not -m < k < n:
            raise ValueError(f"{op}: k must be 0 or in ({-m}, {n}) for matrices with {m} "
                             f"rows and {n} columns. Received: k={k}")


def _index(m, n, lo, hi, length):
    """(rows, cols, filled): the matrix position of every entry of the [hi - lo + 1,
    length] stack of diagonals that lies inside m x n matrices, and where those are."""
    d = hi - np.arange(hi - lo + 1)[:, None]
    i = np.arange(length)[None, :]
    shift = np.where(d > 0, length - np.minimum(n - np.maximum(d, 0), m + np.minimum(d, 0)),
                     0)
    rows, cols = i + np.maximum(-d, 0) - shift, i + np.maximum(d, 0) - shift
    filled = (rows >= 0) & (rows < m) & (cols >= 0) & (cols < n)
    return rows[filled], cols[filled], filled


def _padding(op, value, dtype):
    """``padding_value`` as a 0-d array of ``dtype`` (a float for an int input raises)."""
    if type(value) in (int, float, bool):
        if type(value) is float and dtype.kind != "f":
            raise TypeError(f"{op}: padding_value {value!r} is a float but the input has "
                            f"dtype {dtype}. Received: padding_value={value!r}")
        if type(value) is int and not _fits(value, dtype):
            raise ValueError(f"{op}: padding_value {value} does not fit dtype {dtype}. "
                             f"Received: padding_value={value!r}")
        with np.errstate(all="ignore"):
            return np.array(value).astype(dtype)
    t = check.tensor(op, value, "padding_value")
    if t.ndim != 0 or t.dtype != dtype:
        raise TypeError(f"{op}: padding_value must be a scalar of the input's dtype "
                        f"{dtype}, got dtype {t.dtype} and shape {t.shape}. "
                        f"{check.received('padding_value', value)}")
    return np.array(check.static_value(t, "float"))


def _fits(number, dtype):
    """Whether the Python int ``number`` is in the range of ``dtype``."""
    if dtype.kind in "iu":
        return int(np.iinfo(dtype).min) <= number <= int(np.iinfo(dtype).max)
    return dtype.kind == "b" or abs(number) <= float(np.finfo(dtype).max)


def diag_part(input, name=None, k=0, padding_value=0, align="RIGHT_LEFT"):
    """Diagonal ``k`` of each matrix (0 main, > 0 above, < 0 below), or a stack for
    ``k=(lo, hi)`` (padded with ``padding_value``).

    >>> mtf.linalg.diag_part([[1, 2], [3, 4]], k=1).numpy().tolist()
    [2]
    """
    op = "diag_part"
    x = _matrices(op, input)
    m, n = x.shape[-2:]
    lo, hi, single = _offsets(op, k)
    _check_in(op, lo, hi, m, n)
    _alignment(op, align)
    pad = _padding(op, padding_value, x.dtype)
    return _diagonals(x, lo, hi, single, pad, name)


def _diagonals(x, lo, hi, single, pad, label=None):
    """diag_part without argument checks (diag's gradient)."""
    m, n = x.shape[-2:]
    length = max(0, min(m + min(hi, 0), n - max(lo, 0)))
    rows, cols, filled = _index(m, n, lo, hi, length)

    def take(v):
        out = np.full(v.shape[:-2] + filled.shape, pad, v.dtype)
        out[..., filled] = v[..., rows, cols]
        return out.reshape(v.shape[:-2] + (length,)) if single else out

    def grad(g, _):
        return (_embedded(g, lo, hi, single, m, n, np.zeros((), g.dtype)),)
    return quiet_apply("diag_part", take, (x,), grad, saves=False, label=label)


def diag(diagonal, name=None, k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """Matrices with ``diagonal`` on diagonal ``k`` (a stack of them for ``k=(lo, hi)``)
    and ``padding_value`` elsewhere.

    >>> mtf.linalg.diag([1, 2], k=1).numpy().tolist()
    [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    """
    op = "diag"
    d = check.tensor(op, diagonal, "diagonal")
    lo, hi, single = _offsets(op, k)
    _alignment(op, align)
    if d.ndim < (1 if single else 2) or not single and d.shape[-2] != hi - lo + 1:
        need = "rank >= 1" if single else f"rank >= 2 and {hi - lo + 1} diagonals (axis -2)"
        raise ValueError(f"{op}: diagonal of shape {d.shape} does not fit k=({lo}, {hi}): "
                         f"it needs {need}. {check.received('diagonal', diagonal)}")
    rows = check.integer(op, "num_rows", num_rows, low=-1)
    cols = check.integer(op, "num_cols", num_cols, low=-1)
    rows, cols = _diag_size(op, d.shape[-1], lo, hi, rows, cols)
    batch = d.shape[:-1] if single else d.shape[:-2]
    check.shape(op, batch + (rows, cols), "output shape")
    return _embedded(d, lo, hi, single, rows, cols, _padding(op, padding_value, d.dtype), name)


def _diag_size(op, length, lo, hi, rows, cols):
    """(rows, cols) of diag's matrices, inferred where -1 as TensorFlow does."""
    min_rows, min_cols = length - min(hi, 0), length + max(lo, 0)
    if rows == -1 and cols == -1:
        rows = cols = max(min_rows, min_cols)
    rows = min_rows if rows == -1 else rows
    cols = min_cols if cols == -1 else cols
    if rows < min_rows or cols < min_cols or (rows != min_rows and cols != min_cols):
        raise ValueError(f"{op}: num_rows={rows} and num_cols={cols} do not fit diagonals "
                         f"of length {length} at k=({lo}, {hi}) (need num_rows >= {min_rows} "
                         f"and num_cols >= {min_cols}, one of them equal).")
    return rows, cols


def _embedded(d, lo, hi, single, rows, cols, pad, label=None):
    """diag without argument checks (diag_part's gradient)."""
    r, c, filled = _index(rows, cols, lo, hi, d.shape[-1])

    def fill(v):
        batch = v.shape[:-1] if single else v.shape[:-2]
        out = np.full(batch + (rows, cols), pad, v.dtype)
        out[..., r, c] = v if single else v[..., filled]
        return out

    def grad(g, _):
        return (_diagonals(g, lo, hi, single, np.zeros((), g.dtype)),)
    return quiet_apply("diag", fill, (d,), grad, saves=False, label=label)
