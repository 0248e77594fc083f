"""Scanning a folder into the project: which files are there, what they are, their text.

:func:`scan_folder` is the pipeline's first step. It walks the folder, records every file it
sees as an item (``ok`` or ``skipped`` with a reason a user can read), hashes contents so
later stages can cache by content, and stores extracted text once per distinct content.

Design points, each for a reason:

* The walk never follows symlinked folders (no loops, no scanning outside the folder) and
  sorts entries, so two scans of the same folder see the same order.
* A file whose size and mtime match what the project already knows is not read at all, and
  text is only extracted for contents that have no extract yet: re-scanning a large, mostly
  unchanged folder costs one ``stat`` per file.
* One bad file never stops the scan: anything that goes wrong with a file becomes a skip
  with a reason; only a missing root, the store failing or cancellation end the scan.
* Names are stored twice: ``path`` is printable (undecodable bytes shown as ``\\xNN``) for
  display and lookups; ``raw_path`` holds the exact bytes so the file can be found again.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from corral.engine import extract
from corral.engine.jobs import CancelToken, ProgressCallback, StageProgress
from corral.engine.store import ItemRow, Project
from corral.models.fileio import sha256_file

log = logging.getLogger(__name__)

#: Files larger than this are skipped as "too large" (they are not read or hashed).
MAX_FILE_SIZE = 512 * 1024 * 1024

#: Names skipped with hidden files: OS and office clutter nobody wants organized.
SYSTEM_NAMES = frozenset(
    {
        "thumbs.db",
        "ehthumbs.db",
        "desktop.ini",
        ".ds_store",
        "__macosx",
        "$recycle.bin",
        "system volume information",
    }
)

REASON_SYMLINK = "symbolic link"
REASON_SYMLINK_DIR = "symbolic link to a folder (not followed)"
REASON_PERMISSION = "permission denied"
REASON_VANISHED = "vanished during scan"
REASON_NOT_REGULAR = "not a regular file"
REASON_NAME_CLASH = "its name reads the same as another file's once made printable"

#: Project setting: "1" once every picture in the project was examined by a scan that reads
#: pictures of pages (OCR on), "0" after a scan without OCR examined one.
PAGES_CHECKED = "scan.pictures_checked_for_pages"

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)  # a file swapped for a symlink after listing
    | getattr(os, "O_NONBLOCK", 0)  # ... or for a FIFO: never hang on open
    | getattr(os, "O_BINARY", 0)
)


class IngestError(Exception):
    """The folder cannot be scanned at all (missing, not a folder, unreadable)."""


@dataclass
class ScanReport:
    """What one scan found.

    Every path seen lands in exactly one of ``new``, ``changed``, ``unchanged`` (items with
    status ``ok``, by content compared with the previous scan) or ``skipped`` (with the
    reason). ``removed`` lists items known before and not found now (now ``missing``).
    ``documents`` and ``images`` count the ``ok`` items of each kind (``pages``: the
    documents that are pictures of pages); ``hidden`` counts hidden and system entries left
    out (not stored).
    """

    root: Path
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    documents: int = 0
    images: int = 0
    pages: int = 0
    hidden: int = 0

    @property
    def total(self) -> int:
        """Paths seen in the folder (hidden ones aside)."""
        return len(self.new) + len(self.changed) + len(self.unchanged) + len(self.skipped)


@dataclass
class _Entry:
    """One thing found by the walk, before it is read."""

    rel: str  # relative path as the OS gave it ('/'-separated, may hold surrogate escapes)
    path: str  # path to open
    st: os.stat_result | None  # lstat from the walk
    reason: str = ""  # set when the walk already knows it is skipped
    mime: str = ""

    @property
    def raw(self) -> bytes:
        return os.fsencode(self.rel)

    @property
    def printable(self) -> str:
        return printable_path(self.raw)


@dataclass
class _Outcome:
    """What examining one file decided; turned into store writes by the caller."""

    kind: str
    mime: str
    size: int | None
    mtime: float | None
    content_hash: str | None
    reason: str = ""  # empty => ok
    text: extract.Extracted | None = None
    reused: bool = False


def printable_path(raw: bytes) -> str:
    """A relative path for display and for ``items.path``.

    Bytes that are not UTF-8 become ``\\xNN``: SQLite cannot store the lone surrogates
    that ``os.fsdecode`` would produce, and users should see something readable.
    """
    return raw.decode("utf-8", errors="backslashreplace")


def _is_hidden(name: str, entry: os.DirEntry[str]) -> bool:
    if name.startswith((".", "~$")) or name.lower() in SYSTEM_NAMES:
        return True
    hidden_flag = getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0)
    if hidden_flag:  # Windows marks hidden files with an attribute, not a dot
        try:
            return bool(
                getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0) & hidden_flag
            )
        except OSError:
            return False
    return False


def _folder_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return REASON_PERMISSION
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return REASON_VANISHED
    return f"could not read folder ({exc.strerror or exc})"


def _file_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return REASON_PERMISSION
    if isinstance(exc, FileNotFoundError):
        return REASON_VANISHED
    if exc.errno == errno.ELOOP:
        return REASON_SYMLINK
    return f"could not read ({exc.strerror or exc})"


def _own_files(project: Project) -> set[str]:
    """The project file and SQLite's side files, never to be scanned as documents."""
    base = os.path.realpath(project.path)
    return {base, base + "-wal", base + "-shm", base + "-journal"}


