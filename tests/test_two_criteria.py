"""The two-criteria benchmark sets (packaging/make_two_criteria.py, issue 11): deterministic,
balanced, kind and project independent, every kind in several layouts and recognisable by
its form, and photos whose EXIF the project's own reader turns into the trip's date and place."""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from corral.engine.bench import load_multi_dataset
from corral.engine.describers.metadata import MetadataDescriber, capture_time, gps, read_exif
from tests.conftest import REPO, SHARED, assert_set_is_committed, packaging_script

CIFAR = SHARED / "datasets" / "images" / "cifar10_500"
BENCH = REPO / "resources" / "bench"


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return packaging_script("make_two_criteria")


@pytest.fixture(scope="module")
def docs(gen) -> list[dict]:  # type: ignore[no-untyped-def]
    return gen.household_docs(360)


# -- documents -----------------------------------------------------------------------------


def test_the_documents_are_the_same_bytes_every_time_and_match_the_committed_set(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_set_is_committed(gen.write_docs, tmp_path, "household_docs", "make_two_criteria.py docs")
    criteria = json.loads((BENCH / "household_docs.criteria.json").read_text())
    assert criteria["kind"]["criterion"] == "what kind of document is this" and criteria["project"]["k"] == 5
    assert gen.household_docs(60, seed=5) != gen.household_docs(60, seed=6)


def test_kind_and_project_are_balanced_and_independent(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    assert len(docs) == 360
    cells = Counter((d["labels"]["kind"], d["labels"]["project"]) for d in docs)
    assert len(cells) == 6 * 5 and set(cells.values()) == {12}
    # Every kind is written in every layout for every project: no layout belongs to a project.
    layouts = Counter((d["template"], d["labels"]["project"]) for d in docs)
    assert len(layouts) == 24 * 5 and min(layouts.values()) >= 2
    uneven = gen.household_docs(100)
    assert sorted(Counter((d["labels"]["kind"], d["labels"]["project"]) for d in uneven).values())[::29] == [3, 4]


def _shape(line: str) -> str:
    """A line's form without its words: letters -> a, digits -> 9, runs collapsed."""
    return re.sub(r"(.)\1+", r"\1", re.sub(r"\d", "9", re.sub(r"[^\W\d_]", "a", line.strip())))


def test_each_kind_has_several_layouts_and_lengths(docs: list[dict]) -> None:
    for kind in {d["labels"]["kind"] for d in docs}:
        rows = [d for d in docs if d["labels"]["kind"] == kind]
        assert len({d["template"] for d in rows}) >= 3, kind
        first_lines = {_shape(d["input"].splitlines()[0]) for d in rows}
        assert len(first_lines) >= 4, (kind, first_lines)
        words = sorted(len(d["input"].split()) for d in rows)
        assert words[-1] >= 1.8 * words[0], (kind, words[0], words[-1])
    words = [len(d["input"].split()) for d in docs]
    assert min(words) >= 30 and max(words) >= 300 and 60 <= sorted(words)[len(words) // 2] <= 200


FORM = {
    # what a reader sees first: the function of the document, not its topic
    "invoice_or_receipt": r"(?i)\b(total|subtotal|amount payable|paid|sum of|balance|to pay)\b",
    "letter": r"(?im)^(dear|hi|hello|to whom|[A-Z][a-z]+, hi)\b",
    "meeting_notes": r"(?im)^(attendees|present|on the call|who):",
    "contract": r"(?i)(signature|signed).*(_{5}|\.{10})|(_{5}|\.{10})",
    "schedule": r"\b\d{1,2}(:\d{2}| ?[ap]m)\b",
    "checklist": r"(?m)\[[ x]\]|☐|☑|\([ x]\)|^\d+\. ",
}


def test_each_kind_shows_in_the_form_and_the_kind_name_is_not_always_written(docs: list[dict]) -> None:
    for d in docs:
        assert re.search(FORM[d["labels"]["kind"]], d["input"]), (d["labels"], d["input"][:200])
    invoices = [d["input"].lower() for d in docs if d["labels"]["kind"] == "invoice_or_receipt"]
    named = sum(("invoice" in t or "receipt" in t) for t in invoices) / len(invoices)
    assert 0.1 < named < 0.8
    contracts = [d["input"].lower() for d in docs if d["labels"]["kind"] == "contract"]
    assert 0.2 < sum(("contract" in t) for t in contracts) / len(contracts) < 0.8
    notes = [d["input"].lower() for d in docs if d["labels"]["kind"] == "meeting_notes"]
    assert sum("meeting" in t for t in notes) < len(notes)


def test_some_documents_mention_a_second_project(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    also = [d for d in docs if "also" in d]
    assert 0.1 < len(also) / len(docs) < 0.3
    assert all(d["also"] != d["labels"]["project"] for d in also)
    assert len({d["labels"]["kind"] for d in also}) == 6
    for d in also:  # the mention is really there
        other = gen.PROJECT_INFO[d["also"]]
        text = d["input"].lower()
        assert any(s.lower() in text for s in [*other.asides, *other.tasks, *other.events]), d["input"]


def test_the_committed_documents_load_as_a_two_criteria_set() -> None:
    examples, specs = load_multi_dataset(BENCH / "household_docs.jsonl")
    assert [s.key for s in specs] == ["kind", "project"] and len(examples) == 360


# -- photos --------------------------------------------------------------------------------


def _labels(folder: Path, key: str) -> dict[str, str]:
    with open(folder / f"labels_{key}.csv", newline="") as fh:
        return {r["file"]: r["label"] for r in csv.DictReader(fh)}


def test_photos_by_object_and_trip_are_deterministic_balanced_and_untouched(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    a = gen.trip_photos(CIFAR, tmp_path / "a", n=60)
    b = gen.trip_photos(CIFAR, tmp_path / "b", n=60)
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    objects, trips = _labels(a, "object"), _labels(a, "trip")
    assert len(objects) == 60 and objects.keys() == trips.keys()
    assert set(Counter(objects.values()).values()) == {6} and set(Counter(trips.values()).values()) == {10}
    assert len(Counter(zip(objects.values(), trips.values(), strict=True))) == 60  # each pair once
    with open(CIFAR / "labels.csv", newline="") as fh:
        source = {r["file"]: r["label"] for r in csv.DictReader(fh)}
    for name in list(objects)[:10]:
        assert objects[name] == source[name]
        with Image.open(a / name) as copy, Image.open(CIFAR / name) as original:
            assert copy.tobytes() == original.tobytes()  # pixels as they were
    assert json.loads((a / "criteria.json").read_text())["trip"]["criterion"] == \
        "which trip were these photos taken on"
    with pytest.raises(ValueError, match="multiple of 6"):
        gen.trip_photos(CIFAR, tmp_path / "c", n=50)


PLACE = {"Kyoto": "Japan", "Lisbon": "Portugal", "Reykjavik": "Iceland", "Cape Town": "South Africa",
         "New York": "United States", "Sydney": "Australia"}


def test_the_metadata_reader_reads_each_trips_date_and_place_back(gen) -> None:  # type: ignore[no-untyped-def]
    """On the committed pictures: what Corral's describer says matches the trip."""
    folder = BENCH / "trip_photos"
    trips = _labels(folder, "trip")
    by_label = {t.label: t for t in gen.TRIPS}
    assert len(trips) == 300 and set(trips.values()) == set(by_label)
    seen_days: Counter[str] = Counter()
    for name, label in trips.items():
        trip = by_label[label]
        exif = read_exif(folder / name)
        taken = capture_time(exif)
        assert trip.first_day <= taken.date() < trip.first_day + timedelta(days=trip.days)
        assert 7 <= taken.hour <= 22
        lat, lon = gps(exif)
        north, east = (lat - trip.lat) * 111.2, (lon - trip.lon) * 111.2 * math.cos(math.radians(trip.lat))
        assert math.hypot(north, east) < 6.0  # km: jitter of a few km around the place
        seen_days[label] += 1
    assert min(seen_days.values()) == 50
    for name in list(trips)[:30]:
        trip = by_label[trips[name]]
        with Image.open(folder / name) as image:
            text = MetadataDescriber().describe(folder / name, image, "which trip")
        taken = capture_time(read_exif(folder / name))
        assert text.startswith("Taken ") and f"{taken:%B} {taken.year}" in text, text
        assert PLACE[trip.label.split(" (")[0]] in text, text
        assert "camera" in text


def test_the_committed_photos_are_what_the_generator_writes(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fresh = gen.trip_photos(CIFAR, tmp_path / "trip_photos")
    committed = BENCH / "trip_photos"
    names = sorted(p.name for p in fresh.iterdir())
    assert names == sorted(p.name for p in committed.iterdir())
    assert all((fresh / n).read_bytes() == (committed / n).read_bytes() for n in names), \
        "resources/bench/trip_photos is stale: run packaging/make_two_criteria.py photos"
    examples, specs = load_multi_dataset(committed)
    assert [s.key for s in specs] == ["object", "trip", "year"] and len(examples) == 300
    years = _labels(committed, "year")
    assert Counter(years.values()) == {"2023": 100, "2024": 100, "2025": 100}
    assert all(_labels(committed, "trip")[f].endswith(f"{y})") for f, y in years.items())


def test_the_trips_papers_are_the_committed_folder_and_lie_in_their_trips(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The trips' papers: the same bytes every time and as committed; 8 a trip, each with a
    Markdown plan, an HTML ticket and a saved e-mail; their dates (as Corral reads them)
    in their trip, but for the days bookings were made and cancellations end, before it;
    the folder's labels (trip, year) list the photos too, and the bench reads it as one folder."""
    from corral.engine.dates import dates_in

    made = gen.trip_folder(tmp_path / "trip_folder", photos=BENCH / "trip_photos")
    committed = BENCH / "trip_folder"
    names = sorted(p.name for p in made.iterdir())
    assert names == sorted(p.name for p in committed.iterdir())
    assert all((made / n).read_bytes() == (committed / n).read_bytes() for n in names), \
        "resources/bench/trip_folder is stale: run packaging/make_two_criteria.py travel"
    trips = _labels(committed, "trip")
    papers = {name: label for name, label in trips.items() if not name.startswith("../")}
    assert len(papers) == 48 and set(Counter(papers.values()).values()) == {8}
    assert Counter(name.rsplit(".", 1)[1] for name in papers) == {"txt": 30, "md": 6, "html": 6, "eml": 6}
    by_label = {t.label: t for t in gen.TRIPS}
    undated = 0
    for name, label in papers.items():
        trip = by_label[label]
        days = dates_in((committed / name).read_text(encoding="utf-8"))
        undated += not days
        inside = [d for d in days if trip.first_day <= d < trip.first_day + timedelta(days=trip.days + 1)]
        assert len(inside) >= len(days) - 2, name  # at most: booked on, free cancellation until
    assert undated == 6  # the packing lists
    photos = {name[len("../trip_photos/"):]: label for name, label in trips.items() if name.startswith("../")}
    assert photos == _labels(BENCH / "trip_photos", "trip")
    years = _labels(committed, "year")
    assert years.keys() == trips.keys() and all(years[n] == trips[n].split()[-1][:-1] for n in trips)
    examples, specs = load_multi_dataset(committed)
    assert len(examples) == 348 and [s.k for s in specs] == [6, 3] and all(ex.path.is_file() for ex in examples)
