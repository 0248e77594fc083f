"""Does the text carry the criterion (stages/relevance.py): the check's logic on a scripted
model and vectors made to carry the criterion or not; the real model asks again in
tests/test_e2e_real_model.py's runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corral.engine.pipeline import organize
from corral.engine.request import RunRequest
from corral.engine.stages import relevance
from corral.engine.stages.base import LazyModel, Settings, StageContext
from corral.engine.store import Project
from tests.fakes import FakeLLM
from tests.test_stages import _keyword_embedder

KINDS = ("invoice", "letter", "checklist")
PROJECTS = ("kitchen", "garden", "wedding", "car")


def _documents() -> list[str]:
    return [f"{kind} {n} about the {project}" for kind in KINDS for project in PROJECTS for n in range(3)]


def _one_hot(values: list[str]) -> np.ndarray:
    """Each distinct string its own direction (so label concepts never merge)."""
    index = {v: i for i, v in enumerate(sorted(set(values)))}
    out = np.zeros((len(values), len(index)))
    out[np.arange(len(values)), [index[v] for v in values]] = 1.0
    return out


def _embed(texts: list[str]) -> np.ndarray:
    return _one_hot(list(texts))


def _ctx(tmp_path: Path, fake: FakeLLM) -> StageContext:
    return StageContext(Project.open(tmp_path / "p.corral"), LazyModel("fake", lambda: fake),
                        Settings(criterion="what kind of document is this", k=3))


def _by(docs: list[str], words: tuple[str, ...]) -> list[str]:
    return [next(w for w in words if w in d) for d in docs]


def test_a_text_that_groups_by_another_property_does_not_carry_the_criterion(tmp_path: Path) -> None:
    docs = _documents()
    kinds = _by(docs, KINDS)
    fake = FakeLLM(label_for=lambda text: text.split()[0])  # asked again, the same answer
    # the text's neighbours share the project, not the kind
    checked = relevance.check_text(_ctx(tmp_path, fake), docs, kinds, _one_hot(_by(docs, PROJECTS)), _embed)
    assert checked.reliability == 1.0 and checked.neighbours == 0.0 and not checked.carries
    assert fake.calls.count("reask") == len(docs)  # a small folder: every file asked again


def test_a_text_that_groups_by_the_criterion_carries_it(tmp_path: Path) -> None:
    docs = _documents()
    kinds = _by(docs, KINDS)
    fake = FakeLLM(label_for=lambda text: text.split()[0])
    checked = relevance.check_text(_ctx(tmp_path, fake), docs, kinds, _one_hot(kinds), _embed)
    assert checked.carries and checked.ratio > 0.9


def test_answers_that_do_not_agree_with_themselves_leave_the_text_in_charge(tmp_path: Path) -> None:
    """Low neighbour agreement with noisy answers is no evidence against the text."""
    docs = _documents()
    kinds = _by(docs, KINDS)
    fake = FakeLLM(reask_for=lambda text: f"folder {len(text) % 7}")  # unrelated second answers
    checked = relevance.check_text(_ctx(tmp_path, fake), docs, kinds, _one_hot(_by(docs, PROJECTS)), _embed)
    assert checked.reliability <= 0 and checked.carries


def test_vague_answers_take_no_part(tmp_path: Path) -> None:
    """A second answer such as "Documents" says nothing about the file: those files are left
    out, and with too few clear answers left the text keeps its weight."""
    docs = _documents()
    kinds = _by(docs, KINDS)
    projects = _one_hot(_by(docs, PROJECTS))
    half = FakeLLM(label_for=lambda text: text.split()[0],
                   reask_for=lambda text: "Documents" if text.startswith("letter") else text.split()[0])
    checked = relevance.check_text(_ctx(tmp_path, half), docs, kinds, projects, _embed)
    assert checked.reliability == 1.0 and not checked.carries  # the invoices and checklists judge
    vague = FakeLLM(label_for=lambda text: text.split()[0], reask_for=lambda text: "Documents")
    assert relevance.check_text(_ctx(tmp_path / "v", vague), docs, kinds, projects, _embed).carries


def test_the_second_answers_are_cached_and_a_big_folder_is_sampled(tmp_path: Path) -> None:
    docs = [f"{d} copy {c}" for c in range(6) for d in _documents()]  # 216 files
    kinds = _by(docs, KINDS)
    fake = FakeLLM(label_for=lambda text: text.split()[0])
    ctx = _ctx(tmp_path, fake)
    sampled, reliability, _ = relevance.answer_reliability(ctx, docs, kinds, _embed)  # nothing to settle
    assert sampled == relevance.REASK_SAMPLE == fake.calls.count("reask") and reliability == 1.0
    first = relevance.check_text(ctx, docs, kinds, _one_hot(kinds), _embed)
    assert relevance.check_text(ctx, docs, kinds, _one_hot(kinds), _embed) == first
    assert fake.calls.count("reask") == relevance.REASK_SAMPLE  # the second and third time from the cache
    assert relevance.sample_rows(216, 160) == sorted(relevance.sample_order(216, 160))


def test_files_stop_being_asked_again_once_the_texts_weight_is_beyond_doubt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample is looked at after 40 files and every 40 more: where the ratio is clearly
    at one end of the ramp (the text carries the criterion, or clearly does not), the other
    120 are not asked; where it lies within the ramp, all 160 are."""
    docs = [f"{d} copy {c}" for c in range(6) for d in _documents()]  # 216 files
    kinds = _by(docs, KINDS)
    projects = _one_hot(_by(docs, PROJECTS))
    fake = FakeLLM(label_for=lambda text: text.split()[0])
    carries = relevance.check_text(_ctx(tmp_path / "a", fake), docs, kinds, _one_hot(kinds), _embed)
    assert carries.sampled == 40 == fake.calls.count("reask") and carries.carries and carries.ratio == 1.0
    fake = FakeLLM(label_for=lambda text: text.split()[0])
    lacks = relevance.check_text(_ctx(tmp_path / "b", fake), docs, kinds, projects, _embed)
    assert lacks.sampled == 40 == fake.calls.count("reask") and not lacks.carries
    monkeypatch.setattr(relevance, "CARRIES_AT", 1.5)  # a ratio of 1.0 now lies within the ramp
    fake = FakeLLM(label_for=lambda text: text.split()[0])
    close = relevance.check_text(_ctx(tmp_path / "c", fake), docs, kinds, _one_hot(kinds), _embed)
    assert close.sampled == 160 == fake.calls.count("reask") and close.ratio == 1.0