def _walk(
    root: str, *, include_hidden: bool, cancel: CancelToken | None, own: set[str]
) -> tuple[list[_Entry], int]:
    """List every non-hidden entry below ``root``, sorted, without following symlinks.

    Folders are descended into; everything else (files, links, sockets, unreadable folders)
    becomes an :class:`_Entry`. Returns the entries and how many hidden ones were left out.
    """
    own_names = {os.path.basename(p) for p in own}
    found: list[_Entry] = []
    hidden = 0
    stack: list[tuple[str, str]] = [("", root)]
    while stack:
        if cancel is not None:
            cancel.check()
        rel_dir, abs_dir = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                listing = sorted(it, key=lambda e: os.fsencode(e.name))
        except OSError as exc:
            if not rel_dir:
                raise IngestError(f"Cannot read the folder {root}: {exc.strerror or exc}") from exc
            found.append(_Entry(rel_dir, abs_dir, None, _folder_reason(exc), "inode/directory"))
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in listing:
            name = entry.name
            if not include_hidden and _is_hidden(name, entry):
                hidden += 1
                continue
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if name in own_names and os.path.realpath(entry.path) in own:
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if entry.is_symlink():
                    if entry.is_dir(follow_symlinks=True):
                        found.append(
                            _Entry(rel, entry.path, st, REASON_SYMLINK_DIR, "inode/symlink")
                        )
                    else:
                        found.append(_Entry(rel, entry.path, st, REASON_SYMLINK, "inode/symlink"))
                elif stat.S_ISDIR(st.st_mode):
                    subdirs.append((rel, entry.path))
                elif stat.S_ISREG(st.st_mode):
                    found.append(_Entry(rel, entry.path, st))
                else:
                    found.append(_Entry(rel, entry.path, st, REASON_NOT_REGULAR, "inode/special"))
            except OSError as exc:
                found.append(_Entry(rel, entry.path, None, _file_reason(exc)))
        stack.extend(reversed(subdirs))
    found.sort(key=lambda e: e.raw)
    return found, hidden


def _hash_file(fh: IO[bytes]) -> str:
    """``sha256:<hex>`` of the whole file; the key for extracts and model answers."""
    fh.seek(0)
    return "sha256:" + sha256_file(fh)


