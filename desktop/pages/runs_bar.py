"""The review page's run chooser: show an earlier run, compare two runs, restore one; for a
run whose K was chosen automatically, how it was chosen and "fewer / more groups"; a run
whose files' text did not carry the criterion says so (stages/relevance.py), and so does one
whose pictures nothing described the content of (no classifier, no vision model)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from corral.engine.describers import explain_unseen
from corral.engine.stages.autok import explain_k
from corral.engine.stages.cluster import explain_moments
from corral.engine.stages.form import explain as explain_form
from corral.engine.stages.form import explain_answer_words
from corral.engine.stages.relevance import explain as explain_text_check
from corral.engine.stages.vocabulary import explain as explain_vocabulary

from ..dialogs import Asker
from ..session import ProjectSession

MAX_SHOWN = 10  # lines in the message; the whole list is behind Show Details


class RunsBar(QWidget):
    sig_k_requested = Signal(int)  # group the shown run's files again into this many groups

    def __init__(self, session: ProjectSession, asker: Asker) -> None:
        super().__init__()
        self.session, self.asker = session, asker
        self.combo = QComboBox()
        self.combo.setAccessibleName("Run shown")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.combo.setToolTip("Show an earlier run of this project")
        self.combo.activated.connect(self._chosen)
        self.compare_button = QPushButton("Compare\u2026")
        self.compare_button.setToolTip("List the files that are in another group in another run")
        self.compare_button.clicked.connect(self.compare)
        self.restore_button = QPushButton("Restore this run")
        self.restore_button.setToolTip("Make this earlier result the current one again")
        self.restore_button.clicked.connect(self.restore)
        self.how_k = QLabel()  # "6 groups chosen automatically: ..."
        self.how_k.setWordWrap(True)
        self.fewer_button = QPushButton("Fewer groups")
        self.fewer_button.setToolTip("Group the files again into one group fewer (the model's answers are reused)")
        self.fewer_button.clicked.connect(lambda: self._regroup(-1))
        self.more_button = QPushButton("More groups")
        self.more_button.setToolTip("Group the files again into one group more (the model's answers are reused)")
        self.more_button.clicked.connect(lambda: self._regroup(+1))
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Run:"))
        row.addWidget(self.combo, 1)
        row.addWidget(self.compare_button)
        row.addWidget(self.restore_button)
        column.addLayout(row)
        self.k_row = QWidget()
        k_line = QHBoxLayout(self.k_row)
        k_line.setContentsMargins(0, 0, 0, 0)
        k_line.addWidget(self.how_k, 1)
        k_line.addWidget(self.fewer_button)
        k_line.addWidget(self.more_button)
        column.addWidget(self.k_row)
        self.text_check = QLabel()  # where the form led, the answers outweighed the text, or pictures went unseen
        self.text_check.setWordWrap(True)
        column.addWidget(self.text_check)
        session.sig_runs_changed.connect(self._runs_changed)
        session.sig_changed.connect(self._shown_changed)
        self._runs_changed()

    def _runs_changed(self) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        for run in self.session.finished_runs():
            self.combo.addItem(run.label, run.id)
        self.combo.blockSignals(False)
        self._shown_changed()

    def _shown_changed(self) -> None:
        self.combo.blockSignals(True)
        labels = {run.id: run.label for run in self.session.runs}
        for i in range(self.combo.count()):  # an edit changes the counts and adds ", edited"
            label = labels.get(self.combo.itemData(i))
            if label is not None and label != self.combo.itemText(i):
                self.combo.setItemText(i, label)
        self.combo.setCurrentIndex(max(0, self.combo.findData(self.session.run_id)))
        self.combo.blockSignals(False)
        finished = self.session.finished_runs()
        run = self.session.run
        self.restore_button.setEnabled(bool(run and finished and run.id != finished[0].id))
        self.compare_button.setEnabled(len(finished) > 1)
        how = explain_k(run.stats.get("auto_k")) if run is not None and run.k is None else ""
        self.how_k.setText(how)
        self.k_row.setVisible(bool(how))
        self.fewer_button.setEnabled(bool(run and run.groups > 2))
        check = run.stats.get("text_check") if run is not None else None
        led = run.stats.get("form") if run is not None else None
        words = explain_answer_words(run.stats.get("answer_words")) if run is not None else ""
        chose = explain_vocabulary(run.stats.get("vocabulary")) if run is not None else ""
        moments = explain_moments(run.stats.get("blocks")) if run is not None else ""
        note = "; ".join(n for n in (chose, explain_form(led), explain_text_check(check), words, moments) if n)
        # shown where the grouping did not simply follow the text's topic
        shown = (explain_form(led) if led and led.get("leads") == "form"
                 else explain_text_check(check) if check and not check.get("text_carries") else "")
        unseen = explain_unseen(run.stats.get("images")) if run is not None else ""
        lines = [line[:1].upper() + line[1:] + "." for line in (shown, unseen) if line]
        self.text_check.setText("\n".join(lines))
        self.text_check.setVisible(bool(lines))
        self.combo.setToolTip("Show an earlier run of this project" + (f"\n({note})" if note else ""))

    def _regroup(self, step: int) -> None:
        run = self.session.run
        if run is not None:
            self.sig_k_requested.emit(max(2, run.groups + step))

    def _chosen(self, index: int) -> None:
        run_id = self.combo.itemData(index)
        if run_id is not None:
            self.session.show_run(int(run_id))

    def restore(self) -> None:
        run = self.session.run
        if run is not None and self.asker.confirm(
            "Restore run", f"Make run {run.id} the current result again (as a new run)?"
        ):
            self.session.restore_run(run.id)

    def compare(self) -> None:
        run = self.session.run
        others = [r for r in self.session.finished_runs() if run is None or r.id != run.id]
        if run is None or not others:
            self.asker.inform("Compare runs", "There is no other finished run to compare with.")
            return
        n = self.asker.choice("Compare runs", f"Compare run {run.id} with:", [r.label for r in others])
        if n is None:
            return
        other = others[n].id
        changes = self.session.compare(other)
        if not changes:
            self.asker.inform("Compare runs", f"Every file is in the same group in runs {other} and {run.id}.")
            return
        lines = [f"{c.path}: {c.before or 'no group'} \u2192 {c.after or 'no group'}" for c in changes]
        files = "1 file is" if len(changes) == 1 else f"{len(changes)} files are"
        head = f"{files} in another group in run {run.id} than in run {other}:\n\n"
        shown = "\n".join(lines[:MAX_SHOWN])
        if len(lines) > MAX_SHOWN:
            shown += f"\n\u2026 and {len(lines) - MAX_SHOWN} more (Show Details lists them all)"
        self.asker.inform("Compare runs", head + shown, details="\n".join(lines))
