"""mtf.viz.function_graph: a traced program, clustered by scope, parts told apart, collapsible."""
import doctest
import importlib
from xml.etree import ElementTree

import graphviz
import numpy as np
import pytest

import minitf as mtf
from _dotparse import label_text, parse

SVG = "{http://www.w3.org/2000/svg}"
ENCODER, DENSE = "cluster_encoder/", "cluster_encoder/dense/"
# The ops of _training_step, in the order they run (op<index> in the DOT).
NAMES = ["x", "multiply", "tanh", "add", "subtract", "multiply_1",           # forward
         "multiply_2", "multiply_3", "add", "tanh_grad", "multiply_4",      # backward
         "multiply", "assign_sub"]                                         # lr * g, update


def _training_step():
    """A step with a forward pass in encoder/ and encoder/dense/, its backward pass
    recorded in encoder/, and a Variable update at the top."""
    v = mtf.Variable(np.ones(3, np.float32), name="v")

    @mtf.function
    def step(x):
        with mtf.name_scope("encoder"):
            with mtf.GradientTape() as tape:
                h = mtf.tanh(x * v)
                with mtf.name_scope("dense"):
                    a = h + 1.0
                    b = h - 2.0
                loss = a * b
            grad = tape.gradient(loss, v)
        v.assign_sub(grad * 0.1)
        return loss
    return step


def _concrete(step=None):
    step = step or _training_step()
    return step.get_concrete_function(mtf.constant(np.ones(3, np.float32)))


def _graph(concrete=None, **kwargs):
    return parse(mtf.viz.function_graph(concrete or _concrete(), **kwargs).source)


def _ops(g):
    """Op node ids in graph order (``op<index>``; constants are ``op<i>_arg<j>``)."""
    return sorted((n for n in g.nodes if n.startswith("op") and "_" not in n),
                  key=lambda n: int(n[2:]))


def _part_of(attrs):
    """Which part a node's style says it belongs to."""
    styles = {("#dcfce7", "filled"): "input", ("#ede9fe", "rounded,filled"): "forward",
              ("#fce7f3", "rounded,filled,dashed"): "backward",
              ("#fee2e2", "filled,bold"): "update"}
    return styles[(attrs["fillcolor"], attrs["style"])]


def _edge_pairs(g):
    return [(tail, head) for tail, head, _ in g.edges]


def test_returns_a_digraph_named_after_the_function():
    concrete = _concrete()
    graph = mtf.viz.function_graph(concrete)
    assert isinstance(graph, graphviz.Digraph)
    assert parse(graph.source).name == "step"
    assert parse(mtf.viz.function_graph(concrete, name="train").source).name == "train"


def test_one_node_per_operation_named_by_its_last_component():
    concrete = _concrete()
    g = _graph(concrete)
    ops = _ops(g)
    assert len(ops) == len(concrete.graph.operations) == len(NAMES)
    assert [label_text(g.nodes[n])[0] for n in ops] == NAMES
    assert [g.nodes[n]["tooltip"] for n in ops] == [op.name for op in concrete.graph.operations]
    assert label_text(g.nodes["op0"]) == ["x", "(3,) float32"]
    assert g.nodes["op0"]["shape"] == "ellipse"              # the Placeholder: an input
    assert label_text(g.nodes["op3"]) == ["add", "(3,) float32"]
    assert label_text(g.nodes["op12"]) == ["assign_sub"]     # a write has no output


def test_nested_name_scopes_give_nested_clusters():
    g = _graph()
    ops = _ops(g)
    where = [g.node_clusters[n] for n in ops]
    assert where == [()] + [(ENCODER,)] * 2 + [(ENCODER, DENSE)] * 2 + [(ENCODER,)] * 6 + [()] * 2
    assert g.subgraphs[DENSE]["parent"] == ENCODER and g.subgraphs[ENCODER]["parent"] is None
    assert label_text(g.subgraphs[ENCODER]) == ["encoder"]
    assert label_text(g.subgraphs[DENSE]) == ["dense"]


