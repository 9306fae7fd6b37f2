"""Files we write appear whole or not at all: a temporary file beside the target, then a rename
(stdlib only). Every file follows the umask, or, replacing a file in place, keeps that file's
mode, owner and group; temporary files that a killed run left behind are removed."""

from __future__ import annotations

import contextlib
import errno
import glob
import hashlib
import os
import socket
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ocr_pdf.errors import FileAccessError, InputFileError

_SUFFIX = ".ocr-pdf.tmp"


def _host() -> str:
    return socket.gethostname().replace(".", "_") or "host"


NAME_MAX = 255
"""Bytes a file name may have (ext4, XFS, Btrfs, APFS, NTFS in UTF-16 units)."""

_RESERVED = 1 + 1 + 10 + 1 + 8 + len(_SUFFIX)
"""Bytes of a temporary name besides the target's name and the host: the dots, a process id
of up to 10 digits, mkstemp's 8 random characters and the suffix."""


def _name(target: Path) -> str:
    """The target's name as a temporary file's names carry it: whole when it fits, else its
    first bytes and a digest of the whole (a valid 250-byte output name must not make the
    temporary file's name too long to create)."""
    host = _host()
    room = NAME_MAX - _RESERVED - len(os.fsencode(host))
    raw = os.fsencode(target.name)
    if len(raw) <= room:
        return target.name
    digest = hashlib.sha256(raw).hexdigest()[:12]
    head = raw[: max(0, room - len(digest) - 1)].decode("utf-8", "ignore")
    while len(os.fsencode(head)) > room - len(digest) - 1:  # surrogates re-encoded longer
        head = head[:-1]
    return f"{head}~{digest}"


def _prefix(target: Path) -> str:
    """Hidden, and naming this host and process, so that a later run can tell a leftover of
    a dead run (removed) from the work of a live one (kept)."""
    return f".{_name(target)}.{_host()}.{os.getpid()}."


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale(target: Path) -> None:
    """Remove temporary files for ``target`` left by runs of ours on this host that were
    killed (SIGKILL, power loss) before they could clean up."""
    host, name = _host(), _name(target)
    pattern = glob.escape(f".{name}.{host}.") + "*" + _SUFFIX  # "scan [1].pdf" is a name
    try:
        candidates = list(target.parent.glob(pattern))
    except OSError:
        return
    for leftover in candidates:
        pid = leftover.name[len(f".{name}.{host}.") :].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                leftover.unlink()


def check_target(target: Path, label: str = "") -> None:
    """A FileAccessError now, before any paid call, when ``target`` (named ``label`` in the
    message, such as ``--sidecar``) cannot be written as a file: it is a folder, a device or
    a pipe (replacing one by rename would wreck it), or its folder does not exist."""
    name = f"{label} {target}" if label else str(target)
    if target.is_dir():
        raise FileAccessError(f"{name}: is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise FileAccessError(f"{name}: is not a regular file (a device or a pipe?)")
    if not target.parent.is_dir():
        raise FileAccessError(f"{name}: the folder {target.parent} does not exist")


def check_source(path: Path) -> None:
    """An InputFileError when ``path`` exists but is not a regular file or a folder: opening
    a pipe (a FIFO named ``scan.pdf``) would wait for a writer forever."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing or unreadable: the reading says which
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise InputFileError(f"{path}: not a regular file (a pipe, a socket or a device)")


def check_targets(*targets: tuple[Path | None, str]) -> None:
    """:func:`check_target` for each (target, label) whose target is not None."""
    for target, label in targets:
        if target is not None:
            check_target(target, label)


def _failure(target: Path, exc: OSError) -> FileAccessError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return FileAccessError(f"{target}: the disk is full ({exc.strerror}); nothing was written")
    return FileAccessError(f"{target}: cannot write ({exc.strerror})")


@contextmanager
def temporary_beside(target: Path, *, tidy: bool = True) -> Iterator[tuple[BinaryIO, Path]]:
    """An open temporary file beside ``target`` (so that the final rename is atomic), removed
    if the block fails. Made first thing by callers, so that an unwritable target fails before
    any paid call. With ``tidy``, leftovers of killed runs for ``target`` are removed first."""
    folder = target.parent
    if not folder.is_dir():
        raise FileAccessError(f"{target}: the folder {folder} does not exist")
    if tidy:
        remove_stale(target)
    try:
        fd, name = tempfile.mkstemp(prefix=_prefix(target), suffix=_SUFFIX, dir=folder)
    except OSError as exc:
        raise FileAccessError(f"{target}: cannot write in {folder} ({exc.strerror})") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w+b") as stream:  # readable too: qpdf.graft patches what it wrote
            yield stream, tmp
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _failure(target, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def publish(tmp: Path, target: Path, *, like: Path | None = None) -> None:
    """Move the finished ``tmp`` onto ``target``: with the mode the umask gives a new file, or
    with the mode, owner and group of ``like`` (the file an in-place run replaces)."""
    try:
        if like is not None:
            _copy_ownership(like, tmp)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise _failure(target, exc) from None


def _copy_ownership(source: Path, tmp: Path) -> None:
    st = source.stat()
    if hasattr(os, "chown"):
        with contextlib.suppress(PermissionError):  # only root may give a file away
            os.chown(tmp, st.st_uid, st.st_gid)
    os.chmod(tmp, st.st_mode & 0o7777)


class Staged:
    """Outputs written whole to temporary files first and published together by
    :meth:`publish`, so that a run failing on one of them (a full disk) leaves none; used as a
    context manager, which removes the temporaries of a run that failed."""

    def __init__(self) -> None:
        self._ready: list[tuple[Path, Path]] = []  # (temporary file, target)

    def write(self, target: Path, data: bytes) -> None:
        with temporary_beside(target) as (stream, tmp):
            stream.write(data)
            stream.flush()
        self._ready.append((tmp, target))

    def publish(self) -> None:
        while self._ready:
            publish(*self._ready.pop(0))

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc: object) -> None:
        for tmp, _ in self._ready:
            tmp.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes, *, tidy: bool = True) -> None:
    """``data`` at ``path``, complete or absent (see :func:`temporary_beside`)."""
    with temporary_beside(path, tidy=tidy) as (stream, tmp):
        stream.write(data)
        stream.flush()
    publish(tmp, path)