def _reuse(known: ItemRow | None, st: os.stat_result, extract_hashes: set[str],
           reads_scans: bool, recheck_pictures: bool = False) -> _Outcome | None:
    """The earlier verdict, when size and mtime say the file was not touched since.

    ``ok`` documents are only reused while their extract is still stored; pictures not while
    ``recheck_pictures`` (some were examined without reading pictures of pages); skips only
    when their reason follows from the content (``extract.is_lasting``), so transient
    failures are retried, and scans skipped without OCR are read once this scan reads scans.
    """
    if known is None or known.status not in ("ok", "skipped"):
        return None
    if known.size != st.st_size or known.mtime != st.st_mtime:
        return None
    if known.status == "ok":
        if not known.content_hash:
            return None
        if known.kind == "document" and known.content_hash not in extract_hashes:
            return None
        if known.kind == "image" and recheck_pictures:
            return None
    elif not extract.is_lasting(known.reason, reads_scans=reads_scans):
        return None
    return _Outcome(
        kind=known.kind or "other",
        mime=known.mime,
        size=st.st_size,
        mtime=st.st_mtime,
        content_hash=known.content_hash or None,
        reason=known.reason if known.status == "skipped" else "",
        reused=True,
    )


@dataclass(frozen=True)
class _Reading:
    """What a scan reads by OCR: the pictures of PDFs without text (``read_picture``) and
    picture files that may be pages (``read_page``); ``recheck_pictures``: pictures known
    from before are looked at again (an earlier scan examined some without ``read_page``)."""

    read_picture: extract.ReadPicture | None = None
    read_page: extract.ReadPage | None = None
    recheck_pictures: bool = False


def _examine(
    entry: _Entry, known: ItemRow | None, extract_hashes: set[str], max_text_chars: int, reading: _Reading,
) -> _Outcome:
    """Open, identify, hash and (when needed) extract one regular file.

    Everything is read through one descriptor so the hash, the kind and the text all
    describe the same bytes even if the file is replaced meanwhile.
    """
    assert entry.st is not None
    reused = _reuse(known, entry.st, extract_hashes, reading.read_picture is not None, reading.recheck_pictures)
    if reused is not None:
        return reused
    try:
        fd = os.open(entry.path, _OPEN_FLAGS)
    except OSError as exc:
        return _Outcome("other", "", entry.st.st_size, entry.st.st_mtime, None, _file_reason(exc))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            return _Outcome("other", "", None, st.st_mtime, None, REASON_NOT_REGULAR)
        name = os.path.basename(entry.rel)
        head = fh.read(extract.HEAD_BYTES)
        sniffed = extract.sniff(head, name, fh)
        outcome = _Outcome(sniffed.item_kind, sniffed.mime, st.st_size, st.st_mtime, None)
        if sniffed.kind is None:
            outcome.reason = sniffed.reason
            return outcome
        if st.st_size > MAX_FILE_SIZE:
            outcome.reason = extract.REASON_TOO_LARGE
            return outcome
        outcome.content_hash = _hash_file(fh)
        if outcome.content_hash in extract_hashes:  # read before (a picture's text only if a page)
            outcome.kind = "document"
            return outcome
        try:  # a picture of a page is grouped as the document it shows
            outcome.text = extract.read(sniffed, fh, size=st.st_size, max_chars=max_text_chars,
                                        read_picture=reading.read_picture, read_page=reading.read_page)
        except extract.Skip as skip:
            outcome.reason = skip.reason
        if outcome.text is not None:
            outcome.kind = "document"
        return outcome


