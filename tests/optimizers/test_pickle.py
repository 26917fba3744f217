"""Optimizers pickle (as Keras 3's do): pickled with the variables they train, they go on
training exactly as an uninterrupted run; copy.deepcopy works the same way."""
import copy
import pickle

import numpy as np
import pytest

import minitf as mtf
from optimizer_cases import BIT_CASES

O = mtf.optimizers
STEPS, CUT = 8, 4          # CUT = 4 stops inside a 3-call accumulation cycle

CASES = dict(BIT_CASES)
CASES["cosine-schedule"] = lambda: O.Adam(
    O.schedules.CosineDecay(0.05, decay_steps=6, warmup_target=0.1, warmup_steps=2),
    weight_decay=0.01)
CASES["nadam-accumulation"] = lambda: O.Nadam(0.05, gradient_accumulation_steps=2)


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    start = [rng.normal(size=(4, 3)), rng.normal(size=(5,))]
    grads = [(rng.normal(size=(4, 3)), rng.normal(size=(2,))) for _ in range(STEPS)]
    return start, grads


def _step(opt, variables, grads):
    """A dense gradient for the matrix, IndexedSlices (rows 4 and 1) for the vector."""
    dense, rows = grads
    sparse = mtf.IndexedSlices(mtf.constant(rows), mtf.constant([4, 1]), (5,))
    opt.apply_gradients([(dense, variables[0]), (sparse, variables[1])])


def _state(opt, variables):
    return [v.numpy().tobytes() for v in variables] + [
        w.tobytes() for w in opt.get_weights()]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("reload", [lambda obj: pickle.loads(pickle.dumps(obj)),
                                    copy.deepcopy], ids=["pickle", "deepcopy"])
def test_reloaded_optimizer_continues_like_an_uninterrupted_run(name, reload):
    start, grads = _problem()
    variables, opt = [mtf.Variable(p) for p in start], CASES[name]()
    for g in grads:
        _step(opt, variables, g)

    resumed, opt2 = [mtf.Variable(p) for p in start], CASES[name]()
    for g in grads[:CUT]:
        _step(opt2, resumed, g)
    resumed, opt2 = reload((resumed, opt2))
    for g in grads[CUT:]:
        _step(opt2, resumed, g)

    assert _state(opt2, resumed) == _state(opt, variables)
    assert int(opt2.iterations) == int(opt.iterations)
    assert type(opt2) is type(opt)


def test_weight_decay_exclusions_survive_pickling():
    start, grads = _problem(1)
    runs = []
    for cut in (None, CUT):
        variables, opt = [mtf.Variable(p) for p in start], O.SGD(0.1, weight_decay=0.5)
        opt.exclude_from_weight_decay(var_list=[variables[1]])
        for i, g in enumerate(grads):
            if i == cut:
                variables, opt = pickle.loads(pickle.dumps((variables, opt)))
            _step(opt, variables, g)
        runs.append(_state(opt, variables))
    assert runs[0] == runs[1]
    # the excluded vector only moves where it got gradients (rows 4 and 1)
    assert np.array_equal(pickle.loads(pickle.dumps(variables[1])).numpy()[[0, 2, 3]],
                          start[1][[0, 2, 3]])


def test_an_optimizer_pickled_alone_keeps_its_configuration_and_counters():
    v = mtf.Variable([1.0, 2.0])
    opt = O.Adam(0.05, amsgrad=True, use_ema=True)
    for _ in range(3):
        opt.apply_gradients([([1.0, -1.0], v)])
    opt.learning_rate.assign(0.02)
    again = pickle.loads(pickle.dumps(opt))
    assert again.get_config() == opt.get_config()
    assert int(again.iterations) == 3 and float(again.learning_rate) == 0.02
    # its variables' copies had no other owner: they and their slots are gone
    assert again.variables == [again.iterations, again.learning_rate]
    again.apply_gradients([([1.0, -1.0], v)])          # and it still trains
    assert int(again.iterations) == 4
