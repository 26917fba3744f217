"""What ``write`` does to whatever is at its path: symlinks are written through, only
regular files are ever replaced, and permissions of a replaced file are kept."""
import os
import socket
import stat

import numpy as np
import pytest

import minitf as mtf


def checkpoint(value=1.0):
    return mtf.train.Checkpoint(v=mtf.Variable(np.full(3, value, np.float32)))


def saved_v(path):
    return mtf.train.load_variable(path, "v")[0]


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    target = tmp_path / "real" / "model.ckpt"
    target.parent.mkdir()
    checkpoint(1.0).write(target)
    link = tmp_path / "latest.ckpt"
    link.symlink_to(target)
    assert checkpoint(2.0).write(str(link)) == str(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert saved_v(target) == 2.0 == saved_v(link)
    assert sorted(os.listdir(tmp_path)) == ["latest.ckpt", "real"]
    assert os.listdir(target.parent) == ["model.ckpt"]


def test_a_chain_of_relative_symlinks_and_a_dangling_one(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("c.ckpt")          # c.ckpt does not exist yet
    checkpoint(3.0).write(tmp_path / "a")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert stat.S_ISREG(os.lstat(tmp_path / "c.ckpt").st_mode)
    assert saved_v(tmp_path / "c.ckpt") == 3.0


def make_fifo(path):
    os.mkfifo(path)


def make_socket(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    return sock


def make_directory(path):
    path.mkdir()


@pytest.mark.parametrize("make, kind", [(make_fifo, "a FIFO"), (make_socket, "a socket"),
                                         (make_directory, "a directory")])
def test_a_path_that_is_not_a_regular_file_is_refused_and_left_alone(tmp_path, make, kind):
    path = tmp_path / "thing"
    keep = make(path)
    before = os.lstat(path)
    for where in (path, _link_to(path)):
        with pytest.raises(mtf.train.CheckpointError, match=f"{kind} is there"):
            checkpoint().write(where)
    after = os.lstat(path)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []
    if keep is not None:
        keep.close()


def _link_to(path):
    link = path.parent / f"link-to-{path.name}"
    link.symlink_to(path)
    return link


def test_a_symlink_to_a_device_never_replaces_the_device(tmp_path):
    link = tmp_path / "null.ckpt"
    link.symlink_to("/dev/null")
    before = os.lstat("/dev/null")
    with pytest.raises(mtf.train.CheckpointError, match="a character device is there"):
        checkpoint().write(link)
    after = os.lstat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    assert link.is_symlink()


def test_a_symlink_loop_is_refused(tmp_path):
    (tmp_path / "x").symlink_to("y")
    (tmp_path / "y").symlink_to("x")
    with pytest.raises(mtf.train.CheckpointError, match="Cannot write checkpoint"):
        checkpoint().write(tmp_path / "x")
    assert (tmp_path / "x").is_symlink() and (tmp_path / "y").is_symlink()


def test_replacing_a_file_keeps_its_permission_bits(tmp_path):
    path = tmp_path / "private.ckpt"
    checkpoint(1.0).write(path)
    os.chmod(path, 0o600)
    checkpoint(2.0).write(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and saved_v(path) == 2.0


def test_the_manager_writes_through_a_symlinked_directory(tmp_path):
    (tmp_path / "disk").mkdir()
    (tmp_path / "runs").symlink_to(tmp_path / "disk")
    ckpt = checkpoint()
    manager = mtf.train.CheckpointManager(ckpt, tmp_path / "runs", max_to_keep=2)
    for _ in range(3):
        manager.save()
    assert sorted(os.listdir(tmp_path / "disk")) == ["checkpoint", "ckpt-2", "ckpt-3"]
