"""Diagnostics for the mistakes students make outside the tape: numpy on a recorded
Tensor, custom optimizers that return instead of assigning or skip the base
``__init__``, gradients for a model never called; and ``name=`` on constants."""
import math
import pickle
import warnings

import numpy as np
import pytest

import minitf as mtf

NUMPY_FIX = "gradients do not flow through numpy functions"


@pytest.fixture(autouse=True)
def _fresh_warning_registry():
    """Every test sees each warning (no 'once per location' carried over)."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield


def _no_warning(fn):
    """Run ``fn`` and return its result, failing on any UserWarning it emits."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        return fn()


# ---- numpy functions on a recorded Tensor

def test_numpy_sin_inside_tape_warns_and_the_gradient_is_the_numpy_one():
    x = mtf.constant(0.5)
    with mtf.GradientTape() as tape:
        tape.watch(x)
        with pytest.warns(UserWarning, match=NUMPY_FIX) as record:
            y = x * np.sin(x)
    assert "mtf.sin" in str(record[0].message)
    assert record[0].filename == __file__           # points at the student's line
    # the silent wrong answer the warning is about: sin(x) was a constant
    assert float(tape.gradient(y, x)) == pytest.approx(math.sin(0.5), rel=1e-6)


def test_minitf_ops_give_the_right_gradient_without_warning():
    x = mtf.constant(0.5)

    def run():
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = x * mtf.sin(x)
        return tape.gradient(y, x)

    expected = math.sin(0.5) + 0.5 * math.cos(0.5)     # 0.918
    assert float(_no_warning(run)) == pytest.approx(expected, rel=1e-6)


def test_values_computed_from_a_watched_value_warn_too():
    v = mtf.Variable([1.0, 2.0])
    with mtf.GradientTape():
        h = v * 2.0                     # reading v watches it; h is recorded
        with pytest.warns(UserWarning, match=NUMPY_FIX):
            np.sum(h)                   # numpy's Python wrapper: still the user's line
        with pytest.warns(UserWarning, match=NUMPY_FIX):
            np.asarray(v)
    assert _warning_file(lambda: _sum_in_tape(v)) == __file__


def _sum_in_tape(v):
    with mtf.GradientTape():
        np.sum(v * 2.0)


def _warning_file(fn):
    """The file the first warning ``fn`` emits is attributed to."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fn()
    return record[0].filename


def test_no_warning_for_untracked_tensors_after_the_block_or_explicit_values():
    x = mtf.constant(0.5)
    other = mtf.constant([1.0, 2.0])

    def run():
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = mtf.sin(x)
            np.sin(other)                        # no tape tracks it
            np.sin(x.numpy())                    # explicit: the value, as a constant
            np.sin(mtf.stop_gradient(x))         # explicit: a constant
            float(y)
        return np.sin(y), np.asarray(x)          # the tape is no longer recording

    after, _ = _no_warning(run)
    assert float(after) == pytest.approx(math.sin(math.sin(0.5)), rel=1e-6)


def test_no_warning_without_a_tape_or_inside_stop_recording():
    x = mtf.constant([0.1, 0.2])

    def run():
        np.sin(x)
        with mtf.GradientTape() as tape:
            tape.watch(x)
            with tape.stop_recording():
                np.cos(x)
        return np.exp(x)

    np.testing.assert_allclose(_no_warning(run), np.exp([0.1, 0.2]), rtol=1e-6)


def test_inside_mtf_function_the_trace_error_comes_instead_of_the_warning():
    @mtf.function
    def grad(x):
        with mtf.GradientTape() as tape:
            tape.watch(x)
            y = x * np.sin(x)
        return tape.gradient(y, x)

    with pytest.raises(mtf.errors.OperatorNotAllowedInGraphError, match="mtf ops instead"):
        _no_warning(lambda: grad(mtf.constant(0.5)))


def test_minitf_internal_conversions_do_not_warn():
    v = mtf.Variable(np.ones((3, 2), np.float32))
    opt = mtf.optimizers.Adam(0.1)

    def run():
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_mean(mtf.square(mtf.matmul(v, mtf.constant([[1.0], [2.0]]))))
            loss = loss + mtf.reduce_sum(mtf.nn.softmax(v))
            grads = tape.gradient(loss, [v])
            opt.apply_gradients(zip(grads, [v]))    # inside the block, as many loops do
        return loss

    assert np.isfinite(float(_no_warning(run)))


# ---- custom optimizers

class _Returns(mtf.optimizers.Optimizer):
    """The mistake: computes the new value and returns it."""

    def update_step(self, gradient, variable, learning_rate):
        return variable - learning_rate * gradient


class _Assigns(mtf.optimizers.Optimizer):
    """The fix; returning the assign's result as well is harmless."""

    def update_step(self, gradient, variable, learning_rate):
        return variable.assign_sub(learning_rate * gradient)


class _ForgotInit(mtf.optimizers.Optimizer):
    def __init__(self, learning_rate=0.1, beta=0.9):
        self.beta = beta

    def update_step(self, gradient, variable, learning_rate):
        variable.assign_sub(learning_rate * gradient)


def test_update_step_returning_a_value_raises_with_the_fix():
    w = mtf.Variable([1.0, -2.0])
    with pytest.raises(TypeError, match=r"_Returns\.update_step returned a value .*"
                                        r"variable\.assign_sub\(learning_rate \* gradient\)"):
        _Returns(0.1).apply_gradients([(mtf.constant([1.0, 1.0]), w)])
    np.testing.assert_array_equal(w.numpy(), [1.0, -2.0])


