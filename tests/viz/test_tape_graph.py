"""mtf.viz.tape_graph: recorded ops as nodes, clustered by name scope, gradient norms."""
import math

import numpy as np
import pytest

import minitf as mtf
from _dotparse import label_text, parse


def _ops(g):
    """Op node ids in recording order (ids are ``op<index>``)."""
    ops = [n for n in g.nodes if n.startswith("op") and "_arg" not in n]
    return sorted(ops, key=lambda n: int(n[2:]))


def _op_names(g):
    return [label_text(g.nodes[n])[0] for n in _ops(g)]


def _mlp_and_loss(persistent=True):
    mtf.random.set_seed(0)
    mlp = mtf.layers.MLP([5, 4, 2], w_init=mtf.initializers.GlorotUniform(seed=3))
    x = mtf.constant(np.linspace(-1, 1, 6).reshape(2, 3))
    y = mtf.constant(np.array([[1.0, 0.0], [0.0, 1.0]]))
    with mtf.GradientTape(persistent=persistent) as tape:
        loss = mtf.reduce_mean(mtf.square(mlp(x) - y))
    return mlp, tape, loss


def test_mlp_ops_sit_in_their_linear_cluster_inside_the_mlp_cluster():
    mlp, tape, loss = _mlp_and_loss()
    g = parse(mtf.viz.tape_graph(tape).source)
    assert _op_names(g) == ["affine", "relu", "affine", "relu", "affine", "subtract",
                            "square", "reduce_mean"]
    ops = _ops(g)
    for i in range(3):
        linear_cluster = ("cluster_mlp/", f"cluster_mlp/linear_{i}/")
        assert g.node_clusters[ops[2 * i]] == linear_cluster
        assert g.subgraphs[f"cluster_mlp/linear_{i}/"]["parent"] == "cluster_mlp/"
        assert g.subgraphs[f"cluster_mlp/linear_{i}/"]["label"] == f"linear_{i}"
    assert g.node_clusters[ops[1]] == g.node_clusters[ops[3]] == ("cluster_mlp/",)
    for loss_op in ops[5:]:
        assert g.node_clusters[loss_op] == ()


def test_edges_follow_the_data_and_variables_are_sources_in_their_layer():
    mlp, tape, loss = _mlp_and_loss()
    g = parse(mtf.viz.tape_graph(tape).source)
    ops = _ops(g)
    assert [t for t, _ in g.incoming(ops[2])][0] == ops[1]       # relu feeds linear_1
    for i, layer in enumerate(mlp.layers):
        (x_in, w_in, b_in) = [t for t, _ in g.incoming(ops[2 * i])]
        assert x_in == (ops[2 * i - 1] if i else x_in)
        assert label_text(g.nodes[w_in]) == ["w", f"{layer.w.shape} float64"]
        assert label_text(g.nodes[b_in]) == ["b", f"{layer.b.shape} float64"]
        assert g.node_clusters[w_in] == ("cluster_mlp/", f"cluster_mlp/linear_{i}/")
    sources = [n for n in g.nodes if n.startswith("in")]
    assert len(sources) == 6 + 2          # each variable once, plus x and y
    x_node = [t for t, _ in g.incoming(ops[0])][0]
    assert label_text(g.nodes[x_node]) == ["constant", "(2, 3) float64"]
    assert g.node_clusters[x_node] == ()


def test_gradient_norms_match_hand_computed_values():
    # f = sum(w * x) + 3: df/dw = x, df/d(w*x) = ones, df/dsum = 1.
    w = mtf.Variable([1.0, -2.0, 0.5], name="w")
    x = mtf.constant([3.0, 4.0, 12.0])
    with mtf.GradientTape() as tape:
        f = mtf.reduce_sum(w * x) + 3.0
    g = parse(mtf.viz.tape_graph(tape, target=f).source)
    multiply, reduce_sum, add = _ops(g)
    assert label_text(g.nodes["in0"]) == ["w", "(3,) float32", "|grad| 13"]
    assert label_text(g.nodes[multiply])[-1] == f"|grad| {math.sqrt(3):.4g}"
    assert label_text(g.nodes[reduce_sum])[-1] == "|grad| 1"
    assert g.nodes[add]["penwidth"] == "2"          # the target stands out
    assert label_text(g.nodes["in1"]) == ["constant", "(3,) float32"]  # no gradient


def test_gradient_norms_match_tape_gradient_for_the_mlp():
    mlp, tape, loss = _mlp_and_loss()
    g = parse(mtf.viz.tape_graph(tape, target=loss).source)
    grads = tape.gradient(loss, mlp.trainable_variables)
    by_name = {}
    for node in g.nodes:
        text = label_text(g.nodes[node])
        if node.startswith("in") and text[0] in "wb":
            by_name[(g.node_clusters[node][-1], text[0])] = text[-1]
    for v, grad in zip(mlp.trainable_variables, grads):
        scope, short = v.name.rsplit("/", 1)
        expected = np.sqrt(np.sum(np.asarray(grad, np.float64) ** 2))
        assert by_name[(f"cluster_{scope}/", short[0])] == f"|grad| {expected:.4g}"


