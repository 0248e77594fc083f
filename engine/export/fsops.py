"""The file-system primitives of an export: make, name, copy, check and remove files safely.

Every new name is created with a primitive that fails when the name exists (``O_EXCL``,
``os.link``, ``os.symlink``, ``os.mkdir``); nothing here ever replaces a file. The rest of
the package calls these as ``fsops.<name>`` (never imported by name), so the fault tests can
put a crash into any one of them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

from corral.models.fileio import fsync_dir, publish, rename_if_free, sha256_file, try_link

__all__ = [
    "ExportError",
    "abs_path",
    "content_hash",
    "copy_to_temp",
    "free_name",
    "fsync_dir",
    "is_real_dir",
    "name_key",
    "publish",
    "remove_quietly",
    "remove_source",
    "rename_no_replace",
    "same_content",
    "same_device",
    "temp_for",
    "verify",
]

_CHUNK = 1 << 20
_MAX_NAME_BYTES = 255


class ExportError(Exception):
    """An export, undo or table/sidecar write cannot go ahead; the message says why."""


def abs_path(path: str | Path) -> Path:
    """Absolute and normalised (``..`` removed) without following symbolic links."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def content_hash(path: Path) -> str:
    """``sha256:<hex>`` of the file, the form the journal and the project keep."""
    return "sha256:" + sha256_file(path)


def is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def same_device(a: Path, b_dir: Path) -> bool:
    """Whether file ``a`` and directory ``b_dir`` are on the same file system."""
    return os.lstat(a).st_dev == os.stat(b_dir).st_dev


def remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_source(src: Path) -> None:
    """Delete the original of a move once its copy is verified and named (a test hook)."""
    os.unlink(src)


# -- names -----------------------------------------------------------------------------------


def _with_number(name: str, n: int) -> str:
    """``"IMG 1.jpg"`` with ``n=2`` gives ``"IMG 1 (2).jpg"``, shortened to stay a valid name."""
    stem, ext = os.path.splitext(name)
    if len(os.fsencode(ext)) > 40:  # not an extension, just a dot in a long name
        stem, ext = name, ""
    suffix = f" ({n})"
    while stem and len(os.fsencode(stem + suffix + ext)) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return f"{stem}{suffix}{ext}"


def name_key(path: Path) -> str:
    """Compare planned names case-insensitively: on macOS and Windows ``A.jpg`` is ``a.jpg``."""
    return os.fspath(path).casefold()


def free_name(folder: Path, name: str, taken: set[str]) -> Path:
    """``folder/name``, or the first ``name (n).ext`` free on disk and not in ``taken``."""
    candidate = folder / name
    n = 1
    while os.path.lexists(candidate) or name_key(candidate) in taken:
        n += 1
        candidate = folder / _with_number(name, n)
    taken.add(name_key(candidate))
    return candidate


def temp_for(dst: Path, export_id: int, seq: int, undo: bool = False) -> Path:
    """The temporary name a copy is written to before it gets its real name.

    Derived from the journal row, so a rollback after a crash finds (and removes) it
    without guessing; short, so it fits even where the final name barely does.
    """
    return dst.parent / f".corral-{export_id}-{seq}{'.undo' if undo else ''}.part"


# -- copying and moving ----------------------------------------------------------------------


def copy_to_temp(src: Path, tmp: Path) -> tuple[int, str, float]:
    """Copy ``src`` into the new file ``tmp`` (which must not exist), keeping timestamps.

    Returns (size, sha256 of the bytes read, source mtime). The copy is fsynced so that
    the later "delete the original" of a move never runs ahead of the data.
    """
    st = os.stat(src)
    digest = hashlib.sha256()
    size = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(_CHUNK):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        try:
            shutil.copystat(src, tmp)
        except OSError:  # e.g. chmod refused on FAT: the timestamps still matter
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    except BaseException:
        remove_quietly(tmp)
        raise
    return size, "sha256:" + digest.hexdigest(), st.st_mtime


def verify(path: Path, size: int, expected_hash: str) -> None:
    """Raise :class:`ExportError` unless the file has this size and ``sha256:`` hash."""
    got_hash = content_hash(path)
    got_size = os.stat(path).st_size
    if got_size != size or got_hash != expected_hash:
        raise ExportError(
            f"the copy at {path} does not match the original ({got_size} of {size} bytes, "
            "different content); nothing was changed"
        )


def same_content(a: Path, b: Path, expected: str = "") -> bool:
    """Both regular files with the same bytes (and, if given, the journalled hash)."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    if not (stat.S_ISREG(sa.st_mode) and stat.S_ISREG(sb.st_mode)) or sa.st_size != sb.st_size:
        return False
    hash_b = content_hash(b)
    if expected and hash_b != expected:
        return False
    return content_hash(a) == hash_b


def rename_no_replace(src: Path, dst: Path) -> None:
    """Move within one file system without ever replacing ``dst``.

    Hard-link then unlink: if interrupted in between, both names point at the same inode,
    which a rollback recognises and resolves by dropping the new name.
    """
    if not os.path.islink(src) and try_link(src, dst):
        try:
            remove_source(src)
        except OSError:
            os.unlink(dst)  # the original stays where it was; the new name goes
            raise
        return
    rename_if_free(src, dst)