def test_update_step_returning_a_value_raises_for_sparse_gradients_too():
    table = mtf.Variable(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match="update_step returned a value"):
        _Returns(0.1).minimize(lambda: mtf.reduce_sum(mtf.gather(table, [0, 2])), [table])


def test_update_step_that_assigns_works_even_if_it_returns():
    w = mtf.Variable([1.0, -2.0])
    _no_warning(lambda: _Assigns(0.5).apply_gradients([(mtf.constant([1.0, 2.0]), w)]))
    np.testing.assert_allclose(w.numpy(), [0.5, -3.0])


def test_builtin_optimizers_keep_their_unwrapped_kernel():
    from minitf.optimizers._fused import FusedOptimizer
    assert mtf.optimizers.Adam.update_step is FusedOptimizer.__dict__["update_step"]
    assert not hasattr(mtf.optimizers.SGD.update_step, "_checks_assign")
    assert mtf.optimizers.Adam(0.1)._fused
    assert hasattr(_Returns.update_step, "_checks_assign")


def test_forgotten_super_init_names_the_class_and_the_fix():
    w = mtf.Variable([1.0])
    opt = _ForgotInit()
    with pytest.raises(AttributeError, match=r"_ForgotInit\.__init__ must call "
                                             r"`super\(\)\.__init__\(learning_rate"):
        opt.minimize(lambda: w * w, [w])
    assert opt.beta == 0.9                    # its own attributes are still there
    with pytest.raises(AttributeError, match="has no attribute 'missing'$"):
        mtf.optimizers.SGD(0.1).missing      # a set-up optimizer: the usual message


def test_set_up_optimizers_still_copy_and_pickle():
    import copy
    w = mtf.Variable([1.0, 2.0])
    opt = _Assigns(0.1)
    opt.apply_gradients([(mtf.constant([1.0, 1.0]), w)])
    clone_w, clone = pickle.loads(pickle.dumps((w, opt)))
    assert int(clone.iterations) == 1 and int(copy.deepcopy(opt).iterations) == 1
    clone.apply_gradients([(mtf.constant([1.0, 1.0]), clone_w)])
    np.testing.assert_allclose(clone_w.numpy(), [0.8, 1.8], rtol=1e-6)


class _Lazy(mtf.Module):
    """A Sonnet-style layer: its variable appears on the first call."""

    def __init__(self):
        super().__init__()
        self.w = None

    def __call__(self, x):
        if self.w is None:
            self.w = mtf.Variable(np.ones((x.shape[-1], 1), np.float32))
        return mtf.matmul(x, self.w)


def test_apply_gradients_on_a_model_never_called_says_to_call_it_first():
    model, opt = _Lazy(), mtf.optimizers.SGD(0.1)
    assert list(model.trainable_variables) == []
    with mtf.GradientTape() as tape:
        loss = mtf.reduce_sum(mtf.constant([1.0]))
    grads = tape.gradient(loss, model.trainable_variables)
    with pytest.raises(ValueError, match=r"^No gradients provided for any variable: \[\]\. "
                                         r".*call the model once"):
        opt.apply_gradients(zip(grads, model.trainable_variables))
    with pytest.raises(ValueError, match="create their variables on the first call"):
        opt.minimize(lambda: loss, [])
    x = mtf.constant([[1.0, 2.0]])
    opt.minimize(lambda: mtf.reduce_sum(model(x)), lambda: model.trainable_variables)
    np.testing.assert_allclose(model.w.numpy(), [[0.9], [0.8]], rtol=1e-6)


def test_the_hint_is_only_for_an_empty_list_of_variables():
    w = mtf.Variable([1.0])
    with pytest.raises(ValueError) as info:
        mtf.optimizers.SGD(0.1).apply_gradients([(None, w)])
    assert "first call" not in str(info.value)
    assert "'Variable:0'" in str(info.value)


def test_the_hint_inside_mtf_function():
    opt = mtf.optimizers.SGD(0.1)

    @mtf.function
    def step():
        opt.apply_gradients([])

    with pytest.raises(ValueError, match="call the model once"):
        step()


# ---- names of constants

def test_constant_and_convert_to_tensor_keep_their_name():
    a = mtf.constant(2.0, name="a")
    b = mtf.convert_to_tensor([1.0, 2.0], name="b")
    assert (a._name, b._name) == ("a", "b")
    assert mtf.constant(a, name="c")._name == "c"            # a new Tensor, named
    assert mtf.convert_to_tensor(a, name="other")._name == "a"   # passes through as is
    assert mtf.convert_to_tensor(mtf.Variable(1.0), name="read")._name == "read"
    assert mtf.convert_to_tensor(np.float32(1.0), dtype_hint=mtf.float32,
                                 name="h")._name == "h"


def test_unnamed_tensors_and_op_outputs_read_none():
    a = mtf.constant(2.0, name="a")
    assert mtf.constant(1.0)._name is None
    assert (a * 3.0)._name is None and mtf.sin(a)._name is None
    assert getattr(a + a, "_name", None) is None
    assert mtf.Tensor([1.0])._name is None


def test_names_survive_copies_and_do_not_change_values():
    a = mtf.constant([1.0, 2.0], name="weights")
    assert pickle.loads(pickle.dumps(a))._name == "weights"
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    with mtf.GradientTape() as tape:
        tape.watch(a)
        y = mtf.reduce_sum(a * a)
    np.testing.assert_array_equal(tape.gradient(y, a).numpy(), [2.0, 4.0])


def test_a_name_must_be_a_string():
    with pytest.raises(TypeError, match="name must be a str"):
        mtf.constant(1.0, name=3)
    with pytest.raises(TypeError, match="name must be a str"):
        mtf.convert_to_tensor(1.0, name=["x"])
