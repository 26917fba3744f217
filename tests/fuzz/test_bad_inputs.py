"""Bad-input fuzzer: every public op and constructor called with wrong arguments.

Each call must either work, returning values of minitf's dtypes, or raise
TypeError, ValueError, IndexError, RuntimeError or ZeroDivisionError whose
message names the op. It must never let a numba error, a bare numpy/Python
error or a RuntimeWarning out, and must change no Variable and no input array.

Arguments come from the pools of ``_bad_values`` (wrong kinds, shapes, axes,
dtypes including big-endian, NaN/Inf, empty, 0-d, read-only, non-contiguous).
``MINITF_FUZZ_CALLS`` calls in all (default 5000, ``make fuzz`` 100000),
spread over the ops, with a fixed seed per op (``MINITF_FUZZ_SEED`` picks another
fixed seed, to explore).
"""
import importlib
import inspect
import os
import pathlib
import warnings
import zlib

import numpy as np
import pytest

import minitf as mtf
import _bad_values as _pools
from _bad_values import JUNK, KINDS

CALLS = int(os.environ.get("MINITF_FUZZ_CALLS", "5000"))
SEED = int(os.environ.get("MINITF_FUZZ_SEED", "2024"))
ALLOWED = (TypeError, ValueError, IndexError, RuntimeError, ZeroDivisionError)
DTYPES = {np.dtype(d) for d in ("float16", "float32", "float64", "int32", "int64", "bool")}

_UNARY = dict(x="tensor")
_BINARY = dict(x="tensor", y="tensor")
_REDUCE = dict(input_tensor="tensor", axis="axis", keepdims="flag")
_POOL = dict(input="image", ksize="window", strides="window", padding="padding",
             data_format="format")
_RANDOM = dict(shape="shape", mean="number", stddev="number", dtype="dtype", seed="seed")

