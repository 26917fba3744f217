"""Checkpoint keys, write/save/read/restore, restore status, deferred restoration."""
import collections
import gc
import threading
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minitf as mtf
from minitf import module as module_lib
from minitf.train import _deferred, _write


def keys_of(path):
    return sorted(key for key, _ in mtf.train.list_variables(path))


class Encoder(mtf.Module):
    def __init__(self):
        super().__init__()
        self.layers = [mtf.layers.Linear(3), mtf.layers.Linear(2)]
        self.table = {"emb": mtf.Variable(np.ones((4, 2), np.float32), trainable=False,
                                          name="table")}

    def __call__(self, x):
        return self.layers[1](self.layers[0](x))


class Model(mtf.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.head = mtf.layers.Linear(1)

    def __call__(self, x):
        return self.head(self.encoder(x))


def fit(model, opt, steps=1, seed=0):
    x = np.random.default_rng(seed).normal(size=(4, 5)).astype(np.float32)
    for _ in range(steps):
        with mtf.GradientTape() as tape:
            loss = mtf.reduce_sum(mtf.square(model(x)))
        variables = model.trainable_variables
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return x


@pytest.fixture(autouse=True)
def hook_installed_exactly_while_values_wait():
    yield
    gc.collect()
    assert (module_lib._setattr_hooks != []) == (_deferred.pending_keys() != [])


# ---- keys

def test_keys_are_object_paths_with_slots_under_the_variable_path(tmp_path):
    model, opt = Model(), mtf.optimizers.SGD(0.1, momentum=0.9)
    fit(model, opt)
    free = mtf.Variable(2.0)
    path = mtf.train.Checkpoint(model=model, optimizer=opt, free=free).write(
        str(tmp_path / "c"))
    layers = [f"model/encoder/layers/{i}/{n}" for i in (0, 1) for n in ("w", "b")]
    variables = layers + ["model/encoder/table/emb", "model/head/w", "model/head/b"]
    slots = [f"optimizer/{k}/momentum" for k in variables if k != "model/encoder/table/emb"]
    assert keys_of(path) == sorted(variables + slots + [
        "free", "optimizer/iterations", "optimizer/learning_rate", "save_counter"])


def test_keys_ignore_variable_names_and_name_scopes(tmp_path):
    with mtf.name_scope("first"):
        a = Model()
    fit(a, mtf.optimizers.SGD(0.1))
    path = mtf.train.Checkpoint(model=a).write(str(tmp_path / "c"))
    with mtf.name_scope("elsewhere"):
        b = Model()
    fit(b, mtf.optimizers.SGD(0.1), seed=3)
    assert a.head.w.name != b.head.w.name
    mtf.train.Checkpoint(model=b).read(path).assert_consumed()
    for va, vb in zip(a.variables, b.variables):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


Params = collections.namedtuple("Params", ("weight", "bias"))


class WithParams(mtf.Module):
    """Holds its variables in a namedtuple; built on the first call when ``lazy``."""

    def __init__(self, lazy=False, pack=Params):
        super().__init__()
        self.pack = pack
        self.params = None if lazy else self._made()

    def _made(self):
        return self.pack(mtf.Variable(np.zeros((2, 3)), name="w"),
                         mtf.Variable(np.zeros(3), name="b"))

    def __call__(self, x):
        if self.params is None:
            self.params = self._made()
        return mtf.matmul(x, self.params[0]) + self.params[1]


def test_namedtuple_fields_are_keyed_by_name_and_restore(tmp_path):
    model, opt = WithParams(), mtf.optimizers.SGD(0.1, momentum=0.9)
    model.params.weight.assign(np.arange(6.0).reshape(2, 3))
    opt.apply_gradients([(np.ones((2, 3)), model.params.weight)])
    path = mtf.train.Checkpoint(model=model, optimizer=opt).write(str(tmp_path / "c"))
    assert keys_of(path) == ["model/params/bias", "model/params/weight",
                             "optimizer/iterations", "optimizer/learning_rate",
                             "optimizer/model/params/weight/momentum", "save_counter"]
    for fresh in (WithParams(), WithParams(lazy=True)):        # at once, and deferred
        fresh_opt = mtf.optimizers.SGD(0.1, momentum=0.9)
        status = mtf.train.Checkpoint(model=fresh, optimizer=fresh_opt).read(path)
        fresh(np.ones((1, 2)))
        status.assert_consumed()
        np.testing.assert_array_equal(fresh.params.weight.numpy(),
                                      model.params.weight.numpy())
        np.testing.assert_array_equal(fresh_opt.get_slot(fresh.params.weight,
                                                         "momentum").numpy(), -0.1)


def test_files_keyed_by_namedtuple_index_still_restore(tmp_path):
    old = WithParams(pack=lambda w, b: (w, b))                 # keys model/params/0 and /1
    old.params[1].assign([1.0, 2.0, 3.0])
    path = mtf.train.Checkpoint(model=old).write(str(tmp_path / "c"))
    assert keys_of(path) == ["model/params/0", "model/params/1", "save_counter"]
    new = WithParams()
    mtf.train.Checkpoint(model=new).read(path).assert_consumed()
    np.testing.assert_array_equal(new.params.bias.numpy(), [1.0, 2.0, 3.0])


def test_nested_checkpoints_and_escaped_dict_keys(tmp_path):
    holder = mtf.Module()
    holder.params = {"a/b": mtf.Variable(1.0), "50%": mtf.Variable(2.0)}
    holder.by_int = {7: mtf.Variable(3.0)}
    inner = mtf.train.Checkpoint(holder=holder)
    path = mtf.train.Checkpoint(inner=inner).write(str(tmp_path / "c"))
    assert keys_of(path) == ["inner/holder/by_int/7", "inner/holder/params/50%25",
                             "inner/holder/params/a%2Fb", "inner/save_counter",
                             "save_counter"]
    for var in [*holder.params.values(), holder.by_int[7]]:
        var.assign(0.0)
    mtf.train.Checkpoint(inner=inner).read(path).assert_consumed()
    values = [holder.params["a/b"], holder.params["50%"], holder.by_int[7]]
    assert [float(v) for v in values] == [1.0, 2.0, 3.0]


@given(st.lists(st.text(alphabet="ab%/2F5", max_size=6), min_size=1, max_size=4))
def test_key_escaping_round_trips(segments):
    key = mtf.train._graph.join(segments)
    assert mtf.train._graph.split(key) == tuple(segments)
    assert key.count("/") == len(segments) - 1


def test_shared_variable_is_stored_once_under_each_path(tmp_path):
    shared = mtf.Variable(np.arange(6, dtype=np.float32))
    m = mtf.Module()
    m.first, m.second = shared, [shared]
    path = mtf.train.Checkpoint(m=m).write(str(tmp_path / "c"))
    assert keys_of(path) == ["m/first", "m/second/0", "save_counter"]
    with zipfile.ZipFile(path) as archive:
        assert len([n for n in archive.namelist() if n.startswith("arrays/")]) == 2
    shared.assign(np.zeros(6, np.float32))
    mtf.train.Checkpoint(m=m).read(path).assert_consumed()
    np.testing.assert_array_equal(shared.numpy(), np.arange(6))


def test_slots_of_variables_outside_the_checkpoint_are_not_saved(tmp_path):
    inside, outside = mtf.Variable([1.0]), mtf.Variable([2.0])
    opt = mtf.optimizers.Adam(0.1)
    opt.apply_gradients([(mtf.constant([1.0]), inside), (mtf.constant([1.0]), outside)])
    path = mtf.train.Checkpoint(v=inside, opt=opt).write(str(tmp_path / "c"))
    assert keys_of(path) == ["opt/iterations", "opt/learning_rate", "opt/v/momentum",
                             "opt/v/velocity", "save_counter", "v"]


def test_optimizer_state_variables_are_saved():
    opt = mtf.optimizers.Nadam(gradient_accumulation_steps=2)
    keys = [k for k, _ in mtf.train._graph.collect(mtf.train.Checkpoint(opt=opt))]
    assert keys == ["opt/iterations", "opt/learning_rate", "opt/accumulated_calls",
                    "opt/u_product", "save_counter"]


def test_bad_objects_and_names():
    with pytest.raises(TypeError, match="x=int cannot be saved"):
        mtf.train.Checkpoint(x=3)
    with pytest.raises(AttributeError, match="save_counter"):
        mtf.train.Checkpoint(save_counter=mtf.Variable(1))
    ckpt = mtf.train.Checkpoint()
    with pytest.raises(AttributeError, match="must not start with '_'"):
        ckpt._hidden = mtf.Variable(1.0)
    with pytest.raises(AttributeError, match="no attribute 'model'"):
        ckpt.model
    v = mtf.Variable(1.0)
    ckpt.v = v
    assert ckpt.v is v and "v=Variable" in repr(ckpt)


# ---- write, save, read, restore

def test_write_returns_the_path_and_leaves_the_counter(tmp_path):
    v = mtf.Variable([1.0, 2.0])
    ckpt = mtf.train.Checkpoint(v=v)
    target = tmp_path / "plain.file"
    assert ckpt.write(target) == str(target)
    assert int(ckpt.save_counter) == 0
    v.assign([5.0, 6.0])
    assert ckpt.read(target).assert_consumed() is not None
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_save_numbers_files_and_the_counter_is_restored(tmp_path):
    v = mtf.Variable(0.0)
    ckpt = mtf.train.Checkpoint(v=v)
    prefix = str(tmp_path / "run")
    paths = []
    for i in range(3):
        v.assign(float(i))
        paths.append(ckpt.save(prefix))
    assert paths == [f"{prefix}-1", f"{prefix}-2", f"{prefix}-3"]
    other = mtf.train.Checkpoint(v=mtf.Variable(9.0))
    other.restore(paths[1]).assert_consumed()
    assert int(other.save_counter) == 2 and float(other.v) == 1.0
    assert other.save(prefix) == f"{prefix}-3"


def test_restore_bumps_versions_through_assign(tmp_path):
    v = mtf.Variable([1.0])
    ckpt = mtf.train.Checkpoint(v=v)
    path = ckpt.write(str(tmp_path / "c"))
    version = v._version
    ckpt.read(path)
    assert v._version == version + 1


# ---- restore status

def test_extra_value_in_file_fails_only_assert_consumed(tmp_path):
    path = mtf.train.Checkpoint(a=mtf.Variable(1.0), b=mtf.Variable(2.0)).write(
        str(tmp_path / "c"))
    a = mtf.Variable(0.0)
    status = mtf.train.Checkpoint(a=a).read(path).expect_partial()
    assert float(a) == 1.0
    assert status.assert_existing_objects_matched() is status
    with pytest.raises(AssertionError, match="value 'b' not restored"):
        status.assert_consumed()


def test_extra_object_in_program_fails_both(tmp_path):
    path = mtf.train.Checkpoint(a=mtf.Variable(1.0)).write(str(tmp_path / "c"))
    b = mtf.Variable(0.0, name="bee")
    status = mtf.train.Checkpoint(a=mtf.Variable(0.0), b=b).read(path)
    for check in (status.assert_consumed, status.assert_existing_objects_matched):
        with pytest.raises(AssertionError, match=r"'b' \(bee:0\) was not restored"):
            check()


def test_read_does_not_expect_the_save_counter_but_restore_does(tmp_path):
    path = _write.write_file(str(tmp_path / "c"), [("v", np.float32(4.0) * np.ones(2))],
                              "test")
    v = mtf.Variable(np.zeros(2))
    mtf.train.Checkpoint(v=v).read(path).assert_consumed()
    status = mtf.train.Checkpoint(v=v).restore(path)
    with pytest.raises(AssertionError, match="'save_counter'"):
        status.assert_existing_objects_matched()


def test_restore_none_restores_nothing():
    v = mtf.Variable(1.0)
    status = mtf.train.Checkpoint(v=v).restore(None)
    assert status.expect_partial() is status
    for check in (status.assert_consumed, status.assert_existing_objects_matched):
        with pytest.raises(AssertionError, match="No checkpoint specified"):
            check()
    assert float(v) == 1.0


def test_unused_values_warn_when_the_restore_ends_unless_expect_partial(tmp_path):
    path = mtf.train.Checkpoint(a=mtf.Variable(1.0), b=mtf.Variable(2.0)).write(
        str(tmp_path / "c"))
    with pytest.warns(UserWarning, match=r"1 value\(s\) were never restored.*\['b'\]"):
        mtf.train.Checkpoint(a=mtf.Variable(0.0)).read(path)
        gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mtf.train.Checkpoint(a=mtf.Variable(0.0)).read(path).expect_partial()
        mtf.train.Checkpoint(a=mtf.Variable(0.0), b=mtf.Variable(0.0)).read(path)
        gc.collect()


# ---- deferred restoration

def test_deferred_restoration_into_an_unbuilt_linear(tmp_path):
    layer = mtf.layers.Linear(3)
    x = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    layer(x)
    w, b = layer.w.numpy() + 1.0, np.array([0.5, -1.0, 2.0], np.float32)
    layer.w.assign(w)
    layer.b.assign(b)
    path = mtf.train.Checkpoint(layer=layer).write(str(tmp_path / "c"))

    fresh = mtf.layers.Linear(3)
    status = mtf.train.Checkpoint(layer=fresh).read(path)
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="'layer/w' not restored"):
        status.assert_consumed()
    assert module_lib._setattr_hooks != []
    y = fresh(x)
    np.testing.assert_array_equal(fresh.w.numpy(), w)
    np.testing.assert_array_equal(fresh.b.numpy(), b)
    np.testing.assert_allclose(y.numpy(), x @ w + b, rtol=1e-6)
    status.assert_consumed()
    assert module_lib._setattr_hooks == [] and _deferred.pending_keys() == []


