"""Gradient fuzzer: mtf.random's stateless draws, categorical and shuffle have no
gradient to their samples (as the seeded draws; a Tensor mean/stddev/minval/maxval
still gets one, tested in tests/ops/test_random_generator.py)."""

NOT_DIFFERENTIABLE = {"stateless_normal", "stateless_uniform", "categorical", "shuffle"}
