"""Scanned copies of the Quick start's sample folder: OCR at scan time, then the real run.

Usage: .venv/bin/python packaging/measure_scans.py [WORKDIR] [--k 5] [--pictures]
       .venv/bin/python packaging/measure_scans.py --dataset SET.jsonl OUT.jsonl
       .venv/bin/python packaging/measure_scans.py --picture-set SET.jsonl OUTDIR

Each of the 18 sample documents (resources/samples/documents) is read as Corral reads it, then
printed onto A4 pages as a scanner or a phone app would save them: 150 dpi, 11 pt, ink of
varying darkness, a faint grey cast and blur, JPEG inside a PDF with no text layer. The copies keep the folder's
layout (``name.ext`` becomes ``name.ext.pdf``). Then ``organize`` runs on them with the
default model and the Quick start's criterion and K, as ``corral organize`` would. Prints
the seconds of the scan (the OCR), how much of each document's text the OCR gave back
(letters and digits, in order: difflib's ratio), and how many documents land with their
kind (packaging/samples_truth.json; each group counted under its most common kind), beside
the same run on the text originals (docs/benchmarks.md, "Scanned documents").

With ``--pictures``, each scan's first page is saved as a picture file instead, twice: as a
scanner app saves it (``name.ext.jpg``, the page alone) and as a phone photographs it (the
page smaller, turned by up to 8 degrees, on a table of one of four colours, lit unevenly);
each folder is organized as the scans are (``ingest``: pictures of pages are read as
documents), printing how many were read as pages and how many land with their kind.

With ``--dataset``, a two-criteria bench set's documents are printed and scanned the same
way and read back by the OCR that a folder's scan uses; OUT.jsonl holds what it read, with
the same labels (and SET.criteria.json is copied beside it), for ``corral bench OUT.jsonl``.
With ``--picture-set``, each document's first page is saved as a picture file instead (in
turn as a scanner app and as a phone saves it), with ``labels_KEY.csv`` and ``criteria.json``
beside them: a picture folder for ``corral bench OUTDIR``, read as a folder's scan reads it.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import random
import re
import shutil
import textwrap
import time
from collections import Counter
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader

from corral.engine import extract
from corral.engine.pipeline import models_for, organize
from corral.engine.request import build_request
from corral.engine.store import Project

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples" / "documents"
TRUTH = json.loads((ROOT / "packaging" / "samples_truth.json").read_text(encoding="utf-8"))
CRITERION = "what kind of document is this"
DPI = 150
PAGE = (int(8.27 * DPI), int(11.69 * DPI))


def read_text(path: Path) -> str:
    with path.open("rb") as fh:
        sniffed = extract.sniff(fh.read(extract.HEAD_BYTES), path.name, fh)
        return extract.extract(sniffed, fh, size=path.stat().st_size, max_chars=20_000).text


def scanned(text: str, rng: random.Random) -> bytes:
    """``text`` printed on A4 pages and scanned: one JPEG picture a page, no text layer."""
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", round(11 / 72 * DPI))
    except OSError:
        font = ImageFont.load_default(size=round(11 / 72 * DPI))
    lines = [row for para in text.split("\n") for row in (textwrap.wrap(para, 80) or [""])]
    per_page = (PAGE[1] - 2 * DPI) // round(DPI * 0.25)
    pages = []
    for start in range(0, max(1, len(lines)), per_page):
        page = Image.new("L", PAGE, 255)
        draw = ImageDraw.Draw(page)
        for row, line in enumerate(lines[start:start + per_page]):
            draw.text((DPI, DPI + row * round(DPI * 0.25)), line, fill=rng.randint(0, 40), font=font)
        page = page.point(lambda v: v if v < 128 else 255)  # a scanner's threshold drops the light edges
        pages.append(page.filter(ImageFilter.GaussianBlur(0.4)).point(lambda v: int(v * 0.94)).convert("RGB"))
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI, quality=80)
    return out.getvalue()


def photographed(page: Image.Image, rng: random.Random, n: int) -> Image.Image:
    """``page`` as a phone photographs it: smaller, turned a little, on a table, lit from one side."""
    tables = [(120, 80, 50), (60, 60, 65), (180, 170, 150), (30, 90, 40)]
    table = tables[n % len(tables)]
    photo = Image.new("RGB", (1600, 1200) if n % 2 else (1200, 1600), table)
    small = page.resize((round(page.width * 0.75), round(page.height * 0.75)))
    small = small.rotate(rng.uniform(-8, 8), expand=True, fillcolor=table, resample=Image.Resampling.BILINEAR)
    photo.paste(small, ((photo.width - small.width) // 2, (photo.height - small.height) // 2))
    light = Image.linear_gradient("L").rotate(90).resize(photo.size).point(lambda v: 190 + v // 4)
    return Image.composite(photo, Image.new("RGB", photo.size), light)


def pictures(work: Path, k: int) -> None:
    """The scans' first pages as picture files (``--pictures``), organized and counted."""
    rng = random.Random(0)
    for style in ("scanner", "phone"):
        folder = work / style
        for n, rel in enumerate(sorted(TRUTH)):
            page = extract.page_pictures(PdfReader(io.BytesIO(scanned(read_text(SAMPLES / rel), rng))).pages[0])
            picture = next(page).convert("RGB")
            target = folder / f"{rel}.jpg"
            target.parent.mkdir(parents=True, exist_ok=True)
            (photographed(picture, rng, n) if style == "phone" else picture).save(target, quality=85)
        truth = {f"{rel}.jpg": kind for rel, kind in TRUTH.items()}
        right, scan_s, total_s, grouped = run(folder, work / f"{style}.corral", k, truth)
        with Project.open(work / f"{style}.corral") as project:
            read = sum(item.kind == "document" for item in project.items("ok"))
        print(f"{style} pictures: {read} of {len(TRUTH)} read as pages in {scan_s:.1f} s; {grouped} grouped, "
              f"{right} with their kind; run {total_s:.0f} s")