def test_deferred_slots_are_created_with_their_variable(tmp_path):
    model, opt = Model(), mtf.optimizers.Adam(0.1)
    x = fit(model, opt, steps=2)
    path = mtf.train.Checkpoint(model=model, opt=opt).write(str(tmp_path / "c"))

    model2, opt2 = Model(), mtf.optimizers.Adam(0.1)
    status = mtf.train.Checkpoint(model=model2, opt=opt2).read(path)
    assert opt2.variables == [opt2.iterations, opt2.learning_rate]     # no slots yet
    assert int(opt2.iterations) == 2
    model2(x)
    status.assert_consumed()
    for v1, v2 in zip(model.trainable_variables, model2.trainable_variables):
        for slot in ("momentum", "velocity"):
            np.testing.assert_array_equal(opt2.get_slot(v2, slot).numpy(),
                                          opt.get_slot(v1, slot).numpy())


def test_submodule_and_checkpoint_attribute_set_after_restore(tmp_path):
    model = Model()
    x = fit(model, mtf.optimizers.SGD(0.1))
    path = mtf.train.Checkpoint(model=model).write(str(tmp_path / "c"))

    ckpt = mtf.train.Checkpoint()
    status = ckpt.read(path)
    late = mtf.Module()
    ckpt.model = late                  # the model object itself arrives later
    late.encoder = Encoder()           # then its submodules
    late.head = mtf.layers.Linear(1)
    late.head(late.encoder(x))
    status.assert_consumed()
    for v1, v2 in zip(model.variables, late.variables):
        np.testing.assert_array_equal(v1.numpy(), v2.numpy())


