"""minitf-viz: draw a Module built by ``file.py:factory`` (or ``package.module:factory``).

    minitf-viz examples/module_gallery.py:Siamese -o siamese.svg \
        --input-shape 4,8 --input-shape 4,8 --summary

The factory is called without arguments (a Module instance is taken as is).
``--input-shape`` calls the model once on zeros of that shape (repeat it for
several inputs), which builds lazily created layers and fills in the output
shapes of ``--summary``. The output format follows ``-o``'s suffix (svg, png,
pdf, ...; .gv/.dot write the DOT text). Without ``-o`` and ``--summary`` the
DOT text goes to stdout.

Exit status: 2 for a bad command line or target, 1 when the user's code (the
file, the factory, the model's call) raises or the picture cannot be
written: one line naming the target and the error (``--debug``: the traceback).
"""
import argparse
import contextlib
import importlib
import importlib.util
import pathlib
import subprocess
import sys
import traceback

import numpy as np

from ..module import Module
from .module_graph import module_graph
from .summary import summary

_SOURCE_SUFFIXES = (".gv", ".dot")


class UserCodeError(Exception):
    """The user's file, factory or model raised while ``doing`` something."""

    def __init__(self, doing, cause):
        super().__init__(doing)
        self.doing, self.cause = doing, cause

    def __str__(self):
        message = " ".join(str(self.cause).split()) or "(no message)"
        return f"{self.doing} raised {type(self.cause).__name__}: {message}"


def main(argv=None):
    """Run the command line; returns the exit status."""
    _installed_minitf()
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(parser, args)
    except UserCodeError as err:
        if args.debug:
            traceback.print_exception(err.cause, file=sys.stderr)
        hint = "" if args.debug else " (--debug shows the traceback)"
        print(f"minitf-viz: error: {err}{hint}", file=sys.stderr)
        return 1


def _installed_minitf():
    """Make ``import minitf`` (in the user's file too) give this package.

    ``python -m`` puts the working directory first on ``sys.path``. From the
    folder that holds a checkout named ``minitf`` (or any folder named so),
    ``minitf`` is then that folder, imported as an empty namespace package; an
    editable install still finds ``minitf.viz``, so the command starts, but
    ``mtf.layers`` and the rest are missing. Load the real package in its place.
    """
    package = sys.modules.get("minitf")
    if package is not None and getattr(package, "__file__", None) is not None:
        return
    root = pathlib.Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(
        "minitf", root / "__init__.py", submodule_search_locations=[str(root)])
    real = importlib.util.module_from_spec(spec)
    sys.modules["minitf"] = real
    spec.loader.exec_module(real)


def _run(parser, args):
    """Load, call, draw and write; usage errors exit through ``parser.error``."""
    try:
        module = _load(args.target)
    except (ValueError, TypeError, ImportError, AttributeError, OSError) as err:
        parser.error(str(err))
    inputs = [np.zeros(shape, dtype=args.dtype) for shape in args.input_shape]
    table = None
    if inputs or args.summary:
        # The summary's one call with the inputs also builds lazily created layers.
        shapes = " and ".join(str(tuple(x.shape)) for x in inputs)
        doing = f"calling the model of {args.target}" + (
            f" on zeros of shape {shapes}" if inputs else "")
        with _user_code(doing):
            table = summary(module, *inputs)
    with _user_code(f"drawing the model of {args.target}"):
        graph = module_graph(module, show_variables=not args.no_variables,
                             max_depth=args.max_depth, rankdir=args.rankdir)
    if args.summary:
        print(table)
    if args.output is None and not args.summary:
        sys.stdout.write(graph.source)
    if args.output is not None:
        try:
            _write(graph, pathlib.Path(args.output))
        except (RuntimeError, ValueError, OSError, subprocess.CalledProcessError) as err:
            print(f"minitf-viz: error: {_one_line(err)}", file=sys.stderr)
            return 1
    return 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="minitf-viz", description="Draw a minitf Module's structure with Graphviz.")
    parser.add_argument("target", help="path/to/file.py:factory or package.module:factory")
    parser.add_argument("-o", "--output", help="output file; the suffix picks the format "
                                               "(.svg, .png, .pdf, .gv for DOT text)")
    parser.add_argument("--summary", action="store_true",
                        help="print the parameter table (mtf.viz.summary)")
    parser.add_argument("--input-shape", action="append", default=[], type=_shape,
                        metavar="N,N,...", help="call the model once on zeros of this "
                                                "shape (repeat for several inputs)")
    parser.add_argument("--dtype", default="float32", help="dtype of the example inputs")
    parser.add_argument("--max-depth", type=int, default=None,
                        help="draw modules down to this depth (root = 0)")
    parser.add_argument("--no-variables", action="store_true",
                        help="leave variables out of the graph")
    parser.add_argument("--rankdir", default="TB", choices=("TB", "LR", "BT", "RL"),
                        help="layout direction")
    parser.add_argument("--debug", action="store_true",
                        help="print the full traceback when the model's code raises")
    return parser


