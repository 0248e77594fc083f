"""Run page: one progress row per stage with counts and time left, and a Cancel button.

The page watches a :class:`~corral.desktop.jobs.Job`; it never runs anything itself. The
main window decides where to go when the job ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from corral.engine.jobs import ProgressEvent

from ..jobs import Job

STAGES = (
    ("scan", "Read the folder"),
    ("describe", "Describe each file"),
    ("propose", "Propose labels"),
    ("merge", "Choose the groups"),  # the papers' pure-LLM method
    ("reask", "Ask some files again"),  # does the text carry the criterion (stages/relevance.py)
    ("cluster", "Find the groups"),  # the hybrid method (embeddings)
    ("check", "Check each group (automatic K)"),  # the model's coherence checks, K not given
    ("name", "Name the groups"),
    ("assign", "Put each file in a group"),
)
# stages shown in the status line only (they run on some folders, K given: stages/vocabulary.py)
OTHER_STAGES = {
    "choose": "Choose among the criterion's common answers",
    "judge": "Weigh each file's two answers",
}


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass
class _StageRow:
    bar: QProgressBar
    count: QLabel
    left: QLabel
    started: float | None = None


class RunPage(QWidget):
    sig_back_requested = Signal()
    sig_settings_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.job: Job | None = None
        self._started = 0.0
        self.title = QLabel("<h2>Organizing</h2>")
        self.detail = QLabel()
        self._detail = ""  # the run's own line; the estimate is added under it
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        self.rows: dict[str, _StageRow] = {}
        for r, (stage, label) in enumerate(STAGES):
            bar = QProgressBar()
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setTextVisible(False)
            count, left = QLabel("waiting"), QLabel("")
            count.setMinimumWidth(90)
            left.setMinimumWidth(120)
            grid.addWidget(QLabel(label), r, 0)
            grid.addWidget(bar, r, 1)
            grid.addWidget(count, r, 2)
            grid.addWidget(left, r, 3)
            self.rows[stage] = _StageRow(bar, count, left)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current step (Esc). Finished work is kept.")
        self.cancel_button.clicked.connect(self.cancel)
        self.settings_button = QPushButton("Settings\u2026")
        self.settings_button.clicked.connect(self.sig_settings_requested)
        self.back_button = QPushButton("Back")
        self.back_button.clicked.connect(self.sig_back_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.settings_button, self.back_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addSpacing(12)
        layout.addLayout(grid)
        layout.addSpacing(12)
        layout.addWidget(self.status)
        layout.addStretch(1)
        layout.addLayout(buttons)

    # -- following a job -----------------------------------------------------------------
    def watch(self, job: Job, detail: str) -> None:
        self.job = job
        self._started = time.monotonic()
        self._detail = detail
        self.detail.setText(detail)
        for row in self.rows.values():
            row.bar.setRange(0, 1)
            row.bar.setValue(0)
            row.count.setText("waiting")
            row.left.setText("")
            row.started = None
        self.title.setText("<h2>Organizing\u2026</h2>")
        self._set_status("Starting\u2026")
        self._set_running(True)
        job.sig_progress.connect(self.show_progress)
        job.sig_finished.connect(self._finished)
        job.sig_failed.connect(self._failed)
        job.sig_cancelled.connect(self._cancelled)

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def cancel(self) -> None:
        if self.running and self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self._set_status("Cancelling after the current step\u2026")

    def show_progress(self, event: ProgressEvent) -> None:
        if event.stage == "estimate":  # how long the model work will take, said once
            self.detail.setText(f"{self._detail}\n{event.message}")
            return
        if event.stage == "model":
            if event.message:
                self._set_status(f"{event.message}\u2026" if event.done < event.total else event.message)
            return
        row = self.rows.get(event.stage)
        if row is None:
            if event.stage in OTHER_STAGES:
                self._set_status(f"{OTHER_STAGES[event.stage]}: {event.done} of {event.total}")
            return
        now = time.monotonic()
        if row.started is None:
            row.started = now
        total = max(event.total, 1)
        row.bar.setRange(0, total)
        row.bar.setValue(min(event.done, total))
        row.count.setText(f"{event.done} of {event.total}")
        if event.total and event.done >= event.total:
            row.left.setText(f"done in {format_seconds(now - row.started)}")
        elif event.done:
            left = (now - row.started) / event.done * (event.total - event.done)
            row.left.setText(f"about {format_seconds(left)} left")
        else:
            row.left.setText("")
        order = [stage for stage, _ in STAGES]
        if event.stage in order:  # the stages run in this order: one not started is not needed
            for stage in order[:order.index(event.stage)]:
                if self.rows[stage].started is None:
                    self.rows[stage].count.setText("not needed")
        label = dict(STAGES).get(event.stage, event.stage)
        self._set_status(f"{label}: {event.message}" if event.message else f"{label}\u2026")

    def _finished(self, _result: object) -> None:
        self._set_running(False)
        for row in self.rows.values():  # the other method's stages did not run
            if row.started is None:
                row.count.setText("not needed")
        self.title.setText("<h2>Done</h2>")
        self._set_status(f"Finished in {format_seconds(time.monotonic() - self._started)}.")

    def show_error(self, message: str) -> None:
        self._failed(message)

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.title.setText("<h2>The run stopped</h2>")
        self._set_status(message, error=True)

    def _cancelled(self) -> None:
        self._set_running(False)
        self.title.setText("<h2>Cancelled</h2>")
        self._set_status(
            "Cancelled. The work finished so far is saved in the project: run it again "
            "and Corral continues where it stopped."
        )

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c62828;" if error else "")

    def _set_running(self, running: bool) -> None:
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.back_button.setVisible(not running)
        self.settings_button.setVisible(not running)
