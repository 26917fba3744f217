"""Run the code of a Markdown page the way a reader would, and say where it breaks.

The rules a page follows:

- Its fenced ```python blocks run in order in one namespace, with the current
  directory set to a fresh folder; the first block imports what the page uses.
- A ```text block right after a python block (only blank lines between) is what
  that block must print: compared line by line, trailing spaces ignored; a
  ``...`` inside a line matches any text, a line that is just ``...`` any
  number of lines. Any other ```text, ```bash or ```console block is not run.
- A python block whose first line starts with ``>>>`` is an interactive
  session, checked by ``doctest`` (ELLIPSIS and NORMALIZE_WHITESPACE on) with
  ``mtf`` and ``np`` already imported.
- Fences are ``` or ~~~; a fence indented inside a list item is dedented.
"""
import contextlib
import dataclasses
import doctest
import io
import linecache
import os
import re
import sys
import traceback
import types

import numpy as np

import minitf as mtf

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
DOCTEST_GLOBALS = ("import minitf as mtf", "import numpy as np")
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.REPORT_ONLY_FIRST_FAILURE


@dataclasses.dataclass
class Block:
    """One fenced block: its language, its dedented text and where it sits in the file."""

    language: str
    text: str
    start: int          # line number (from 1) of the opening fence
    end: int            # line number of the closing fence
    expected: str | None = None   # the ```text block that follows a python block

    @property
    def is_doctest(self):
        """True when the block is an interactive session (``>>>`` prompts)."""
        first = next((line for line in self.text.splitlines() if line.strip()), "")
        return first.lstrip().startswith(">>>")


def parse_blocks(markdown):
    """The fenced blocks of ``markdown``, in order, each dedented by its fence's indent."""
    blocks, lines, number = [], markdown.splitlines(), 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        number += 1
        if not opening:
            continue
        body, start = [], number
        while number < len(lines) and not _closes(lines[number], opening):
            body.append(_strip_indent(lines[number], len(opening["indent"])))
            number += 1
        if number == len(lines):
            raise ValueError(f"the code fence opened on line {start} is never closed")
        number += 1
        language = opening["info"].split()[0].lower() if opening["info"] else ""
        text = "".join(line + "\n" for line in body)
        blocks.append(Block(language, text, start, number))
    return _attach_outputs(blocks, lines)


def _closes(line, opening):
    """True when ``line`` closes the fence ``opening`` (same character, at least as long)."""
    fence = opening["fence"]
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def _strip_indent(line, indent):
    """``line`` without up to ``indent`` leading spaces (a fence nested in a list item)."""
    return line[min(indent, len(line) - len(line.lstrip(" "))):]


def _attach_outputs(blocks, lines):
    """Give each python block the ```text block that follows it across blank lines only."""
    kept = []
    for block in blocks:
        previous = kept[-1] if kept else None
        if (block.language == "text" and previous is not None
                and previous.language == "python" and previous.expected is None
                and not any(line.strip() for line in lines[previous.end:block.start - 1])):
            previous.expected = block.text
        else:
            kept.append(block)
    return kept


def output_matches(expected, actual):
    """True when ``actual`` fits ``expected``: trailing spaces ignored, ``...`` as a wildcard.

    A ``...`` inside a line matches any text on that line; a line that is just ``...``
    matches any number of lines (none included).
    """
    wanted, got = _lines(expected), _lines(actual)
    memo = {}

    def fits(i, j):
        if (i, j) not in memo:
            if i == len(wanted):
                memo[i, j] = j == len(got)
            elif wanted[i].strip() == "...":
                memo[i, j] = fits(i + 1, j) or (j < len(got) and fits(i, j + 1))
            else:
                memo[i, j] = j < len(got) and _line_fits(wanted[i], got[j]) and fits(i + 1, j + 1)
        return memo[i, j]

    return fits(0, 0)