def test_parts_are_told_apart_and_backward_ops_keep_their_scope():
    concrete = _concrete()
    g = _graph(concrete)
    ops = _ops(g)
    assert [_part_of(g.nodes[n]) for n in ops] == [op.part for op in concrete.graph.operations]
    assert [_part_of(g.nodes[n]) for n in ops] == (
        ["input"] + ["forward"] * 5 + ["backward"] * 5 + ["forward", "update"])
    backward = [n for n in ops if _part_of(g.nodes[n]) == "backward"]
    assert {g.node_clusters[n] for n in backward} == {(ENCODER,)}
    assert g.node_clusters["op12"] == ()                       # assign_sub at the top
    legend = {n: label_text(a) for n, a in g.nodes.items() if n.startswith("legend_")}
    assert legend == {"legend_input": ["input", "1 op"], "legend_forward": ["forward", "6 ops"],
                      "legend_backward": ["backward", "5 ops"],
                      "legend_update": ["update", "1 op"]}
    assert {g.node_clusters[n] for n in legend} == {("cluster_legend",)}
    for part in ("input", "forward", "backward", "update"):
        assert _part_of(g.nodes[f"legend_{part}"]) == part


def test_edges_follow_the_inputs_from_ops_variables_and_constants():
    g = _graph()
    assert [t for t, _ in g.incoming("op5")] == ["op3", "op4"]     # loss = a * b
    assert [t for t, _ in g.incoming("op10")] == ["op9", "op0"]    # tanh_grad * x
    assert [t for t, _ in g.incoming("op1")] == ["op0", "var0"]    # x * v
    assert label_text(g.nodes["var0"]) == ["v", "(3,) float32"]
    assert g.node_clusters["var0"] == () and g.nodes["var0"]["tooltip"] == "v:0"
    assert g.incoming("op12") == [("var0", {"label": "writes"}), ("op11", {})]
    assert [t for t, _ in g.incoming("op3")] == ["op2", "op3_arg1"]
    assert label_text(g.nodes["op3_arg1"]) == ["constant", "() float32"]
    assert g.node_clusters["op3_arg1"] == (ENCODER, DENSE)          # drawn at its op
    assert len(g.edges) == 23


def test_the_returned_op_has_a_thick_border():
    g = _graph()
    thick = [n for n in _ops(g) if "penwidth" in g.nodes[n]]
    assert thick == ["op5"]


def test_collapse_draws_one_box_per_top_level_scope():
    g = _graph(collapse=True)
    box = "box_encoder/"
    assert sorted(n for n in g.nodes if not n.startswith("legend_")) == sorted(
        ["op0", box, "var0", "op11", "op11_arg1", "op12"])
    assert not [s for s in g.subgraphs if s != "cluster_legend"]
    assert label_text(g.nodes[box]) == ["encoder", "5 forward ops", "5 backward ops",
                                        "1 nested scope"]
    assert g.nodes[box]["tooltip"] == "encoder/" and g.nodes[box]["penwidth"] == "2.5"
    assert sorted(_edge_pairs(g)) == sorted([
        ("op0", box), ("var0", box), (box, "op11"), ("op11_arg1", "op11"),
        ("var0", "op12"), ("op11", "op12")])
    assert label_text(g.nodes["legend_box"])[0] == "collapsed scope"
    assert label_text(g.nodes["legend_forward"]) == ["forward", "6 ops"]   # all ops counted


