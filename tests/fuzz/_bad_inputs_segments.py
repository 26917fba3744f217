"""Bad-input fuzzer entries of the segments research ops (and the guarded
elementwise ops log_sigmoid, xlogy, divide_no_nan)."""

ENTRIES = {
    "log_sigmoid": dict(x="tensor"),
    "xlogy": dict(x="tensor", y="tensor"),
    "divide_no_nan": dict(x="tensor", y="tensor"),
    "segment_sum": dict(data="tensor", segment_ids="ints"),
    "unsorted_segment_sum": dict(data="tensor", segment_ids="ints", num_segments="int"),
}
