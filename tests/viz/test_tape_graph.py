"""mtf.viz.tape_graph: recorded ops per module call, values, signed gradients, collapsing."""
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
        assert label_text(g.nodes[w_in])[:2] == ["w", f"{layer.w.shape} float64"]
        assert label_text(g.nodes[b_in])[:2] == ["b", f"{layer.b.shape} float64"]
        assert g.node_clusters[w_in] == ("cluster_mlp/", f"cluster_mlp/linear_{i}/")
    sources = [n for n in g.nodes if n.startswith("in")]
    assert len(sources) == 6 + 2          # each variable once, plus x and y
    x_node = [t for t, _ in g.incoming(ops[0])][0]
    assert label_text(g.nodes[x_node])[:2] == ["constant", "(2, 3) float64"]
    assert g.node_clusters[x_node] == ()


def test_gradients_are_signed_and_match_hand_computed_values():
    # f = sum(w * x) + 3: df/dw = x, df/d(w*x) = ones, df/dsum = 1.
    w = mtf.Variable([1.0, -2.0, 0.5], name="w")
    x = mtf.constant([3.0, -4.0, 12.0])
    with mtf.GradientTape() as tape:
        f = mtf.reduce_sum(w * x) + 3.0
    g = parse(mtf.viz.tape_graph(tape, target=f).source)
    multiply, reduce_sum, add = _ops(g)
    assert label_text(g.nodes["in0"]) == ["w", "(3,) float32", "value [1, -2, 0.5]",
                                          "grad [3, -4, 12]"]
    assert label_text(g.nodes[multiply]) == ["multiply", "(3,) float32",
                                             "value [3, 8, 6]", "grad [1, 1, 1]"]
    assert label_text(g.nodes[reduce_sum])[-2:] == ["value 17", "grad 1"]
    assert label_text(g.nodes[add])[-2:] == ["value 20", "grad 1"]
    assert g.nodes[add]["penwidth"] == "2"          # the target stands out
    assert label_text(g.nodes["in1"]) == ["constant", "(3,) float32", "value [3, -4, 12]"]


def test_negative_scalar_gradient_keeps_its_sign_exactly():
    x = mtf.constant(0.1)
    with mtf.GradientTape() as tape:
        tape.watch(x, name="x")
        y = -1.5 * x
    g = parse(mtf.viz.tape_graph(tape, target=y).source)
    assert label_text(g.nodes["in0"]) == ["x", "() float32", "value 0.1", "grad -1.5"]
    value, grad = label_text(g.nodes["op0"])[-2:]
    assert grad == "grad 1"
    assert np.float32(value.split()[1]) == np.float32(-1.5) * np.float32(0.1)  # exact
    assert value == "value -0.15"                                             # and short


def test_large_values_show_min_mean_max_and_gradient_norm():
    x = mtf.constant(np.arange(-3.0, 5.0))          # 8 elements: more than 6
    with mtf.GradientTape() as tape:
        tape.watch(x, name="x")
        y = mtf.reduce_sum(x * x)
    g = parse(mtf.viz.tape_graph(tape, target=y).source)
    expected_norm = np.linalg.norm(2 * np.arange(-3.0, 5.0))
    assert label_text(g.nodes["in0"])[2:] == ["value min -3 mean 0.5 max 4",
                                              f"grad norm {expected_norm:.4g}"]


def test_values_false_leaves_only_shape_and_gradient():
    x = mtf.constant(2.0)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    g = parse(mtf.viz.tape_graph(tape, target=y, values=False).source)
    assert label_text(g.nodes["op0"]) == ["multiply", "() float32", "grad 1"]
    assert label_text(g.nodes["in0"]) == ["watched", "() float32", "grad 4"]


def test_gradients_match_tape_gradient_for_the_mlp():
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
        array = np.asarray(grad, np.float64)
        expected = (f"grad norm {np.sqrt(np.sum(array ** 2)):.4g}" if array.size > 6 else
                    "grad [" + ", ".join(f"{e:.4g}" for e in array.ravel()) + "]")
        assert by_name[(f"cluster_{scope}/", short[0])] == expected


