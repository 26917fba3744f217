"""Peak extra memory of reading hostile and large checkpoints (mtf.train).

Three cases, each measured in a fresh subprocess (so one case's memory cannot
hide another's) with ``tracemalloc`` (numpy's allocations are traced) and the
growth of ``ru_maxrss`` during the call:

- (a) bomb: a ~0.6 KiB file whose ``manifest.json`` is bzip2-compressed from
  800 MiB of spaces, through ``list_variables`` and ``Checkpoint.restore``;
- (b) shared: a ~1 MiB file whose 800 manifest entries all name one 1 MiB data
  member, through ``Checkpoint.restore``;
- (c) large: restoring a 256 MiB checkpoint into a model of the same
  structure (peak extra memory as a ratio of the file size).

Run: ``python benchmarks/checkpoint_memory.py`` (about 30 s). Set
``PYTHONPATH`` to measure another copy of minitf (the children inherit it).
Only public APIs are used, so any version of minitf can be measured. The
files are built in a subprocess too: Linux carries ``ru_maxrss`` across
fork and exec, so this parent process must stay small.
"""
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile

MIB = 1 << 20
TRAILER = b"minitf-sha256:"
BOMB_MIB = 800            # the bomb's manifest inflates to this many MiB of spaces
SHARED_ENTRIES = 800      # entries naming the one shared member
LARGE_VARIABLES = 16      # the 256 MiB checkpoint: 16 float32 variables of 16 MiB
LARGE_SHAPE = (1024, 4096)


def _manifest(entries):
    """The manifest dict of a checkpoint holding ``entries``."""
    return {"format": "minitf.checkpoint", "format_version": 1,
            "minitf_version": "bench", "entries": entries}


def _signed_zip(path, members):
    """Write a zip of ``(name, chunks, compress_type)`` members with a valid trailer."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.comment = TRAILER + b"0" * 64
        for name, chunks, compression in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            with archive.open(info, "w") as member:
                for chunk in chunks:
                    member.write(chunk)
    _sign(path)
    return path


def _sign(path):
    """Patch the last 64 bytes with the hex SHA-256 of every byte before them."""
    size = os.path.getsize(path)
    digest = hashlib.sha256()
    with open(path, "r+b") as file:
        remaining = size - 64
        while remaining:
            chunk = file.read(min(remaining, MIB))
            digest.update(chunk)
            remaining -= len(chunk)
        file.write(digest.hexdigest().encode("ascii"))


def make_bomb(path):
    """(a): a valid manifest followed by BOMB_MIB MiB of spaces, bzip2-compressed."""
    head = json.dumps(_manifest([])).encode()
    spaces = b" " * MIB
    chunks = [head] + [spaces] * BOMB_MIB
    return _signed_zip(path, [("manifest.json", chunks, zipfile.ZIP_BZIP2)])


def make_shared(path):
    """(b): SHARED_ENTRIES entries, all naming one 1 MiB stored data member."""
    import zlib

    import numpy as np
    payload = np.arange(MIB // 4, dtype="<f4").tobytes()
    entries = [{"key": f"v{i}", "dtype": "float32", "shape": [MIB // 4], "data": "arrays/0",
                "nbytes": len(payload), "crc32": zlib.crc32(payload)}
               for i in range(SHARED_ENTRIES)]
    manifest = json.dumps(_manifest(entries)).encode()
    return _signed_zip(path, [("manifest.json", [manifest], zipfile.ZIP_STORED),
                              ("arrays/0", [payload], zipfile.ZIP_STORED)])


def _large_checkpoint(mtf, fill):
    """A Checkpoint of LARGE_VARIABLES float32 variables filled with ``fill`` (touched pages)."""
    import numpy as np
    variables = {f"v{i}": mtf.Variable(np.full(LARGE_SHAPE, fill + i, np.float32))
                 for i in range(LARGE_VARIABLES)}
    return mtf.train.Checkpoint(**variables)


def make_large(path):
    """(c): the 256 MiB checkpoint, written by minitf itself."""
    import minitf as mtf
    return _large_checkpoint(mtf, 1.0).write(path)


def _max_rss():
    """This process's peak resident memory in bytes (ru_maxrss is KiB on Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def child(case, path):
    """Run one case in this (fresh) process; print its measurements as JSON."""
    import minitf as mtf
    if case == "bomb-list":
        def call():
            return mtf.train.list_variables(path)
    elif case == "large-restore":
        ckpt = _large_checkpoint(mtf, 0.0)

        def call():
            return ckpt.restore(path)
    else:
        ckpt = mtf.train.Checkpoint()

        def call():
            return ckpt.restore(path).expect_partial()
    rss_before = _max_rss()
    tracemalloc.start()
    begin = time.perf_counter()
    try:
        call()
        outcome = "ok"
    except Exception as error:  # noqa: B902 - the outcome is what is measured
        outcome = type(error).__name__
    seconds = time.perf_counter() - begin
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"peak": peak, "rss": _max_rss() - rss_before, "outcome": outcome,
                      "seconds": seconds}))


def measure(*args):
    """The JSON printed by this script run with ``args`` in a fresh subprocess."""
    result = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if result.returncode != 0:
        return {"peak": 0, "rss": 0, "outcome": f"crashed ({result.stderr.strip()[-200:]})",
                "seconds": 0.0}
    return json.loads(result.stdout.splitlines()[-1])


def make_files(directory):
    """Build the three files in ``directory``; print their paths as JSON."""
    import minitf
    print(json.dumps({"minitf": os.path.dirname(minitf.__file__),
                      "bomb": make_bomb(os.path.join(directory, "bomb.ckpt")),
                      "shared": make_shared(os.path.join(directory, "shared.ckpt")),
                      "large": make_large(os.path.join(directory, "large.ckpt"))}))


def main():
    """Build the files and measure each case, each in its own subprocess; print a table."""
    with tempfile.TemporaryDirectory() as tmp:
        files = measure("--make", tmp)
        print(f"minitf from {files['minitf']}")
        cases = [("bomb-list", "bomb"), ("bomb-restore", "bomb"),
                 ("shared-restore", "shared"), ("large-restore", "large")]
        print(f"{'case':15} {'file':>12} {'tracemalloc peak':>18} {'maxrss growth':>15} "
              f"{'peak/file':>10} {'seconds':>8}  outcome")
        for case, name in cases:
            size = os.path.getsize(files[name])
            m = measure("--child", case, files[name])
            print(f"{case:15} {_human(size):>12} {_human(m['peak']):>18} "
                  f"{_human(m['rss']):>15} {m['peak'] / size:>10.3g} "
                  f"{m['seconds']:>8.2f}  {m['outcome']}")


def _human(nbytes):
    """``nbytes`` as B, KiB or MiB."""
    if nbytes < 1024:
        return f"{nbytes} B"
    if nbytes < MIB:
        return f"{nbytes / 1024:.1f} KiB"
    return f"{nbytes / MIB:.1f} MiB"


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "--make":
        make_files(sys.argv[2])
    else:
        main()