def _lines(text):
    """``text`` as lines without trailing spaces, and without blank lines at the end."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _line_fits(pattern, line):
    """True when ``line`` equals ``pattern`` with each ``...`` standing for any text."""
    regex = ".*".join(re.escape(part) for part in pattern.split("..."))
    return re.fullmatch(regex, line) is not None


def run_page(path, workdir, label=None):
    """Run the python blocks of the page at ``path`` in ``workdir``; a failure report or None."""
    label = label or str(path)
    markdown = open(path, encoding="utf-8").read()
    try:
        blocks = [b for b in parse_blocks(markdown) if b.language == "python"]
    except ValueError as error:
        return f"{label}: {error}"
    _register_source(label, markdown, blocks)
    module = types.ModuleType("docs_page_" + re.sub(r"\W", "_", label))
    sys.modules[module.__name__] = module
    try:
        with _working_directory(workdir), _fresh_global_state():
            for block in blocks:
                report = _run_block(block, module.__dict__, label)
                if report:
                    return report
    finally:
        del sys.modules[module.__name__]
    return None


def _register_source(label, markdown, blocks):
    """Let tracebacks and ``inspect`` read the blocks at their line numbers in the page."""
    lines = [""] * len(markdown.splitlines())
    for block in blocks:
        lines[block.start:block.end - 1] = block.text.splitlines()
    text = [line + "\n" for line in lines]
    linecache.cache[label] = (sum(map(len, text)), None, text, label)


@contextlib.contextmanager
def _working_directory(path):
    """Run the body with ``path`` as the current directory, then go back."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _fresh_global_state():
    """Start the page with no global seed; undo what it set globally (numpy printing, checks).

    So a page passes on its own, whatever ran before it, and leaves later tests alone.
    """
    printing, errors = np.get_printoptions(), np.geterr()
    mtf.random.set_seed(None)
    try:
        yield
    finally:
        np.set_printoptions(**printing)
        np.seterr(**errors)
        mtf.random.set_seed(None)
        mtf.debugging.disable_check_numerics()


def _run_block(block, namespace, label):
    """Run one block in ``namespace``; a failure report, or None when all went as written."""
    if block.is_doctest:
        return _run_doctest(block, namespace, label)
    printed = io.StringIO()
    try:
        code = compile("\n" * block.start + block.text, label, "exec")
        with contextlib.redirect_stdout(printed):
            exec(code, namespace)
    except (Exception, SystemExit) as error:
        return _report(label, block, "raised:\n" + _traceback(error, label), printed.getvalue())
    if block.expected is not None and not output_matches(block.expected, printed.getvalue()):
        return _report(label, block, "did not print what its text block shows.",
                       printed.getvalue(), block.expected)
    return None


def _run_doctest(block, namespace, label):
    """Run an interactive-session block with doctest, ``mtf`` and ``np`` already imported."""
    for statement in DOCTEST_GLOBALS:
        exec(statement, namespace)
    test = doctest.DocTestParser().get_doctest(
        block.text, {}, f"{label}:{block.start}", label, block.start)
    test.globs = namespace   # doctest copies the globals it is given; share the page's instead
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    log = io.StringIO()
    runner.run(test, out=log.write, clear_globs=False)
    if runner.failures:
        return _report(label, block, "doctest failed:\n" + log.getvalue())
    return None


def _traceback(error, label):
    """The traceback of ``error`` from the page's own frames on (the harness's are left out)."""
    frames = traceback.extract_tb(error.__traceback__)
    first = next((k for k, frame in enumerate(frames) if frame.filename == label), 0)
    tb = error.__traceback__
    for _ in range(first):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def _report(label, block, what, printed=None, expected=None):
    """A failure message: the page, the block's line, the block, and what went wrong."""
    parts = [f"{label}, the python block on line {block.start} {what}",
             "--- the block ---", block.text.rstrip()]
    if expected is not None:
        parts += ["--- expected output ---", expected.rstrip()]
    if printed is not None and (printed or expected is not None):
        parts += ["--- printed ---", printed.rstrip()]
    return "\n".join(parts)
