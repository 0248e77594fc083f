"""The export modes, each one pair: ``do`` puts a file in place, ``revert`` takes it back.

``do`` runs after the operation is journalled as ``pending``; it returns the journal fields
to record with ``done``. A copy is verified and its hash journalled *before* it gets its
name, so the journal always knows whether a file at a destination is one Corral made.

``revert`` is given a journal row and whether the operation is known to have happened
(``ours``: state ``done`` or ``kept``; a ``pending`` one may have stopped anywhere). It
removes only what is verifiably Corral's own work and answers ``("undone", "")`` or
``("left", why)``. Every revert is safe to repeat, so a crash during a rollback is handled
by running it again.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import fsops
from .fsops import ExportError
from .journal import ExportJournal, OpRow

__all__ = ["MODES", "Mode", "Outcome", "Step", "mode", "reverter"]

Outcome = tuple[str, str]  # ("undone" | "left", why it was left)


@dataclass
class Step:
    """One file operation being applied: its journal row, its paths, its temporary name."""

    journal: ExportJournal
    op_id: int
    src: Path
    dst: Path
    tmp: Path

    def claim_name(self, action: Callable[[Path], None]) -> Path:
        """Run ``action(dst)``; if the name was taken meanwhile, journal the next free one."""
        for _ in range(100):
            try:
                action(self.dst)
                return self.dst
            except FileExistsError:
                self.dst = fsops.free_name(self.dst.parent, self.dst.name, set())
                self.journal.update_op(self.op_id, dst=self.dst)
        raise ExportError(f"no free name next to {self.dst}")


class Mode:
    """How one kind of export puts a file in place and takes it back."""

    name: str
    verb: str  # the plan's preview: "Copy 12 files (3.1 MB) into ..."

    def do(self, step: Step) -> dict[str, Any]:
        raise NotImplementedError

    def revert(self, row: OpRow, ours: bool) -> Outcome:
        raise NotImplementedError


def _copy_verified(step: Step) -> dict[str, Any]:
    """Copy to the temporary name, verify, journal the hash, then give it its name."""
    size, digest, mtime = fsops.copy_to_temp(step.src, step.tmp)
    fsops.verify(step.tmp, size, digest)
    # Journalled before the copy gets its name: any file at dst with this hash is ours.
    step.journal.update_op(step.op_id, size=size, mtime=mtime, content_hash=digest)
    dst = step.claim_name(lambda d: fsops.publish(step.tmp, d))
    fsops.fsync_dir(dst.parent)
    return {"dst": dst, "size": size, "content_hash": digest}


class Copy(Mode):
    name, verb = "copy", "Copy"

    def do(self, step: Step) -> dict[str, Any]:
        return _copy_verified(step)

    def revert(self, row: OpRow, ours: bool) -> Outcome:
        dst = row.dst
        fsops.remove_quietly(fsops.temp_for(dst, row.export_id, row.seq))
        if not os.path.lexists(dst):
            return "undone", ""
        if not row.content_hash:  # never got as far as being named: whatever is at dst is not ours
            return "left", "not made by Corral"
        st = os.lstat(dst)
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_size != row.size
            or fsops.content_hash(dst) != row.content_hash
        ):
            return "left", "changed since the export; kept"
        if row.src is None or not os.path.exists(row.src):
            return "left", "the original is gone, so this copy is kept"
        os.unlink(dst)
        return "undone", ""


class Move(Mode):
    name, verb = "move", "Move"

    def do(self, step: Step) -> dict[str, Any]:
        src = step.src
        if fsops.same_device(src, step.dst.parent):
            try:
                dst = step.claim_name(lambda d: fsops.rename_no_replace(src, d))
            except OSError as exc:
                if exc.errno != errno.EXDEV:  # a bind mount can hide a device boundary
                    raise
            else:
                fsops.fsync_dir(dst.parent)
                fsops.fsync_dir(src.parent)
                return {"dst": dst}
        if os.path.islink(src):
            raise ExportError("is a symbolic link; not moved to another drive")
        fields = _copy_verified(step)
        try:
            fsops.remove_source(src)
        except OSError as exc:
            # Keep the original and take the copy back, so the item is simply not moved.
            fsops.remove_quietly(fields["dst"])
            raise ExportError(
                f"the original could not be removed ({exc.strerror}); not moved"
            ) from exc
        fsops.fsync_dir(src.parent)
        return fields

    def revert(self, row: OpRow, ours: bool) -> Outcome:
        """Put a moved file back at its original path, whatever step a crash interrupted."""
        src, dst = row.src, row.dst
        assert src is not None
        fsops.remove_quietly(fsops.temp_for(dst, row.export_id, row.seq))
        fsops.remove_quietly(fsops.temp_for(src, row.export_id, row.seq, undo=True))
        if not os.path.lexists(dst):
            if os.path.lexists(src):
                return "undone", ""  # never moved, or already back
            if not ours:
                return "undone", ""
            raise ExportError(f"the file is neither at {dst} nor at its original place")
        if os.path.lexists(src):
            # Both names exist: interrupted between link and unlink (same inode), or between
            # publishing a cross-drive copy and deleting the original (same bytes). Either way
            # the original is intact and the export's name can go.
            if not os.path.islink(dst) and not os.path.islink(src) and os.path.samefile(src, dst):
                os.unlink(dst)
                return "undone", ""
            if (ours or row.content_hash) and fsops.same_content(src, dst, row.content_hash):
                os.unlink(dst)
                return "undone", ""
            return "left", f"something else now exists at the original place {src}; kept here"
        if not ours and not _looks_moved(row, dst):
            return "left", "not made by Corral"
        src.parent.mkdir(parents=True, exist_ok=True)
        if os.path.islink(dst) or fsops.same_device(dst, src.parent):
            fsops.rename_no_replace(dst, src)
        else:
            tmp = fsops.temp_for(src, row.export_id, row.seq, undo=True)
            size, digest, _ = fsops.copy_to_temp(dst, tmp)
            fsops.verify(tmp, size, digest)
            fsops.publish(tmp, src)
            fsops.fsync_dir(src.parent)
            os.unlink(dst)
        fsops.fsync_dir(src.parent)
        return "undone", ""


def _looks_moved(row: OpRow, path: Path) -> bool:
    """For a move a crash interrupted: is the file at ``path`` the one that was moved?

    A journalled hash settles it; otherwise size and modification time (which a rename
    keeps) must match what was recorded just before the move.
    """
    st = os.lstat(path)
    if row.content_hash:
        return stat.S_ISREG(st.st_mode) and fsops.content_hash(path) == row.content_hash
    return st.st_size == row.size and row.mtime is not None and abs(st.st_mtime - row.mtime) < 1e-6


_CROSS_DEVICE = (
    "cannot hard-link across drives/file systems; the destination is on a different one "
    "than the original (use copy or symlink)"
)


class Hardlink(Mode):
    name, verb = "hardlink", "Hard-link"

    def do(self, step: Step) -> dict[str, Any]:
        src = step.src
        try:
            if not fsops.same_device(src, step.dst.parent):
                raise OSError(errno.EXDEV, "Invalid cross-device link", os.fspath(src))
            dst = step.claim_name(lambda d: os.link(src, d, follow_symlinks=False))
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                raise ExportError(_CROSS_DEVICE) from exc
            raise
        return {"dst": dst}

    def revert(self, row: OpRow, ours: bool) -> Outcome:
        src, dst = row.src, row.dst
        if not os.path.lexists(dst):
            return "undone", ""
        if src is None or not os.path.lexists(src):
            return "left", "the original is gone, so this link is kept"
        if os.path.islink(dst) or not os.path.samefile(src, dst):
            return "left", "is no longer the same file as the original; kept"
        os.unlink(dst)
        return "undone", ""


class Symlink(Mode):
    name, verb = "symlink", "Symlink"

    def do(self, step: Step) -> dict[str, Any]:
        src = step.src
        return {"dst": step.claim_name(lambda d: os.symlink(src, d))}

    def revert(self, row: OpRow, ours: bool) -> Outcome:
        dst = row.dst
        if not os.path.lexists(dst):
            return "undone", ""
        if not os.path.islink(dst) or row.src is None or os.readlink(dst) != os.fspath(row.src):
            return "left", "no longer the link Corral made; kept"
        os.unlink(dst)
        return "undone", ""


def revert_folder(row: OpRow, ours: bool) -> Outcome:
    """Remove a folder the export made, if it is still a folder and empty."""
    dst = row.dst
    if not os.path.lexists(dst):
        return "undone", ""
    if not fsops.is_real_dir(dst):
        return "left", "is no longer a folder"
    try:
        os.rmdir(dst)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return "left", "folder is not empty"
        raise
    return "undone", ""


_BY_NAME: dict[str, Mode] = {m.name: m for m in (Copy(), Move(), Hardlink(), Symlink())}
MODES = tuple(_BY_NAME)  # ("copy", "move", "hardlink", "symlink")


def mode(name: str) -> Mode:
    """The mode of that name (``KeyError`` for an unknown one)."""
    return _BY_NAME[name]


def reverter(op: str) -> Callable[[OpRow, bool], Outcome]:
    """How to take back one journalled operation: a folder made, or a file in some mode."""
    return revert_folder if op == "mkdir" else _BY_NAME[op].revert
