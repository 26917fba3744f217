"""Sparse gradients: an IndexedSlices gives the dense update of its densified
gradient to the last bit, for every optimizer and option, on random shapes with
duplicate rows; only the rows it names are computed where that is exact."""
import copy
import zlib

import numpy as np
import pytest

import minitf as mtf
from minitf.optimizers import _sparse, _step
from optimizer_cases import LoudAdam, Momentum

O = mtf.optimizers

OPTIMIZERS = {
    "sgd": lambda **kw: O.SGD(0.1, **kw),
    "sgd-momentum": lambda **kw: O.SGD(0.1, momentum=0.9, **kw),
    "sgd-nesterov": lambda **kw: O.SGD(0.1, momentum=0.5, nesterov=True, **kw),
    "rmsprop": lambda **kw: O.RMSprop(0.01, **kw),
    "rmsprop-centered-momentum": lambda **kw: O.RMSprop(0.01, momentum=0.5, centered=True,
                                                        **kw),
    "adagrad": lambda **kw: O.Adagrad(0.1, **kw),
    "adagrad-zero-start": lambda **kw: O.Adagrad(0.1, initial_accumulator_value=0.0, **kw),
    "adagrad-no-eps": lambda **kw: O.Adagrad(0.1, initial_accumulator_value=0.0,
                                             epsilon=0.0, **kw),   # dense: 0/0 rows
    "adadelta": lambda **kw: O.Adadelta(1.0, **kw),
    "adam": lambda **kw: O.Adam(0.1, **kw),
    "adam-amsgrad": lambda **kw: O.Adam(0.1, amsgrad=True, **kw),
    "adamw": lambda **kw: O.AdamW(0.1, **kw),
    "adamax": lambda **kw: O.Adamax(0.1, **kw),
    "nadam": lambda **kw: O.Nadam(0.1, **kw),
    "ftrl": lambda **kw: O.Ftrl(0.1, **kw),
    "ftrl-regularized": lambda **kw: O.Ftrl(0.1, l1_regularization_strength=0.01,
                                            l2_regularization_strength=0.02,
                                            l2_shrinkage_regularization_strength=0.03,
                                            beta=0.1, **kw),
    "lion": lambda **kw: O.Lion(0.01, **kw),
    "custom": lambda **kw: Momentum(0.1, **kw),
    "subclass": lambda **kw: LoudAdam(0.1, **kw),
}

OPTIONS = {
    "plain": {},
    "weight-decay": {"weight_decay": 0.05},
    "clipnorm": {"clipnorm": 0.7},
    "clipvalue": {"clipvalue": 0.3},
    "global-clipnorm": {"global_clipnorm": 1.1},
    "ema": {"use_ema": True, "ema_overwrite_frequency": 3},
    "accumulation": {"gradient_accumulation_steps": 3},
    "accumulation-clipnorm": {"gradient_accumulation_steps": 2, "clipnorm": 0.5},
    "schedule": {"learning_rate": O.schedules.ExponentialDecay(0.05, 2, 0.5)},
}

DTYPES = (np.float32, np.float64, np.float16)


def _draw_problem(rng):
    """A random table shape (1-D or more), a dtype and a second, dense variable."""
    shape = (int(rng.integers(1, 9)),) + tuple(int(d) for d in
                                               rng.integers(1, 4, rng.integers(0, 3)))
    dtype = DTYPES[int(rng.integers(0, 3))]
    return shape, dtype


def _sparse_gradient(rng, shape, dtype):
    """IndexedSlices with duplicate rows, zeros and -0.0 among the values (maybe no rows)."""
    n = int(rng.integers(0, 2 * shape[0] + 1))
    indices = rng.integers(0, shape[0], n)
    values = rng.normal(size=(n,) + shape[1:])
    values[rng.random(values.shape) < 0.1] = 0.0
    values[rng.random(values.shape) < 0.1] = -0.0
    return mtf.IndexedSlices(mtf.constant(values.astype(dtype)), mtf.constant(indices), shape)


def _weights_bytes(opt):
    return [w.tobytes() for w in opt.get_weights()]


def _apply(opt, pairs, staged):
    if staged:
        opt.apply_updates(opt.get_updates(pairs))
    else:
        opt.apply_gradients(pairs)