def kinds_right(groups: list, truth: dict[str, str]) -> int:
    """Documents in a group whose most common true kind is theirs."""
    right = 0
    for group in groups:
        kinds = Counter(truth[m.path] for m in group.members if m.path in truth)
        right += kinds.most_common(1)[0][1] if kinds else 0
    return right


def run(folder: Path, project: Path, k: int, truth: dict[str, str]) -> tuple[int, float, float, int]:
    request = build_request(folder, criterion=CRITERION, k=k, project_path=project)
    model, embedder = models_for(request)
    started = time.perf_counter()
    result = organize(request, model=model, embedder=embedder)
    return (kinds_right(result.groups, truth), result.stats["seconds"]["scan"], time.perf_counter() - started,
            sum(g.size for g in result.groups))


def scan_dataset(source: Path, target: Path) -> None:
    """``source``'s documents scanned and read back by OCR into ``target``, labels kept."""
    from corral.engine.describers.ocr import OcrDescriber

    ocr, rng = OcrDescriber(), random.Random(0)
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    started, ratios = time.perf_counter(), []
    with target.open("w", encoding="utf-8") as out:
        for row in rows:
            read = extract.extract_pdf(io.BytesIO(scanned(row["input"], rng)), 20_000, ocr.read_scan).text
            ratios.append(difflib.SequenceMatcher(None, squeeze(row["input"])[:2000], squeeze(read)[:2000]).ratio())
            out.write(json.dumps({**row, "input": read}, ensure_ascii=False) + "\n")
    shutil.copy(source.with_suffix(".criteria.json"), target.with_suffix(".criteria.json"))
    print(f"{len(rows)} documents scanned and read in {time.perf_counter() - started:.0f} s; text given back "
          f"{min(ratios):.2f}-{max(ratios):.2f} (mean {sum(ratios) / len(ratios):.3f})")


def picture_set(source: Path, target: Path) -> None:
    """``source``'s documents as pictures of their first page in ``target``, with their labels."""
    rng = random.Random(0)
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for n, row in enumerate(rows):
        page = next(extract.page_pictures(PdfReader(io.BytesIO(scanned(row["input"], rng))).pages[0])).convert("RGB")
        names.append(f"page_{n:04d}.jpg")
        (photographed(page, rng, n) if n % 2 else page).save(target / names[-1], quality=85)
    criteria = json.loads(source.with_suffix(".criteria.json").read_text(encoding="utf-8"))
    (target / "criteria.json").write_text(json.dumps(criteria, indent=2), encoding="utf-8")
    for key in criteria:
        lines = ["file,label"] + [f"{name},{row['labels'][key]}" for name, row in zip(names, rows, strict=True)]
        (target / f"labels_{key}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} documents saved as pictures of their first page in {target}")


def squeeze(text: str) -> str:
    """Letters and digits only, lower case: what OCR is compared on."""
    return re.sub(r"[\W_]+", "", text.lower())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workdir", nargs="?", default="/tmp/corral-scans")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--dataset", nargs=2, type=Path, metavar=("SET.jsonl", "OUT.jsonl"))
    parser.add_argument("--picture-set", nargs=2, type=Path, metavar=("SET.jsonl", "OUTDIR"))
    parser.add_argument("--pictures", action="store_true", help="the pages as picture files, not PDFs")
    args = parser.parse_args()
    if args.dataset:
        scan_dataset(*args.dataset)
        return
    if args.picture_set:
        picture_set(*args.picture_set)
        return
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    if args.pictures:
        pictures(work, args.k)
        return
    folder = work / "scans"
    rng = random.Random(0)
    texts = {}
    for rel in sorted(TRUTH):
        texts[rel] = read_text(SAMPLES / rel)
        target = folder / f"{rel}.pdf"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(scanned(texts[rel], rng))
    scan_truth = {f"{rel}.pdf": kind for rel, kind in TRUTH.items()}
    right, scan_s, total_s, grouped = run(folder, work / "scans.corral", args.k, scan_truth)
    with Project.open(work / "scans.corral") as project:
        items = {item.path: item for item in project.items("ok")}
        ratios, pages = [], 0
        for rel, text in texts.items():
            item = items.get(f"{rel}.pdf")
            stored = project.get_extract(item.content_hash) if item else None
            if stored is None:
                print(f"  not read: {rel}")
                continue
            pages += stored["meta"].get("pages_read_by_ocr", 0)
            ratios.append(difflib.SequenceMatcher(None, squeeze(text)[:2000], squeeze(stored["text"])[:2000]).ratio())
    print(f"scans: {grouped} of {len(TRUTH)} grouped, {right} with their kind; scan (OCR) {scan_s:.1f} s for "
          f"{pages} pages; text given back {min(ratios):.2f}-{max(ratios):.2f} (mean {sum(ratios) / len(ratios):.2f}); "
          f"run {total_s:.0f} s")
    right, _, total_s, grouped = run(SAMPLES, work / "text.corral", args.k, TRUTH)
    print(f"originals: {grouped} of {len(TRUTH)} grouped, {right} with their kind; run {total_s:.0f} s")


if __name__ == "__main__":
    main()