def scan_folder(
    root: Path,
    project: Project,
    *,
    include_hidden: bool = False,
    max_text_chars: int = 200_000,
    read_picture: extract.ReadPicture | None = None,
    read_page: extract.ReadPage | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ScanReport:
    """Bring the project's items in line with the files under ``root``.

    Each file becomes an item (``ok`` or ``skipped`` with a reason); documents get their
    text stored once per content hash; items no longer found are marked missing. Each write
    commits at once, so a cancelled or killed scan keeps its work, and items are only
    marked missing after a complete walk (a cancelled scan never "removes" anything).
    ``read_picture`` reads the pages of PDFs without text (scans) by OCR, ``read_page``
    picture files that may be pages (``extract.read_page_picture``: those that are become
    documents); without them such PDFs are skipped and such pictures stay pictures until a
    scan that has them.

    Raises :class:`IngestError` when ``root`` is not a readable folder, and
    :class:`~corral.engine.jobs.Cancelled` when ``cancel`` is triggered.
    """
    root = Path(root)
    if not root.exists():
        raise IngestError(f"The folder {root} does not exist.")
    if not root.is_dir():
        raise IngestError(f"{root} is not a folder.")

    report = ScanReport(root=root)
    entries, report.hidden = _walk(
        os.fspath(root), include_hidden=include_hidden, cancel=cancel, own=_own_files(project)
    )
    known_items = {item.path: item for item in project.items(status=None)}
    extract_hashes = project.extract_hashes()
    # Pictures examined by a scan that could not read pages are examined again by the first
    # scan that can (the project remembers whether every picture it holds was checked).
    reads_pages, checked = read_page is not None, project.get_meta(PAGES_CHECKED)
    reading = _Reading(read_picture, read_page, reads_pages and checked != "1")
    stage = StageProgress(progress, "scan", len(entries))
    seen: set[str] = set()

    for entry in entries:
        if cancel is not None:
            cancel.check()
        path = entry.printable
        if path in seen:
            # Two different byte names with the same printable form: the store keys on the
            # printable path, so the second one cannot be stored without hiding the first.
            report.skipped.append((path, REASON_NAME_CLASH))
            stage.advance(message=path)
            continue
        seen.add(path)
        known = known_items.get(path)
        outcome = _outcome_for(entry, known, extract_hashes, max_text_chars, reading)
        if outcome.kind == "image" and not (outcome.reused or outcome.reason or reads_pages) and checked != "0":
            checked = "0"  # at once: a scan cancelled after this picture must leave it unchecked
            project.set_meta(PAGES_CHECKED, checked)

        if outcome.text is not None and outcome.content_hash:
            if outcome.content_hash not in extract_hashes:
                project.put_extract(
                    outcome.content_hash,
                    outcome.text.text,
                    outcome.text.extractor,
                    outcome.text.meta,
                )
                extract_hashes.add(outcome.content_hash)
        project.upsert_item(
            path=path,
            raw_path=entry.raw,
            kind=outcome.kind,
            mime=outcome.mime,
            size=outcome.size,
            mtime=outcome.mtime,
            content_hash=outcome.content_hash,
            status="skipped" if outcome.reason else "ok",
            reason=outcome.reason,
        )
        _classify(report, path, known, outcome)
        stage.advance(message=path)

    report.removed = project.mark_missing(seen)
    if reads_pages:
        project.set_meta(PAGES_CHECKED, "1")
    return report


def _outcome_for(
    entry: _Entry, known: ItemRow | None, extract_hashes: set[str], max_text_chars: int, reading: _Reading,
) -> _Outcome:
    """:func:`_examine`, with walk-time verdicts and every per-file failure turned into skips."""
    st = entry.st
    size = st.st_size if st is not None else None
    mtime = st.st_mtime if st is not None else None
    if entry.reason:
        return _Outcome("other", entry.mime, size, mtime, None, entry.reason)
    try:
        return _examine(entry, known, extract_hashes, max_text_chars, reading)
    except OSError as exc:
        return _Outcome("other", "", size, mtime, None, _file_reason(exc))
    except Exception as exc:  # noqa: BLE001 - one odd file must never end the scan
        log.warning("Skipping %s after an unexpected error", entry.printable, exc_info=True)
        detail = " ".join(str(exc).split())[:160]
        return _Outcome(
            "other",
            "",
            size,
            mtime,
            None,
            f"unexpected error: {type(exc).__name__}" + (f": {detail}" if detail else ""),
        )


def _classify(report: ScanReport, path: str, known: ItemRow | None, outcome: _Outcome) -> None:
    if outcome.reason:
        report.skipped.append((path, outcome.reason))
        return
    if outcome.kind == "document":
        report.documents += 1
        report.pages += outcome.mime.startswith("image/")
    elif outcome.kind == "image":
        report.images += 1
    if known is None or known.status == "missing":
        report.new.append(path)
    elif known.status != "skipped" and known.kind == outcome.kind and (
            outcome.reused or known.content_hash == outcome.content_hash):
        report.unchanged.append(path)
    else:
        report.changed.append(path)


__all__ = ["IngestError", "MAX_FILE_SIZE", "ScanReport", "printable_path", "scan_folder"]
