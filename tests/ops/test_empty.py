"""Empty inputs: every op gives the empty (or identity-valued) result numpy and
TensorFlow give, with the same shape, and gradients of the right shapes."""
import numpy as np
import pytest

import minitf as mtf

nn = mtf.nn
E03 = np.zeros((0, 3), np.float32)
E20 = np.zeros((2, 0), np.float32)

# (name, minitf call, numpy reference)
CASES = [
    ("exp", lambda: mtf.exp(E03), lambda: np.exp(E03)),
    ("add broadcast", lambda: mtf.add(E03, np.ones(3, np.float32)), lambda: E03 + 1),
    ("where", lambda: mtf.where(E03 > 0, E03, 1.0), lambda: np.where(E03 > 0, E03, 1)),
    ("reduce_sum over the empty axis", lambda: mtf.reduce_sum(E03, 0),
     lambda: np.sum(E03, 0)),
    ("reduce_sum over a full axis", lambda: mtf.reduce_sum(E03, 1), lambda: np.sum(E03, 1)),
    ("reduce_max of nothing", lambda: mtf.reduce_max(E03, 0),
     lambda: np.full(3, -np.inf, np.float32)),
    ("reduce_mean of nothing", lambda: mtf.reduce_mean(E03, 0),
     lambda: np.full(3, np.nan, np.float32)),
    ("reduce_prod of nothing", lambda: mtf.reduce_prod(E03, 0), lambda: np.prod(E03, 0)),
    ("reduce_logsumexp of nothing", lambda: mtf.reduce_logsumexp(E03, 0),
     lambda: np.full(3, -np.inf, np.float32)),
    ("argmax along a full axis", lambda: mtf.argmax(E03, 1), lambda: np.argmax(E03, 1)),
    ("softmax of no rows", lambda: nn.softmax(E03), lambda: E03),
    ("log_softmax of no classes", lambda: nn.log_softmax(E20), lambda: E20),
    ("matmul (0,3)@(3,2)", lambda: mtf.matmul(E03, np.ones((3, 2), np.float32)),
     lambda: E03 @ np.ones((3, 2), np.float32)),
    ("matmul (2,0)@(0,3)", lambda: mtf.matmul(E20, E03), lambda: E20 @ E03),
    ("einsum", lambda: mtf.einsum("ij,jk->ik", E20, E03), lambda: E20 @ E03),
    ("tensordot", lambda: mtf.tensordot(E03, np.ones((3, 4), np.float32), 1),
     lambda: np.tensordot(E03, np.ones((3, 4), np.float32), 1)),
    ("norm", lambda: mtf.norm(E03), lambda: np.float32(0)),
    ("l2_loss", lambda: nn.l2_loss(E03), lambda: np.float32(0)),
    ("clip_by_norm", lambda: mtf.clip_by_norm(E03, 1.0), lambda: E03),
    ("moments", lambda: nn.moments(E03, [0])[0], lambda: np.full(3, np.nan, np.float32)),
    ("dropout", lambda: nn.dropout(E03, 0.5, seed=1), lambda: E03),
    ("gather no indices", lambda: mtf.gather(np.ones((4, 3), np.float32), []),
     lambda: np.ones((4, 3), np.float32)[[]]),
    ("boolean_mask", lambda: mtf.boolean_mask(E03, np.zeros(0, bool)), lambda: E03),
    ("concat", lambda: mtf.concat([E03, E03], 0), lambda: np.concatenate([E03, E03])),
    ("stack", lambda: mtf.stack([E03, E03]), lambda: np.stack([E03, E03])),
    ("split", lambda: mtf.split(E03, [0, 2, 1], axis=1)[0], lambda: E03[:, :0]),
    ("tile", lambda: mtf.tile(E03, [3, 2]), lambda: np.tile(E03, [3, 2])),
    ("pad", lambda: mtf.pad(E03, [[1, 1], [0, 0]]), lambda: np.pad(E03, [[1, 1], [0, 0]])),
    ("one_hot", lambda: mtf.one_hot(np.zeros(0, np.int32), 4),
     lambda: np.zeros((0, 4), np.float32)),
    ("range", lambda: mtf.range(3, 3), lambda: np.arange(3, 3, dtype=np.int32)),
    ("sparse xent", lambda: nn.sparse_softmax_cross_entropy_with_logits(
        labels=np.zeros(0, np.int32), logits=E03), lambda: np.zeros(0, np.float32)),
    ("softmax xent", lambda: nn.softmax_cross_entropy_with_logits(E03, E03),
     lambda: np.zeros(0, np.float32)),
    ("sigmoid xent", lambda: nn.sigmoid_cross_entropy_with_logits(labels=E03, logits=E03),
     lambda: E03),
]


@pytest.mark.parametrize("name, call, ref", CASES, ids=[c[0] for c in CASES])
def test_empty_inputs_give_numpys_result(name, call, ref):
    got, expected = call().numpy(), np.asarray(ref())
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


IMAGES = [(2, 0, 6, 3), (0, 4, 4, 3), (1, 4, 0, 3), (1, 4, 4, 0)]


@pytest.mark.parametrize("shape", IMAGES, ids=str)
@pytest.mark.parametrize("out_channels", [2, 0])
def test_conv2d_on_empty_images_is_empty_or_zero_with_tensorflows_shape(shape, out_channels):
    x = mtf.constant(np.zeros(shape, np.float32))
    w = mtf.constant(np.ones((3, 3, shape[3], out_channels), np.float32))
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch([x, w])
        y = nn.conv2d(x, w, [1, 2, 2, 1], "SAME")
    n, h, wd, _ = shape
    assert y.shape == (n, -(-h // 2), -(-wd // 2), out_channels)   # SAME: ceil(in / stride)
    assert not y.numpy().any()
    assert tape.gradient(y, x).shape == x.shape
    assert tape.gradient(y, w).shape == w.shape


def test_conv2d_quoted_zero_height_case():
    y = nn.conv2d(np.zeros((2, 0, 6, 3), np.float32), np.ones((3, 3, 3, 2), np.float32), 1,
                  "SAME")
    assert y.shape == (2, 0, 6, 2)


@pytest.mark.parametrize("shape", IMAGES, ids=str)
@pytest.mark.parametrize("pool", [nn.max_pool2d, nn.avg_pool2d], ids=lambda f: f.__name__)
def test_pools_on_empty_images(shape, pool):
    x = mtf.constant(np.zeros(shape, np.float32))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = pool(x, 2, 2, "SAME")
    n, h, w, c = shape
    assert y.shape == (n, -(-h // 2), -(-w // 2), c)
    assert tape.gradient(y, x).shape == x.shape


def test_gradients_of_empty_reductions_have_the_input_shape():
    x = mtf.constant(E03)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ys = [mtf.reduce_sum(x), mtf.reduce_max(x, 0), mtf.reduce_mean(x, 1),
              nn.softmax(x), mtf.norm(x)]
    for y in ys:
        assert tape.gradient(y, x).shape == (0, 3)
