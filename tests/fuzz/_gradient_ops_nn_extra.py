"""Gradient fuzzer entries of the nn_extra research ops."""
