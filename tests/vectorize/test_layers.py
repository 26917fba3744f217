"""Per-example losses and gradients of mtf.layers models under vectorized_map equal a
loop's, with no op falling back to a per-example loop (a layer's op without a batching
rule would make the most common use of vectorized_map slow)."""
import warnings

import numpy as np
import pytest

import minitf as mtf
from minitf.ops.linalg import affine

from test_vectorized_map import assert_matches_loop

N = 6


def _linear():
    return mtf.layers.Linear(5), (N, 4)


def _mlp():
    return mtf.layers.MLP([8, 8, 3]), (N, 4)


def _linear_on_sequences():
    return mtf.layers.Linear(5), (N, 3, 4)          # affine on rank-3 examples


LAYERS = {"Linear": _linear, "MLP": _mlp, "Linear on sequences": _linear_on_sequences}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_per_example_gradients_of_layers_equal_a_loop_without_fallback(name):
    mtf.random.set_seed(0)
    model, shape = LAYERS[name]()
    x = mtf.constant(np.random.default_rng(1).standard_normal(shape))
    model(x[:1])

    def per_example(example):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.square(model(example[None])))
        return loss, tape.gradient(loss, model.trainable_variables)

    with warnings.catch_warnings():
        warnings.simplefilter("error")             # a fallback warns
        assert_matches_loop(per_example, x, N, rtol=1e-12)


@pytest.mark.parametrize("batched", [(True, False, False), (False, True, False),
                                     (False, False, True), (True, True, True)])
def test_affine_with_any_operand_batched_equals_a_loop(batched):
    rng = np.random.default_rng(2)
    full = [rng.standard_normal(s) for s in ((N, 2, 4), (N, 4, 3), (N, 3))]
    shared = [rng.standard_normal(s) for s in ((2, 4), (4, 3), (3,))]
    elems = tuple(mtf.constant(f) for f, b in zip(full, batched) if b)

    def fn(example):
        parts = iter(example)
        x, w, b = (next(parts) if flag else mtf.constant(s) for flag, s in zip(batched, shared))
        return affine(x, w, b)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = assert_matches_loop(fn, elems, N, rtol=1e-12)
    x, w, b = (f if flag else np.broadcast_to(s, f.shape) for f, s, flag in
               zip(full, shared, batched))
    np.testing.assert_allclose(got.numpy(), np.matmul(x, w) + b[:, None, :], rtol=1e-12)
