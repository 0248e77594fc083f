"""The review page's right pane: one item, its picture, where it is and what it says."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from corral.engine.review import Member

from ..review_models import CONFIDENCE_HELP, MembersModel
from ..session import ProjectSession
from ..thumbs import ThumbnailLoader

NOTES = {
    "check": "The model was unsure: check this one.",
    "pinned": "Pinned: stays in this group when you re-run.",
    "moved": "Moved here by you.",
}


class PreviewPane(QWidget):
    def __init__(self, session: ProjectSession, thumbs: ThumbnailLoader) -> None:
        super().__init__()
        self.session, self.thumbs = session, thumbs
        self._hash = ""  # the picture being shown (its content hash), or ""
        self.path = QLabel()
        self.path.setWordWrap(True)
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.meta.setToolTip(CONFIDENCE_HELP)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.hide()
        thumbs.sig_ready.connect(self._thumbnail_ready)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName("Text of the chosen file")
        self.text.setTabChangesFocus(True)
        self.text.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("<b>Preview</b>"))
        layout.addWidget(self.image)
        layout.addWidget(self.path)
        layout.addWidget(self.meta)
        layout.addWidget(self.text, 1)

    def show_member(self, member: Member | None) -> None:
        self._hash = member.content_hash if member is not None and member.is_picture else ""
        root = self.session.root
        if member is not None and self._hash and root is not None:
            self.thumbs.request(self._hash, root / member.path)
        self._show_image()
        if member is None:
            self.path.setText("")
            self.meta.setText("")
            self.text.setPlainText("")
            return
        group = self.session.group(member.group_idx)
        where = group.name if group else "no group"
        conf = "\u2013" if member.confidence is None else f"{member.confidence:.2f}"
        notes = NOTES.get(MembersModel.status(member), "")
        self.path.setText(f"<b>{escape(member.path)}</b>")
        self.meta.setText(f"Group: {escape(where)}<br>Confidence: {conf}<br>{notes}")
        self.text.setPlainText(self.session.preview_text(member))

    def _show_image(self) -> None:
        """The picture being previewed, as large as its cached thumbnail, once it is made."""
        file = self.thumbs.file(self._hash) if self._hash else None
        pixmap = QPixmap(str(file)) if file is not None else QPixmap()
        self.image.setPixmap(pixmap)
        self.image.setVisible(not pixmap.isNull())

    def _thumbnail_ready(self, content_hash: str) -> None:
        if content_hash == self._hash:
            self._show_image()
