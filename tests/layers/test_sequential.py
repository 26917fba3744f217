"""mtf.layers.Sequential: composition, argument passing, tracking."""
import numpy as np
import pytest

import minitf as mtf


def test_composes_layers_in_order():
    first, second = mtf.layers.Linear(4), mtf.layers.Linear(2)
    net = mtf.layers.Sequential([first, mtf.nn.relu, second])
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    y = net(x).numpy()
    hidden = np.maximum(x @ first.w.numpy() + first.b.numpy(), 0)
    np.testing.assert_allclose(y, hidden @ second.w.numpy() + second.b.numpy(),
                               rtol=1e-5, atol=1e-6)


def test_extra_arguments_go_to_the_first_layer_only():
    calls = []

    def first(x, scale, shift=0.0):
        calls.append(("first", scale, shift))
        return x * scale + shift

    def second(x):
        calls.append(("second",))
        return x + 1

    net = mtf.layers.Sequential([first, second])
    assert float(net(mtf.constant(2.0), 3.0, shift=1.0)) == 8.0
    assert calls == [("first", 3.0, 1.0), ("second",)]


def test_training_reaches_every_layer_that_takes_it():
    x = np.full((64, 8), 3.0, np.float32)
    net = mtf.layers.Sequential([mtf.nn.relu, mtf.layers.Dropout(0.5),
                                 mtf.layers.Flatten()])
    trained = net(x, training=True).numpy()
    # inverted dropout (Keras): each value is dropped (0) or kept and scaled by 1 / (1 - 0.5)
    assert set(np.unique(trained)) == {0.0, 6.0}
    np.testing.assert_array_equal(net(x).numpy(), x)           # training=False: identity
    np.testing.assert_array_equal(net(x, training=False).numpy(), x)


class Recorder(mtf.Module):
    """Notes the keywords it was called with."""

    def __init__(self, log, name):
        super().__init__(name=name)
        self.log = log

    def __call__(self, x, training=False, *, mask=None):
        self.log.append((self.name, training, mask))
        return x


def test_keywords_go_to_the_layers_whose_call_accepts_them():
    log = []

    def plain(x):
        log.append(("plain",))
        return x

    def anything(x, **kwargs):
        log.append(("anything", sorted(kwargs.items())))
        return x

    net = mtf.layers.Sequential([plain, Recorder(log, "r1"), anything, Recorder(log, "r2")])
    net(mtf.constant(1.0), training=True, mask="m")
    assert log == [("plain",), ("r1", True, "m"),
                   ("anything", [("mask", "m"), ("training", True)]), ("r2", True, "m")]


def test_a_keyword_no_layer_accepts_is_a_type_error():
    net = mtf.layers.Sequential([mtf.layers.Linear(2), mtf.layers.Dropout(0.5)])
    with pytest.raises(TypeError, match=r"Sequential.__call__: no layer accepts the keyword "
                                        r"argument\(s\) \['trainig'\]\. Received: "
                                        r"trainig=True"):
        net(np.ones((1, 3), np.float32), trainig=True)
    assert net.variables == ()                    # raised before any layer ran


def test_each_layer_is_inspected_once(monkeypatch):
    from minitf.layers import sequential
    calls = []
    real = sequential.inspect.signature

    def counting(obj, *args, **kwargs):
        calls.append(obj)
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(sequential.inspect, "signature", counting)
    layers = [mtf.nn.relu, mtf.layers.Dropout(0.5), mtf.layers.Linear(2)]
    net = mtf.layers.Sequential(layers)
    for _ in range(3):
        net(np.ones((2, 3), np.float32), training=False)
    assert calls == layers
    later = mtf.layers.Flatten()
    net.layers.append(later)                     # a layer added later: inspected when first met
    net(np.ones((2, 3), np.float32), training=False)
    assert calls == layers + [later]


def test_empty_sequential_is_identity():
    assert float(mtf.layers.Sequential()(mtf.constant(5.0))) == 5.0


def test_variables_in_layer_order_with_paths():
    net = mtf.layers.Sequential([mtf.layers.Linear(3), mtf.layers.Linear(2)])
    net(np.ones((1, 4), np.float32))
    a, b = net.layers
    assert net.variables == (a.b, a.w, b.b, b.w)
    assert net.submodules == (a, b)
    paths = [p for p, _ in net._flatten(with_path=True,
                                        predicate=lambda v: isinstance(v, mtf.Variable))]
    assert paths == [("layers", 0, "b"), ("layers", 0, "w"),
                     ("layers", 1, "b"), ("layers", 1, "w")]


def test_layers_appended_later_are_tracked():
    net = mtf.layers.Sequential([mtf.layers.Linear(3)])
    net.layers.append(mtf.layers.Linear(1))
    net(np.ones((2, 2), np.float32))
    assert len(net.trainable_variables) == 4
    assert net(np.ones((2, 2), np.float32)).shape == (2, 1)


def test_non_callable_layer_raises_type_error():
    with pytest.raises(TypeError, match="Sequential: layers must be callable; layers\\[1\\]"):
        mtf.layers.Sequential([mtf.nn.relu, 3])