def test_max_depth_keeps_outer_clusters_and_boxes_deeper_scopes_with_merged_edges():
    g = _graph(max_depth=1)
    box = "box_encoder/dense/"
    assert g.node_clusters[box] == (ENCODER,)
    assert DENSE not in g.subgraphs
    assert label_text(g.nodes[box]) == ["dense", "2 forward ops"]
    assert "penwidth" not in g.nodes[box]
    assert len(_ops(g)) == len(NAMES) - 2
    # tanh feeds both add and subtract: one edge; a and b both reach loss: one edge
    # that says so; the backward ops read one each.
    assert [(t, a) for t, a in g.incoming(box)] == [("op2", {})]
    assert g.outgoing(box) == [("op5", {"label": "2 tensors"}), ("op6", {}), ("op7", {})]
    assert "op3_arg1" not in g.nodes                               # hidden in the box


def test_collapse_is_max_depth_zero_and_deep_max_depth_changes_nothing():
    concrete = _concrete()

    def source(**kwargs):
        return mtf.viz.function_graph(concrete, **kwargs).source
    assert source(collapse=True) == source(max_depth=0)
    assert source(collapse=True, max_depth=1) == source(max_depth=1) != source(max_depth=0)
    assert source(max_depth=2) == source(max_depth=5) == source()
    assert "box_" not in source(max_depth=2)


def test_layers_variables_sit_in_their_layer_and_in_its_box_when_collapsed():
    mlp = mtf.layers.MLP([4, 2])
    mlp(np.zeros((2, 3), np.float32))

    @mtf.function
    def train(x):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mlp(x))
        for v, g in zip(mlp.trainable_variables, tape.gradient(loss, mlp.trainable_variables)):
            v.assign_sub(g * 0.01)
        return loss
    concrete = train.get_concrete_function(mtf.constant(np.ones((2, 3), np.float32)))
    g = _graph(concrete)
    variables = {label_text(a)[0] + "@" + g.node_clusters[n][-1]
                 for n, a in g.nodes.items() if n.startswith("var")}
    assert variables == {f"{w}@cluster_mlp/linear_{i}/" for w in "wb" for i in range(2)}
    writes = [t for t, _, a in g.edges if a.get("label") == "writes"]
    assert sorted(writes) == sorted(n for n in g.nodes if n.startswith("var"))
    boxed = _graph(concrete, collapse=True)
    assert [n for n in boxed.nodes if n.startswith("box_")] == ["box_mlp/"]
    text = label_text(boxed.nodes["box_mlp/"])
    assert text[0] == "mlp" and text[-2:] == ["2 nested scopes", "4 variables"]
    assert not [n for n in boxed.nodes if n.startswith("var")]
    updates = [n for n, a in boxed.nodes.items()
               if n.startswith("op") and a.get("fillcolor") == "#fee2e2"]
    assert len(updates) == 4
    for update in updates:                    # each update reads its Variable in the box
        assert "box_mlp/" in [t for t, _ in boxed.incoming(update)]


def test_a_nested_function_call_is_one_double_bordered_node():
    double = mtf.function(lambda z: z * 2.0, name="double")

    @mtf.function
    def outer(x):
        with mtf.name_scope("block"):
            return double(x) + 1.0
    g = _graph(outer.get_concrete_function(mtf.constant(1.0)))
    call = [n for n, a in g.nodes.items() if a.get("peripheries") == "2"]
    assert call == ["op1"]
    assert label_text(g.nodes["op1"]) == ["double", "call", "() float32"]
    assert g.node_clusters["op1"] == ("cluster_block/",)
    assert g.incoming("op1") == [("op0", {})]


def test_an_op_named_with_name_shows_its_type_too():
    @mtf.function
    def f(x):
        return mtf.multiply(x, 2.0, name="scaled")
    g = _graph(f.get_concrete_function(mtf.constant(1.0)))
    assert label_text(g.nodes["op1"]) == ["scaled", "multiply", "() float32"]


def test_accepts_an_mtf_function_traced_exactly_once():
    step = _training_step()
    with pytest.raises(TypeError, match=r"'step' has not been traced yet.*"
                                        r"step.get_concrete_function\(\*args\)"):
        mtf.viz.function_graph(step)
    concrete = _concrete(step)
    assert mtf.viz.function_graph(step).source == mtf.viz.function_graph(concrete).source
    step.get_concrete_function(mtf.constant(np.ones((2, 3), np.float32)))
    with pytest.raises(TypeError, match=r"has 2 concrete functions.*get_concrete_function"):
        mtf.viz.function_graph(step)


