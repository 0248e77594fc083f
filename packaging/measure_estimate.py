"""Issue 13's estimate, across file lengths: is the time said before a run within 25%?

Usage: .venv/bin/python packaging/measure_estimate.py [WORKDIR] [LONG] [SHORT]

With a fresh data folder (so no earlier figures), the default model organizes LONG household
documents (resources/bench, 300-1,500 characters; "what kind of document is this", K=6),
then SHORT massive_scenario texts (about 40 characters; K=10), then LONG other documents
again. Each run after the first prints the estimate said before its model work (the line
per character, engine/estimate.py), what one remembered figure per call would have said
(the estimate before the line), and the seconds the model work took.
docs/benchmarks.md, "Speed", records what it printed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "resources" / "bench" / "household_docs.jsonl"
TEXTS = REPO.parent / "shared" / "datasets" / "text" / "massive_scenario.jsonl"


def main() -> None:
    work = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/corral-estimate")
    long_n = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    short_n = int(sys.argv[3]) if len(sys.argv) > 3 else 150
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # a fresh data folder; the installed models stay where they are
    from corral.models.paths import models_dir

    os.environ.setdefault("CORRAL_MODELS", str(models_dir()))
    os.environ["CORRAL_HOME"] = str(work / "home")

    from corral.engine import estimate
    from corral.engine.jobs import ProgressEvent
    from corral.engine.pipeline import models_for, organize
    from corral.engine.request import build_request

    docs = [json.loads(line)["input"] for line in DOCS.read_text(encoding="utf-8").splitlines()]
    texts = [json.loads(line)["input"] for line in TEXTS.read_text(encoding="utf-8").splitlines()]
    runs = [("long", docs[:long_n], "what kind of document is this", 6),
            ("short", texts[:short_n], "what the person wants to do", 10),
            ("long again", docs[long_n:2 * long_n], "what kind of document is this", 6)]
    for name, items, criterion, k in runs:
        folder = work / name.replace(" ", "-")
        folder.mkdir()
        for i, text in enumerate(items):
            (folder / f"f{i:04d}.txt").write_text(text, encoding="utf-8")
        known = json.loads(estimate.speed_path().read_text()) if estimate.speed_path().exists() else {}
        said: list[str] = []
        request = build_request(folder, criterion, k=k, project_path=work / f"{folder.name}.corral")
        model, embedder = models_for(request)

        def progress(event: ProgressEvent, said: list[str] = said) -> None:
            if event.stage == "estimate":
                said.append(event.message)

        result = organize(request, model=model, embedder=embedder, progress=progress)
        stats = result.stats
        per_call = next(iter(known.values()), {}).get("propose") if known else None
        took = stats["model_usage"]["seconds"]
        line = stats["estimate"]["seconds"]
        old = per_call * stats["estimate"]["calls"].get("propose", 0) + next(iter(known.values())).get(
            "per_run", 0.0) if per_call else None
        chars = sum(len(t) for t in items) / len(items)
        print(f"{name}: {len(items)} files, {chars:.0f} characters each on average; model work {took:.0f} s "
              f"({stats['propose']['calls']} labels in {stats['seconds']['propose']:.0f} s); "
              f"estimate {'-' if line is None else f'{line:.0f} s ({line / took - 1:+.0%})'}; "
              f"one figure per call would have said {'-' if old is None else f'{old:.0f} s ({old / took - 1:+.0%})'}",
              flush=True)
        print("  said:", said[0] if said else "-", flush=True)


if __name__ == "__main__":
    main()
