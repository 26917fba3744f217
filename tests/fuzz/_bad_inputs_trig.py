"""Bad-input fuzzer entries of the inverse trigonometric and hyperbolic ops."""

ENTRIES = {
    **{name: dict(x="tensor") for name in (
        "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh")},
    "atan2": dict(y="tensor", x="tensor"),
}
