"""Smoke test of examples/micrograd_neuron.py: micrograd's numbers, the walk, the pictures."""
import importlib.util
import math
import pathlib

import pytest

from viz._dotparse import label_text, parse

_PATH = pathlib.Path(__file__).resolve().parent.parent / "examples" / "micrograd_neuron.py"
_spec = importlib.util.spec_from_file_location("micrograd_neuron_example", _PATH)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)


def _by_hand():
    """micrograd's gradients, by the chain rule with Python floats."""
    x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    dn = 1.0 - o * o                       # d tanh(n) / dn
    return o, {"x1": w1 * dn, "x2": w2 * dn, "w1": x1 * dn, "w2": x2 * dn, "b": dn}


def test_the_neuron_has_micrograds_value_and_gradients():
    tape, o, sources = example.neuron()
    expected_o, expected = _by_hand()
    assert float(o) == pytest.approx(expected_o, abs=1e-15)
    steps = example.walk(tape, o, sources)
    got = dict(zip(steps.sources, (float(g) for g in steps.gradients)))
    assert got == pytest.approx(expected, abs=1e-15)
    # micrograd prints them rounded: x1 -1.5, w1 1.0, x2 0.5, w2 0.0, b 0.5
    assert {k: round(v, 4) for k, v in got.items()} == {
        "x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}
    assert [s.op for s in steps] == ["tanh", "add", "add", "multiply", "multiply"]


def test_the_picture_shows_values_and_signed_gradients():
    tape, o, sources = example.neuron()
    graph = parse(example.picture(tape, o).source)
    _, expected = _by_hand()
    labels = {label_text(a)[0]: label_text(a) for a in graph.nodes.values()}
    exact = dict(zip(sources, tape.gradient(o, list(sources.values()))))
    for name, grad in expected.items():
        word, text = labels[name][-1].split()
        assert word == "grad" and float(text) == pytest.approx(grad, abs=1e-15)
        assert float(text) == float(exact[name])             # printed exactly, sign kept
    assert labels["x1"][-1].startswith("grad -1.4999")
    assert labels["x1"][-2] == "value 2" and labels["w1"][-2] == "value -3"


def test_main_prints_the_walk_and_writes_every_picture(tmp_path, capsys):
    example.main(["micrograd_neuron.py", str(tmp_path)])
    out = capsys.readouterr().out
    assert "Reverse pass: 5 steps" in out and "x1 -1.4999" in out
    stems = ["micrograd_neuron"] + [f"micrograd_backward_step_{k}" for k in range(1, 6)]
    for stem in stems:
        for suffix in (".gv", ".svg", ".png"):
            assert (tmp_path / f"{stem}{suffix}").stat().st_size > 0
        assert (tmp_path / f"{stem}.svg").read_text().count("<svg") == 1
    last = parse((tmp_path / "micrograd_backward_step_5.gv").read_text())
    assert [n for n, a in last.nodes.items() if a.get("penwidth") == "3"] == ["op0"]