def test_errors_name_the_function_and_the_bad_value():
    with pytest.raises(TypeError, match=r"expected a ConcreteFunction.*Received: Module"):
        mtf.viz.function_graph(mtf.Module())
    with pytest.raises(TypeError, match=r"Wrap a Python function with mtf.function"):
        mtf.viz.function_graph(lambda x: x)
    concrete = _concrete()
    with pytest.raises(ValueError, match=r"max_depth must be None or an int >= 0.*-1"):
        mtf.viz.function_graph(concrete, max_depth=-1)
    with pytest.raises(ValueError, match=r"max_depth must be None or an int >= 0.*True"):
        mtf.viz.function_graph(concrete, max_depth=True)
    with pytest.raises(TypeError, match=r"collapse must be True or False.*'yes'"):
        mtf.viz.function_graph(concrete, collapse="yes")
    with pytest.raises(ValueError, match=r"rankdir must be one of.*'XY'"):
        mtf.viz.function_graph(concrete, rankdir="XY")


def test_two_traces_give_byte_identical_dot():
    sources = [mtf.viz.function_graph(_concrete(), max_depth=1).source for _ in range(2)]
    assert sources[0] == sources[1]


def _svg_texts(graph):
    root = ElementTree.fromstring(graph.pipe(format="svg"))
    return [(t.text or "").replace("\xa0", " ") for t in root.iter(f"{SVG}text")]


def test_any_scope_text_renders_and_reads_back():
    scope = 'a:b <c> & "q" %3A'

    @mtf.function
    def f(x):
        with mtf.name_scope(scope):
            with mtf.name_scope("tab\there"):
                return mtf.tanh(x)
    concrete = f.get_concrete_function(mtf.constant(1.0))
    texts = _svg_texts(mtf.viz.function_graph(concrete))
    assert scope in texts and "tab\\there" in texts        # cluster titles; a tab as \t
    assert scope in _svg_texts(mtf.viz.function_graph(concrete, collapse=True))   # the box


@pytest.mark.parametrize("rankdir", ["TB", "LR", "BT", "RL"])
def test_legend_reads_in_part_order(rankdir):
    graph = mtf.viz.function_graph(_concrete(), collapse=True, rankdir=rankdir)
    placed = {}
    for line in graph.pipe(format="plain").decode().splitlines():
        if line.startswith("node legend_"):
            _, node, x, y = line.split()[:4]
            placed[node] = float(x) if rankdir in ("TB", "BT") else -float(y)
    assert sorted(placed, key=placed.get) == [
        "legend_input", "legend_forward", "legend_backward", "legend_update", "legend_box"]


def test_renders_svg():
    svg = mtf.viz.function_graph(_concrete(), rankdir="LR").pipe(format="svg").decode()
    assert "<title>cluster_encoder/dense/</title>" in svg and "<title>op12</title>" in svg


def test_docstring_example():
    module = importlib.import_module("minitf.viz.function_graph")
    result = doctest.testmod(module, extraglobs={"mtf": mtf}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_variables_are_told_apart_by_identity_and_trainability():
    a = mtf.Variable(np.ones(2, np.float32), name="w")
    b = mtf.Variable(np.ones(2, np.float32), name="w", trainable=False)
    f = mtf.function(lambda x: x * a + x * b)
    g = _graph(f.get_concrete_function(mtf.constant(np.ones(2, np.float32))))
    variables = [n for n in g.nodes if n.startswith("var")]
    assert len(variables) == 2
    styles = sorted(g.nodes[n].get("style") for n in variables)
    assert styles == ["filled", "filled,dashed"]
