"""mtf.viz.module_graph: one node per module instance and variable, attribute-path edges."""
import doctest
import importlib
from xml.etree import ElementTree

import graphviz
import numpy as np
import pytest

import minitf as mtf
from _dotparse import label_text, parse


class Leaf(mtf.Module):
    """A module holding given variables under given attribute names."""

    def __init__(self, name=None, **variables):
        super().__init__(name=name)
        for key, value in variables.items():
            setattr(self, key, value)


class AutoEncoder(mtf.Module):
    """The tf.Module RFC's auto-encoder with tied halves: ``decoder = encoder``."""

    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.encoder = mtf.layers.MLP([8, 4], name="encoder")
        self.decoder = self.encoder

    @mtf.Module.with_name_scope
    def __call__(self, x):
        return self.decoder(self.encoder(x))


def _graph(module, **kwargs):
    graph = mtf.viz.module_graph(module, **kwargs)
    return parse(graph.source)


def _module_nodes(g):
    return [n for n, attrs in g.nodes.items() if attrs.get("shape") == "box"]


def _variable_nodes(g):
    return [n for n, attrs in g.nodes.items() if attrs.get("shape") == "ellipse"]


def _svg_texts(svg):
    root = ElementTree.fromstring(svg)
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


def _built_mlp(sizes=(8, 8, 2), n_in=3, dtype=np.float32):
    mlp = mtf.layers.MLP(list(sizes))
    mlp(np.ones((2, n_in), dtype))
    return mlp


def test_returns_a_graphviz_digraph():
    assert isinstance(mtf.viz.module_graph(mtf.Module()), graphviz.Digraph)


def test_one_node_per_module_instance_with_path_ids_and_labelled_edges():
    mlp = _built_mlp()
    g = _graph(mlp)
    assert _module_nodes(g) == ["root", "layers[0]", "layers[1]", "layers[2]"]
    assert len(_module_nodes(g)) == 1 + len(mlp.submodules)
    assert sorted((t, h, a["label"]) for t, h, a in g.edges if h.count(".") == 0) == [
        ("root", f"layers[{i}]", f"layers[{i}]") for i in range(3)]
    assert label_text(g.nodes["root"]) == ["MLP", "mlp", "params 122 (own 0)"]
    # Linear 8 -> 8 has 8*8 weights and 8 biases, all its own.
    assert label_text(g.nodes["layers[1]"]) == ["Linear", "linear_1", "params 72 (own 72)"]


def test_variables_are_leaves_with_shape_dtype_and_attribute_edges():
    mlp = _built_mlp(dtype=np.float64)
    g = _graph(mlp)
    assert len(_variable_nodes(g)) == len(mlp.variables) == 6
    assert label_text(g.nodes["layers[0].w"]) == ["w", "(3, 8) float64"]
    assert label_text(g.nodes["layers[2].b"]) == ["b", "(2,) float64"]
    assert g.nodes["layers[0].w"]["tooltip"] == "mlp/linear_0/w:0"
    assert g.incoming("layers[0].w") == [("layers[0]", {"label": "w"})]
    for node in _variable_nodes(g):
        assert g.outgoing(node) == []


def test_shared_submodule_is_one_node_with_two_labelled_incoming_edges():
    model = AutoEncoder()
    model(np.ones((2, 4), np.float32))
    g = _graph(model)
    # Sorted attribute order: "decoder" comes first, so it names the shared node.
    assert _module_nodes(g) == ["root", "decoder", "decoder.layers[0]", "decoder.layers[1]"]
    assert sorted(g.incoming("decoder"), key=lambda e: e[1]["label"]) == [
        ("root", {"label": "decoder"}), ("root", {"label": "encoder"})]
    assert "encoder" not in g.nodes
    assert label_text(g.nodes["decoder"])[0] == "MLP"
    # 4 -> 8 -> 4: (4*8 + 8) + (8*4 + 4) parameters, counted once at the root.
    assert label_text(g.nodes["root"])[2] == "params 76 (own 0)"


def test_shared_variable_is_one_node_with_an_edge_from_each_holder():
    shared = mtf.Variable(np.zeros((2, 3), np.float32), name="table")
    root = mtf.Module(name="root_module")
    root.first = Leaf(emb=shared)
    root.second = Leaf(weights={"tied": shared})
    root.second.extra = mtf.Variable(1.0, name="extra")
    g = _graph(root)
    tables = [n for n in _variable_nodes(g) if label_text(g.nodes[n])[0] == "table"]
    assert tables == ["first.emb"]
    assert sorted(g.incoming("first.emb")) == [("first", {"label": "emb"}),
                                               ("second", {"label": "weights['tied']"})]
    assert label_text(g.nodes["root"])[2] == "params 7 (own 0)"
    assert label_text(g.nodes["second"])[2] == "params 7 (own 7)"


def test_trainable_and_non_trainable_variables_look_different():
    m = Leaf(kept=mtf.Variable([1.0, 2.0], name="kept"),
             stat=mtf.Variable([0.0], trainable=False, name="stat"))
    g = _graph(m)
    kept, stat = g.nodes["kept"], g.nodes["stat"]
    assert "dashed" in stat["style"] and "dashed" not in kept["style"]
    assert stat["fillcolor"] != kept["fillcolor"]
    assert label_text(stat) == ["stat", "(1,) float32", "non-trainable"]
    assert label_text(kept) == ["kept", "(2,) float32"]


