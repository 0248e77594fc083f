"""The review page's middle pane: the members of the chosen group, doubtful ones first.

They show as a table (with text snippets) or as a grid of thumbnails; the grid is chosen for
groups that hold pictures, and the *Thumbnails* button switches it per group. Both views
share one proxy model and one selection, so selecting, the context menu, dragging onto a
group and the preview work the same in either.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from html import escape
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMenu,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from corral.engine.review import UNASSIGNED, Group, Member

from ..dialogs import Asker
from ..review_models import SORT_ROLE, MembersModel
from ..session import ProjectSession
from .parts import button
from .quick_look import QuickLook

TRIAGE_KEYS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)}


class MembersPane(QWidget):
    sig_member_chosen = Signal(object)  # the current Member, or None

    def __init__(self, session: ProjectSession, asker: Asker) -> None:
        super().__init__()
        self.session, self.asker = session, asker
        # How a file or folder is opened in the system's own application (tests replace it).
        self.opener: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.model = MembersModel(session)
        self._group_idx: int | None = None
        self._current: tuple[int, int] | None = None  # (row, item id) of the current file
        self.quick_look: QuickLook | None = None  # the large preview, once opened
        self._typed, self._typed_at = "", 0.0  # type-ahead: the letters typed, and when
        self._grid_choice: dict[tuple[int | None, int | None], bool] = {}  # (run, group) -> grid on

        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = self._make_table()
        self.grid = self._make_grid()
        self.empty = QLabel()  # shown instead of an empty list
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setAcceptDrops(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.empty)
        self.title = QLabel()
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # may shrink
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
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(self.grid_toggle)
        bar.addWidget(self.doubtful_first)
        bar.addWidget(button("Pin", "Keep the selected files in this group when you re-run (Ctrl+P)",
                             self.toggle_pin))
        bar.addWidget(button("Move to\u2026", "Move the selected files to another group (or drag "
                             "them onto it)", self.move_selected_ask))
        self.triage_hint = QLabel()
        self.triage_hint.setWordWrap(True)
        self.triage_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.triage_hint)
        for view in (self.table, self.grid):
            view.installEventFilter(self)
        session.sig_changed.connect(self._show_triage_keys)
        self._show_triage_keys()

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setAccessibleName("Files of the chosen group")
        table.setTabKeyNavigation(False)  # Tab goes on to the next pane
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        self._drag_source(table)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        header = table.horizontalHeader()
        for col in (0, 1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # Fit the columns to the rows on screen, not to all of them: Qt reads up to 1,000 rows
        # by default, each time the list is reloaded (100,000 data() calls per edit).
        header.setResizeContentsPrecision(0)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        table.setColumnHidden(MembersModel.PICTURE_COL, True)
        table.selectionModel().currentRowChanged.connect(self._current_changed)
        return table

    def _make_grid(self) -> QListView:
        """The members as thumbnails: same proxy, same selection as the table."""
        grid = QListView()
        grid.setAccessibleName("Thumbnails of the chosen group's files")
        grid.setMovement(QListView.Movement.Static)  # before IconMode, which would make it Free
        grid.setViewMode(QListView.ViewMode.IconMode)
        grid.setModel(self.proxy)
        grid.setModelColumn(MembersModel.PICTURE_COL)
        grid.setSelectionModel(self.table.selectionModel())
        self._drag_source(grid)
        size = self.model.thumbs.size
        grid.setIconSize(QSize(size, size))
        grid.setGridSize(QSize(size + 28, size + 40))
        grid.setUniformItemSizes(True)  # only what is on screen asks for its picture
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setWordWrap(False)
        grid.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        return grid

    def _drag_source(self, view: QAbstractItemView) -> None:
        """Either view: rows selected together, dragged onto a group, a menu on right-click."""
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setDragEnabled(True)
        view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        view.setDefaultDropAction(Qt.DropAction.MoveAction)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._menu)
        view.activated.connect(lambda _index: self.open_selected())  # double-click, Enter

    @property
    def view(self) -> QTableView | QListView:
        """The view of the members now shown: the table or the grid."""
        return self.grid if self.grid_toggle.isChecked() else self.table

    def _grid_toggled(self, on: bool) -> None:
        if self._group_idx is not None:
            self._grid_choice[(self.session.run_id, self._group_idx)] = on
        self._show_grid(on)

    def _show_grid(self, on: bool) -> None:
        self.grid_toggle.setChecked(on)
        if self._group_idx is not None and self.proxy.rowCount() == 0:
            number = next((n for n, g in enumerate(self.session.groups, 1) if g.idx == self._group_idx), 0)
            key = f", or select files in another group and press {number}" if 0 < number < 10 else ""
            self.empty.setText(f"This group is empty: drag files here onto its name in the list of groups{key}.")
            self.stack.setCurrentWidget(self.empty)
            return
        self.stack.setCurrentWidget(self.grid if on else self.table)
        current = self.table.selectionModel().currentIndex()
        if current.isValid():
            self.view.scrollTo(current)

    # -- keyboard triage -----------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keys on the table or grid: 1-9 move the selection to that group (triage), space
        shows the file large, letters jump to the file whose name starts with them."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Space and not event.modifiers():
                self.look()
                return True
            n = TRIAGE_KEYS.get(Qt.Key(event.key()))
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if n is not None and mods == Qt.KeyboardModifier.NoModifier and not self._typing():
                self.triage(n)  # (a digit right after letters goes on with the name instead)
                return True
            text = event.text()
            if text and text.isprintable() and not text.isspace() and not (
                    mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)):
                self.type_ahead(text)
                return True
        return super().eventFilter(watched, event)

    def _typing(self) -> bool:
        return bool(self._typed) and (
            time.monotonic() - self._typed_at <= QApplication.keyboardInputInterval() / 1000)

    def type_ahead(self, text: str) -> None:
        """Select the next file whose name starts with what was typed in the last second
        (the views' own search would look at the status or confidence column)."""
        if not self._typing():
            self._typed = ""
        self._typed_at = time.monotonic()
        self._typed += text.casefold()
        rows = [self.proxy.data(self.proxy.index(r, 0), Qt.ItemDataRole.UserRole)
                for r in range(self.proxy.rowCount())]
        start = self.table.selectionModel().currentIndex().row()
        start = start + 1 if len(self._typed) == 1 else max(start, 0)  # a new letter: the next
        for row in list(range(start, len(rows))) + list(range(0, start)):
            member = rows[row]
            if isinstance(member, Member) and member.path.rsplit("/", 1)[-1].casefold().startswith(self._typed):
                self.select([member.item_id])
                self.view.scrollTo(self.proxy.index(row, 0))
                return

    # -- a large preview (space bar) -----------------------------------------------------
    def look(self) -> QuickLook | None:
        """Show the current file large (a picture) or its text; arrows step through the list."""
        if self.current_member() is None:
            return None
        if self.quick_look is None:
            self.quick_look = QuickLook(self)
            self.quick_look.sig_step.connect(self._look_step)
        self._look_fill()
        self.quick_look.show()
        self.quick_look.raise_()
        self.quick_look.activateWindow()
        return self.quick_look

    def current_member(self) -> Member | None:
        current = self.table.selectionModel().currentIndex()
        member = self.proxy.data(current, Qt.ItemDataRole.UserRole) if current.isValid() else None
        return member if isinstance(member, Member) else None

    def _look_fill(self) -> None:
        member, root, look = self.current_member(), self.session.root, self.quick_look
        if member is None or look is None:
            return
        row = self.table.selectionModel().currentIndex().row() + 1
        conf = "" if member.confidence is None else f", confidence {member.confidence:.2f}"
        caption = f"{member.path} ({row} of {self.proxy.rowCount()}{conf})"
        if member.is_picture and root is not None and look.show_picture(root / member.path, caption):
            return
        look.show_text(self.session.preview_text(member), caption)

    def _look_step(self, step: int) -> None:
        row = self.table.selectionModel().currentIndex().row() + step
        if 0 <= row < self.proxy.rowCount():
            index = self.proxy.index(row, 0)
            self.table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.view.scrollTo(index)
            self._look_fill()

    def _show_triage_keys(self) -> None:
        keys = [f"<b>{n}</b> {escape(g.name)}" for n, g in enumerate(self.session.groups[:9], 1)]
        self.triage_hint.setText(
            "Keys: " + " \u00b7 ".join(keys) + " \u2013 move the file there and go to the next doubtful one"
            if keys else "")

    def triage(self, number: int) -> None:
        """Move the selected files to the ``number``-th group (1 = the first) and select the
        next doubtful file of this list (else the next one), as photo culling tools do."""
        groups = self.session.groups
        members = self.selected()
        if not members or not 1 <= number <= len(groups):
            return
        self.move_and_advance(groups[number - 1])

    def move_and_advance(self, target: Group) -> None:
        """Move the selected files to ``target`` and select the next doubtful file of this
        list (else the next one)."""
        members = self.selected()
        if not members:
            return
        if target.idx == self._group_idx:
            self.session.sig_refused.emit(f"These files are already in \u201c{target.name}\u201d.")
            return
        moved = {m.item_id for m in members}
        shown = [self.proxy.data(self.proxy.index(r, 0), Qt.ItemDataRole.UserRole)
                 for r in range(self.proxy.rowCount())]
        after = max(r for r, m in enumerate(shown) if m.item_id in moved)
        rest = [m for m in shown[after + 1:] + shown[:after] if m.item_id not in moved]
        following = next((m for m in rest if m.unsure), rest[0] if rest else None)
        if self.session.move_items(sorted(moved), target.idx) and following is not None:
            self.select([following.item_id])
            self.view.scrollTo(self.table.selectionModel().currentIndex())

    # -- following the chosen group ------------------------------------------------------
    def show_group(self, group: Group | None) -> None:
        """List ``group``'s members (doubtful first) and make the first one current; after an
        edit of the same group, the file that was current if it is still there, else its
        neighbour (the file now in its place)."""
        same = group is not None and group.idx == self._group_idx and self._current is not None
        before = self._current if same else None
        self._group_idx = group.idx if group else None
        self.model.show_group(self._group_idx)
        choice = self._grid_choice.get((self.session.run_id, self._group_idx))
        self._show_grid(self.model.has_images() if choice is None else choice)
        if group is None:
            self.title.setText("")
        else:
            files = "1 file" if group.size == 1 else f"{group.size} files"
            self.title.setText(f"<b>{escape(group.name)}</b> \u2013 {files}")
        self._sort_changed()
        first = self.proxy.index(0, 0)
        if before is not None and self.proxy.rowCount():
            row, item_id = before
            rows = [self.proxy.data(self.proxy.index(r, 0), Qt.ItemDataRole.UserRole)
                    for r in range(self.proxy.rowCount())]
            still = next((r for r, m in enumerate(rows) if m.item_id == item_id), None)
            first = self.proxy.index(still if still is not None else min(row, len(rows) - 1), 0)
        if first.isValid():
            self.table.selectionModel().setCurrentIndex(
                first,
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._current_changed(first)

    def _sort_changed(self) -> None:
        if self.doubtful_first.isChecked():
            self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        else:
            self.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)

    def _current_changed(self, index: QModelIndex) -> None:
        member = self.proxy.data(index, Qt.ItemDataRole.UserRole) if index.isValid() else None
        if isinstance(member, Member):
            self._current = (index.row(), member.item_id)
        self.sig_member_chosen.emit(member if isinstance(member, Member) else None)

    # -- selection -----------------------------------------------------------------------
    def selected(self) -> list[Member]:
        indexes = self.table.selectionModel().selectedIndexes()
        rows = sorted({i.row() for i in indexes})
        members = [self.proxy.data(self.proxy.index(r, 0), Qt.ItemDataRole.UserRole) for r in rows]
        return [m for m in members if isinstance(m, Member)]

    def select(self, item_ids: list[int]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            member = self.proxy.data(index, Qt.ItemDataRole.UserRole)
            if isinstance(member, Member) and member.item_id in item_ids:
                selection.select(
                    index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                )
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
                self._current_changed(index)

    # -- actions -------------------------------------------------------------------------
    def move_selected(self, to_group: int) -> None:
        members = self.selected()
        if members:
            self.session.move_items([m.item_id for m in members], to_group)

    def move_selected_ask(self) -> None:
        targets = self.session.other_groups(self._group_idx)
        if not self.selected() or not targets:
            return
        n = self.asker.choice("Move files", "Move the selected files to (type the group's name):",
                              [g.name for g in targets], editable=True)
        if n is not None:
            self.move_and_advance(targets[n])

    def _located(self, members: list[Member]) -> list[Path]:
        """The files on disk, or [] after saying which ones are gone."""
        root = self.session.root
        if root is None:
            return []
        paths = [root / m.path for m in members]
        gone = [str(p) for p in paths if not p.exists()]
        if gone:
            self.asker.warn("File not found", "Not in the folder any more (moved or deleted "
                            "since the run):\n" + "\n".join(gone[:10]))
            return []
        return paths

    def open_selected(self) -> None:
        """Open the selected files in the applications the system uses for them (at most 10)."""
        for path in self._located(self.selected()[:10]):
            self.opener(QUrl.fromLocalFile(str(path)))

    def show_in_folder(self) -> None:
        """Open the folder that holds the current file in the system's file manager."""
        current = self.table.selectionModel().currentIndex()
        member = self.proxy.data(current, Qt.ItemDataRole.UserRole) if current.isValid() else None
        chosen = [member] if isinstance(member, Member) else self.selected()[:1]
        for path in self._located(chosen):
            self.opener(QUrl.fromLocalFile(str(path.parent)))

    def toggle_pin(self) -> None:
        members = self.selected()
        if not members:
            return
        pin = not all(m.pinned for m in members)
        ids = [m.item_id for m in members]
        for member in members:
            if pin and not member.pinned:
                self.session.pin_item(member.item_id)
            elif not pin:
                self.session.unpin_item(member.item_id)
        self.select(ids)

    def _menu(self, pos: QPoint) -> None:
        members = self.selected()
        if not members:
            return
        menu = QMenu(self)
        menu.addAction("Open").triggered.connect(self.open_selected)
        menu.addAction("Show in folder").triggered.connect(self.show_in_folder)
        menu.addSeparator()
        move_menu = menu.addMenu("Move to")
        for group in self.session.other_groups(self._group_idx):
            action = QAction(group.name, move_menu)
            action.triggered.connect(lambda _=False, idx=group.idx: self.move_selected(idx))
            move_menu.addAction(action)
        if self._group_idx != UNASSIGNED:
            move_menu.addSeparator()
            move_menu.addAction("No group").triggered.connect(lambda: self.move_selected(UNASSIGNED))
        pinned = all(m.pinned for m in members)
        menu.addAction("Unpin" if pinned else "Pin to this group").triggered.connect(self.toggle_pin)
        menu.exec(self.view.viewport().mapToGlobal(pos))
