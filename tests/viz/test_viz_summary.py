"""mtf.viz.summary: rows per module instance in call order, output shapes and call counts
from one call, subtree totals with own counts, true totals."""
from html.parser import HTMLParser

import numpy as np
import pytest

import minitf as mtf


class AutoEncoder(mtf.Module):
    """Tied auto-encoder (``decoder = encoder``) with a batch norm on the input."""

    def __init__(self):
        super().__init__()
        with self.name_scope:
            self.norm = mtf.layers.BatchNorm()
            self.encoder = mtf.layers.MLP([8, 4], name="encoder")
        self.decoder = self.encoder

    @mtf.Module.with_name_scope
    def __call__(self, x):
        return self.decoder(self.encoder(self.norm(x)))


class Pair(mtf.Module):
    """Returns a tuple, so its output shape is a tuple of shapes."""

    def __init__(self):
        super().__init__()
        self.left = mtf.layers.Linear(2)

    def __call__(self, x):
        return self.left(x), x


class Loud(mtf.layers.Linear):
    """A subclass whose __call__ calls the parent's: still one row, the outer output."""

    def __call__(self, x):
        return mtf.reduce_sum(super().__call__(x), axis=-1)


class Broken(mtf.Module):
    def __init__(self):
        super().__init__()
        self.inner = mtf.layers.Linear(3)

    def __call__(self, x):
        self.inner(x)
        raise ValueError("broken on purpose")


def test_mlp_rows_shapes_and_totals_against_hand_counts():
    s = mtf.viz.summary(mtf.layers.MLP([8, 8, 2]), np.ones((4, 3), np.float32))
    assert [(r.path, r.class_name, r.output_shape) for r in s.rows] == [
        ("", "MLP", (4, 2)), ("layers[0]", "Linear", (4, 8)),
        ("layers[1]", "Linear", (4, 8)), ("layers[2]", "Linear", (4, 2))]
    # Linear n -> m has n*m + m parameters; float32 is 4 bytes each. The MLP row
    # counts its subtree and owns nothing itself.
    assert [r.own_params for r in s.rows] == [0, 3 * 8 + 8, 8 * 8 + 8, 8 * 2 + 2]
    assert [r.params for r in s.rows] == [122, 32, 72, 18]
    assert [r.bytes for r in s.rows] == [488, 128, 288, 72]
    assert [r.own_bytes for r in s.rows] == [0, 128, 288, 72]
    assert [r.calls for r in s.rows] == [1, 1, 1, 1]
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == (122, 122, 0)
    assert (s.total_bytes, s.trainable_bytes, s.non_trainable_bytes) == (488, 488, 0)


def test_non_trainable_and_float64_totals():
    model = AutoEncoder()
    s = mtf.viz.summary(model, np.ones((5, 4), np.float64))
    # BatchNorm on 4 channels: scale and offset trainable, two moving stats frozen.
    # Encoder 4 -> 8 -> 4: (4*8 + 8) + (8*4 + 4) = 76, shared with the decoder.
    assert s.trainable_params == 4 + 4 + 76
    assert s.non_trainable_params == 4 + 4
    assert s.total_params == 92 and s.total_bytes == 92 * 8
    assert s.non_trainable_bytes == 8 * 8
    assert sum(r.own_params for r in s.rows) == s.total_params
    assert sum(r.own_bytes for r in s.rows) == s.total_bytes
    assert s.rows[0].params == s.total_params


def test_shared_module_is_one_row_under_its_first_path():
    s = mtf.viz.summary(AutoEncoder(), np.ones((5, 4), np.float32))
    # call order: norm runs first, then the MLP twice (as encoder, then as decoder)
    assert [r.path for r in s.rows] == ["", "norm", "decoder", "decoder.layers[0]",
                                        "decoder.layers[1]"]
    assert [r.aliases for r in s.rows] == [(), (), ("encoder",), (), ()]
    assert [r.calls for r in s.rows] == [1, 1, 2, 2, 2]
    assert "decoder = encoder  MLP" in str(s)
    shapes = {r.path: r.output_shape for r in s.rows}
    assert shapes["norm"] == (5, 4) and shapes["decoder"] == (5, 4)
    assert shapes["decoder.layers[0]"] == (5, 8)


def test_shared_variable_counted_once():
    shared = mtf.Variable(np.zeros((3, 3), np.float32), name="shared")
    root = mtf.Module(name="root")
    root.a, root.b = mtf.Module(name="a"), mtf.Module(name="b")
    root.a.v = shared
    root.b.v = shared
    root.b.own = mtf.Variable(np.zeros(2, np.float16), name="own")
    s = mtf.viz.summary(root)
    assert s.total_params == 9 + 2 and s.total_bytes == 36 + 4
    assert [(r.path, r.params, r.bytes) for r in s.rows] == [
        ("", 11, 40), ("a", 9, 36), ("b", 11, 40)]
    assert [(r.own_params, r.own_bytes) for r in s.rows] == [(0, 0), (9, 36), (2, 4)]


def test_structured_outputs_and_super_calls():
    s = mtf.viz.summary(Pair(), np.ones((2, 5), np.float32))
    assert s.rows[0].output_shape == ((2, 2), (2, 5))
    assert "((2, 2), (2, 5))" in str(s)
    loud = mtf.viz.summary(Loud(3), np.ones((2, 5), np.float32))
    assert [r.output_shape for r in loud.rows] == [(2,)]


def test_class_call_is_restored_after_success_and_error():
    linear_call = vars(mtf.layers.Linear)["__call__"]
    mlp_call = vars(mtf.layers.MLP)["__call__"]
    mtf.viz.summary(mtf.layers.MLP([2]), np.ones((1, 2), np.float32))
    assert vars(mtf.layers.Linear)["__call__"] is linear_call
    assert vars(mtf.layers.MLP)["__call__"] is mlp_call
    with pytest.raises(ValueError, match="broken on purpose"):
        mtf.viz.summary(Broken(), np.ones((1, 2), np.float32))
    assert vars(mtf.layers.Linear)["__call__"] is linear_call
    assert "__call__" not in vars(mtf.Module)


def test_other_instances_and_tapes_are_untouched():
    other = mtf.layers.Linear(2)
    x = mtf.constant(np.ones((1, 3), np.float32))
    with mtf.GradientTape() as tape:
        tape.watch(x)
        s = mtf.viz.summary(mtf.layers.Linear(4), x)
        assert tape._nodes == []
        other(x)
    assert s.rows[0].output_shape == (1, 4)
    assert [node[0] for node in tape._nodes] == ["affine"]      # other's x @ w + b


def test_without_inputs_there_is_no_shape_column():
    mlp = mtf.layers.MLP([3])
    s = mtf.viz.summary(mlp)
    assert s.total_params == 0        # lazy layers have no variables before a call
    assert [r.output_shape for r in s.rows] == [None, None]
    assert "output shape" not in str(s)


def test_text_table_columns_and_totals():
    s = mtf.viz.summary(mtf.layers.MLP([8, 8, 2]), np.ones((4, 3), np.float32))
    lines = str(s).splitlines()
    assert lines[0] == "Summary: MLP 'mlp'"
    assert lines[2].split() == ["module", "class", "output", "shape", "calls", "params",
                                "bytes"]
    body = [line.split() for line in lines[4:8]]
    assert body[0] == ["(root)", "MLP", "(4,", "2)", "1", "122", "(own", "0)", "488"]
    assert body[2] == ["layers[1]", "Linear", "(4,", "8)", "1", "72", "288"]
    assert len({len(line) for line in lines[2:8]}) == 1     # aligned columns
    assert lines[-3:] == ["Total params: 122 (488 B)", "Trainable params: 122 (488 B)",
                          "Non-trainable params: 0 (0 B)"]


def test_large_counts_use_separators_and_binary_units():
    m = mtf.Module(name="big")
    m.w = mtf.Variable(np.zeros((1000, 600), np.float32), name="w")
    text = str(mtf.viz.summary(m))
    assert "600,000" in text and "2,400,000" in text
    assert "Total params: 600,000 (2.3 MiB)" in text      # 2.4e6 / 2**20 = 2.29


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])

    def handle_data(self, data):
        if self.tags and self.tags[-1] in ("td", "th"):
            self.rows[-1].append(data)


