"""Stage logic with a scripted model: batching, caching, K handling, malformed answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corral.engine import review
from corral.engine.pipeline import organize
from corral.engine.request import RunRequest
from corral.engine.stages.base import LazyModel, Settings, StageContext
from corral.engine.stages.labels import count_labels, display_name, label_key, normalize_label
from corral.engine.stages.merge import merge_labels
from corral.engine.stages.propose import parse_answer, parse_label_list
from corral.engine.store import Project
from tests.fakes import FakeLLM


def test_label_normalisation_folds_spellings() -> None:
    assert normalize_label('  "Receipts." ') == "Receipts"
    assert normalize_label("FoxSquirrelGroup") == "Fox Squirrel"
    assert normalize_label("EventAgenda") == "Event Agenda"
    assert normalize_label("animal group") == "animal" and normalize_label("Group") == "Group"
    assert normalize_label("iPhone") == "iPhone"
    assert normalize_label("Tech Files") == "Tech" and normalize_label("Alarm Organizer") == "Alarm"
    assert normalize_label("time-related-queries") == "time related queries"
    assert normalize_label("e-mail") == "e-mail" and normalize_label("Files") == "Files"
    assert display_name("stock price") == "Stock price" and display_name("iPhone apps") == "iPhone apps"
    assert label_key("Receipts") == label_key("receipt") == label_key("RECEIPTS!")
    counts = count_labels(["Receipts", "receipt", "Receipts", "Letters", "misc", "Other", ""])
    assert counts == {"Receipts": 3, "Letters": 1}


def test_parse_answer_takes_bare_words_or_a_list() -> None:
    assert parse_answer(" Refund Request\n") == "Refund Request"
    assert parse_answer('["Refund Request"]') == "Refund Request"  # a server that ignored the grammar
    assert parse_answer("") == "" and parse_answer("[oops") == ""


def test_parse_label_list_tolerates_a_cut_off_answer() -> None:
    assert parse_label_list('["a", "b"]') == ["a", "b"]
    assert parse_label_list('["alpha", "beta", "gam', expected=3) == ["alpha", "beta"]
    assert parse_label_list("not json at all") == []
    assert parse_label_list('{"a": 1}') == []
    assert parse_label_list('["x", "y", "z"]', expected=2) == ["x", "y"]


def _ctx(tmp_path: Path, fake: FakeLLM, k: int | None) -> StageContext:
    project = Project.open(tmp_path / "p.corral")
    return StageContext(project, LazyModel("fake", lambda: fake), Settings(criterion="kind", k=k))


def test_merge_respects_k_exactly_even_when_the_model_does_not(tmp_path: Path) -> None:
    counts = {"receipts": 5, "recipes": 4, "letters": 3, "bills": 2, "notes": 1}
    # The model answers with duplicates and a vague name: the result still has K distinct names.
    fake = FakeLLM(merge_answer=["Receipts", "receipt", "misc"])
    names = merge_labels(_ctx(tmp_path, fake, 3), counts, 15)
    assert len(names) == 3 and len({label_key(n) for n in names}) == 3
    assert names[0] == "Receipts" and "recipes" in names


def test_merge_with_malformed_output_falls_back(tmp_path: Path) -> None:
    fake = FakeLLM(merge_answer="I think the groups are: receipts and letters")
    ctx = _ctx(tmp_path, fake, 2)
    names = merge_labels(ctx, {"a x": 3, "b y": 2, "c z": 1}, 6)
    # Nothing usable in the answer: the K most frequent labels, after one model call.
    assert names == ["a x", "b y"]
    assert fake.calls == ["merge"] and ctx.stats["merge"]["calls"] == 1


def test_fewer_labels_than_k_needs_no_merge_call(tmp_path: Path) -> None:
    fake = FakeLLM()
    names = merge_labels(_ctx(tmp_path, fake, 4), {"a": 3, "b": 2}, 5)
    assert names == ["a", "b"] and "merge" not in fake.calls


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    texts = {
        "a.txt": "receipt from the hardware store, total 12.50",
        "b.txt": "receipt for groceries, total 40.00",
        "c.txt": "recipe for pancakes: flour, eggs, milk",
        "d.txt": "recipe for soup: lentils, onion",
        "e.md": "letter to grandma about the holidays",
        "f.md": "letter from the landlord about rent",
        "long.txt": "recipe for bread " + "knead the dough and wait. " * 80,
    }
    for name, text in texts.items():
        (folder / name).write_text(text)
    return folder


def test_organize_then_rerun_does_no_model_work(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    fake = FakeLLM(label_for=lambda t: t.split()[0] + "s")
    lazy = LazyModel("fake", lambda: fake)
    settings = Settings(criterion="kind", k=3, summaries=True)
    result = organize(RunRequest(folder, settings, tmp_path / "p.corral"), model=lazy)
    assert sorted(g.name for g in result.groups) == ["letters", "receipts", "recipes"]
    assert sum(g.size for g in result.groups) == 7
    assert fake.calls.count("answer") == 7 and fake.calls.count("summary") == 1
    assert fake.closed

    again = FakeLLM()
    lazy2 = LazyModel("fake", lambda: again)
    result2 = organize(RunRequest(folder, Settings(criterion="kind", k=3, summaries=True),
                                  tmp_path / "p.corral"), model=lazy2)
    assert again.calls == [] and not result2.model_loaded
    assert [(g.name, g.size) for g in result2.groups] == [(g.name, g.size) for g in result.groups]


def test_a_changed_criterion_redoes_only_what_it_affects(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    project_path = tmp_path / "p.corral"
    organize(RunRequest(folder, Settings(criterion="kind", k=3, summaries=True),
                        project_path),
             model=LazyModel("fake", lambda: FakeLLM(label_for=lambda t: t.split()[0])))
    fake = FakeLLM(label_for=lambda t: t.split()[0])
    organize(RunRequest(folder, Settings(criterion="topic", k=3, summaries=True),
                        project_path), model=LazyModel("fake", lambda: fake))
    # The summary of the long document depends on the criterion; short texts need no model.
    assert fake.calls.count("summary") == 1
    assert fake.calls.count("answer") == 7
    # A changed file is re-described, the others come from the cache.
    (folder / "a.txt").write_text("letter to a friend about a trip")
    fake2 = FakeLLM(label_for=lambda t: t.split()[0])
    result = organize(RunRequest(folder, Settings(criterion="topic", k=3, summaries=True),
                                 project_path), model=LazyModel("fake", lambda: fake2))
    assert result.scan.changed == ["a.txt"]
    assert fake2.calls.count("summary") == 0


def test_long_documents_are_described_by_their_beginning_by_default(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    fake = FakeLLM(label_for=lambda t: t.split()[0] + "s")
    project_path = tmp_path / "p.corral"
    organize(RunRequest(folder, Settings(criterion="kind", k=3), project_path),
             model=LazyModel("fake", lambda: fake))
    assert fake.calls.count("summary") == 0 and fake.calls.count("answer") == 7
    with Project.open(project_path, create=False) as project:
        run = project.runs.latest()
        long_desc = [m.description for m in review.members(project, run.id)
                     if m.description.startswith("recipe for bread")]
    assert long_desc and long_desc[0].endswith(" ...") and len(long_desc[0]) <= 805


def test_unsure_items_are_flagged(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    fake = FakeLLM(label_for=lambda t: t.split()[0], choose_for=lambda text, opts: 0)
    result = organize(RunRequest(folder, Settings(criterion="kind", k=3, unsure_below=0.5),
                                 tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake))
    flags = [(m.path, m.unsure) for g in result.groups for m in g.members]
    assert any(u for _, u in flags) and not all(u for _, u in flags)


def test_empty_criterion_and_empty_folder_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="criterion is empty"):
        organize(RunRequest(tmp_path / "empty", Settings(criterion="  "), tmp_path / "p.corral"),
                 model=LazyModel("fake", FakeLLM))
    with pytest.raises(ValueError, match="No documents"):
        organize(RunRequest(tmp_path / "empty", Settings(criterion="kind"), tmp_path / "p.corral"),
                 model=LazyModel("fake", FakeLLM))


def _keyword_embedder(axes: dict[str, int]):
    import numpy as np

    from corral.engine.stages.base import LazyEmbedder

    def embed(texts: list[str]) -> np.ndarray:
        out = np.full((len(texts), len(axes) + 1), 0.05)
        for row, text in enumerate(texts):
            hit = [axis for word, axis in axes.items() if word in text.lower()]
            out[row, hit[0] if hit else len(axes)] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    class Vectors:
        def embed(self, texts: list[str]) -> np.ndarray:
            return embed(texts)

        def close(self) -> None:
            pass

    return LazyEmbedder("vec", Vectors)


def test_hybrid_method_groups_by_embeddings_and_names_with_the_llm(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    fake = FakeLLM(label_for=lambda t: t.split()[0] + "s" if "recipe" not in t else "cooking")
    result = organize(RunRequest(folder, Settings(criterion="kind", k=3, steer="labels"), tmp_path / "p.corral"),
                      model=LazyModel("fake", lambda: fake),
                      embedder=_keyword_embedder({"receipt": 0, "recipe": 1, "letter": 2}))
    assert result.stats["method"] == "hybrid"
    groups = {g.name: sorted(m.path for m in g.members) for g in result.groups}
    assert len(groups) == 3 and sum(len(v) for v in groups.values()) == 7
    assert ["a.txt", "b.txt"] in groups.values() and ["e.md", "f.md"] in groups.values()
    assert fake.calls.count("name") == 3 and "assign" not in fake.calls


def _three_kinds(tmp_path: Path, per_kind: int = 6) -> Path:
    folder = tmp_path / "three"
    folder.mkdir()
    for i in range(per_kind):
        (folder / f"r{i}.txt").write_text(f"receipt number {i} from the store, total {i + 3}.50")
        (folder / f"c{i}.txt").write_text(f"recipe {i}: flour, eggs, milk, bake for {i + 10} minutes")
        (folder / f"l{i}.txt").write_text(f"letter {i} to a friend about the holidays")
    return folder


def _kinds_in(sample: list[str]) -> int:
    return len({word for text in sample for word in ("receipt", "recipe", "letter") if word in text})


@pytest.mark.parametrize("steer", ["labels", "values"])
def test_automatic_k_follows_the_label_concepts(tmp_path: Path, steer: str) -> None:
    """Without K, the labels (or the values the items chose) propose the granularity: three
    concepts, three groups."""
    def label_for(text: str) -> str:
        return {"receipt": "receipts", "recipe": "cooking"}.get(text.split()[0], "letters")

    fake = FakeLLM(label_for=label_for, coherent=lambda sample: _kinds_in(sample) == 1,
                   choose_for=lambda text, options: list(options).index(label_for(text)))
    result = organize(RunRequest(_three_kinds(tmp_path), Settings(criterion="kind", steer=steer),
                                 tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake),
                      embedder=_keyword_embedder({"receipt": 0, "recipe": 1, "letter": 2, "cooking": 1}))
    groups = [sorted(m.path[0] for m in g.members) for g in result.groups]
    assert sorted(map(set, map(frozenset, groups)), key=sorted) == [{"c"}, {"l"}, {"r"}]
    report = result.stats["auto_k"]
    assert report["k_labels"] == 3 and report["bad"] == 0 and report["k"] == 3


@pytest.mark.parametrize("steer", ["labels", "values"])
def test_automatic_k_splits_a_cluster_the_llm_judges_incoherent(tmp_path: Path, steer: str) -> None:
    """Labels too coarse (everything is 'paper', or one value only): the coherence check
    splits the mixed cluster, and the same-concept merge does not glue it back because the
    union is judged Bad."""
    fake = FakeLLM(label_for=lambda t: "paper", coherent=lambda sample: _kinds_in(sample) == 1)
    result = organize(RunRequest(_three_kinds(tmp_path), Settings(criterion="kind", steer=steer),
                                 tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake),
                      embedder=_keyword_embedder({"receipt": 0, "recipe": 1, "letter": 2}))
    report = result.stats["auto_k"]
    assert report["k_labels"] == 2  # one concept, but never fewer than two groups
    assert report["bad"] == 1 and report["split"] == 1 and report["k"] == 3
    from corral.engine.stages.autok import explain_k

    assert explain_k(report) == "3 groups chosen automatically: 1 label concepts gave 2, 1 split"
    assert explain_k({**report, "k_stable": 4}) == ("3 groups chosen automatically: 1 label concepts gave 2, "
                                                   "the steadiest cut near that 4, 1 split")
    assert explain_k({**report, "scattered": 3}) == ("3 groups chosen automatically: 1 label concepts gave 2 "
                                                     "(3 stray answers not counted), 1 split")
    groups = [{m.path[0] for m in g.members} for g in result.groups]
    assert all(len(g) == 1 for g in groups) and len(groups) == 3
    assert fake.calls.count("coherence") >= 2


def test_automatic_k_merges_same_concept_clusters_judged_coherent(tmp_path: Path) -> None:
    """k-means split one label concept in two; the judge finds the union coherent: merged."""
    import numpy as np

    from corral.engine.stages.autok import CoherenceJudge, auto_clusters, estimate_k, label_concepts

    assert estimate_k([0] * 50 + [1] * 50 + [2] * 1, min_share=0.05, k_max=10) == 2
    texts = [f"receipt {i}" for i in range(6)] + [f"recipe {i}" for i in range(6)]
    labels = ["receipts"] * 6 + ["cooking"] * 6
    embedder = _keyword_embedder({"receipt": 0, "recipe": 1, "cooking": 1})
    vectors = embedder.embed(texts)
    over_split = np.array([0, 0, 0, 1, 1, 1] + [2] * 6)  # what a poor k-means might return

    def fake_kmeans(v: np.ndarray, k: int) -> np.ndarray:
        return over_split.copy() if len(v) == len(texts) else (np.arange(len(v)) % 2)

    fake = FakeLLM(coherent=lambda sample: _kinds_in(sample) == 1)
    ctx = _ctx(tmp_path, fake, None)
    concepts = label_concepts(labels, embedder.embed, 0.35)
    assert len(set(concepts)) == 2
    found, report = auto_clusters(ctx, vectors, concepts, CoherenceJudge(ctx, vectors, texts), fake_kmeans)
    assert report["merged"] == 1 and report["k"] == 2
    assert len(set(found[:6].tolist())) == 1 and found[0] != found[6]


def test_automatic_k_keeps_apart_same_concept_clusters_whose_answers_differ(tmp_path: Path) -> None:
    """The embedding holds two answers as one concept ("cat" and "dog" are 0.34 apart in
    MiniLM); the partition kept their files apart. Given the answers, the clusters are not
    join candidates, whatever the judge says; clusters whose most given answer is the same
    still are. (Thirty bird photos besides, which this judge calls Bad, so that its verdict
    on the pair can beat handfuls of files drawn at random.)"""
    import numpy as np

    from corral.engine.stages.autok import CoherenceJudge, auto_clusters, label_concepts

    texts = [f"cat photo {i}" for i in range(6)] + [f"dog photo {i}" for i in range(6)]
    texts += [f"bird photo {i}" for i in range(30)]
    embedder = _keyword_embedder({"cat": 0, "dog": 0, "pet": 0, "bird": 1})  # cats and dogs: one concept
    vectors = _keyword_embedder({"cat": 0, "dog": 1, "bird": 2}).embed(texts)
    three = np.array([0] * 6 + [1] * 6 + [2] * 30)
    for answers, joined in ((["cat"] * 6 + ["dog"] * 6, 0), (["pet"] * 6 + ["pets"] * 6, 1)):
        answers = answers + ["bird"] * 30
        concepts = label_concepts(answers, embedder.embed, 0.35)
        assert len(set(concepts)) == 2
        fake = FakeLLM(coherent=lambda sample: not any("bird" in s for s in sample))
        ctx = _ctx(tmp_path / str(joined), fake, None)
        found, report = auto_clusters(ctx, vectors, concepts, CoherenceJudge(ctx, vectors, texts),
                                      lambda v, k: three.copy() if len(v) == len(texts) else np.arange(len(v)) % 2,
                                      answers)
        assert report["merged"] == joined and report["k"] == 3 - joined, report


def test_a_judge_that_cannot_tell_groups_from_random_files_moves_nothing(tmp_path: Path) -> None:
    """A judge that calls every handful Good, random ones too (the 1.5B model is nearly
    that: P(Good) 0.50-0.58 for one class, 0.47-0.53 at random), splits and joins nothing;
    the same cuts with a judge that tells them apart are split and joined."""
    import numpy as np

    from corral.engine.stages.autok import CoherenceJudge, coherence_steps

    texts = [f"{word} {i}" for word in ("receipt", "recipe", "letter") for i in range(20)]
    vectors = _keyword_embedder({"receipt": 0, "recipe": 1, "letter": 2}).embed(texts)
    kind = np.repeat(np.arange(3), 20)
    cut = np.where(kind == 2, 1, 0)  # receipts and recipes in one cluster: Bad
    cut[45:] = 2  # the letters in two clusters about the same concept
    concepts = [0] * 40 + [1] * 20

    def halves(v: np.ndarray, k: int) -> np.ndarray:
        return (np.argmax(v, axis=1) == np.argmax(v[0])).astype(int)

    judges = [(lambda sample: _kinds_in(sample) == 1, True),  # tells one kind from a mix
              (lambda sample: True, False),  # everything is one group
              (lambda sample: _kinds_in(sample) < 3, False)]  # any two kinds are one group
    for n, (coherent, moved) in enumerate(judges):
        fake = FakeLLM(coherent=coherent)
        ctx = _ctx(tmp_path / str(n), fake, None)
        judge = CoherenceJudge(ctx, vectors, texts)
        labels, bad, split, merged = coherence_steps(ctx, vectors, cut, concepts, judge, halves)
        assert bad == (1 if moved else 0)
        assert (split, merged) == ((1, 1) if moved else (0, 0)), (n, split, merged)
        assert judge.chance_level == (0.1 if moved else 0.9)
        same = np.equal.outer(labels, labels)
        assert (same == np.equal.outer(kind if moved else cut, kind if moved else cut)).all()


def test_automatic_k_counts_the_concepts_above_the_tail_of_own_word_answers() -> None:
    """Five projects, each named by most of its files alike, and a tail of answers in the
    files' own words: the fixed 1% share counted the tail too; the noise floor does not."""
    from corral.engine.stages.autok import estimate_k, noise_floor

    def concepts(sizes: list[int]) -> list[int]:
        return [c for c, size in enumerate(sizes) for _ in range(size)]

    projects = [10, 8, 7, 5, 4, 2, 2, 2, 2] + [1] * 18  # household_docs by project, prompt q2
    assert estimate_k(concepts(projects), min_share=0.01, k_max=100) == 5
    assert noise_floor([5, 5, 5]) == 0 and estimate_k(concepts([5, 5, 5]), 0.01, 100) == 3
    # One big group does not hide the smaller ones: a concept with 5% of the files counts.
    assert estimate_k(concepts([100, 30, 10, 10, 1, 1, 1]), 0.01, 100) == 4
    assert estimate_k(concepts([30, 10]), 0.01, 100) == 2


