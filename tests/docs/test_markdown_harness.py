"""The harness that runs the docs catches what it should (tests of tests/docs/_markdown.py)."""
import os
import textwrap

import pytest

from _markdown import output_matches, parse_blocks, run_page

FENCE = "```"


def page(tmp_path, markdown):
    """Write ``markdown`` (with ''' standing for a code fence) as a page; return its path."""
    path = tmp_path / "page.md"
    path.write_text(textwrap.dedent(markdown).replace("'''", FENCE), encoding="utf-8")
    return path


def run(tmp_path, markdown):
    """Run a page in a fresh folder under ``tmp_path``; the failure report or None."""
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    return run_page(page(tmp_path, markdown), workdir, label="page.md")


def test_a_block_printing_what_its_text_block_shows_passes(tmp_path):
    assert run(tmp_path, """
        '''python
        print(6 * 7)
        '''

        '''text
        42
        '''
        """) is None


def test_a_block_printing_something_else_fails_naming_the_page_line_and_both_outputs(tmp_path):
    report = run(tmp_path, """
        # A page

        '''python
        print(6 * 9)
        '''
        '''text
        42
        '''
        """)
    assert report.startswith("page.md, the python block on line 4 did not print what its text")
    assert "print(6 * 9)" in report
    expected, printed = report.split("--- expected output ---")[1].split("--- printed ---")
    assert expected.strip() == "42" and printed.strip() == "54"


def test_a_block_that_raises_fails_with_a_traceback_at_the_line_in_the_page(tmp_path):
    report = run(tmp_path, """
        '''python
        x = 1
        '''

        Some prose.

        '''python
        print("before")
        y = x + undefined_name
        '''
        """)
    assert "page.md, the python block on line 8 raised" in report
    assert 'File "page.md", line 10' in report
    assert "y = x + undefined_name" in report
    assert "NameError: name 'undefined_name' is not defined" in report
    assert report.rstrip().endswith("--- printed ---\nbefore")


def test_blocks_of_a_page_share_one_namespace_and_run_in_order(tmp_path):
    assert run(tmp_path, """
        '''python
        import math
        values = [math.pi]
        '''
        '''python
        values.append(len(values))
        print(values)
        '''
        '''text
        [3.14159..., 1]
        '''
        """) is None


def test_pages_do_not_share_a_namespace(tmp_path):
    assert run(tmp_path, "'''python\nleft_behind = 1\n'''\n") is None
    report = run(tmp_path, "'''python\nprint(left_behind)\n'''\n")
    assert "NameError: name 'left_behind' is not defined" in report


