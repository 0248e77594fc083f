"""Text inside pictures (screenshots, scanned receipts, signs) with RapidOCR.

``rapidocr-onnxruntime`` ships PP-OCRv4 detection and recognition models as ONNX files in
its wheel, so it works offline with onnxruntime alone.

Reading text is slow on a CPU (about 1.5 s for a 960-pixel picture on 2 cores) while most
photos hold none, so OCR runs in two steps: the text *detector* alone looks at a copy
shrunk to :data:`GATE_SIDE` pixels (~0.15-0.25 s), and only when it finds a text region
does the full pass (detection at :data:`READ_SIDE` plus recognition) run. The gate can miss
very small text in large photos; documents, screenshots and signs pass it.

Scanned PDFs (no text layer) are read here too, at scan time (:meth:`OcrDescriber.read_scan`,
engine/extract.py), without the gate (a page shrunk to its size loses the print) and with
each line recognised alone: the detector finds the lines on a copy shrunk to ``READ_SIDE``,
and each line is cut from the page at its full resolution and scaled to the recogniser's
height. RapidOCR's own pass recognises the lines cut from the shrunk copy: on rendered A4
pages it ran the words together at some sizes of the print (3-23% of the words kept at
14-20 pt, "Totaldueforyourservices") and gave empty readings for some long lines; line by
line it kept 98-100% of the words at 8-16 pt, skewed up to 5 degrees too, and 82% at 20 pt,
in 0.9-1.7 s a page on 2 cores (docs/benchmarks.md, "Scanned documents"). A page's first
lines are read both ways up, so a page scanned upside down is turned round.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..extract import Skip
from .base import DescriberUnavailable, ImageDescriber

log = logging.getLogger(__name__)

GATE_SIDE = 320
READ_SIDE = 960
MAX_CHARS = 300
MIN_SCORE = 0.6  # recognition confidence below which a line is dropped as noise
MIN_SIDE = 24  # pictures smaller than this on either side cannot hold legible text
SCAN_LINE_HEIGHT = 48  # a scanned page's line is scaled to this height (PP-OCRv4's recogniser's) to be read
MIN_LINE_HEIGHT = 4  # a detected box lower than this on the page holds no line of text
# A page's first lines are also read upside down; where that reads them with more confidence
# the page is turned round (upright lines: 0.96-1.00 read the right way, 0.28-0.74 the other)
ORIENTATION_LINES = 5


def _shrunk(image: Image.Image, side: int) -> np.ndarray:
    if max(image.size) > side:
        image = image.copy()
        image.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR works in BGR like OpenCV


def _import_rapidocr() -> Any:
    """Import RapidOCR without letting OpenCV repoint Qt.

    ``opencv-python`` (a dependency of RapidOCR) sets QT_QPA_PLATFORM_PLUGIN_PATH and
    friends to its own bundled Qt on import, which breaks the desktop app's PySide6 windows
    created afterwards. The variables are put back as they were.
    """
    keys = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR", "LD_LIBRARY_PATH")
    saved = {key: os.environ.get(key) for key in keys}
    try:
        from rapidocr_onnxruntime import RapidOCR
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return RapidOCR


def _page_lines(engine: Any, page: Image.Image) -> list[tuple[np.ndarray, float]]:
    """A page's lines of text, top to bottom, as pictures ``SCAN_LINE_HEIGHT`` high (BGR):
    found on a copy shrunk to ``READ_SIDE``, cut from ``page`` at its full resolution along
    their boxes, straightened; each with its height on the page, as a share of the page's
    longer side."""
    small = _shrunk(page, READ_SIDE)
    boxes, _ = engine(small, use_cls=False, use_rec=False)
    if not boxes:
        return []
    full = np.asarray(page.convert("RGB"))[:, :, ::-1]
    corners = np.asarray(boxes, dtype=np.float32) * (full.shape[0] / small.shape[0])
    lines = []
    for line in engine.get_crop_img_list(full, list(corners)):
        height, width = line.shape[:2]
        if height >= MIN_LINE_HEIGHT:
            size = (max(1, round(width * SCAN_LINE_HEIGHT / height)), SCAN_LINE_HEIGHT)
            lines.append((np.asarray(Image.fromarray(line).resize(size)), height / max(full.shape[:2])))
    return lines


def _recognise(engine: Any, line: np.ndarray) -> tuple[str, float]:
    """One line's text and the recogniser's confidence in it."""
    result, _ = engine(line, use_det=False, use_cls=False, use_rec=True)
    return (str(result[0][0]).strip(), float(result[0][1])) if result else ("", 0.0)


class OcrDescriber(ImageDescriber):
    name = "ocr"
    conditioned_on_criterion = False
    describer_id = f"ocr:rapidocr-ppocrv4:gate{GATE_SIDE}:read{READ_SIDE}:v1"

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()
        self.gate_hits = 0
        self.gate_misses = 0

    def _load(self) -> Any:
        if self._engine is None:
            try:
                RapidOCR = _import_rapidocr()
            except ImportError as exc:
                raise DescriberUnavailable(
                    "OCR is off: rapidocr-onnxruntime is not installed."
                ) from exc
            threads = self.threads or -1
            self._engine = RapidOCR(
                det_limit_side_len=READ_SIDE,
                det_limit_type="max",
                intra_op_num_threads=threads,
                inter_op_num_threads=1,
            )
        return self._engine

    def has_text(self, image: Image.Image) -> bool:
        """The cheap first step: does the text detector find anything in a small copy?"""
        if min(image.size) < MIN_SIDE:
            return False
        with self._lock:
            boxes, _ = self._load()(_shrunk(image, GATE_SIDE), use_cls=False, use_rec=False)
        found = bool(boxes)
        if found:
            self.gate_hits += 1
        else:
            self.gate_misses += 1
        return found

    def read(self, image: Image.Image) -> list[str]:
        """Recognised lines in reading order (the detector sorts boxes top to bottom)."""
        with self._lock:
            result, _ = self._load()(_shrunk(image, READ_SIDE))
        lines = []
        for entry in result or []:
            text, score = str(entry[1]).strip(), float(entry[2])
            if text and score >= MIN_SCORE:
                lines.append(text)
        return lines

    def read_scan(self, page: Image.Image) -> list[str]:
        """The lines on a scanned page (``extract.ReadPicture``), top to bottom: found on a
        copy shrunk to ``READ_SIDE``, each then cut from ``page`` at its full resolution along
        its box (straightened: on a page skewed by 3 degrees, cutting the upright rectangle
        around each line read none of its words) and recognised alone. A page whose first
        lines read better upside down (``ORIENTATION_LINES``) is turned round first. Raises
        ``extract.Skip`` where OCR cannot run, so the PDF is skipped saying why."""
        return [text for text, _ in self._read_lines(page)]

    def read_page(self, picture: Image.Image) -> tuple[list[str], float]:
        """A picture file that may be a page (``extract.ReadPage``): its lines read as
        :meth:`read_scan` reads a scanned page's, and the height of their print (the median
        line's, as a share of the picture's longer side; 1.0 when none is read)."""
        read = self._read_lines(picture)
        return [text for text, _ in read], float(np.median([height for _, height in read])) if read else 1.0

    def _read_lines(self, page: Image.Image) -> list[tuple[str, float]]:
        """The lines read on ``page`` with confidence, each with its height (``_page_lines``)."""
        try:
            engine = self._load()
        except DescriberUnavailable as exc:
            raise Skip(f"no text in PDF, and its pages' pictures cannot be read: {exc}") from exc
        with self._lock:
            lines = _page_lines(engine, page)
            readings = [(*_recognise(engine, line), height) for line, height in lines]
            upright = [score for _, score, _ in readings[:ORIENTATION_LINES]]
            turned = [_recognise(engine, np.ascontiguousarray(line[::-1, ::-1]))[1]
                      for line, _ in lines[:ORIENTATION_LINES]]
            if turned and np.mean(turned) > np.mean(upright):
                readings = [(*_recognise(engine, line), height) for line, height in _page_lines(engine, page.rotate(180))]
        return [(text, height) for text, score, height in readings if text and score >= MIN_SCORE]

    def describe(self, path: Path, image: Image.Image, criterion: str) -> str:
        if not self.has_text(image):
            return ""
        text = " ".join(" | ".join(self.read(image)).split())
        if not text:
            return ""
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS].rsplit(" ", 1)[0] + " ..."
        return f'Text in the picture: "{text}".'

    def close(self) -> None:
        with self._lock:
            self._engine = None
