"""The fourth two-criteria document set, written by hand (resources/bench/club_docs.jsonl):
180 documents of five community groups, each written on its own by one of two writers in
two styles, not by a generator. It checks the method on documents no template of ours
shaped (docs/benchmarks.md, "Documents written by hand")."""

from __future__ import annotations

import json
from collections import Counter

from corral.engine.bench import load_multi_dataset
from tests.conftest import REPO

SET = REPO / "resources" / "bench" / "club_docs.jsonl"
KIND_WORDS = {"email": ("email", "e-mail"), "minutes": ("minutes",), "receipt": ("receipt", "invoice"),
              "flyer": ("flyer", "poster"), "form": ("form",), "report": ("report",)}


def _rows() -> list[dict]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]


def test_the_set_loads_with_both_criteria_and_is_balanced() -> None:
    examples, specs = load_multi_dataset(SET)
    assert [(s.key, s.k) for s in specs] == [("kind", 6), ("group", 5)] and len(examples) == 180
    cells = Counter((e.labels["kind"], e.labels["group"]) for e in examples)
    assert len(cells) == 30 and set(cells.values()) == {6}
    writers = Counter((r["writer"], r["labels"]["kind"], r["labels"]["group"]) for r in _rows())
    assert len(writers) == 60 and set(writers.values()) == {3}  # each writer three of every cell


def test_every_document_is_its_own_and_kinds_seldom_say_their_name() -> None:
    rows = _rows()
    texts = [r["input"] for r in rows]
    assert len(set(texts)) == len(texts)
    assert len({t.split("\n", 1)[0] for t in texts}) > 0.9 * len(texts)  # no shared headings
    words = sorted(len(t.split()) for t in texts)
    assert words[0] < 30 and words[-1] > 250
    for kind, names in KIND_WORDS.items():
        docs = [r["input"].lower() for r in rows if r["labels"]["kind"] == kind]
        said = sum(any(n in d for n in names) for d in docs)
        assert said <= 0.5 * len(docs), (kind, said)