def test_deferred_value_of_the_wrong_shape_raises_when_created(tmp_path):
    layer = mtf.layers.Linear(3)
    layer(np.ones((1, 4), np.float32))
    path = mtf.train.Checkpoint(layer=layer).write(str(tmp_path / "c"))
    fresh = mtf.layers.Linear(3, w_init=mtf.initializers.Ones())
    status = mtf.train.Checkpoint(layer=fresh).read(path).expect_partial()
    with pytest.raises(mtf.train.CheckpointError, match=r"'layer/w'.*\(4, 3\).*\(6, 3\)"):
        fresh(np.ones((1, 6), np.float32))
    assert fresh.input_size is None and fresh.variables == ()     # left unbuilt
    fresh(np.ones((1, 6), np.float32))                            # builds again, not restored
    np.testing.assert_array_equal(fresh.w.numpy(), np.ones((6, 3)))
    with pytest.raises(AssertionError, match="'layer/w' not restored: shape or dtype"):
        status.assert_consumed()


def test_pending_values_are_dropped_with_their_module(tmp_path):
    layer = mtf.layers.Linear(2)
    layer(np.ones((1, 2), np.float32))
    path = mtf.train.Checkpoint(layer=layer).write(str(tmp_path / "c"))
    fresh = mtf.layers.Linear(2)
    status = mtf.train.Checkpoint(layer=fresh).read(path).expect_partial()
    assert _deferred.pending_keys() == ["layer/b", "layer/w"]
    del status, fresh
    gc.collect()
    assert _deferred.pending_keys() == [] and module_lib._setattr_hooks == []


