"""Review page: the groups, the members of one group, and a preview of one item.

Three panes side by side (:mod:`.review_groups`, :mod:`.review_members`,
:mod:`.review_preview`) under the run chooser. Everything shown comes from the
:class:`~corral.desktop.session.ProjectSession` through the item models; every edit goes back
through the session. Choosing a group lists its members; choosing a member previews it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from corral.engine.review import UNASSIGNED

from ..dialogs import Asker
from ..models_list import plain_model
from ..session import ProjectSession
from .parts import button
from .review_groups import GroupsPane
from .review_members import MembersPane
from .review_preview import PreviewPane
from .runs_bar import RunsBar


def _count(n: int, thing: str) -> str:
    return f"1 {thing}" if n == 1 else f"{n} {thing}s"


class ReviewPage(QWidget):
    sig_rerun_requested = Signal()
    sig_export_requested = Signal()

    def __init__(self, session: ProjectSession, asker: Asker) -> None:
        super().__init__()
        self.session, self.asker = session, asker
        self.groups = GroupsPane(session, asker)
        self.members = MembersPane(session, asker)
        self.preview = PreviewPane(session, self.members.model.thumbs)
        self.groups.sig_group_chosen.connect(self.members.show_group)
        self.members.sig_member_chosen.connect(self.preview.show_member)

        # Top: which run, what it was asked, and what to do with it.
        self.runs_bar = RunsBar(session, asker)
        top = QHBoxLayout()
        top.addWidget(self.runs_bar, 1)
        top.addWidget(button("Edit criterion / K\u2026", "Change the criterion or the number of "
                             "groups and run again (Ctrl+R)", self.sig_rerun_requested))
        top.addWidget(button("Export\u2026", "Put the files into one folder per group (Ctrl+E)",
                             self.sig_export_requested))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        find_bar = self._find_bar()

        splitter = QSplitter()
        for pane, stretch in ((self.groups, 2), (self.members, 4), (self.preview, 3)):
            splitter.addWidget(pane)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addLayout(find_bar)
        layout.addWidget(splitter, 1)

        session.sig_changed.connect(self._session_changed)
        session.sig_filter_changed.connect(self._session_changed)
        session.sig_opened.connect(self.clear_filter)  # another project: every file again
        self._session_changed()

    def _find_bar(self) -> QHBoxLayout:
        """Find and filter across every group: name or text, doubtful only, kind."""
        self.find_edit = QLineEdit()
        self.find_edit.setPlaceholderText("Find files by name or text (Ctrl+F)")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setAccessibleName("Find files")
        self.find_edit.setToolTip("Show, in every group, only the files whose name or text holds this")
        self.doubtful_only = QCheckBox("Doubtful only")
        self.doubtful_only.setToolTip("Show only the files the model was unsure about")
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind of file")
        for text, kind in (("All files", None), ("Documents", "document"), ("Pictures", "image")):
            self.kind_combo.addItem(text, kind)
        self.find_edit.textChanged.connect(self.apply_filter)
        self.doubtful_only.toggled.connect(self.apply_filter)
        self.kind_combo.currentIndexChanged.connect(self.apply_filter)
        bar = QHBoxLayout()
        bar.addWidget(self.find_edit, 1)
        bar.addWidget(self.doubtful_only)
        bar.addWidget(self.kind_combo)
        return bar

    def apply_filter(self) -> None:
        self.session.set_filter(self.find_edit.text(), self.doubtful_only.isChecked(),
                                self.kind_combo.currentData())

    def clear_filter(self) -> None:
        for widget in (self.find_edit, self.doubtful_only, self.kind_combo):
            widget.blockSignals(True)
        self.find_edit.clear()
        self.doubtful_only.setChecked(False)
        self.kind_combo.setCurrentIndex(0)
        for widget in (self.find_edit, self.doubtful_only, self.kind_combo):
            widget.blockSignals(False)
        self.apply_filter()

    def _session_changed(self) -> None:
        run = self.session.run
        if run is None:
            self.summary.setText("No finished run yet.")
        else:
            k = "automatic" if run.k is None else str(run.k)
            loose = len(self.session.members_of(UNASSIGNED))
            extra = f", {loose} not in a group" if loose else ""
            text = (
                f"Grouped by \u201c{run.criterion}\u201d (K: {k}, model {plain_model(run.model)}): "
                f"{_count(self.session.item_count, 'file')} in {_count(len(self.session.groups), 'group')}{extra}."
            )
            if self.session.filtering:
                shown = self.groups.model.rowCount()
                groups = [self.groups.model.group_at(r) for r in range(shown)]
                found = sum(len(self.session.shown_members(g.idx)) for g in groups if g is not None)
                files = "1 file matches" if found == 1 else f"{found} files match"
                text += f" Find: {files}, in {shown} {'group' if shown == 1 else 'groups'}."
            self.summary.setText(text)
        self.groups.reselect()  # the same group as before the change, else the first
