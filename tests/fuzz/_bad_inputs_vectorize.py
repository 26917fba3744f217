"""Bad-input fuzzer entries of vectorized_map: none, it takes a user callable."""

ENTRIES = {}

NOT_OPS = {
    "vectorized_map": "takes a user callable; its argument errors: "
                      "tests/vectorize/test_vectorized_map.py",
}
