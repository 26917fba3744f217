"""Bad-input fuzzer entries of the shape_index research ops: roll, reverse, repeat,
meshgrid (only ``indexing``: ``*args`` cannot be given by keyword), sequence_mask, unique."""

ENTRIES = {
    "roll": dict(input="tensor", shift="ints", axis="axis"),
    "reverse": dict(tensor="tensor", axis="axis"),
    "repeat": dict(input="tensor", repeats="ints", axis="axis"),
    "meshgrid": dict(indexing="mode"),
    "sequence_mask": dict(lengths="ints", maxlen="int", dtype="dtype"),
    "unique": dict(x="tensor", out_idx="out_type"),
}
