"""Ops over a list of tensors of one shape and dtype: add_n."""
import numpy as np

from . import _validate as check
from ._arith import quiet_apply


def add_n(inputs, name=None):
    """Elementwise sum of a list of tensors of one shape and dtype.

    >>> mtf.add_n([[1, 2], [3, 4], [5, 6]]).numpy().tolist()
    [9, 12]
    """
    xs = _same_tensors("add_n", inputs)

    def grad(g, needs):
        return tuple(g if need else None for need in needs)
    return quiet_apply("add_n", _sum_all, tuple(xs), grad, saves=False, label=name)


def _sum_all(*arrays):
    """The sum of ``arrays`` in order, in a new array of their dtype."""
    out = np.array(arrays[0], copy=True)
    for a in arrays[1:]:
        out = np.add(out, a, dtype=out.dtype)
    return out


def _same_tensors(op, inputs):
    """``inputs`` as a non-empty list of number Tensors of one shape and dtype."""
    values = check.tensor_list(op, inputs, "inputs")
    if not values:
        raise ValueError(f"{op}: inputs must hold at least one tensor. Received: inputs=[]")
    xs = [check.tensor(op, v, f"inputs[{i}]") for i, v in enumerate(values)]
    first = xs[0]
    if first.dtype.kind == "b":
        raise TypeError(f"{op}: bool tensors are not supported; cast them with "
                        f"mtf.cast(x, mtf.float32) first.")
    for i, x in enumerate(xs[1:], 1):
        if x.dtype != first.dtype:
            raise TypeError(f"{op}: inputs[{i}] has dtype {x.dtype} but inputs[0] has "
                            f"{first.dtype}; cast them to one dtype with mtf.cast.")
        if x.shape != first.shape:
            raise ValueError(f"{op}: inputs[{i}] has shape {x.shape} but inputs[0] has "
                             f"{first.shape}; add_n does not broadcast.")
    return xs
