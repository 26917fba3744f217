"""Testing helpers: compare tape gradients with central finite differences."""
import numpy as np

from . import _nest
from .ops import reduce_sum, multiply
from .ops._dispatch import TENSOR_TYPES, wrap
from .tape import GradientTape

__all__ = ["GradientCheckError", "check_gradients"]

# Per dtype: (finite-difference step, rtol, atol). A central difference with
# step h errs by about h**2 * |f3| / 6 (f3: the third derivative) plus the
# rounding of the outputs divided by h, so float32 and float16 cannot resolve
# much more than eps**(2/3) of the scale (about 1e-5 and 1e-2); float64 stays
# strict. The rounding is also allowed for explicitly (``_ROUNDING_ULPS``).
_DEFAULTS = {
    np.dtype(np.float64): (1e-6, 1e-5, 1e-6),
    np.dtype(np.float32): (2.0 ** -9, 1e-3, 1e-3),
    np.dtype(np.float16): (2.0 ** -4, 5e-2, 5e-2),
}
_ROUNDING_ULPS = 4   # rounding allowed per output value that changed, in eps


class GradientCheckError(AssertionError):
    """Tape and finite-difference gradients differ beyond tolerance."""


def check_gradients(f, args, delta=None, rtol=None, atol=None, seed=0):
    """Check the tape gradients of ``f(*args)`` against central differences.

    ``f`` returns a Tensor (or nested Tensors); its outputs are projected on a
    fixed random direction so every output element is checked. Float arguments
    are checked. ``delta``, ``rtol`` and ``atol`` default by the coarsest
    precision among the argument and the outputs (float64: 1e-6, 1e-5, 1e-6;
    float32: 2**-9, 1e-3, 1e-3; float16: 2**-4, 5e-2, 5e-2); the bound also
    allows a few ulps of rounding in each output the step changed. Raises
    ``GradientCheckError`` naming the argument and the worst element.
    Returns the largest absolute difference seen.
    """
    args = [wrap(np.array(a._value if type(a) in TENSOR_TYPES else a))
            if _is_float(a) else a for a in args]
    rng = np.random.default_rng(seed)
    outputs = _nest.flatten(f(*args))
    weights = [rng.standard_normal(np.shape(o)) for o in outputs]
    with GradientTape(persistent=True) as tape:
        for a in args:
            if _is_float(a):
                tape.watch(a)
        value = _projected(f(*args), weights)
    worst = 0.0
    for i, a in enumerate(args):
        if _is_float(a):
            settings = _settings(a.dtype, outputs, delta, rtol, atol)
            worst = max(worst, _check_argument(f, args, i, tape.gradient(value, a),
                                               weights, settings))
    return worst


def _check_argument(f, args, i, analytic, weights, settings):
    """Compare argument ``i``'s tape gradient with central differences; the max error."""
    step, rtol, atol, eps = settings
    analytic = np.zeros(args[i].shape) if analytic is None else np.asarray(
        getattr(analytic, "_densify", lambda: analytic)(), dtype=np.float64)
    numeric, noise = _numeric_gradient(f, args, i, weights, step)
    for j in np.flatnonzero(np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
                            + _ROUNDING_ULPS * eps * noise):
        noise.reshape(-1)[j] = _difference(f, args, i, j, weights, step, probe=True)[1]
    bound = atol + rtol * np.abs(numeric) + _ROUNDING_ULPS * eps * noise
    return _compare(i, args[i], analytic, numeric, bound)


def _is_float(a):
    return np.asarray(a._value if type(a) in TENSOR_TYPES else a).dtype.kind == "f"


def _settings(dtype, outputs, delta, rtol, atol):
    """(step, rtol, atol, eps): given values, else the coarsest dtype's defaults."""
    floats = [dtype] + [d for d in (np.asarray(o).dtype for o in outputs) if d.kind == "f"]
    coarsest = max(floats, key=lambda d: np.finfo(d).eps)
    step, rel, abs_ = _DEFAULTS.get(coarsest, _DEFAULTS[np.dtype(np.float16)])
    return (step if delta is None else delta, rel if rtol is None else rtol,
            abs_ if atol is None else atol, float(np.finfo(coarsest).eps))


