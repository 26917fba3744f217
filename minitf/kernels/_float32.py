"""float32 exp, erf and the normal CDF as plain arithmetic, for kernel loops to vectorize.

numba compiles ``math.exp``/``math.erf`` to calls into the C library, one
element at a time (2-16 ns each here); these helpers are polynomials, one
comparison-free range reduction and a bit-built power of two, which LLVM turns
into SIMD code (no fastmath: every operation stays an IEEE one, evaluated in
the order written). Inputs and outputs are float32 scalars.

Accuracy, against exact values (tests/kernels/test_activation_kernels.py
checks it on dense grids): exp, erf, the normal density and the sigmoid
within 3 ulp; the normal CDF within a few ulp of its own (possibly tiny)
value, so ``Phi(-8)`` is accurate where ``0.5 * (1 + erf(x / sqrt(2)))`` in
float32 would lose every digit.
Subnormal results are rounded once, as the C library does; NaN stays NaN,
exp(inf) is inf and exp(-inf) is 0.

The polynomial coefficients are minimax fits made for this file (Lawson's
weighted least squares against 30-digit values): ``_EXP`` for
(e**r - 1 - r) / r**2 on |r| <= ln2 / 2, ``_ERF`` for erf(x) / x in powers
of x**2 on |x| <= 0.9, ``_ERFCX`` for erfc(z) * e**(z**2) in powers of
t = 1 / (1 + z / 2) on 0 <= z <= 10.5 (erfc(10.5) is below float32's
smallest subnormal). The tails multiply that by e**(-z**2), whose argument
is kept exact (``square_parts``, ``exp_sum``), so the normal CDF and density
share one exponential.

Kernels that use these helpers recompile when this file changes
(``_jit._stamp_helper_files``).
"""
import math

import numpy as np

from ._jit import helper

f32, i32 = np.float32, np.int32

_LOG2E = f32(1 / math.log(2))
_LN2_HI = f32(0.693359375)              # 9 significant bits: n * _LN2_HI is exact
_LN2_LO = f32(math.log(2) - 0.693359375)
_ROUND = f32(12582912.0)                # 1.5 * 2**23: x + _ROUND - _ROUND rounds x
_EXP = (f32(0.5), f32(0.16666577756404877), f32(0.04166685417294502),
        f32(0.008363140746951103), f32(0.0013901269994676113))
_EXP_LO, _EXP_HI = f32(-110.0), f32(100.0)  # e**(-109) is 0, e**99 inf in float32

_ERF_SPLIT = f32(0.9)
_ERF = (f32(1.1283791065216064), f32(-0.3761252462863922), f32(0.11282142996788025),
        f32(-0.026778962463140488), f32(0.005012027453631163),
        f32(-0.0006090647075325251))
_ERFCX = (f32(7.549300335085718e-06), f32(0.28186947107315063), f32(0.28502047061920166),
          f32(0.22507576644420624), f32(0.2788834869861603), f32(-0.2358839511871338),
          f32(0.657516360282898), f32(-0.9374585747718811), f32(0.620440661907196),
          f32(-0.2018040418624878), f32(0.026332810521125793))
_ERFC_MAX = f32(10.5)
_SPLITTER = f32(4097.0)                 # 2**12 + 1: Veltkamp's split of a float32
_SQRT_HALF = f32(math.sqrt(0.5))
_INV_SQRT_2PI = f32(1 / math.sqrt(2 * math.pi))
_CDF_MAX = f32(14.8)                    # x / sqrt(2) = 10.47: Phi(-x) is 0 in float32
_PDF_MAX = f32(15.0)                    # e**(-15**2 / 2) is 0 in float32 (so is Phi(-15))
_HALF, _ONE, _TWO = f32(0.5), f32(1.0), f32(2.0)


@helper
def _pow2(n):
    """2**n for an integer-valued float32 n in [-126, 127], built from its bits."""
    return i32((i32(n) + i32(127)) << i32(23)).view(f32)


