"""The estimate said before the model work (engine/estimate.py), from this model's earlier runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.engine import estimate, prompts
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
        # every file of a small folder is asked again too (stages/relevance.py); that stage has
        # no figure yet, so a label's stands in
        assert ahead.calls == {"propose": 45, "reask": 45}
        assert ahead.seconds == pytest.approx(90 * 2.0 + 20.0)
        # K given: files whose answer is too broad for K groups are asked again (stages/propose.py)
        assert ahead.message() == ("at least 90 model questions about files, about 3 min in all (timed on "
                                   "this model's earlier runs here).")
        ctx.settings.text_check = False
        assert estimate.estimate(ctx, rows, "m", hybrid=True).calls == {"propose": 45}
        free = StageContext(project, ctx.model, Settings(criterion="kind", text_check=False))
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


def test_fit_line_reads_seconds_per_character_and_stays_sane() -> None:
    def sums(points: list[tuple[int, float]]) -> list[float]:
        out = [0.0] * 5
        for x, y in points:
            for i, v in enumerate((1, x, y, x * x, x * y)):
                out[i] += v
        return out

    a, b = estimate.fit_line(sums([(x, 0.3 + 0.002 * x) for x in (50, 200, 400, 1200)]))  # type: ignore[misc]
    assert a == pytest.approx(0.3) and b == pytest.approx(0.002)
    assert estimate.fit_line(sums([(100, 1.0), (100, 2.0)])) == (1.5, 0.0)  # one length: the mean
    assert estimate.fit_line(sums([(100, 2.0), (1000, 1.0)])) == (1.5, 0.0)  # longer yet faster: noise
    a, b = estimate.fit_line(sums([(100, 0.1), (1000, 3.0)]))  # type: ignore[misc]
    assert a == 0.0 and b == pytest.approx(3.1 / 1100)  # no negative fixed cost
    assert estimate.fit_line([0, 0, 0, 0, 0]) is None


def test_calls_are_timed_by_length_and_long_files_are_estimated_longer(tmp_path: Path) -> None:
    from corral.engine.stages.base import StageContext
    from corral.engine.store import Project

    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(6):
        (folder / f"f{i}.txt").write_text(f"receipt {i} " + "words " * (10 + 40 * i))
    result, _ = _organize(folder, tmp_path)
    fit = result.stats["call_fit"]["answer"]  # every label asked, one call at a time
    assert fit[0] == result.stats["propose"]["calls"] == 6
    assert 6 * 60 < fit[1] <= 6 * 1200  # the characters sent: the descriptions, cut at 1,200
    remembered = json.loads(estimate.speed_path().read_text())["fake-model"]
    assert remembered["fit:answer"]["version"] == prompts.VERSIONS["answer"] and remembered["fit:answer"]["sums"][0] == 6

    # a remembered line of 0.2 s + 1 ms a character: long files cost more than short ones
    data = json.loads(estimate.speed_path().read_text())
    data["m"] = {"propose": 5.0, "fit:answer": {"version": prompts.VERSIONS["answer"], "sums": [
        2, 1100, 0.2 * 2 + 0.001 * 1100, 100**2 + 1000**2, 100 * 0.3 + 1000 * 1.2]}}
    estimate.speed_path().write_text(json.dumps(data))
    with Project.open(tmp_path / "e.corral") as project:
        ctx = StageContext(project, LazyModel("m", lambda: FakeLLM()), Settings(criterion="kind", text_check=False))
        short = estimate.estimate(ctx, [(i, f"h{i}", "x" * 100) for i in range(10)], "m", hybrid=True)
        long = estimate.estimate(ctx, [(i, f"h{i}", "y" * 5000) for i in range(10)], "m", hybrid=True)
        assert short.seconds == pytest.approx(10 * 0.3)
        assert long.seconds == pytest.approx(10 * (0.2 + 0.001 * 1200))  # a label reads 1,200 characters
        # the line of another prompt version is not used: the per-call figure stands in
        data["m"]["fit:answer"]["version"] = "q1"
        estimate.speed_path().write_text(json.dumps(data))
        assert estimate.estimate(ctx, [(i, f"h{i}", "x" * 100) for i in range(10)], "m",
                                 hybrid=True).seconds == pytest.approx(10 * 5.0)


def test_answers_decoded_together_are_timed_apart_from_one_at_a_time(tmp_path: Path) -> None:
    """A model that decodes several answers at once takes about half as long a call: its line
    is remembered under its own version and read only for runs decoded the same way."""
    from corral.engine.stages.base import StageContext
    from corral.engine.store import Project
    from tests.fakes import FakeBatchLLM

    folder = _folder(tmp_path, 8)
    events: list[ProgressEvent] = []
    result = organize(RunRequest(folder, Settings(criterion="kind", k=2), tmp_path / "p.corral"),
                      model=LazyModel("batch-model", lambda: FakeBatchLLM(parallel=4)), progress=events.append)
    assert result.stats["call_together"] == {"answer": 4} and result.stats["call_fit"]["answer"][0] == 2 * 4 * 4
    remembered = json.loads(estimate.speed_path().read_text())["batch-model"]
    assert remembered["fit:answer"]["version"] == prompts.VERSIONS["answer"] + "/x4"
    data = json.loads(estimate.speed_path().read_text())
    data["m"] = {"propose": 5.0, "fit:answer": {"version": estimate.timing_version("answer", 16),
                                                "sums": [2, 200, 0.6, 20000, 60]}}  # 0.3 s a call
    estimate.speed_path().write_text(json.dumps(data))
    with Project.open(tmp_path / "e.corral") as project:
        ctx = StageContext(project, LazyModel("m", lambda: FakeLLM()), Settings(criterion="kind", text_check=False))
        rows = [(i, f"h{i}", "x" * 100) for i in range(10)]
        assert estimate.estimate(ctx, rows, "m", hybrid=True, together=16).seconds == pytest.approx(10 * 0.3)
        # one at a time (a server, or --parallel 1): not that line, the per-call figure
        assert estimate.estimate(ctx, rows, "m", hybrid=True).seconds == pytest.approx(10 * 5.0)


def test_groups_timed_together_give_the_line_of_their_calls() -> None:
    """Groups of calls of about one length each (shortest first), timed as wholes, pin down
    the same seconds = a + b x as the calls timed one by one would."""
    from corral.engine.stages.inflight import add_timing

    a, b = 0.4, 0.002
    alone: dict = {}
    grouped: dict = {}
    lengths = sorted([30, 40, 50, 300, 320, 340, 900, 1000, 1100, 1150])
    for x in lengths:
        add_timing(alone, "answer", x, a + b * x)
    for group in (lengths[0:4], lengths[4:8], lengths[8:10]):
        add_timing(grouped, "answer", sum(group), sum(a + b * x for x in group), len(group))
    for stats in (alone, grouped):
        fitted = estimate.fit_line(stats["call_fit"]["answer"])
        assert fitted is not None and fitted == pytest.approx((a, b))
