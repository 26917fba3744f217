"""Deferred restoration is all or nothing per build and counts every path (docs/checkpoints.md).

A value that does not fit a variable created later must leave nothing of its
restore in the variables of that Module call, and leave lazily built layers
unbuilt so the next call builds them; a variable reached along several paths
(shared or tied submodules) must count every path as restored.
"""
import functools
import gc
import importlib.util
import pathlib
import tempfile
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
from minitf import _context
from minitf import module as module_lib
from minitf.train import _deferred, _graph

X = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)


@pytest.fixture(autouse=True)
def hook_installed_exactly_while_values_wait():
    yield
    gc.collect()
    assert (module_lib._setattr_hooks != []) == (_deferred.pending_keys() != [])
    assert _context.ctx.restore_journal == []


def randomize(module, seed):
    """Give every variable a random value, so checkpoint values differ from fresh ones."""
    rng = np.random.default_rng(seed)
    for var in module.variables:
        var.assign(rng.uniform(0.5, 1.5, size=var.shape).astype(var.dtype))


def values(root):
    """``{key: array copy}`` of everything reachable from ``root``."""
    return {key: var.numpy().copy() for key, var in _graph.collect(root)}


def assert_same_values(actual, expected):
    assert sorted(actual) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)


def never_restored_warnings(caught):
    return [w for w in caught if "were never restored" in str(w.message)]


# ---- item 3: a deferred restore that fails restores nothing of its build

def test_mlp_with_a_mismatching_layer_stays_unbuilt_and_the_next_call_works(tmp_path):
    saved = mtf.layers.MLP([8, 3])
    saved(X)
    randomize(saved, 1)
    path = mtf.train.Checkpoint(model=saved).write(str(tmp_path / "c"))
    fresh = mtf.layers.MLP([8, 5], w_init=mtf.initializers.Ones())
    status = mtf.train.Checkpoint(model=fresh).read(path).expect_partial()

    with pytest.raises(mtf.train.CheckpointError) as info:
        fresh(X)
    second = fresh.layers[1]
    assert second.input_size is None and second.variables == () and "w" not in vars(second)
    np.testing.assert_array_equal(fresh.layers[0].w.numpy(), np.ones((4, 8)))
    np.testing.assert_array_equal(fresh.layers[0].b.numpy(), np.zeros(8))
    assert _deferred.pending_keys() == []
    message = str(info.value)
    assert "setting 'w' on Linear 'linear_1'" in message
    assert "nothing of it was restored" in message and "2 value(s)" in message
    assert "'model/layers/1/w': the checkpoint holds shape (8, 3)" in message

    assert fresh(X).shape == (2, 5)
    np.testing.assert_array_equal(second.w.numpy(), np.ones((8, 5)))
    with pytest.raises(AssertionError) as failed:
        status.assert_consumed()
    report = str(failed.value)
    assert ("'model/layers/0/w' not restored: undone because 'model/layers/1/w' did not "
            "match") in report
    assert "'model/layers/1/w' not restored: shape or dtype mismatch" in report
    assert "'model/layers/1/b' not restored: dropped: the restore was abandoned" in report
    with pytest.raises(AssertionError, match="'model/layers/0/w' .* was not restored"):
        status.assert_existing_objects_matched()


class Pair(mtf.Module):
    """Creates ``a`` then ``b`` on its first call, sizes given at construction."""

    def __init__(self, size_a, size_b):
        super().__init__()
        self.size_a, self.size_b = size_a, size_b

    @mtf.Module.with_name_scope
    def __call__(self, x):
        if "a" not in vars(self):
            self.a = mtf.Variable(np.zeros(self.size_a, np.float32), name="a")
        if "b" not in vars(self):
            self.b = mtf.Variable(np.zeros(self.size_b, np.float32), name="b")
        return mtf.reduce_sum(self.a) + mtf.reduce_sum(self.b) + x


