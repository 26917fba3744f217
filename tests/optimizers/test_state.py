"""Optimizer state: slots, weak references, weights, configs, sparse updates."""
import gc
import json
import weakref

import numpy as np
import pytest

import minitf as mtf

O = mtf.optimizers


# ---- slots

def test_slots_are_lazy_per_variable_and_serve_several_variable_sets():
    a, b = mtf.Variable([1.0, 2.0], name="a"), mtf.Variable([[3.0]], name="b")
    opt = O.SGD(0.1, momentum=0.9)
    joint_a, joint_b = mtf.Variable([1.0, 2.0]), mtf.Variable([[3.0]])
    alone_a, alone_b = O.SGD(0.1, momentum=0.9), O.SGD(0.1, momentum=0.9)
    for step in range(3):
        ga, gb = np.array([1.0, -1.0]) * (step + 1), np.array([[2.0]]) * step
        opt.apply_gradients([(ga.astype(np.float32), a)])
        opt.apply_gradients([(gb.astype(np.float32), b)])
        alone_a.apply_gradients([(ga.astype(np.float32), joint_a)])
        alone_b.apply_gradients([(gb.astype(np.float32), joint_b)])
    np.testing.assert_array_equal(a.numpy(), joint_a.numpy())
    np.testing.assert_array_equal(b.numpy(), joint_b.numpy())
    assert [x.name for x in opt.variables] == [
        "SGD/iterations:0", "SGD/learning_rate:0", "SGD/a/momentum:0", "SGD/b/momentum:0"]
    assert opt.get_slot_names() == ["momentum"]


def test_add_slot_get_slot_and_errors():
    v = mtf.Variable([[1.0, 2.0]], name="w")
    opt = O.Adam()
    slot = opt.add_slot(v, "extra", initializer=0.5)
    assert opt.add_slot(v, "extra") is slot and opt.get_slot(v, "extra") is slot
    assert isinstance(slot, mtf.Variable) and not slot.trainable
    np.testing.assert_array_equal(slot.numpy(), [[0.5, 0.5]])
    assert slot.shape == v.shape and slot.dtype == v.dtype
    ones = opt.add_slot(v, "ones", initializer="ones")
    made = opt.add_slot(v, "made", initializer=lambda shape, dtype: np.full(shape, 3, dtype))
    np.testing.assert_array_equal(ones.numpy() + made.numpy(), [[4.0, 4.0]])
    with pytest.raises(ValueError, match="has no slot 'momentum'.*\\['extra', 'ones', 'made'\\]"):
        opt.get_slot(v, "momentum")
    with pytest.raises(ValueError, match="unknown initializer"):
        opt.add_slot(v, "bad", initializer="glorot")
    with pytest.raises(ValueError, match="shape"):
        opt.add_slot(v, "bad", initializer=np.zeros(3))
    with pytest.raises(TypeError, match="expected a mtf.Variable"):
        opt.get_slot(np.zeros(2), "extra")


def test_slots_of_a_deleted_variable_are_freed():
    opt = O.Adam(use_ema=True)
    keep, doomed = mtf.Variable([1.0]), mtf.Variable([2.0, 3.0])
    opt.apply_gradients([([1.0], keep), ([1.0, 1.0], doomed)])
    slot_refs = [weakref.ref(opt.get_slot(doomed, n)) for n in ("momentum", "velocity",
                                                                "average")]
    assert len(opt.variables) == 8          # iterations, learning_rate, 3 slots each
    del doomed
    gc.collect()
    assert all(r() is None for r in slot_refs)
    assert len(opt.variables) == 5
    opt.apply_gradients([([1.0], keep)])     # still works


def test_variables_do_not_keep_their_optimizer_alive():
    v = mtf.Variable([1.0])
    opt = O.SGD(0.1, momentum=0.5)
    opt.apply_gradients([([1.0], v)])
    opt.exclude_from_weight_decay(var_list=[v])
    ref = weakref.ref(opt)
    del opt
    gc.collect()
    assert ref() is None


# ---- weights and config

def _trained(opt, steps=3):
    v = mtf.Variable(np.array([[0.5, -1.0], [2.0, 0.1]]))
    for i in range(steps):
        opt.apply_gradients([(np.array([[1.0, -2.0], [0.5, 3.0]]) * (i + 1), v)])
    return v


@pytest.mark.parametrize("weights", [
    lambda w: w[:-1],                                               # count
    lambda w: w[:-1] + [np.zeros((3, 2))],                          # shape
    lambda w: w[:-1] + [w[-1].astype(np.float32)],                  # dtype
    lambda w: [np.int32(7)] + w[1:]])                               # dtype of iterations
def test_set_weights_validates_everything_first(weights):
    opt = O.Adam(0.1, amsgrad=True)
    _trained(opt)
    before = opt.get_weights()
    bad = weights([np.full_like(w, 9) for w in before])
    with pytest.raises(ValueError, match="set_weights"):
        opt.set_weights(bad)
    for old, now in zip(before, opt.get_weights()):
        np.testing.assert_array_equal(old, now)


