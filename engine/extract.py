"""What a file is, and what text it holds.

Two questions are answered here, both from the file's bytes rather than its name alone,
because folders people organize are full of misnamed files (a scan saved as ``.jpg`` that
is really a PDF, a ``.txt`` that is really a database dump):

* :func:`sniff` looks at the first bytes (and, for ZIP files, the archive directory) and
  says which reader applies: ``pdf``, ``docx``, ``html``, ``email``, ``text``, ``image`` or
  none.
* :func:`extract` runs that reader (pypdf, python-docx, BeautifulSoup, Python's ``email``,
  charset-normalizer)
  and returns normalised text, or raises :class:`Skip` with a reason a user can read. A PDF
  without a text layer (a scan) has the pictures of its first pages read by OCR, where the
  caller gives a reader (``read_picture``: the describers' RapidOCR).

Nothing here touches the project store; :mod:`corral.engine.ingest` decides what to keep.
"""

from __future__ import annotations

import codecs
import functools
import logging
import mimetypes
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import IO, TYPE_CHECKING, Any

import filetype

if TYPE_CHECKING:
    from PIL import Image

# pypdf logs a warning for every quirk of every damaged PDF it recovers from ("EOF marker
# not found", "incorrect startxref"). A scan of a real archive would drown the terminal in
# them, and a PDF it cannot read is already reported as a skip; keep its errors only.
# An application that configured the "pypdf" logger itself keeps its choice.
if logging.getLogger("pypdf").level == logging.NOTSET:
    logging.getLogger("pypdf").setLevel(logging.ERROR)

log = logging.getLogger(__name__)

#: How many leading bytes :func:`sniff` needs (``filetype`` looks at up to 8 KiB).
HEAD_BYTES = 8192

#: Extensions read as plain text (markdown and friends stay as written, markup included).
TEXT_MIMES: dict[str, str] = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".rst": "text/x-rst",
    ".csv": "text/csv",
    ".json": "application/json",
    ".log": "text/plain",
}
HTML_EXTENSIONS = frozenset({".html", ".htm"})

#: Image types a later stage can describe; other ``image/*`` guesses (PSD, ICO, RAW) are not.
IMAGE_MIMES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/tiff",
        "image/bmp",
        "image/heic",
        "image/heif",
    }
)

# Header sizes of the BMP variants (OS/2 1.x and 2.x, BITMAPINFOHEADER ... V5).
_BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML_MIME = "text/html"
EMAIL_MIME = "message/rfc822"
#: A saved e-mail (as mail programs save one: "Save as" gives an ``.eml``).
EMAIL_EXTENSIONS = frozenset({".eml"})
#: The headers an e-mail's text begins with, in this order.
EMAIL_HEADERS = ("From", "To", "Cc", "Date", "Subject")

#: Reads the lines of text in a picture: a scanned page (``describers.ocr.OcrDescriber.read_scan``).
ReadPicture = Callable[["Image.Image"], list[str]]
#: A PDF without text: the pictures of at most this many first pages are read, ...
SCANNED_PAGES = 3
#: ... stopping once this much text was read (a description keeps the first 800 characters).
SCANNED_CHARS = 2000
#: A page's picture smaller than this on a side holds no legible text (a rule, a logo's dot) ...
MIN_PAGE_PICTURE_SIDE = 64
#: ... and one larger than this is not decoded (a 600 dpi A4 scan is 35 million pixels).
MAX_PAGE_PICTURE_PIXELS = 80_000_000
#: A picture file (a page photographed or scanned to JPEG) is read as a page only when its
#: shorter side has this many pixels (an A4 page at 75 dpi: smaller print cannot be read) ...
PAGE_MIN_SIDE = 600
#: ... and this share of the middle of a small copy is paper: bright and nearly grey (a page
#: or a receipt photographed on a table fills the middle of the picture, whatever lies
#: round it; most photos' middles hold far less) ...
PAGE_PAPER_SHARE = 0.6
#: ... and OCR then reads at least this many lines and characters on it ...
PAGE_MIN_LINES = 2
PAGE_MIN_CHARS = 60
#: ... in print no higher than this share of the picture's longer side (a page's 11 pt line
#: is about 0.015 of an A4 sheet's height; a sign's or a poster's letters are many times that).
PAGE_MAX_PRINT = 0.04
#: Reads a picture file that may be a page: its lines, and the height of its print as a
#: share of the picture's longer side (``describers.ocr.OcrDescriber.read_page``).
ReadPage = Callable[["Image.Image"], tuple[list[str], float]]