def test_output_gradients_scale_the_norms():
    x = mtf.constant([1.0, 2.0])
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 3.0
    g = parse(mtf.viz.tape_graph(tape, target=y, output_gradients=mtf.constant([2.0, 0.0])).source)
    # d(g . y)/dx = 3 * g = [6, 0]
    assert label_text(g.nodes["in0"]) == ["watched", "(2,) float32", "|grad| 6"]


def test_sparse_gradient_norm_is_the_dense_norm():
    table = mtf.Variable(np.ones((3, 2), np.float32), name="table")
    with mtf.GradientTape() as tape:
        s = mtf.reduce_sum(mtf.gather(table, [0, 0, 2]))
    g = parse(mtf.viz.tape_graph(tape, target=s).source)
    # rows 0 (twice) and 2 get 2 and 1 per element: sqrt(2*4 + 2*1)
    assert label_text(g.nodes["in0"])[-1] == f"|grad| {math.sqrt(10):.4g}"


def test_python_numbers_are_constant_nodes_at_their_op():
    x = mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        with mtf.name_scope("scale"):
            y = x * 2.5
    g = parse(mtf.viz.tape_graph(tape).source)
    assert label_text(g.nodes["op0_arg1"]) == ["2.5"]
    assert g.node_clusters["op0_arg1"] == g.node_clusters["op0"] == ("cluster_scale/",)
    assert sorted(t for t, _ in g.incoming("op0")) == ["in0", "op0_arg1"]


def test_nested_name_scopes_give_nested_clusters():
    x = mtf.constant(1.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        with mtf.name_scope("a"):
            y = mtf.sin(x)
            with mtf.name_scope("b"):
                y = mtf.exp(y)
        y = mtf.square(y)
    g = parse(mtf.viz.tape_graph(tape).source)
    sin, exp, square = _ops(g)
    assert g.node_clusters[sin] == ("cluster_a/",)
    assert g.node_clusters[exp] == ("cluster_a/", "cluster_a/b/")
    assert g.node_clusters[square] == ()


def test_variable_created_outside_every_scope_is_at_top_level():
    v = mtf.Variable([1.0], name="free")
    with mtf.GradientTape() as tape:
        with mtf.name_scope("layer"):
            y = v * v
    g = parse(mtf.viz.tape_graph(tape).source)
    assert g.node_clusters["in0"] == () and g.node_clusters["op0"] == ("cluster_layer/",)
    assert g.incoming("op0") == [("in0", {}), ("in0", {})]    # v * v: two inputs


def test_non_trainable_variable_styled_as_in_module_graph():
    frozen = mtf.Variable([2.0], trainable=False, name="frozen")
    x = mtf.constant([1.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * frozen
    g = parse(mtf.viz.tape_graph(tape).source)
    assert label_text(g.nodes["in1"]) == ["frozen", "(1,) float32", "non-trainable"]
    assert "dashed" in g.nodes["in1"]["style"]


def test_drawing_does_not_consume_a_non_persistent_tape_or_record():
    x = mtf.constant([1.0, 2.0])
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = mtf.reduce_sum(x * x)
        recorded = len(tape._nodes)
        mtf.viz.tape_graph(tape, target=y)       # while still recording
        assert len(tape._nodes) == recorded
    mtf.viz.tape_graph(tape, target=y)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match=r"already ran gradient\(\).*persistent=True"):
        mtf.viz.tape_graph(tape)


def test_two_runs_give_byte_identical_dot():
    sources = []
    for _ in range(2):
        mlp, tape, loss = _mlp_and_loss()
        sources.append(mtf.viz.tape_graph(tape, target=loss).source)
    assert sources[0] == sources[1]


def test_renders_svg():
    mlp, tape, loss = _mlp_and_loss()
    svg = mtf.viz.tape_graph(tape, target=loss, rankdir="LR").pipe(format="svg").decode()
    assert "<title>cluster_mlp/linear_0/</title>" in svg and "<title>op7</title>" in svg


def test_errors_say_what_to_do():
    with pytest.raises(TypeError, match=r"tape_graph: expected a GradientTape.*Module"):
        mtf.viz.tape_graph(mtf.Module())
    with mtf.GradientTape() as empty:
        mtf.constant(1.0) * 2.0
    with pytest.raises(ValueError, match=r"recorded no ops.*tape.watch"):
        mtf.viz.tape_graph(empty)
    mlp, tape, loss = _mlp_and_loss()
    with pytest.raises(ValueError, match=r"target .* was not recorded on this tape"):
        mtf.viz.tape_graph(tape, target=mtf.constant(1.0))
