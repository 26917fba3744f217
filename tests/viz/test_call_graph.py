"""mtf.viz.call_graph: one box per module call, edges where one call's output feeds another."""
import numpy as np
import pytest

import minitf as mtf
from minitf import module as module_lib
from minitf.viz.call_graph import SHARED_FILLS

from _dotparse import label_text, parse


class Siamese(mtf.Module):
    """One tower called on both inputs; the head sees |left - right|."""

    def __init__(self):
        super().__init__()
        self.tower = mtf.layers.Linear(4, name="tower")
        self.head = mtf.layers.Linear(1, name="head")

    @mtf.Module.with_name_scope
    def __call__(self, left, right):
        return self.head(mtf.abs(self.tower(left) - self.tower(right)))


class Loop(mtf.Module):
    """Python control flow: the same layer applied ``steps`` times (a plain __call__)."""

    def __init__(self):
        super().__init__()
        self.cell = mtf.layers.Linear(3, name="cell")

    def __call__(self, x, steps=3):
        for _ in range(steps):
            x = self.cell(x)
        return x


class Branchy(mtf.Module):
    """Outputs of two calls meet in a plain op; one call's input is a model input."""

    def __init__(self):
        super().__init__()
        self.a = mtf.layers.Linear(2, name="a")
        self.b = mtf.layers.Linear(2, name="b")
        self.c = mtf.layers.Linear(2, name="c")

    def __call__(self, x):
        return self.c(self.a(x) * 2.0 + self.b(x))


class Coder(mtf.Module):
    """Name-scoped methods other than __call__ are calls too."""

    def __init__(self):
        super().__init__()
        self.inner = mtf.layers.Linear(2, name="inner")

    @mtf.Module.with_name_scope
    def encode(self, x):
        return self.inner(x)

    @mtf.Module.with_name_scope
    def __call__(self, x):
        return self.encode(x) + 1.0


def _graph(module, *inputs, **kwargs):
    return parse(mtf.viz.call_graph(module, *inputs, **kwargs).source)


def _titles(graph):
    return {node: label_text(attrs)[0] for node, attrs in graph.nodes.items()}


def _edges(graph):
    titles = _titles(graph)
    return sorted((titles[tail], titles[head], attrs.get("label", "").strip("<>"))
                  for tail, head, attrs in graph.edges)


def test_siamese_tower_is_two_boxes_marked_shared_in_one_colour():
    x = np.ones((5, 3), np.float32)
    graph = _graph(Siamese(), x, 2 * x)
    towers = [n for n, t in _titles(graph).items() if t == "tower"]
    assert len(towers) == 2
    lines = [label_text(graph.nodes[n]) for n in towers]
    assert [line[-1] for line in lines] == ["shared: call 1 of 2", "shared: call 2 of 2"]
    assert {graph.nodes[n]["fillcolor"] for n in towers} == {SHARED_FILLS[0]}
    # 3 * 4 + 4 parameters, shapes from the real call
    assert lines[0][1:5] == ["Linear", "in (5, 3)", "out (5, 4)", "params 16"]
    head = next(n for n, t in _titles(graph).items() if t == "head")
    assert graph.nodes[head]["fillcolor"] == "#dbeafe"          # not shared: plain
    assert _edges(graph) == sorted([
        ("left", "tower", ""), ("right", "tower", ""),
        ("tower", "head", "subtract, abs"), ("tower", "head", "subtract, abs"),
        ("head", "output", "")])
    # each input reaches its own tower call
    left_to = [head for tail, head, _ in graph.edges if tail == "input_0"]
    right_to = [head for tail, head, _ in graph.edges if tail == "input_1"]
    assert left_to != right_to and set(left_to + right_to) == set(towers)


def test_edges_through_plain_ops_are_dashed_and_name_the_ops():
    graph = _graph(Branchy(), np.ones((2, 3), np.float32))
    assert _edges(graph) == sorted([
        ("x", "a", ""), ("x", "b", ""), ("a", "c", "multiply, add"),
        ("b", "c", "add"), ("c", "output", "")])
    styles = {(_titles(graph)[t], _titles(graph)[h]): a.get("style")
              for t, h, a in graph.edges}
    assert styles[("a", "c")] == "dashed" and styles[("x", "a")] is None


def test_python_loop_is_one_box_per_iteration_chained():
    graph = _graph(Loop(), np.ones((1, 3), np.float32), steps=4)
    cells = [n for n, t in _titles(graph).items() if t == "cell"]
    assert len(cells) == 4
    chain = [(t, h) for t, h, _ in graph.edges if t in cells and h in cells]
    assert chain == list(zip(cells, cells[1:]))
    assert label_text(graph.nodes[cells[2]])[-1] == "shared: call 3 of 4"


def test_nested_calls_become_clusters_with_max_depth():
    mlp = mtf.layers.MLP([4, 2])

    class Wrap(mtf.Module):
        def __init__(self):
            super().__init__()
            self.mlp = mlp

        def __call__(self, x):
            return self.mlp(x)

    x = np.ones((2, 3), np.float32)
    flat = _graph(Wrap(), x)
    assert sorted(_titles(flat).values()) == ["mlp", "output", "x"]   # x: __call__'s
    assert flat.subgraphs == {}
    deep = _graph(Wrap(), x, max_depth=None)
    assert sorted(_titles(deep).values()) == ["mlp.layers[0]", "mlp.layers[1]", "output",
                                              "x"]
    (cluster,) = deep.subgraphs
    assert cluster.startswith("cluster_call_")
    assert label_text(deep.subgraphs[cluster])[:2] == ["mlp", "MLP"]
    assert all(deep.node_clusters[n] == (cluster,)
               for n, t in _titles(deep).items() if t.startswith("mlp."))
    assert _edges(deep) == sorted([("x", "mlp.layers[0]", ""),
                                   ("mlp.layers[0]", "mlp.layers[1]", "relu"),
                                   ("mlp.layers[1]", "output", "")])
    root_only = _graph(mlp, x, max_depth=0)
    assert _edges(root_only) == [("MLP", "output", ""), ("inputs", "MLP", "")]


