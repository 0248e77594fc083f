"""Qt item models over a :class:`~corral.desktop.session.ProjectSession`.

:class:`GroupsModel` lists the shown run's groups (plus "Not in a group" when some items are
unassigned) and accepts dropped items; :class:`MembersModel` lists one group's items and
drags them. Both reset themselves when the session says it changed; neither edits the
project directly -- a drop asks the session to move the items.

The members' last column (:attr:`MembersModel.PICTURE_COL`, hidden in the table) is the one
the review grid shows: the file name with its thumbnail as decoration, made lazily by a
:class:`~corral.desktop.thumbs.ThumbnailLoader` when the grid first paints the item.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QColor, QFont, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from corral.engine.review import UNASSIGNED, Group, Member

from .session import ProjectSession
from .thumbs import ThumbnailLoader

ITEMS_MIME = "application/x-corral-item-ids"
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
UNSURE_TINT = QColor(255, 179, 0, 120)  # amber, readable on light and dark palettes
UNSURE_MARK = "\u26a0"  # the warning sign before a doubtful file's confidence
CONFIDENCE_HELP = (
    "Confidence, from 0 to 1: how sure Corral is that the file belongs in its group. With the "
    "default method it is the share of the file's most similar files that are in the same "
    "group; with the model assigning files (--method llm) the model's probability for the "
    "group. A file the run was unsure about (below its threshold, 0.45 unless changed) is "
    f"marked {UNSURE_MARK} check; a file you moved or pinned counts as certain (1.00)."
)
AnyIndex = QModelIndex | QPersistentModelIndex


def _conf(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def encode_items(item_ids: list[int]) -> QMimeData:
    mime = QMimeData()
    mime.setData(ITEMS_MIME, QByteArray(json.dumps(item_ids).encode()))
    return mime


def decode_items(mime: QMimeData) -> list[int]:
    if not mime.hasFormat(ITEMS_MIME):
        return []
    try:
        value = json.loads(bytes(mime.data(ITEMS_MIME).data()).decode())
    except ValueError:
        return []
    return [int(v) for v in value if isinstance(v, int)]


class _RowsTable(QAbstractTableModel):
    """A flat table over ``self._rows`` with fixed column ``HEADERS``."""

    HEADERS: tuple[str, ...] = ()
    _rows: list[Any]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    HEADER_TIPS: tuple[str, ...] = ()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return (self.HEADER_TIPS[section] or None) if section < len(self.HEADER_TIPS) else None
        return None


class GroupsModel(_RowsTable):
    HEADERS = ("Group", "Files", "Mean conf.", "Unsure")
    HEADER_TIPS = ("", "Files in the group", "The mean confidence of its files. " + CONFIDENCE_HELP,
                   "Files the run was unsure about: check them")

    def __init__(self, session: ProjectSession) -> None:
        super().__init__()
        self.session = session
        self._rows: list[Group] = []
        session.sig_changed.connect(self.reload)
        session.sig_filter_changed.connect(self.reload)
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = list(self.session.groups)
        loose = self.session.members_of(UNASSIGNED)
        if self.session.run_id is not None and loose:
            self._rows.append(Group(UNASSIGNED, "Not in a group", loose))
        if self.session.filtering:  # Find: only the groups holding a file that matches
            self._rows = [g for g in self._rows if self.session.shown_members(g.idx)]
        self.endResetModel()

    def group_at(self, row: int) -> Group | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, group_idx: int) -> int:
        return next((r for r, g in enumerate(self._rows) if g.idx == group_idx), -1)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        group = self.group_at(index.row())
        if group is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            unsure = str(group.unsure) if group.unsure else ""
            size = str(group.size)
            if self.session.filtering:
                size = f"{len(self.session.shown_members(group.idx))} of {group.size}"
            return (group.name, size, _conf(group.mean_confidence), unsure)[col]
        if role == Qt.ItemDataRole.UserRole:
            return group.idx
        if role == Qt.ItemDataRole.FontRole and group.idx == UNASSIGNED:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if group.idx == UNASSIGNED:
                return "Items of no group: they are not exported. Drag them into a group."
            pinned = f", {group.pinned} pinned" if group.pinned else ""
            files = "1 file" if group.size == 1 else f"{group.size} files"
            return f"{group.name}: {files}, {group.unsure} unsure{pinned}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() else Qt.ItemFlag.NoItemFlags

    # -- drops: items dragged from the members list --------------------------------------
    def mimeTypes(self) -> list[str]:
        return [ITEMS_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def _drop_target(self, data: QMimeData, parent: AnyIndex) -> tuple[Group | None, list[int]]:
        """The group the items would go to, and the items not already in it (a drop of
        files onto their own group is refused: nothing would move)."""
        target = self.group_at(parent.row()) if parent.isValid() else None
        if target is None:
            return None, []
        item_ids = [i for i in decode_items(data) if self.session.group_of_item(i) != target.idx]
        return target, item_ids

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        target, item_ids = self._drop_target(data, parent)
        return target is not None and bool(item_ids)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex) -> bool:
        target, item_ids = self._drop_target(data, parent)
        if target is None or not item_ids:
            return False
        # Move once the drag has finished: the move reloads the very view being dragged from.
        QTimer.singleShot(0, lambda: self.session.move_items(item_ids, target.idx))
        return True


class MembersModel(_RowsTable):
    HEADERS = ("", "Confidence", "File", "Text", "Picture")
    HEADER_TIPS = ("Check: the run was unsure; pinned; moved by you", CONFIDENCE_HELP, "", "", "")
    PICTURE_COL = 4  # the grid's column: file name and thumbnail

    def __init__(self, session: ProjectSession) -> None:
        super().__init__()
        self.session = session
        self.group_idx: int | None = None
        self._rows: list[Member] = []
        self._rows_of_hash: dict[str, list[int]] = {}
        self.thumbs = ThumbnailLoader(parent=self)
        self.thumbs.sig_ready.connect(self._thumbnail_ready)
        blank = QPixmap(self.thumbs.size, self.thumbs.size)
        blank.fill(Qt.GlobalColor.transparent)
        self._waiting = QIcon(blank)  # a picture being made: same size, nothing to see yet
        # No reload on the session's sig_changed: the review page chooses the group again
        # after every change (GroupsPane.reselect -> show_group), which reloads; a second
        # reload cost a third of a move at 20,000 files (docs/benchmarks.md).

    def show_group(self, group_idx: int | None) -> None:
        if group_idx != self.group_idx:
            self.thumbs.forget_pending()
        self.group_idx = group_idx
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._rows = [] if self.group_idx is None else self.session.shown_members(self.group_idx)
        self._rows_of_hash = {}
        for row, member in enumerate(self._rows):
            if member.is_picture and member.content_hash:
                self._rows_of_hash.setdefault(member.content_hash, []).append(row)
        self.endResetModel()

    def has_images(self) -> bool:
        return bool(self._rows_of_hash)

    def picture(self, member: Member) -> QIcon:
        """The member's thumbnail; made in the background the first time (blank meanwhile)."""
        root = self.session.root
        if member.is_picture and member.content_hash and root is not None:
            icon = self.thumbs.icon(member.content_hash, root / member.path)
            if icon is not None:
                return icon
            if not self.thumbs.failed(member.content_hash):
                return self._waiting
        return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    def _thumbnail_ready(self, content_hash: str) -> None:
        for row in self._rows_of_hash.get(content_hash, []):
            index = self.index(row, self.PICTURE_COL)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def member_at(self, row: int) -> Member | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @staticmethod
    def status(member: Member) -> str:
        if member.pinned:
            return "pinned"
        if member.unsure:
            return "check"
        return {"user": "moved"}.get(member.source, "")

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        member = self.member_at(index.row())
        if member is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            text = member.snippet[:160]
            name = member.path.rsplit("/", 1)[-1]
            conf = _conf(member.confidence)
            mark = f"{UNSURE_MARK} " if member.unsure else ""
            picture = f"{mark}{conf} {name}" if conf else name  # the grid: confidence too
            return (self.status(member), conf, member.path, text, picture)[col]
        if role == SORT_ROLE:
            value = -1.0 if member.confidence is None else member.confidence
            path = member.path.casefold()
            return (self.status(member), value, path, member.snippet, path)[col]
        if role == Qt.ItemDataRole.UserRole:
            return member
        if role == Qt.ItemDataRole.BackgroundRole and member.unsure:
            return UNSURE_TINT
        if role == Qt.ItemDataRole.DecorationRole and col == 0 and member.unsure:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == Qt.ItemDataRole.DecorationRole and col == self.PICTURE_COL:
            return self.picture(member)
        if role == Qt.ItemDataRole.FontRole and member.unsure and col in (0, 1, self.PICTURE_COL):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            why = {
                "check": "The run was unsure about this one: check it.",
                "pinned": "Pinned: it stays in this group when you re-run.",
                "moved": "You moved it here.",
            }.get(self.status(member), "")
            conf = _conf(member.confidence)
            sure = f"Confidence {conf} (0 to 1: how sure Corral is that it belongs here)" if conf else ""
            return "\n".join(t for t in (member.path, sure, why) if t)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    # -- drags ---------------------------------------------------------------------------
    def mimeTypes(self) -> list[str]:
        return [ITEMS_MIME]

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return encode_items([self._rows[r].item_id for r in rows])
