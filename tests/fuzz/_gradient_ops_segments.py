"""Gradient fuzzer entries of the segments research ops."""
