"""Gradients that share memory with state the same call writes are read as they were
when the call began, as TensorFlow reads values: Variables given as gradients, numpy
views of them, IndexedSlices whose values are a Variable, slots and the optimizer's
own variables. Every optimizer of the shared table, against the same calls with
gradients copied first."""
import numpy as np
import pytest

import minitf as mtf
from optimizer_cases import BIT_CASES

O = mtf.optimizers
SHAPE = (4, 3)


def _start(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=SHAPE) for _ in range(3)]


def _rotated(variables):
    """Variable i gets variable i+1 (the last gets the first): every gradient is
    a variable updated in the same call, before or after the one it is for."""
    return variables[1:] + variables[:1]


# How a step's gradients alias: (optimizer, variables) -> one gradient per variable.
KINDS = {
    "variables": lambda opt, vs: _rotated(vs),
    "each-its-own": lambda opt, vs: list(vs),
    "numpy-views": lambda opt, vs: [np.asarray(v) for v in _rotated(vs)],
    "indexed-slices": lambda opt, vs: [
        mtf.IndexedSlices(v, mtf.constant([3, 1, 0, 2]), SHAPE) for v in _rotated(vs)],
    "slots": lambda opt, vs: [opt.get_slot(v, opt.get_slot_names()[-1])
                              for v in _rotated(vs)],
}


def _has_slots(name):
    opt = BIT_CASES[name]()
    opt.build([mtf.Variable(np.zeros(SHAPE))])
    return bool(opt.get_slot_names())


PARAMS = [(name, kind) for name in sorted(BIT_CASES) for kind in KINDS
          if kind != "slots" or _has_slots(name)]


def _copied(gradient):
    """The value a gradient has now, as a new array (or IndexedSlices of one)."""
    if isinstance(gradient, mtf.IndexedSlices):
        return mtf.IndexedSlices(mtf.constant(gradient.values.numpy()), gradient.indices,
                                 gradient.dense_shape)
    return np.array(gradient, copy=True)


@pytest.mark.parametrize("name, kind", PARAMS)
def test_aliased_gradients_equal_copied_gradients(name, kind):
    runs = []
    for copy_first in (False, True):
        variables = [mtf.Variable(p) for p in _start()]
        opt = BIT_CASES[name]()
        opt.apply_gradients(zip([mtf.constant(g) for g in _start(1)], variables))
        for _ in range(4):
            grads = KINDS[kind](opt, variables)
            if copy_first:
                grads = [_copied(g) for g in grads]
            opt.apply_gradients(zip(grads, variables))
        runs.append(([v.numpy() for v in variables], opt.get_weights()))
    (aliased, aliased_state), (copied, copied_state) = runs
    for a, c in zip(aliased + aliased_state, copied + copied_state):
        assert a.tobytes() == c.tobytes()
    assert not np.array_equal(copied[0], _start()[0])


def test_swapped_variables_as_gradients_match_tensorflow():
    a, b = mtf.Variable([1.0, 2.0], dtype=mtf.float64), mtf.Variable([10.0, 20.0],
                                                                     dtype=mtf.float64)
    O.SGD(0.1).apply_gradients([(b, a), (a, b)])
    np.testing.assert_allclose(a.numpy(), [1 - 0.1 * 10, 2 - 0.1 * 20], atol=1e-15)
    np.testing.assert_allclose(b.numpy(), [10 - 0.1 * 1, 20 - 0.1 * 2], rtol=1e-15)


def test_get_updates_reads_variables_as_gradients_before_the_slots_move():
    a, b = mtf.Variable([1.0, 2.0], dtype=mtf.float64), mtf.Variable([3.0, 4.0],
                                                                    dtype=mtf.float64)
    opt = O.SGD(1.0, momentum=0.5)
    opt.apply_gradients([([1.0, 1.0], a), ([1.0, 1.0], b)])     # momentum slots: -1
    m_a = opt.get_slot(a, "momentum")
    (u_a, _), (u_b, _) = opt.get_updates([(b, a), (m_a, b)])
    # m <- 0.5 m - g;  the update is the new m (no Nesterov)
    np.testing.assert_allclose(u_a.numpy(), [-0.5 - 2.0, -0.5 - 3.0])   # g = b (after step 1)
    np.testing.assert_allclose(u_b.numpy(), [-0.5 + 1.0, -0.5 + 1.0])   # g = m_a before


def test_own_state_variable_as_gradient_is_read_before_it_moves():
    x = mtf.Variable(np.float64(0.5))
    opt = O.Nadam(0.1)
    u_product = opt.variables[2]
    assert u_product.name == "nadam/u_product:0"
    twin_x, twin = mtf.Variable(np.float64(0.5)), O.Nadam(0.1)
    opt.apply_gradients([(u_product, x)])       # u_product is 1.0 when the call begins
    twin.apply_gradients([(np.float64(1.0), twin_x)])
    assert x.numpy() == twin_x.numpy()


def test_apply_updates_reads_every_update_before_adding_any():
    a, b = mtf.Variable([1.0, 2.0]), mtf.Variable([10.0, 20.0])
    O.SGD().apply_updates([(b, a), (a, b)])
    np.testing.assert_array_equal(a.numpy(), [11.0, 22.0])
    np.testing.assert_array_equal(b.numpy(), [11.0, 22.0])       # 10 + 1, 20 + 2


def test_set_weights_reads_every_weight_before_assigning_any():
    a, b = mtf.Variable([0.0, 0.0]), mtf.Variable([0.0, 0.0])
    opt = O.SGD(1.0, momentum=0.5)
    opt.apply_gradients([([1.0, 2.0], a), ([3.0, 4.0], b)])
    iterations, lr, m_a, m_b = opt.variables
    old_a, old_b = m_a.numpy(), m_b.numpy()
    opt.set_weights([iterations, lr, m_b, m_a])                # swap the two slots
    np.testing.assert_array_equal(m_a.numpy(), old_b)
    np.testing.assert_array_equal(m_b.numpy(), old_a)

