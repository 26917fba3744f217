"""ConcreteFunction: inputs, outputs and TF-style names of the traced operations."""
import numpy as np
import pytest

import minitf as mtf


def names(concrete, part=None):
    return [op.name for op in concrete.graph.operations
            if op.type != "Placeholder" and (part is None or op.part == part)]


def test_inputs_outputs_and_operations():
    @mtf.function
    def f(x, y):
        return mtf.tanh(x) * y, x + 1.0

    x = mtf.constant(np.ones((2, 3), np.float32))
    y = mtf.constant(np.float32(2.0))
    cf = f.get_concrete_function(x, y)
    assert [t.name for t in cf.inputs] == ["x:0", "y:0"]
    assert [(t.shape, t.dtype) for t in cf.inputs] == [((2, 3), np.float32), ((), np.float32)]
    assert [t.shape for t in cf.outputs] == [(2, 3), (2, 3)]
    ops = cf.graph.operations
    assert [(op.name, op.type) for op in ops] == [
        ("x", "Placeholder"), ("y", "Placeholder"), ("tanh", "tanh"),
        ("multiply", "multiply"), ("add", "add")]
    multiply = cf.graph.get_operation_by_name("multiply")
    assert [t.name for t in multiply.inputs] == ["tanh:0", "y:0"]
    assert multiply.outputs[0].name == "multiply:0" and multiply.outputs[0].op is multiply
    assert cf.outputs[0] is multiply.outputs[0]
    assert f.get_concrete_function(x, y) is cf and f.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(cf(x, y).__getitem__(0).numpy() if False else
                                  cf(x, y)[1].numpy(), np.full((2, 3), 2.0, np.float32))


def test_names_follow_scopes_and_are_uniquified():
    @mtf.function
    def f(x):
        with mtf.name_scope("encoder"):
            with mtf.name_scope("dense"):
                a = mtf.tanh(x)
                b = mtf.tanh(a)
        with mtf.name_scope("encoder"):                # entered again: encoder_1
            c = mtf.tanh(b)
        total = mtf.add(a, b, name="total")
        return mtf.add(total, c, name="total")

    cf = f.get_concrete_function(mtf.constant([1.0]))
    assert names(cf) == ["encoder/dense/tanh", "encoder/dense/tanh_1", "encoder_1/tanh",
                         "total", "total_1"]
    again = f.get_concrete_function(mtf.constant([1.0, 2.0]))
    assert names(again) == names(cf)                     # each function numbers afresh


def test_a_module_scope_is_reentered_as_is():
    with mtf.name_scope("model"):
        layer = mtf.layers.Linear(2, name="dense")
    f = mtf.function(lambda x: layer(layer(x)))
    cf = f.get_concrete_function(mtf.constant(np.ones((1, 2), np.float32)))
    scopes = {op.scope for op in cf.graph.operations if op.part == "forward"}
    assert scopes == {"model/dense/"}
    forward = names(cf, "forward")
    assert len(forward) == len(set(forward)) and forward[0].startswith("model/dense/")
    assert any(name.endswith("_1") for name in forward)


def test_forward_backward_and_update_parts():
    v = mtf.Variable([1.0, 2.0])
    opt = mtf.optimizers.SGD(0.1)

    @mtf.function
    def step(x):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.tanh(v * x))
        grads = tape.gradient(loss, [v])
        opt.apply_gradients(zip(grads, [v]))
        v.assign_add(mtf.constant([0.0, 0.0]))
        return loss

    cf = step.get_concrete_function(mtf.constant([1.0, 1.0]))
    parts = [op.part for op in cf.graph.operations]
    assert parts[0] == "input"
    assert {"forward", "backward", "update"} <= set(parts)
    first_backward = parts.index("backward")
    assert all(p == "forward" for p in parts[1:first_backward])
    assert [op.type for op in cf.graph.operations if op.part == "update"] == [
        "apply_gradients", "assign_add"]


def test_get_concrete_function_from_a_spec_and_calling_it():
    f = mtf.function(lambda x: x * 2.0)
    cf = f.get_concrete_function(mtf.TensorSpec([2], mtf.float32))
    assert cf(mtf.constant([1.0, 3.0])).numpy().tolist() == [2.0, 6.0]
    with pytest.raises(TypeError, match="traced for other"):
        cf(mtf.constant([1.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="unknown dimension"):
        f.get_concrete_function(mtf.TensorSpec([None], mtf.float32))


def test_program_source_is_readable_straight_line_code():
    f = mtf.function(lambda x: mtf.tanh(x) + 1.0)
    cf = f.get_concrete_function(mtf.constant([1.0]))
    lines = cf.program.source.splitlines()
    assert lines[0].startswith("def ") and lines[-1].strip().startswith("return")
    assert len(lines) == 4                                   # def, tanh, add, return


def test_steps_that_read_only_constants_run_once_at_trace_time():
    c = mtf.constant([1.0, 2.0])
    f = mtf.function(lambda x: mtf.tanh(c * 3.0) + x)
    cf = f.get_concrete_function(mtf.constant([0.0, 0.0]))
    assert [s.op for s in cf.program.steps] == ["add"]                   # folded
    assert [op.type for op in cf.graph.operations] == ["Placeholder", "multiply", "tanh", "add"]
    for x in ([0.5, 1.5], [2.0, -1.0]):
        np.testing.assert_array_equal(f(mtf.constant(x)).numpy(),
                                      (mtf.tanh(c * 3.0) + mtf.constant(x)).numpy())


def test_big_intermediates_are_freed_after_their_last_use():
    f = mtf.function(lambda x: mtf.reduce_sum(mtf.tanh(x * 2.0) + 1.0))
    big = f.get_concrete_function(mtf.constant(np.ones(100_000, np.float32)))
    small = f.get_concrete_function(mtf.constant(np.ones(10, np.float32)))
    dels = [line.split("del ")[1] for line in big.program.source.splitlines() if "del " in line]
    assert dels == ["r1", "r2", "r3"]          # each, after the step that reads it last
    assert "del " not in small.program.source
    assert float(f(mtf.constant(np.full(100_000, 0.5, np.float32)))) == pytest.approx(
        100_000 * (np.tanh(1.0) + 1.0), rel=1e-5)


def test_name_names_the_function_its_program_and_its_errors():
    f = mtf.function(lambda x: x * 2.0, name="double")
    cf = f.get_concrete_function(mtf.constant([1.0]))
    assert cf.name == "double" and repr(f) == "<mtf.function double>"
    assert cf.program.source.startswith("def double(")
    g = mtf.function(fn=None, name="later")(lambda x: x + 1.0)
    assert g(mtf.constant([1.0])).numpy().tolist() == [2.0] and repr(g) == "<mtf.function later>"