def test_set_weights_transfers_state():
    opt = O.RMSprop(0.1, momentum=0.5, centered=True)
    v = _trained(opt)
    copy = mtf.Variable(v.numpy())
    other = O.RMSprop(0.1, momentum=0.5, centered=True)
    other.build([copy])
    other.set_weights(opt.get_weights())
    g = np.array([[1.0, 1.0], [-1.0, 2.0]])
    opt.apply_gradients([(g, v)])
    other.apply_gradients([(g, copy)])
    np.testing.assert_array_equal(v.numpy(), copy.numpy())
    assert int(other.iterations) == 4


FEATURES = dict(weight_decay=0.01, clipnorm=2.0, use_ema=True, ema_overwrite_frequency=3)


@pytest.mark.parametrize("cls", [O.SGD, O.RMSprop, O.Adagrad, O.Adadelta, O.Adam, O.AdamW,
                                 O.Adamax, O.Nadam, O.Ftrl, O.Lion],
                         ids=lambda c: c.__name__)
def test_config_round_trip_reproduces_the_trajectory(cls):
    schedule = O.schedules.CosineDecay(0.05, decay_steps=10, warmup_target=0.1,
                                       warmup_steps=2)
    opt = cls(learning_rate=schedule, **FEATURES)
    config = json.loads(json.dumps(opt.get_config()))
    twin = cls.from_config(config)
    assert twin.get_config() == opt.get_config()
    again = O.deserialize(json.loads(json.dumps(O.serialize(opt))))
    assert type(again) is cls and again.get_config() == opt.get_config()
    assert _trained(opt, 7).numpy().tobytes() == _trained(twin, 7).numpy().tobytes()


def test_get_by_name_and_config():
    assert type(O.get("adam")) is O.Adam and type(O.get("RMSprop")) is O.RMSprop
    opt = O.SGD(0.3)
    assert O.get(opt) is opt
    assert O.get(O.serialize(opt)).learning_rate == 0.3
    with pytest.raises(ValueError, match="Unknown optimizer name 'adamm'"):
        O.get("adamm")
    with pytest.raises(ValueError, match="custom_objects"):
        O.deserialize({"class_name": "Mine", "config": {}})


def test_callable_learning_rate_is_not_serialisable():
    with pytest.raises(ValueError, match="cannot be serialised"):
        O.SGD(lambda: 0.1).get_config()


# ---- sparse gradients

SPARSE_CASES = [O.SGD(0.1, momentum=0.9), O.RMSprop(0.1, centered=True), O.Adagrad(0.1),
                O.Adadelta(1.0), O.Adam(0.1), O.AdamW(0.1), O.Adamax(0.1), O.Nadam(0.1),
                O.Ftrl(0.1, l1_regularization_strength=0.01), O.Lion(0.1)]


@pytest.mark.parametrize("opt", SPARSE_CASES, ids=lambda o: type(o).__name__)
def test_sparse_gradients_equal_the_densified_dense_update(opt):
    twin = type(opt).from_config(opt.get_config())
    p0 = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    sparse_var, dense_var = mtf.Variable(p0), mtf.Variable(p0)
    values = np.array([[1.0, -1.0, 0.5], [2.0, 0.0, 1.0], [0.5, 0.5, 0.5]], np.float32)
    indices = np.array([2, 0, 2])              # a duplicate row: summed
    dense = np.zeros((4, 3), np.float32)
    np.add.at(dense, indices, values)
    for _ in range(3):
        opt.apply_gradients([(mtf.IndexedSlices(mtf.constant(values), mtf.constant(indices),
                                                (4, 3)), sparse_var)])
        twin.apply_gradients([(dense, dense_var)])
    np.testing.assert_array_equal(sparse_var.numpy(), dense_var.numpy())
    assert not np.array_equal(sparse_var.numpy(), p0)


def test_gradient_of_a_gather_is_applied():
    table = mtf.Variable(np.ones((5, 2), np.float32))
    opt = O.SGD(1.0)
    opt.minimize(lambda: mtf.reduce_sum(mtf.gather(table, [1, 3, 1])), [table])
    np.testing.assert_array_equal(table.numpy()[:, 0], [1.0, -1.0, 1.0, 0.0, 1.0])


# ---- weight decay exclusion and EMA finalisation

def test_exclude_from_weight_decay_by_variable_and_by_name():
    w = mtf.Variable([1.0], name="dense/kernel")
    b = mtf.Variable([1.0], name="dense/bias")
    e = mtf.Variable([1.0], name="embedding")
    opt = O.SGD(0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_list=[e], var_names=["bias"])
    opt.apply_gradients([([0.0], w), ([0.0], b), ([0.0], e)])
    np.testing.assert_allclose(w.numpy(), [1 - 0.5 * 0.1])
    assert b.numpy()[0] == 1.0 and e.numpy()[0] == 1.0


def test_finalize_variable_values_copies_the_averages():
    v = mtf.Variable([0.0])
    stranger = mtf.Variable([7.0])
    opt = O.SGD(1.0, use_ema=True, ema_momentum=0.5)
    for g in ([-2.0], [-2.0]):        # v: 2, 4;  average: 2 (first step), 0.5*2 + 0.5*4
        opt.apply_gradients([(g, v)])
    assert v.numpy()[0] == 4.0
    opt.finalize_variable_values([v, stranger])
    assert v.numpy()[0] == 3.0 and stranger.numpy()[0] == 7.0