def test_newer_restore_wins_over_an_older_pending_one(tmp_path):
    layer = mtf.layers.Linear(2, w_init=mtf.initializers.Ones())
    layer(np.ones((1, 2), np.float32))
    old = mtf.train.Checkpoint(layer=layer).write(str(tmp_path / "old"))
    layer.w.assign(np.full((2, 2), 7.0, np.float32))
    new = mtf.train.Checkpoint(layer=layer).write(str(tmp_path / "new"))
    fresh = mtf.layers.Linear(2)
    ckpt = mtf.train.Checkpoint(layer=fresh)
    ckpt.read(old).expect_partial()
    ckpt.read(new)
    fresh(np.ones((1, 2), np.float32))
    np.testing.assert_array_equal(fresh.w.numpy(), np.full((2, 2), 7.0))


def test_deferred_values_arrive_when_another_thread_builds(tmp_path):
    model = Model()
    x = fit(model, mtf.optimizers.SGD(0.1))
    path = mtf.train.Checkpoint(model=model).write(str(tmp_path / "c"))
    fresh = [Model() for _ in range(4)]
    statuses = [mtf.train.Checkpoint(model=m).read(path) for m in fresh]
    threads = [threading.Thread(target=m, args=(x,)) for m in fresh]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for m, status in zip(fresh, statuses):
        status.assert_consumed()
        for v1, v2 in zip(model.variables, m.variables):
            np.testing.assert_array_equal(v1.numpy(), v2.numpy())


