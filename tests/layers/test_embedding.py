"""mtf.layers.Embedding: lookup and sparse (IndexedSlices) gradients."""
import numpy as np
import pytest

import minitf as mtf


def test_lookup_matches_numpy_indexing():
    embed = mtf.layers.Embedding(10, 3)
    ids = np.array([[1, 4], [4, 9]])
    np.testing.assert_array_equal(embed(ids).numpy(), embed.embeddings.numpy()[ids])


def test_created_at_construction_in_name_scope():
    with mtf.name_scope("text"):
        embed = mtf.layers.Embedding(5, 2)
    assert embed.embeddings.shape == (5, 2)
    assert embed.embeddings.name == "text/embedding/embeddings:0"
    assert embed.trainable_variables == (embed.embeddings,)


def test_default_initializer_stddev():
    mtf.random.set_seed(0)
    embed = mtf.layers.Embedding(1000, 100)
    values = embed.embeddings.numpy()
    assert abs(values.std() - 0.87962566 * 0.1) < 0.02 * 0.1
    assert np.abs(values).max() <= 0.2


def test_gradient_is_indexed_slices():
    embed = mtf.layers.Embedding(6, 2)
    ids = np.array([[0, 3], [3, 5]])
    upstream = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    with mtf.GradientTape() as tape:
        loss = mtf.reduce_sum(embed(ids) * upstream)
    grad = tape.gradient(loss, embed.embeddings)
    assert isinstance(grad, mtf.IndexedSlices)
    assert grad.dense_shape == (6, 2)
    np.testing.assert_array_equal(grad.indices.numpy(), ids.reshape(-1))
    np.testing.assert_array_equal(grad.values.numpy(), upstream.reshape(-1, 2))
    dense = np.zeros((6, 2), np.float32)
    np.add.at(dense, ids.reshape(-1), upstream.reshape(-1, 2))
    np.testing.assert_array_equal(mtf.convert_to_tensor(grad).numpy(), dense)


def test_non_trainable_table():
    embed = mtf.layers.Embedding(4, 2, trainable=False)
    assert embed.trainable_variables == ()
    assert embed.non_trainable_variables == (embed.embeddings,)


def test_custom_initializer_and_dtype():
    embed = mtf.layers.Embedding(3, 2, initializer=mtf.initializers.Constant(0.25),
                                 dtype=mtf.float64)
    assert embed.embeddings.dtype == np.float64
    np.testing.assert_array_equal(embed.embeddings.numpy(), np.full((3, 2), 0.25))


@pytest.mark.parametrize("arg, kwargs", [("vocab_size", dict(vocab_size=0, embed_dim=2)),
                                         ("embed_dim", dict(vocab_size=3, embed_dim=-2))])
def test_bad_sizes_raise(arg, kwargs):
    with pytest.raises(ValueError, match=f"Embedding: {arg} must be a positive int"):
        mtf.layers.Embedding(**kwargs)


def test_out_of_range_ids_raise():
    with pytest.raises(IndexError, match="gather"):
        mtf.layers.Embedding(3, 2)(np.array([3]))


def _trained(opt, table0, ids, weights):
    """The table after one step per weight of loss = sum(embed(ids) * weight)."""
    embed = mtf.layers.Embedding(*table0.shape)
    embed.embeddings.assign(table0)
    for w in weights:
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(embed(ids) * w)
        opt.apply_gradients([(tape.gradient(loss, embed.embeddings), embed.embeddings)])
    return embed.embeddings.numpy()


def _row_gradient(ids, w, shape):
    g = np.zeros(shape, np.float32)
    np.add.at(g, ids.reshape(-1), w.reshape(-1, shape[1]))
    return g


def test_sgd_and_adagrad_steps_match_closed_forms_and_leave_other_rows():
    rng = np.random.default_rng(3)
    table0 = rng.normal(size=(20, 4)).astype(np.float32)
    ids = np.array([[2, 7, 2], [0, 7, 7]])
    weights = [rng.normal(size=(2, 3, 4)).astype(np.float32) for _ in range(2)]
    lr, eps = np.float32(0.5), np.float32(1e-7)
    sgd, acc, adagrad = table0.copy(), np.full_like(table0, 0.1), table0.copy()
    for w in weights:
        g = _row_gradient(ids, w, table0.shape)
        sgd = sgd - lr * g
        acc = acc + g * g
        adagrad = adagrad - lr * g / np.sqrt(acc + eps)
    np.testing.assert_array_equal(_trained(mtf.optimizers.SGD(0.5), table0, ids, weights), sgd)
    np.testing.assert_allclose(_trained(mtf.optimizers.Adagrad(0.5), table0, ids, weights),
                               adagrad, rtol=1e-6)
    untouched = [r for r in range(20) if r not in (0, 2, 7)]
    np.testing.assert_array_equal(sgd[untouched], table0[untouched])


def test_lazy_adam_moves_only_the_looked_up_rows():
    rng = np.random.default_rng(4)
    table0 = rng.normal(size=(10, 3)).astype(np.float32)
    first, second = np.array([1, 4]), np.array([4, 4])
    opt = mtf.optimizers.Adam(0.1, lazy=True)
    embed = mtf.layers.Embedding(10, 3)
    embed.embeddings.assign(table0)
    for ids in (first, second):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(embed(ids))
        opt.apply_gradients([(tape.gradient(loss, embed.embeddings), embed.embeddings)])
    table = embed.embeddings.numpy()
    # row 1: one Adam step at t=1 (g = 1): p - lr * 1 / (1 + eps_hat)
    np.testing.assert_allclose(table[1], table0[1] - 0.1 / (1 + 1e-7 / np.sqrt(1e-3)),
                               rtol=1e-6)
    np.testing.assert_array_equal(table[[0, 2, 3, 5, 6, 7, 8, 9]],
                                  table0[[0, 2, 3, 5, 6, 7, 8, 9]])
    assert np.all(opt.get_slot(embed.embeddings, "momentum").numpy()[[0, 2, 3]] == 0)
