"""Smoke tests of the demo (``make demo``) and the hand-written sine fit."""
import importlib.util
import pathlib

import numpy as np

import minitf as mtf

_EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", _EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_trains_and_writes_its_pictures(tmp_path):
    demo = _load("demo")
    mtf.random.set_seed(0)
    points, labels = demo.two_moons(n=128)
    model = demo.Classifier()
    before = float(demo.loss_fn(model, points, labels))
    demo.train(model, points, labels, steps=30)
    assert float(demo.loss_fn(model, points, labels)) < 0.6 * before
    demo.write_pictures(model, points, labels, out=str(tmp_path))
    summary = (tmp_path / "summary.txt").read_text()
    params = sum(v.size for v in model.trainable_variables)
    assert f"Total params: {params:,}" in summary
    assert (tmp_path / "model.svg").read_text().count("<svg") == 1
    assert "affine" in (tmp_path / "step.svg").read_text()     # each Linear's x @ w + b


def test_two_moons_labels_are_balanced_and_separable_by_shape():
    points, labels = _load("demo").two_moons(n=400)
    assert points.shape == (400, 2) and set(np.unique(labels)) == {0, 1}
    # the upper moon (label 0) lies above the lower one on average
    assert points[labels == 0, 1].mean() > points[labels == 1, 1].mean()


def test_sine_fit_by_hand_lowers_the_loss():
    first, last = _load("sine_by_hand").train(steps=60)
    assert last < 0.5 * first
