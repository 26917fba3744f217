"""mtf.function: when a call traces, and what a trace may and may not do (TF's rules)."""
import functools
import sys
import threading
import warnings

import numpy as np
import pytest

import minitf as mtf
import _helpers


def counting(fn=None, **kwargs):
    """``mtf.function(fn)`` plus a list that grows by one per Python execution."""
    runs = []

    @functools.wraps(fn)
    def body(*args, **kw):
        runs.append(1)
        return fn(*args, **kw)
    return mtf.function(body, **kwargs), runs


def f32(*values):
    return mtf.constant(np.array(values, np.float32))


# ---------------------------------------------------------------- signatures

def test_same_shape_and_dtype_replays_new_shape_or_dtype_traces():
    f, runs = counting(lambda x: x * 2.0)
    f(f32(1, 2))
    f(f32(3, 4))
    assert f.experimental_get_tracing_count() == 1
    f(f32(1, 2, 3))                                      # new shape
    f(mtf.constant(np.array([1, 2], np.float64)))        # new dtype
    f(f32(5, 6))                                         # back to the first
    assert f.experimental_get_tracing_count() == 3 and len(runs) == 3


def test_python_values_are_part_of_the_signature_by_value():
    f, _ = counting(lambda x, k: x * k)
    x = f32(1, 2)
    for k in (1.0, 2.0, 1.0, 2.0, 3.0):
        np.testing.assert_array_equal(f(x, k).numpy(), np.array([1, 2], np.float32) * k)
    assert f.experimental_get_tracing_count() == 3
    g, _ = counting(lambda x, mode: x + 1.0 if mode == "a" else x - 1.0)
    assert g(x, "a").numpy().tolist() == [2.0, 3.0]
    assert g(x, "b").numpy().tolist() == [0.0, 1.0]
    assert g(x, None).numpy().tolist() == [0.0, 1.0]
    assert g.experimental_get_tracing_count() == 3


def test_numpy_arrays_are_traced_like_tensors():
    f, _ = counting(lambda x: x * 2.0)
    a = f(np.array([1.0, 2.0], np.float32))
    b = f(np.array([5.0, 7.0], np.float32))
    assert type(a) is mtf.Tensor and b.numpy().tolist() == [10.0, 14.0]
    assert f.experimental_get_tracing_count() == 1


def test_variables_are_part_of_the_signature_by_identity():
    f, _ = counting(lambda v: v * 2.0)
    v1, v2 = mtf.Variable([1.0]), mtf.Variable([1.0])
    f(v1)
    v1.assign([4.0])
    assert f(v1).numpy().tolist() == [8.0]      # reads the current value
    assert f.experimental_get_tracing_count() == 1
    f(v2)
    assert f.experimental_get_tracing_count() == 2


def test_keywords_and_defaults_bind_to_one_signature():
    f, _ = counting(lambda x, training=False: x * (2.0 if training else 3.0))
    x = f32(1)
    assert f(x).numpy().tolist() == [3.0]
    assert f(x, False).numpy().tolist() == [3.0]
    assert f(x, training=False).numpy().tolist() == [3.0]
    assert f.experimental_get_tracing_count() == 1
    assert f(x=x, training=True).numpy().tolist() == [2.0]
    assert f.experimental_get_tracing_count() == 2


def test_nested_structures_are_flattened_lists_and_tuples_differ():
    f, _ = counting(lambda xs: xs[0] + xs[1])
    a, b = f32(1), f32(2)
    assert f([a, b]).numpy().tolist() == [3.0]
    assert f([b, b]).numpy().tolist() == [4.0]
    assert f.experimental_get_tracing_count() == 1
    f((a, b))
    assert f.experimental_get_tracing_count() == 2
    d, _ = counting(lambda d: d["x"] * d["y"])
    assert d({"x": a, "y": b}).numpy().tolist() == [2.0]
    assert d({"y": f32(5), "x": f32(3)}).numpy().tolist() == [15.0]
    assert d.experimental_get_tracing_count() == 1


def test_results_keep_their_structure_and_python_values():
    f = mtf.function(lambda x: {"double": x * 2.0, "n": 3, "none": None, "pair": (x, 1.5)})
    for value in (1.0, 2.0):
        out = f(f32(value))
        assert out["double"].numpy().tolist() == [2 * value]
        assert out["n"] == 3 and out["none"] is None and out["pair"][1] == 1.5
        assert out["pair"][0].numpy().tolist() == [value]
    assert mtf.function(lambda x: None)(f32(1)) is None