def test_custom_module_is_not_left_half_restored(tmp_path):
    saved = Pair(2, 3)
    saved(1.0)
    saved.a.assign([1.0, 2.0])
    saved.b.assign([3.0, 4.0, 5.0])
    path = mtf.train.Checkpoint(m=saved).write(str(tmp_path / "c"))
    fresh = Pair(2, 4)
    status = mtf.train.Checkpoint(m=fresh).read(path).expect_partial()
    with pytest.raises(mtf.train.CheckpointError) as info:
        fresh(1.0)
    np.testing.assert_array_equal(fresh.a.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(fresh.b.numpy(), np.zeros(4))
    assert "setting 'b' on Pair 'pair'" in str(info.value)
    assert float(fresh(1.0)) == 1.0
    with pytest.raises(AssertionError, match="'m/a' not restored: undone because 'm/b'"):
        status.assert_consumed()


def test_a_failing_assignment_outside_any_call_assigns_none_of_its_values(tmp_path):
    saved = mtf.Module()
    saved.a, saved.b = mtf.Variable([1.0, 2.0]), mtf.Variable([3.0, 4.0, 5.0])
    path = mtf.train.Checkpoint(model=saved).write(str(tmp_path / "c"))
    ckpt = mtf.train.Checkpoint()
    status = ckpt.read(path).expect_partial()
    late = mtf.Module()
    late.a, late.b = mtf.Variable([0.0, 0.0]), mtf.Variable([0.0, 0.0])
    with pytest.raises(mtf.train.CheckpointError) as info:
        ckpt.model = late
    np.testing.assert_array_equal(late.a.numpy(), [0.0, 0.0])
    assert "nothing was restored by this assignment" in str(info.value)
    with pytest.raises(AssertionError, match="'model/a' not restored: 'model/b', due at "
                                             "the same time, did not match"):
        status.assert_consumed()


def flaky(inner):
    """An initializer that raises on its first call (as a bad value or an interrupt would)."""
    calls = []

    def init(shape, dtype=None):
        calls.append(shape)
        if len(calls) == 1:
            raise RuntimeError("first call fails")
        return inner(shape, dtype)
    return init


LAYERS = {"linear": (lambda init: mtf.layers.Linear(3, w_init=init), (2, 4)),
          "conv2d": (lambda init: mtf.layers.Conv2D(2, 3, w_init=init), (1, 5, 5, 2)),
          "batch_norm": (lambda init: mtf.layers.BatchNorm(scale_init=init), (3, 4)),
          "layer_norm": (lambda init: mtf.layers.LayerNorm(scale_init=init), (3, 4))}


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_a_build_that_raises_leaves_the_layer_exactly_unbuilt(kind):
    make, shape = LAYERS[kind]
    x = np.ones(shape, np.float32)
    layer = make(flaky(mtf.initializers.Ones()))
    assert layer.variables == ()        # the attribute index is built before the call
    before = dict(vars(layer))
    with pytest.raises(RuntimeError, match="first call fails"):
        layer(x)
    assert vars(layer).keys() == before.keys()
    assert all(vars(layer)[name] is value for name, value in before.items())
    assert layer.variables == ()
    assert layer(x).shape[0] == x.shape[0] and len(layer.variables) >= 2


def test_restores_of_an_earlier_call_are_kept(tmp_path):
    saved = mtf.Module()
    saved.encoder, saved.head = mtf.layers.Linear(3), mtf.layers.Linear(2)
    saved.head(saved.encoder(X))
    randomize(saved, 2)
    path = mtf.train.Checkpoint(model=saved).write(str(tmp_path / "c"))
    fresh = mtf.Module()
    fresh.encoder, fresh.head = mtf.layers.Linear(3), mtf.layers.Linear(2)
    status = mtf.train.Checkpoint(model=fresh).read(path).expect_partial()
    h = fresh.encoder(X)          # one outermost call: restored and kept
    with pytest.raises(mtf.train.CheckpointError, match="0 value\\(s\\) already restored"):
        fresh.head(h[:, :2])      # another one: (2, 2) does not fit (3, 2)
    np.testing.assert_array_equal(fresh.encoder.w.numpy(), saved.encoder.w.numpy())
    with pytest.raises(AssertionError, match="'model/head/b' not restored: dropped"):
        status.assert_consumed()


def test_a_failure_in_one_thread_does_not_undo_another_threads_restores(tmp_path):
    saved = mtf.Module()
    saved.left, saved.right = mtf.layers.Linear(3), mtf.layers.Linear(3)
    saved.left(X), saved.right(X)
    randomize(saved, 3)
    path = mtf.train.Checkpoint(model=saved).write(str(tmp_path / "c"))
    fresh = mtf.Module()
    fresh.left, fresh.right = mtf.layers.Linear(3), mtf.layers.Linear(3)
    status = mtf.train.Checkpoint(model=fresh).read(path).expect_partial()
    built, go = threading.Event(), threading.Event()

    class Outer(mtf.Module):
        @mtf.Module.with_name_scope
        def __call__(self):
            fresh.left(X)         # restored in this thread's call, kept open
            built.set()
            go.wait(10)

    thread = threading.Thread(target=Outer())
    thread.start()
    try:
        assert built.wait(10)
        with pytest.raises(mtf.train.CheckpointError, match="0 value\\(s\\) already "):
            fresh.right(X[:, :3])
    finally:
        go.set()
        thread.join()
    np.testing.assert_array_equal(fresh.left.w.numpy(), saved.left.w.numpy())
    status.assert_existing_objects_matched()      # left kept; right is unbuilt again


# ---- the sweep: whichever value of a multi-layer model does not fit

def stack():
    """A lazily built model with deterministic initial values."""
    return mtf.layers.Sequential([
        mtf.layers.Linear(4, w_init=mtf.initializers.Constant(0.1)),
        mtf.layers.LayerNorm(),
        mtf.layers.Linear(3, w_init=mtf.initializers.Constant(0.2)),
        mtf.layers.BatchNorm(),
        mtf.layers.Linear(2, w_init=mtf.initializers.Constant(0.3))])


def saved_stack(tmp_path, bad_key):
    """A trained ``stack`` and Adam written with the value at ``bad_key`` one wider."""
    model, opt = stack(), mtf.optimizers.Adam(0.1)
    with mtf.GradientTape() as tape:
        loss = mtf.reduce_sum(mtf.square(model(X)))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                            model.trainable_variables))
    randomize(model, 4)
    *path, name = _graph.split(bad_key)[1:]
    owner = model.layers[int(path[1])]
    shape = getattr(owner, name).shape
    setattr(owner, name, mtf.Variable(np.ones(shape[:-1] + (shape[-1] + 1,), np.float32)))
    return mtf.train.Checkpoint(model=model, opt=opt).write(str(tmp_path / "c"))


