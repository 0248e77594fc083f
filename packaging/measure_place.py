"""Issue 13's re-run at size: M files added to a project of N, the same command again.

Usage: .venv/bin/python packaging/measure_place.py N M [WORKDIR]

N short texts (massive_scenario, then banking77, from ../shared/datasets) are written to a
folder, scanned and described for real, and recorded as a finished run of the default model
with K=10 whose groups are written directly (round robin under ten names): grouping N files
with the model is not what is measured, and would take hours at N=5000. Then M new files are
written and the real ``organize`` runs with the default model, as ``corral organize`` would:
the new files are placed into the run's groups (engine/place.py). Prints the seconds, the
model calls, the seconds outside model calls per file and the peak RSS (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path

from corral.engine.ingest import scan_folder
from corral.engine.pipeline import models_for, organize
from corral.engine.place import recorded_settings
from corral.engine.request import build_request
from corral.engine.stages.base import StageContext
from corral.engine.stages.describe import describe_items
from corral.engine.store import Project

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "text"
NAMES = ["Alarms", "Music", "Weather", "Calendar", "Email", "Cooking", "Transport", "News",
         "Shopping", "Banking"]


def main() -> None:
    n, m = int(sys.argv[1]), int(sys.argv[2])
    work = Path(sys.argv[3] if len(sys.argv) > 3 else "/tmp/corral-place")
    rows = [json.loads(line)["input"] for name in ("massive_scenario", "banking77")
            for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    rows = list(dict.fromkeys(rows))[: n + m]
    if len(rows) < n + m:
        raise SystemExit(f"only {len(rows)} distinct texts")
    folder, path = work / "folder", work / "place.corral"
    shutil.rmtree(work, ignore_errors=True)
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"q{i:05d}.txt").write_text(rows[i], encoding="utf-8")
    request = build_request(folder, "what the person wants to do", k=10, project_path=path)
    model, embedder = models_for(request)

    started = time.perf_counter()
    with Project.open(path) as project:  # the first run, recorded without the model
        project.set_meta("root", str(folder.resolve()))
        scan_folder(folder.resolve(), project)
        items = project.items("ok")
        described, _ = describe_items(StageContext(project, model, request.settings), items)
        run_id = project.runs.new(request.criterion, request.k, model.model_id, recorded_settings(request.settings))
        project.results.save_groups(run_id, NAMES)
        with project.transaction():
            for n_item, (item_id, desc) in enumerate(sorted(described.items())):
                project.results.save_assignment(run_id, item_id, n_item % len(NAMES), 0.9, False, description=desc)
        project.results.update_group_sizes(run_id)
        project.runs.finish(run_id, "done", {})
    print(f"{n} files scanned, described and recorded as run {run_id} in {time.perf_counter() - started:.0f} s",
          flush=True)

    for i in range(n, n + m):
        (folder / f"q{i:05d}.txt").write_text(rows[i], encoding="utf-8")
    started = time.perf_counter()
    result = organize(request, model=model, embedder=embedder)
    seconds = time.perf_counter() - started
    usage = result.stats.get("model_usage", {})
    outside = seconds - usage.get("seconds", 0.0)
    print(f"+{m} files: {seconds:.1f} s, {usage.get('calls', 0)} model calls ({usage.get('seconds', 0.0):.1f} s in "
          f"them), placed {result.stats.get('placed')}; outside model calls {outside:.1f} s = "
          f"{1000 * outside / (n + m):.2f} ms per file; stage seconds "
          f"{ {k: round(v, 2) for k, v in result.stats['seconds'].items()} }", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
