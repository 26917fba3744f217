"""Bad-input fuzzer entries of mtf.random's Generator, stateless draws, categorical
and shuffle (the Generator's methods share these ops' checks)."""

ENTRIES = {
    "Generator": dict(state="ints", alg="mode"),
    "stateless_normal": dict(shape="shape", seed="ints", mean="number", stddev="number",
                             dtype="dtype"),
    "stateless_uniform": dict(shape="shape", seed="ints", minval="number", maxval="number",
                              dtype="dtype"),
    "categorical": dict(logits="float", num_samples="int", dtype="out_type", seed="seed"),
    "shuffle": dict(value="tensor", seed="seed"),
}
