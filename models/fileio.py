"""Writing files so that a crash never leaves half of one, and hashing them.

The one place in Corral for these primitives (models/ is the bottom layer, so the engine and
the desktop app use them too):

* :func:`atomic_path` / :func:`write_atomic`: write to a temporary file in the target's own
  folder, fsync it, then give it the target's name in one step (``os.replace``, or
  :func:`publish` when an existing file must never be replaced). A crash leaves either the
  old file or the new one, never a mixture; the temporary file is removed on any error.
* :func:`publish`: give a finished file its name, failing if that name exists
  (:func:`try_link`, else :func:`rename_if_free`).
* :func:`fsync_dir`: make a new directory entry durable.
* :func:`sha256_file`: the SHA-256 of a file's bytes.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, cast

__all__ = [
    "NO_LINK_SUPPORT",
    "atomic_path",
    "fsync_dir",
    "publish",
    "rename_if_free",
    "sha256_file",
    "try_link",
    "write_atomic",
]

# Errors from os.link() that mean "this file system has no hard links" (FAT, exFAT, some
# network shares), as opposed to "the name exists" or "different file system".
NO_LINK_SUPPORT = frozenset(
    {errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}
)

StrPath = str | os.PathLike[str]


def sha256_file(source: StrPath | IO[bytes]) -> str:
    """The hex SHA-256 of a file: a path, or an open binary file read from where it stands."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    # typing.IO has no readinto(), which typeshed's file_digest asks for; real files have it.
    return hashlib.file_digest(cast(Any, source), "sha256").hexdigest()


def fsync_dir(path: StrPath) -> None:
    """Make a new directory entry durable; not possible (nor needed) everywhere."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def try_link(src: StrPath, dst: StrPath) -> bool:
    """Hard-link ``src`` as the new name ``dst`` (``FileExistsError`` if it is taken).

    Returns False, doing nothing, where the file system has no hard links.
    """
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in NO_LINK_SUPPORT:
            raise
        return False
    return True


def rename_if_free(src: StrPath, dst: StrPath) -> None:
    """Rename ``src`` to ``dst`` unless ``dst`` exists (checked first: not atomic)."""
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "File exists", os.fspath(dst))
    os.rename(src, dst)


def publish(tmp: StrPath, dst: StrPath) -> None:
    """Give the finished file ``tmp`` the name ``dst``, failing if ``dst`` exists.

    ``os.link`` is atomic and never replaces; where the file system has no hard links the
    fallback checks first and renames (a tiny window, but the best such systems allow).
    """
    if try_link(tmp, dst):
        os.unlink(tmp)
    else:
        rename_if_free(tmp, dst)


@contextmanager
def atomic_path(target: StrPath, *, replace: bool = True) -> Iterator[Path]:
    """A temporary path next to ``target`` to write the new file at; named ``target`` after.

    The temporary name is hidden, unique and created empty (so nobody else's file is ever
    written over). When the block ends normally the file is fsynced and renamed to
    ``target`` (``os.replace``; with ``replace=False`` :func:`publish`, which raises
    ``FileExistsError`` if ``target`` exists). If the block or the rename fails, the
    temporary file is removed and the error goes on.
    """
    target = Path(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
        try:
            os.close(os.open(tmp, flags, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDWR | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(tmp, target)
        else:
            publish(tmp, target)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def write_atomic(target: StrPath, data: bytes | str, *, replace: bool = True) -> None:
    """Write ``data`` (text as UTF-8) to ``target`` through :func:`atomic_path`."""
    with atomic_path(target, replace=replace) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
