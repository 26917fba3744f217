"""Bad-input fuzzer entries of sort, argsort, math.top_k, math.lgamma, math.digamma and
math.erfinv. ``direction`` is left at its default: no pool of _bad_values holds a valid
direction (its errors are tested in tests/ops/test_sorting_and_gamma.py)."""

ENTRIES = {
    "sort": dict(values="tensor", axis="axis"),
    "argsort": dict(values="tensor", axis="axis", stable="flag"),
    "top_k": dict(input="tensor", k="int", sorted="flag", index_type="out_type"),
    "lgamma": dict(x="tensor"),
    "digamma": dict(x="tensor"),
    "erfinv": dict(x="tensor"),
}
