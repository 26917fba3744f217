"""Replacing a file atomically, and cleaning up after writers that died.

``atomic_write(path, fill)`` follows ``path`` through symlinks to the file it
names and refuses anything there that is not a regular file (a directory, a
FIFO, a device, a socket): it never renames over one. It writes a new file
``.<name>.<12 hex digits>.tmp`` beside the target, fsyncs it, renames it over
the target (which keeps its permission bits) and fsyncs the directory.

While it writes, the writer holds an exclusive ``flock`` on its temp file.
``remove_stale_temps`` deletes only temp files nobody holds that lock on, so
it tells a temp file whose writer died (``kill -9``, a crash) from one being
written right now by another thread or process. A cleaner unlinks a file only
while holding its lock, and a writer that finds its new file already unlinked
before it got the lock starts over, so the two never race.
"""
import os
import re
import stat

from ._format import CheckpointError

try:
    import fcntl
except ImportError:     # no flock (Windows): stale temp files are left alone
    fcntl = None

_TEMP = re.compile(r"\.(?P<base>.+)\.[0-9a-f]{12}\.tmp\Z")
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def atomic_write(path, fill):
    """Call ``fill(file)`` on a fresh temp file beside ``path``'s target, then rename it over.

    If ``fill`` raises, the temp file is removed and the target is untouched.
    Returns ``path``.
    """
    path = os.fspath(path)
    target, mode = _regular_target(path)
    directory = os.path.dirname(target)
    tmp, fd = _locked_temp(directory, os.path.basename(target))
    try:
        with os.fdopen(fd, "w+b", closefd=False) as file:
            fill(file)
            file.flush()
            if mode is not None:
                os.fchmod(fd, stat.S_IMODE(mode))
            os.fsync(fd)
        _regular_target(path)       # checked again: it may have been swapped meanwhile
        os.replace(tmp, target)
    except BaseException:
        _unlink(tmp)
        raise
    finally:
        os.close(fd)                # releases the lock, after the rename
    _fsync_directory(directory)
    return path


def _regular_target(path):
    """``(target, mode)``: the file ``path`` names through symlinks; mode None if absent."""
    target = os.path.realpath(path)
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return target, None
    except OSError as cause:
        raise CheckpointError(f"Cannot write checkpoint {path!r}: "
                              f"{cause.strerror or cause}.") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        shown = path if target == os.path.abspath(path) else f"{path} (-> {target})"
        raise CheckpointError(f"Cannot write checkpoint {shown!r}: {kind} is there, and a "
                              f"checkpoint only replaces a regular file. Choose another "
                              f"path.")
    return target, mode


def _locked_temp(directory, base):
    """A new temp file ``.<base>.<random>.tmp`` in ``directory``, created and flock-ed."""
    while True:
        tmp = os.path.join(directory, f".{base}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        if fcntl is None:
            return tmp, fd
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink:
            return tmp, fd
        os.close(fd)                # a cleaner took it for a dead writer's: start over


def remove_stale_temps(directory, is_ours):
    """Delete temp files in ``directory`` whose writer is gone; ``is_ours(base)`` selects.

    Returns the names removed.
    """
    if fcntl is None:
        return []
    removed = []
    for name in _listdir(directory):
        match = _TEMP.match(name)
        if match and is_ours(match.group("base")) and _remove_if_unlocked(
                os.path.join(directory, name)):
            removed.append(name)
    return removed


def _remove_if_unlocked(path):
    """Unlink ``path`` if no writer holds its lock (checked and done under the lock)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False                # a live writer holds it
    try:
        same = os.path.samestat(os.fstat(fd), os.lstat(path))
        if same and stat.S_ISREG(os.fstat(fd).st_mode):
            os.unlink(path)
            return True
        return False
    except OSError:
        return False
    finally:
        os.close(fd)


def _listdir(directory):
    try:
        return os.listdir(directory)
    except OSError:
        return []


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_directory(directory):
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