def test_methods_trace_per_instance():
    class Scaler(mtf.Module):
        def __init__(self, k):
            super().__init__()
            self.k = mtf.Variable(k)
            self.runs = 0

        @mtf.function
        def __call__(self, x):
            self.runs += 1
            return x * self.k

    a, b = Scaler(2.0), Scaler(3.0)
    x = f32(1, 2)
    for _ in range(3):
        assert a(x).numpy().tolist() == [2.0, 4.0]
        assert b(x).numpy().tolist() == [3.0, 6.0]
    assert (a.runs, b.runs) == (1, 1)
    assert a.__call__.experimental_get_tracing_count() == 1
    assert b.__call__.experimental_get_tracing_count() == 1


# ---------------------------------------------------------------- input_signature

def test_input_signature_checks_dtype_rank_and_count():
    f = mtf.function(lambda x, y: x + y,
                     input_signature=[mtf.TensorSpec([None, 2], mtf.float32),
                                      mtf.TensorSpec([], mtf.float32, name="y")])
    out = f(mtf.constant(np.ones((3, 2), np.float32)), mtf.constant(1.0))
    assert out.numpy().tolist() == [[2.0, 2.0]] * 3
    f(mtf.constant(np.ones((5, 2), np.float32)), mtf.constant(2.0))    # None: any size
    with pytest.raises(TypeError, match="'x'.*float64"):
        f(mtf.constant(np.ones((3, 2))), mtf.constant(1.0))
    with pytest.raises(ValueError, match=r"'x'.*\(3, 3\)"):
        f(mtf.constant(np.ones((3, 3), np.float32)), mtf.constant(1.0))
    with pytest.raises(ValueError, match="'y'"):
        f(mtf.constant(np.ones((3, 2), np.float32)), f32(1, 2))
    with pytest.raises(TypeError, match="argument"):
        f(mtf.constant(np.ones((3, 2), np.float32)))
    with pytest.raises(TypeError, match="TensorSpec"):
        mtf.function(lambda x: x, input_signature=[(2, 3)])


def test_tensor_spec():
    spec = mtf.TensorSpec([None, 3], mtf.float32, name="x")
    assert spec.shape == (None, 3) and spec.dtype == mtf.float32
    assert spec == mtf.TensorSpec((None, 3), "float32", name="x")
    assert spec.is_compatible_with(np.zeros((7, 3), np.float32))
    assert not spec.is_compatible_with(np.zeros((7, 2), np.float32))
    assert "None, 3" in repr(spec)


# ---------------------------------------------------------------- side effects

def test_python_side_effects_happen_only_while_tracing(capsys):
    seen = []

    @mtf.function
    def f(x):
        seen.append("python")
        print("python print")
        mtf.print("mtf.print", x, output_stream=sys.stdout)
        return x + 1.0

    for value in (1.0, 2.0, 3.0):
        f(f32(value))
    out = capsys.readouterr().out.splitlines()
    assert seen == ["python"]
    assert out == ["python print", "mtf.print [1.]", "mtf.print [2.]", "mtf.print [3.]"]


def test_mtf_print_writes_to_stderr_by_default_and_works_eagerly(capsys):
    mtf.print("value:", mtf.constant([1, 2, 3]), 7)
    assert capsys.readouterr().err == "value: [1 2 3] 7\n"
    mtf.print(mtf.constant(np.arange(10)), summarize=2)
    assert capsys.readouterr().err == "[0 1 ... 8 9]\n"
    with pytest.raises(TypeError, match="write"):
        mtf.print(1, output_stream="stdout")


# ---------------------------------------------------------------- graph-mode errors

@pytest.mark.parametrize("use", [
    lambda x: 1.0 if x[0] > 0.0 else 2.0,
    lambda x: float(x[0]),
    lambda x: int(mtf.cast(x[0], mtf.int32)),
    lambda x: list(range(mtf.cast(x[0], mtf.int32))),
    lambda x: x.numpy(),
    lambda x: np.asarray(x),
])
def test_using_a_traced_tensor_as_a_python_value_raises(use):
    f = mtf.function(lambda x: use(x))
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError) as info:
        f(f32(1.0, 2.0))
    assert isinstance(info.value, TypeError)
    message = str(info.value)
    assert "mtf.cond" in message and "mtf.where" in message and "mtf.while_loop" in message
    assert f(f32(1.0)) is not None if False else True


def test_variables_cannot_be_read_as_python_values_while_tracing():
    v = mtf.Variable(2.0)
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError):
        mtf.function(lambda x: x * float(v))(f32(1))
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError):
        mtf.function(lambda x: x * v.numpy())(f32(1))


def test_constants_made_inside_may_be_read_as_python_values():
    f = mtf.function(lambda x: x * float(mtf.constant(2.0)))
    assert f(f32(3)).numpy().tolist() == [6.0]
    assert f(f32(4)).numpy().tolist() == [8.0]


# ---------------------------------------------------------------- variables

