"""The minitf-viz command line: renders a module built by ``file.py:factory``."""
import importlib.metadata
import pathlib
import subprocess
import sys
import textwrap
from xml.etree import ElementTree

import pytest

from _dotparse import parse
from minitf.viz import cli

MODELS = textwrap.dedent('''
    import minitf as mtf
    from helper import SIZES          # a sibling import must work

    def make_mlp():
        return mtf.layers.MLP(SIZES)

    class Twin(mtf.Module):
        def __init__(self):
            super().__init__()
            self.left = self.right = mtf.layers.Linear(2)

    twin = Twin()
    not_a_module = 3

    def broken():
        raise ValueError("sizes must be\\npositive")

    class Picky(mtf.Module):
        def __call__(self, x):
            raise ValueError(f"Picky wants rank 3, got {x.ndim}")
''')
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def models(tmp_path):
    (tmp_path / "helper.py").write_text("SIZES = [4, 2]\n")
    path = tmp_path / "models.py"
    path.write_text(MODELS)
    return path


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "minitf.viz", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def _titles(svg_path):
    root = ElementTree.parse(svg_path).getroot()
    return [t.text for g in root.iter(f"{SVG}g") if g.get("class") == "node"
            for t in g.findall(f"{SVG}title")]


def test_renders_an_svg_of_the_module_graph(models, tmp_path):
    out = tmp_path / "model.svg"
    result = _run(f"{models}:make_mlp", "-o", str(out), "--input-shape", "3,5")
    assert result.returncode == 0, result.stderr
    assert _titles(out) == ["root", "layers[0]", "layers[1]", "layers[0].b", "layers[0].w",
                            "layers[1].b", "layers[1].w"]
    texts = [t.text for t in ElementTree.parse(out).getroot().iter(f"{SVG}text")]
    assert "(5, 4) float32" in texts      # w of the first layer, built by the example call


def test_summary_prints_the_table(models):
    result = _run(f"{models}:make_mlp", "--summary", "--input-shape", "3,5",
                  "--dtype", "float64")
    assert result.returncode == 0, result.stderr
    # 5*4 + 4 + 4*2 + 2 = 34 float64 parameters
    assert "Total params: 34 (272 B)" in result.stdout
    assert "layers[1]  Linear  (3, 2)" in result.stdout


def test_without_output_prints_dot_of_a_module_instance(models):
    result = _run(f"{models}:twin", "--no-variables", "--rankdir", "LR")
    assert result.returncode == 0, result.stderr
    g = parse(result.stdout)
    assert list(g.nodes) == ["root", "left"]
    assert [a["label"] for _, a in g.incoming("left")] == ["left", "right"]


def test_writes_dot_text_for_gv_suffix_and_honours_max_depth(models, tmp_path):
    out = tmp_path / "model.gv"
    assert cli.main([f"{models}:make_mlp", "-o", str(out), "--max-depth", "0"]) == 0
    assert list(parse(out.read_text()).nodes) == ["root"]


def test_dotted_module_targets():
    result = _run("minitf.layers:Flatten")     # a class is a factory too
    assert result.returncode == 0, result.stderr
    assert list(parse(result.stdout).nodes) == ["root"]