def _make(case, option):
    kwargs = dict(OPTIONS[option])
    if "learning_rate" in kwargs:
        lr = kwargs.pop("learning_rate")
        return lambda: type(OPTIMIZERS[case]())(**{**OPTIMIZERS[case]().get_config(),
                                                   "learning_rate": lr, **kwargs})
    return lambda: OPTIMIZERS[case](**kwargs)


@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("case", sorted(OPTIMIZERS))
def test_sparse_update_equals_dense_update_of_densified_gradient(case, option):
    rng = np.random.default_rng(zlib.crc32(f"{case}/{option}".encode()))
    make = _make(case, option)
    for _ in range(2):                                  # two random problems
        shape, dtype = _draw_problem(rng)
        p0 = rng.normal(size=shape).astype(dtype)
        p0[rng.random(shape) < 0.1] = -0.0
        q0 = rng.normal(size=(3,)).astype(dtype)
        sparse_opt, dense_opt = make(), make()
        sv, sq = mtf.Variable(p0), mtf.Variable(q0)
        dv, dq = mtf.Variable(p0), mtf.Variable(q0)
        for step in range(7):
            g = _sparse_gradient(rng, shape, dtype)
            if step == 4:
                g = mtf.constant(g.numpy())             # a dense gradient mid-run
            h = rng.normal(size=(3,)).astype(dtype)
            staged = step in (2, 5)
            _apply(sparse_opt, [(g, sv), (h, sq)], staged)
            _apply(dense_opt, [(mtf.convert_to_tensor(g).numpy(), dv), (h, dq)], staged)
            assert sv.numpy().tobytes() == dv.numpy().tobytes(), (step, shape, dtype)
            assert sq.numpy().tobytes() == dq.numpy().tobytes(), (step, shape, dtype)
            assert _weights_bytes(sparse_opt) == _weights_bytes(dense_opt), step
            if step == 3:                               # a copy carries on the same way
                sv, sq, sparse_opt = copy.deepcopy((sv, sq, sparse_opt))


# ---- only the rows are computed where that is exact

def _no_densify(monkeypatch):
    def refuse(*_):
        raise AssertionError("densified")
    monkeypatch.setattr(_step, "densify", refuse)
    monkeypatch.setattr(_sparse, "densify", refuse)


@pytest.mark.parametrize("make", [
    lambda: O.SGD(0.1), lambda: O.Adagrad(0.1), lambda: O.SGD(0.1, clipnorm=0.5),
    lambda: O.Adagrad(0.1, global_clipnorm=0.5), lambda: O.SGD(0.1, clipvalue=0.1),
    lambda: O.SGD(0.1, gradient_accumulation_steps=2),
    lambda: O.Adam(0.1, lazy=True, weight_decay=0.1),
    lambda: O.SGD(0.1, momentum=0.9, lazy=True), lambda: O.RMSprop(lazy=True),
    lambda: O.Ftrl(lazy=True), lambda: O.Lion(lazy=True, use_ema=True)],
    ids=["sgd", "adagrad", "sgd-clipnorm", "adagrad-global-clipnorm", "sgd-clipvalue",
         "sgd-accumulation", "lazy-adamw", "lazy-momentum", "lazy-rmsprop", "lazy-ftrl",
         "lazy-lion-ema"])
def test_exact_and_lazy_updates_never_densify(make, monkeypatch):
    _no_densify(monkeypatch)
    v = mtf.Variable(np.ones((1000, 4), np.float32))
    opt = make()
    for _ in range(4):
        opt.apply_gradients([(mtf.IndexedSlices(mtf.constant(np.ones((3, 4), np.float32)),
                                                mtf.constant([7, 3, 7]), (1000, 4)), v)])
    assert int(opt.iterations) in (2, 4)
    assert np.all(v.numpy()[[0, 1, 2, 4, 5, 6, 999]] == 1.0)


@pytest.mark.parametrize("make", [lambda: O.Adam(0.1), lambda: O.SGD(0.1, momentum=0.9),
                                  lambda: O.SGD(0.1, weight_decay=0.1)],
                         ids=["adam", "momentum", "decay"])