def fresh_values():
    twin = stack()
    twin(X)
    return values(twin)


STACK_KEYS = sorted(fresh_values())


@pytest.mark.parametrize("bad_key", [f"model/{key}" for key in STACK_KEYS])
def test_whichever_value_does_not_fit_the_call_restores_nothing(tmp_path, bad_key):
    path = saved_stack(tmp_path, bad_key)
    model, opt = stack(), mtf.optimizers.Adam(0.1)
    status = mtf.train.Checkpoint(model=model, opt=opt).read(path).expect_partial()
    with pytest.raises(mtf.train.CheckpointError, match=repr(bad_key)):
        model(X)
    initial, failing_layer = fresh_values(), int(_graph.split(bad_key)[2])
    built_before = {key: initial[key] for key in initial
                    if int(_graph.split(key)[1]) < failing_layer}
    assert_same_values(values(model), built_before)
    slots = [_graph.existing_slot(opt, var, slot) for var in model.trainable_variables
             for slot in ("momentum", "velocity")]
    made = [slot for slot in slots if slot is not None]
    assert bool(made) == (failing_layer > 0)     # slots of the layers built before it
    assert not any(slot.numpy().any() for slot in made)
    assert _deferred.pending_keys() == []
    assert model(X).shape == (2, 2)
    assert_same_values(values(model), initial)
    with pytest.raises(AssertionError, match=f"{bad_key!r} not restored: shape or dtype"):
        status.assert_consumed()


# ---- item 5: shared and tied submodules count every path