def test_output_gradients_scale_the_gradients():
    x = mtf.constant([1.0, 2.0])
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 3.0
    g = parse(mtf.viz.tape_graph(tape, target=y,
                                 output_gradients=mtf.constant([2.0, -1.0])).source)
    # d(g . y)/dx = 3 * g = [6, -3]
    assert label_text(g.nodes["in0"]) == ["watched", "(2,) float32", "value [1, 2]",
                                          "grad [6, -3]"]


def test_sparse_gradient_is_drawn_dense():
    table = mtf.Variable(np.ones((3, 2), np.float32), name="table")
    with mtf.GradientTape() as tape:
        s = mtf.reduce_sum(mtf.gather(table, [0, 0, 2]))
    g = parse(mtf.viz.tape_graph(tape, target=s).source)
    # rows 0 (twice) and 2 get 2 and 1 per element
    assert label_text(g.nodes["in0"])[-1] == "grad [2, 2, 0, 0, 1, 1]"


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
    assert label_text(g.nodes["in1"]) == ["frozen", "(1,) float32", "non-trainable",
                                          "value 2"]
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


# --- names, gradient ops, collapsing, drawing after gradient() or an optimizer step ---

def test_sources_are_labelled_with_their_names():
    x = mtf.constant(2.0)
    pair = [mtf.constant(1.0), mtf.constant(3.0)]
    c = mtf.constant(0.5, name="c")
    w = mtf.Variable(-3.0, name="w1")
    with mtf.GradientTape() as tape:
        tape.watch(x, name="x")
        tape.watch(pair, name=["p", "q"])
        y = (x * w + c) * pair[0] + pair[1]
    g = parse(mtf.viz.tape_graph(tape).source)
    titles = {label_text(g.nodes[n])[0] for n in g.nodes if n.startswith("in")}
    assert titles == {"x", "w1", "c", "p", "q"}


def test_watch_name_must_match_the_structure():
    with mtf.GradientTape() as tape:
        with pytest.raises(ValueError, match=r"name must be a str or a structure"):
            tape.watch([mtf.constant(1.0), mtf.constant(2.0)], name=["only_one"])


def _second_derivative_tape():
    x = mtf.constant(3.0)
    with mtf.GradientTape() as outer:
        outer.watch(x, name="x")
        with mtf.GradientTape() as inner:
            inner.watch(x)
            y = x * x * x
        dy = inner.gradient(y, x)            # recorded by `outer`: gradient ops
    return outer, y, dy


def test_ops_of_an_inner_backward_pass_are_gradient_ops():
    outer, y, dy = _second_derivative_tape()
    g = parse(mtf.viz.tape_graph(outer, target=dy).source)
    ops = _ops(g)
    forward, backward = ops[:2], ops[2:]
    assert backward, "the inner gradient() recorded ops on the outer tape"
    for op in forward:
        assert "gradient op" not in label_text(g.nodes[op])
        assert "dashed" not in g.nodes[op]["style"]
    for op in backward:
        assert label_text(g.nodes[op])[1] == "gradient op"
        assert "dashed" in g.nodes[op]["style"]
    x_node = next(n for n in g.nodes if label_text(g.nodes[n])[0] == "x")
    assert label_text(g.nodes[x_node])[-1] == "grad 18"      # d(3x^2)/dx at 3