def test_inexact_updates_densify(make, monkeypatch):
    _no_densify(monkeypatch)
    v = mtf.Variable(np.ones((5, 2), np.float32))
    with pytest.raises(AssertionError, match="densified"):
        make().apply_gradients([(mtf.IndexedSlices(mtf.constant([[1.0, 1.0]]),
                                                   mtf.constant([1]), (5, 2)), v)])


# ---- when the rows-only update would not be exact, the dense one runs

def _twin_steps(make, p0, prepare=lambda opt, var: None, steps=3):
    """The variable and optimizer weights after sparse steps and after dense ones."""
    results = []
    for sparse in (True, False):
        var, opt = mtf.Variable(p0), make()
        opt.build([var])
        prepare(opt, var)
        for _ in range(steps):
            g = mtf.IndexedSlices(mtf.constant(np.full((2,) + p0.shape[1:], 0.5, p0.dtype)),
                                  mtf.constant([1, 1]), p0.shape)
            opt.apply_gradients([(g if sparse else g.numpy(), var)])
        results.append((var.numpy().tobytes(), _weights_bytes(opt)))
    return results


def test_assigned_adagrad_accumulator_with_negative_zero_is_checked():
    def plant(opt, var):
        acc = opt.get_slot(var, "accumulator")
        acc.assign(np.array([[-0.0, 1.0], [2.0, -0.0], [-0.0, -0.0]], np.float32))
    sparse, dense = _twin_steps(lambda: O.Adagrad(0.1), np.zeros((3, 2), np.float32), plant)
    assert sparse == dense


def test_unusable_learning_rates_take_the_dense_update():
    p0 = np.array([[-0.0, 1.0], [2.0, 3.0], [-0.0, 4.0]], np.float32)

    def rate(value):
        return lambda opt, var: opt.learning_rate.assign(value)
    for value in (-0.0, float("inf")):
        sparse, dense = _twin_steps(lambda: O.SGD(0.1), p0, rate(value))
        assert sparse == dense


# ---- the lazy variant