#: A DOCX whose main part unpacks to more than this is refused (ZIP bombs, generated junk).
MAX_DOCX_XML_BYTES = 256 * 1024 * 1024
#: HTML is read whole up to this size; beyond it the visible text is cut anyway.
MAX_HTML_BYTES = 64 * 1024 * 1024

# Reasons that depend only on the bytes of a file, so a file whose size and mtime did not
# change can keep its earlier verdict without being read again (see ``is_lasting``).
REASON_BINARY = "binary content, not text"
REASON_EMPTY = "empty document"
REASON_EMPTY_FILE = "empty file"
REASON_ENCRYPTED = "encrypted PDF"
REASON_NO_PDF_TEXT = "no text in PDF, nor any read in its pages' pictures"
#: Lasting only while scans are not read (:func:`is_lasting`): read once OCR is on.
REASON_NO_PDF_TEXT_UNREAD = "no text in PDF (a scan? its pages' pictures are read only with OCR on)"
REASON_TOO_LARGE = "too large"
REASON_MISNAMED = "named as"  # ... "a PDF but is not one inside (damaged, or another kind of file)"
_LASTING_PREFIXES = (
    REASON_MISNAMED,
    REASON_BINARY,
    REASON_EMPTY,
    REASON_EMPTY_FILE,
    REASON_ENCRYPTED,
    REASON_NO_PDF_TEXT,
    REASON_TOO_LARGE,
    "not a document or image",
    "damaged PDF",
    "damaged Word document",
    "damaged e-mail",
)


class Skip(Exception):
    """A file that is kept out of the pipeline, with the reason in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_lasting(reason: str, *, reads_scans: bool = False) -> bool:
    """Whether a skip ``reason`` follows from the content alone.

    Such verdicts are reused while size and mtime stay the same, so a folder of damaged or
    empty files is not parsed again on every scan. Reasons that may go away on their own
    (permission denied, vanished, unexpected errors) are not lasting and are retried; a scan
    skipped for want of OCR lasts only while scans are not read (``reads_scans``).
    """
    return reason.startswith(_LASTING_PREFIXES) or (reason == REASON_NO_PDF_TEXT_UNREAD and not reads_scans)


@dataclass(frozen=True)
class Sniffed:
    """The verdict of :func:`sniff`: which reader applies (``kind``) and the MIME type.

    ``kind`` is ``None`` when the file is neither a document nor an image; ``reason`` then
    says why in words meant for the user.
    """

    kind: str | None  # pdf | docx | html | email | text | image | None
    mime: str
    reason: str = ""

    @property
    def item_kind(self) -> str:
        """The store's coarser kind: ``document``, ``image`` or ``other``."""
        if self.kind is None:
            return "other"
        return "image" if self.kind == "image" else "document"


@dataclass
class Extracted:
    """Normalised text of one document plus what the reader learned on the way."""

    text: str
    extractor: str
    meta: dict[str, Any] = field(default_factory=dict)


# -- sniffing ------------------------------------------------------------------------------


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _looks_like_html(head: bytes) -> bool:
    start = head[:1024].lstrip(b"\xef\xbb\xbf").lstrip().lower()
    return start.startswith(b"<!doctype html") or start.startswith(b"<html")


def _is_docx(fh: IO[bytes]) -> bool:
    """A DOCX is a ZIP with ``word/document.xml``; checked with zipfile, not by name."""
    try:
        fh.seek(0)
        with zipfile.ZipFile(fh) as archive:
            archive.getinfo("word/document.xml")
        return True
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError):
        return False
    finally:
        fh.seek(0)