# ---- slots restored into optimizers that have not made them yet

def test_slot_values_are_checked_before_any_slot_is_created(tmp_path):
    wide = mtf.layers.Linear(3)
    opt = mtf.optimizers.Adam(0.1)
    fit(wide, opt)
    path = mtf.train.Checkpoint(model=wide, opt=opt).write(str(tmp_path / "c"))
    narrow, fresh_opt = mtf.layers.Linear(2), mtf.optimizers.Adam(0.1)
    narrow(np.ones((1, 5), np.float32))
    with pytest.raises(mtf.train.CheckpointError) as info:
        mtf.train.Checkpoint(model=narrow, opt=fresh_opt).read(path)
    assert "'opt/model/w/momentum'" in str(info.value)
    assert "variable of slot 'linear/w:0' has shape (5, 2)" in str(info.value)
    assert fresh_opt.variables == [fresh_opt.iterations, fresh_opt.learning_rate]  # no slot
    assert int(fresh_opt.iterations) == 0


def test_slots_the_optimizer_does_not_make_stay_unconsumed(tmp_path):
    model, opt = mtf.layers.Linear(2), mtf.optimizers.Adam(0.1, amsgrad=True)
    fit(model, opt)
    path = mtf.train.Checkpoint(model=model, opt=opt).write(str(tmp_path / "c"))
    model2, plain = mtf.layers.Linear(2), mtf.optimizers.Adam(0.1)
    model2(np.ones((1, 5), np.float32))
    status = mtf.train.Checkpoint(model=model2, opt=plain).read(path).expect_partial()
    status.assert_existing_objects_matched()
    np.testing.assert_array_equal(plain.get_slot(model2.w, "velocity").numpy(),
                                  opt.get_slot(model.w, "velocity").numpy())
    with pytest.raises(AssertionError, match="'opt/model/w/velocity_hat' not restored: "
                                             "Adam 'adam' has no slot 'velocity_hat'"):
        status.assert_consumed()


def test_a_none_placeholder_waits_like_a_missing_attribute(tmp_path):
    class Lazy(mtf.Module):
        def __init__(self):
            super().__init__()
            self.w = None

        def __call__(self, x):
            if self.w is None:
                self.w = mtf.Variable(np.zeros(x.shape[-1], np.float32), name="w")
            return x * self.w

    built = Lazy()
    built(np.ones(3, np.float32))
    built.w.assign([1.0, 2.0, 3.0])
    path = mtf.train.Checkpoint(m=built).write(str(tmp_path / "c"))
    fresh = Lazy()
    status = mtf.train.Checkpoint(m=fresh).read(path)
    np.testing.assert_array_equal(fresh(np.ones(3, np.float32)).numpy(), [1.0, 2.0, 3.0])
    status.assert_consumed()
