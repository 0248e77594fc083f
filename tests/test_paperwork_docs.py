"""The third two-criteria document set (packaging/make_paperwork_docs.py): deterministic and
committed as written, year and kind balanced and independent, several layouts per kind,
each document's year written in its dates in several ways, some mentioning another year."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from corral.engine.bench import load_multi_dataset
from tests.conftest import REPO, assert_set_is_committed, packaging_script

BENCH = REPO / "resources" / "bench"


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return packaging_script("make_paperwork_docs")


@pytest.fixture(scope="module")
def docs(gen) -> list[dict]:  # type: ignore[no-untyped-def]
    return gen.paperwork_docs(240)


def test_the_set_is_the_same_bytes_every_time_and_matches_the_committed_one(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_set_is_committed(gen.write, tmp_path, "paperwork_docs", "make_paperwork_docs.py")
    assert gen.paperwork_docs(48, seed=1) != gen.paperwork_docs(48, seed=2)


def test_year_and_kind_are_balanced_and_independent(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    cells = Counter((d["labels"]["year"], d["labels"]["kind"]) for d in docs)
    assert len(cells) == 4 * 6 and set(cells.values()) == {10}
    layouts = Counter((d["template"], d["labels"]["year"]) for d in docs)
    assert len(layouts) == 18 * 4  # every layout of a kind in every year
    for kind in gen.KINDS:
        words = sorted(len(d["input"].split()) for d in docs if d["labels"]["kind"] == kind)
        assert words[-1] >= 1.5 * words[0], (kind, words[0], words[-1])


def test_the_year_is_in_the_dates_written_several_ways(docs: list[dict]) -> None:
    assert all(d["labels"]["year"] in d["input"] for d in docs)
    styles = Counter()
    for d in docs:
        y = d["labels"]["year"]
        styles.update(name for name, pattern in {
            "dd/mm/yyyy": rf"\b\d\d/\d\d/{y}\b", "iso": rf"\b{y}-\d\d-\d\d\b", "dotted": rf"\b\d\d\.\d\d\.{y}\b",
            "words": rf"\b\d{{1,2}} [A-Z][a-z]+ {y}\b", "weekday": rf"\b[A-Z][a-z]{{2}} \d\d [A-Z][a-z]{{2}} {y}\b",
        }.items() if re.search(pattern, d["input"]))
    assert len(styles) == 5 and min(styles.values()) >= 5, styles
    also = [d for d in docs if "also" in d]
    assert 0.08 < len(also) / len(docs) < 0.25
    assert all(d["also"] != d["labels"]["year"] and d["also"] in d["input"] for d in also)


def test_the_committed_set_loads_as_a_two_criteria_set() -> None:
    examples, specs = load_multi_dataset(BENCH / "paperwork_docs.jsonl")
    assert [s.key for s in specs] == ["year", "kind"] and len(examples) == 240
    assert [s.k for s in specs] == [4, 6]
