"""Undoing an export, and rolling back one that a crash left half done.

The journal is walked backwards, newest step first, and each step is taken back by its
mode's ``revert`` (see :mod:`.modes`), which removes only what is verifiably Corral's own:
a copy only while it has the recorded size and hash, a hard link only while it is still the
same file as the original, a symbolic link only while it points where Corral pointed it; a
moved file goes back to its original path unless something else now lives there. Anything
else is left alone and reported. Moves leave the (possibly now empty) source folders in
place, so undo never has to guess which folders existed before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from corral.engine.jobs import Cancelled, CancelToken, ProgressCallback, StageProgress
from corral.engine.store import Project

from .fsops import ExportError
from .journal import BUSY, ExportJournal, OpRow, exclusive, undoable_export
from .modes import reverter

__all__ = ["UndoReport", "resume_or_rollback", "run_undo", "undo_export"]


@dataclass
class UndoReport:
    """What an undo did. ``left`` holds files kept on purpose, ``failed`` errors."""

    export_id: int
    undone: int = 0
    left: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.left and not self.failed


def undo_export(
    project: Project,
    export_id: int | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> UndoReport:
    """Revert an export (by default the newest one still applied), newest step first.

    Only what is verifiably Corral's own work is removed (see the module notes); anything
    changed since is left in place and listed in the report. Running it again retries
    what was left. Cancelling stops between steps (status ``partly_undone``).
    """
    if export_id is None:
        row = undoable_export(project)
        if row is None:
            raise ExportError("There is no export to undo.")
        export_id = row.id
    elif not project.journal.exists(export_id):
        raise ExportError(f"There is no export {export_id}.")
    with exclusive(project) as mine:
        if not mine:
            raise ExportError(BUSY)
        return run_undo(project, export_id, progress, cancel)


def resume_or_rollback(project: Project) -> list[int]:
    """Roll back every export or undo that a crash left half-done; returns their ids.

    Call it when a project is opened. Exports left ``applying`` are reverted entirely
    (the person never saw them finish); undos left ``undoing`` are finished. While another
    process holds the export lock nothing is touched and ``[]`` is returned.
    """
    with exclusive(project) as mine:
        if not mine:
            return []  # whatever is unfinished is being worked on right now, not crashed
        ids = project.journal.unfinished()
        for export_id in ids:
            run_undo(project, export_id, None, None)
        return ids


def run_undo(
    project: Project,
    export_id: int,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> UndoReport:
    """Take back every step of the export not undone yet; the caller holds the lock."""
    journal = project.journal
    report = UndoReport(export_id)
    ops = [op for op in journal.ops(export_id) if op.state != "undone"]
    journal.set_export(export_id, "undoing", finished=False)
    steps = StageProgress(progress, "undo", len(ops))
    try:
        for op in ops:
            if cancel is not None:
                cancel.check()
            _undo_one(journal, op, report)
            steps.advance(message=os.fspath(op.dst))
    except Cancelled:
        journal.set_export(export_id, "partly_undone", "undo cancelled")
        raise
    if report.complete:
        journal.set_export(export_id, "undone")
    else:
        journal.set_export(
            export_id,
            "partly_undone",
            f"{len(report.left)} left in place, {len(report.failed)} could not be restored",
        )
    return report


def _undo_one(journal: ExportJournal, op: OpRow, report: UndoReport) -> None:
    """Revert one journal row, recording the outcome in the row and the report."""
    state = op.state
    if state == "failed" and op.op == "mkdir":
        return  # the folder was never created by this export (it appeared or was refused)
    ours_for_sure = state in ("done", "kept")  # it happened; a pending/failed one may not have
    try:
        outcome, why = reverter(op.op)(op, ours_for_sure)
    except (OSError, ExportError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        journal.update_op(op.id, error=f"undo failed: {why}")
        report.failed.append((op.dst, why))
        return
    if state == "failed":
        return  # nothing of it remains now; it stays recorded as the failure it was
    if outcome == "undone":
        journal.update_op(op.id, state="undone")
        if op.op != "mkdir" and ours_for_sure:
            report.undone += 1
    elif outcome == "left" and ours_for_sure:
        journal.update_op(op.id, state="kept", error=why)
        report.left.append((op.dst, why))
    else:  # a pending step that never made anything of its own
        journal.update_op(op.id, state="undone")