def test_html_repr_is_a_table_with_the_same_rows():
    model = mtf.Module(name="m")
    model.child = mtf.Module(name="c")
    model.child.v = mtf.Variable([1.0, 2.0], name="v<&>")
    parser = _Cells()
    parser.feed(mtf.viz.summary(model)._repr_html_())
    assert parser.rows[0] == ["module", "class", "params", "bytes"]
    assert parser.rows[1:3] == [["(root)", "Module", "2 (own 0)", "8"],
                                ["child", "Module", "2", "8"]]
    assert parser.rows[3] == ["Total params: 2 (8 B)"]


def test_errors():
    with pytest.raises(TypeError, match=r"summary: expected a minitf Module.*int"):
        mtf.viz.summary(3)
    with pytest.raises(TypeError, match=r"summary: Module has no __call__.*summary\(module\)"):
        mtf.viz.summary(mtf.Module(), np.ones(2))


class Siamese(mtf.Module):
    """Attributes sort as head, tower; the call runs the tower (twice) first."""

    def __init__(self):
        super().__init__()
        self.tower = mtf.layers.MLP([4, 3], name="tower")
        self.head = mtf.layers.Linear(1, name="head")

    def __call__(self, left, right):
        return self.head(self.tower(left) - self.tower(right))


def test_rows_follow_the_call_and_count_calls_of_shared_modules():
    x = np.ones((2, 5), np.float32)
    model = Siamese()
    s = mtf.viz.summary(model, x, x)
    assert [(r.path, r.calls) for r in s.rows] == [
        ("", 1), ("tower", 2), ("tower.layers[0]", 2), ("tower.layers[1]", 2), ("head", 1)]
    assert [r.path for r in mtf.viz.summary(model).rows] == [    # no inputs: attribute order
        "", "head", "tower", "tower.layers[0]", "tower.layers[1]"]
    table = str(s).splitlines()
    assert table[5].split()[:5] == ["tower", "MLP", "(2,", "3)", "2"]


def test_modules_not_called_come_last():
    model = Siamese()
    model.spare = mtf.layers.Linear(2, name="spare")
    s = mtf.viz.summary(model, np.ones((2, 5), np.float32), np.ones((2, 5), np.float32))
    assert s.rows[-1].path == "spare" and s.rows[-1].calls == 0
    assert s.rows[-1].output_shape is None and not s.rows[-1].built
    assert str(s).splitlines()[-5].split() == ["spare", "Linear", "-", "0", "unbuilt", "0"]


def test_parent_rows_match_module_graph_totals():
    from _dotparse import label_text, parse
    model = AutoEncoder()
    s = mtf.viz.summary(model, np.ones((5, 4), np.float32))
    graph = parse(mtf.viz.module_graph(model).source)
    labels = {node: label_text(attrs)[2] for node, attrs in graph.nodes.items()
              if attrs.get("shape") == "box"}
    for row in s.rows:
        node = "root" if not row.path else row.path.replace("[", "%5B")
        node = next(n for n in labels if n in (node, row.path))
        assert labels[node] == f"params {row.params:,} (own {row.own_params:,})"
    assert "92 (own 0)" in str(s)


def test_unbuilt_layers_say_so():
    s = mtf.viz.summary(mtf.layers.MLP([3, 2]))
    assert [r.built for r in s.rows] == [False, False, False]
    assert [line.split()[-2] for line in str(s).splitlines()[4:7]] == ["unbuilt"] * 3
    half = mtf.Module(name="half")
    half.done, half.todo = mtf.layers.Linear(2), mtf.layers.Linear(2)
    half.done(np.ones((1, 2), np.float32))
    rows = mtf.viz.summary(half).rows
    assert [(r.path, r.built) for r in rows] == [("", True), ("done", True),
                                                ("todo", False)]
    assert mtf.viz.summary(mtf.layers.Flatten()).rows[0].built     # nothing to build