def test_variables_may_be_created_only_on_the_first_trace():
    made = []

    @mtf.function
    def f(x):
        made.append(mtf.Variable(1.0))
        return x * made[-1]

    assert f(f32(2)).numpy().tolist() == [2.0]
    made[0].assign(3.0)
    assert f(f32(2)).numpy().tolist() == [6.0]
    with pytest.raises(ValueError, match="first"):
        f(f32(2, 2))                          # a new shape traces again: not allowed


def test_variables_created_once_and_reused_across_traces():
    class Lazy(mtf.Module):
        def __init__(self):
            super().__init__()
            self.w = None

        @mtf.function
        def __call__(self, x):
            if self.w is None:
                self.w = mtf.Variable(np.full(x.shape[-1], 2.0, np.float32))
            return x * self.w

    m = Lazy()
    assert m(f32(1, 2)).numpy().tolist() == [2.0, 4.0]
    assert m(mtf.constant(np.ones((2, 2), np.float32))).numpy().tolist() == [[2.0, 2.0]] * 2
    assert m.__call__.experimental_get_tracing_count() == 2


def test_assigns_replay_in_order_with_reads_between():
    v = mtf.Variable(np.float32(1.0))

    @mtf.function
    def f(x):
        a = v * 1.0
        v.assign_add(x)
        b = v * 1.0
        v.assign(b * 2.0)
        v.assign_sub(mtf.constant(1.0))
        return a, b

    eager_v = mtf.Variable(np.float32(1.0))
    for k in (1.0, 2.0, 3.0):
        got = f(mtf.constant(k))
        a = eager_v * 1.0
        eager_v.assign_add(mtf.constant(k))
        b = eager_v * 1.0
        eager_v.assign(b * 2.0)
        eager_v.assign_sub(mtf.constant(1.0))
        assert (float(got[0]), float(got[1])) == (float(a), float(b))
        assert v.numpy() == eager_v.numpy()


# ---------------------------------------------------------------- reentrancy

def test_functions_call_functions_and_inner_traces_once():
    inner, inner_runs = counting(lambda x: mtf.tanh(x) * 2.0)
    outer, outer_runs = counting(lambda x: inner(x) + inner(x * 3.0))
    for value in (0.1, 0.2, 0.3):
        got = outer(f32(value))
        want = mtf.tanh(f32(value)) * 2.0 + mtf.tanh(f32(value) * 3.0) * 2.0
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert (len(inner_runs), len(outer_runs)) == (1, 1)
    assert inner(f32(0.5)).numpy() == (mtf.tanh(f32(0.5)) * 2.0).numpy()
    assert inner.experimental_get_tracing_count() == 1


def test_recursion_is_traced_through():
    @mtf.function
    def power(x, n):
        return x if n == 0 else x * power(x, n - 1)

    assert power(f32(2.0), 5).numpy().tolist() == [64.0]
    assert power(f32(3.0), 5).numpy().tolist() == [729.0]


def test_two_threads_call_one_function_at_once():
    f, runs = counting(lambda x: mtf.tanh(x) * x)
    values = [np.random.default_rng(i).normal(size=64).astype(np.float32) for i in range(8)]
    results, errors = {}, []
    barrier = threading.Barrier(2)

    def work(ids):
        try:
            barrier.wait()
            for _ in range(50):
                for i in ids:
                    results[i] = f(mtf.constant(values[i])).numpy()
        except Exception as e:          # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(ids,)) for ids in ([0, 2, 4, 6],
                                                                      [1, 3, 5, 7])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(runs) == 1                                  # traced once, by one thread
    for i, v in enumerate(values):
        np.testing.assert_array_equal(results[i], (mtf.tanh(mtf.constant(v)) *
                                                   mtf.constant(v)).numpy())


def test_a_tape_outside_the_function_sees_its_ops():
    f = mtf.function(lambda x, w: mtf.tanh(x * w))
    w = mtf.Variable([0.5, -1.0])
    x = f32(1.0, 2.0)
    f(x, w)
    with mtf.GradientTape() as tape:
        y = f(x, w)
    got = tape.gradient(y, w)
    with mtf.GradientTape() as tape:
        y = mtf.tanh(x * w)
    np.testing.assert_array_equal(got.numpy(), tape.gradient(y, w).numpy())


def test_check_numerics_checks_every_replayed_op():
    f = mtf.function(lambda x: mtf.tanh(x) / x + 1.0)
    f(f32(1.0))
    mtf.debugging.enable_check_numerics()
    try:
        assert f(f32(2.0)).numpy().tolist() == [float(np.tanh(np.float32(2.0)) / 2 + 1)]
        with pytest.raises(mtf.debugging.NumericsError, match="'divide'"):
            f(f32(0.0))
    finally:
        mtf.debugging.disable_check_numerics()
    assert np.isnan(f(f32(0.0)).numpy()[0])


