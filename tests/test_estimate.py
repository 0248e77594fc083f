"""The estimate said before the model work (engine/estimate.py), from this model's earlier runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.engine import estimate
from corral.engine.jobs import ProgressEvent
from corral.engine.pipeline import organize
from corral.engine.request import RunRequest
from corral.engine.stages.base import LazyModel, Settings
from tests.fakes import FakeLLM


def _folder(tmp_path: Path, n: int, start: int = 0) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        (folder / f"f{i:02d}.txt").write_text(f"{['receipt', 'letter'][i % 2]} number {i}")
    return folder


def _organize(folder: Path, tmp_path: Path, **kw):  # type: ignore[no-untyped-def]
    events: list[ProgressEvent] = []
    result = organize(RunRequest(folder, Settings(criterion="kind", k=2), tmp_path / "p.corral", **kw),
                      model=LazyModel("fake-model", lambda: FakeLLM()), progress=events.append)
    said = [e.message for e in events if e.stage == "estimate"]
    assert len(said) == 1  # once, before the model work
    return result, said[0]


def test_the_first_run_has_no_figures_and_later_runs_are_timed_from_earlier_ones(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 20)
    first, said = _organize(folder, tmp_path)
    # no sentence embedder here, so the pure-LLM method: a label and a choice per file
    assert said == "up to 40 model questions about files; no earlier run of this model here to time them from."
    assert first.stats["estimate"] == {"calls": {"propose": 20, "assign": 20}, "seconds": None, "exact": False}
    remembered = json.loads(estimate.speed_path().read_text())["fake-model"]
    assert remembered["propose"] == pytest.approx(first.stats["seconds"]["propose"] / 20, abs=1e-3)
    assert remembered["assign"] == pytest.approx(first.stats["seconds"]["assign"] / 20, abs=1e-3)

    # 2 files added: placed into the groups, timed with the figures of the first run
    _folder(tmp_path, 2, start=20)
    placed, said = _organize(folder, tmp_path)
    assert placed.stats["estimate"]["calls"] == {"place": 2} and placed.stats["estimate"]["seconds"] is not None
    assert said.startswith("2 model questions about files, about ")
    # nothing changed: nothing to ask
    _, said = _organize(folder, tmp_path)
    assert said == "Every per-file answer is in the project already."


def test_the_estimate_multiplies_uncached_files_by_the_remembered_seconds(tmp_path: Path) -> None:
    estimate.record("m", {"seconds": {"propose": 30.0}, "propose": {"calls": 10},
                          "model_usage": {"seconds": 50.0}})  # 3 s a label, 20 s per run
    estimate.record("m", {"seconds": {"propose": 10.0}, "propose": {"calls": 10},
                          "model_usage": {"seconds": 10.0}})  # 1 s a label, none per run
    remembered = json.loads(estimate.speed_path().read_text())["m"]
    assert remembered == {"propose": 2.0, "per_run": 20.0}  # averaged; a run without per-run time keeps it
    estimate.record("m", {"seconds": {}, "model_usage": {}})  # asked nothing: figures unchanged
    assert json.loads(estimate.speed_path().read_text())["m"] == remembered

    from corral.engine.stages.base import StageContext
    from corral.engine.store import Project

    with Project.open(tmp_path / "e.corral") as project:
        ctx = StageContext(project, LazyModel("m", lambda: FakeLLM()), Settings(criterion="kind", k=3))
        rows = [(i, f"h{i}", f"text {i}") for i in range(45)]
        ahead = estimate.estimate(ctx, rows, "m", hybrid=True)
        assert ahead.calls == {"propose": 45} and ahead.seconds == pytest.approx(45 * 2.0 + 20.0)
        # K given: files whose answer is too broad for K groups are asked again (stages/propose.py)
        assert ahead.message() == ("at least 45 model questions about files, about 2 min in all (timed on "
                                   "this model's earlier runs here).")
        free = StageContext(project, ctx.model, Settings(criterion="kind"))
        assert estimate.estimate(free, rows, "m", hybrid=True).message().startswith("45 model questions")
        values = StageContext(project, ctx.model, Settings(criterion="kind", k=3, steer="values"))
        ahead = estimate.estimate(values, rows, "m", hybrid=True)  # choices not timed yet: the labels' figure
        assert not ahead.exact and ahead.message().startswith("up to 45 model questions")
        assert ahead.seconds == pytest.approx(45 * 2.0 + 20.0)


def test_many_files_are_offered_the_faster_mode(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from corral.engine.stages.base import StageContext
    from corral.engine.store import Project

    monkeypatch.setattr(estimate, "OFFER_ABOVE", 40)
    rows = [(i, f"h{i}", f"text {i}") for i in range(45)]
    with Project.open(tmp_path / "e.corral") as project:
        ctx = StageContext(project, LazyModel("m", lambda: FakeLLM()), Settings(criterion="kind", k=3))
        ahead = estimate.estimate(ctx, rows, "m", hybrid=True)  # not timed yet: offered without a time
        assert ahead.offer and ahead.faster is None and "Faster: --llm-sample 500 reads" in ahead.message()
        estimate.record("m", {"seconds": {"propose": 10.0}, "propose": {"calls": 10}, "model_usage": {"seconds": 15.0}})
        ahead = estimate.estimate(ctx, rows, "m", hybrid=True)
        assert ahead.faster == pytest.approx(500 * 1.0 + 5.0) and "(about 8 min; on a 500-text" in ahead.message()
        sampled = StageContext(project, ctx.model, Settings(criterion="kind", k=3, llm_sample=20))
        assert not estimate.estimate(sampled, rows, "m", hybrid=True).offer  # already the faster mode
        assert not estimate.estimate(ctx, rows[:30], "m", hybrid=True).offer  # few files