def sniff(head: bytes, name: str, fh: IO[bytes]) -> Sniffed:
    """Decide how to read a file from its first bytes, falling back to its name.

    Content wins over the extension: ``%PDF-`` makes a PDF whatever the name, image magic
    makes an image, a ZIP with ``word/document.xml`` makes a DOCX. Names only decide
    between "text" and "not supported" for files without a recognisable signature.
    ``fh`` must be seekable; it is left at offset 0.
    """
    suffix = _suffix(name)
    pdf_at = head.find(b"%PDF-", 0, 1024)
    if pdf_at == 0 or (pdf_at > 0 and suffix == ".pdf"):
        return Sniffed("pdf", PDF_MIME)
    guess = filetype.guess(head) if head else None
    guessed_mime = guess.mime if guess is not None else ""
    if guessed_mime in IMAGE_MIMES and _plausible_image(guessed_mime, head):
        return Sniffed("image", guessed_mime)
    if head.startswith(b"PK\x03\x04") and _is_docx(fh):
        return Sniffed("docx", DOCX_MIME)
    if suffix in EMAIL_EXTENSIONS:
        return Sniffed("email", EMAIL_MIME)
    if suffix in HTML_EXTENSIONS or _looks_like_html(head):
        return Sniffed("html", HTML_MIME)
    if suffix in TEXT_MIMES or (suffix == "" and not guessed_mime):
        return Sniffed("text", TEXT_MIMES.get(suffix, "text/plain"))
    if not head:
        return Sniffed(None, "application/octet-stream", REASON_EMPTY_FILE)
    named = _mime_from_name(name)
    mime = guessed_mime or named
    if named_as := {PDF_MIME: "a PDF", DOCX_MIME: "a Word document"}.get(named, "a picture" if named in IMAGE_MIMES else ""):
        inside = f"holds {guessed_mime}" if guessed_mime else "is not one inside"
        return Sniffed(None, mime, f"{REASON_MISNAMED} {named_as} but {inside} (damaged, or another kind of file)")
    return Sniffed(None, mime, f"not a document or image ({mime})")


def _plausible_image(mime: str, head: bytes) -> bool:
    """Second look at weak signatures: ``filetype`` calls anything starting "BM" a bitmap.

    A real BMP names a known DIB header size at offset 14, which a text file that happens
    to begin with "BM" (say, "BMW service record") does not.
    """
    if mime != "image/bmp":
        return True
    return len(head) >= 18 and int.from_bytes(head[14:18], "little") in _BMP_DIB_SIZES


def _mime_from_name(name: str) -> str:
    return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"


# -- text helpers --------------------------------------------------------------------------