def _blobs(groups: int, per_group: int, dims: int = 12, seed: int = 0, spread: float = 4.0):
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dims)) * spread
    rows = np.vstack([c + rng.normal(size=(per_group, dims)) for c in centres])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("around", [3, 7])
def test_the_steadiest_cut_near_the_labels_estimate_finds_the_groups(around: int) -> None:
    """Four groups; the labels said 3 or 7. Between half and twice that, the cut that
    comes out the same from every resample is the one into the four groups. The groups
    touch (``spread``): four groups with no neighbour between them are cut by k-means below
    four, as ``partition`` cuts them, and joining the nearest two is steady too, so there
    the labels' 3 stands (the next test)."""
    from corral.engine.stages.autok import stable_k

    k, stability = stable_k(_blobs(4, 100, spread=1.3), around, k_max=100)
    assert k == 4
    assert min(stability) == max(2, -(-around // 2)) and max(stability) == 2 * around
    assert stability[4] > 0.95 and all(stability[j] < stability[4] for j in stability if j != 4)


@pytest.mark.parametrize(("dims", "seed"), [(5, 0), (8, 1)])
def test_the_resamples_do_not_raise_k_where_the_steadiness_only_grows_with_k(dims: int, seed: int) -> None:
    """Points with no groups at all, the labels said 8. The cuts into more, smaller groups
    come out a little steadier the more there are (the measure's bias on a few hundred
    rows, seen on real requests too), and the window's top, 16 or 15, won before. Above the
    labels' count only a peak (steadier than the next K above it) may be taken."""
    import numpy as np

    from corral.engine.stages.autok import stable_k

    rows = np.random.default_rng(seed).normal(size=(300, dims))
    k, stability = stable_k(rows / np.linalg.norm(rows, axis=1, keepdims=True), 8, k_max=100)
    assert max(stability) == 16 and stability[16] >= stability[8]  # the bias this guards against
    assert k <= 8


def test_groups_without_neighbours_between_them_are_joined_steadily_where_the_labels_say() -> None:
    """Six groups with no neighbour between them (trips: every photo's neighbours on its own
    trip), two to a year; the labels said 3 (the years). Below six pieces the cuts are
    k-means', as ``partition`` cuts such a graph: they join each year's two trips the same
    way every time, so the labels' 3 stands; a spectral cut would join pieces at random,
    look unsteady, and lose to the six trips."""
    import numpy as np

    from corral.engine.stages.autok import stable_k

    rng = np.random.default_rng(5)
    trip = np.repeat(np.arange(6), 60)
    rows = np.hstack([np.eye(6)[trip] * 1.5, np.eye(3)[trip // 2], rng.normal(scale=0.05, size=(360, 6))])
    k, stability = stable_k(rows / np.linalg.norm(rows, axis=1, keepdims=True), 3, k_max=100)
    assert k == 3 and stability[3] > 0.95


def test_the_steadiest_cut_needs_rows_and_stays_within_k_max() -> None:
    from corral.engine.stages.autok import stable_k

    assert stable_k(_blobs(3, 6), 3, k_max=100) == (3, {})  # 18 rows: too few to resample
    k, stability = stable_k(_blobs(4, 100, spread=1.3), 6, k_max=5)
    assert max(stability) == 5 and k == 4
    # Past STABILITY_ROWS a fixed sample of the rows is cut, not all of them. (Groups that
    # do not touch: with two touching, the sample's graph has 4 pieces, and 4 is as steady
    # as 5, k-means joining the touching two every time.)
    k, _ = stable_k(_blobs(5, 300, spread=6.0), 8, k_max=100)
    assert k == 5


@pytest.mark.parametrize("concept_count", [7, 4])
def test_the_coherence_checks_run_only_where_the_labels_count_stood(tmp_path: Path, concept_count: int) -> None:
    """Four groups. Labels naming 7 concepts are overruled by the resamples (4), and the
    checks are not asked; labels naming 4 stand, and every cluster is checked."""
    from corral.engine.stages.autok import CoherenceJudge, auto_clusters
    from corral.engine.stages.cluster import partition

    vectors = _blobs(4, 100)
    texts = [f"file {i}" for i in range(len(vectors))]
    concepts = [i % concept_count for i in range(len(vectors))] if concept_count != 4 else [i // 100 for i in range(400)]
    fake = FakeLLM(coherent=lambda sample: True)
    ctx = _ctx(tmp_path, fake, None)
    found, report = auto_clusters(ctx, vectors, concepts, CoherenceJudge(ctx, vectors, texts), partition)
    assert report["k_labels"] == concept_count and report["k_stable"] == 4 and report["k"] == 4
    assert len(set(found.tolist())) == 4
    checked = fake.calls.count("coherence")
    assert (checked == 0 and report["checks"] == 0) if concept_count == 7 else checked >= 4


def test_an_answer_whose_files_are_scattered_in_the_text_does_not_count_as_a_group(tmp_path: Path) -> None:
    """Four text groups of 90, each with its own answer, and a fifth answer given by 10 files
    of every group ("Health" among areas of life): the fifth is noise in the answers, not a
    value, where the text carries the criterion. Without the text, it counts."""
    import numpy as np

    from corral.engine.stages.autok import (
        CoherenceJudge,
        auto_clusters,
        estimate_k,
        scattered_concepts,
    )
    from corral.engine.stages.cluster import partition

    vectors = _blobs(4, 100)
    group = np.repeat(np.arange(4), 100)
    concepts = [4 if i % 100 >= 90 else int(group[i]) for i in range(400)]
    assert scattered_concepts(vectors, concepts, min_size=5) == {4}
    assert estimate_k(concepts, 0.01, 100) == 5
    assert estimate_k(concepts, 0.01, 100, scattered_concepts(vectors, concepts, 5)) == 4
    # the same answer given by 40 files of one group is a value, however small
    one = [4 if i < 40 else int(group[i]) for i in range(400)]
    assert scattered_concepts(vectors, one, min_size=5) == frozenset()

    fake = FakeLLM(coherent=lambda sample: True)
    ctx = _ctx(tmp_path, fake, None)
    texts = [f"file {i}" for i in range(400)]
    _, with_text = auto_clusters(ctx, vectors, concepts, CoherenceJudge(ctx, vectors, texts), partition, text=vectors)
    _, without = auto_clusters(ctx, vectors, concepts, CoherenceJudge(ctx, vectors, texts), partition)
    assert (with_text["k_labels"], with_text["scattered"]) == (4, 1)
    assert (without["k_labels"], without["scattered"]) == (5, 0)


def test_one_search_of_the_text_serves_every_reader_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The text's nearest neighbours, searched once (``text_neighbours``), give the agreement
    and the stray answers that each reader's own search gives; with them no search is made."""
    import numpy as np

    from corral.engine.stages import cluster
    from corral.engine.stages.autok import scattered_concepts

    vectors = _blobs(4, 100)
    group = np.repeat(np.arange(4), 100)
    concepts = [4 if i % 100 >= 90 else int(group[i]) for i in range(400)]
    noisy = [int(c) for c in np.random.default_rng(0).integers(0, 4, 400)]
    own = [cluster.criterion_agreement(vectors, c) for c in (concepts, noisy)], scattered_concepts(vectors, concepts, 5)
    near = cluster.text_neighbours(vectors)

    def no_search(*_: object) -> None:
        raise AssertionError("searched again")

    monkeypatch.setattr(cluster, "nearest_neighbours", no_search)
    shared = ([cluster.criterion_agreement(vectors, c, nearest=near) for c in (concepts, noisy)],
              scattered_concepts(vectors, concepts, 5, near))
    assert shared == own and own[1] == {4} and own[0][0] > 0.5 > own[0][1]


def test_qr_cut_is_scikit_learns_cluster_qr() -> None:
    import numpy as np
    from sklearn.cluster._spectral import cluster_qr

    from corral.engine.stages.autok import qr_cut

    maps = np.random.default_rng(1).normal(size=(50, 4))
    assert (qr_cut(maps) == cluster_qr(maps)).all()


def test_coarse_labels_weigh_less_than_fine_ones() -> None:
    from corral.engine.stages.cluster import label_block_weight

    assert label_block_weight(0.5, 40, 18) == 0.5  # more label concepts than groups
    assert label_block_weight(0.5, 33, 77) == pytest.approx(0.5 * 33 / 77)
    assert label_block_weight(0.5, 3, None) == 0.5  # automatic K comes from the labels


def test_clusters_the_model_named_alike_are_merged() -> None:
    import numpy as np

    from corral.engine.stages.cluster import merge_same_names

    labels = np.array([0, 0, 1, 1, 2, 3, 3])
    merged, kept = merge_same_names(labels, ["Emails", "Alarms", "emails", "Weather"])
    assert kept == [0, 1, 3]  # cluster 2 ("emails") joins cluster 0 ("Emails")
    assert merged.tolist() == [0, 0, 1, 1, 0, 2, 2]
    _, kept = merge_same_names(labels, ["Emails", "Alarms", "emails", "Weather"], lambda m: False)
    assert kept == [0, 1, 2, 3]  # the judge says the pair is not one group: kept apart


def test_files_added_to_a_folder_cost_one_label_each(tmp_path: Path) -> None:
    """Issue 13: an item's label is cached under the criterion and its own text, whatever
    the other files are, so a re-grouping with four new files asks about those four only."""
    folder = tmp_path / "grows"
    folder.mkdir()
    kinds = ["receipt", "recipe", "letter"]
    for i in range(30):
        (folder / f"f{i:02d}.txt").write_text(f"{kinds[i % 3]} number {i} with a few more words")
    settings = Settings(criterion="kind", k=3, steer="labels")
    first = FakeLLM(label_for=lambda t: t.split()[0])
    organize(RunRequest(folder, settings, tmp_path / "p.corral"), model=LazyModel("fake", lambda: first))
    assert first.calls.count("answer") == 30
    for i in range(30, 34):
        (folder / f"f{i:02d}.txt").write_text(f"{kinds[i % 3]} number {i} added later")
    again = FakeLLM(label_for=lambda t: t.split()[0])
    result = organize(RunRequest(folder, settings, tmp_path / "p.corral", regroup=True),
                      model=LazyModel("fake", lambda: again))
    assert again.calls.count("answer") == 4  # the four new files, not every shifted batch
    assert result.stats["propose"]["calls"] == 4 and result.stats["propose"]["cached"] == 30
    assert sorted(g.size for g in result.groups) == [11, 11, 12]


def test_nearest_neighbours_by_blocks_of_rows_match_the_whole_matrix(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: no N x N similarity matrix; rows are taken a block at a time, across blocks."""
    from corral.engine.stages import cluster

    rng = np.random.default_rng(0)
    v = rng.normal(size=(250, 8))
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    whole = np.sort(np.argpartition(-sims, 6, axis=1)[:, :7], axis=1)
    monkeypatch.setattr(cluster, "NEIGHBOUR_ROWS", 64)  # four blocks, the last one short
    assert (np.sort(cluster.nearest_neighbours(unit, 7), axis=1) == whole).all()


def test_large_sets_take_the_lobpcg_eigensolver_and_find_the_same_groups(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sklearn.metrics import adjusted_rand_score

    from corral.engine.stages import cluster

    rng = np.random.default_rng(1)
    truth = np.repeat(np.arange(4), 75)
    centres = rng.normal(size=(4, 24))
    vectors = cluster.unit_rows(centres[truth] + 0.3 * rng.normal(size=(300, 24)))
    import sklearn.cluster

    solvers = []
    real = sklearn.cluster.SpectralClustering

    def spy(**kw):  # type: ignore[no-untyped-def]
        solvers.append(kw.get("eigen_solver"))
        return real(**kw)

    monkeypatch.setattr(sklearn.cluster, "SpectralClustering", spy)
    small = cluster.partition(vectors, 4)
    monkeypatch.setattr(cluster, "SPECTRAL_LOBPCG_ABOVE", 100)
    large = cluster.partition(vectors, 4)
    assert solvers == [None, "lobpcg"]  # ARPACK (sklearn's default), then LOBPCG above the size
    assert adjusted_rand_score(truth, small) == 1.0 and adjusted_rand_score(truth, large) == 1.0


def test_a_graph_in_more_pieces_than_groups_is_cut_by_the_whole_geometry() -> None:
    """Six tight cliques (trips: each photo's neighbours all on its own trip), two to a
    group (a year: the trips' answers agree): the neighbour graph has six pieces and no edge
    between them, so a spectral cut into three would pair them at random. Each pair's shared
    direction decides instead."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from corral.engine.stages import cluster

    rng = np.random.default_rng(3)
    trip = np.repeat(np.arange(6), 20)
    year = trip // 2
    rows = np.hstack([np.eye(6)[trip] * 1.5, np.eye(3)[year], rng.normal(scale=0.02, size=(120, 6))])
    vectors = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    for seed in range(3):
        assert adjusted_rand_score(year, cluster.partition(vectors, 3, seed)) == 1.0
    assert adjusted_rand_score(trip, cluster.partition(vectors, 6)) == 1.0  # one piece a group: spectral


def test_the_graph_reaches_across_the_answers_of_a_big_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """Six groups of 60 files, each group two answers of 30 files (requests by area: "Cooking"
    and "Food"), the text only loosely grouped: the files of one answer are each other's
    nearest neighbours, so a graph of 15 neighbours cuts some groups along their answers and
    joins others. Half a group's size of neighbours (``spectral_neighbours``: 30) reaches
    across them."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from corral.engine.stages import cluster

    def folder(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        group = np.repeat(np.arange(6), 60)
        answer = group * 2 + np.arange(360) % 2
        text = cluster.unit_rows(rng.normal(size=(6, 48))[group] + 2.0 * rng.normal(size=(360, 48)))
        labels = cluster.unit_rows(rng.normal(size=(12, 48)))[answer]
        return group, cluster.combine({"text": (text, 1.0), "label": (labels, 0.5)})

    assert cluster.spectral_neighbours(360, 6) == 30
    assert cluster.spectral_neighbours(770, 77) == cluster.SPECTRAL_NEIGHBOURS  # small groups: the floor
    assert cluster.spectral_neighbours(10_000, 5) == cluster.SPECTRAL_NEIGHBOURS_MAX
    folders = [folder(seed) for seed in range(4)]
    wide = [adjusted_rand_score(group, cluster.partition(vectors, 6)) for group, vectors in folders]
    monkeypatch.setattr(cluster, "SPECTRAL_NEIGHBOURS_MAX", cluster.SPECTRAL_NEIGHBOURS)  # the graph before
    narrow = [adjusted_rand_score(group, cluster.partition(vectors, 6)) for group, vectors in folders]
    assert min(wide) > 0.95, wide
    assert min(narrow) < 0.8, narrow


def test_each_file_answers_on_its_own_and_given_labels_are_offered(tmp_path: Path) -> None:
    """The propose stage asks each file alone (no other file's label in its prompt), caches
    the answer on the criterion and the file's text, and names labels given up front."""
    from dataclasses import replace

    from corral.engine.stages.propose import propose_labels

    prompts_seen: list[str] = []
    fake = FakeLLM(label_for=lambda t: t.split()[0])
    inner = fake.generate
    fake.generate = lambda messages, **kw: prompts_seen.append(messages[-1]["content"]) or inner(messages, **kw)  # type: ignore[method-assign]
    ctx = _ctx(tmp_path, fake, 2)
    rows = [(1, "h1", "invoice total 4 euro"), (2, "h2", "letter dear Anna"), (3, "h3", "invoice total 9 euro")]
    assert propose_labels(ctx, rows) == {1: "invoice", 2: "letter", 3: "invoice"}
    assert all("invoice" not in p for p in prompts_seen if "letter dear" in p)  # no carried labels
    assert ctx.stats["propose"] == {"calls": 3, "cached": 0, "distinct": 2}
    propose_labels(ctx, rows[::-1])  # another order: every answer from the cache
    assert ctx.stats["propose"]["calls"] == 0 and len(prompts_seen) == 3
    given = StageContext(ctx.project, ctx.model, replace(ctx.settings, seed_labels=["Receipts"]))
    propose_labels(given, rows[:1])  # labels given up front: another question, asked anew
    assert given.stats["propose"]["calls"] == 1 and '"Receipts"' in prompts_seen[-1]


def test_an_answer_too_broad_for_k_groups_is_asked_again_more_specifically(tmp_path: Path) -> None:
    """With K given, an answer many more files gave than a group's share ("Banking" for
    what a bank's customers want) is asked again of those files, and a specific answer
    replaces it; answers of a group's size are left alone."""
    from corral.engine.stages.propose import propose_labels

    fake = FakeLLM(label_for=lambda t: "Banking" if "bank" in t else t.split()[0])
    inner = fake.generate

    def generate(messages, **kw):  # type: ignore[no-untyped-def]
        prompt = messages[-1]["content"]
        if "too broad" in prompt:
            fake.calls.append("again")
            return '["' + prompt.split("File:\n", 1)[1].split()[1] + '"]'  # the specific word
        return inner(messages, **kw)

    fake.generate = generate  # type: ignore[method-assign]
    ctx = _ctx(tmp_path, fake, 3)
    kinds = ["card", "loan", "transfer"]
    rows = [(i, f"h{i}", f"bank {kinds[i % 3]} question {i}") for i in range(9)]
    rows += [(9 + i, f"g{i}", f"{w} other words") for i, w in enumerate(["letter", "letter", "memo"])]
    raw = propose_labels(ctx, rows)
    assert fake.calls.count("again") == 9 and ctx.stats["propose"]["too_broad"] == {"answers": ["banking"], "files": 9}
    assert [raw[i] for i in range(9)] == [kinds[i % 3] for i in range(9)] and raw[9] == "letter"
    assert ctx.stats["propose"]["calls"] == 20  # 11 texts (two letters alike) and 9 again
    propose_labels(ctx, rows)  # all from the cache, the second question too
    assert ctx.stats["propose"]["calls"] == 0 and fake.calls.count("again") == 9


def test_a_model_that_answers_several_at_once_gets_the_files_in_groups(tmp_path: Path) -> None:
    """The runtime decodes several answers together (``generate_many``): the propose stage
    hands it the uncached files ``parallel`` at a time, and the labels, the cache and the
    progress are what one call per file gives."""
    from corral.engine.stages.propose import answer_key, propose_labels
    from tests.fakes import FakeBatchLLM

    rows = [(i, f"h{i}", f"{['receipt', 'recipe', 'letter'][i % 3]} number {i}") for i in range(11)]
    single = FakeLLM(label_for=lambda t: t.split()[0])
    alone = propose_labels(_ctx(tmp_path / "a", single, 3), rows)
    batch = FakeBatchLLM(parallel=4, label_for=lambda t: t.split()[0])
    ctx = _ctx(tmp_path / "b", batch, 3)
    ctx.project.cache_put(answer_key(ctx, rows[5][2]), "answer", {"answer": "letter"})  # asked before
    seen: list[int] = []
    ctx.progress = lambda event: seen.append(event.done) if event.stage == "propose" else None
    together = propose_labels(ctx, rows)
    assert together == alone and batch.batches == [4, 4, 2] and batch.calls.count("answer") == 10
    assert ctx.stats["propose"]["calls"] == 10 and ctx.stats["propose"]["cached"] == 1
    assert seen and seen[-1] == 11
    assert ctx.stats["call_fit"]["answer"][0] == 4 * 4 + 4 * 4 + 2 * 2  # each group timed, for the estimate
    assert propose_labels(ctx, rows) == alone and batch.batches == [4, 4, 2]  # all cached now


def test_the_answers_hidden_states_are_cached_and_steer_the_grouping(tmp_path: Path) -> None:
    """A model that gives its hidden state with each answer (the in-process runtime): the
    states are cached with the answers and group the files where neither the text's embedding
    (the same for every file here) nor the labels (one for all) can."""
    from tests.fakes import FakeStateLLM

    axes = {"receipt": 0, "recipe": 1, "letter": 2}
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 2, 24))

    def state_for(text: str) -> np.ndarray:
        kind = next(axis for word, axis in axes.items() if word in text)
        return centres[kind] + 0.1 * rng.normal(size=(2, 24))

    folder = _three_kinds(tmp_path)
    settings = Settings(criterion="kind", k=3, state_weight=0.5)
    fake = FakeStateLLM(label_for=lambda t: "document", state_for=state_for)
    result = organize(RunRequest(folder, settings, tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake),
                      embedder=_keyword_embedder({}))
    groups = sorted(sorted({m.path[0] for m in g.members}) for g in result.groups)
    assert groups == [["c"], ["l"], ["r"]]
    assert result.stats["blocks"]["state_start"]["weight"] == 0.5
    assert "state_end" not in result.stats["blocks"]  # the answer's state: off by default

    # Again with a model that gives no states: nothing asked, the cached states group alike.
    again = FakeLLM()
    result2 = organize(RunRequest(folder, settings, tmp_path / "p.corral"), model=LazyModel("fake", lambda: again),
                       embedder=_keyword_embedder({}))
    assert again.calls == [] and not result2.model_loaded
    assert sorted(sorted({m.path[0] for m in g.members}) for g in result2.groups) == groups

    # A model without states (a server): no state block, and the files cannot be told apart.
    plain = FakeLLM(label_for=lambda t: "document")
    result3 = organize(RunRequest(folder, settings, tmp_path / "q.corral"), model=LazyModel("fake", lambda: plain),
                       embedder=_keyword_embedder({}))
    assert "state_start" not in result3.stats["blocks"]
    # By default the states are not asked for, not even of a model that can give them.
    default = FakeStateLLM(label_for=lambda t: "document", state_for=state_for)
    result4 = organize(RunRequest(folder, Settings(criterion="kind", k=3), tmp_path / "r.corral"),
                       model=LazyModel("fake", lambda: default), embedder=_keyword_embedder({}))
    assert "state_start" not in result4.stats["blocks"] and default.calls.count("answer") == 36
    for name, with_state in [("p.corral", True), ("q.corral", False), ("r.corral", False)]:
        with Project.open(tmp_path / name) as project:
            values = [value for _, value in project.iter_cache("answer")]
            # 18 answers, and 18 more: "document" is too broad, so every file was asked again
            assert len(values) == 36 and all(("state" in v) == with_state for v in values)


class _VagueNamer(FakeLLM):
    """Names every group "Documents", as the 1.5B model named receipts and letters once."""

    def generate(self, messages, **kwargs) -> str:  # type: ignore[no-untyped-def]
        if "Name this group" in messages[-1]["content"]:
            self.calls.append("name")
            return '["Documents"]'
        return super().generate(messages, **kwargs)


def test_a_vague_name_gives_way_to_the_groups_most_given_clear_answer(tmp_path: Path) -> None:
    from corral.engine.stages.cluster import Clustering, name_clusters

    labels = np.array([0, 0, 0, 1, 1, 1])
    vectors = np.eye(6)
    clustering = Clustering(labels, np.array([vectors[:3].mean(0), vectors[3:].mean(0)]), vectors)
    raw = ["Documents", "Invoice", "Invoice", "Letter", "misc", "Letter"]
    fake = _VagueNamer()
    shown, given = name_clusters(_ctx(tmp_path, fake, 2), clustering, raw, [f"file {n}" for n in range(6)])
    assert fake.calls == ["name", "name"]
    # the names shown and those that tell automatic K two groups are one: neither is "Documents"
    assert shown == given == ["Invoice", "Letter"]
    # no clear answer half the files gave (receipts answered four ways, two letters): the name
    # stays, rather than call the receipts "Letter"
    mixed = ["Invoice", "Letter", "Letter", "Order", "Receipt", "Work order"]
    shown, _ = name_clusters(_ctx(tmp_path, _VagueNamer(), 1), Clustering(np.zeros(6, dtype=int), vectors[:1], vectors),
                             mixed, [f"file {n}" for n in range(6)])
    assert shown == ["Documents"]
