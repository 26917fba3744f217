"""mtf.viz.backward_steps: the reverse pass op by op; its totals are tape.gradient's."""
import re

import numpy as np
import pytest

import minitf as mtf
from _dotparse import label_text, parse


def _fan_out():
    x = mtf.constant([0.5, -1.0])
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x, name="x")
        y = mtf.reduce_sum(x * x + mtf.sin(x) * x)        # x used three times
    return tape, y, [x]


def _shared_variable():
    w = mtf.Variable([[1.0, -2.0], [0.5, 3.0]], name="w")
    x = mtf.constant([[1.0, 2.0]])
    with mtf.GradientTape(persistent=True) as tape:
        h = mtf.tanh(mtf.matmul(x, w))
        y = mtf.reduce_mean(mtf.square(mtf.matmul(h, w)))  # w read by two matmuls
    return tape, y, [w]


def _broadcasting():
    b = mtf.Variable([0.1, -0.2], name="b")
    s = mtf.Variable(2.0, name="s")
    x = mtf.constant(np.arange(6.0, dtype=np.float32).reshape(3, 2))
    with mtf.GradientTape(persistent=True) as tape:
        y = mtf.reduce_sum(mtf.exp(-(x + b) * s))          # (3, 2) + (2,), times a scalar
    return tape, y, [b, s]


def _mlp():
    mlp = mtf.layers.MLP([4, 3, 1], w_init=mtf.initializers.GlorotUniform(seed=1))
    x = mtf.constant(np.linspace(-1, 1, 10).reshape(5, 2))
    with mtf.GradientTape(persistent=True) as tape:
        y = mtf.reduce_mean(mtf.square(mlp(x)))
    return tape, y, list(mlp.trainable_variables)


@pytest.mark.parametrize("build", [_fan_out, _shared_variable, _broadcasting, _mlp])
def test_final_running_totals_equal_tape_gradient_exactly(build):
    tape, y, sources = build()
    expected = tape.gradient(y, sources)
    steps = mtf.viz.backward_steps(tape, y, sources)
    assert len(steps) > 1
    for total, gradient, direct in zip(steps[-1].totals, expected, steps.gradients):
        np.testing.assert_array_equal(np.asarray(total), np.asarray(gradient))
        np.testing.assert_array_equal(np.asarray(direct), np.asarray(gradient))


@pytest.mark.parametrize("build", [_fan_out, _shared_variable, _broadcasting, _mlp])
def test_steps_run_in_reverse_recording_order_over_every_op_on_the_path(build):
    tape, y, sources = build()
    steps = mtf.viz.backward_steps(tape, y, sources)
    indices = [s.index for s in steps]
    assert indices == sorted(indices, reverse=True)
    assert [s.op for s in steps] == [tape._nodes[i][0] for i in indices]
    assert steps[0].output == f"{steps[0].op}#{steps[0].index}"
    np.testing.assert_array_equal(np.asarray(steps[0].upstream), 1.0)   # the seed


def test_a_non_persistent_tape_is_used_up_as_gradient_does():
    def build():
        x = mtf.constant(3.0)
        with mtf.GradientTape() as tape:
            tape.watch(x, name="x")
            y = mtf.sin(x) * x
        return tape, y, x
    tape, y, x = build()
    steps = mtf.viz.backward_steps(tape, y, x)
    other_tape, other_y, other_x = build()
    np.testing.assert_array_equal(steps[-1].totals[0].numpy(),
                                  other_tape.gradient(other_y, other_x).numpy())
    with pytest.raises(RuntimeError, match=r"GradientTape.gradient: a non-persistent "
                                           r"GradientTape can compute gradients only once"):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError, match=r"backward_steps.*already ran gradient\(\).*"
                                           r"persistent=True"):
        mtf.viz.backward_steps(tape, y, x)
    assert len(list(steps.frames())) == len(steps)     # frames need no tape


def test_hand_computed_walk_of_y_equals_x_times_w_plus_x():
    # y = x * w + x: d/dx = w + 1 = -2, d/dw = x = 2.
    x = mtf.constant(2.0)
    w = mtf.Variable(-3.0, name="w")
    with mtf.GradientTape() as tape:
        tape.watch(x, name="x")
        y = x * w + x
    steps = mtf.viz.backward_steps(tape, y, [x, w])
    assert [(s.op, s.output) for s in steps] == [("add", "add#1"), ("multiply", "multiply#0")]
    add, multiply = steps
    assert [(label, float(g)) for label, g in add.inputs] == [("multiply#0", 1.0), ("x", 1.0)]
    assert [float(t) if t is not None else None for t in add.totals] == [1.0, None]
    assert [(label, float(g)) for label, g in multiply.inputs] == [("x", -3.0), ("w", 2.0)]
    assert [float(t) for t in multiply.totals] == [-2.0, 2.0]
    assert steps.sources == ("x", "w")


def test_table_is_aligned_and_keeps_signs():
    x = mtf.constant(2.0)
    w = mtf.Variable(-3.0, name="w")
    with mtf.GradientTape() as tape:
        tape.watch(x, name="x")
        y = x * w + x
    text = str(mtf.viz.backward_steps(tape, y, [x, w]))
    lines = text.splitlines()
    header, rule = lines[2], lines[3]
    assert header.split() == ["step", "op", "upstream", "input", "sent", "x", "w"]
    starts = [m.start() for m in re.finditer(r"-+", rule)]
    assert [m.start() for m in re.finditer(r"\S+", header)] == starts
    rows = lines[4:]
    assert rows[0].split() == ["1", "add#1", "1", "multiply#0", "1", "1", "-"]
    assert rows[1].split() == ["x", "1"]
    assert rows[1].index("x") == starts[3]               # under "input"
    assert rows[2].split() == ["2", "multiply#0", "1", "x", "-3", "-2", "2"]
    assert rows[3].split() == ["w", "2"]


def test_frames_highlight_the_current_op_and_show_gradients_so_far():
    x = mtf.constant(2.0)
    w = mtf.Variable(-3.0, name="w")
    with mtf.GradientTape() as tape:
        tape.watch(x, name="x")
        y = x * w + x
    steps = mtf.viz.backward_steps(tape, y, [x, w])
    first, second = (parse(f.source) for f in steps.frames())
    assert [n for n in first.nodes if first.nodes[n].get("penwidth") == "3"] == ["op1"]
    assert [n for n in second.nodes if second.nodes[n].get("penwidth") == "3"] == ["op0"]
    by_title = {label_text(first.nodes[n])[0]: label_text(first.nodes[n]) for n in first.nodes}
    assert by_title["x"][-1] == "grad 1"           # the add's share only, so far
    assert by_title["w"][-1] == "value -3"         # nothing reached w yet
    by_title = {label_text(second.nodes[n])[0]: label_text(second.nodes[n])
                for n in second.nodes}
    assert by_title["x"][-1] == "grad -2" and by_title["w"][-1] == "grad 2"
    assert set(first.nodes) == set(second.nodes)   # same ids on every slide


def test_inside_a_persistent_tapes_block_it_warns_like_gradient():
    x = mtf.constant(1.0)
    with mtf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        with pytest.warns(UserWarning, match=r"backward_steps was called inside the "
                                              r"`with` block.*stop_recording"):
            mtf.viz.backward_steps(tape, y, x)


def test_docstring_example_runs():
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module("minitf.viz.backward_steps"),
                             extraglobs={"mtf": mtf})
    assert result.attempted > 0 and result.failed == 0