# Public op or constructor name -> {parameter: kind of _bad_values.KINDS}.
TABLE = {
    **{name: _UNARY for name in (
        "abs", "ceil", "cos", "erf", "exp", "expm1", "floor", "log", "log1p", "negative",
        "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin", "softplus", "sqrt",
        "square", "tan", "tanh")},
    **{name: _BINARY for name in (
        "add", "subtract", "multiply", "divide", "pow", "maximum", "minimum", "mod",
        "floordiv", "squared_difference", "equal", "not_equal", "less", "less_equal",
        "greater", "greater_equal")},
    "TensorSpec": dict(shape="shape", dtype="dtype"),
    "logical_and": dict(x="bools", y="bools"),
    "logical_or": dict(x="bools", y="bools"),
    "logical_not": dict(x="bools"),
    "identity": dict(input="tensor"),
    "stop_gradient": dict(input="tensor"),
    "zeros_like": dict(input="tensor", dtype="dtype"),
    "ones_like": dict(input="tensor", dtype="dtype"),
    "rank": dict(input="tensor"),
    "size": dict(input="tensor", out_type="out_type"),
    "shape": dict(input="tensor", out_type="out_type"),
    "where": dict(condition="bools", x="tensor", y="tensor"),
    "cast": dict(x="tensor", dtype="dtype"),
    "clip_by_value": dict(t="tensor", clip_value_min="scalar", clip_value_max="scalar"),
    **{name: _REDUCE for name in (
        "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
        "reduce_logsumexp", "reduce_variance", "reduce_std")},
    "argmax": dict(input="tensor", axis="axis", output_type="out_type"),
    "argmin": dict(input="tensor", axis="axis", output_type="out_type"),
    "broadcast_to": dict(input="tensor", shape="shape"),
    "reshape": dict(tensor="tensor", shape="shape"),
    "tile": dict(input="tensor", multiples="shape"),
    "transpose": dict(a="tensor", perm="perm", conjugate="flag"),
    "expand_dims": dict(input="tensor", axis="axis"),
    "squeeze": dict(input="tensor", axis="axis"),
    "concat": dict(values="list", axis="axis"),
    "stack": dict(values="list", axis="axis"),
    "unstack": dict(value="tensor", num="int", axis="axis"),
    "split": dict(value="tensor", num_or_size_splits="splits", axis="axis", num="int"),
    "pad": dict(tensor="tensor", paddings="paddings", mode="mode", constant_values="scalar"),
    "boolean_mask": dict(tensor="tensor", mask="bools", axis="axis"),
    "gather": dict(params="tensor", indices="ints", axis="axis", batch_dims="int"),
    "gather_nd": dict(params="tensor", indices="ints", batch_dims="int"),
    "eye": dict(num_rows="int", num_columns="int", batch_shape="shape", dtype="dtype"),
    "fill": dict(dims="shape", value="scalar"),
    "linspace": dict(start="scalar", stop="scalar", num="int", axis="axis"),
    "one_hot": dict(indices="ints", depth="int", on_value="scalar", off_value="scalar",
                    axis="axis", dtype="dtype"),
    "ones": dict(shape="shape", dtype="dtype"),
    "zeros": dict(shape="shape", dtype="dtype"),
    "range": dict(start="range", limit="range", delta="range", dtype="dtype"),
    "einsum": dict(equation="equation", inputs="list"),
    "matmul": dict(a="tensor", b="tensor", transpose_a="flag", transpose_b="flag",
                   adjoint_a="flag", adjoint_b="flag", output_type="dtype"),
    "norm": dict(tensor="float", ord="ord", axis="axis", keepdims="flag"),
    "tensordot": dict(a="tensor", b="tensor", axes="axis"),
    "clip_by_global_norm": dict(t_list="list", clip_norm="number", use_norm="number"),
    "clip_by_norm": dict(t="float", clip_norm="number", axes="axis"),
    "global_norm": dict(t_list="list"),
    "constant": dict(value="tensor", dtype="dtype", shape="shape"),
    "convert_to_tensor": dict(value="tensor", dtype="dtype", dtype_hint="dtype"),
    "Tensor": dict(value="tensor", dtype="dtype"),
    "Variable": dict(initial_value="tensor", trainable="flag", dtype="dtype"),
    "IndexedSlices": dict(values="tensor", indices="ints", dense_shape="shape"),
    "GradientTape": dict(persistent="flag", watch_accessed_variables="flag"),
    # mtf.nn
    "avg_pool2d": _POOL,
    "max_pool2d": _POOL,
    "conv2d": dict(input="image", filters="filters", strides="window", padding="padding",
                   data_format="format", dilations="window"),
    "dropout": dict(x="float", rate="number", noise_shape="shape", seed="seed"),
    "elu": dict(features="tensor"),
    "relu": dict(features="tensor"),
    "selu": dict(features="tensor"),
    "gelu": dict(features="tensor", approximate="flag"),
    "leaky_relu": dict(features="tensor", alpha="number"),
    "l2_loss": dict(t="tensor"),
    "softmax": dict(logits="tensor", axis="axis"),
    "log_softmax": dict(logits="tensor", axis="axis"),
    "moments": dict(x="float", axes="axis", keepdims="flag"),
    "sigmoid_cross_entropy_with_logits": dict(labels="labels", logits="float"),
    "softmax_cross_entropy_with_logits": dict(labels="labels", logits="float", axis="axis"),
    "sparse_softmax_cross_entropy_with_logits": dict(labels="sparse_labels", logits="float"),
    # mtf.random
    "normal": _RANDOM,
    "truncated_normal": _RANDOM,
    "uniform": dict(shape="shape", minval="number", maxval="number", dtype="dtype",
                    seed="seed"),
    "set_seed": dict(seed="seed"),
}

# Public callables that are not ops, with the reason.
NOT_OPS = {
    "Module": "a base class to subclass; its constructor only names it",
    "UnconnectedGradients": "an enum",
    "name_scope": "a context manager over a name string",
    "custom_gradient": "a decorator of user functions",
    "function": "a decorator of user functions (tests/function/)",
    "cond": "takes user callables; its argument errors: tests/function/test_control_flow.py",
    "while_loop": "takes user callables; its argument errors: "
                  "tests/function/test_control_flow.py",
    "print": "prints any value; its argument errors: tests/function/test_tracing.py",
}

# Each research-op area lists its entries (and its callables that are not ops, with the
# reason) in its own _bad_inputs_<area>.py.
for _path in sorted(pathlib.Path(__file__).parent.glob("_bad_inputs_*.py")):
    _area = importlib.import_module(_path.stem)
    TABLE.update(_area.ENTRIES)
    NOT_OPS.update(getattr(_area, "NOT_OPS", {}))

