"""The public namespaces expose the same op objects under TensorFlow's names."""
import numpy as np

import minitf as mtf

ELEMENTWISE_AND_REDUCTIONS = [
    "abs", "add", "ceil", "cos", "divide", "equal", "erf", "exp", "expm1", "floor",
    "floordiv", "greater", "greater_equal", "less", "less_equal", "log", "log1p",
    "logical_and", "logical_not", "logical_or", "maximum", "minimum", "mod", "multiply",
    "negative", "not_equal", "pow", "reciprocal", "round", "rsqrt", "sigmoid", "sign",
    "sin", "softplus", "sqrt", "square", "squared_difference", "subtract", "tan", "tanh",
    "argmax", "argmin", "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_std", "reduce_sum", "reduce_variance"]

DOCUMENTED_TOP_LEVEL = ELEMENTWISE_AND_REDUCTIONS + [
    "where", "cast", "reshape", "transpose", "expand_dims", "squeeze", "concat", "stack",
    "unstack", "split", "tile", "broadcast_to", "pad", "gather", "gather_nd",
    "boolean_mask", "one_hot", "zeros", "ones", "zeros_like", "ones_like", "fill", "range",
    "eye", "linspace", "matmul", "einsum", "tensordot", "norm", "clip_by_value",
    "clip_by_norm", "clip_by_global_norm", "global_norm", "stop_gradient", "identity",
    "shape", "size", "rank", "constant", "convert_to_tensor", "Variable", "Tensor",
    "GradientTape", "IndexedSlices", "UnconnectedGradients", "custom_gradient",
    "name_scope", "Module", "float16", "float32", "float64", "int32", "int64", "bool"]

DOCUMENTED_NN = ["relu", "leaky_relu", "elu", "gelu", "selu", "softmax", "log_softmax",
           "sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
           "sparse_softmax_cross_entropy_with_logits", "l2_loss", "dropout", "moments",
           "conv2d", "max_pool2d", "avg_pool2d", "sigmoid", "tanh", "softplus"]


def test_math_namespace_is_the_top_level_ops():
    for name in ELEMENTWISE_AND_REDUCTIONS:
        assert getattr(mtf.math, name) is getattr(mtf, name), name


def test_every_spec_name_is_public():
    missing = [n for n in DOCUMENTED_TOP_LEVEL if not hasattr(mtf, n)]
    missing += ["nn." + n for n in DOCUMENTED_NN if not hasattr(mtf.nn, n)]
    missing += ["random." + n for n in ("set_seed", "normal", "uniform", "truncated_normal")
                if not hasattr(mtf.random, n)]
    assert missing == []


def test_nn_aliases_are_the_same_functions():
    assert mtf.nn.sigmoid is mtf.sigmoid
    assert mtf.nn.tanh is mtf.tanh
    assert mtf.nn.softplus is mtf.softplus


def test_math_ops_compute_what_numpy_computes():
    x = np.linspace(0.1, 2.0, 7)
    np.testing.assert_allclose(mtf.math.log1p(x).numpy(), np.log1p(x))
    np.testing.assert_allclose(mtf.math.reduce_logsumexp(x).numpy(),
                               np.log(np.sum(np.exp(x))))
