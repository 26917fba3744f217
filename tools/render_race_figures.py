"""Regenerate docs/figures/optimizer_race_rosenbrock.png and _beale.png.

    python tools/render_race_figures.py

Runs examples/optimizer_race.py's ``write_figures`` (every built-in optimizer
and a custom sign SGD on Rosenbrock and Beale) into docs/figures/. The PNGs
are pictures of numbers, not sources: tests/test_examples_race.py checks the
paths behind them, not the pixels.
"""
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"


def _example():
    spec = importlib.util.spec_from_file_location("optimizer_race",
                                                  ROOT / "examples" / "optimizer_race.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    for path in _example().write_figures(str(FIGURES)):
        print("wrote", pathlib.Path(path).relative_to(ROOT))


if __name__ == "__main__":
    main()