def test_a_page_runs_in_the_folder_given_and_files_land_there(tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    before = os.getcwd()
    path = page(tmp_path, """
        '''python
        import os
        print(os.getcwd())
        with open("written.txt", "w") as f:
            f.write("hello")
        '''
        """)
    assert run_page(path, workdir) is None
    assert (workdir / "written.txt").read_text() == "hello"
    assert os.getcwd() == before


def test_the_folder_is_restored_when_a_block_fails(tmp_path):
    before = os.getcwd()
    assert run(tmp_path, "'''python\nraise ValueError('no')\n'''\n") is not None
    assert os.getcwd() == before


def test_functions_and_classes_of_a_page_have_their_source(tmp_path):
    assert run(tmp_path, """
        '''python
        import inspect

        def double(x):
            return 2 * x

        print(inspect.getsource(double).splitlines()[1].strip())
        '''

        '''text
        return 2 * x
        '''
        """) is None


@pytest.mark.parametrize("expected, actual, fits", [
    ("a\nb\n", "a\nb\n", True),
    ("a   \nb", "a\nb   \n\n", True),            # trailing spaces and blank lines
    ("a\nb\n", "a\nc\n", False),
    ("a\n", "a\nb\n", False),                   # a missing line
    ("a\nb\nc\n", "a\nb\n", False),             # an extra line
    ("loss 0.1...\n", "loss 0.1234\n", True),    # ... inside a line
    ("loss 0.1...\n", "loss 0.2234\n", False),
    ("x=... y=2\n", "x=17 y=2\n", True),
    ("x=... y=2\n", "x=17 y=3\n", False),
    ("first\n...\nlast\n", "first\nlast\n", True),           # ... as a line: none
    ("first\n...\nlast\n", "first\n1\n2\n3\nlast\n", True),  # or many
    ("first\n...\nlast\n", "first\n1\n2\n", False),
    ("...\nlast\n", "a\nb\nlast\n", True),
    ("a (b) [c]*\n", "a (b) [c]*\n", True),      # regex characters are literal
    ("a (b) [c]*\n", "a (b) [c]\n", False),
])
def test_output_matching(expected, actual, fits):
    assert output_matches(expected, actual) is fits


def test_a_text_block_after_prose_is_not_an_expected_output(tmp_path):
    assert run(tmp_path, """
        '''python
        print("runs")
        '''

        It prints something; unrelated text follows:

        '''text
        not what the block prints
        '''
        """) is None


def test_fences_in_list_items_are_dedented_and_tildes_are_fences(tmp_path):
    markdown = """
        - an item:

          '''python
          for k in range(2):
              print(k)
          '''

          '''text
          0
          1
          '''

        ~~~python
        print("tilde")
        ~~~
        ~~~text
        wrong
        ~~~
        """
    blocks = parse_blocks(textwrap.dedent(markdown).replace("'''", FENCE))
    assert [(b.language, b.start) for b in blocks] == [("python", 4), ("python", 14)]
    assert blocks[0].text == "for k in range(2):\n    print(k)\n"
    assert blocks[0].expected == "0\n1\n"
    report = run(tmp_path, markdown)
    assert report.startswith("page.md, the python block on line 14 did not print what its text")


def test_an_unclosed_fence_is_reported(tmp_path):
    report = run(tmp_path, "'''python\nprint(1)\n")
    assert report == "page.md: the code fence opened on line 1 is never closed"


def test_only_python_blocks_run(tmp_path):
    assert run(tmp_path, """
        '''bash
        exit 1
        '''
        '''console
        $ rm -rf /
        '''
        '''
        an unlabelled block
        '''
        """) is None


def test_interactive_sessions_run_as_doctests_with_mtf_and_np(tmp_path):
    assert run(tmp_path, """
        '''python
        >>> float(mtf.reduce_sum(mtf.constant(np.arange(4.0))))
        6.0
        >>> shared = 5
        '''

        '''python
        >>> [shared,   shared + 1]
        [5, 6]
        >>> print("a long line")
        a ... line
        '''
        """) is None


def test_a_failing_doctest_is_reported_with_its_line(tmp_path):
    report = run(tmp_path, """
        Text.

        '''python
        >>> 1 + 1
        3
        '''
        """)
    assert report.startswith("page.md, the python block on line 4 doctest failed")
    assert 'File "page.md", line 5' in report
    assert "Expected:\n    3\nGot:\n    2" in report


def test_a_page_starts_without_a_global_seed_and_its_settings_do_not_leak(tmp_path):
    import numpy as np

    import minitf as mtf

    mtf.random.set_seed(1)
    seeded = mtf.random.uniform([3]).numpy()
    mtf.random.set_seed(1)                 # a page that inherited it would draw `seeded`
    printing, errors = np.get_printoptions(), np.geterr()
    assert run(tmp_path, """
        '''python
        import numpy as np
        import minitf as mtf

        np.save("draw.npy", mtf.random.uniform([3]).numpy())
        np.set_printoptions(precision=2)
        np.seterr(all="raise")
        mtf.debugging.enable_check_numerics()
        '''
        """) is None
    assert not np.array_equal(np.load(tmp_path / "work" / "draw.npy"), seeded)
    assert np.get_printoptions() == printing and np.geterr() == errors
    with np.errstate(invalid="ignore"):
        assert np.isnan(float(mtf.log(mtf.constant(-1.0))))   # no NumericsError: checks are off
