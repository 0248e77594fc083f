"""Pictures for the review grid, made off the GUI thread and kept in memory.

The engine makes and caches each thumbnail on disk
(:func:`corral.engine.thumbnails.thumbnail_path`; the describe stage usually has already).
:class:`ThumbnailLoader` asks for one only when a view first shows the item, on a worker
thread, decodes the small PNG there into a :class:`QImage`, and hands it to the GUI thread,
which keeps the last :data:`CAPACITY` as icons, each the picture centred on the same clear
square (never enlarged), so the grid lines up whatever the shape of the pictures. The GUI thread never decodes a picture,
so a folder of thousands of photos costs only the ones on screen.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap

from corral.engine.describers.loading import ImageSkip
from corral.engine.thumbnails import thumbnail_path

from .jobs import worker_pool

log = logging.getLogger(__name__)

GRID_SIZE = 128  # longest side of a picture in the review grid
CAPACITY = 1000  # pictures kept in memory (about 64 KB each)


def _framed(image: QImage, size: int) -> QImage:
    """The picture, shrunk to fit (never enlarged), centred on a clear size x size square:
    views lay items out by their icon's own size, so every icon is the same square."""
    if max(image.width(), image.height()) > size:
        image = image.scaled(
            size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    square = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    square.fill(Qt.GlobalColor.transparent)
    painter = QPainter(square)
    painter.drawImage((size - image.width()) // 2, (size - image.height()) // 2, image)
    painter.end()
    return square


class _Make(QRunnable):
    def __init__(self, loader: ThumbnailLoader, content_hash: str, source: Path, generation: int) -> None:
        super().__init__()
        self.loader, self.content_hash, self.source, self.generation = loader, content_hash, source, generation

    def run(self) -> None:
        if self.generation != self.loader.generation:
            return  # asked for by a group that is no longer shown
        image, made = QImage(), ""
        try:
            path = thumbnail_path(self.content_hash, self.source)
            image, made = QImage(str(path)), str(path)
        except ImageSkip as skip:
            log.info("No thumbnail for %s: %s", self.source, skip.reason)
        except Exception:  # noqa: BLE001 - a picture must never take the worker down
            log.warning("Could not make a thumbnail for %s", self.source, exc_info=True)
        if not image.isNull():
            image = _framed(image, self.loader.size)
        try:
            self.loader.sig_made.emit(self.content_hash, made, image)
        except RuntimeError:  # the loader was deleted meanwhile (window closed)
            pass


class ThumbnailLoader(QObject):
    """Grid-sized thumbnails by content hash: ready ones at once, the others on request."""

    sig_ready = Signal(str)  # content hash whose picture (or failure) is now known
    sig_made = Signal(str, str, QImage)  # from the worker: hash, thumbnail file ('' if none), image

    def __init__(self, size: int = GRID_SIZE, capacity: int = CAPACITY, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size, self.capacity = size, capacity
        self.generation = 0
        self.requested = 0  # how many pictures were asked of the worker (for tests and logs)
        self._icons: OrderedDict[str, QIcon] = OrderedDict()
        self._files: dict[str, Path] = {}
        self._pending: set[str] = set()
        self._failed: set[str] = set()
        self.sig_made.connect(self._made)  # queued: emitted on a worker thread

    @staticmethod
    def pool() -> QThreadPool:
        return worker_pool("thumbnails")

    def icon(self, content_hash: str, source: Path) -> QIcon | None:
        """The picture if it is ready; otherwise None, and it is made in the background."""
        icon = self._icons.get(content_hash)
        if icon is not None:
            self._icons.move_to_end(content_hash)
            return icon
        self.request(content_hash, source)
        return None

    def request(self, content_hash: str, source: Path) -> None:
        if content_hash in self._pending or content_hash in self._failed or content_hash in self._icons:
            return
        self._pending.add(content_hash)
        self.requested += 1
        self.pool().start(_Make(self, content_hash, source, self.generation))

    def failed(self, content_hash: str) -> bool:
        return content_hash in self._failed

    def file(self, content_hash: str) -> Path | None:
        """The full-size cached thumbnail of a picture this loader has already made."""
        return self._files.get(content_hash)

    def forget_pending(self) -> None:
        """Another group is shown: requests not started yet are dropped."""
        self.generation += 1
        self._pending.clear()

    def _made(self, content_hash: str, made: str, image: QImage) -> None:
        self._pending.discard(content_hash)
        if image.isNull():
            self._failed.add(content_hash)
        else:
            self._icons[content_hash] = QIcon(QPixmap.fromImage(image))
            self._files[content_hash] = Path(made)
            while len(self._icons) > self.capacity:
                self._icons.popitem(last=False)
        self.sig_ready.emit(content_hash)
