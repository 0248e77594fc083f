"""Applying a plan: make its folders, then put each file in place in the plan's mode.

Each operation is journalled as ``pending`` and committed before it touches the disk, then
marked ``done`` or ``failed``. A name that appears between planning and applying is replaced
by the next free ``name (2).ext`` and recorded. One file that cannot be exported fails on
its own; an unexpected error rolls back the whole export.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from corral.engine.jobs import Cancelled, CancelToken, ProgressCallback, StageProgress
from corral.engine.store import Project

from . import fsops
from .fsops import ExportError
from .journal import BUSY, ExportJournal, exclusive
from .modes import Step, mode
from .plan import ExportPlan, PlannedOp, validate_plan
from .undo import run_undo

__all__ = ["apply_export"]


def apply_export(
    project: Project,
    plan: ExportPlan,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Carry out ``plan`` and return the new export's id (for ``undo_export``).

    A file that cannot be exported (vanished, unreadable, hard link across drives...) is
    journalled as ``failed`` with the reason and the export goes on. Cancelling stops
    between files, keeps what was done (status ``applied``, error says so; undo reverts it)
    and raises :class:`~corral.engine.jobs.Cancelled`. An unexpected error rolls back what
    was done and raises :class:`ExportError`. A hard crash leaves status ``applying``;
    ``resume_or_rollback`` reverts it on the next start.
    """
    with exclusive(project) as mine:
        if not mine:
            raise ExportError(BUSY)
        return _apply(project, plan, progress, cancel)


def _apply(
    project: Project,
    plan: ExportPlan,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> int:
    journal = project.journal
    if journal.unfinished():
        raise ExportError(
            "An earlier export or undo was interrupted; roll it back (resume_or_rollback) first."
        )
    validate_plan(project, plan)
    export_id = journal.new_export(plan.run_id, plan.dest, plan.mode)
    runner = _Applier(journal, export_id, plan)
    steps = StageProgress(progress, "export", len(plan.ops))
    try:
        for op in plan.ops:
            if cancel is not None:
                cancel.check()
            runner.run(op)
            steps.advance(message=op.dst.name)
    except Exception as exc:
        if isinstance(exc, Cancelled):
            journal.set_export(
                export_id, "applied", f"cancelled after {steps.done} of {steps.total} steps"
            )
            raise
        try:
            run_undo(project, export_id, None, None)
        except Exception:  # the journal keeps it 'applying'/'undoing' for resume_or_rollback
            pass
        else:
            journal.set_export(export_id, "failed", f"rolled back after an error: {exc}")
        raise ExportError(f"The export stopped and was rolled back: {exc}") from exc
    failed = runner.failed
    journal.set_export(
        export_id, "applied", f"{failed} of {len(plan.file_ops)} files failed" if failed else ""
    )
    return export_id


class _Applier:
    """Runs the operations of one export, journalling each one."""

    def __init__(self, journal: ExportJournal, export_id: int, plan: ExportPlan) -> None:
        self.journal = journal
        self.export_id = export_id
        self.plan = plan
        self.mode = mode(plan.mode)
        self.seq = 0
        self.failed = 0
        self.folders: dict[Path, Path] = {}  # planned folder -> folder actually used
        self.bad_folders: dict[Path, str] = {}

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def run(self, op: PlannedOp) -> None:
        if op.op == "mkdir":
            self._mkdir(op.dst)
        else:
            assert op.src is not None
            self._file(op.src, op.dst)

    def _mkdir(self, planned: Path) -> None:
        dest_chain = planned == self.plan.dest or planned in self.plan.dest.parents
        base = planned
        if not dest_chain and planned.parent != self.plan.dest:  # a kept subfolder
            if planned.parent in self.bad_folders:
                self.bad_folders[planned] = self.bad_folders[planned.parent]
                return
            parent = self.folders.get(planned.parent, planned.parent)
            if not self._real_folder(parent):
                self.bad_folders[planned] = f"folder {parent} is missing or is not a real folder"
                return
            base = parent / planned.name  # inside the folder its parent really got
        target = base
        n = 1
        while True:
            if fsops.is_real_dir(target):  # appeared since planning: use it, it is not ours
                self.folders[planned] = target
                return
            if not os.path.lexists(target):
                seq = self._next_seq()
                op_id = self.journal.add_op(self.export_id, seq, "mkdir", None, target)
                try:
                    os.mkdir(target)
                except FileExistsError:
                    self.journal.update_op(op_id, state="failed", error="appeared meanwhile")
                    continue
                except OSError as exc:
                    self.journal.update_op(op_id, state="failed", error=str(exc))
                    if dest_chain:
                        raise ExportError(f"Cannot create {target}: {exc.strerror}") from exc
                    self.bad_folders[planned] = (
                        f"folder {target} could not be created: {exc.strerror}"
                    )
                    return
                fsops.fsync_dir(target.parent)
                self.journal.update_op(op_id, state="done")
                self.folders[planned] = target
                return
            if dest_chain:
                raise ExportError(f"{target} exists and is not a folder.")
            n += 1  # a file or link took the folder's name: use the next free one
            target = base.with_name(f"{base.name} ({n})")

    def _real_folder(self, folder: Path) -> bool:
        """``folder`` and every folder between it and the destination are real folders, so
        no symbolic link that appeared since planning leads the export elsewhere."""
        dest = self.plan.dest
        if folder != dest and dest not in folder.parents:
            return False
        while folder != dest:
            if not fsops.is_real_dir(folder):
                return False
            folder = folder.parent
        return True

    def _fail(self, src: Path, dst: Path, why: str) -> None:
        self.failed += 1
        self.journal.add_op(
            self.export_id, self._next_seq(), self.mode.name, src, dst, state="failed", error=why
        )

    def _file(self, src: Path, planned: Path) -> None:
        folder = self.folders.get(planned.parent, planned.parent)
        if planned.parent in self.bad_folders:
            self._fail(src, planned, self.bad_folders[planned.parent])
            return
        if not self._real_folder(folder):
            self._fail(src, planned, f"folder {folder} is missing or is not a real folder")
            return
        try:
            st = os.lstat(src)
        except OSError as exc:
            why = "the original no longer exists" if exc.errno == errno.ENOENT else str(exc)
            self._fail(src, planned, why)
            return
        dst = fsops.free_name(folder, planned.name, set())
        seq = self._next_seq()
        op_id = self.journal.add_op(
            self.export_id, seq, self.mode.name, src, dst, size=st.st_size, mtime=st.st_mtime
        )
        tmp = fsops.temp_for(dst, self.export_id, seq)
        try:
            fields = self.mode.do(Step(self.journal, op_id, src, dst, tmp))
        except (OSError, ExportError) as exc:
            fsops.remove_quietly(tmp)
            self.failed += 1
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.journal.update_op(op_id, state="failed", error=why)
            return
        self.journal.update_op(op_id, state="done", **fields)
