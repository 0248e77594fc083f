"""The faster mode (stages/sampled.py): the model reads a sample, the embeddings place the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from corral.engine.pipeline import organize
from corral.engine.request import RunRequest
from corral.engine.stages.base import LazyModel, Settings
from corral.engine.stages.sampled import TRUSTED, neighbour_votes, representative_sample
from tests.fakes import FakeLLM
from tests.test_taxonomy import _two_way_folder, _word_embedder

KINDS = ["invoice", "letter", "recipe"]


def _folder(tmp_path: Path, n: int, mixed: int = 0) -> Path:
    """``n`` files of three kinds; the last ``mixed`` ones name two kinds at once."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(n):
        kind = KINDS[i % 3]
        extra = f" {KINDS[(i + 1) % 3]}" if i >= n - mixed else ""
        (folder / f"f{i:03d}.txt").write_text(f"{kind}{extra} number {i} and some words\n")
    return folder


def test_the_model_reads_the_sample_and_the_neighbours_place_the_rest(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 60, mixed=6)
    fake = FakeLLM(label_for=lambda t: t.split()[0])
    result = organize(RunRequest(folder, Settings(criterion="kind", k=3, llm_sample=15), tmp_path / "p.corral"),
                      model=LazyModel("fake", lambda: fake), embedder=_word_embedder(KINDS))
    stats = result.stats["sampled"]
    # trusted (0.7 here: the sample of 15 holds 3 recipes, 5 invoices, 7 letters)
    assert stats["sample"] == 15 and stats["agreement_on_sample"] >= TRUSTED and stats["placed_by_neighbours"] == 45
    assert fake.calls.count("answer") == 15 and "assign" not in fake.calls  # labels for the sample only
    groups = {g.name.lower(): {m.path for m in g.members} for g in result.groups}
    assert sorted(groups) == sorted(KINDS)
    for name, paths in groups.items():  # every file of one kind is in its group
        assert all((folder / p).read_text().split()[0] == name for p in paths if int(p[1:4]) < 54)
    assert sum(len(paths) for paths in groups.values()) == 60
    assert result.stats["estimate"]["calls"] == {"propose": 15, "reask": 15}  # the check on the sample
    assert fake.calls.count("reask") == 15


def test_where_the_neighbours_do_not_follow_the_groups_the_model_reads_every_file(tmp_path: Path) -> None:
    """The text carries the project, the labels the kind and the label block outweighs the
    text: the sample's groups are kinds, its text neighbours are projects, so the neighbours
    cannot place the rest and every file is read."""
    folder = _two_way_folder(tmp_path)
    fake = FakeLLM(label_for=lambda t: t.split()[0])
    settings = Settings(criterion="kind", k=3, llm_sample=12, label_weight=2.0)
    embedder = _word_embedder(["garden", "wedding"])
    embedded: list[str] = []
    inner = embedder.embed
    embedder.embed = lambda texts: embedded.extend(texts) or inner(texts)  # type: ignore[method-assign]
    result = organize(RunRequest(folder, settings, tmp_path / "p.corral"),
                      model=LazyModel("fake", lambda: fake), embedder=embedder)
    assert result.stats["sampled"]["read_all"] and result.stats["sampled"]["agreement_on_sample"] < 0.5
    assert result.stats["propose"]["calls"] == 12  # the sample's labels came from the cache
    assert fake.calls.count("answer") == 24
    descriptions = [t for t in embedded if " number " in t]
    assert len(descriptions) == 24 == len(set(descriptions))  # each file embedded once


def test_a_folder_no_bigger_than_the_sample_is_read_whole(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 12)
    fake = FakeLLM(label_for=lambda t: t.split()[0])
    result = organize(RunRequest(folder, Settings(criterion="kind", k=3, llm_sample=20), tmp_path / "p.corral"),
                      model=LazyModel("fake", lambda: fake), embedder=_word_embedder(KINDS))
    assert "sampled" not in result.stats and fake.calls.count("answer") == 12


def test_the_sample_covers_every_dense_region_and_votes_follow_neighbours() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(4)
    rows = np.repeat(np.arange(4), [100, 50, 30, 20])
    unit = centres[rows] + 0.05 * rng.normal(size=(200, 4))
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    sample = representative_sample(unit, 20)
    assert len(sample) == 20 and set(rows[sample]) == {0, 1, 2, 3}  # the small regions too
    assert np.bincount(rows[sample]).max() > 5  # in proportion: the big region gets more
    groups = rows[sample]
    best, share = neighbour_votes(unit, sample, groups, 4, np.arange(200))
    assert (best == rows).all() and (share > 0.7).all()
    own, _ = neighbour_votes(unit, sample, groups, 4, np.array(sample), leave_out=True)
    assert (own == groups).all()


def test_the_sample_has_the_size_asked_for_even_where_clusters_come_out_empty() -> None:
    rng = np.random.default_rng(1)
    unit = np.repeat(np.eye(3), [40, 5, 1], axis=0) + 1e-9 * rng.normal(size=(46, 3))  # 3 places
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    sample = representative_sample(unit, 8)
    assert len(sample) == len(set(sample)) == 8
    assert {int(np.argmax(unit[i])) for i in sample} == {0, 1, 2}  # the lone row is sampled too


def test_pictures_are_placed_by_their_features_and_moments_at_the_samples_weights(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from corral.engine.stages import sampled
    from corral.engine.stages.base import StageContext
    from corral.engine.store import Project

    text = np.array([[1.0, 0.0]] * 4)  # the descriptions say nothing apart
    vis = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])  # the pictures do
    # taken in two bursts a month apart; the second burst has no sampled picture
    times = np.array([[1, 0.0, 0, 0, 0], [1, 1.0, 0, 0, 0], [1, 2.0, 0, 0, 0], [1, 900.0, 0, 0, 0]])
    monkeypatch.setattr(sampled, "when_where", lambda project, settings, hashes: times)
    with Project.open(tmp_path / "p.corral") as project:
        ctx = StageContext(project, LazyModel("m", lambda: FakeLLM()), Settings(criterion="object", k=2))
        ctx.stats["blocks"] = {"text": {"weight": 1.0}, "label": {"weight": 0.5}, "visual": {"weight": 2.0},
                               "moments": {"weight": 0.5, "gap_hours": 24}}
        unit = sampled.placing_vectors(ctx, ["a", "b", "c", "d"], text, vis, [0, 1], ["a", "b", "c", "d"], [False] * 4)
        assert unit.shape == (4, 2 + 2 + 1)  # text, pictures, and one moment column: the sampled one
        assert np.allclose(np.linalg.norm(unit, axis=1), 1.0)
        assert unit[2] @ unit[0] > unit[2] @ unit[1] > 0  # the same picture features count most
        assert unit[3, 4] == 0 and unit[0, 4] > 0 and unit[1, 4] > 0  # no sampled picture in its moment
        ctx.stats["blocks"] = {"text": {"weight": 1.0}, "visual": {"weight": 0.0}}  # gated off on the sample
        assert np.allclose(sampled.placing_vectors(ctx, ["a", "b", "c", "d"], text, vis, [0, 1], ["a", "b", "c", "d"], [False] * 4), text)
