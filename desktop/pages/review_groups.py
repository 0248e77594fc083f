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

from corral.engine.review import UNASSIGNED, Group

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
        self._chosen_count = 0  # how many times a group was chosen (select_row)

        self.view = QTableView()
        self.view.setAccessibleName("Groups")
        self.view.setTabKeyNavigation(False)  # Tab goes on to the next pane
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
        self.new_button = button("New", "Add an empty group", self.new_group)
        self.rename_button = button("Rename", "Rename the group (F2)", self.rename_group)
        self.merge_button = button("Merge", "Merge another group into this one (Ctrl+M)", self.merge_groups)
        self.delete_button = button("Delete", "Remove the group; its files go to another group or none",
                                    self.delete_group)
        for widget in (self.new_button, self.rename_button, self.merge_button, self.delete_button):
            buttons.addWidget(widget)
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
            told = self._chosen_count
            self.view.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            if self._chosen_count == told:  # the current row did not change: no signal came
                self._row_chosen(index)
        else:
            self._row_chosen(QModelIndex())

    def _row_chosen(self, index: QModelIndex) -> None:
        self._chosen_count += 1  # the group's files are listed once per choice (select_row)
        group = self.model.group_at(index.row()) if index.isValid() else None
        self._chosen = group.idx if group else None
        real = self.group_chosen()
        for widget in (self.rename_button, self.merge_button, self.delete_button):
            widget.setEnabled(real)  # "Not in a group" is a list, not a group
        self.sig_group_chosen.emit(group)

    def group_chosen(self) -> bool:
        """Whether a real group is chosen (not none, not the files in no group)."""
        return self._chosen is not None and self._chosen != UNASSIGNED

    def selected(self) -> Group | None:
        if self._chosen == UNASSIGNED:
            self.asker.inform("Not a group", "\u201cNot in a group\u201d is not a group: it lists the "
                              "files you took out of every group. Drag them into a group, or choose a group.")
            return None
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
        # Offered first: moving the files on (leaving them in no group keeps them out of the export).
        n = self.asker.choice(
            "Delete group", f"Delete \u201c{group.name}\u201d. Its {group.size} files go to:", choices,
            current=1 if others else 0,
        )
        if n is None:
            return
        move_to = None if n == 0 else others[n - 1].idx
        self._chosen = move_to  # shown after the reload
        self.session.delete_group(group.idx, move_to)