LAZY = {
    "sgd-momentum": lambda **kw: O.SGD(0.1, momentum=0.9, **kw),
    "rmsprop-centered": lambda **kw: O.RMSprop(0.01, centered=True, momentum=0.3, **kw),
    "adagrad": lambda **kw: O.Adagrad(0.1, **kw),
    "adadelta": lambda **kw: O.Adadelta(1.0, **kw),
    "adam": lambda **kw: O.Adam(0.1, **kw),
    "adamw-amsgrad": lambda **kw: O.AdamW(0.1, amsgrad=True, **kw),
    "adamax": lambda **kw: O.Adamax(0.1, **kw),
    "nadam": lambda **kw: O.Nadam(0.1, **kw),
    "ftrl": lambda **kw: O.Ftrl(0.1, l1_regularization_strength=0.01, **kw),
    "lion": lambda **kw: O.Lion(0.01, **kw),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_update_is_the_dense_update_of_the_named_rows(name, dtype):
    """Gradients on the same rows every step: the lazy update of the table equals the
    dense update of the sub-table of those rows; no other row or slot row changes."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    table0 = rng.normal(size=(9, 3)).astype(dtype)
    rows = np.array([6, 2, 4])
    table, sub = mtf.Variable(table0), mtf.Variable(table0[rows])
    lazy, dense = LAZY[name](lazy=True, weight_decay=0.1), LAZY[name](weight_decay=0.1)
    for _ in range(4):
        indices = rng.permutation(np.concatenate([rows, rng.choice(rows, 2)]))
        values = rng.normal(size=(5, 3)).astype(dtype)
        summed = np.zeros((9, 3), np.float32)
        np.add.at(summed, indices, values.astype(np.float32))
        lazy.apply_gradients([(mtf.IndexedSlices(mtf.constant(values), mtf.constant(indices),
                                                 (9, 3)), table)])
        dense.apply_gradients([(summed[rows].astype(dtype), sub)])
    assert table.numpy()[rows].tobytes() == sub.numpy().tobytes()
    others = np.setdiff1d(np.arange(9), rows)
    assert table.numpy()[others].tobytes() == table0[others].tobytes()
    fresh, unused = LAZY[name](lazy=True), mtf.Variable(table0)
    fresh.build([unused])
    for slot_name in lazy.get_slot_names():
        slot, twin = lazy.get_slot(table, slot_name).numpy(), dense.get_slot(sub, slot_name)
        assert slot[rows].tobytes() == twin.numpy().tobytes()
        initial = fresh.get_slot(unused, slot_name).numpy()
        assert slot[others].tobytes() == initial[others].tobytes()


def lazy_adam_reference(p, steps, lr=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """LazyAdam (TF Addons) in numpy, written from Kingma & Ba Algorithm 1: each step only
    the rows named by the gradient update m, v and p, with the global step count t."""
    p, m, v = p.copy(), np.zeros_like(p), np.zeros_like(p)
    for t, (indices, values) in enumerate(steps, start=1):
        rows = np.unique(indices)
        g = np.zeros_like(p)
        np.add.at(g, indices, values)
        m[rows] = beta_1 * m[rows] + (1 - beta_1) * g[rows]
        v[rows] = beta_2 * v[rows] + (1 - beta_2) * g[rows] ** 2
        m_hat, v_hat = m[rows] / (1 - beta_1 ** t), v[rows] / (1 - beta_2 ** t)
        eps_hat = epsilon / np.sqrt(1 - beta_2 ** t)       # Keras's epsilon-hat form
        p[rows] -= lr * m_hat / (np.sqrt(v_hat) + eps_hat)
    return p, m, v


def lazy_momentum_reference(p, steps, lr=0.1, momentum=0.9):
    """SGD with momentum, Keras form (m <- mu m - lr g; p <- p + m), on the named rows."""
    p, m = p.copy(), np.zeros_like(p)
    for indices, values in steps:
        rows = np.unique(indices)
        g = np.zeros_like(p)
        np.add.at(g, indices, values)
        m[rows] = momentum * m[rows] - lr * g[rows]
        p[rows] += m[rows]
    return p, m


def lazy_rmsprop_reference(p, steps, lr=0.01, rho=0.9, epsilon=1e-7):
    """RMSprop (Hinton, lecture 6e) on the named rows."""
    p, v = p.copy(), np.zeros_like(p)
    for indices, values in steps:
        rows = np.unique(indices)
        g = np.zeros_like(p)
        np.add.at(g, indices, values)
        v[rows] = rho * v[rows] + (1 - rho) * g[rows] ** 2
        p[rows] -= lr * g[rows] / np.sqrt(v[rows] + epsilon)
    return p, v


@pytest.mark.parametrize("make, reference, slot_names", [
    (lambda: O.Adam(0.1, lazy=True), lazy_adam_reference, ["momentum", "velocity"]),
    (lambda: O.SGD(0.1, momentum=0.9, lazy=True), lazy_momentum_reference, ["momentum"]),
    (lambda: O.RMSprop(0.01, lazy=True), lazy_rmsprop_reference, ["velocity"]),
], ids=["adam", "sgd-momentum", "rmsprop"])
def test_lazy_rule_matches_numpy_reference(make, reference, slot_names):
    rng = np.random.default_rng(4)
    p0 = rng.normal(size=(8, 3))
    steps = []
    for _ in range(6):
        n = int(rng.integers(1, 6))
        steps.append((rng.integers(0, 8, n), rng.normal(size=(n, 3))))
    var, opt = mtf.Variable(p0), make()
    for indices, values in steps:
        opt.apply_gradients([(mtf.IndexedSlices(mtf.constant(values), mtf.constant(indices),
                                                (8, 3)), var)])
    expected = reference(p0, steps)
    np.testing.assert_allclose(var.numpy(), expected[0], rtol=1e-12, atol=1e-15)
    for name, slot in zip(slot_names, expected[1:]):
        np.testing.assert_allclose(opt.get_slot(var, name).numpy(), slot, rtol=1e-12,
                                   atol=1e-15)
    untouched = np.setdiff1d(np.arange(8), np.concatenate([i for i, _ in steps]))
    np.testing.assert_array_equal(var.numpy()[untouched], p0[untouched])


def test_lazy_with_accumulation_updates_the_rows_of_the_cycle():
    table = mtf.Variable(np.zeros((6, 1)))
    opt = O.SGD(1.0, momentum=0.5, lazy=True, gradient_accumulation_steps=2)
    for cycle in range(2):
        for rows in ([0, 2], [2]):
            opt.apply_gradients([(mtf.IndexedSlices(mtf.constant([[1.0]] * len(rows)),
                                                    mtf.constant(rows), (6, 1)), table)])
    # mean gradients: row 0 -> 0.5, row 2 -> 1.0; m = -g, then m = 0.5 m - g
    np.testing.assert_array_equal(table.numpy()[:, 0], [-1.25, 0, -2.5, 0, 0, 0])
    np.testing.assert_array_equal(opt.get_slot(table, "momentum").numpy()[:, 0],
                                  [-0.75, 0, -1.5, 0, 0, 0])


def test_dense_gradients_ignore_lazy():
    a, b = mtf.Variable(np.ones(4)), mtf.Variable(np.ones(4))
    lazy, plain = O.Adam(0.1, lazy=True), O.Adam(0.1)
    for g in ([1.0, 0.0, 0.0, 2.0], [0.0, 0.0, 1.0, 0.0]):
        lazy.apply_gradients([(np.array(g), a)])
        plain.apply_gradients([(np.array(g), b)])
    assert a.numpy().tobytes() == b.numpy().tobytes()


def test_lazy_in_config_and_checked():
    opt = O.Adam(0.1, lazy=True)
    assert opt.get_config()["lazy"] is True and O.Adam().get_config()["lazy"] is False
    again = O.deserialize(O.serialize(opt))
    assert type(again) is O.Adam and again.lazy is True
    assert O.Ftrl.from_config(O.Ftrl(lazy=True).get_config()).lazy is True
    with pytest.raises(TypeError, match="Adam: `lazy` must be a bool. Received: lazy='yes'"):
        O.Adam(lazy="yes")
    with pytest.raises(ValueError, match="LoudAdam: lazy=True needs the built-in sparse"):
        LoudAdam(lazy=True)


@pytest.mark.parametrize("ema", [False, True], ids=["plain", "ema"])
@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_apply_gradients_equals_apply_updates_of_get_updates(name, ema):
    rng = np.random.default_rng(zlib.crc32(name.encode()) + ema)
    p0 = rng.normal(size=(7, 2)).astype(np.float32)
    direct, staged = mtf.Variable(p0), mtf.Variable(p0)
    kwargs = {"lazy": True, "use_ema": ema, "ema_overwrite_frequency": 2 if ema else None}
    opt_direct, opt_staged = LAZY[name](**kwargs), LAZY[name](**kwargs)
    for _ in range(5):
        indices = rng.integers(0, 7, 4)
        g = mtf.IndexedSlices(mtf.constant(rng.normal(size=(4, 2)).astype(np.float32)),
                              mtf.constant(indices), (7, 2))
        opt_direct.apply_gradients([(g, direct)])
        opt_staged.apply_updates(opt_staged.get_updates([(g, staged)]))
    assert direct.numpy().tobytes() == staged.numpy().tobytes()
    assert _weights_bytes(opt_direct) == _weights_bytes(opt_staged)


@pytest.mark.parametrize("make", [lambda: O.SGD(0.1), lambda: O.Adam(0.1, lazy=True),
                                  lambda: O.Adagrad(0.1, clipnorm=0.1)],
                         ids=["sgd", "lazy-adam", "adagrad-clipnorm"])
def test_big_endian_slices_are_read_like_native_ones(make):
    values = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    indices = np.array([4, 0, 4])
    native, swapped = mtf.Variable(np.ones((5, 2))), mtf.Variable(np.ones((5, 2)))
    make().apply_gradients([(mtf.IndexedSlices(values, indices, (5, 2)), native)])
    make().apply_gradients([(mtf.IndexedSlices(values.astype(">f8"), indices.astype(">i4"),
                                               (5, 2)), swapped)])
    assert native.numpy().tobytes() == swapped.numpy().tobytes()
    assert not np.array_equal(native.numpy(), np.ones((5, 2)))
