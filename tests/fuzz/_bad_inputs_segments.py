"""Bad-input fuzzer entries of the segments research ops."""

ENTRIES = {}