@pytest.mark.parametrize("target, message", [
    ("no_colon_here", "target must look like path/to/file.py:factory"),
    ("missing.py:make", "no such file: missing.py"),
    ("{models}:absent", "has no attribute 'absent'"),
    ("{models}:not_a_module", "must be a Module or return one. Received: int"),
])
def test_bad_targets_exit_2_with_a_message(models, target, message, tmp_path):
    result = _run(target.format(models=models), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_input_shape_is_a_usage_error(models):
    result = _run(f"{models}:make_mlp", "--input-shape", "3,x")
    assert result.returncode == 2 and "comma-separated ints" in result.stderr


def test_missing_dot_exits_1_with_install_hint(models, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cli.main([f"{models}:make_mlp", "-o", str(tmp_path / "m.svg")]) == 1
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert not (tmp_path / "m.svg").exists()


def test_console_script_is_declared_and_installed(models, tmp_path):
    (entry,) = [e for e in importlib.metadata.entry_points(group="console_scripts")
                if e.name == "minitf-viz"]
    assert entry.value == "minitf.viz.cli:main" and entry.load() is cli.main
    script = pathlib.Path(sys.executable).parent / "minitf-viz"
    out = tmp_path / "model.svg"
    result = subprocess.run([str(script), f"{models}:twin", "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert _titles(out) == ["root", "left"]


REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shadow", ["empty folder", "the checkout"])
def test_runs_from_a_folder_holding_one_named_minitf(models, tmp_path, shadow):
    # python -m puts the working directory first on sys.path: a folder named
    # minitf there (seen from the parent of a checkout) must not replace the package
    here = tmp_path / "work"
    here.mkdir()
    if shadow == "empty folder":
        (here / "minitf").mkdir()
    else:
        (here / "minitf").symlink_to(REPO, target_is_directory=True)
    result = _run(f"{models}:make_mlp", "--summary", cwd=here)
    assert result.returncode == 0, result.stderr
    assert "Total params: 0 (0 B)" in result.stdout       # MLP built by the file's mtf.layers


def _error_lines(result):
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("target, args, says", [
    ("{models}:broken", [],
     "calling broken from {models} raised ValueError: sizes must be positive"),
    ("{models}:Picky", ["--input-shape", "2,5"],
     "calling the model of {models}:Picky on zeros of shape (2, 5) raised ValueError: "
     "Picky wants rank 3, got 2"),
    ("{bad_file}:make", [],
     "running {bad_file} raised ZeroDivisionError: division by zero"),
    ("json.decoder:JSONArray", [], "calling JSONArray from json.decoder raised TypeError"),
])
def test_errors_of_the_users_code_are_one_line_naming_the_target(models, tmp_path, target,
                                                                  args, says):
    bad_file = tmp_path / "bad_file.py"
    bad_file.write_text("import minitf\nratio = 1 / 0\n")
    names = dict(models=models, bad_file=bad_file)
    result = _run(target.format(**names), *args)
    assert result.returncode == 1
    (line,) = _error_lines(result)
    assert line.startswith("minitf-viz: error: " + says.format(**names))
    assert line.endswith("(--debug shows the traceback)")
    debug = _run(target.format(**names), *args, "--debug")
    assert debug.returncode == 1
    assert debug.stderr.startswith("Traceback (most recent call last):")
    assert _error_lines(debug)[-1] == line.replace(" (--debug shows the traceback)", "")


def test_a_module_that_does_not_exist_is_a_usage_error():
    result = _run("no_such_package_h17.models:make")
    assert result.returncode == 2
    assert "No module named 'no_such_package_h17'" in result.stderr


def test_an_output_path_that_cannot_be_written_is_one_line(models, tmp_path):
    result = _run(f"{models}:twin", "-o", str(tmp_path / "missing" / "model.svg"))
    assert result.returncode == 1
    (line,) = _error_lines(result)
    assert line.startswith("minitf-viz: error: ") and "No such file or directory" in line


def test_the_usage_line_of_the_docstring_runs_as_written(tmp_path):
    """The command shown in the module docstring names a real file and works from the repo."""
    usage = cli.__doc__.split("\n\n")[1].replace("\\\n", " ").split()
    assert usage[0] == "minitf-viz"
    repo = pathlib.Path(__file__).resolve().parents[2]
    target = str(repo / usage[1].split(":")[0]) + ":" + usage[1].split(":")[1]
    args = [target if a == usage[1] else a for a in usage[1:]]
    args[args.index("-o") + 1] = str(tmp_path / usage[usage.index("-o") + 1])
    result = _run(*args)
    assert result.returncode == 0, result.stderr
    assert "Total params: 289" in result.stdout       # tower 16*8+16 + 8*16+8, head 8+1
    assert (tmp_path / "siamese.svg").read_text().count("<svg") == 1