def _docs_autoencoder():
    """The tied auto-encoder of docs/visualising.md (``decoder`` is ``encoder``), from the
    script that draws the docs' figures."""
    path = pathlib.Path(__file__).resolve().parents[2] / "tools" / "render_docs_figures.py"
    spec = importlib.util.spec_from_file_location("render_docs_figures", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script.AutoEncoder


TiedAutoEncoder = functools.partial(_docs_autoencoder(), hidden=8, code=4)  # X has 4 features


def test_tied_autoencoder_restored_before_building_is_fully_consumed(tmp_path):
    saved = TiedAutoEncoder(code=4)
    saved(X)
    randomize(saved, 5)
    path = mtf.train.Checkpoint(model=saved).write(str(tmp_path / "c"))
    assert {"decoder/layers/0/w", "encoder/layers/0/w"} <= set(values(saved))
    fresh = TiedAutoEncoder(code=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = mtf.train.Checkpoint(model=fresh).read(path)
        fresh(X)
        status.assert_consumed()
        del status
        gc.collect()
    assert never_restored_warnings(caught) == []
    assert_same_values(values(fresh), values(saved))


def test_a_newer_restore_replaces_every_path_of_an_older_one(tmp_path):
    saved = TiedAutoEncoder()
    saved(X)
    randomize(saved, 6)
    old = mtf.train.Checkpoint(model=saved).write(str(tmp_path / "old"))
    randomize(saved, 7)
    new = mtf.train.Checkpoint(model=saved).write(str(tmp_path / "new"))
    fresh = TiedAutoEncoder()
    ckpt = mtf.train.Checkpoint(model=fresh)
    first = ckpt.read(old).expect_partial()
    second = ckpt.read(new)
    fresh(X)
    second.assert_consumed()
    assert_same_values(values(fresh), values(saved))
    with pytest.raises(AssertionError, match="'model/decoder/layers/0/w' not restored: "
                                             "replaced by a newer restore"):
        first.assert_consumed()


class LazyHolder(mtf.Module):
    """Creates its sublayer on the first call (values wait on the holder, then move)."""

    @mtf.Module.with_name_scope
    def __call__(self, x):
        if "inner" not in vars(self):
            self.inner = mtf.layers.Linear(2)
        return self.inner(x)


class Node(mtf.Module):
    """A container; its call builds every lazily built layer below it."""

    @mtf.Module.with_name_scope
    def __call__(self):
        for layer in [m for m in self.submodules if "width" in vars(m)]:
            layer(np.ones((3, layer.width), np.float32))


LEAVES = {"linear": lambda: mtf.layers.Linear(2), "layer_norm": mtf.layers.LayerNorm,
          "batch_norm": mtf.layers.BatchNorm, "lazy_holder": LazyHolder}


@st.composite
def trees(draw):
    """``(leaves, nodes)``: leaf kinds and widths; each node's children (leaves or earlier
    nodes, so sharing and ties happen but no cycles) and how each is held."""
    leaves = draw(st.lists(st.tuples(st.sampled_from(sorted(LEAVES)), st.integers(1, 3)),
                           min_size=1, max_size=3))
    nodes = []
    for j in range(draw(st.integers(1, 4))):
        child = st.tuples(st.just("leaf"), st.integers(0, len(leaves) - 1))
        if j:
            child = child | st.tuples(st.just("node"), st.integers(0, j - 1))
        nodes.append(draw(st.lists(st.tuples(child, st.sampled_from(["attr", "list",
                                                                      "dict"])),
                                   min_size=1, max_size=4)))
    return leaves, nodes


def build_tree(spec):
    """The root Node of ``spec`` (see ``trees``), nothing built yet."""
    leaves, nodes = spec
    made = {"leaf": [], "node": []}
    for kind, width in leaves:
        leaf = LEAVES[kind]()
        leaf.width = width
        made["leaf"].append(leaf)
    for children in nodes:
        node, items, table = Node(), [], {}
        for n, ((what, index), how) in enumerate(children):
            child = made[what][index]
            if how == "attr":
                setattr(node, f"c{n}", child)
            elif how == "list":
                items.append(child)
            else:
                table[f"k{n}"] = child
        node.items, node.table = items, table
        made["node"].append(node)
    return made["node"][-1]


@given(trees(), st.integers(0, 2**16))
def test_random_shared_trees_restored_before_building_are_fully_consumed(spec, seed):
    saved = build_tree(spec)
    saved()
    randomize(saved, seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = mtf.train.Checkpoint(model=saved).write(f"{tmp}/c")
        fresh = build_tree(spec)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = mtf.train.Checkpoint(model=fresh).read(path)
            fresh()
            assert _deferred.pending_keys() == []
            status.assert_consumed()
            del status
            gc.collect()
    assert never_restored_warnings(caught) == []
    assert_same_values(values(fresh), values(saved))
