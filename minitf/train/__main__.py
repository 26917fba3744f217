"""``python -m minitf.train FILE``: list a checkpoint's keys, shapes and dtypes.

FILE may be a directory, meaning the newest checkpoint a CheckpointManager
recorded there. Exit status 1 with a one-line reason if the file is damaged.
"""
import argparse
import reprlib
import sys

from ._format import CheckpointError
from ._read import CheckpointFile
from .checkpoint_utils import _file


def main(argv=None):
    """Print one line per key: key, dtype, shape; then the totals."""
    parser = argparse.ArgumentParser(
        prog="python -m minitf.train",
        description="List the keys, shapes and dtypes of a minitf checkpoint.")
    parser.add_argument("path", help="checkpoint file, or a CheckpointManager directory")
    args = parser.parse_args(argv)
    try:
        with CheckpointFile(_file(args.path)) as file:
            file.read_all()
    except (CheckpointError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_table(file))
    return 0


def _table(file):
    entries = [file.entries[key] for key in sorted(file.entries)]
    header = ("key", "dtype", "shape")
    rows = [(_printable(e["key"]), e["dtype"], str(tuple(e["shape"]))) for e in entries]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(3)]

    def line(row):
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
    version = file.manifest.get("minitf_version", "?")
    version = _printable(version if isinstance(version, str) else reprlib.repr(version))[:80]
    title = (f"{file.path} (format {file.manifest['format_version']}, written by minitf "
             f"{version})")
    total = sum(e["nbytes"] for e in entries)
    return "\n".join([title, line(header)] + [line(row) for row in rows] +
                     [f"{len(rows)} values, {total} bytes"])


def _printable(text):
    """``text``, or its repr if it holds control characters (a hostile file's terminal escapes)."""
    return text if text.isprintable() else repr(text)


if __name__ == "__main__":
    sys.exit(main())
