"""A large preview of one file (space bar on the files list), stepping with the arrow keys.

Pictures are read at the size that fits the screen (``QImageReader`` scales while decoding,
and turns them as their EXIF says); documents show what the preview pane shows, larger.
Space or Esc closes it; Left/Right (or Up/Down) ask the files list for the previous or next
file, so the selection follows.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImageReader, QKeyEvent, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QStackedWidget, QVBoxLayout, QWidget

STEPS = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}


class QuickLook(QDialog):
    sig_step = Signal(int)  # -1: the previous file, 1: the next

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preview")
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setAccessibleName("Picture")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Text of the file")
        self.text.installEventFilter(self)  # its own keys must not swallow space and arrows
        self.stack = QStackedWidget()
        self.stack.addWidget(self.image)
        self.stack.addWidget(self.text)
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)
        hint = QLabel("\u2190 \u2192 previous and next file \u00b7 Space or Esc closes")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.caption)
        layout.addWidget(hint)
        screen = QGuiApplication.primaryScreen()
        area = screen.availableGeometry().size() if screen is not None else QSize(1024, 700)
        self.fit = QSize(int(area.width() * 0.8), int(area.height() * 0.75))
        self.resize(self.fit.width() + 40, self.fit.height() + 90)

    def show_picture(self, path: Path, caption: str) -> bool:
        """Show the picture at ``path`` as large as fits; False when it cannot be read."""
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)
        size = reader.size()
        if size.isValid() and (size.width() > self.fit.width() or size.height() > self.fit.height()):
            reader.setScaledSize(size.scaled(self.fit, Qt.AspectRatioMode.KeepAspectRatio))
        image = reader.read()
        if image.isNull():
            return False
        self.image.setPixmap(QPixmap.fromImage(image))
        self.stack.setCurrentWidget(self.image)
        self.caption.setText(caption)
        return True

    def show_text(self, text: str, caption: str) -> None:
        self.text.setPlainText(text)
        self.stack.setCurrentWidget(self.text)
        self.caption.setText(caption)

    def eventFilter(self, watched: object, event: object) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress and self._key(event):
            return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._key(event):
            super().keyPressEvent(event)

    def _key(self, event: QKeyEvent) -> bool:
        key = Qt.Key(event.key())
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Escape):
            self.accept()
            return True
        if key in STEPS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.sig_step.emit(STEPS[key])
            return True
        return False
