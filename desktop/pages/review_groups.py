"""The review page's left pane: the shown run's groups, and the actions on one group."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from corral.engine.review import Group

from ..dialogs import Asker
from ..review_models import GroupsModel
from ..session import ProjectSession
from .parts import button


class GroupsPane(QWidget):
    """Lists the groups (files can be dropped on them) and keeps one chosen across reloads."""

    sig_group_chosen = Signal(object)  # the chosen Group, or None

    def __init__(self, session: ProjectSession, asker: Asker) -> None:
        super().__init__()
        self.session, self.asker = session, asker
        self.model = GroupsModel(session)
        self._chosen: int | None = None  # the chosen group's index

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAcceptDrops(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.view.setDropIndicatorShown(True)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().currentRowChanged.connect(self._row_chosen)

        buttons = QHBoxLayout()
        for text, slot, tip in (
            ("New", self.new_group, "Add an empty group"),
            ("Rename", self.rename_group, "Rename the group (F2)"),
            ("Merge", self.merge_groups, "Merge another group into this one (Ctrl+M)"),
            ("Delete", self.delete_group, "Remove the group; its files go to another group or none"),
        ):
            buttons.addWidget(button(text, tip, slot))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Groups</b>"))
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    # -- choosing ------------------------------------------------------------------------
    def reselect(self) -> None:
        """After a reload: the group chosen before if it is still there, else the first."""
        row = self.model.row_of(self._chosen) if self._chosen is not None else -1
        self.select_row(row if row >= 0 else 0)

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row, 0)
            self.view.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self._row_chosen(index)
        else:
            self._row_chosen(QModelIndex())

    def _row_chosen(self, index: QModelIndex) -> None:
        group = self.model.group_at(index.row()) if index.isValid() else None
        self._chosen = group.idx if group else None
        self.sig_group_chosen.emit(group)

    def selected(self) -> Group | None:
        return self.session.group(self._chosen) if self._chosen is not None else None

    # -- actions -------------------------------------------------------------------------
    def new_group(self) -> None:
        name = self.asker.text("New group", "Name of the new group:")
        if name is not None:
            idx = self.session.new_group(name)
            if idx is not None:
                self.select_row(self.model.row_of(idx))

    def rename_group(self) -> None:
        group = self.selected()
        if group is None:
            return
        name = self.asker.text("Rename group", "New name:", group.name)
        if name is not None and name != group.name:
            self.session.rename_group(group.idx, name)

    def merge_groups(self) -> None:
        group = self.selected()
        others = self.session.other_groups(self._chosen)
        if group is None or not others:
            return
        n = self.asker.choice(
            "Merge groups", f"Merge this group into \u201c{group.name}\u201d:", [g.name for g in others]
        )
        if n is not None:
            self.session.merge_groups(group.idx, [others[n].idx])

    def delete_group(self) -> None:
        group = self.selected()
        if group is None:
            return
        others = self.session.other_groups(self._chosen)
        choices = ["No group (they are not exported)"] + [f"Move them to \u201c{g.name}\u201d" for g in others]
        n = self.asker.choice(
            "Delete group", f"Delete \u201c{group.name}\u201d. Its {group.size} files go to:", choices
        )
        if n is None:
            return
        move_to = None if n == 0 else others[n - 1].idx
        self._chosen = move_to  # shown after the reload
        self.session.delete_group(group.idx, move_to)
