"""What the export journal means, and the lock that guards it.

The journal itself (tables ``exports`` and ``export_ops``, typed rows) is the project
store's ``project.journal`` (:mod:`corral.engine.store.journal`). Every operation is
written as ``pending`` and committed before it touches the disk, and marked ``done`` (or
``failed``) after, so after any crash the journal says what may exist on disk. An export's status goes ``applying`` -> ``applied`` (or ``failed``), and an undo's
``undoing`` -> ``undone`` (or ``partly_undone``); ``applying``/``undoing`` left behind mean
a crash, which :func:`~corral.engine.export.undo.resume_or_rollback` finishes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one Corral process per project there
    fcntl = None  # type: ignore[assignment]

from corral.engine.store import Project
from corral.engine.store.journal import ExportJournal, ExportRow, OpRow

__all__ = [
    "BUSY",
    "UNDOABLE",
    "ExportJournal",
    "ExportRow",
    "OpRow",
    "exclusive",
    "list_exports",
    "undoable_export",
]

# An undo reverts the newest export in one of these states.
UNDOABLE = ("applied", "partly_undone")

BUSY = "Another export or undo of this project is running; try again when it has finished."


def list_exports(project: Project) -> list[ExportRow]:
    """Every export of the project, newest first, with its status and files in place."""
    return project.journal.exports()


def undoable_export(project: Project) -> ExportRow | None:
    """The export an undo would revert now, or None."""
    return next((row for row in list_exports(project) if row.status in UNDOABLE), None)


def exports_into(project: Project, dest: str | Path) -> list[ExportRow]:
    """Earlier exports of the project whose files are still in ``dest`` (newest first): an
    export into the same folder again adds ``name (2)`` copies next to them."""
    try:
        target = Path(dest).expanduser().resolve()
    except OSError:
        return []
    return [row for row in list_exports(project)
            if row.status in UNDOABLE and row.files_done and row.dest is not None
            and _same(row.dest, target)]


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b
    except OSError:
        return False


@contextmanager
def exclusive(project: Project) -> Iterator[bool]:
    """Hold the project's export lock while files are changed; yields False if it is taken.

    Without it, a second Corral process (the desktop app next to a CLI run) could take an
    export that is still running for a crashed one and roll it back under its feet. The
    lock is an advisory ``flock`` on ``<project>.export-lock``; the kernel drops it when the
    holder dies, which is exactly when ``resume_or_rollback`` should act.
    """
    if fcntl is None:
        yield True
        return
    path = Path(str(project.path) + ".export-lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock
