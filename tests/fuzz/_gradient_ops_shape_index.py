"""Gradient fuzzer entries of the shape_index research ops."""