def test_where_the_text_does_not_carry_the_criterion_the_labels_decide(tmp_path: Path) -> None:
    """A folder whose text groups by project, asked for kinds: the check finds the text does
    not carry the criterion, and the labels' weight goes above the text's."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for n, doc in enumerate(_documents()):
        (folder / f"{n:02d}.txt").write_text(doc)
    fake = FakeLLM(label_for=lambda text: text.split()[0] + "s")
    embedder = _keyword_embedder({**{p: i for i, p in enumerate(PROJECTS)},
                                  **{k: len(PROJECTS) + i for i, k in enumerate(KINDS)}})
    run = organize(RunRequest(folder, Settings(criterion="what kind of document is this", k=3),
                              tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake), embedder=embedder)
    assert run.stats["text_check"]["text_carries"] is False
    assert "does not carry the criterion" in relevance.explain(run.stats["text_check"])
    blocks = run.stats["blocks"]
    assert blocks["label"]["weight"] > blocks["text"]["weight"]
    kinds = [{(folder / m.path).read_text().split()[0] for m in g.members} for g in run.groups]
    assert sorted(len(k) for k in kinds) == [1, 1, 1]  # each group one kind

    off = organize(RunRequest(folder, Settings(criterion="what kind of document is this", k=3, text_check=False),
                              tmp_path / "q.corral"), model=LazyModel("fake", lambda: fake), embedder=embedder)
    assert "text_check" not in off.stats and off.stats["blocks"]["text"]["weight"] == 1.0


def test_only_a_measured_check_says_the_text_carries_the_criterion() -> None:
    """Too few clear answers give the neutral check (ratio 1, the text keeps its weight), which
    is no finding: automatic K tests stray answers against the text only after a real one."""
    measured = relevance.TextCheck(sampled=160, reliability=0.5, neighbours=0.4, ratio=0.8)
    neutral = relevance.TextCheck(sampled=5, reliability=0.0, neighbours=0.0, ratio=1.0)
    lacking = relevance.TextCheck(sampled=160, reliability=0.5, neighbours=0.1, ratio=0.2)
    assert measured.found_carrying and measured.carries
    assert neutral.carries and not neutral.found_carrying
    assert not lacking.found_carrying


def test_the_resampled_agreement_is_centred_on_the_files_own() -> None:
    """A bootstrap resample repeats files, which raises the chance agreement: uncentred, the
    resamples' agreement would lie below the files' own and "clearly unreliable" would come
    too soon."""
    rng = np.random.default_rng(3)
    a = rng.integers(0, 6, 60)
    b = np.where(rng.random(60) < 0.5, a, rng.integers(0, 6, 60))
    own = relevance._beyond_chance_agreement(a, b)
    spread = relevance._resampled(a, b)
    assert abs(spread.mean() - own) < 1e-9 and spread.std() > 0.02 and 0.2 < own < 0.8


def test_each_look_embeds_only_the_answers_not_seen_yet(tmp_path: Path) -> None:
    """The sample is read at every look with all its answers: each distinct answer is
    embedded once, however many looks there are."""
    docs = [f"{d} copy {c}" for c in range(6) for d in _documents()]  # 216 files
    kinds = _by(docs, KINDS)
    asked: list[str] = []

    def counting(texts: list[str]) -> np.ndarray:
        asked.extend(texts)
        return _embed(texts)

    ctx = _ctx(tmp_path, FakeLLM(label_for=lambda text: text.split()[0]))
    sampled, reliability, _ = relevance.answer_reliability(ctx, docs, kinds, counting)  # four looks
    assert sampled == 160 and reliability == 1.0
    assert sorted(asked) == sorted(set(asked))  # no text embedded twice


def test_pictures_keep_their_weights_and_are_asked_again_only_without_k(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A picture's answer is read off its describers' words, so it agrees with itself asked
    again whether or not they were right: with K given the check is not run for a folder of
    pictures (no file asked again, the weights as they are); without K it runs, for
    automatic K, and its weights are not applied."""
    import csv
    import shutil

    monkeypatch.setenv("CORRAL_MODELS", str(tmp_path / "empty-store"))  # no classifier: EXIF words only
    bench = Path(__file__).resolve().parents[1] / "resources" / "bench" / "trip_photos"
    trips = dict(list(csv.reader((bench / "labels_trip.csv").open()))[1:])
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in sorted(trips)[:12] + sorted(trips)[-12:]:  # two trips
        shutil.copy(bench / name, folder / name)
    places = ("cape town", "sydney", "kyoto", "lisbon", "reykjavik", "new york", "jersey")
    fake = FakeLLM(label_for=lambda text: next((p for p in places if p in text.lower()), "somewhere"))
    embedder = _keyword_embedder({p: i for i, p in enumerate(places)})
    given = organize(RunRequest(folder, Settings(criterion="which trip were these photos taken on", k=2, ocr=False),
                                tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake), embedder=embedder)
    assert "reask" not in fake.calls and "text_check" not in given.stats
    assert given.stats["blocks"]["text"]["weight"] == 1.0 and given.stats["blocks"]["label"]["weight"] == 0.5

    auto = organize(RunRequest(folder, Settings(criterion="which trip were these photos taken on", ocr=False),
                               tmp_path / "q.corral"), model=LazyModel("fake", lambda: fake), embedder=embedder)
    check = auto.stats["text_check"]
    assert "reask" in fake.calls and check["pictures"] is True
    assert (check["text_weight"], check["label_factor"]) == (1.0, 1.0)
    # read as not carrying (0.22: the embedder sees only the place words), yet the weights stay
    assert not check["text_carries"] and check["ratio"] < relevance.LACKS_AT
    assert auto.stats["blocks"]["text"]["weight"] == 1.0
    assert relevance.explain(check).startswith("the pictures' text does not carry the criterion")