def _shape(text):
    try:
        return tuple(int(n) for n in text.split(",") if n.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"input shape must be comma-separated ints, e.g. 8,4. Received: {text!r}")


@contextlib.contextmanager
def _user_code(doing):
    """Turn any exception raised inside into a ``UserCodeError`` saying what was done."""
    try:
        yield
    except Exception as err:        # the user's code may raise anything
        raise UserCodeError(doing, err) from err


def _load(target):
    """The Module named by ``file.py:name`` or ``package.module:name``."""
    where, sep, attribute = target.rpartition(":")
    if not sep or not where or not attribute:
        raise ValueError(f"target must look like path/to/file.py:factory. "
                         f"Received: {target!r}")
    namespace = _import(where)
    if not hasattr(namespace, attribute):
        raise AttributeError(f"{where} has no attribute {attribute!r}")
    value = getattr(namespace, attribute)
    if isinstance(value, Module):
        made = value
    elif callable(value):
        with _user_code(f"calling {attribute} from {where}"):
            made = value()
    else:
        made = value
    if not isinstance(made, Module):
        raise TypeError(f"{target} must be a Module or return one. "
                        f"Received: {type(made).__name__}")
    return made


def _import(where):
    """The module ``where`` names (a file path or a dotted name), its code run."""
    if not where.endswith(".py"):
        try:
            with _user_code(f"importing {where}"):
                return importlib.import_module(where)
        except UserCodeError as err:
            missing = getattr(err.cause, "name", None)
            if isinstance(err.cause, ModuleNotFoundError) and missing and (
                    where == missing or where.startswith(missing + ".")):
                raise err.cause from None      # the target itself is not there: usage
            raise
    path = pathlib.Path(where).resolve()
    if not path.is_file():
        raise OSError(f"no such file: {where}")
    spec = importlib.util.spec_from_file_location(f"_minitf_viz_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))   # the file's sibling imports work
    try:
        with _user_code(f"running {where}"):
            spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def _write(graph, path):
    if path.suffix.lower() in _SOURCE_SUFFIXES:
        path.write_text(graph.source, encoding="utf-8")
        return
    fmt = path.suffix.lower().lstrip(".")
    if not fmt:
        raise RuntimeError(f"cannot tell the output format of {str(path)!r}: give it a "
                           f"suffix such as .svg or .png")
    path.write_bytes(graph.pipe(format=fmt))
    print(f"wrote {path}", file=sys.stderr)


def _one_line(err):
    """An error as one line: its type where the message alone is unclear, and dot's stderr."""
    if isinstance(err, subprocess.CalledProcessError):
        detail = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) \
            else str(err.stderr or "")
        return " ".join(f"dot failed ({err.returncode}): {detail}".split())
    return " ".join(str(err).split())
