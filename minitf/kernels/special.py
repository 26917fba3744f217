"""Special-function kernels: lgamma, digamma, polygamma (n >= 1) and erfinv.

Every kernel computes in float64 (float16/float32 inputs are widened and the
result cast back). lgamma calls the C library. digamma shifts its argument above
10 by its recurrence and sums the asymptotic series there; near its positive
root it sums a Taylor series about the root instead, so it stays accurate
relative to its tiny values. polygamma(n, x) = (-1)**(n+1) n! zeta(n+1, x),
the Hurwitz zeta by Euler-Maclaurin; negative x go through the reflection
formula. erfinv refines a rough guess by Halley steps on erf (erfc near +-1).
"""
import math

import numpy as np

from ._jit import helper, kernel


_TERMS = 14
# the Bernoulli numbers B_2, B_4, ..., B_28
_B2K = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
        43867 / 798, -174611 / 330, 854513 / 138, -236364091 / 2730, 8553103 / 6,
        -23749461029 / 870]
# zeta's Euler-Maclaurin terms: B_2k / (2k)!; digamma's asymptotic terms: B_2k / 2k
_ZETA_C = np.array([_B2K[k] / math.factorial(2 * k + 2) for k in range(_TERMS)])
_PSI_C = np.array([_B2K[k] / (2 * k + 2) for k in range(_TERMS)])
_SHIFT = 10.0
# digamma's positive root 1.46163214496836234126265954232572132846819620401 as hi + lo
_ROOT_HI, _ROOT_LO = 1.4616321449683622, 9.549995429965697e-17
_NEAR_ROOT = 0.25


@helper
def _steps(x):
    """How many unit steps take x > 0 to at least _SHIFT."""
    return int(math.ceil(_SHIFT - x)) if x < _SHIFT else 0


@helper
def _zeta(s, q):
    """Hurwitz zeta(s, q) = sum over k >= 0 of (q + k) ** -s, integer s >= 2, q > 0."""
    steps = _steps(q)
    total = 0.0
    for k in range(steps):
        total += (q + k) ** -s
    a = q + steps
    a2 = 1.0 / (a * a)
    total += a ** (1.0 - s) / (s - 1.0) + 0.5 * a ** -s
    term = s * a ** (-1.0 - s)             # s (s+1) ... (s+2k) a ** (-s-2k-1)
    for k in range(_TERMS):
        total += _ZETA_C[k] * term
        term *= (s + 2 * k + 1) * (s + 2 * k + 2) * a2
    return total


def _root_series(count):
    """Taylor coefficients of digamma about its positive root: (-1)**(k+1) zeta(k+1, r)."""
    root = _ROOT_HI + _ROOT_LO
    return np.array([(-1.0) ** (k + 1) * _zeta(float(k + 1), root) for k in range(1, count)])


_ROOT_C = _root_series(40)


@helper
def _cot_pi(x):
    """cot(pi x), the argument reduced exactly first (inf at the integers)."""
    r = x - np.floor(x)
    r = r - 1.0 if r > 0.5 else r
    sine = math.sin(math.pi * r)
    return math.cos(math.pi * r) / sine if sine != 0.0 else math.inf


@helper
def _digamma_near_root(d):
    """digamma(root + d) by its Taylor series about the positive root."""
    total, power = 0.0, d
    for k in range(_ROOT_C.size):
        total += _ROOT_C[k] * power
        power *= d
    return total


@helper
def _digamma_shifted(x):
    """digamma(x) for x > 0: the recurrence up to 10, then the asymptotic series."""
    steps = _steps(x)
    total = 0.0
    for k in range(steps):
        total -= 1.0 / (x + k)
    a = x + steps
    a2, power, series = 1.0 / (a * a), 1.0, 0.0
    for k in range(_TERMS):
        power *= a2
        series += _PSI_C[k] * power
    return total + math.log(a) - 0.5 / a - series


@helper
def _series_argument(x):
    """Where the positive-axis series are evaluated for x: x itself, 1 - x for
    negative x (the reflection formula), 1 where the answer needs no series."""
    finite = x - x == 0.0
    pole = x <= 0.0 and x == np.floor(x)
    return (x if x > 0.0 else 1.0 - x) if finite and not pole else 1.0


@helper
def _digamma_positive(t):
    """digamma(t) for t > 0 (both series run: no loop sits in a branch)."""
    d = (t - _ROOT_HI) - _ROOT_LO
    near = abs(d) < _NEAR_ROOT
    close = _digamma_near_root(d if near else 0.0)
    far = _digamma_shifted(t)
    return close if near else far


