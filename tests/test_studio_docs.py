"""The second two-criteria document set (packaging/make_studio_docs.py): deterministic and
committed as written, kind and client balanced and independent, several layouts per kind,
some documents mentioning a second client and some never naming their own."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from corral.engine.bench import load_multi_dataset
from tests.conftest import REPO, assert_set_is_committed, packaging_script

BENCH = REPO / "resources" / "bench"


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return packaging_script("make_studio_docs")


@pytest.fixture(scope="module")
def docs(gen) -> list[dict]:  # type: ignore[no-untyped-def]
    return gen.studio_docs(240)


def test_the_set_is_the_same_bytes_every_time_and_matches_the_committed_one(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_set_is_committed(gen.write, tmp_path, "studio_docs", "make_studio_docs.py")
    assert gen.studio_docs(60, seed=1) != gen.studio_docs(60, seed=2)


def test_kind_and_client_are_balanced_and_independent(docs: list[dict]) -> None:
    cells = Counter((d["labels"]["kind"], d["labels"]["client"]) for d in docs)
    assert len(cells) == 6 * 5 and set(cells.values()) == {8}
    layouts = Counter((d["template"], d["labels"]["client"]) for d in docs)
    assert len(layouts) == 18 * 5  # every layout of a kind for every client


def test_each_kind_has_layouts_and_lengths_and_clients_are_not_always_named(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    for kind in gen.KINDS:
        rows = [d for d in docs if d["labels"]["kind"] == kind]
        assert len({d["template"] for d in rows}) == 3
        words = sorted(len(d["input"].split()) for d in rows)
        assert words[-1] >= 1.8 * words[0], (kind, words[0], words[-1])
    named = [any(n in d["input"] for n in gen.CLIENTS[d["labels"]["client"]].names) for d in docs]
    assert 0.4 < sum(named) / len(docs) < 0.85


def test_some_documents_mention_a_second_client(gen, docs: list[dict]) -> None:  # type: ignore[no-untyped-def]
    also = [d for d in docs if "also" in d]
    assert 0.1 < len(also) / len(docs) < 0.3 and all(d["also"] != d["labels"]["client"] for d in also)
    assert all(gen.CLIENTS[d["also"]].aside in d["input"] for d in also)


def test_the_committed_set_loads_as_a_two_criteria_set() -> None:
    examples, specs = load_multi_dataset(BENCH / "studio_docs.jsonl")
    assert [s.key for s in specs] == ["kind", "client"] and len(examples) == 240
