"""Issue 13's re-run cost: N short texts organized, M more added, the same command again.

Usage: .venv/bin/python packaging/measure_rerun.py N M [WORKDIR]
(the first N + M massive_scenario texts from ../shared/datasets, the default model, K=10;
prints each run's seconds and model calls; docs/benchmarks.md, "Speed").
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from corral.engine.pipeline import models_for, organize
from corral.engine.request import build_request

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "text" / "massive_scenario.jsonl"


def main() -> None:
    n, m = int(sys.argv[1]), int(sys.argv[2])
    work = Path(sys.argv[3] if len(sys.argv) > 3 else "/tmp/corral-rerun")
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()][: n + m]
    folder, project = work / "folder", work / "rerun.corral"
    shutil.rmtree(work, ignore_errors=True)
    folder.mkdir(parents=True)

    def write(start: int, stop: int) -> None:
        for i in range(start, stop):
            (folder / f"q{i:04d}.txt").write_text(rows[i]["input"], encoding="utf-8")

    def run(label: str) -> None:
        request = build_request(folder, "what the person wants to do", k=10, project_path=project)
        model, embedder = models_for(request)
        started = time.perf_counter()
        result = organize(request, model=model, embedder=embedder)
        calls = result.stats.get("model_usage", {}).get("calls", 0)
        print(f"{label}: {time.perf_counter() - started:.0f} s, {calls} model calls "
              f"(propose {result.stats.get('propose')}, name {result.stats.get('name')}); "
              f"estimated before the model work: {result.stats.get('estimate')}", flush=True)

    write(0, n)
    run(f"{n} files")
    write(n, n + m)
    run(f"+{m} files")
    run("unchanged")


if __name__ == "__main__":
    main()
