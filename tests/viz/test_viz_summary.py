"""mtf.viz.summary: rows per module instance, output shapes from one call, true totals."""
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
    # Linear n -> m has n*m + m parameters; float32 is 4 bytes each.
    assert [r.params for r in s.rows] == [0, 3 * 8 + 8, 8 * 8 + 8, 8 * 2 + 2]
    assert [r.bytes for r in s.rows] == [0, 128, 288, 72]
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
    assert sum(r.params for r in s.rows) == s.total_params
    assert sum(r.bytes for r in s.rows) == s.total_bytes


def test_shared_module_is_one_row_under_its_first_path():
    s = mtf.viz.summary(AutoEncoder(), np.ones((5, 4), np.float32))
    assert [r.path for r in s.rows] == ["", "decoder", "norm", "decoder.layers[0]",
                                        "decoder.layers[1]"]
    assert [r.aliases for r in s.rows] == [(), ("encoder",), (), (), ()]
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
        ("", 0, 0), ("a", 9, 36), ("b", 2, 4)]


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
    assert lines[2].split() == ["module", "class", "output", "shape", "params", "bytes"]
    body = [line.split() for line in lines[4:8]]
    assert body[0] == ["(root)", "MLP", "(4,", "2)", "0", "0"]
    assert body[2] == ["layers[1]", "Linear", "(4,", "8)", "72", "288"]
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
    assert parser.rows[1:3] == [["(root)", "Module", "0", "0"],
                                ["child", "Module", "2", "8"]]
    assert parser.rows[3] == ["Total params: 2 (8 B)"]


def test_errors():
    with pytest.raises(TypeError, match=r"summary: expected a minitf Module.*int"):
        mtf.viz.summary(3)
    with pytest.raises(TypeError, match=r"summary: Module has no __call__.*summary\(module\)"):
        mtf.viz.summary(mtf.Module(), np.ones(2))