@helper
def _pick(flag, a, b):
    """a if flag else b, for finite a and b, without a branch. (Helpers here use no
    ``if``: numba's inliner mishandles branches in helpers inlined more than once.)"""
    w = f32(flag)
    return w * a + (_ONE - w) * b


@helper
def exp_sum(a, b):
    """e**(a + b), with a + b not rounded: the low part of the sum joins after the
    range reduction (``exp_sum(x, 0)`` is exp(x)). NaN stays NaN (numba's and
    Python's ``max(s, lo)`` return s when s is NaN)."""
    s = a + b                                   # Knuth's TwoSum: s + err = a + b
    bb = s - a
    err = (a - (s - bb)) + (b - bb)
    err = max(-_ONE, min(_ONE, err))            # NaN when a or b is infinite: 1
    v = min(max(s, _EXP_LO), _EXP_HI)
    n = (v * _LOG2E + _ROUND) - _ROUND
    r = ((v - n * _LN2_HI) - n * _LN2_LO) + err
    c = _EXP
    q = c[0] + r * (c[1] + r * (c[2] + r * (c[3] + r * c[4])))
    p = _ONE + (r + r * r * q)
    half = (n * _HALF + _ROUND) - _ROUND       # two factors: no overflow, one rounding
    return p * _pow2(half) * _pow2(n - half)


@helper
def square_parts(x):
    """(hi, lo) with hi = fl(x * x) and hi + lo = x * x exactly (Dekker, no FMA);
    |x| must stay below 2**60 so the split does not overflow."""
    c = _SPLITTER * x
    xh = c - (c - x)
    xl = x - xh
    hi = x * x
    return hi, ((xh * xh - hi) + _TWO * xh * xl) + xl * xl


@helper
def _erf_small(z):
    """erf(z) for |z| <= 0.9."""
    s = z * z
    c = _ERF
    return z * (c[0] + s * (c[1] + s * (c[2] + s * (c[3] + s * (c[4] + s * c[5])))))


@helper
def _erfcx(z):
    """erfc(z) * e**(z**2) for 0 <= z <= 10.5."""
    t = _ONE / (_ONE + _HALF * z)
    c = _ERFCX
    return c[0] + t * (c[1] + t * (c[2] + t * (c[3] + t * (c[4] + t * (c[5] + t * (
        c[6] + t * (c[7] + t * (c[8] + t * (c[9] + t * c[10])))))))))


@helper
def erf(x):
    """The error function of a float32: z P(z**2) near 0, 1 - erfc(z) beyond 0.9
    (each side at a clipped argument, so both stay finite; NaN stays NaN)."""
    z = abs(x)
    near = _erf_small(min(z, _ERF_SPLIT))
    far = min(max(z, _ERF_SPLIT), _ERFC_MAX)
    hi, lo = square_parts(far)
    e = _pick(z < _ERF_SPLIT, near, _ONE - exp_sum(-hi, -lo) * _erfcx(far))
    return math.copysign(e, x)


@helper
def normal_cdf_pdf(x):
    """(P(N(0, 1) <= x), e**(-x**2 / 2) / sqrt(2 pi)) of a float32 from one exponential:
    Phi(x) = erfc(|x| / sqrt 2) / 2 for x <= 0 (accurate however small), 1 minus that
    for x > 0."""
    a = min(abs(x), _PDF_MAX)
    hi, lo = square_parts(a)
    e = exp_sum(-_HALF * hi, -_HALF * lo)          # e**(-x**2 / 2), argument exact
    tail = _HALF * e * _erfcx(min(a, _CDF_MAX) * _SQRT_HALF)
    return _pick(x > 0, _ONE - tail, tail), _INV_SQRT_2PI * e


@helper
def sigmoid_pair(v):
    """(1 / (1 + e**-v), 1 / (1 + e**v)) of a float32: both accurate, neither a
    difference from 1, and no inf / inf at large |v|."""
    e = exp_sum(-abs(v), f32(0.0))
    big, small = _ONE / (_ONE + e), e / (_ONE + e)
    return _pick(v >= 0, big, small), _pick(v >= 0, small, big)
