"""Bad-input fuzzer entries of the scatter research ops; map_fn takes a user callable
and is not fuzzed as an op."""

ENTRIES = {
    "scatter_nd": dict(indices="ints", updates="tensor", shape="shape"),
    "tensor_scatter_nd_update": dict(tensor="tensor", indices="ints", updates="tensor"),
    "tensor_scatter_nd_add": dict(tensor="tensor", indices="ints", updates="tensor"),
}

NOT_OPS = {
    "map_fn": "takes a user callable; its argument errors: "
              "tests/ops/test_scatter_nd_and_map_fn.py",
}
