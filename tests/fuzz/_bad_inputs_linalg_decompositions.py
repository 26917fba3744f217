"""Bad-input fuzzer entries of the linalg decompositions: cholesky, eigh, svd, qr."""

ENTRIES = {
    "cholesky": dict(input="tensor"),
    "eigh": dict(tensor="tensor"),
    "svd": dict(tensor="tensor", full_matrices="flag", compute_uv="flag"),
    "qr": dict(input="tensor", full_matrices="flag"),
}
