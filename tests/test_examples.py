"""Smoke tests of the demo (``make demo``: the digits MLP and its pictures) and the
hand-written sine fit."""
import importlib
import importlib.util
import pathlib
import sys

import numpy as np

import minitf as mtf

_EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
if str(_EXAMPLES) not in sys.path:
    sys.path.insert(0, str(_EXAMPLES))       # as `python examples/demo.py` does

demo = importlib.import_module("demo")
digits = importlib.import_module("_digits")
digits_mlp = importlib.import_module("digits_mlp")

# 64 -> 256 -> 128 -> 10: a weight matrix and a bias per layer
MLP_PARAMS = 64 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", _EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_trains_draws_and_lists_the_files_at_the_end(tmp_path, capsys):
    result, paths = demo.main(["--steps", "60", "--out", str(tmp_path)])
    printed = capsys.readouterr().out.splitlines()
    names = ["summary.txt", "model.svg", "step.svg", "digits_mlp_loss.png"]
    assert paths == [str(tmp_path / name) for name in names]
    assert printed[-5:] == ["Files written:"] + [f"  {path}" for path in paths]
    assert np.mean(result.losses[-10:]) < 0.6 * result.losses[0]
    assert result.accuracy > 0.7                                       # chance: 0.1
    summary = (tmp_path / "summary.txt").read_text()
    assert sum(v.numpy().size for v in result.model.trainable_variables) == MLP_PARAMS
    assert f"Total params: {MLP_PARAMS:,}" in summary
    assert summary.strip() in "\n".join(printed)                       # printed too
    model_svg = (tmp_path / "model.svg").read_text()
    assert model_svg.count("<svg") == 1
    assert all(f"linear_{i}" in model_svg for i in range(3)) and "DigitsMLP" in model_svg
    step_svg = (tmp_path / "step.svg").read_text()
    assert step_svg.count("affine") == 3                                # x @ w + b per layer
    assert all(word in step_svg for word in ("images", "labels", "relu", "reduce_mean"))
    assert (tmp_path / names[-1]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_step_graph_shows_the_gradient_of_the_loss():
    data = digits.load()
    model, _ = digits_mlp.train(data, steps=5, progress=False)
    graph = demo.step_graph(model, data.x_train[:8], data.y_train[:8])
    # the target's own gradient is 1; the mean over 8 examples gives each 1/8
    assert "grad 1<" in graph.source and "grad norm 0.3536" in graph.source


def test_without_dot_the_graphs_are_kept_as_dot_source(tmp_path, monkeypatch):
    monkeypatch.setattr(demo.shutil, "which", lambda program: None)
    graph = mtf.viz.module_graph(digits_mlp.DigitsMLP())
    path = demo.save_graph(graph, str(tmp_path / "model"))
    assert path == str(tmp_path / "model.gv")
    assert pathlib.Path(path).read_text() == graph.source


def test_the_function_option_gives_the_same_losses_and_weights():
    data = digits.load()
    runs = [digits_mlp.train(data, steps=25, use_function=use, progress=False)
            for use in (False, True)]
    (eager, eager_losses), (traced, traced_losses) = runs
    assert eager_losses == traced_losses
    assert all(np.array_equal(a.numpy(), b.numpy())
               for a, b in zip(eager.trainable_variables, traced.trainable_variables))


def test_sine_fit_by_hand_lowers_the_loss():
    first, last = _load("sine_by_hand").train(steps=60)
    assert last < 0.5 * first
