"""The examples in the optimizer docstrings run and print what they show, and every
optimizer class's docstring shows its update rule (help() and Jupyter's `?`)."""
import doctest
import inspect
import pydoc
import re
import sys

import pytest

import minitf as mtf
from minitf.optimizers import base, schedules, sgd


@pytest.mark.parametrize("module", [base, sgd, schedules], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, extraglobs={"mtf": mtf})
    assert result.attempted > 0 and result.failed == 0


def _optimizer_classes():
    """Every public optimizer class of mtf.optimizers except the abstract base."""
    return [value for name, value in sorted(vars(mtf.optimizers).items())
            if isinstance(value, type) and issubclass(value, mtf.optimizers.Optimizer)
            and value is not mtf.optimizers.Optimizer and not name.startswith("_")]


def _formulas(text):
    """The indented ``lhs <- rhs`` lines of a docstring, without spaces and comments."""
    found = set()
    for line in text.splitlines():
        if "<-" not in line or not line.startswith("    "):
            continue
        line = re.split(r"\s{2,}[(#]", line.strip())[0]     # "... (centered only)"
        line = re.sub(r"^[^<]*:\s+", "", line)             # "momentum == 0:   p <- ..."
        found.update("".join(part.split()) for part in line.split(";"))
    return found


def test_there_are_the_ten_built_in_optimizers():
    names = [cls.__name__ for cls in _optimizer_classes()]
    assert names == ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion",
                     "Nadam", "RMSprop", "SGD"]


@pytest.mark.parametrize("cls", _optimizer_classes(), ids=lambda c: c.__name__)
def test_the_class_docstring_shows_the_update_rule(cls):
    doc = inspect.getdoc(cls)
    assert "Update rule" in doc
    # a line assigning the variable p (what help() and Jupyter's `?` show)
    assert re.search(r"^\s+p\s+<-\s+\S", doc, re.M), doc
    shown = pydoc.plain(pydoc.render_doc(cls))            # " |  " before each line
    assert re.search(r"^ \|\s+p\s+<-\s+\S", shown, re.M), shown[:2000]


@pytest.mark.parametrize("cls", _optimizer_classes(), ids=lambda c: c.__name__)
def test_the_class_rule_has_every_formula_of_the_files_opening_comment(cls):
    module_formulas = _formulas(sys.modules[cls.__module__].__doc__)
    assert module_formulas, cls.__module__
    missing = module_formulas - _formulas(inspect.getdoc(cls))
    assert not missing, f"{cls.__name__}'s docstring lacks {missing}"


@pytest.mark.parametrize("cls", _optimizer_classes(), ids=lambda c: c.__name__)
def test_the_rule_keeps_the_first_line_as_the_summary(cls):
    first, blank = inspect.getdoc(cls).splitlines()[:2]
    assert first.endswith(".") and "<-" not in first and blank == ""
