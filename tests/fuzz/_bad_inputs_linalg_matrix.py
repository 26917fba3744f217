"""Bad-input fuzzer entries of the linalg matrix research ops: band_part, trace,
diag_part, diag, triangular_solve, inv, solve, det and slogdet."""

_SQUARE = dict(input="tensor")

ENTRIES = {
    "band_part": dict(input="tensor", num_lower="int", num_upper="int"),
    "trace": dict(x="tensor"),
    "diag_part": dict(input="tensor", k="int", padding_value="scalar"),
    "diag": dict(diagonal="tensor", k="int", num_rows="int", num_cols="int",
                 padding_value="scalar"),
    "triangular_solve": dict(matrix="tensor", rhs="tensor", lower="flag", adjoint="flag"),
    "inv": dict(input="tensor", adjoint="flag"),
    "solve": dict(matrix="tensor", rhs="tensor", adjoint="flag"),
    "det": _SQUARE,
    "slogdet": _SQUARE,
}
