"""Smoke test of examples/optimizer_race.py: every built-in optimizer and the custom
sign SGD race on Rosenbrock and Beale, the story the figures tell holds, the PNGs
are written."""
import importlib.util
import pathlib

import numpy as np

import minitf as mtf

_ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("optimizer_race_example",
                                               _ROOT / "examples" / "optimizer_race.py")
race_example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(race_example)


def _built_in_classes():
    return {value for value in vars(mtf.optimizers).values()
            if isinstance(value, type) and issubclass(value, mtf.optimizers.Optimizer)
            and value is not mtf.optimizers.Optimizer}


def test_the_race_has_every_built_in_optimizer_and_a_custom_one(tmp_path):
    written = race_example.write_figures(str(tmp_path))
    assert sorted(pathlib.Path(p).name for p in written) == [
        "optimizer_race_beale.png", "optimizer_race_rosenbrock.png"]
    for path, result in written.items():
        assert pathlib.Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        classes = {type(o) for o in result.optimizers.values()}
        assert _built_in_classes() <= classes
        assert race_example.SignSGD in classes
        assert all(stop is None for stop in result.diverged.values())
        for name in result.names:                 # every optimizer makes progress
            assert result.losses[name][-1] < result.losses[name][0], name
    rosenbrock = next(r for r in written.values() if r.function.name == "Rosenbrock")
    final = {name.split()[0]: losses[-1] for name, losses in rosenbrock.losses.items()}
    # the story of the figure: momentum and Adam reach the valley's end, plain SGD crawls
    assert final["SGD+momentum"] < 1e-3 < final["SGD"]
    np.testing.assert_allclose(rosenbrock.trajectories["Adam 0.1"][-1], [1.0, 1.0],
                               atol=0.01)


def test_sign_sgd_takes_steps_of_exactly_lr():
    result = race_example.run(mtf.playground.beale, steps=5)
    name = next(n for n in result.names if n.startswith("SignSGD"))
    lr = float(name.split()[-1])
    np.testing.assert_allclose(np.abs(np.diff(result.trajectories[name], axis=0)), lr,
                               rtol=1e-9)