@helper
def _digamma_finish(x, positive):
    """digamma(x) given digamma at _series_argument(x)."""
    pole = x <= 0.0 and x == np.floor(x)
    if math.isnan(x) or x == -math.inf or pole:
        return math.nan
    if x == math.inf:
        return math.inf
    if x < 0.0:
        return positive - math.pi * _cot_pi(x)
    return positive


@helper
def _cot_polynomial(n):
    """Coefficients of P_n, where d^n/dx^n cot(pi x) = pi**n P_n(cot(pi x)):
    P_0(c) = c and P_(k+1)(c) = -(1 + c**2) P_k'(c)."""
    coeffs = np.zeros(n + 2)
    coeffs[1] = 1.0
    for k in range(n):                       # degree k + 1 -> k + 2
        prev = coeffs.copy()
        coeffs[:] = 0.0
        for j in range(1, k + 2):
            coeffs[j - 1] -= j * prev[j]
            coeffs[j + 1] -= j * prev[j]
    return coeffs


@helper
def _horner(coeffs, c):
    total = 0.0
    for j in range(coeffs.size - 1, -1, -1):
        total = total * c + coeffs[j]
    return total


@helper
def _polygamma_finish(n, x, zeta, cot_term):
    """polygamma(n, x) given zeta(n + 1, _series_argument(x)) and, for negative x,
    P_n(cot(pi x)) of the reflection formula."""
    sign = 1.0 if n % 2 == 1 else -1.0
    pole = x <= 0.0 and x == np.floor(x)
    if math.isnan(x) or x == -math.inf:
        return math.nan
    if pole:
        return math.inf if n % 2 == 1 else math.nan
    if x == math.inf:
        return 0.0 * sign
    scaled = math.gamma(n + 1.0) * zeta
    if x < 0.0:
        return -scaled - math.pi ** (n + 1) * cot_term
    return sign * scaled


@kernel
def _lgamma64(x):
    out = np.empty(x.size)
    for i in range(x.size):
        v = x[i]
        if v <= 0.0 and v == np.floor(v):
            out[i] = math.inf
        else:
            out[i] = math.lgamma(v)
    return out


@kernel
def _digamma64(x):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = _digamma_finish(x[i], _digamma_positive(_series_argument(x[i])))
    return out


@kernel
def _polygamma64(n, x):
    out = np.empty(x.size)
    coeffs = _cot_polynomial(n)
    for i in range(x.size):
        v = x[i]
        zeta = _zeta(n + 1.0, _series_argument(v))
        cot_term = _horner(coeffs, _cot_pi(v) if v < 0.0 else 0.0)
        out[i] = _polygamma_finish(n, v, zeta, cot_term)
    return out


_INV_D = math.sqrt(math.pi) / 2          # 1 / erf'(0)
_WINITZKI = 0.147


@helper
def _erfinv_guess(y):
    """erfinv(y) within about 2e-3, for 0 <= y < 1."""
    if y < 1e-3:
        return _INV_D * y * (1.0 + math.pi / 12.0 * y * y)
    log_term = math.log1p(-y) + math.log1p(y)
    t = 2.0 / (math.pi * _WINITZKI) + 0.5 * log_term
    return math.sqrt(math.sqrt(t * t - log_term / _WINITZKI) - t)


@helper
def _erfinv_one(y):
    if math.isnan(y) or abs(y) > 1.0:
        return math.nan
    a = abs(y)
    if a == 1.0:
        return math.copysign(math.inf, y)
    if a == 0.0:
        return y
    x, q = _erfinv_guess(a), 1.0 - a       # q is exact for a >= 0.5
    for _ in range(4):
        slope = math.exp(-x * x) / _INV_D
        residual = q - math.erfc(x) if a >= 0.5 else math.erf(x) - a
        u = residual / slope
        x -= u / (1.0 + x * u)
    return math.copysign(x, y)


@kernel
def _erfinv64(x):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = _erfinv_one(x[i])
    return out


def _wide(kernel_fn, x, *flags):
    """``kernel_fn(*flags, flat float64 x)`` reshaped and cast to x's dtype."""
    x = np.asarray(x)
    flat = np.ascontiguousarray(x, dtype=np.float64).reshape(-1)
    out = kernel_fn(*flags, flat).reshape(x.shape)
    if x.dtype == np.float64:
        return out
    with np.errstate(over="ignore"):
        return out.astype(x.dtype)


def lgamma(x):
    """log |Gamma(x)|, elementwise (inf at the poles)."""
    return _wide(_lgamma64, x)


def digamma(x):
    """The digamma function, elementwise (NaN at the poles)."""
    return _wide(_digamma64, x)


def polygamma(n, x):
    """The n-th derivative of digamma (n >= 1), elementwise."""
    return _wide(_polygamma64, x, np.int64(n))


def erfinv(x):
    """The inverse error function, elementwise."""
    return _wide(_erfinv64, x)