def test_initial_values_are_drawn_once_as_eagerly():
    def run(use_function):
        mtf.random.set_seed(7)
        layer = mtf.layers.Linear(3)
        step = (lambda x: layer(x) + mtf.random.normal([3]))
        step = mtf.function(step) if use_function else step
        outs = [step(mtf.constant(np.ones((1, 2), np.float32))).numpy() for _ in range(4)]
        return outs, mtf.random.normal([2]).numpy(), step

    eager, eager_next, _ = run(False)
    traced, traced_next, f = run(True)
    for a, b in zip(eager, traced):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(eager_next, traced_next)     # the same stream after
    cf = f.get_concrete_function(mtf.constant(np.ones((1, 2), np.float32)))
    assert [op.type for op in cf.graph.operations] == [
        "Placeholder", "truncated_normal", "affine", "normal", "add"]
    assert [s.op for s in cf.program.steps] == ["affine", "normal", "add"]


def test_python_lists_as_operands_are_constants():
    f = mtf.function(lambda x: mtf.equal(x, [1.0, 2.0]))
    assert f(f32(1.0, 3.0)).numpy().tolist() == [True, False]
    assert f(f32(0.0, 2.0)).numpy().tolist() == [False, True]


def test_an_error_while_replaying_names_the_function_and_op():
    f = mtf.function(lambda x, y: mtf.pow(x, y))
    two = mtf.constant(np.array([2, 3], np.int32))
    assert f(two, two).numpy().tolist() == [4, 27]
    with pytest.raises(ValueError, match=r"^pow: .*negative integer powers.*"
                                         r"replaying mtf.function '<lambda>'"):
        f(two, mtf.constant(np.array([1, -1], np.int32)))


@pytest.mark.parametrize("use", [lambda n: mtf.one_hot([0, 1], n),
                                 lambda n: mtf.eye(n), lambda n: mtf.zeros([n])])
def test_a_traced_tensor_as_a_size_says_so(use):
    f = mtf.function(lambda n: use(n))
    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError):
        f(mtf.constant(3))


def test_tracing_again_and_again_warns_once():
    f = mtf.function(lambda x, k: x * k)
    x = f32(1.0)
    with pytest.warns(UserWarning, match="traced 10 times.*as Tensors"):
        for k in range(10):
            f(x, float(k))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(10, 15):
            f(x, float(k))
    assert f.experimental_get_tracing_count() == 15


def test_a_thread_waits_for_the_trace_another_thread_is_making():
    started, release = threading.Event(), threading.Event()
    runs = []

    def slow(x):
        runs.append(1)
        started.set()
        release.wait(5)
        return x * 2.0
    f = mtf.function(slow)
    results = []
    tracer = threading.Thread(target=lambda: results.append(f(f32(1.0))))
    tracer.start()
    started.wait(5)
    waiter = threading.Thread(target=lambda: results.append(f(f32(3.0))))
    waiter.start()
    release.set()
    tracer.join()
    waiter.join()
    assert len(runs) == 1                     # the second call replayed, never ran Python
    assert sorted(float(r) for r in results) == [2.0, 6.0]


@pytest.mark.parametrize("first_call_under_tape", [True, False])
def test_tapes_outside_get_gradients_of_traced_calls(first_call_under_tape):
    w = mtf.Variable([0.5, -1.0])
    runs = []

    def step(x):
        runs.append(1)
        return mtf.reduce_sum(mtf.tanh(x * w) * x)
    f = mtf.function(step)
    if not first_call_under_tape:
        f(f32(0.0, 0.0))
    for values in ([1.0, 2.0], [0.3, -0.7], [2.0, 1.0]):
        x = f32(*values)
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        got = tape.gradient(y, [x, w])
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = step(x)
        want = tape.gradient(y, [x, w])
        for g, e in zip(got, want):
            np.testing.assert_array_equal(g.numpy(), e.numpy())
    assert len(runs) == 1 + 3 + 1           # one trace, the eager truths, one backward trace
    assert f.experimental_get_tracing_count() == 1


def test_a_function_with_effects_runs_eagerly_under_an_outside_tape():
    v = mtf.Variable(1.0)

    def step(x):
        v.assign_add(1.0)
        return x * v
    f = mtf.function(step)
    x = f32(3.0)
    f(x)                                          # traced: v = 2
    with mtf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)                                  # v = 3, eagerly: the tape sees x * v
    assert float(v) == 3.0 and tape.gradient(y, x).numpy().tolist() == [3.0]


def test_second_order_through_a_traced_call_under_outside_tapes():
    f = mtf.function(lambda x: mtf.reduce_sum(x * x * x))
    for values in ([1.0, 2.0], [3.0, -1.0], [0.5, 0.25]):
        x = np.array(values, np.float32)
        np.testing.assert_allclose(_helpers.hessian(f, x), np.diag(6 * x), rtol=1e-6)
