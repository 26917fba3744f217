"""Bad-input fuzzer entries for add_n, the scans, reduce_all/any and is_finite/nan/inf."""

_SCAN = dict(x="tensor", axis="axis", exclusive="flag", reverse="flag")
_LOGICAL = dict(input_tensor="bools", axis="axis", keepdims="flag")

ENTRIES = {
    "add_n": dict(inputs="list"),
    "cumsum": _SCAN,
    "cumprod": _SCAN,
    "reduce_all": _LOGICAL,
    "reduce_any": _LOGICAL,
    "is_finite": dict(x="tensor"),
    "is_nan": dict(x="tensor"),
    "is_inf": dict(x="tensor"),
}
