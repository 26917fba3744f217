"""Smoke tests of the digits examples (examples/digits_mlp.py, digits_cnn.py and their
shared examples/_digits.py): the split, a few training steps that learn, the loss-curve
PNG, the progress bar, the one-line message when an extra is missing."""
import importlib
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.image import imread

_EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
if str(_EXAMPLES) not in sys.path:
    sys.path.insert(0, str(_EXAMPLES))       # as `python examples/x.py` does: _digits beside it

digits = importlib.import_module("_digits")
digits_mlp = importlib.import_module("digits_mlp")
digits_cnn = importlib.import_module("digits_cnn")

CHANCE_LOSS = math.log(10)         # cross-entropy of a uniform guess over 10 classes
CURVE_BLUE = np.array([0x1F, 0x77, 0xB4]) / 255


@pytest.fixture(scope="module")
def flat():
    return digits.load()


@pytest.fixture(scope="module")
def images():
    return digits.load(images=True)


def test_the_split_is_fixed_stratified_and_scaled(flat, images):
    from sklearn.datasets import load_digits
    per_class = np.bincount(load_digits().target)           # 1797 images, ~180 per digit
    assert flat.x_train.shape == (1347, 64) and flat.x_test.shape == (450, 64)
    assert np.abs(np.bincount(flat.y_test) - per_class / 4).max() <= 1
    assert flat.x_train.min() == 0.0 and flat.x_train.max() == 1.0
    assert flat.x_train.dtype == np.float32 and flat.y_train.dtype == np.int32
    again = digits.load()
    assert all(np.array_equal(a, b) for a, b in zip(flat, again))
    np.testing.assert_array_equal(images.x_test.reshape(-1, 64), flat.x_test)
    assert images.x_train.shape == (1347, 8, 8, 1)


def test_batches_use_each_sample_once_and_drop_the_incomplete_one():
    x = np.arange(10)
    found = list(digits.batches(x, x * 2, 3, np.random.default_rng(0)))
    assert [len(bx) for bx, _ in found] == [3, 3, 3]
    taken = np.concatenate([bx for bx, _ in found])
    assert len(set(taken)) == 9
    assert all(np.array_equal(by, bx * 2) for bx, by in found)      # pairs stay together


@pytest.mark.parametrize("example, data", [(digits_mlp, "flat"), (digits_cnn, "images")],
                         ids=["mlp", "cnn"])
def test_a_hundred_steps_learn(example, data, request):
    data = request.getfixturevalue(data)
    model, losses = example.train(data, steps=100, progress=False)
    assert len(losses) == 100
    assert abs(losses[0] - CHANCE_LOSS) < 0.15          # small random logits at the start
    assert np.mean(losses[-10:]) < 0.4 * CHANCE_LOSS
    assert digits.accuracy(model, data.x_test, data.y_test) > 0.8      # chance: 0.1


def test_the_cnn_has_the_parameters_its_layers_imply(images):
    model = digits_cnn.DigitsCNN()
    assert model(images.x_test[:5]).shape == (5, 10)
    conv_0 = 3 * 3 * 1 * 16 + 16
    conv_1 = 3 * 3 * 16 * 32 + 32
    head = (4 * 4 * 32) * 64 + 64 + 64 * 10 + 10        # 2x2 pooling: 8x8 -> 4x4
    assert sum(v.numpy().size for v in model.trainable_variables) == conv_0 + conv_1 + head


def test_accuracy_counts_the_rows_whose_largest_logit_is_the_label():
    class Fixed:
        def __call__(self, images):
            return np.array([[0.0, 2.0, 1.0], [3.0, 0.0, 1.0], [0.0, 0.0, 5.0],
                             [1.0, 0.0, 0.0]], np.float32)
    assert digits.accuracy(Fixed(), None, np.array([1, 0, 1, 2])) == 0.5


def test_main_trains_shows_a_progress_bar_and_draws_a_falling_curve(tmp_path, capsys):
    result = digits_mlp.main(["--steps", "60", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert "60/60" in captured.err and f"loss={result.losses[-1]:.4f}" in captured.err
    assert f"test accuracy {result.accuracy:.2%}" in captured.out
    assert result.curve == str(tmp_path / "digits_mlp_loss.png")
    assert pathlib.Path(result.curve).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows, columns = _curve_pixels(result.curve)
    width = imread(result.curve).shape[1]
    assert columns.max() - columns.min() > 0.6 * width          # the curve spans the plot
    # the lowest blue pixel of each column (the legend's sample sits above the curve)
    lowest = {c: rows[columns == c].max() for c in np.unique(columns)}
    ordered = [lowest[c] for c in sorted(lowest)]
    assert np.mean(ordered[:20]) < np.mean(ordered[-20:]) - 50    # row 0 is the top


def _curve_pixels(path):
    """Row and column of every pixel drawn in the moving mean's blue."""
    rgb = imread(path)[..., :3]
    return np.nonzero(np.abs(rgb - CURVE_BLUE).max(axis=-1) < 0.06)


def test_moving_mean_averages_each_window():
    np.testing.assert_allclose(digits.moving_mean([1.0, 2.0, 3.0, 6.0], 2), [1.5, 2.5, 4.5])


@pytest.mark.parametrize("module, package, extra", [
    ("sklearn", "scikit-learn", "examples"), ("tqdm", "tqdm", "examples"),
    ("matplotlib", "matplotlib", "plot")])
def test_a_missing_extra_is_one_line_naming_it(module, package, extra, tmp_path,
                                               monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)      # `import module` now fails
    with pytest.raises(SystemExit) as stop:
        digits_cnn.main(["--steps", "1", "--out", str(tmp_path)])
    message = stop.value.code
    assert message == (f"digits_cnn.py: {package} is missing; install the `{extra}` "
                       f"extra: pip install minitf[{extra}]")
    assert not any(tmp_path.iterdir())


def test_a_missing_extra_exits_non_zero_without_a_traceback():
    script = (f"import runpy, sys; sys.modules['sklearn'] = None; "
              f"sys.path.insert(0, {str(_EXAMPLES)!r}); sys.argv = ['digits_mlp.py']; "
              f"runpy.run_path({str(_EXAMPLES / 'digits_mlp.py')!r}, run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "digits_mlp.py: scikit-learn is missing; install the `examples` extra: "
        "pip install minitf[examples]"]
