"""Review page: the groups, the members of one group, and a preview of one item.

Three panes side by side (:mod:`.review_groups`, :mod:`.review_members`,
:mod:`.review_preview`) under the run chooser. Everything shown comes from the
:class:`~corral.desktop.session.ProjectSession` through the item models; every edit goes back
through the session. Choosing a group lists its members; choosing a member previews it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from corral.engine.review import UNASSIGNED

from ..dialogs import Asker
from ..session import ProjectSession
from .parts import button
from .review_groups import GroupsPane
from .review_members import MembersPane
from .review_preview import PreviewPane
from .runs_bar import RunsBar


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

        splitter = QSplitter()
        for pane, stretch in ((self.groups, 2), (self.members, 4), (self.preview, 3)):
            splitter.addWidget(pane)
            splitter.setStretchFactor(splitter.count() - 1, stretch)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

        session.sig_changed.connect(self._session_changed)
        self._session_changed()

    def _session_changed(self) -> None:
        run = self.session.run
        if run is None:
            self.summary.setText("No finished run yet.")
        else:
            k = "automatic" if run.k is None else str(run.k)
            loose = len(self.session.members_of(UNASSIGNED))
            extra = f", {loose} not in a group" if loose else ""
            self.summary.setText(
                f"Grouped by \u201c{run.criterion}\u201d (K: {k}, model {run.model}): "
                f"{self.session.item_count} files in {len(self.session.groups)} groups{extra}."
            )
        self.groups.reselect()  # the same group as before the change, else the first