_SPACES = re.compile(r"[^\S\n]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def normalize_text(text: str) -> str:
    """Collapse runs of spaces, trim lines, keep paragraph breaks, drop control characters.

    Models see fewer tokens for the same meaning, and hashes of prompts stay stable when a
    file only differs in layout whitespace.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")
    text = _CONTROL.sub("", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def _cut(text: str, max_chars: int, meta: dict[str, Any]) -> str:
    if len(text) > max_chars:
        meta["truncated"] = True
        return text[:max_chars].rstrip()
    return text


def _mostly_printable(text: str) -> bool:
    if not text:
        return True
    sample = text[:20_000]
    bad = sum(
        1
        for ch in sample
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\r\t\x0c"
    )
    return bad <= len(sample) * 0.05


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes, *, complete: bool = True) -> str | None:
    """Decode bytes of a would-be text file, or return ``None`` when they are not text.

    BOMs are honoured first (UTF-16 text legitimately contains NUL bytes); otherwise a NUL
    byte means binary. Valid UTF-8 is taken as is, anything else goes to charset-normalizer.
    ``complete=False`` says the data was cut off, so a split last character is not an error.
    """
    if not data:
        return ""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            return text if _mostly_printable(text) else None
    if b"\x00" in data:
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=complete)
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            return None
        text = data.decode(best.encoding, errors="replace")
    return text if _mostly_printable(text) else None


# -- extractors ----------------------------------------------------------------------------


@functools.cache  # reading a package's metadata costs about 3 ms: once per process, not per file
def _lib_version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:  # pragma: no cover - only in odd installs
        return "?"


def _shorten(message: object, limit: int = 120) -> str:
    text = " ".join(str(message).split()) or "unknown error"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def extract(sniffed: Sniffed, fh: IO[bytes], *, size: int, max_chars: int,
            read_picture: ReadPicture | None = None) -> Extracted:
    """Read the text of a document whose kind :func:`sniff` decided (``read_picture``: OCR
    for a PDF without text, see :func:`extract_pdf`).

    Raises :class:`Skip` when the file holds no usable text (encrypted, a scan with nothing
    read, empty, damaged, binary). Unexpected library failures propagate; the caller records them.
    """
    fh.seek(0)
    if sniffed.kind == "pdf":
        result = extract_pdf(fh, max_chars, read_picture)
    elif sniffed.kind == "docx":
        result = extract_docx(fh, max_chars)
    elif sniffed.kind == "html":
        result = extract_html(fh, max_chars)
    elif sniffed.kind == "email":
        result = extract_email(fh, max_chars)
    elif sniffed.kind == "text":
        result = extract_text(fh, size=size, max_chars=max_chars)
    else:  # pragma: no cover - callers only pass documents
        raise ValueError(f"not a document kind: {sniffed.kind!r}")
    if not result.text:
        raise Skip(REASON_EMPTY)
    return result


def read(sniffed: Sniffed, fh: IO[bytes], *, size: int, max_chars: int, read_picture: ReadPicture | None = None,
         read_page: ReadPage | None = None) -> Extracted | None:
    """A file's text as a folder's scan reads it: a document's (:func:`extract`), a
    picture's only where it is a page (:func:`read_page_picture`, with ``read_page``); None
    for a picture that is no page, or with no ``read_page``. Raises :class:`Skip` as
    :func:`extract` does."""
    if sniffed.kind == "image":
        return read_page_picture(fh, read_page) if read_page is not None else None
    return extract(sniffed, fh, size=size, max_chars=max_chars, read_picture=read_picture)


def extract_pdf(fh: IO[bytes], max_chars: int, read_picture: ReadPicture | None = None) -> Extracted:
    """Text of every page with pypdf, stopping once ``max_chars`` are collected.

    An empty user password is tried first: many PDFs are "encrypted" only to restrict
    printing and open without one. A PDF with no text at all is most often a scan (a
    letter, a receipt, a form through a scanner or a phone app): its first pages' pictures
    are read by ``read_picture`` (:func:`scanned_text`); without a reader it is skipped,
    saying so, and read on the first scan that has one.
    """
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    meta: dict[str, Any] = {}
    parts: list[str] = []
    collected = 0
    try:
        reader = PdfReader(fh)
        if reader.is_encrypted:
            try:
                if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                    raise Skip(REASON_ENCRYPTED)
            except (DependencyError, FileNotDecryptedError, NotImplementedError) as exc:
                raise Skip(REASON_ENCRYPTED) from exc
        meta["pages"] = len(reader.pages)
        try:
            title = reader.metadata.title if reader.metadata else None
        except Exception:  # noqa: BLE001 - a broken info dict must not lose the text
            title = None
        if title and str(title).strip():
            meta["title"] = str(title).strip()
        for page in reader.pages:
            page_text = normalize_text(page.extract_text() or "")
            if page_text:
                parts.append(page_text)
                collected += len(page_text) + 2
            if collected > max_chars:
                break
        if not parts and read_picture is not None:
            scanned, meta["pages_read_by_ocr"] = scanned_text(reader, read_picture)
            if scanned:
                return Extracted(_cut(scanned, max_chars, meta), f"pypdf {_lib_version('pypdf')} + OCR", meta)
            raise Skip(REASON_NO_PDF_TEXT)
    except Skip:
        raise
    except FileNotDecryptedError as exc:
        raise Skip(REASON_ENCRYPTED) from exc
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        AssertionError,
        RecursionError,
        OverflowError,
        ZeroDivisionError,
    ) as exc:
        raise Skip(f"damaged PDF: {_shorten(exc)}") from exc
    text = "\n\n".join(parts)
    if not text:
        raise Skip(REASON_NO_PDF_TEXT_UNREAD)
    return Extracted(_cut(text, max_chars, meta), f"pypdf {_lib_version('pypdf')}", meta)


def scanned_text(reader: Any, read_picture: ReadPicture) -> tuple[str, int]:
    """The text ``read_picture`` finds in the pictures of a PDF's first ``SCANNED_PAGES``
    pages, stopping once ``SCANNED_CHARS`` are read ("" when none), and how many pages it read."""
    lines: list[str] = []
    pages = 0
    for page in reader.pages[:SCANNED_PAGES]:
        pages += 1
        for picture in page_pictures(page):
            lines += read_picture(picture)
        if sum(len(line) + 1 for line in lines) >= SCANNED_CHARS:
            break
    return normalize_text("\n".join(lines)), pages


def paper_share(image: Image.Image) -> float:
    """The share of the middle of ``image`` (RGB; half its width and half its height) that
    looks like paper: bright (the brightest channel above 0.6) and nearly grey (saturation
    below 0.2), the ground of a printed page whether white, cream or scanned grey. The
    middle, because a narrow receipt photographed on a table is a quarter to two fifths of
    the whole picture, and three quarters or more of its middle."""
    import numpy as np

    width, height = image.size
    small = image.crop((width // 4, height // 4, width - width // 4, height - height // 4))
    small.thumbnail((128, 128))
    rgb = np.asarray(small, dtype=np.float32) / 255.0
    high, low = rgb.max(axis=2), rgb.min(axis=2)
    saturation = (high - low) / np.maximum(high, 1e-6)
    return float(((high > 0.6) & (saturation < 0.2)).mean())


def read_page_picture(fh: IO[bytes], read_page: ReadPage) -> Extracted | None:
    """The text of a picture file that is a page (a letter, a receipt or a form scanned or
    photographed to JPEG/PNG/HEIC/TIFF), or None for a picture that is not one or cannot be read.

    Such a picture is grouped as the document it shows, not by its look (a page's look is
    the same whatever the page says: docs/benchmarks.md, "Scanned documents"). Only a large
    picture whose middle is mostly paper (:func:`paper_share`, of a copy decoded at reduced
    size) is read by OCR; it is a page where ``read_page`` finds ``PAGE_MIN_LINES`` lines and
    ``PAGE_MIN_CHARS`` characters in print no higher than ``PAGE_MAX_PRINT`` (a short note
    is a page; a sign, whose letters are large, is not). The picture is decoded as the
    describers decode it (describers/loading.py: upright by its EXIF, transparency on white)."""
    from .describers.loading import ImageSkip, decode_file, open_lazy

    try:
        fh.seek(0)
        with open_lazy(fh) as image:  # the size, nothing decoded
            width, height = image.size
            frames = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1  # not a camera's MPO
        if min(width, height) < PAGE_MIN_SIDE or width * height > MAX_PAGE_PICTURE_PIXELS:
            return None
        fh.seek(0)
        if paper_share(decode_file(fh, side=256).image) < PAGE_PAPER_SHARE:  # JPEG: decoded at 1/8
            return None
        fh.seek(0)
        lines, print_height = read_page(decode_file(fh, side=max(width, height)).image)
        text = normalize_text("\n".join(lines))
        if len(lines) < PAGE_MIN_LINES or len(text) < PAGE_MIN_CHARS or print_height > PAGE_MAX_PRINT:
            return None
        meta = {"picture": True, "lines": len(lines), "print": round(print_height, 4)}
        text, meta["pages_read_by_ocr"] = _later_pages(fh, frames, read_page, lines)
    except Skip:  # OCR cannot run: the picture stays a picture
        return None
    except (ImageSkip, OSError, ValueError, SyntaxError, EOFError) as exc:
        log.info("A picture could not be checked for a page: %s", _shorten(exc))
        return None
    return Extracted(text, "OCR of a picture of a page", meta)


def _later_pages(fh: IO[bytes], frames: int, read_page: ReadPage, lines: list[str]) -> tuple[str, int]:
    """The text of a picture file of ``frames`` pages (a scanner's multi-page TIFF) whose first
    page gave ``lines``: its next pages read too, up to ``SCANNED_PAGES`` and ``SCANNED_CHARS``
    as a scanned PDF's; a page that cannot be decoded ends it. Returns the text and the pages read."""
    from .describers.loading import open_lazy

    pages = 1
    if frames > 1:
        fh.seek(0)
        with open_lazy(fh) as image:
            while pages < min(SCANNED_PAGES, frames) and sum(len(x) + 1 for x in lines) < SCANNED_CHARS:
                try:
                    image.seek(pages)
                    lines = lines + read_page(image.convert("RGB"))[0]
                except (OSError, ValueError, EOFError) as exc:
                    log.info("A later page of a picture could not be read: %s", _shorten(exc))
                    break
                pages += 1
    return normalize_text("\n".join(lines)), pages


def page_pictures(page: Any) -> Iterator[Image.Image]:
    """A PDF page's own pictures that may hold text, decoded by pypdf: those between
    ``MIN_PAGE_PICTURE_SIDE`` and ``MAX_PAGE_PICTURE_PIXELS`` (their size is read before
    decoding); one pypdf cannot decode (a JBIG2 scan, a broken stream) is passed over."""
    try:
        pictures = page["/Resources"]["/XObject"]
    except (KeyError, TypeError):
        return
    for name in list(pictures):
        picture = pictures[name]
        if picture.get("/Subtype") != "/Image":
            continue
        width, height = int(picture.get("/Width", 0)), int(picture.get("/Height", 0))
        if min(width, height) < MIN_PAGE_PICTURE_SIDE or width * height > MAX_PAGE_PICTURE_PIXELS:
            continue
        try:
            decoded = page.images[name].image
        except Exception as exc:  # noqa: BLE001 - many decoders, many errors; the page's other pictures still count
            log.info("A picture in a PDF could not be decoded: %s", _shorten(exc))
            continue
        if decoded is not None:
            yield decoded


def extract_docx(fh: IO[bytes], max_chars: int) -> Extracted:
    """Paragraphs and table cells, in document order, with python-docx."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError as DocxPackageError
    from docx.table import Table

    try:
        with zipfile.ZipFile(fh) as archive:
            if archive.getinfo("word/document.xml").file_size > MAX_DOCX_XML_BYTES:
                raise Skip("damaged Word document (unpacks to an implausible size)")
        fh.seek(0)
        document = docx.Document(fh)
        blocks: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.extend(_table_rows(block))
            else:
                blocks.append(block.text)
        meta: dict[str, Any] = {}
        title = (document.core_properties.title or "").strip()
        if title:
            meta["title"] = title
    except Skip:
        raise
    except (
        DocxPackageError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        AttributeError,
        TypeError,
        IndexError,
        SyntaxError,
    ) as exc:
        # lxml's XMLSyntaxError is a SyntaxError subclass.
        raise Skip(f"damaged Word document: {_shorten(exc)}") from exc
    text = normalize_text("\n".join(blocks))
    return Extracted(
        _cut(text, max_chars, meta), f"python-docx {_lib_version('python-docx')}", meta
    )


def _table_rows(table: Any) -> list[str]:
    """One line per row, cells joined with `` | ``; merged cells are listed once."""
    rows: list[str] = []
    for row in table.rows:
        seen: set[int] = set()
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cell_text = " ".join(cell.text.split())
            if cell_text:
                cells.append(cell_text)
        if cells:
            rows.append(" | ".join(cells))
    return rows


def extract_html(fh: IO[bytes], max_chars: int) -> Extracted:
    """Visible text with BeautifulSoup's built-in parser; scripts and styles removed.

    The bytes go to BeautifulSoup undecoded so it can honour ``<meta charset>``.
    """
    data = fh.read(MAX_HTML_BYTES)
    if decode_text(data[:HEAD_BYTES], complete=len(data) <= HEAD_BYTES) is None:
        raise Skip(REASON_BINARY)
    text, meta = _html_text(data)
    return Extracted(
        _cut(text, max_chars, meta), f"beautifulsoup4 {_lib_version('beautifulsoup4')}", meta
    )


def _html_text(markup: bytes | str) -> tuple[str, dict[str, Any]]:
    """The visible text of HTML (scripts and styles removed) and its title in ``meta``."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    meta: dict[str, Any] = {}
    if soup.title is not None and soup.title.get_text(strip=True):
        meta["title"] = " ".join(soup.title.get_text().split())
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return normalize_text(soup.get_text("\n")), meta


def _email_body(part: Any) -> str:
    """The text of an e-mail's body part ("" where it is not text): decoded by its charset,
    or, where Python does not know that one, as a plain text file is (``decode_text``)."""
    try:
        content = part.get_content()
    except LookupError:  # a charset Python does not know
        content = decode_text(part.get_payload(decode=True) or b"") or ""
    if isinstance(content, bytes):
        content = decode_text(content) or ""
    elif not isinstance(content, str):
        return ""
    if part.get_content_subtype() == "html":
        content = _html_text(content)[0]
    return normalize_text(content) if _mostly_printable(content) else ""


def extract_email(fh: IO[bytes], max_chars: int) -> Extracted:
    """A saved e-mail (RFC 5322, ``.eml``) with Python's ``email`` package: its headers
    (``EMAIL_HEADERS``), its body (the plain text part, else the HTML one's visible text)
    and the names of its attachments, which say much of what a mail is ("invoice_0412.pdf").
    The attachments themselves are not read."""
    import email
    from email import policy

    data = fh.read(MAX_HTML_BYTES)
    try:
        message = email.message_from_bytes(data, policy=policy.default)
        lines = [f"{name}: {' '.join(str(value).split())}"
                 for name in EMAIL_HEADERS if (value := message.get(name))]
        if not lines:
            raise Skip("damaged e-mail: no From, To, Date or Subject header")
        meta: dict[str, Any] = {}
        if subject := message.get("Subject"):
            meta["title"] = " ".join(str(subject).split())
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None and (content := _email_body(body)):
            lines += ["", content]
        names = [name for part in message.iter_attachments() if (name := part.get_filename())]
        if names:
            lines += ["", "Attachments: " + ", ".join(names)]
    except Skip:
        raise
    except (ValueError, LookupError, TypeError, AttributeError, IndexError, KeyError) as exc:
        # LookupError: a charset Python does not know; the rest: malformed structure.
        raise Skip(f"damaged e-mail: {_shorten(exc)}") from exc
    text = normalize_text("\n".join(lines))
    return Extracted(_cut(text, max_chars, meta), "Python email", meta)


def extract_text(fh: IO[bytes], *, size: int, max_chars: int) -> Extracted:
    """Plain text and markdown, decoded with BOM / UTF-8 / charset-normalizer.

    Only as many bytes as could make ``max_chars`` characters are read, so a huge log file
    costs no more than a small one.
    """
    limit = max_chars * 4 + 4
    data = fh.read(limit)
    text = decode_text(data, complete=size <= len(data))
    if text is None:
        raise Skip(REASON_BINARY)
    meta: dict[str, Any] = {}
    text = normalize_text(text)
    return Extracted(
        _cut(text, max_chars, meta),
        f"charset-normalizer {_lib_version('charset-normalizer')}",
        meta,
    )
