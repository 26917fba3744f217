"""Bad-input fuzzer entries of the shape_index research ops."""

ENTRIES = {}
