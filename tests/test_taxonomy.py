"""Criterion-first steering (engine/stages/taxonomy.py): values, choices, arbitration.

Synthetic vectors and a scripted model pin the logic; the real-model figures are
`corral bench resources/bench/household_docs.jsonl` (docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from corral.engine.bench import metrics
from corral.engine.pipeline import organize
from corral.engine.request import RunRequest
from corral.engine.stages.base import LazyModel, Settings
from corral.engine.stages.cluster import combine, criterion_agreement, partition
from corral.engine.stages.taxonomy import TEXT_FLOOR, block_weights, sample_size

from .fakes import FakeLLM

RNG = np.random.default_rng(3)
KIND = [i % 4 for i in range(120)]
PROJECT = [(i // 4) % 5 for i in range(120)]


def _clustered(assign: list[int], dim: int = 16, noise: float = 0.15) -> np.ndarray:
    centres = RNG.normal(size=(max(assign) + 1, dim))
    out = centres[assign] + noise * RNG.normal(size=(len(assign), dim))
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_text_leads_where_it_agrees_with_the_choices_and_the_choices_where_not() -> None:
    assert block_weights(0.0) == (TEXT_FLOOR, 1.0 - TEXT_FLOOR / 2)
    assert block_weights(0.9) == (1.0, 0.5)
    text, choice = block_weights(0.3)
    assert 0.5 < text < 1.0 and 0.5 < choice < 0.75


def _weighted(text: np.ndarray, choice: list[int], k: int) -> np.ndarray:
    agreement = criterion_agreement(text, choice)
    w_text, w_choice = block_weights(agreement)
    return partition(combine({"text": (text, w_text), "choice": (np.eye(max(choice) + 1)[choice], w_choice)}), k)


def test_the_same_items_grouped_by_an_aspect_the_text_lacks_and_by_one_it_carries() -> None:
    text = _clustered(PROJECT)
    # "kind": the text does not carry it; the choices are right but for one item in ten.
    kind_choice = [k if i % 10 else (k + 1) % 4 for i, k in enumerate(KIND)]
    assert criterion_agreement(text, kind_choice) < 0.1
    assert metrics([str(v) for v in KIND], _weighted(text, kind_choice, 4))["acc"] >= 0.9
    # "project": the text carries it; a third of the choices are wrong.
    noisy = [p if i % 3 else (p + 1) % 5 for i, p in enumerate(PROJECT)]
    assert criterion_agreement(text, noisy) > 0.3
    assert metrics([str(v) for v in PROJECT], _weighted(text, noisy, 5))["acc"] > 0.95
    # with both at full weight the noisy choices would cost accuracy
    both = combine({"text": (text, 1.0), "choice": (np.eye(5)[noisy], 1.0)})
    assert metrics([str(v) for v in PROJECT], partition(both, 5))["acc"] < 0.95


def test_the_sample_is_bounded_and_holds_two_files_per_group_asked_for() -> None:
    assert sample_size(10, 3) == 10
    assert sample_size(500, 6) == 24
    assert sample_size(500, 18) == 36
    assert sample_size(5000, 77) == 60


def _two_way_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    kinds = ["invoice", "letter", "checklist"]
    projects = ["garden", "wedding"]
    for n in range(24):
        kind, project = kinds[n % 3], projects[(n // 3) % 2]
        (folder / f"{n:02d}.txt").write_text(f"{kind} {project} number {n} with some words\n")
    return folder


def _word_embedder(words: list[str]):
    """Text vectors that carry only ``words`` (one dimension each) plus a little noise."""
    from corral.engine.stages.base import LazyEmbedder

    class Embedder:
        def embed(self, texts: list[str]) -> np.ndarray:
            out = np.zeros((len(texts), len(words) + 4))
            for row, text in enumerate(texts):
                for col, word in enumerate(words):
                    out[row, col] = text.lower().count(word)
                out[row, len(words):] = 0.05 * np.random.default_rng(len(text) + row).normal(size=4)
            return out

        def close(self) -> None:
            pass

    return LazyEmbedder("words", Embedder)


def test_the_same_folder_grouped_two_ways_follows_each_criterion(tmp_path: Path) -> None:
    """The text geometry carries only the project; grouped by kind, the values and the
    choices (and the arbitration giving them the geometry) must still find the kinds."""
    folder = _two_way_folder(tmp_path)
    embedder = _word_embedder(["garden", "wedding"])
    results = {}
    for criterion, k, word in (("kind of document", 3, 0), ("which project", 2, 1)):
        fake = FakeLLM(label_for=lambda t, w=word: t.split()[w])
        result = organize(RunRequest(folder, Settings(criterion=criterion, k=k, steer="values"), tmp_path / "p.corral"),
                          model=LazyModel("fake", lambda f=fake: f), embedder=embedder)
        results[criterion] = ({g.name: sorted(m.path for m in g.members) for g in result.groups},
                              result.stats, fake.calls)
    kinds, stats, calls = results["kind of document"]
    assert sorted(kinds) == ["checklist", "invoice", "letter"]
    assert all(all(f"{int(p[:2]) % 3}" == str(["invoice", "letter", "checklist"].index(name)) for p in members)
               for name, members in kinds.items())
    assert stats["steering"]["text"] == TEXT_FLOOR  # the text (by project) does not follow the kinds
    # the sample (here every file) is labelled once; groups are named by their value
    assert calls.count("values") == 1 and "name" not in calls
    projects, stats, _ = results["which project"]
    assert sorted(projects) == ["garden", "wedding"]
    assert all(len(members) == 12 for members in projects.values())


def test_placeholders_and_the_criterions_own_words_are_no_values() -> None:
    from corral.engine.stages.taxonomy import distinct_values

    names = ["Project A", "Project B", "Event", "Wedding", "wedding", "Misc", "Garden 2", "Yes", "Trip 2023"]
    assert distinct_values(names, "which project or event is this for") == ["Wedding", "Garden 2", "Trip 2023"]
    # what small models list for "common answers" when they know none (qwen2.5-0.5b, "topic"
    # and "what the person wants to do"): a numbered series and questions
    listed = [f"short answer {n}" for n in range(1, 13)] + ["What do you want?", "Garden 2", "Garden 3"]
    assert distinct_values(listed, "topic") == ["Garden 2", "Garden 3"]


def test_rarely_chosen_values_are_dropped_and_their_items_choose_again(tmp_path: Path) -> None:
    """Sample values plus generic ones: more candidates than K. The K most chosen stay, and
    only the items that chose a dropped value are asked again."""
    from corral.engine.stages.taxonomy import keep_chosen

    assert keep_chosen(["a", "b", "c", "d"], [0, 0, 1, 2, 2, 2, 3], 2, 1) == [2, 0]
    assert keep_chosen(["a", "b", "c", "d"], [0, 0, 1, 2, 2, 2, 3], None, 2) == [2, 0]
    assert keep_chosen(["a", "b"], [0, 0, 0], None, 2) == [0]

    folder = _two_way_folder(tmp_path)
    # K=2: the sample gives two values, the generic answers a third kind and one
    # nobody chooses; the fake picks the first option its file's text contains.
    fake = FakeLLM(label_for=lambda t: t.split()[0], generic_answer=["Fax", "invoice"])
    asked: list[list[str]] = []
    original = fake.choose

    def spy(messages, options, *, answer_prefix=""):  # type: ignore[no-untyped-def]
        if "Groups:" in messages[-1]["content"]:
            asked.append(list(options))
        return original(messages, options, answer_prefix=answer_prefix)

    fake.choose = spy  # type: ignore[method-assign]
    result = organize(RunRequest(folder, Settings(criterion="kind of document", k=2, steer="values"), tmp_path / "p.corral"),
                      model=LazyModel("fake", lambda: fake), embedder=_word_embedder(["garden", "wedding"]))
    values = result.stats["values"]
    assert values["generic"] == ["Fax", "invoice"] and len(values["sample"]) == 2
    assert len(values["dropped"]) == 2 and "Fax" in values["dropped"]  # Fax: nobody; one kind: a tie lost
    first = [options for options in asked if len(options) == 4]
    again = [options for options in asked if len(options) == 2]
    assert len(first) == 24 and len(again) == 8  # only the 8 files of the dropped kind again
    assert len(result.groups) == 2 and sum(len(g.members) for g in result.groups) == 24


def test_a_value_that_takes_far_more_than_its_share_is_read_again_on_its_members(tmp_path: Path) -> None:
    """K=3 but the model's values cover one kind and a catch-all: "paper" takes two thirds of
    the files. Its members are read again (the answers of a sample of them, each asked on its
    own) and choose among the other values and the new ones; the catch-all then goes."""
    folder = _two_way_folder(tmp_path)

    def label_for(text: str) -> str:
        return text.split()[0]

    def choose_for(text: str, options) -> int:  # type: ignore[no-untyped-def]
        options = list(options)
        kind = label_for(text)
        if kind in options:
            return options.index(kind)
        return options.index("paper") if "paper" in options else 0

    fake = FakeLLM(label_for=label_for, choose_for=choose_for)
    original = fake.generate

    def values_once(messages, **kw):  # type: ignore[no-untyped-def]
        prompt = messages[-1]["content"]
        if "then list the 3 " in prompt:  # the whole sample: one kind and a catch-all
            fake.calls.append("values")
            return '["invoice", "paper", "other stuff"]'
        if "Question about the file below:" in prompt and "assign" not in fake.calls:
            fake.calls.append("answer")  # before any choice: the sample's files say "paper"
            return "invoice" if "invoice" in prompt.split("File:\n", 1)[1].split()[0] else "paper"
        return original(messages, **kw)  # the catch-all's members not asked yet: their own kinds

    fake.generate = values_once  # type: ignore[method-assign]
    result = organize(RunRequest(folder, Settings(criterion="kind of document", k=3, steer="values"),
                                 tmp_path / "p.corral"),
                      model=LazyModel("fake", lambda: fake), embedder=_word_embedder(["garden", "wedding"]))
    split = result.stats["values"]["split"]
    assert split["value"] == "paper" and split["items"] == 16 and sorted(split["into"]) == ["checklist", "letter"]
    assert sorted(result.stats["steering"]["values"]) == ["checklist", "invoice", "letter"]
    assert sorted(g.name for g in result.groups) == ["checklist", "invoice", "letter"]
    assert all(len(g.members) == 8 for g in result.groups)