class _Tower(mtf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.inner = mtf.layers.Linear(2, w_init=mtf.initializers.Constant(0.5))

    @mtf.Module.with_name_scope
    def __call__(self, x):
        return mtf.tanh(self.inner(x))


def _siamese():
    tower = _Tower(name="tower")
    a, b = mtf.constant([[1.0, 2.0]]), mtf.constant([[0.0, -1.0]])
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch([a, b], name=["left", "right"])
        d = mtf.reduce_sum(mtf.square(tower(a) - tower(b)))
    return tower, tape, d


def test_a_module_called_twice_is_two_clusters():
    tower, tape, d = _siamese()
    g = parse(mtf.viz.tape_graph(tape, target=d).source)
    assert "cluster_tower/" in g.subgraphs and "cluster_tower/#2" in g.subgraphs
    assert g.subgraphs["cluster_tower/#2"]["label"] == "tower (call 2)"
    ops = _ops(g)
    assert g.node_clusters[ops[0]][0] == "cluster_tower/"
    assert g.node_clusters[ops[2]][0] == "cluster_tower/#2"


def test_collapse_draws_one_box_per_call_sharing_the_weights():
    tower, tape, d = _siamese()
    g = parse(mtf.viz.tape_graph(tape, target=d, collapse=True).source)
    boxes = sorted(n for n in g.nodes if n.startswith("call_"))
    assert boxes == ["call_tower/", "call_tower/#2"]
    assert not g.subgraphs                           # nothing left to cluster
    first, second = (label_text(g.nodes[b]) for b in boxes)
    assert first[:2] == ["tower", "2 ops"] and second[:2] == ["tower (call 2)", "2 ops"]
    # the shared w and b: drawn once, as one node, with an edge to both calls
    (node,) = [n for n in g.nodes if "weights" in label_text(g.nodes[n])[0]]
    gw, gb = (np.asarray(t, np.float64) for t in
              tape.gradient(d, [tower.inner.w, tower.inner.b]))
    norm = np.sqrt(np.sum(gw ** 2) + np.sum(gb ** 2))
    assert label_text(g.nodes[node]) == ["tower/linear weights", "2 variables, 6 params",
                                         "shared by several calls", f"grad norm {norm:.4g}"]
    assert sorted(h for h, _ in g.outgoing(node)) == boxes
    (a_node,) = [n for n in g.nodes if label_text(g.nodes[n])[0] == "left"]
    assert [h for h, _ in g.outgoing(a_node)] == ["call_tower/"]
    assert sorted(t for t, _ in g.incoming(_ops(g)[0])) == boxes    # subtract reads both


def test_collapsed_box_absorbs_its_own_weights_and_shows_its_output():
    mlp, tape, loss = _mlp_and_loss()
    g = parse(mtf.viz.tape_graph(tape, target=loss, collapse=True).source)
    (box,) = [n for n in g.nodes if n.startswith("call_")]
    params = sum(int(v.size) for v in mlp.trainable_variables)
    text = label_text(g.nodes[box])
    assert text[:3] == ["mlp", f"5 ops, {params} params", "out (2, 2) float64"]
    assert not [n for n in g.nodes if label_text(g.nodes[n])[0] in ("w", "b")]
    assert _op_names(g) == ["subtract", "square", "reduce_mean"]


def test_max_depth_keeps_outer_clusters_and_collapses_deeper_calls():
    mlp, tape, loss = _mlp_and_loss()
    g = parse(mtf.viz.tape_graph(tape, max_depth=1).source)
    boxes = [n for n in g.nodes if n.startswith("call_")]
    assert boxes == [f"call_mlp/linear_{i}/" for i in range(3)]
    for box in boxes:
        assert g.node_clusters[box] == ("cluster_mlp/",)
        assert label_text(g.nodes[box])[0] == box[len("call_mlp/"):-1]
    assert list(g.subgraphs) == ["cluster_mlp/"]
    with pytest.raises(ValueError, match=r"max_depth must be an int >= 0"):
        mtf.viz.tape_graph(tape, max_depth=-1)


def test_a_persistent_tape_draws_after_gradient():
    w = mtf.Variable([1.0, -2.0], name="w")
    with mtf.GradientTape(persistent=True) as tape:
        loss = mtf.reduce_sum(w * w)
    grad = tape.gradient(loss, w)
    g = parse(mtf.viz.tape_graph(tape, target=loss).source)
    assert label_text(g.nodes["in0"])[-1] == "grad [2, -4]"
    np.testing.assert_array_equal(grad.numpy(), [2.0, -4.0])


def test_after_an_optimizer_step_the_error_names_tape_graph_and_the_fix():
    w = mtf.Variable([1.0, -2.0], name="w")
    with mtf.GradientTape(persistent=True) as tape:
        loss = mtf.reduce_sum(w * w)
    mtf.optimizers.SGD(0.1).apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    with pytest.raises(RuntimeError, match=r"optimizer step.*before tape_graph\(target=\.\.\.\) "
                                           r"used.*before optimizer\.apply_gradients"):
        mtf.viz.tape_graph(tape, target=loss)
    g = parse(mtf.viz.tape_graph(tape).source)          # without a target it draws
    assert label_text(g.nodes["in0"])[-1] == "assigned after recording"


def test_docstring_examples_run():
    import doctest
    import importlib
    for name in ("minitf.viz.tape_graph", "minitf.viz._values"):
        result = doctest.testmod(importlib.import_module(name),
                                 extraglobs={"mtf": mtf, "np": np})
        assert result.attempted > 0 and result.failed == 0, name