def _projected(outputs, weights):
    """sum(w * output) over every output: the scalar the tape differentiates."""
    total = 0.0
    for o, w in zip(_nest.flatten(outputs), weights):
        total = total + reduce_sum(multiply(o, wrap(w.astype(o.dtype))))
    return total


def _numeric_gradient(f, args, i, weights, step):
    """Central differences of the projection for argument ``i``, and their noise scale."""
    size = int(np.size(args[i]._value))
    pairs = [_difference(f, args, i, j, weights, step) for j in range(size)]
    shape = args[i].shape
    return (np.array([p[0] for p in pairs]).reshape(shape),
            np.array([p[1] for p in pairs]).reshape(shape))


def _difference(f, args, i, j, weights, step, probe=False):
    """(central difference, noise scale) for element ``j`` of argument ``i``.

    Outputs are differenced in float64 (the projection's sum adds no rounding)
    and divided by the step actually taken. The noise scale is
    sum(|w| * (|f(x+h)| + |f(x-h)|)) / step over the outputs that depend on
    the element: one eps of rounding in each shifts the difference that much.
    Without ``probe`` those are the outputs that changed; with it, also those
    that change for a 64 times larger step (a change under one ulp is lost).
    """
    base = np.array(args[i]._value, dtype=args[i].dtype).reshape(-1)
    plus, minus = base.copy(), base.copy()
    plus[j] += step
    minus[j] -= step
    taken = float(plus[j]) - float(minus[j])
    if taken == 0:
        raise ValueError(f"check_gradients: delta={step!r} is below the resolution of "
                         f"argument {i} ({base.dtype}) at value {base[j]!r}; pass a "
                         f"larger delta.")
    up = _outputs_at(f, args, i, plus)
    down = _outputs_at(f, args, i, minus)
    if probe:
        far = base.copy()
        far[j] += 64 * step
        further = _outputs_at(f, args, i, far)
        changed = [(u != d) | (v != d) for u, d, v in zip(up, down, further)]
    else:
        changed = [u != d for u, d in zip(up, down)]
    diff = sum(float(np.sum(w * (u - d))) for w, u, d in zip(weights, up, down))
    noise = sum(float(np.sum(np.abs(w) * (np.abs(u) + np.abs(d)) * c))
                for w, u, d, c in zip(weights, up, down, changed))
    return diff / taken, noise / taken


def _outputs_at(f, args, i, flat):
    """The outputs of ``f`` with argument ``i`` set to ``flat``, as float64 arrays."""
    trial = list(args)
    trial[i] = wrap(flat.reshape(args[i].shape))
    return [np.asarray(o._value if type(o) in TENSOR_TYPES else o, dtype=np.float64)
            for o in _nest.flatten(f(*trial))]


def _compare(i, a, analytic, numeric, bound):
    """The largest |analytic - numeric|; raise where it exceeds ``bound``."""
    if analytic.shape != numeric.shape:
        raise GradientCheckError(f"argument {i}: gradient shape {analytic.shape} != "
                                 f"argument shape {numeric.shape}")
    err = np.abs(analytic - numeric)
    excess = np.where(np.isnan(err), np.inf, err - bound)  # a NaN never passes
    if err.size and (excess > 0).any():
        k = np.unravel_index(np.argmax(excess), err.shape)
        raise GradientCheckError(
            f"argument {i} (shape {a.shape}, {a.dtype}): gradients differ at index "
            f"{tuple(int(n) for n in k)}: tape {float(analytic[k])!r}, finite "
            f"difference {float(numeric[k])!r} (|diff| {float(err[k]):.3g} > "
            f"{float(bound[k]):.3g})")
    return float(err.max()) if err.size else 0.0