# The pools for range's arguments are its own: any other number could ask for
# billions of elements (a legal but enormous request).
_RANGE_GOOD = [lambda: 0, lambda: 5, lambda: 1, lambda: 2.5, lambda: 0.1]
_RANGE_BAD = [lambda: -3, lambda: float("nan"), lambda: float("inf"), lambda: None,
              lambda: "1", lambda: [1], lambda: True, lambda: 1e300, lambda: np.int64(4),
              lambda: mtf.constant(3), lambda: mtf.constant(2.0, mtf.float64), lambda: 2**70,
              lambda: np.float16(1.5), lambda: mtf.constant([1, 2]), lambda: 0.0, lambda: -0.5,
              lambda: np.array(3, np.uint8), lambda: 1j]
KINDS = dict(KINDS, range=(_RANGE_GOOD, _RANGE_BAD))


def public_names():
    """Every public callable of mtf, mtf.nn, mtf.math, mtf.random (and mtf.linalg)."""
    found = {}
    for space in ("", "nn", "math", "random", "linalg"):
        module = getattr(mtf, space, None) if space else mtf
        if module is None:
            continue
        for name in dir(module):
            value = getattr(module, name)
            if name.startswith("_") or not callable(value) or inspect.ismodule(value):
                continue
            found.setdefault(name, value)
    return found


PUBLIC = public_names()


def test_the_table_covers_every_public_op():
    missing = sorted(set(PUBLIC) - set(TABLE) - set(NOT_OPS))
    assert not missing, f"ops without a fuzz entry: {missing}"
    assert not set(TABLE) - set(PUBLIC), sorted(set(TABLE) - set(PUBLIC))


@pytest.mark.parametrize("name", sorted(TABLE))
def test_table_parameters_exist(name):
    params = inspect.signature(PUBLIC[name]).parameters
    assert set(TABLE[name]) <= set(params), (name, set(TABLE[name]) - set(params))


def test_the_run_makes_at_least_the_requested_calls():
    assert sum(_share(name) for name in TABLE) >= CALLS


