"""Ops backed by numba kernels validate their inputs first: odd dtypes and layouts
either work (matching numpy on the same values) or raise a TypeError naming the op,
never a numba error."""
import numpy as np
import pytest

import minitf as mtf

nn = mtf.nn
IMG = np.random.default_rng(3).standard_normal((1, 4, 4, 2))
FILT = np.random.default_rng(4).standard_normal((3, 3, 2, 2))

KERNEL_OPS = [
    ("max_pool2d", lambda x: nn.max_pool2d(x, 2, 2, "SAME")),
    ("avg_pool2d", lambda x: nn.avg_pool2d(x, 2, 2, "SAME")),
    ("conv2d", lambda x: nn.conv2d(x, FILT, 1, "SAME")),    # filters take x's dtype
    ("leaky_relu", lambda x: nn.leaky_relu(x, 0.1)),
    ("elu", nn.elu), ("selu", nn.selu), ("gelu", nn.gelu), ("erf", mtf.erf),
    ("softmax", nn.softmax), ("log_softmax", nn.log_softmax), ("relu", nn.relu),
]


def _variants():
    """The image values in odd dtypes and layouts: (label, array, supported?)."""
    readonly = IMG.astype(np.float32)
    readonly.flags.writeable = False
    return [
        ("complex", IMG.astype(np.complex64), False), ("bool", IMG > 0, False),
        ("uint8", (IMG > 0).astype(np.uint8), False), ("object", IMG.astype(object), False),
        ("big-endian", IMG.astype(">f4"), True), ("float16", IMG.astype(np.float16), True),
        ("read-only", readonly, True),
        ("non-contiguous", np.asfortranarray(IMG.astype(np.float32)), True),
        ("strided", np.repeat(IMG.astype(np.float32), 2, axis=2)[:, :, ::2], True),
    ]


@pytest.mark.parametrize("name, op", KERNEL_OPS, ids=[k[0] for k in KERNEL_OPS])
def test_kernel_ops_take_or_refuse_odd_inputs_by_name(name, op):
    reference = np.asarray(op(mtf.constant(IMG.astype(np.float32))))
    for label, x, supported in _variants():
        try:
            out = op(x)
        except TypeError as e:
            assert not supported, (label, str(e))
            assert name in str(e), (label, str(e))
            continue
        assert supported, (label, out)
        tol = 1e-2 if x.dtype == np.float16 else 1e-5
        np.testing.assert_allclose(np.asarray(out, np.float64), reference, rtol=tol,
                                   atol=tol, err_msg=label)


def test_max_pool_on_complex_input_names_the_op():
    with pytest.raises(TypeError, match=r"max_pool2d"):
        nn.max_pool2d(np.ones((1, 2, 2, 1), np.complex128), 2, 2, "VALID")


def test_max_pool_on_bools_is_refused():
    with pytest.raises(TypeError, match=r"max_pool2d: input must hold numbers"):
        nn.max_pool2d(mtf.constant(np.ones((1, 2, 2, 1), bool)), 2, 2, "VALID")
