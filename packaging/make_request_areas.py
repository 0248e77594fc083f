"""A two-criteria set of assistant requests at two levels of one aspect: the AREA of life a
request is about (coarse, 9) and its SCENARIO (fine, 18), on the same items.

Why: automatic K must read how fine the criterion is, not only the data (issue 16). The same
300-odd requests grouped "which area of life is this request about" should give about 9
groups, grouped "which feature of the assistant would handle it" about 18. Built from the
shared sets (both CC-BY-4.0): MASSIVE utterances (``massive_scenario.jsonl``, one scenario
each) and banking77 queries (all of them one scenario, "banking"). Areas group scenarios:

    time and planning: alarm, calendar, datetime, lists
    home: iot                          food: cooking, takeaway
    entertainment: music, audio, play  information: news, weather, qa
    communication: email, social       travel: transport
    small talk: general                money: banking (banking77)

MASSIVE's "recommendation" scenario is left out (restaurants, films and shops: it belongs to
several areas). Every area holds the same number of requests, spread evenly over its
scenarios, so the scenarios are unequal (36 smart-home requests, 9 alarms). The grouping of
scenarios into areas is this file's judgement, written down above before any run.

Deterministic: the same bytes on every run (tests/test_request_areas.py checks the committed
file where the shared sets are present).

Usage: python packaging/make_request_areas.py [--per-area 36] [--seed 3] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from corral.engine.bench import write_multi_dataset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "bench" / "request_areas.jsonl"
TEXT = ROOT.parent / "shared" / "datasets" / "text"
SEED = 3
PER_AREA = 36
AREAS = {
    "time and planning": ["alarm", "calendar", "datetime", "lists"],
    "home": ["iot"],
    "food": ["cooking", "takeaway"],
    "entertainment": ["music", "audio", "play"],
    "information": ["news", "weather", "qa"],
    "communication": ["email", "social"],
    "travel": ["transport"],
    "small talk": ["general"],
    "money": ["banking"],
}
CRITERIA = {
    "area": {"criterion": "which area of life is this request about", "k": len(AREAS)},
    "scenario": {"criterion": "which feature of the assistant would handle this request",
                 "k": sum(len(s) for s in AREAS.values())},
}


def _pool(text_dir: Path) -> dict[str, list[str]]:
    """Scenario -> its requests, in file order, duplicates dropped."""
    pool: dict[str, list[str]] = {}
    for line in (text_dir / "massive_scenario.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        pool.setdefault(row["label"], []).append(row["input"])
    pool["banking"] = [json.loads(line)["input"] for line in
                       (text_dir / "banking77.jsonl").read_text(encoding="utf-8").splitlines()]
    return {k: list(dict.fromkeys(v)) for k, v in pool.items()}


def request_areas(per_area: int = PER_AREA, seed: int = SEED,
                  text_dir: Path = TEXT) -> list[dict]:
    pool = _pool(text_dir)
    rng = random.Random(seed)
    rows: list[dict] = []
    for area, scenarios in AREAS.items():
        shares = [per_area // len(scenarios) + (i < per_area % len(scenarios))
                  for i in range(len(scenarios))]
        for scenario, n in zip(scenarios, shares, strict=True):
            for text in rng.sample(pool[scenario], n):
                rows.append({"input": text, "labels": {"area": area, "scenario": scenario}})
    rng.shuffle(rows)
    return rows


def write(out: Path = OUT, per_area: int = PER_AREA, seed: int = SEED,
          text_dir: Path = TEXT) -> Path:
    return write_multi_dataset(request_areas(per_area, seed, text_dir), CRITERIA, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-area", type=int, default=PER_AREA)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    print(write(args.out, args.per_area, args.seed))


if __name__ == "__main__":
    main()
