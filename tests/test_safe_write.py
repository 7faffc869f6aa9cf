"""safe_write: nothing clobbered, nothing half-written, no temp file left, permissions from the umask."""

import errno
import os
import subprocess
import sys
import threading

import pytest

from nst_helpers import safe_write as sw
from nst_helpers.safe_write import OutputError

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture()
def umask():
    """Set a umask for one test, and restore the old one."""
    old = os.umask(0o022)
    os.umask(old)

    def set_(mask):
        os.umask(mask)

    yield set_
    os.umask(old)


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(sw.TEMP_SUFFIX)]


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_new_and_replaced_files_get_the_umask_mode(tmp_path, umask, mask):
    umask(mask)
    new = sw.write_bytes(tmp_path / "new.bin", b"a")
    assert new.stat().st_mode & 0o777 == 0o666 & ~mask  # was always 0600 (defect 4)
    old = tmp_path / "old.bin"
    old.write_bytes(b"old")
    os.chmod(old, 0o644)
    sw.write_bytes(old, b"new", overwrite=True)
    assert old.read_bytes() == b"new" and old.stat().st_mode & 0o777 == 0o666 & ~mask


def test_existing_file_is_never_replaced_without_overwrite(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_bytes(b"keep me")
    with pytest.raises(OutputError, match="already exists.*overwrite=True"):
        sw.write_bytes(path, b"new")
    with pytest.raises(OutputError, match="--overwrite"):
        sw.check_target(path, overwrite_hint="--overwrite")
    assert path.read_bytes() == b"keep me" and _leftovers(tmp_path) == []


def test_a_file_that_appears_after_the_check_is_left_alone(tmp_path, monkeypatch):
    """Defect 3: the rule was checked at the start only. Now the final step is an exclusive link."""
    path = tmp_path / "o.png"
    sw.check_target(path)  # fine at the start of the run
    real_link = os.link

    def link_after_someone_else(src, dst):
        if os.fspath(dst) == os.fspath(path):
            path.write_bytes(b"written by another program")  # lands between our checks and our write
        return real_link(src, dst)

    monkeypatch.setattr(sw, "check_target", lambda p, **kw: path)  # skip the re-check: only the link can save us
    monkeypatch.setattr(os, "link", link_after_someone_else)
    with pytest.raises(OutputError, match="appeared while this run was working"):
        sw.write_bytes(path, b"ours")
    assert path.read_bytes() == b"written by another program" and _leftovers(tmp_path) == []


def test_concurrent_writers_exactly_one_wins(tmp_path):
    path, barrier, results = tmp_path / "race.bin", threading.Barrier(8), []

    def writer(i):
        barrier.wait()
        try:
            sw.write_bytes(path, str(i).encode() * 1000)
            results.append(i)
        except OutputError:
            pass

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and path.read_bytes() == str(results[0]).encode() * 1000
    assert _leftovers(tmp_path) == []


def test_without_hard_links_the_write_is_still_exclusive(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "fat.bin"
    sw.write_bytes(path, b"one")
    assert path.read_bytes() == b"one"
    monkeypatch.setattr(sw, "check_target", lambda p, **kw: path)
    with pytest.raises(OutputError, match="appeared"):
        sw.write_bytes(path, b"two")
    assert path.read_bytes() == b"one" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("fault", [KeyboardInterrupt, OSError(errno.ENOSPC, "No space left on device")])
def test_temp_file_is_removed_on_every_failure(tmp_path, monkeypatch, fault):
    path = tmp_path / "o.bin"
    path.write_bytes(b"old")

    def fail(*args):
        raise fault

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt if fault is KeyboardInterrupt else OutputError):
        sw.write_bytes(path, b"new", overwrite=True)
    assert path.read_bytes() == b"old" and _leftovers(tmp_path) == []


def test_temp_names_are_unique_and_in_the_target_folder(tmp_path):
    names = set()
    for _ in range(50):
        fd, tmp = sw._create_temp(tmp_path / "o.png")
        os.close(fd)
        assert tmp.parent == tmp_path and tmp.name.startswith(".o.png.") and tmp.name.endswith(sw.TEMP_SUFFIX)
        names.add(tmp.name)
    assert len(names) == 50


def test_check_refuses_inputs_folders_devices_and_bad_parents(tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"x")
    (tmp_path / "alias.jpg").symlink_to(photo)
    os.link(photo, tmp_path / "hard.jpg")
    for same in (photo, tmp_path / "alias.jpg", tmp_path / "hard.jpg", tmp_path / "sub" / ".." / "photo.jpg"):
        with pytest.raises(OutputError, match="input"):
            sw.check_target(same, inputs=[photo], overwrite=True)
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        sw.check_target(tmp_path / "folder.png", overwrite=True)
    os.mkfifo(tmp_path / "fifo.png")
    with pytest.raises(OutputError, match="not a regular file"):
        sw.check_target(tmp_path / "fifo.png", overwrite=True)
    with pytest.raises(OutputError, match="not a folder"):
        sw.check_target(photo / "o.png")
    with pytest.raises(OutputError, match="must end in .png or .jpg"):
        sw.check_target(tmp_path / "o.gif", suffixes=(".png", ".jpg"))


def test_check_does_not_create_anything(tmp_path):
    target = tmp_path / "new" / "deeper" / "o.png"
    assert sw.check_target(target) == target
    assert list(tmp_path.iterdir()) == []  # the probe file is gone, no folder made
    sw.write_bytes(target, b"x")
    assert target.read_bytes() == b"x"


def test_long_names_count_the_temporary_name(tmp_path):
    """Defect 5: a legal 240-byte name whose hidden temp name passes 255 bytes failed after the run."""
    fits = "a" * (255 - sw.TEMP_EXTRA - 4) + ".png"
    sw.check_target(tmp_path / fits)
    sw.write_bytes(tmp_path / fits, b"x")
    too_long = "b" * 236 + ".png"  # 240 bytes: a legal name, but its temporary name would not be
    with pytest.raises(OutputError, match="240 bytes"):
        sw.check_target(tmp_path / too_long)
    with pytest.raises(OutputError, match="bytes"):
        sw.check_target(tmp_path / ("é" * 120 + ".png"))  # bytes, not characters, count


def test_a_missing_folder_may_use_the_whole_name_length(tmp_path):
    """Folders are created as named (no temporary name), so only the file's own name loses TEMP_EXTRA bytes."""
    folder = tmp_path / ("d" * 250)
    assert sw.write_bytes(folder / "o.png", b"x").read_bytes() == b"x"
    with pytest.raises(OutputError, match="File name too long|256 bytes"):
        sw.check_target(tmp_path / ("e" * 256) / "o.png")


def test_unwritable_folder_is_found_up_front(tmp_path):
    if ROOT_USER:  # root ignores permission bits: use a folder the kernel refuses even to root
        folder = "/sys"
        if not os.path.isdir("/sys") or _sys_writable():
            pytest.skip("no read-only /sys here")
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o500)
    with pytest.raises(OutputError, match="cannot write in"):
        sw.check_target(os.path.join(folder, "o.png"))
    with pytest.raises(OutputError, match="cannot write in"):
        sw.check_target(os.path.join(folder, "new_sub", "o.png"))


def _sys_writable():
    try:
        fd = os.open("/sys/.nst-probe", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except OSError:
        return False
    os.close(fd)
    os.unlink("/sys/.nst-probe")
    return True


def test_stale_temps_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    path = tmp_path / "o.png"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".o.png.{dead_pid}-0123abcd{sw.TEMP_SUFFIX}"
    live = tmp_path / f".o.png.{os.getppid()}-89abcdef{sw.TEMP_SUFFIX}"
    other = tmp_path / f".x.png.{dead_pid}-0123abcd{sw.TEMP_SUFFIX}"  # another file's: not ours to judge
    for p in (stale, live, other):
        p.write_bytes(b"partial")
    assert sw.remove_stale_temps(path) == 0  # too young: a writer could still be at work
    assert sw.remove_stale_temps(path, min_age=0) == 1
    assert not stale.exists() and live.exists() and other.exists()
