"""The coarse-and-fine request set (packaging/make_request_areas.py): committed as written,
every area the same size, every scenario in exactly one area, the texts the shared sets'."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corral.engine.bench import load_multi_dataset
from tests.conftest import REPO, SHARED, assert_set_is_committed, packaging_script

BENCH = REPO / "resources" / "bench"
TEXT = SHARED / "datasets" / "text"
needs_shared = pytest.mark.skipif(not (TEXT / "massive_scenario.jsonl").is_file(),
                                  reason="the shared text sets are not here")


@pytest.fixture(scope="module")
def gen():  # type: ignore[no-untyped-def]
    return packaging_script("make_request_areas")


@needs_shared
def test_the_set_is_the_same_bytes_every_time_and_matches_the_committed_one(gen, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_set_is_committed(gen.write, tmp_path, "request_areas", "make_request_areas.py")
    assert gen.request_areas(9, seed=1) != gen.request_areas(9, seed=2)


@needs_shared
def test_the_texts_are_the_shared_sets_own_under_their_own_scenario() -> None:
    source: dict[str, set[str]] = {}
    for line in (TEXT / "massive_scenario.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        source.setdefault(row["input"], set()).add(row["label"])
    for line in (TEXT / "banking77.jsonl").read_text(encoding="utf-8").splitlines():
        source.setdefault(json.loads(line)["input"], set()).add("banking")
    examples, _ = load_multi_dataset(BENCH / "request_areas.jsonl")
    for ex in examples:
        assert ex.labels["scenario"] in source[ex.text], ex.text


def test_areas_are_equal_and_group_whole_scenarios() -> None:
    examples, specs = load_multi_dataset(BENCH / "request_areas.jsonl")
    assert [s.key for s in specs] == ["area", "scenario"]
    areas = Counter(ex.labels["area"] for ex in examples)
    assert len(areas) == 9 and set(areas.values()) == {36}
    area_of: dict[str, set[str]] = {}
    for ex in examples:
        area_of.setdefault(ex.labels["scenario"], set()).add(ex.labels["area"])
    assert len(area_of) == 18 and all(len(a) == 1 for a in area_of.values())
    assert {s.key: s.k for s in specs} == {"area": 9, "scenario": 18}
    assert len({ex.text for ex in examples}) == len(examples)  # no request twice