def _share(name):
    """This op's number of calls: CALLS spread by the number of fuzzed parameters."""
    total = sum(len(spec) for spec in TABLE.values())
    return max(10, -(-CALLS * len(TABLE[name]) // total))


def _pick(rng, pool):
    """A fresh value from a pool of factories."""
    return pool[rng.integers(len(pool))]()


def _arguments(rng, spec):
    """Keyword arguments: each good, wrong (bad pool or junk) or left out."""
    p_bad = min(0.6, 1.5 / len(spec))
    kwargs = {}
    for param, kind in spec.items():
        good, bad = KINDS[kind]
        r = rng.random()
        if r < p_bad:
            kwargs[param] = _pick(rng, bad if rng.random() < 0.85 else JUNK)
        elif r < p_bad + 0.1 and len(kwargs):
            continue
        else:
            kwargs[param] = _pick(rng, good)
    return kwargs


def _leaves(value, depth=0):
    """Arrays, Tensors and Variables inside an argument (lists, tuples, dicts)."""
    if isinstance(value, (list, tuple)) and depth < 3:
        for v in value:
            yield from _leaves(v, depth + 1)
    elif isinstance(value, dict) and depth < 3:
        for v in value.values():
            yield from _leaves(v, depth + 1)
    elif isinstance(value, mtf.IndexedSlices):
        yield from _leaves([value.values, value.indices], depth + 1)
    elif isinstance(value, (np.ndarray, mtf.Tensor, mtf.Variable)):
        yield value


def _snapshot(kwargs):
    """(object, copy of its value, dtype, shape) for every array-like argument."""
    out = []
    for leaf in _leaves(list(kwargs.values())):
        array = leaf if isinstance(leaf, np.ndarray) else leaf._value
        out.append((leaf, np.array(array, copy=True), array.dtype, array.shape))
    return out


def _unchanged(snapshot):
    """Descriptions of the arguments whose value, dtype or shape changed in the call."""
    changed = []
    for leaf, before, dtype, shape in snapshot:
        now = leaf if isinstance(leaf, np.ndarray) else leaf._value
        same = now.dtype == dtype and now.shape == shape and (
            before.dtype.kind in "OUSMm" or np.array_equal(now, before, equal_nan=True))
        if not same:
            changed.append(_describe(leaf))
    return changed


def _outputs(result, depth=0):
    """Every Tensor/Variable in a result (lists, tuples, IndexedSlices)."""
    if isinstance(result, (list, tuple)) and depth < 3:
        for r in result:
            yield from _outputs(r, depth + 1)
    elif isinstance(result, mtf.IndexedSlices):
        yield from _outputs([result.values, result.indices], depth + 1)
    elif isinstance(result, (mtf.Tensor, mtf.Variable)):
        yield result


def _describe(value):
    """A short repr for failure reports."""
    if isinstance(value, (mtf.Tensor, mtf.Variable)):
        return f"{type(value).__name__}({value._value.dtype.str}, {np.shape(value._value)})"
    if isinstance(value, np.ndarray):
        flags = "" if value.flags.writeable else " read-only"
        flags += "" if value.flags.c_contiguous else " strided"
        return f"ndarray({value.dtype.str}, {value.shape}{flags})"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_describe(v) for v in value[:4])
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _check_call(name, fn, kwargs):
    """None if the call behaved, else a one-line description of what went wrong."""
    snapshot = _snapshot(kwargs)
    args = ()
    if name == "einsum":
        inputs = kwargs.pop("inputs", [])
        args = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
        kwargs = dict(kwargs, equation=kwargs.get("equation", "ij->ji"))
        args, kwargs = (kwargs.pop("equation"),) + args, kwargs
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
            problem = _check_result(result)
        except ALLOWED as e:
            problem = _check_error(name, e)
        except Exception as e:  # noqa: BLE001 - anything else is the finding
            problem = f"{type(e).__module__}.{type(e).__name__}: {_first_line(e)}"
    if problem is None:
        leaks = [w for w in caught if issubclass(w.category, (RuntimeWarning,))
                 or "numpy" in str(w.filename)]
        if leaks:
            problem = f"warning {leaks[0].category.__name__}: {leaks[0].message}"
    changed = _unchanged(snapshot)
    if problem is None and changed:
        problem = f"changed its inputs {changed}"
    return problem


def _first_line(error):
    text = str(error).strip().splitlines()
    return text[0][:160] if text else ""


def _check_error(name, error):
    module = type(error).__module__
    if module.startswith(("numpy", "numba")):
        return f"{module}.{type(error).__name__}: {_first_line(error)}"
    if name not in str(error):
        return f"{type(error).__name__} without the op name: {_first_line(error)}"
    if "nopython" in str(error) or "numba" in str(error).lower():
        return f"numba error: {_first_line(error)}"
    return None


def _check_result(result):
    for out in _outputs(result):
        value = out._value
        if not isinstance(value, (np.ndarray, np.generic)):
            return f"result holds a {type(value).__name__}, not a numpy value"
        if value.dtype not in DTYPES or not value.dtype.isnative:
            return f"result of dtype {value.dtype.str} (not a minitf dtype)"
    return None


@pytest.mark.parametrize("name", sorted(TABLE))
def test_bad_inputs(name):
    fn, spec = PUBLIC[name], TABLE[name]
    rng = np.random.default_rng([zlib.crc32(name.encode()), SEED])
    findings = {}
    state = np.random.get_state()
    try:
        for _ in range(_share(name)):
            kwargs = _arguments(rng, spec)
            shown = {k: _describe(v) for k, v in kwargs.items()}
            problem = _check_call(name, fn, kwargs)
            if problem is not None:
                findings.setdefault(problem, shown)
    finally:
        np.random.set_state(state)
        mtf.random.set_seed(None)
    report = "\n".join(f"  {problem}\n      with {args}" for problem, args in findings.items())
    assert not findings, f"{name}: {len(findings)} kind(s) of bad behaviour:\n{report}"


KEYS = [*_pools.AXIS_GOOD, *_pools.AXIS_BAD, *_pools.SHAPE_BAD, *_pools.INT_BAD, *JUNK,
        lambda: slice(0, "a"), lambda: (Ellipsis, Ellipsis), lambda: (0, 0, 0),
        lambda: [[0, 1], [2]], lambda: np.array([True]), lambda: (slice(None), [0, 2]),
        lambda: (None, Ellipsis, 1), lambda: np.array([[0, 1]]), lambda: [True, False]]


@pytest.mark.parametrize("holder", ["Tensor", "Variable", "empty"])
def test_getitem_bad_keys(holder):
    """``x[key]`` (the ``getitem`` op) with every key of the pools, one at a time."""
    findings = {}
    for make_key in KEYS:
        value = np.zeros((0, 3), np.float32) if holder == "empty" else _pools._X23
        x = mtf.Variable(value) if holder == "Variable" else mtf.constant(value)
        key = make_key()
        problem = _check_call("getitem", lambda key: x[key], {"key": key})
        if problem is not None:
            findings.setdefault(problem, _describe(key))
    assert not findings, findings

