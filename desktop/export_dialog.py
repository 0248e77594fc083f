"""Export dialog: put the shown run's files into one folder per group, and undo it.

The preview is :func:`corral.engine.export.plan_export` (reads, never writes); applying and
undoing run as jobs with progress. All file work is the engine's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from corral.engine.export import (
    MODES,
    ExportPlan,
    UndoReport,
    exports_into,
    human_size,
    list_exports,
    renamed_from,
    undoable_export,
)
from corral.engine.jobs import ProgressEvent

from .dialogs import Asker
from .jobs import Job
from .session import ProjectSession
from .tasks import apply_export_task, plan_export_task, undo_export_task

MODE_HELP = {
    "copy": "Copy: the originals stay where they are.",
    "move": "Move: the originals leave the folder (undo puts them back).",
    "hardlink": "Hard link: no extra space; same drive only.",
    "symlink": "Symbolic link: small links that point to the originals.",
}


def _files(n: int) -> str:
    return "1 file" if n == 1 else f"{n} files"


class ExportDialog(QDialog):
    sig_planned = Signal(object)  # ExportPlan, shown in the preview
    sig_applied = Signal(int)  # the new export's id
    sig_undone = Signal(object)  # UndoReport
    sig_failed = Signal(str)

    def __init__(self, session: ProjectSession, asker: Asker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        run = session.run
        self.setWindowTitle(f"Export run {run.id}: \u201c{run.criterion}\u201d" if run else "Export groups to folders")
        self.resize(760, 560)
        self.session, self.asker = session, asker
        self.opener: Callable[[QUrl], bool] = QDesktopServices.openUrl  # tests replace it
        self.plan: ExportPlan | None = None
        self.job: Job | None = None
        self.last_export: int | None = None

        self.mode_combo = QComboBox()
        self.mode_combo.setAccessibleName("How to export")
        for mode in MODES:
            self.mode_combo.addItem(MODE_HELP[mode], mode)
        self.dest_edit = QLineEdit()
        self.dest_edit.setAccessibleName("Export into this folder")
        root = session.root
        earlier = list_exports(session.project) if session.project is not None else []
        last = next((row.dest for row in earlier if row.dest is not None), None)
        if last is not None:  # where this project was exported last time
            self.dest_edit.setText(str(last))
        elif root is not None:
            self.dest_edit.setText(str(root.parent / f"{root.name} (organized)"))
        choose = QPushButton("Choose\u2026")
        choose.clicked.connect(self._choose_dest)
        self.include_unsure = QCheckBox("Include files the model was unsure about")
        self.include_unsure.setChecked(True)
        self.keep_subfolders = QCheckBox("Keep subfolders inside each group\u2019s folder")
        self.keep_subfolders.setAccessibleName("Keep subfolders")
        self.keep_subfolders.setToolTip(
            "Off: every file goes straight into its group\u2019s folder (Bills/a.pdf).\n"
            "On: a file keeps the subfolders it is in below the organized folder "
            "(Bills/2024/March/a.pdf).")
        for signal in (self.mode_combo.currentIndexChanged, self.dest_edit.textChanged,
                       self.include_unsure.toggled, self.keep_subfolders.toggled):
            signal.connect(self._settings_changed)
        dest_row = QHBoxLayout()
        dest_row.addWidget(self.dest_edit, 1)
        dest_row.addWidget(choose)
        form = QFormLayout()
        form.addRow("How:", self.mode_combo)
        form.addRow("Into:", dest_row)
        form.addRow("", self.include_unsure)
        form.addRow("", self.keep_subfolders)

        self.tree = QTreeWidget()
        self.tree.setAccessibleName("What the export will do")
        self.tree.setHeaderLabels(["Folder or file", "Size"])
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.hide()

        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.preview)
        self.apply_button = QPushButton("Export")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.undo_button = QPushButton("Undo last export")
        self.undo_button.clicked.connect(self.undo)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel_job)
        self.cancel_button.hide()
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.setToolTip("Open the folder the files were exported into")
        self.open_folder_button.clicked.connect(self.open_folder)
        self.open_folder_button.hide()
        self._exported_to: Path | None = None
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        for button in (self.open_folder_button, self.preview_button, self.apply_button, self.cancel_button, close):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self._update_undo()

    # -- helpers -------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def set_mode(self, mode: str) -> None:
        self.mode_combo.setCurrentIndex(self.mode_combo.findData(mode))

    def _choose_dest(self) -> None:
        path = self.asker.folder("Export into", self.dest_edit.text() or str(Path.home()))
        if path:
            self.dest_edit.setText(path)

    def _settings_changed(self) -> None:
        had_plan = self.plan is not None or self.tree.topLevelItemCount() > 0
        self.plan = None
        self.apply_button.setEnabled(False)
        if had_plan and self.job is None:  # the preview shown is of the old choice
            self.tree.clear()
            self.status.setStyleSheet("")
            self.status.setText("The choice changed: press Preview to see what the export will do, "
                                "then Export.")

    def _update_undo(self) -> None:
        project = self.session.project
        self.undo_button.setEnabled(bool(project and undoable_export(project)) and self.job is None)

    def _start(self, job: Job, message: str) -> Job:
        self.job = job
        for button in (self.preview_button, self.apply_button, self.undo_button):
            button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(message)
        job.sig_progress.connect(self._progress)
        job.sig_failed.connect(self._failed)
        job.sig_cancelled.connect(self._cancelled)
        return job.start()

    def _job_ended(self) -> None:
        self.job = None
        self.progress.hide()
        self.cancel_button.hide()
        self.preview_button.setEnabled(True)
        self.apply_button.setEnabled(self.plan is not None and bool(self.plan.file_ops))
        self._update_undo()

    def _progress(self, event: ProgressEvent) -> None:
        self.progress.show()
        self.progress.setRange(0, max(event.total, 1))
        self.progress.setValue(event.done)

    def _failed(self, message: str) -> None:
        self._job_ended()
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(message)
        self.sig_failed.emit(message)

    def _cancelled(self) -> None:
        self.plan = None
        self._job_ended()
        self.status.setText("Stopped. What was done so far can be undone with \u201cUndo last export\u201d.")

    def _cancel_job(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def reject(self) -> None:
        if self.job is not None:  # never leave a job running behind a closed dialog
            self.job.cancel()
            return
        super().reject()

    # -- preview -------------------------------------------------------------------------
    def preview(self) -> Job | None:
        dest = self.dest_edit.text().strip()
        if self.session.path is None or self.session.run_id is None or not dest:
            self.status.setText("Choose a destination folder first.")
            return None
        job = Job(
            plan_export_task, self.session.path, self.session.run_id, Path(dest).expanduser(),
            self.mode, self.include_unsure.isChecked(), self.keep_subfolders.isChecked(),
            name="plan export",
        )
        job.sig_finished.connect(self._planned)
        return self._start(job, "Working out what the export would do\u2026")

    def _planned(self, plan: ExportPlan) -> None:
        self.plan = plan
        self._job_ended()
        self.show_plan(plan)
        self.sig_planned.emit(plan)

    def show_plan(self, plan: ExportPlan) -> None:
        self.tree.clear()
        for folder in plan.folders():
            mark = "  (new)" if folder.new else ""
            item = QTreeWidgetItem([f"{folder.path.name}/{mark}", _files(len(folder.files))])
            for op in folder.files:
                renamed = f"   \u2190 {renamed_from(op)}" if renamed_from(op) else ""
                item.addChild(QTreeWidgetItem([folder.shown_name(op) + renamed, human_size(op.size)]))
            self.tree.addTopLevelItem(item)
        if plan.skipped:
            skipped = QTreeWidgetItem([f"Not exported ({len(plan.skipped)})", ""])
            for path, why in plan.skipped:
                skipped.addChild(QTreeWidgetItem([f"{path}: {why}", ""]))
            self.tree.addTopLevelItem(skipped)
        self.tree.expandAll()
        n = len(plan.file_ops)
        lines = [f"{_files(n)} ({human_size(plan.total_size)}) into {plan.dest}."]
        if plan.skipped:
            lines.append(f"{_files(len(plan.skipped))} not exported (listed at the end).")
        lines += plan.warnings
        self.status.setText("\n".join(lines) if n else "Nothing to export.")
        self.apply_button.setEnabled(n > 0 and self.job is None)

    # -- apply and undo ------------------------------------------------------------------
    def apply(self) -> Job | None:
        plan = self.plan
        if plan is None or self.session.path is None:
            return None
        earlier = exports_into(self.session.project, plan.dest) if self.session.project else []
        if earlier and not self.asker.confirm(
            "Export again into the same folder",
            f"{plan.dest} already holds an earlier export of this project (run {earlier[0].run_id}, "
            f"{earlier[0].files_done} files). Export into it again? Nothing there is replaced: files "
            "of the same name get \u201cname (2)\u201d. \u201cUndo last export\u201d removes only the newest.",
        ):
            return None
        if plan.mode == "move" and not self.asker.confirm(
            "Move files", f"Move {_files(len(plan.file_ops))} out of {self.session.root}? Undo puts them back."
        ):
            return None
        job = Job(apply_export_task, self.session.path, plan, name="export")
        job.sig_finished.connect(self._applied)
        self.cancel_button.show()
        return self._start(job, "Exporting\u2026")

    def _applied(self, export_id: int) -> None:
        self.last_export = export_id
        count = len(self.plan.file_ops) if self.plan else 0
        dest = self.plan.dest if self.plan else ""
        self.plan = None
        self._job_ended()
        files = "1 file" if count == 1 else f"{count} files"
        self.status.setText(f"Exported {files} into {dest}. \u201cUndo last export\u201d takes them back out.")
        self._exported_to = Path(dest) if dest else None
        self.open_folder_button.setVisible(self._exported_to is not None)
        self.sig_applied.emit(export_id)

    def open_folder(self) -> None:
        if self._exported_to is not None:
            self.opener(QUrl.fromLocalFile(str(self._exported_to)))

    def undo(self) -> Job | None:
        if self.session.path is None:
            return None
        job = Job(undo_export_task, self.session.path, name="undo export")
        job.sig_finished.connect(self._undone)
        return self._start(job, "Undoing the last export\u2026")

    def _undone(self, report: UndoReport) -> None:
        self._job_ended()
        text = f"Undone: {_files(report.undone)} taken back."
        if report.left or report.failed:
            kept = [f"{p}: {why}" for p, why in report.left + report.failed]
            text += " Left in place:\n" + "\n".join(kept[:20])
        self.status.setText(text)
        self.sig_undone.emit(report)
