"""The work the desktop app hands to :class:`~corral.desktop.jobs.Job`: plain functions in the
engine's style (``progress`` and ``cancel`` keywords), with no Qt, so they run and test
anywhere. Each opens its own connection to the project file for its worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corral.engine import export
from corral.engine.jobs import CancelToken, ProgressCallback, ProgressEvent
from corral.engine.pipeline import RunResult, models_for, organize
from corral.engine.request import RunRequest
from corral.engine.stages.base import LazyModel
from corral.engine.store import Project
from corral.models.text_model import TextModel


class _AnnouncedModel(LazyModel):
    """A LazyModel that reports when it starts and ends loading (which can take a while)."""

    def __init__(self, inner: LazyModel, progress: ProgressCallback) -> None:
        super().__init__(inner.model_id, inner.get)
        self._inner = inner
        self._progress = progress

    def get(self) -> TextModel:
        if self.loaded:
            return super().get()
        self._progress(ProgressEvent("model", 0, 1, "Loading the model"))
        llm = super().get()
        self._progress(ProgressEvent("model", 1, 1, "Model loaded"))
        return llm

    def close(self) -> None:
        super().close()
        self._inner.close()


def organize_task(
    request: RunRequest, *, progress: ProgressCallback, cancel: CancelToken
) -> RunResult:
    """Check the model, then run the pipeline (which puts pinned items back in their groups)."""
    progress(ProgressEvent("model", 0, 1, "Checking the model"))
    model, embedder = models_for(request)
    lazy = _AnnouncedModel(model, progress)
    cancel.check()
    return organize(request, model=lazy, embedder=embedder, progress=progress, cancel=cancel)


@dataclass(frozen=True)
class OpenedProject:
    path: Path
    root: Path | None
    run_id: int | None  # the latest finished run
    criterion: str
    k: int | None
    rolled_back: list[int]  # exports a crash had left half-done, now reverted


def open_task(project_path: Path, *, progress: ProgressCallback, cancel: CancelToken) -> OpenedProject:
    """Open a project file, finishing any export a crash interrupted (it moves files)."""
    with Project.open(project_path, create=False) as project:
        rolled_back = export.resume_or_rollback(project)
        run = project.runs.latest()
        return OpenedProject(
            path=Path(project_path),
            root=project.root,
            run_id=run.id if run else None,
            criterion=run.criterion if run else "",
            k=run.k if run else None,
            rolled_back=rolled_back,
        )


def plan_export_task(
    project_path: Path,
    run_id: int,
    dest: Path,
    mode: str,
    include_unsure: bool,
    keep_subfolders: bool = False,
    *,
    progress: ProgressCallback,
    cancel: CancelToken,
) -> export.ExportPlan:
    with Project.open(project_path, create=False) as project:
        return export.plan_export(project, run_id, dest, mode, include_unsure=include_unsure,
                                  keep_subfolders=keep_subfolders)


def apply_export_task(
    project_path: Path, plan: export.ExportPlan, *, progress: ProgressCallback, cancel: CancelToken
) -> int:
    with Project.open(project_path, create=False) as project:
        return export.apply_export(project, plan, progress=progress, cancel=cancel)


def undo_export_task(
    project_path: Path, *, progress: ProgressCallback, cancel: CancelToken
) -> export.UndoReport:
    with Project.open(project_path, create=False) as project:
        return export.undo_export(project, progress=progress, cancel=cancel)


def system_check_task(model: str, *, progress: ProgressCallback, cancel: CancelToken) -> Any:
    """Help > System check: the same report as `corral doctor`."""
    from corral.engine.doctor import check

    progress(ProgressEvent("check", 0, 1))
    report = check(model)
    progress(ProgressEvent("check", 1, 1))
    return report
