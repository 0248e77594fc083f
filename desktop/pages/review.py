"""Review page: the groups, the members of one group, and a preview of one item.

Everything shown comes from the :class:`~corral.desktop.session.ProjectSession` through the
item models; every edit goes back through the session. Doubtful items are listed first.

A group's members show as a table (with text snippets) or as a grid of thumbnails; the grid
is chosen for groups that hold pictures, and the *Thumbnails* button switches it per group.
Both views share one proxy model and one selection, so selecting, the context menu, dragging
onto a group and the preview work the same in either.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from corral.engine.review import UNASSIGNED, Group, Member

from ..dialogs import Asker
from ..review_models import SORT_ROLE, GroupsModel, MembersModel
from ..session import ProjectSession
from .runs_bar import RunsBar

PREVIEW_CHARS = 6000


class ReviewPage(QWidget):
    sig_rerun_requested = Signal()
    sig_export_requested = Signal()

    def __init__(self, session: ProjectSession, asker: Asker) -> None:
        super().__init__()
        self.session, self.asker = session, asker
        self.groups_model = GroupsModel(session)
        self.members_model = MembersModel(session)
        self._group_idx: int | None = None
        self._grid_choice: dict[tuple[int | None, int], bool] = {}  # (run, group) -> grid on
        self._preview_hash = ""

        # Top: which run, what it was asked, and what to do with it.
        self.runs_bar = RunsBar(session, asker)
        rerun = QPushButton("Edit criterion / K\u2026")
        rerun.setToolTip("Change the criterion or the number of groups and run again (Ctrl+R)")
        rerun.clicked.connect(self.sig_rerun_requested)
        export = QPushButton("Export\u2026")
        export.setToolTip("Put the files into one folder per group (Ctrl+E)")
        export.clicked.connect(self.sig_export_requested)
        top = QHBoxLayout()
        top.addWidget(self.runs_bar, 1)
        top.addWidget(rerun)
        top.addWidget(export)
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        # Left: groups.
        self.groups_view = QTableView()
        self.groups_view.setModel(self.groups_model)
        self.groups_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.groups_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.groups_view.setAcceptDrops(True)
        self.groups_view.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.groups_view.setDropIndicatorShown(True)
        self.groups_view.verticalHeader().hide()
        self.groups_view.setWordWrap(False)
        self.groups_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.groups_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.groups_view.selectionModel().currentRowChanged.connect(self._group_chosen)
        group_buttons = QHBoxLayout()
        for text, slot, tip in (
            ("New", self.new_group, "Add an empty group"),
            ("Rename", self.rename_group, "Rename the group (F2)"),
            ("Merge", self.merge_groups, "Merge another group into this one (Ctrl+M)"),
            ("Delete", self.delete_group, "Remove the group; its files go to another group or none"),
        ):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            group_buttons.addWidget(button)
        left = _column(QLabel("<b>Groups</b>"), self.groups_view, group_buttons)

        # Middle: members of the chosen group, doubtful first.
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.members_model)
        self.proxy.setSortRole(SORT_ROLE)
        self.members_view = QTableView()
        self.members_view.setModel(self.proxy)
        self.members_view.setSortingEnabled(True)
        self.members_view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self.members_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.members_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.members_view.setDragEnabled(True)
        self.members_view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.members_view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.members_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.members_view.customContextMenuRequested.connect(self._member_menu)
        self.members_view.verticalHeader().hide()
        self.members_view.setWordWrap(False)
        mheader = self.members_view.horizontalHeader()
        for col in (0, 1, 2):
            mheader.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        mheader.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.members_view.setColumnHidden(MembersModel.PICTURE_COL, True)
        self.members_view.selectionModel().currentRowChanged.connect(self._member_chosen)
        self.members_grid = self._make_grid()
        self.members_stack = QStackedWidget()
        self.members_stack.addWidget(self.members_view)
        self.members_stack.addWidget(self.members_grid)
        self.members_title = QLabel()
        self.members_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # may shrink
        self.grid_toggle = QToolButton()
        self.grid_toggle.setCheckable(True)
        self.grid_toggle.setText("Thumbnails")
        self.grid_toggle.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogContentsView))
        self.grid_toggle.setToolTip(
            "Thumbnails: show the files as a grid of pictures (on by itself for groups with pictures)"
        )
        self.grid_toggle.clicked.connect(self._grid_toggled)
        self.doubtful_first = QCheckBox("Doubtful first")
        self.doubtful_first.setChecked(True)
        self.doubtful_first.setToolTip("Sort by confidence, lowest first, to check doubtful items")
        self.doubtful_first.toggled.connect(self._sort_changed)
        pin = QPushButton("Pin")
        pin.setToolTip("Keep the selected files in this group when you re-run (Ctrl+P)")
        pin.clicked.connect(self.toggle_pin)
        move = QPushButton("Move to\u2026")
        move.setToolTip("Move the selected files to another group (or drag them onto it)")
        move.clicked.connect(self.move_selected_ask)
        members_bar = QHBoxLayout()
        members_bar.addWidget(self.members_title, 1)
        members_bar.addWidget(self.grid_toggle)
        members_bar.addWidget(self.doubtful_first)
        members_bar.addWidget(pin)
        members_bar.addWidget(move)
        middle = _column(members_bar, self.members_stack)

        # Right: one item.
        self.preview_path = QLabel()
        self.preview_path.setWordWrap(True)
        self.preview_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_meta = QLabel()
        self.preview_meta.setWordWrap(True)
        self.preview_image = QLabel()
        self.preview_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_image.hide()
        self.members_model.thumbs.sig_ready.connect(self._thumbnail_ready)
        self.preview_text = QPlainTextEdit()
        self.preview_text.setReadOnly(True)
        right = _column(
            QLabel("<b>Preview</b>"), self.preview_image, self.preview_path, self.preview_meta, self.preview_text
        )

        splitter = QSplitter()
        for pane in (left, middle, right):
            splitter.addWidget(pane)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 4)
        splitter.setStretchFactor(2, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

        session.sig_changed.connect(self._session_changed)
        self._session_changed()

    def _make_grid(self) -> QListView:
        """The members as thumbnails: same proxy, same selection as the table."""
        grid = QListView()
        grid.setMovement(QListView.Movement.Static)  # before IconMode, which would make it Free
        grid.setViewMode(QListView.ViewMode.IconMode)
        grid.setModel(self.proxy)
        grid.setModelColumn(MembersModel.PICTURE_COL)
        grid.setSelectionModel(self.members_view.selectionModel())
        grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        size = self.members_model.thumbs.size
        grid.setIconSize(QSize(size, size))
        grid.setGridSize(QSize(size + 28, size + 40))
        grid.setUniformItemSizes(True)  # only what is on screen asks for its picture
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setWordWrap(False)
        grid.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        grid.setDragEnabled(True)
        grid.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        grid.setDefaultDropAction(Qt.DropAction.MoveAction)
        grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        grid.customContextMenuRequested.connect(self._member_menu)
        return grid

    @property
    def members_widget(self) -> QTableView | QListView:
        """The view of the members now shown: the table or the grid."""
        return self.members_grid if self.grid_toggle.isChecked() else self.members_view

    def _grid_toggled(self, on: bool) -> None:
        if self._group_idx is not None:
            self._grid_choice[(self.session.run_id, self._group_idx)] = on
        self._show_grid(on)

    def _show_grid(self, on: bool) -> None:
        self.grid_toggle.setChecked(on)
        self.members_stack.setCurrentWidget(self.members_grid if on else self.members_view)
        current = self.members_view.selectionModel().currentIndex()
        if current.isValid():
            self.members_widget.scrollTo(current)

    # -- following the session -----------------------------------------------------------
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
        # Keep the chosen group chosen across reloads; else the first one.
        row = self.groups_model.row_of(self._group_idx) if self._group_idx is not None else -1
        self.select_group_row(row if row >= 0 else 0)

    def select_group_row(self, row: int) -> None:
        if 0 <= row < self.groups_model.rowCount():
            index = self.groups_model.index(row, 0)
            self.groups_view.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self._group_chosen(index)
        else:
            self._group_chosen(QModelIndex())

    def _group_chosen(self, index: QModelIndex) -> None:
        group = self.groups_model.group_at(index.row()) if index.isValid() else None
        self._group_idx = group.idx if group else None
        self.members_model.show_group(self._group_idx)
        choice = self._grid_choice.get((self.session.run_id, self._group_idx))
        self._show_grid(self.members_model.has_images() if choice is None else choice)
        if group is None:
            self.members_title.setText("")
        else:
            self.members_title.setText(f"<b>{_escape(group.name)}</b> \u2013 {group.size} files")
        self._sort_changed()
        first = self.proxy.index(0, 0)
        if first.isValid():
            self.members_view.selectionModel().setCurrentIndex(
                first,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._member_chosen(first)

    def _sort_changed(self) -> None:
        if self.doubtful_first.isChecked():
            self.members_view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        else:
            self.members_view.sortByColumn(2, Qt.SortOrder.AscendingOrder)

    def _member_chosen(self, index: QModelIndex) -> None:
        member = self.proxy.data(index, Qt.ItemDataRole.UserRole) if index.isValid() else None
        self._preview_hash = member.content_hash if isinstance(member, Member) and member.kind == "image" else ""
        root = self.session.root
        if isinstance(member, Member) and self._preview_hash and root is not None:
            self.members_model.thumbs.request(self._preview_hash, root / member.path)
        self._show_preview_image()
        if not isinstance(member, Member):
            self.preview_path.setText("")
            self.preview_meta.setText("")
            self.preview_text.setPlainText("")
            return
        group = self.session.group(member.group_idx)
        where = group.name if group else "no group"
        conf = "\u2013" if member.confidence is None else f"{member.confidence:.2f}"
        notes = {
            "check": "The model was unsure: check this one.",
            "pinned": "Pinned: stays in this group when you re-run.",
            "moved": "Moved here by you.",
        }.get(MembersModel.status(member), "")
        self.preview_path.setText(f"<b>{_escape(member.path)}</b>")
        self.preview_meta.setText(f"Group: {_escape(where)}<br>Confidence: {conf}<br>{notes}")
        self.preview_text.setPlainText(self._full_text(member))

    def _show_preview_image(self) -> None:
        """The picture being previewed, as large as its cached thumbnail, once it is made."""
        file = self.members_model.thumbs.file(self._preview_hash) if self._preview_hash else None
        pixmap = QPixmap(str(file)) if file is not None else QPixmap()
        self.preview_image.setPixmap(pixmap)
        self.preview_image.setVisible(not pixmap.isNull())

    def _thumbnail_ready(self, content_hash: str) -> None:
        if content_hash == self._preview_hash:
            self._show_preview_image()

    def _full_text(self, member: Member) -> str:
        project = self.session.project
        if project is None:
            return member.snippet
        item = project.item(member.item_id)
        extract = project.get_extract(item.content_hash) if item.content_hash else None
        if not extract:  # a picture: what the describers saw
            return member.description or member.snippet or "(no text was extracted from this file)"
        text: str = extract["text"]
        text = text[:PREVIEW_CHARS] + ("\n\u2026" if len(text) > PREVIEW_CHARS else "")
        if member.description and " ".join(text.split()) not in member.description:
            # a long document: the summary the stages read, then the text itself
            return f"Read as: {member.description}\n\n{text}"
        return text

    # -- selection helpers ---------------------------------------------------------------
    def selected_group(self) -> Group | None:
        group = self.session.group(self._group_idx) if self._group_idx is not None else None
        return group

    def selected_members(self) -> list[Member]:
        indexes = self.members_view.selectionModel().selectedIndexes()
        rows = sorted({i.row() for i in indexes})
        members = [self.proxy.data(self.proxy.index(r, 0), Qt.ItemDataRole.UserRole) for r in rows]
        return [m for m in members if isinstance(m, Member)]

    def select_members(self, item_ids: list[int]) -> None:
        selection = self.members_view.selectionModel()
        selection.clearSelection()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            member = self.proxy.data(index, Qt.ItemDataRole.UserRole)
            if isinstance(member, Member) and member.item_id in item_ids:
                selection.select(
                    index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                )
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
                self._member_chosen(index)

    def _other_groups(self) -> list[Group]:
        return [g for g in self.session.groups if g.idx != self._group_idx]

    # -- group actions -------------------------------------------------------------------
    def new_group(self) -> None:
        name = self.asker.text("New group", "Name of the new group:")
        if name is not None:
            idx = self.session.new_group(name)
            if idx is not None:
                self.select_group_row(self.groups_model.row_of(idx))

    def rename_group(self) -> None:
        group = self.selected_group()
        if group is None:
            return
        name = self.asker.text("Rename group", "New name:", group.name)
        if name is not None and name != group.name:
            self.session.rename_group(group.idx, name)

    def merge_groups(self) -> None:
        group = self.selected_group()
        others = self._other_groups()
        if group is None or not others:
            return
        n = self.asker.choice(
            "Merge groups", f"Merge this group into \u201c{group.name}\u201d:", [g.name for g in others]
        )
        if n is not None:
            self.session.merge_groups(group.idx, [others[n].idx])

    def delete_group(self) -> None:
        group = self.selected_group()
        if group is None:
            return
        choices = ["No group (they are not exported)"] + [f"Move them to \u201c{g.name}\u201d" for g in self._other_groups()]
        n = self.asker.choice(
            "Delete group", f"Delete \u201c{group.name}\u201d. Its {group.size} files go to:", choices
        )
        if n is None:
            return
        move_to = None if n == 0 else self._other_groups()[n - 1].idx
        self._group_idx = move_to
        self.session.delete_group(group.idx, move_to)

    # -- item actions --------------------------------------------------------------------
    def move_selected(self, to_group: int) -> None:
        members = self.selected_members()
        if members:
            self.session.move_items([m.item_id for m in members], to_group)

    def move_selected_ask(self) -> None:
        targets = self._other_groups()
        if not self.selected_members() or not targets:
            return
        n = self.asker.choice("Move files", "Move the selected files to:", [g.name for g in targets])
        if n is not None:
            self.move_selected(targets[n].idx)

    def toggle_pin(self) -> None:
        members = self.selected_members()
        if not members:
            return
        pin = not all(m.pinned for m in members)
        ids = [m.item_id for m in members]
        for member in members:
            if pin and not member.pinned:
                self.session.pin_item(member.item_id)
            elif not pin:
                self.session.unpin_item(member.item_id)
        self.select_members(ids)

    def _member_menu(self, pos: QPoint) -> None:
        members = self.selected_members()
        if not members:
            return
        menu = QMenu(self)
        move_menu = menu.addMenu("Move to")
        for group in self._other_groups():
            action = QAction(group.name, move_menu)
            action.triggered.connect(lambda _=False, idx=group.idx: self.move_selected(idx))
            move_menu.addAction(action)
        if self._group_idx != UNASSIGNED:
            move_menu.addSeparator()
            move_menu.addAction("No group").triggered.connect(lambda: self.move_selected(UNASSIGNED))
        pinned = all(m.pinned for m in members)
        menu.addAction("Unpin" if pinned else "Pin to this group").triggered.connect(self.toggle_pin)
        menu.exec(self.members_widget.viewport().mapToGlobal(pos))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _column(*parts: QWidget | QHBoxLayout) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        if isinstance(part, QHBoxLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part, 1 if isinstance(part, QTableView | QPlainTextEdit | QStackedWidget) else 0)
    return box
