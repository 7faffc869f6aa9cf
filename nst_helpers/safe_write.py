"""Write files without clobbering, half-writing or leaking temporary files.

Every file the package writes (the result image, the CLI's JSON report, the panel's Save) goes
through this module, so one set of rules holds everywhere:

* :func:`check_target` checks a destination *up front*, before any work: never an input, never
  an existing file unless ``overwrite``, never a folder or a device, the folder exists (or can
  be created) and is writable, and the name, with the temporary name it needs while writing,
  fits the file system. It proves the last two by creating and removing a real temporary file.
* :func:`write_bytes` re-checks at write time without a race: the bytes go to a uniquely named
  temporary file in the target folder (permissions from the umask, like any new file), which is
  then *linked* into place, an exclusive create that fails if a file appeared meanwhile, or, with
  ``overwrite``, renamed over the old file (:func:`os.replace`, atomic). Readers see the old
  file or the whole new one, never a part.
* The temporary file is removed on every exit path (exceptions, Ctrl-C; the CLI turns SIGTERM
  into a normal exit). Only SIGKILL can leave one behind; its name carries the writer's process
  id, and the next write of the same file removes it once that process is gone.

No TensorFlow, no numpy.
"""

from __future__ import annotations

import errno
import os
import pathlib
import re
import secrets
import stat
import time
from collections.abc import Iterable

from .errors import NSTError

#: Temporary names: ``.<name>.<pid>-<8 hex>.nst-tmp`` in the target's own folder (same file system).
TEMP_SUFFIX = ".nst-tmp"
_PID_DIGITS = 7  # Linux's pid_max is at most 4194304
#: Bytes a temporary name adds to the file's own name.
TEMP_EXTRA = len(".") + len(".") + _PID_DIGITS + len("-") + 8 + len(TEMP_SUFFIX)
#: A leftover temporary file is removed only if its writer is gone and it is at least this old (s).
STALE_AFTER = 60.0


class OutputError(NSTError, OSError):
    """A file cannot be written where asked (exists, is an input, a folder, unwritable, name too long...)."""


def check_target(
    path: str | os.PathLike,
    *,
    inputs: Iterable[str | os.PathLike] = (),
    overwrite: bool = False,
    suffixes: Iterable[str] | None = None,
    overwrite_hint: str = "overwrite=True",
    probe: bool = True,
) -> pathlib.Path:
    """Refuse a destination that :func:`write_bytes` could not honestly write, before any work.

    Args:
        path: the file to be written.
        inputs: files the run reads; the destination must be none of them (even with ``overwrite``).
        overwrite: allow replacing an existing regular file.
        suffixes: allowed suffixes, lower case (e.g. ``(".png", ".jpg")``); ``None`` allows any.
        overwrite_hint: how the caller spells "overwrite" in messages (``"--overwrite"`` for the CLI).
        probe: create and remove a temporary file in the folder, proving it writable and the
            temporary name legal (``False`` at write time, where the real write proves it).

    Returns:
        ``path`` as a :class:`pathlib.Path`.

    Raises:
        OutputError: the message names the problem and the fix.
    """
    path = pathlib.Path(path)
    text = os.fspath(path)
    if not text or path.name in ("", ".", ".."):
        raise OutputError(f"{text!r} is not a file name: give one such as out.png.")
    if "\0" in text:
        raise OutputError(f"{text!r} contains a NUL byte: choose another name.")
    if suffixes is not None and path.suffix.lower() not in tuple(suffixes):
        raise OutputError(f"{path}: the file must end in {' or '.join(suffixes)}.")
    for other in inputs:
        if same_file(path, pathlib.Path(other)):
            raise OutputError(f"{path} is one of the input files: choose another name.")
    _check_existing(path, overwrite, overwrite_hint)
    folder = _existing_folder(path)
    _check_name_length(path, folder)
    if probe:
        _probe(folder, path)
    return path


def write_bytes(path: str | os.PathLike, data: bytes, *, overwrite: bool = False,
                inputs: Iterable[str | os.PathLike] = (), overwrite_hint: str = "overwrite=True") -> pathlib.Path:
    """Write ``data`` to ``path`` atomically, never replacing a file unless ``overwrite``.

    Args:
        path: destination; missing folders are created.
        data: the complete file content (encode first, so the file exists only for the write).
        overwrite: replace an existing regular file (atomically); otherwise a file that exists,
            even one that appeared after :func:`check_target`, is left alone and an error raised.
        inputs: files that must never be replaced (see :func:`check_target`).
        overwrite_hint: how the caller spells "overwrite" in messages.

    Returns:
        ``path`` as a :class:`pathlib.Path`.

    Raises:
        OutputError: the file could not be written; nothing was changed at ``path``.
    """
    path = check_target(path, inputs=inputs, overwrite=overwrite, overwrite_hint=overwrite_hint, probe=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder {path.parent} ({err.strerror}): choose another place.") from None
    remove_stale_temps(path)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_exclusive(tmp, path, overwrite_hint)
    except OSError as err:
        if isinstance(err, OutputError):
            raise
        raise OutputError(f"could not write {path} ({err.strerror or err}): choose another place.") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def temp_files(path: str | os.PathLike) -> list[pathlib.Path]:
    """The temporary files of writes of ``path`` that are still on disk (normally none)."""
    path = pathlib.Path(path)
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)-[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))
    folder = path.parent
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if pattern.fullmatch(p.name))


