"""Scanning real folders into a real project file.

Each test builds its folder from scratch in ``tmp_path`` (PDFs with fpdf2 and pypdf, DOCX
with python-docx, PNG with Pillow) so what is checked is what users' files look like, not
mocks. Failures the test machine cannot produce for real (permission errors while running
as root) are simulated by wrapping ``os.open``/``os.scandir`` for one path only.
"""

from __future__ import annotations

import io
import os
import sys
import zipfile
from pathlib import Path

import docx
import numpy as np
import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter

from corral.engine import extract, ingest
from corral.engine.ingest import IngestError, ScanReport, scan_folder
from corral.engine.jobs import Cancelled, CancelToken, ProgressEvent
from corral.engine.store import ItemRow, Project

NON_UTF8_NAME = b"caf\xe9.txt"
NON_UTF8_PRINTABLE = "caf\\xe9.txt"


# -- building files ------------------------------------------------------------------------


def pdf_bytes(text: str | None) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    if text is None:
        pdf.rect(20, 20, 60, 40)  # drawing only: what a scan without OCR looks like to pypdf
    else:
        pdf.set_font("Helvetica", size=12)
        pdf.cell(text=text)
    return bytes(pdf.output())


def encrypted_pdf(text: str, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(text))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_docx(path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Lease"
    document.add_paragraph("Tenancy agreement for the flat on Elm Street.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Monthly rent"
    table.rows[0].cells[1].text = "950 EUR"
    document.save(str(path))


def write_emails(root: Path) -> None:
    """E-mails as mail programs save them: plain text (quoted-printable), HTML
    only with an attachment, and one with no header at all."""
    from email.message import EmailMessage

    plain = EmailMessage()
    plain["From"], plain["To"], plain["Subject"] = "Anna <anna@example.org>", "me@example.org", "Garage door repair"
    plain["Date"] = "Tue, 03 Mar 2026 09:12:00 +0100"
    plain.set_content("The garage door is fixed.\nThe bill comes next week, 120 \u20ac for the spring.\n\nAnna",
                      cte="quoted-printable")
    (root / "repair.eml").write_bytes(bytes(plain))
    html = EmailMessage()
    html["From"], html["To"], html["Subject"] = "billing@power.example", "me@example.org", "Your March bill"
    html.set_content("<html><head><style>p {color: red}</style></head><body><p>Amount due: "
                     "<b>64.20 EUR</b> by 31 March.</p></body></html>", subtype="html")
    html.add_attachment(pdf_bytes("Bill"), maintype="application", subtype="pdf", filename="bill_2026-03.pdf")
    (root / "bill.eml").write_bytes(bytes(html))
    (root / "nothing.eml").write_bytes(b"just some words, no header\n")
    (root / "odd.eml").write_bytes(b"From: a@example.org\nSubject: Odd charset\n"
                                   b"Content-Type: text/plain; charset=x-no-such-charset\n\nPlain words after all.\n")


def make_tree(root: Path) -> None:
    """A folder with one of every case ``scan_folder`` must handle."""
    root.mkdir()
    (root / "notes.txt").write_text("Meeting   notes about\tthe garden fence.\n\n\n\nBring tools.")
    (root / "readme.md").write_text("# Plan\n\nBuy seeds in **spring**.\n")
    (root / "page.html").write_text(
        "<!doctype html><html><head><title>Soup recipe</title>"
        "<style>body { color: red }</style><script>var secretToken = 1;</script></head>"
        "<body><h1>Tomato soup</h1><p>Simmer for 20 minutes.</p></body></html>"
    )
    (root / "mislabelled.txt").write_text("<html><body><p>HTML in a .txt</p></body></html>")
    write_docx(root / "lease.docx")
    write_emails(root)
    (root / "invoice.pdf").write_bytes(pdf_bytes("Invoice 42 from ACME"))
    (root / "receipt.jpg").write_bytes(pdf_bytes("Receipt 7 for coffee"))  # a PDF named .jpg
    Image.new("RGB", (8, 8), "red").save(root / "photo.png")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02\x03 not text \xff\xfe\x00" * 20)
    (root / "empty.txt").write_bytes(b"")
    (root / "locked.pdf").write_bytes(encrypted_pdf("Top secret", "secret"))
    (root / "owner-only.pdf").write_bytes(encrypted_pdf("Printable but protected", ""))
    (root / "blank.pdf").write_bytes(pdf_bytes(None))
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\nthis was cut off in the middle of a downl")
    with zipfile.ZipFile(root / "bundle.zip", "w") as archive:
        archive.writestr("a.txt", "zipped")
    (root / "README").write_text("Extensionless but plainly text.")
    (root / "BMW.txt").write_text("BMW service record: oil changed at 60,000 km.")
    (root / "utf16.txt").write_bytes("Grüße aus Köln".encode("utf-16"))
    (root / "latin1.txt").write_bytes(
        "Le café était très crémeux, à côté du marché.".encode("latin-1")
    )
    # Hidden and system clutter: never items unless include_hidden.
    (root / ".hidden.txt").write_text("hidden")
    (root / "Thumbs.db").write_bytes(b"\x00" * 16)
    (root / "~$lease.docx").write_bytes(b"lock")
    (root / "__MACOSX").mkdir()
    (root / "__MACOSX" / "resource.txt").write_text("apple double")
    # Nested folder with a loop back to its parent, and a symlinked file.
    (root / "sub").mkdir()
    (root / "sub" / "deep.txt").write_text("Deep inside the folder.")
    os.symlink("..", root / "sub" / "loop", target_is_directory=True)
    os.symlink("notes.txt", root / "link.txt")
    # A name that is not UTF-8 (e.g. copied from an old Latin-1 disk).
    fd = os.open(os.fsencode(root) + b"/" + NON_UTF8_NAME, os.O_WRONLY | os.O_CREAT, 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write("Café menu: croissant, espresso.".encode())


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    if sys.platform == "win32":  # pragma: no cover - symlinks and byte names are POSIX here
        pytest.skip("the fixture tree uses POSIX symlinks and byte file names")
    root = tmp_path / "docs"
    make_tree(root)
    return root


@pytest.fixture
def project(tmp_path: Path):
    with Project.open(tmp_path / "p.corral") as proj:
        yield proj


def items_by_path(project: Project) -> dict[str, ItemRow]:
    return {item.path: item for item in project.items(status=None)}


def text_of(project: Project, item: ItemRow) -> str:
    found = project.get_extract(item.content_hash)
    assert found is not None, f"no extract for {item.path}"
    return found["text"]


# -- the first scan ------------------------------------------------------------------------

OK_DOCUMENTS = {
    "notes.txt": "text/plain",
    "readme.md": "text/markdown",
    "page.html": "text/html",
    "mislabelled.txt": "text/html",
    "lease.docx": extract.DOCX_MIME,
    "repair.eml": extract.EMAIL_MIME,
    "bill.eml": extract.EMAIL_MIME,
    "odd.eml": extract.EMAIL_MIME,
    "invoice.pdf": "application/pdf",
    "receipt.jpg": "application/pdf",
    "owner-only.pdf": "application/pdf",
    "BMW.txt": "text/plain",
    "README": "text/plain",
    "utf16.txt": "text/plain",
    "latin1.txt": "text/plain",
    "sub/deep.txt": "text/plain",
    NON_UTF8_PRINTABLE: "text/plain",
}

SKIPPED = {
    "binary.txt": extract.REASON_BINARY,
    "empty.txt": extract.REASON_EMPTY,
    "locked.pdf": extract.REASON_ENCRYPTED,
    "nothing.eml": "damaged e-mail: no From, To, Date or Subject header",
    "blank.pdf": extract.REASON_NO_PDF_TEXT_UNREAD,  # no OCR reader given
    "bundle.zip": "not a document or image (application/zip)",
    "link.txt": ingest.REASON_SYMLINK,
    "sub/loop": ingest.REASON_SYMLINK_DIR,
}


def test_first_scan_records_every_file_with_kind_or_reason(tree: Path, project: Project) -> None:
    report = scan_folder(tree, project)

    items = items_by_path(project)
    for path, mime in OK_DOCUMENTS.items():
        assert items[path].status == "ok", (path, items[path].reason)
        assert (items[path].kind, items[path].mime) == ("document", mime), path
        assert (
            items[path].content_hash.startswith("sha256:") and len(items[path].content_hash) == 71
        )
    assert (items["photo.png"].kind, items["photo.png"].status) == ("image", "ok")
    assert items["photo.png"].mime == "image/png"
    assert project.get_extract(items["photo.png"].content_hash) is None

    for path, reason in SKIPPED.items():
        assert (items[path].status, items[path].reason) == ("skipped", reason), path
    assert items["broken.pdf"].status == "skipped"
    assert items["broken.pdf"].reason.startswith("damaged PDF"), items["broken.pdf"].reason

    # Hidden and system entries are neither items nor skips; nothing under the loop either.
    assert not any(p.startswith((".", "~$", "__MACOSX", "Thumbs", "sub/loop/")) for p in items)
    assert report.hidden == 4

    assert sorted(report.new) == sorted([*OK_DOCUMENTS, "photo.png"])
    assert report.changed == report.unchanged == report.removed == []
    assert dict(report.skipped) == {**SKIPPED, "broken.pdf": items["broken.pdf"].reason}
    assert (report.documents, report.images) == (len(OK_DOCUMENTS), 1)
    assert report.total == len(items)


def test_extracted_text_and_meta(tree: Path, project: Project) -> None:
    scan_folder(tree, project)
    items = items_by_path(project)

    assert text_of(project, items["notes.txt"]) == (
        "Meeting notes about the garden fence.\n\nBring tools."
    )
    html = project.get_extract(items["page.html"].content_hash)
    assert html is not None
    assert "Tomato soup" in html["text"] and "Simmer for 20 minutes." in html["text"]
    assert "secretToken" not in html["text"] and "color" not in html["text"]
    assert html["meta"]["title"] == "Soup recipe"

    lease = project.get_extract(items["lease.docx"].content_hash)
    assert lease is not None
    assert "Tenancy agreement" in lease["text"] and "Monthly rent | 950 EUR" in lease["text"]
    assert lease["meta"]["title"] == "Lease"
    assert lease["extractor"].startswith("python-docx")

    invoice = project.get_extract(items["invoice.pdf"].content_hash)
    assert invoice is not None
    assert "Invoice 42 from ACME" in invoice["text"] and invoice["meta"]["pages"] == 1
    assert "Receipt 7 for coffee" in text_of(project, items["receipt.jpg"])
    assert "Printable but protected" in text_of(project, items["owner-only.pdf"])
    assert text_of(project, items["utf16.txt"]) == "Grüße aus Köln"
    assert text_of(project, items["latin1.txt"]).startswith("Le café était très crémeux")

    repair = project.get_extract(items["repair.eml"].content_hash)
    assert repair is not None and repair["meta"]["title"] == "Garage door repair"
    assert repair["text"].startswith("From: Anna <anna@example.org>\nTo: me@example.org\n"
                                     "Date: Tue, 03 Mar 2026 09:12:00 +0100\nSubject: Garage door repair")
    assert "The bill comes next week, 120 \u20ac for the spring." in repair["text"]
    bill = text_of(project, items["bill.eml"])
    assert "Amount due: 64.20 EUR by 31 March." in " ".join(bill.split())
    assert "color" not in bill and bill.endswith("Attachments: bill_2026-03.pdf")
    assert text_of(project, items["odd.eml"]).endswith("Subject: Odd charset\n\nPlain words after all.")

    weird = items[NON_UTF8_PRINTABLE]
    assert weird.raw_path == NON_UTF8_NAME
    assert (tree / os.fsdecode(weird.raw_path)).exists()
    assert text_of(project, weird) == "Café menu: croissant, espresso."
    assert items["sub/deep.txt"].raw_path == b"sub/deep.txt"


def test_include_hidden_takes_hidden_and_system_files(tree: Path, project: Project) -> None:
    report = scan_folder(tree, project, include_hidden=True)
    items = items_by_path(project)
    assert items[".hidden.txt"].status == "ok"
    assert "__MACOSX/resource.txt" in items and "Thumbs.db" in items and "~$lease.docx" in items
    assert report.hidden == 0


# -- later scans ---------------------------------------------------------------------------


def test_rescan_reads_nothing_and_reports_unchanged(
    tree: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = scan_folder(tree, project)
    calls: list[str] = []
    monkeypatch.setattr(project, "put_extract", lambda *a, **k: calls.append("put_extract"))
    monkeypatch.setattr(ingest, "_hash_file", lambda fh: calls.append("hash") or "sha256:x")
    monkeypatch.setattr(extract, "extract", lambda *a, **k: calls.append("extract"))

    second = scan_folder(tree, project)

    assert calls == []
    assert second.new == second.changed == second.removed == []
    assert sorted(second.unchanged) == sorted(first.new)
    assert second.skipped == first.skipped
    assert (second.documents, second.images) == (first.documents, first.images)


def test_changed_removed_and_new_files(tree: Path, project: Project) -> None:
    scan_folder(tree, project)
    old_hash = items_by_path(project)["notes.txt"].content_hash

    (tree / "notes.txt").write_text("The fence is fixed now.")
    (tree / "readme.md").unlink()
    (tree / "sub" / "later.md").write_text("Added after the first scan.")
    (tree / "copy.txt").write_text("Meeting   notes about\tthe garden fence.\n\n\n\nBring tools.")

    report = scan_folder(tree, project)
    items = items_by_path(project)

    assert report.changed == ["notes.txt"]
    assert report.removed == ["readme.md"]
    assert sorted(report.new) == ["copy.txt", "sub/later.md"]
    assert items["readme.md"].status == "missing"
    assert items["notes.txt"].content_hash != old_hash
    assert text_of(project, items["notes.txt"]) == "The fence is fixed now."
    assert items["copy.txt"].content_hash == old_hash  # same bytes share one extract
    assert "later.md" not in " ".join(report.unchanged)

    (tree / "readme.md").write_text("# Plan\n\nBuy seeds in **spring**.\n")
    assert scan_folder(tree, project).new == ["readme.md"]  # back from missing
    assert items_by_path(project)["readme.md"].status == "ok"


def test_file_that_becomes_text_after_skip_is_changed(tree: Path, project: Project) -> None:
    scan_folder(tree, project)
    (tree / "empty.txt").write_text("Not empty any more.")
    report = scan_folder(tree, project)
    assert report.changed == ["empty.txt"]
    assert ("empty.txt", extract.REASON_EMPTY) not in report.skipped


# -- failures of single files --------------------------------------------------------------


def _fail_for(real, target: Path, exc: OSError):
    """Wrap ``os.open``/``os.scandir`` so that only ``target`` fails."""
    target_s = os.fspath(target)

    def wrapper(path, *args, **kwargs):
        if os.fspath(path) == target_s:
            raise exc
        return real(path, *args, **kwargs)

    return wrapper


def test_unreadable_file_is_skipped_and_walk_goes_on(
    tree: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = PermissionError(13, "Permission denied")
    monkeypatch.setattr(os, "open", _fail_for(os.open, tree / "invoice.pdf", denied))
    report = scan_folder(tree, project)
    assert ("invoice.pdf", ingest.REASON_PERMISSION) in report.skipped
    assert items_by_path(project)["lease.docx"].status == "ok"

    monkeypatch.undo()
    again = scan_folder(tree, project)  # a transient reason is retried, not remembered
    assert "invoice.pdf" in again.changed


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_for_real(tree: Path, project: Project) -> None:
    (tree / "notes.txt").chmod(0)
    try:
        report = scan_folder(tree, project)
    finally:
        (tree / "notes.txt").chmod(0o644)
    assert ("notes.txt", ingest.REASON_PERMISSION) in report.skipped


def test_unreadable_folder_is_skipped(
    tree: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = PermissionError(13, "Permission denied")
    monkeypatch.setattr(os, "scandir", _fail_for(os.scandir, tree / "sub", denied))
    report = scan_folder(tree, project)
    assert ("sub", ingest.REASON_PERMISSION) in report.skipped
    assert "sub/deep.txt" not in items_by_path(project)
    assert "notes.txt" in report.new


def test_file_vanishing_during_scan(tree: Path, project: Project) -> None:
    doomed = tree / "sub" / "deep.txt"

    def delete_on_start(event: ProgressEvent) -> None:
        if event.done == 0 and doomed.exists():
            doomed.unlink()

    report = scan_folder(tree, project, progress=delete_on_start)
    assert ("sub/deep.txt", ingest.REASON_VANISHED) in report.skipped
    assert items_by_path(project)["sub/deep.txt"].status == "skipped"


def test_unexpected_error_becomes_a_skip(
    tree: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(fh, max_chars):
        raise RuntimeError("parser fell over")

    monkeypatch.setattr(extract, "extract_html", explode)
    report = scan_folder(tree, project)
    reasons = dict(report.skipped)
    assert reasons["page.html"] == "unexpected error: RuntimeError: parser fell over"
    assert "invoice.pdf" in report.new


def test_too_large_files_are_not_read(
    tree: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "MAX_FILE_SIZE", 500)
    report = scan_folder(tree, project)
    reasons = dict(report.skipped)
    assert reasons["invoice.pdf"] == extract.REASON_TOO_LARGE
    assert items_by_path(project)["invoice.pdf"].content_hash == ""
    assert "notes.txt" in report.new


def test_text_is_cut_to_max_chars(tmp_path: Path, project: Project) -> None:
    root = tmp_path / "big"
    root.mkdir()
    (root / "long.txt").write_text("word " * 5000)
    scan_folder(root, project, max_text_chars=100)
    found = project.get_extract(project.items()[0].content_hash)
    assert found is not None
    assert len(found["text"]) <= 100 and found["meta"]["truncated"] is True


# -- the scan as a whole -------------------------------------------------------------------


def test_progress_and_cancel(tree: Path, project: Project) -> None:
    events: list[ProgressEvent] = []
    report = scan_folder(tree, project, progress=events.append)
    assert {e.stage for e in events} == {"scan"}
    assert events[0].done == 0 and events[-1].done == events[-1].total == report.total

    (tree / "readme.md").unlink()
    token = CancelToken()

    def cancel_midway(event: ProgressEvent) -> None:
        if event.done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        scan_folder(tree, project, progress=cancel_midway, cancel=token)
    # An unfinished walk must not mark anything missing.
    assert items_by_path(project)["readme.md"].status == "ok"


def test_bad_roots(tmp_path: Path, project: Project) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        scan_folder(tmp_path / "nope", project)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(IngestError, match="not a folder"):
        scan_folder(tmp_path / "file.txt", project)


def test_names_that_read_the_same_are_not_merged(tmp_path: Path, project: Project) -> None:
    root = tmp_path / "clash"
    root.mkdir()
    (root / "a\\xff.txt").write_text("a literal backslash in the name")
    fd = os.open(os.fsencode(root) + b"/a\xff.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)
    report = scan_folder(root, project)
    assert report.skipped == [("a\\xff.txt", ingest.REASON_NAME_CLASH)]
    assert report.new == ["a\\xff.txt"]
    assert project.items()[0].raw_path == b"a\\xff.txt"  # the first in byte order wins


def test_project_file_inside_the_folder_is_not_scanned(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text("alpha")
    with Project.open(root / "here.corral") as proj:
        report = scan_folder(root, proj)
        assert isinstance(report, ScanReport)
        assert report.new == ["a.txt"] and report.skipped == []


# -- scanned PDFs: no text layer, the pages' pictures read by OCR --------------------------


def page_picture(lines: list[str], size: tuple[int, int] = (1240, 1754), print_px: int = 28) -> Image.Image:
    """A printed page's picture: ``lines`` in ``print_px`` print (28: 11 pt at 150 dpi) on white."""
    from PIL import ImageDraw, ImageFont

    try:
        font = ImageFont.truetype("DejaVuSans.ttf", print_px)
    except OSError:
        font = ImageFont.load_default(size=print_px)
    page = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(lines):
        draw.text((120, 150 + round(print_px * 2.1) * row), line, fill="black", font=font)
    return page


def scanned_pdf(pages: list[list[str]], size: tuple[int, int] = (1240, 1754)) -> bytes:
    """A PDF as a scanner or a phone app writes one: each page one picture (here rendered
    print at about 150 dpi, JPEG-compressed), no text layer."""
    pictures = [page_picture(lines, size) for lines in pages]
    out = io.BytesIO()
    pictures[0].save(out, format="PDF", save_all=True, append_images=pictures[1:], resolution=150)
    return out.getvalue()


def test_a_scanned_pdf_is_read_by_ocr_and_skipped_without_it(tmp_path: Path, project: Project) -> None:
    from corral.engine.describers.ocr import OcrDescriber

    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "invoice.pdf").write_bytes(scanned_pdf([["ACME PLUMBING LTD", "INVOICE 2291", "Total due 175.00"],
                                                      ["Thank you for your business"]]))
    (folder / "blank.pdf").write_bytes(pdf_bytes(None))  # no text and no picture
    report = scan_folder(folder, project)  # OCR off: skipped, saying so, and not remembered
    assert dict(report.skipped) == {"invoice.pdf": extract.REASON_NO_PDF_TEXT_UNREAD,
                                    "blank.pdf": extract.REASON_NO_PDF_TEXT_UNREAD}
    assert extract.is_lasting(extract.REASON_NO_PDF_TEXT_UNREAD)  # while scans are not read
    assert not extract.is_lasting(extract.REASON_NO_PDF_TEXT_UNREAD, reads_scans=True)

    ocr = OcrDescriber(threads=1)
    report = scan_folder(folder, project, read_picture=ocr.read_scan)
    assert report.changed == ["invoice.pdf"]  # read this time, though the file did not change
    assert dict(report.skipped) == {"blank.pdf": extract.REASON_NO_PDF_TEXT}
    assert extract.is_lasting(extract.REASON_NO_PDF_TEXT)
    item = items_by_path(project)["invoice.pdf"]
    assert item.status == "ok" and item.kind == "document"
    stored = project.get_extract(item.content_hash)
    assert stored is not None and stored["extractor"].endswith("+ OCR")
    text = stored["text"].upper().replace(" ", "")
    assert "INVOICE2291" in text and "175.00" in text and "THANKYOU" in text  # both pages
    assert stored["meta"]["pages_read_by_ocr"] == 2


def test_scanned_pages_read_are_bounded_and_tiny_pictures_passed_over(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    def reader(picture: Image.Image) -> list[str]:
        seen.append(picture.size)
        return [f"page {len(seen)}"]

    five = scanned_pdf([[f"page {i}"] for i in range(5)], size=(400, 560))
    got = extract.extract_pdf(io.BytesIO(five), 10_000, reader)
    assert len(seen) == extract.SCANNED_PAGES and got.text == "page 1\npage 2\npage 3"
    assert got.meta["pages_read_by_ocr"] == extract.SCANNED_PAGES

    seen.clear()
    long_lines = [["x" * 1000]] * 4  # the first two pages already hold SCANNED_CHARS
    extract.extract_pdf(io.BytesIO(scanned_pdf(long_lines, size=(400, 560))), 10_000, lambda p: ["x" * 1000])
    out = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(out, format="PDF")  # a speck, not a page
    with pytest.raises(extract.Skip) as skip:
        extract.extract_pdf(io.BytesIO(out.getvalue()), 10_000, reader)
    assert skip.value.reason == extract.REASON_NO_PDF_TEXT and not seen


NOTE = ["Gone to the shops, back at 4.", "The plumber rings at 2, please let him in.", "Love, Mum"]
LETTER = ["Riverside Dental Practice", "12 Mill Lane, Leeds LS2 7QT", "Dear Ms Okafor,",
          "Your next check-up is due on 14 March.", "Please call us to book a time that suits you.",
          "Kind regards,", "Dr Helen Price"]


def test_a_picture_of_a_page_is_read_as_a_document_and_a_photo_stays_a_picture(
    tmp_path: Path, project: Project
) -> None:
    from corral.engine.describers.ocr import OcrDescriber

    folder = tmp_path / "camera"
    folder.mkdir()
    page_picture(LETTER).save(folder / "IMG_0001.jpg", quality=85)  # a letter through a scanner app
    sign = ["NO PARKING IN FRONT", "OF THESE GATES", "VEHICLES WILL BE TOWED", "AT THE OWNER'S EXPENSE"]
    page_picture(sign, size=(2400, 1800), print_px=120).save(folder / "IMG_0002.png")  # a white sign
    colours = Image.linear_gradient("L").resize((1200, 900))
    Image.merge("RGB", (colours, colours.rotate(90), Image.new("L", (1200, 900), 90))).save(folder / "IMG_0003.jpg")
    page_picture(LETTER, size=(500, 700)).save(folder / "small.png")  # too small to read as a page

    page_picture(NOTE).save(folder / "note.jpg")  # three short lines: a page all the same
    report = scan_folder(folder, project)  # OCR off: all pictures
    assert report.images == 5 and report.pages == 0
    assert project.get_meta(ingest.PAGES_CHECKED) == "0"

    ocr, read = OcrDescriber(threads=1), []

    def reader(picture: Image.Image) -> tuple[list[str], float]:
        read.append(picture.size)
        return ocr.read_page(picture)

    report = scan_folder(folder, project, read_page=reader)  # the pictures are looked at again
    assert read == [(1240, 1754), (2400, 1800), (1240, 1754)]  # the gradient is no paper, small.png too small
    assert report.pages == 2 and report.documents == 2 and report.images == 3
    assert report.changed == ["IMG_0001.jpg", "note.jpg"] and len(report.unchanged) == 3
    items = items_by_path(project)
    lines, print_height = ocr.read_page(Image.open(folder / "IMG_0002.png"))
    assert len(lines) == 4 and print_height > extract.PAGE_MAX_PRINT  # read, but a sign's print
    letter = items["IMG_0001.jpg"]
    assert letter.kind == "document" and letter.mime == "image/jpeg"
    stored = project.get_extract(letter.content_hash)
    assert stored is not None and stored["meta"]["picture"] and stored["extractor"] == "OCR of a picture of a page"
    assert "check-up is due on 14 March" in stored["text"] and "Dr Helen Price" in stored["text"]
    assert stored["meta"]["print"] < 0.03 and items["note.jpg"].kind == "document"
    assert {items[name].kind for name in ("IMG_0002.png", "IMG_0003.jpg", "small.png")} == {"image"}
    assert project.get_meta(ingest.PAGES_CHECKED) == "1"

    read.clear()
    report = scan_folder(folder, project, read_page=reader)  # nothing is read twice
    assert not read and report.pages == 2 and len(report.unchanged) == 5
    report = scan_folder(folder, project)  # without OCR the page stays a document
    assert items_by_path(project)["IMG_0001.jpg"].kind == "document" and report.pages == 2
    assert project.get_meta(ingest.PAGES_CHECKED) == "1"  # no picture was examined
    page_picture(LETTER[::-1]).save(folder / "IMG_0004.jpg")
    scan_folder(folder, project)  # a picture examined without OCR: the next OCR scan looks again
    assert project.get_meta(ingest.PAGES_CHECKED) == "0"
    scan_folder(folder, project, read_page=reader)
    assert read == [(2400, 1800), (1240, 1754)]  # the sign, then the new page (the letter: its extract)
    assert items_by_path(project)["IMG_0004.jpg"].kind == "document"


def test_a_receipt_photographed_on_a_table_is_read_as_a_page(tmp_path: Path) -> None:
    """A narrow receipt is a third of its photo; the middle of the photo is what counts."""
    from PIL import ImageDraw, ImageFont

    from corral.engine.describers.ocr import OcrDescriber

    try:
        font = ImageFont.truetype("DejaVuSansMono.ttf", 22)
    except OSError:
        font = ImageFont.load_default(size=22)
    receipt = Image.new("RGB", (520, 1350), (245, 243, 238))
    draw = ImageDraw.Draw(receipt)
    lines = ["CAFE BLUE DOOR", "12 Harbour St", "2025-10-14 09:42", "COFFEE 3.20", "CROISSANT 2.10",
             "SANDWICH 5.90", "WATER 1.50", "TOTAL 12.70", "CARD ****1234", "THANK YOU"]
    for row, line in enumerate(lines):
        draw.text((30, 40 + 44 * row), line, fill=(40, 40, 40), font=font)
    photo = Image.new("RGB", (1200, 1600), (120, 80, 50))  # a wooden table
    photo.paste(receipt.rotate(4, expand=True, fillcolor=(120, 80, 50)), (320, 100))
    whole = np.asarray(photo.resize((120, 160)), dtype=float) / 255
    assert ((whole.max(axis=2) > 0.6) & (whole.min(axis=2) / whole.max(axis=2) > 0.8)).mean() < 0.4
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    got = extract.read_page_picture(io.BytesIO(out.getvalue()), OcrDescriber(threads=1).read_page)
    assert got is not None and "TOTAL 12.70" in got.text and "CAFE BLUE DOOR" in got.text


def test_a_picture_checked_for_a_page_is_turned_by_its_exif_and_bad_ones_stay_pictures(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    def reader(picture: Image.Image) -> tuple[list[str], float]:
        seen.append(picture.size)
        return [f"line {n} of a letter with words on it" for n in range(3)], 0.015

    sideways = page_picture(LETTER).rotate(90, expand=True)  # a phone held sideways ...
    exif = Image.Exif()
    exif[0x0112] = 6  # ... says so: turn 90 degrees clockwise to view
    out = io.BytesIO()
    sideways.save(out, format="JPEG", exif=exif)
    got = extract.read_page_picture(io.BytesIO(out.getvalue()), reader)
    assert got is not None and seen == [(1240, 1754)]
    assert got.meta == {"picture": True, "lines": 3, "print": 0.015, "pages_read_by_ocr": 1}
    assert extract.read_page_picture(io.BytesIO(out.getvalue()[:5000]), reader) is None  # cut short
    few = extract.read_page_picture(io.BytesIO(out.getvalue()), lambda p: (["TOTAL 4.50", "THANK YOU", "CARD"], 0.01))
    big = extract.read_page_picture(io.BytesIO(out.getvalue()), lambda p: (reader(p)[0], 0.06))
    one = extract.read_page_picture(io.BytesIO(out.getvalue()), lambda p: (["a caption " * 10], 0.01))
    assert few is None and big is None and one is None  # a ticket's few words; a poster's print; one line

    ink = page_picture(LETTER).convert("L").point(lambda v: 255 - v)  # a page exported with no
    clear = Image.new("RGBA", ink.size, (0, 0, 0, 0))  # background: transparent black, the ink
    clear.putalpha(ink)  # opaque black
    png = io.BytesIO()
    clear.save(png, format="PNG")
    assert extract.read_page_picture(io.BytesIO(png.getvalue()), reader) is not None  # read on white

    def no_ocr(picture: Image.Image) -> tuple[list[str], float]:
        raise extract.Skip("OCR is off")

    assert extract.read_page_picture(io.BytesIO(out.getvalue()), no_ocr) is None


def test_a_multi_page_tiff_is_read_as_far_as_a_scanned_pdf(tmp_path: Path) -> None:
    """Scanners save several pages in one TIFF: its first pages are read (SCANNED_PAGES)."""
    pages = [page_picture([f"Page {n} of the lease between Hollis and Weber, signed in May."] * 3).convert("1")
             for n in range(1, 6)]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:], compression="group4")
    read: list[int] = []

    def reader(picture: Image.Image) -> tuple[list[str], float]:
        read.append(len(read) + 1)
        return [f"Page {len(read)} of the lease between Hollis and Weber, signed in May."] * 3, 0.015

    got = extract.read_page_picture(io.BytesIO(out.getvalue()), reader)
    assert got is not None and read == [1, 2, 3] and got.meta["pages_read_by_ocr"] == extract.SCANNED_PAGES
    assert "Page 3 of the lease" in got.text and "Page 4" not in got.text


def test_a_heic_picture_of_a_page_is_read_in_a_fresh_process(tmp_path: Path) -> None:
    """iPhones save HEIC: the scan, the first thing a run does, must open them (pillow-heif's
    opener registered) before any describer has; a fresh interpreter shows it."""
    import subprocess

    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    page_picture(LETTER).save(tmp_path / "IMG_0001.HEIC", format="HEIF", quality=70)
    script = (
        "import sys; from pathlib import Path; from corral.engine import extract\n"
        "with open(sys.argv[1], 'rb') as fh:\n"
        "    got = extract.read_page_picture(fh, lambda p: (['Dear Ms Okafor, your next check-up is due', 'on 14 March; please call us to book a time.'], 0.02))\n"
        "print(got.text if got else 'a picture')\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "IMG_0001.HEIC")],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.startswith("Dear Ms Okafor"), done.stderr


def test_ocr_that_cannot_run_skips_the_scan_saying_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from corral.engine.describers.base import DescriberUnavailable
    from corral.engine.describers.ocr import OcrDescriber

    ocr = OcrDescriber()

    def missing() -> None:
        raise DescriberUnavailable("OCR is off: rapidocr-onnxruntime is not installed.")

    monkeypatch.setattr(ocr, "_load", missing)
    with pytest.raises(extract.Skip) as skip:
        extract.extract_pdf(io.BytesIO(scanned_pdf([["INVOICE"]])), 10_000, ocr.read_scan)
    assert "rapidocr-onnxruntime is not installed" in skip.value.reason
    assert not extract.is_lasting(skip.value.reason)


def test_a_file_named_as_a_document_or_picture_that_is_not_one_says_so(tmp_path: Path, project: Project) -> None:
    folder = tmp_path / "misnamed"
    folder.mkdir()
    (folder / "junk.pdf").write_bytes(b"\x13\x88 not a pdf " * 50)
    (folder / "fake.jpg").write_bytes(bytes(range(1, 200)) * 5)
    with zipfile.ZipFile(folder / "broken.docx", "w") as archive:
        archive.writestr("notes.txt", "a zip, not a Word document")
    (folder / "archive.zip").write_bytes((folder / "broken.docx").read_bytes())
    report = scan_folder(folder, project)
    damaged = "(damaged, or another kind of file)"
    assert dict(report.skipped) == {
        "junk.pdf": f"named as a PDF but is not one inside {damaged}",
        "fake.jpg": f"named as a picture but is not one inside {damaged}",
        "broken.docx": f"named as a Word document but holds application/zip {damaged}",
        "archive.zip": "not a document or image (application/zip)",
    }
    assert all(extract.is_lasting(reason) for _, reason in report.skipped)


def test_organize_says_how_many_pictures_were_read_as_pages(tmp_path: Path) -> None:
    from corral.engine.cli import scan_summary

    report = ScanReport(root=tmp_path, new=["a.jpg", "b.jpg", "c.txt"], unchanged=["d.pdf"], skipped=[("e", "x")])
    assert scan_summary(tmp_path, report) == f"Scanned {tmp_path}: 3 new, 0 changed, 1 unchanged, 0 removed, 1 skipped."
    report.pages = 1
    assert scan_summary(tmp_path, report).endswith("1 skipped; 1 picture of a page read as a document.")
    report.pages = 2
    assert scan_summary(tmp_path, report).endswith("1 skipped; 2 pictures of pages read as documents.")