def test_lists_dicts_and_nesting_give_python_like_paths():
    inner = Leaf(v=mtf.Variable(0.0, name="v"))
    root = mtf.Module(name="outer")
    root.blocks = {"b": [Leaf(), inner], "a": Leaf()}
    g = _graph(root)
    assert _module_nodes(g) == ["root", "blocks['a']", "blocks['b'][0]", "blocks['b'][1]"]
    assert g.incoming("blocks['b'][1].v") == [("blocks['b'][1]", {"label": "v"})]


def test_node_order_follows_submodules_order():
    # The traversal order of the tf.Module RFC's example: A{b: B, c: C}, B{d: D}, C{e: E}, D{f: F} -> (B, C, D, F, E).
    a, b, c, d, e, f = (mtf.Module(name=n) for n in "abcdef")
    a.b, a.c, b.d, c.e, d.f = b, c, d, e, f
    g = _graph(a)
    assert _module_nodes(g) == ["root", "b", "c", "b.d", "b.d.f", "c.e"]
    names = [label_text(g.nodes[n])[1] for n in _module_nodes(g)[1:]]
    assert names == [m.name for m in a.submodules]


def test_two_builds_give_byte_identical_dot():
    def build():
        model = AutoEncoder()
        model(np.ones((3, 4), np.float32))
        model.frozen = mtf.Variable(np.zeros(2), trainable=False, name="frozen")
        return mtf.viz.module_graph(model).source
    first, second = build(), build()
    assert first == second
    assert "0x" not in first          # no object addresses leak into ids or labels


def test_show_variables_false_keeps_counts_but_drops_variable_nodes():
    mlp = _built_mlp()
    g = _graph(mlp, show_variables=False)
    assert _variable_nodes(g) == []
    assert len(g.nodes) == 4 and len(g.edges) == 3
    assert label_text(g.nodes["layers[0]"])[2] == "params 32 (own 32)"


def test_max_depth_cuts_the_tree_and_says_what_is_hidden():
    model = AutoEncoder()
    model(np.ones((2, 4), np.float32))
    g = _graph(model, max_depth=1)
    assert _module_nodes(g) == ["root", "decoder"]
    assert label_text(g.nodes["decoder"])[-1] == "+2 submodules hidden"
    g0 = _graph(model, max_depth=0)
    assert list(g0.nodes) == ["root"] and g0.edges == []
    assert label_text(g0.nodes["root"])[-1] == "+3 submodules hidden"


def test_a_cycle_is_drawn_once_with_an_edge_back():
    a, b = mtf.Module(name="a"), mtf.Module(name="b")
    a.child, b.parent = b, a
    g = _graph(a)
    assert list(g.nodes) == ["root", "child"]
    assert ("child", "root", {"label": "parent"}) in g.edges


def test_an_attribute_named_root_does_not_merge_with_the_root_node():
    m = mtf.Module(name="top")
    m.root = mtf.Module(name="inner")
    g = _graph(m)
    assert _module_nodes(g) == ["root", "root#2"]
    assert g.edges == [("root", "root#2", {"label": "root"})]


def test_labels_are_escaped_and_render():
    m = mtf.Module(name="m")
    m.table = {"<b>&\"x\"": mtf.Variable(1.0, name="v")}
    graph = mtf.viz.module_graph(m)
    g = parse(graph.source)
    (node,) = _variable_nodes(g)
    assert node == "table['%3Cb%3E%26%22x%22']"   # ids percent-encode what DOT reads specially
    assert g.incoming(node)[0][1]["label"] == "table['&lt;b&gt;&amp;\"x\"']"
    texts = _svg_texts(graph.pipe(format="svg"))
    assert "table['<b>&\"x\"']" in texts     # the edge label, drawn verbatim


def test_renders_svg_with_every_node():
    mlp = _built_mlp()
    svg = mtf.viz.module_graph(mlp, rankdir="LR").pipe(format="svg").decode()
    for node in ("root", "layers[0]", "layers[2].w"):
        assert f"<title>{node}</title>" in svg


def test_missing_dot_program_says_how_to_install_it(monkeypatch, tmp_path):
    graph = mtf.viz.module_graph(mtf.Module(name="m"))
    monkeypatch.setenv("PATH", str(tmp_path))
    for render in (lambda: graph.pipe(format="svg"),
                   lambda: graph.render(tmp_path / "out", format="png"),
                   lambda: graph._repr_mimebundle_()):
        with pytest.raises(RuntimeError) as info:
            render()
        message = str(info.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "graph.source" in message
    assert "digraph m" in graph.source      # the DOT text needs no program


def test_errors_name_the_function_and_the_bad_value():
    with pytest.raises(TypeError, match=r"module_graph: expected a minitf Module.*list"):
        mtf.viz.module_graph([1, 2])
    with pytest.raises(ValueError, match=r"max_depth must be None or an int >= 0.*-1"):
        mtf.viz.module_graph(mtf.Module(), max_depth=-1)
    with pytest.raises(ValueError, match=r"max_depth must be None or an int >= 0.*True"):
        mtf.viz.module_graph(mtf.Module(), max_depth=True)
    with pytest.raises(ValueError, match=r"rankdir must be one of.*'XY'"):
        mtf.viz.module_graph(mtf.Module(), rankdir="XY")


def test_import_minitf_does_not_import_graphviz():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-c", "import sys, minitf as mtf\n"
                          "print('graphviz' in sys.modules)\n"
                          "mtf.viz.module_graph(mtf.Module())\n"
                          "print('graphviz' in sys.modules)"],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["False", "True"], out.stderr


@pytest.mark.parametrize("name", ["module_graph", "tape_graph", "summary"])
def test_docstring_examples(name):
    module = importlib.import_module(f"minitf.viz.{name}")
    result = doctest.testmod(module, extraglobs={"mtf": mtf}, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