def test_other_methods_and_docstring_example():
    graph = _graph(Coder(), np.ones((1, 2), np.float32))
    assert _edges(graph) == [("coder.encode", "output", "add"),
                             ("x", "coder.encode", "")]
    deep = _graph(Coder(), np.ones((1, 2), np.float32), max_depth=None)
    assert _edges(deep) == [("inner", "output", "add"), ("x", "inner", "")]
    (cluster,) = deep.subgraphs
    assert label_text(deep.subgraphs[cluster])[0] == "coder.encode"
    source = mtf.viz.call_graph(mtf.layers.MLP([4, 2]), mtf.ones([3, 5])).source
    assert [line.strip() for line in source.splitlines() if "->" in line] == [
        "input -> call_1", "call_1 -> call_2 [label=<relu> style=dashed]",
        "call_2 -> output"]


def test_integer_inputs_and_structured_outputs():
    class Tagger(mtf.Module):
        def __init__(self):
            super().__init__()
            self.embed = mtf.layers.Embedding(10, 3)
            self.out = mtf.layers.Linear(2)

        def __call__(self, ids):
            h = self.embed(ids)
            return self.out(h), h

    graph = _graph(Tagger(), np.array([[1, 2], [3, 4]]))
    assert _edges(graph) == sorted([("ids", "embed", ""), ("embed", "out", ""),
                                    ("out", "output 0", ""), ("embed", "output 1", "")])
    assert label_text(graph.nodes["input"])[1].startswith("(2, 2) int")


def test_user_tapes_hooks_and_classes_are_left_as_they_were():
    loop_call = vars(Loop)["__call__"]
    x = mtf.constant(np.ones((1, 3), np.float32))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        mtf.viz.call_graph(Loop(), x)
        assert tape._nodes == []
    assert vars(Loop)["__call__"] is loop_call
    assert module_lib._call_hooks == []

    class Broken(mtf.Module):
        def __call__(self, x):
            raise ValueError("broken on purpose")

    with pytest.raises(ValueError, match="broken on purpose"):
        mtf.viz.call_graph(Broken(), x)
    assert module_lib._call_hooks == [] and "__call__" in vars(Broken)


def test_errors_name_the_fix():
    with pytest.raises(TypeError, match="call_graph: expected a minitf Module"):
        mtf.viz.call_graph(3)
    with pytest.raises(TypeError, match="no __call__.*module_graph"):
        mtf.viz.call_graph(mtf.Module(), np.ones(2))
    with pytest.raises(ValueError, match="max_depth must be None or an int >= 0"):
        mtf.viz.call_graph(mtf.layers.Linear(2), np.ones((1, 2)), max_depth=-1)


def test_renders_with_dot():
    svg = mtf.viz.call_graph(Siamese(), np.ones((1, 3), np.float32),
                             np.ones((1, 3), np.float32)).pipe(format="svg").decode()
    assert svg.count("shared: call") == 2


def test_inputs_are_named_after_call_parameters_or_numbered():
    class Star(mtf.Module):
        def __init__(self):
            super().__init__()
            self.layer = mtf.layers.Linear(2, name="layer")

        def __call__(self, *xs):
            return self.layer(xs[0] + xs[1])

    graph = _graph(Star(), np.ones((1, 2), np.float32), np.ones((1, 2), np.float32))
    assert _edges(graph) == [("input 0", "layer", "add"), ("input 1", "layer", "add"),
                             ("layer", "output", "")]


def test_a_call_that_ignores_its_inputs_still_feeds_the_next():
    class Noise(mtf.Module):
        def __call__(self, x):
            return mtf.random.normal([2, 3])

    class Model(mtf.Module):
        def __init__(self):
            super().__init__()
            self.noise, self.out = Noise(), mtf.layers.Linear(1, name="out")

        def __call__(self, x):
            return self.out(self.noise(x) * 3.0)

    graph = _graph(Model(), np.ones((2, 3), np.float32))
    assert _edges(graph) == [("noise", "out", "multiply"), ("out", "output", ""),
                             ("x", "noise", "")]


def test_positional_python_values_pass_unchanged_and_other_threads_are_not_recorded():
    import threading
    side = mtf.layers.Linear(2, name="side")
    side(np.ones((1, 3), np.float32))

    class Threaded(mtf.Module):
        def __init__(self):
            super().__init__()
            self.cell = mtf.layers.Linear(3, name="cell")

        def __call__(self, x, steps):
            worker = threading.Thread(target=side, args=(np.ones((1, 3), np.float32),))
            worker.start()
            worker.join()
            for _ in range(steps):
                x = self.cell(x)
            return x

    graph = _graph(Threaded(), np.ones((1, 3), np.float32), 2)
    assert sorted(_titles(graph).values()) == ["cell", "cell", "output", "x"]
    assert [(t, h) for t, h, _ in graph.edges][0] == ("input_0", "call_1")
