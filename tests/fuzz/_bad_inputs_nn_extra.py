"""Bad-input fuzzer entries of the nn_extra research ops: silu/swish, relu6,
l2_normalize, bias_add and embedding_lookup."""

_SILU = dict(features="tensor", beta="number")

ENTRIES = {
    "silu": _SILU,
    "swish": _SILU,
    "relu6": dict(features="tensor"),
    "l2_normalize": dict(x="tensor", axis="axis", epsilon="number"),
    "bias_add": dict(value="tensor", bias="tensor", data_format="format"),
    "embedding_lookup": dict(params="tensor", ids="ints", max_norm="number"),
}
