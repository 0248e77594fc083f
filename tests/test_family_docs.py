"""The three-criteria family set (packaging/make_family_docs.py): deterministic and committed
as written, person, area and kind balanced and pairwise independent, several layouts per kind,
the person's first name written in most documents but not all, and some documents mentioning
a second family member."""

from __future__ import annotations

import re
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

from corral.engine.bench import load_multi_dataset
from tests.conftest import REPO, assert_set_is_committed, packaging_script

BENCH = REPO / "resources" / "bench"
KEYS = ["person", "area", "kind"]


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return packaging_script("make_family_docs")


@pytest.fixture(scope="module")
def docs(gen) -> list[dict]:  # type: ignore[no-untyped-def]
    return gen.family_docs(300)


def _names(gen, doc: dict, person: str) -> bool:  # type: ignore[no-untyped-def]
    return re.search(rf"\b{gen.PEOPLE[person].first}\b", doc["input"]) is not None


def test_the_set_is_the_same_bytes_every_time_and_matches_the_committed_one(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_set_is_committed(gen.write, tmp_path, "family_docs", "make_family_docs.py")
    assert gen.family_docs(60, seed=1) != gen.family_docs(60, seed=2)


def test_the_three_labellings_are_balanced_and_pairwise_independent(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    sizes = {key: spec["k"] for key, spec in gen.CRITERIA.items()}
    assert list(gen.CRITERIA) == KEYS and sizes == {"person": 5, "area": 5, "kind": 6}
    for key in KEYS:
        counts = Counter(d["labels"][key] for d in docs)
        assert len(counts) == sizes[key] and set(counts.values()) == {300 // sizes[key]}, (key, counts)
    for a, b in combinations(KEYS, 2):
        cells = Counter((d["labels"][a], d["labels"][b]) for d in docs)
        assert len(cells) == sizes[a] * sizes[b], (a, b)
        assert set(cells.values()) == {300 // (sizes[a] * sizes[b])}, (a, b, cells)


def test_each_kind_has_three_layouts_and_lengths_vary(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for kind in gen.KINDS:
        rows = [d for d in docs if d["labels"]["kind"] == kind]
        assert len({d["template"] for d in rows}) == 3, kind
        words = sorted(len(d["input"].split()) for d in rows)
        assert words[-1] >= 1.8 * words[0], (kind, words[0], words[-1])
        assert words[-1] < 350, (kind, words[-1])


def test_the_person_is_named_in_most_documents_but_not_all(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    named = [_names(gen, d, d["labels"]["person"]) for d in docs]
    assert 0.55 <= sum(named) / len(docs) <= 0.8
    for person in gen.PEOPLE:  # every person goes unnamed sometimes, and is named sometimes
        theirs = [n for n, d in zip(named, docs, strict=True) if d["labels"]["person"] == person]
        assert 0 < sum(theirs) < len(theirs), person
        surname = [d for d in docs if d["labels"]["person"] == person and "Keller" in d["input"]]
        assert len(surname) >= 0.5 * len(theirs), person  # the surname is everyone's: it tells nothing
    for d in docs:  # nobody else in the family is named, but in the aside
        others = [p for p in gen.PEOPLE if p not in (d["labels"]["person"], d.get("also"))]
        assert not any(_names(gen, d, p) for p in others), d["input"]


def test_some_documents_mention_a_second_family_member(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    also = [d for d in docs if "also" in d]
    assert 0.1 <= len(also) / len(docs) <= 0.3
    assert all(d["also"] in gen.PEOPLE and d["also"] != d["labels"]["person"] for d in also)
    assert all(any(aside in d["input"] for aside in gen.PEOPLE[d["also"]].asides) for d in also)
    asides = [a for p in gen.PEOPLE.values() for a in p.asides]
    assert not any(a in d["input"] for d in docs if "also" not in d for a in asides)


def test_the_committed_set_loads_as_a_three_criteria_set() -> None:
    examples, specs = load_multi_dataset(BENCH / "family_docs.jsonl")
    assert [s.key for s in specs] == KEYS and [s.k for s in specs] == [5, 5, 6] and len(examples) == 300