def remove_stale_temps(path: str | os.PathLike, *, min_age: float | None = None) -> int:
    """Remove temporary files of ``path`` left by writers that died (SIGKILL); returns how many.

    A file is removed only if the process id in its name is not running and it is older than
    ``min_age`` seconds (default :data:`STALE_AFTER`), so a live writer is never disturbed.
    """
    min_age = STALE_AFTER if min_age is None else min_age
    removed = 0
    for tmp in temp_files(path):
        pid = int(tmp.name[len(pathlib.Path(path).name) + 2:].split("-", 1)[0])
        try:
            age = time.time() - tmp.lstat().st_mtime
        except FileNotFoundError:
            continue
        if age >= min_age and not _alive(pid):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


# ----- the rules, one function each ---------------------------------------------------------------
def same_file(a: pathlib.Path, b: pathlib.Path) -> bool:
    """True if ``a`` and ``b`` name the same file (hard links and symlinks included), existing or not."""
    try:
        return os.path.samefile(a, b)  # hard links and symlinks included
    except OSError:
        return a.expanduser().resolve() == b.expanduser().resolve()


def _check_existing(path: pathlib.Path, overwrite: bool, overwrite_hint: str) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise OutputError(f"{path} is a broken symbolic link: remove it or choose another name.") from None
        return
    except NotADirectoryError:
        return  # a parent is a file: _existing_folder says so
    except OSError as err:
        raise OutputError(f"{path}: {err.strerror}; choose another name.") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path} is a folder: give a file name, e.g. {path / 'result.png'}.")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{path} is not a regular file (a device, FIFO or socket): choose another name.")
    if not overwrite:
        raise OutputError(f"{path} already exists: pass {overwrite_hint} to replace it, or choose another name.")


def _existing_folder(path: pathlib.Path) -> pathlib.Path:
    """The nearest folder of ``path`` that exists (the write creates the missing ones below it)."""
    folder = path.absolute().parent
    while not folder.exists():
        if folder.is_symlink():
            raise OutputError(f"{folder} is a broken symbolic link: the folder for {path} cannot be created.")
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{folder} is a file, not a folder: {path} cannot be created there.")
    return folder


def _check_name_length(path: pathlib.Path, folder: pathlib.Path) -> None:
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    size, longest = len(os.fsencode(path.name)), name_max - TEMP_EXTRA
    if size > longest:
        raise OutputError(
            f"the name {path.name[:40]}... is {size} bytes; at most {longest} fit here (the file system allows "
            f"{name_max}, and writing needs a temporary name {TEMP_EXTRA} bytes longer). Choose a shorter name."
        )
    for folder_name in (p.name for p in path.absolute().parents if not p.exists()):  # created as named: no temp
        size = len(os.fsencode(folder_name))
        if size > name_max:
            raise OutputError(f"the folder name {folder_name[:40]}... is {size} bytes; the file system allows "
                              f"{name_max}. Choose a shorter name.")


def _probe(folder: pathlib.Path, path: pathlib.Path) -> None:
    """Create and remove a temporary file in ``folder``: the only sure test of writability (root, ACLs, mounts)."""
    try:
        fd, tmp = _create_temp(folder / path.name)
    except OSError as err:
        reason = "the file system is read-only" if err.errno == errno.EROFS else err.strerror or str(err)
        raise OutputError(f"cannot write in {folder} ({reason}): choose another place for {path.name}.") from None
    os.close(fd)
    tmp.unlink(missing_ok=True)


def _create_temp(path: pathlib.Path) -> tuple[int, pathlib.Path]:
    """Open a new, uniquely named temporary file next to ``path``; mode 0666 minus the umask."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise OutputError(f"could not find a free temporary name next to {path}.")


def _link_exclusive(tmp: pathlib.Path, path: pathlib.Path, overwrite_hint: str) -> None:
    """Put ``tmp`` at ``path`` only if nothing is there: atomic and race-free where hard links work."""
    appeared = OutputError(
        f"{path} appeared while this run was working (another program wrote it): it was left alone. "
        f"Pass {overwrite_hint} to replace it, or choose another name."
    )
    try:
        os.link(tmp, path)
        return
    except FileExistsError:
        raise appeared from None
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
    try:  # no hard links here (FAT, some network mounts): reserve the name exclusively, then rename onto it
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        raise appeared from None
    os.replace(tmp, path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own live temporary files are never on disk between calls
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
