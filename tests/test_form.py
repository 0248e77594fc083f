"""The documents' form (stages/form.py) and when it leads the grouping (cluster.lead_with_form):
its logic on written folders whose text embedding follows the topic; the real model and
MiniLM on household_docs are measured in docs/benchmarks.md ("The documents' form")."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np

from corral.engine.pipeline import organize
from corral.engine.request import RunRequest
from corral.engine.stages import form
from corral.engine.stages.base import LazyModel, Settings
from corral.engine.stages.cluster import criterion_agreement
from tests.fakes import FakeLLM
from tests.test_stages import _keyword_embedder

TOPICS = {
    "kitchen": ["cabinet", "worktop", "tiles", "sink", "plumber", "oven"],
    "garden": ["hedge", "lawn", "shed", "roses", "compost", "arborist"],
    "wedding": ["venue", "caterer", "florist", "bouquet", "reception", "rings"],
    "car": ["dealer", "mileage", "tyres", "insurance", "hatchback", "garage"],
}
NAMES = ["Ana", "Ben", "Chloe", "Dev", "Eva", "Farid", "Gita", "Hugo"]


def _document(kind: str, topic: str, rng: random.Random) -> str:
    words = rng.sample(TOPICS[topic], 3)
    name = rng.choice(NAMES)
    if kind == "letter":
        return (f"Dear {name},\n\nI am writing about the {words[0]} and the {words[1]}. "
                f"Could you let me know about the {words[2]}?\n\nYours faithfully,\n{rng.choice(NAMES)}")
    if kind == "invoice":
        return (f"Invoice no. {rng.randint(100, 999)}\nBill to: {name}\n{words[0]}  120.00\n"
                f"{words[1]}  40.00\n{words[2]}  15.50\nTotal due: 175.50\nPayment within 14 days")
    return (f"Checklist\n[ ] order the {words[0]}\n[x] check the {words[1]}\n[ ] book the {words[2]}\n"
            f"Ticked off by {name}")


def _folder(seed: int = 0) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    return [(kind, topic, _document(kind, topic, rng))
            for kind in ("letter", "invoice", "checklist") for topic in TOPICS for _ in range(4)]


def _topic_vectors(topics: list[str]) -> np.ndarray:
    """A text embedding that follows the topic only (what MiniLM does on household_docs)."""
    index = {t: i for i, t in enumerate(TOPICS)}
    rng = np.random.default_rng(0)
    out = np.zeros((len(topics), len(TOPICS))) + rng.normal(0, 0.1, (len(topics), len(TOPICS)))
    out[np.arange(len(topics)), [index[t] for t in topics]] += 1.0
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _codes(values: list[str]) -> list[int]:
    index = {v: i for i, v in enumerate(sorted(set(values)))}
    return [index[v] for v in values]


def test_the_form_block_keeps_words_any_topic_uses_and_groups_by_form() -> None:
    docs = _folder()
    kinds, topics = [k for k, _, _ in docs], [t for _, t, _ in docs]
    text = _topic_vectors(topics)
    assert criterion_agreement(text, _codes(topics)) > 0.9  # the text follows the topic
    block, info = form.form_vectors([d for _, _, d in docs], text)
    assert block is not None
    assert {"dear", "faithfully", "total", "checklist"} <= set(info["vocabulary"])  # form words kept
    assert not {w for ws in TOPICS.values() for w in ws} & set(info["vocabulary"])  # topic words not
    assert criterion_agreement(block, _codes(kinds)) > 0.8  # neighbours share the form...
    assert criterion_agreement(block, _codes(topics)) < 0.2  # ...not the topic


def test_topic_words_are_left_out() -> None:
    docs = _folder()
    descriptions = [d for _, _, d in docs]
    block, info = form.form_vectors(descriptions, _topic_vectors([t for _, t, _ in docs]))
    topic_words = {w for ws in TOPICS.values() for w in ws}
    used = set().union(*form.file_words(descriptions))
    assert block is not None and topic_words <= used  # the folder uses every topic word...
    assert info["kept"] < info["words"] and not topic_words & set(info["vocabulary"])  # ...none is kept


def test_chance_concentration_matches_random_draws() -> None:
    rng = np.random.default_rng(1)
    unit = rng.normal(size=(200, 8)) + 0.5
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    for size in (5, 40, 150):
        drawn = [np.linalg.norm(unit[rng.choice(200, size, replace=False)].mean(axis=0)) ** 2 for _ in range(400)]
        expected = form.chance_concentration(unit, np.array([size]))[0] ** 2
        assert abs(np.mean(drawn) - expected) < 0.02


def test_otsu_splits_two_groups_of_values() -> None:
    from corral.engine.stages.autok import otsu

    values = np.array([0.01, 0.02, 0.0, 0.03, 0.4, 0.45, 0.5])
    assert otsu(values) == 0.03  # the largest value of the lower class
    assert otsu(np.array([0.2])) == 0.2 and otsu(np.array([0.2, 0.2])) == 0.2
    # a weight counts a value that many times
    spread = np.array([0.0, 0.1, 0.35, 0.4, 0.9, 1.0])
    assert otsu(spread, weights=np.array([1, 1, 1, 1, 1, 1])) == otsu(spread)
    assert otsu(spread, weights=np.array([1, 1, 1, 6, 1, 1])) == otsu(np.array([0.0, 0.1, 0.35] + [0.4] * 6 + [0.9, 1.0]))


def test_small_folders_and_folders_without_shared_words_get_no_block() -> None:
    docs = _folder()[:10]
    assert form.form_vectors([d for _, _, d in docs], _topic_vectors([t for _, t, _ in docs]))[0] is None
    unique = [f"word{n} other{n}" for n in range(40)]
    assert form.form_vectors(unique, np.eye(40))[0] is None


def _write(folder: Path, docs: list[tuple[str, str, str]]) -> None:
    folder.mkdir()
    for n, (_, _, text) in enumerate(docs):
        (folder / f"{n:02d}.txt").write_text(text)


def _embedder():
    axes = {w: i for i, words in enumerate(TOPICS.values()) for w in words}
    axes.update({t: i for i, t in enumerate(TOPICS)})
    axes.update({"letter": 4, "invoice": 5, "checklist": 6})
    return _keyword_embedder(axes)


def _kind_answer(text: str) -> str:
    """Like the small model: the kind, except that a third of the letters and checklists are
    answered with their topic ("Garden planning")."""
    kind = "invoice" if text.startswith("Invoice") else "letter" if text.startswith("Dear") else "checklist"
    topic = next((t for t, words in TOPICS.items() if any(w in text for w in words)), "kitchen")
    return f"{topic} planning" if kind != "invoice" and len(text) % 3 == 0 else kind


def test_where_the_criterion_is_the_form_the_form_leads(tmp_path: Path) -> None:
    """The text at its full weight (the text check off: on 300 household documents it read
    the text as carrying the kind, docs/benchmarks.md) groups by topic; the form leads."""
    docs = _folder()
    _write(tmp_path / "docs", docs)
    fake = FakeLLM(label_for=_kind_answer)
    kind = Settings(criterion="what kind of document is this", k=3, text_check=False)
    run = organize(RunRequest(tmp_path / "docs", kind, tmp_path / "p.corral"),
                   model=LazyModel("fake", lambda: fake), embedder=_embedder())
    assert run.stats["form"]["leads"] == "form"
    assert run.stats["form"]["agreement_form"] > run.stats["form"]["agreement_text"]
    assert "form" in run.stats["blocks"] and "text" not in run.stats["blocks"]
    kinds = [{(tmp_path / "docs" / m.path).read_text().split()[0] for m in g.members} for g in run.groups]
    assert sorted(len(k) for k in kinds) == [1, 1, 1]  # each group one kind

    off = organize(RunRequest(tmp_path / "docs", replace(kind, form_check=False, answer_words=False), tmp_path / "q.corral"),
                   model=LazyModel("fake", lambda: fake), embedder=_embedder())
    assert "form" not in off.stats and "text" in off.stats["blocks"]
    mixed = [{(tmp_path / "docs" / m.path).read_text().split()[0] for m in g.members} for g in off.groups]
    assert sorted(len(k) for k in mixed) != [1, 1, 1]  # led by the text, the groups mix kinds


def test_where_the_criterion_is_the_topic_the_text_leads(tmp_path: Path) -> None:
    docs = _folder()
    _write(tmp_path / "docs", docs)
    fake = FakeLLM(label_for=lambda text: next(t for t, words in TOPICS.items() if any(w in text for w in words)))
    run = organize(RunRequest(tmp_path / "docs", Settings(criterion="which project is this for", k=4),
                              tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake), embedder=_embedder())
    assert run.stats["form"]["leads"] == "text"
    assert "text" in run.stats["blocks"]
    def topic(path: str) -> str:
        text = (tmp_path / "docs" / path).read_text()
        return next(t for t, words in TOPICS.items() if any(w in text for w in words))

    assert sorted(len({topic(m.path) for m in g.members}) for g in run.groups) == [1, 1, 1, 1]


def _kind_of(text: str) -> str:
    return "invoice" if text.startswith("Invoice") else "letter" if text.startswith("Dear") else "checklist"


def _subject_answer(text: str) -> str:
    """A small model's free answer to "what kind of document" that names the subject: the
    topic with a kind word that follows it ("garden notes"), so it follows the text."""
    return next(f"{t} notes" for t, words in TOPICS.items() if any(w in text for w in words))


def _choose_kind(text: str, options: list[str]) -> int:
    """Among the vocabulary, the file's kind."""
    return next(i for i, o in enumerate(options) if o.casefold() == _kind_of(text))


def test_where_the_free_answers_follow_the_subject_the_choices_can_hand_the_lead_to_the_form(tmp_path: Path) -> None:
    """The first look gives the text the lead (the answers name the topic); the files then
    choose among the model's common kinds (stages/vocabulary.py), whose concepts agree with
    the form's neighbourhoods, not the text's: the form leads."""
    docs = _folder()
    _write(tmp_path / "docs", docs)
    fake = FakeLLM(label_for=_subject_answer, choose_for=_choose_kind,
                   generic_answer=["Invoice", "Letter", "Checklist", "Report"])
    kind = Settings(criterion="what kind of document is this", k=3, text_check=False)
    run = organize(RunRequest(tmp_path / "docs", kind, tmp_path / "p.corral"),
                   model=LazyModel("fake", lambda: fake), embedder=_embedder())
    looked = run.stats["form"]
    assert looked["agreement_text"] > looked["agreement_form"]  # the free answers alone: the text
    assert looked["choices_form"] > looked["choices_text"] and looked["chose"] == len(docs)
    assert looked["leads"] == "form" and "form" in run.stats["blocks"]
    kinds = [{_kind_of((tmp_path / "docs" / m.path).read_text()) for m in g.members} for g in run.groups]
    assert sorted(len(k) for k in kinds) == [1, 1, 1]  # each group one kind

    line = form.explain(looked)  # what organize, show and the run bar say
    assert line.startswith("grouped by the documents' form (words any topic uses: ") and "the free answers followed their topic" in line
    assert line.endswith(f"but the choices of {len(docs)} files among common answers followed the form "
                         f"({looked['choices_form']:.2f} against {looked['choices_text']:.2f})")

    # Without K the files of a sample choose, for the second look only
    auto = organize(RunRequest(tmp_path / "docs", replace(kind, k=None), tmp_path / "a.corral"),
                    model=LazyModel("fake", lambda: fake), embedder=_embedder())
    assert auto.stats["form"]["leads"] == "form" and auto.stats["form"]["chose"] == len(docs)  # under 160
    assert "vocabulary" not in auto.stats  # the choices are never the labels without K

    # Where the choices follow the topic too, the text keeps the lead
    topical = FakeLLM(label_for=_subject_answer, generic_answer=["Invoice", "Letter", "Checklist", "Report"],
                      choose_for=lambda text, options: next(
                          (i for i, o in enumerate(options) if o == _subject_answer(text)), 0))
    kept = organize(RunRequest(tmp_path / "docs", kind, tmp_path / "q.corral"),
                    model=LazyModel("fake", lambda: topical), embedder=_embedder())
    assert kept.stats["form"]["leads"] == "text" and kept.stats["form"]["choices_text"] > kept.stats["form"]["choices_form"]
    assert form.explain(kept.stats["form"]).startswith("grouped by the documents' topic, which the answers followed (")
    assert "among common answers followed the topic (" in form.explain(kept.stats["form"])


def test_in_a_big_folder_the_files_the_model_did_not_read_are_placed_by_their_form(tmp_path: Path) -> None:
    """The faster mode (stages/sampled.py): the model reads a sample, the form leads its
    grouping, and the other files take the group of their nearest sampled files by form."""
    docs = _folder(0) + _folder(1)
    _write(tmp_path / "docs", docs)
    fake = FakeLLM(label_for=_kind_answer)
    kind = Settings(criterion="what kind of document is this", k=3, text_check=False, llm_sample=40)
    run = organize(RunRequest(tmp_path / "docs", kind, tmp_path / "p.corral"),
                   model=LazyModel("fake", lambda: fake), embedder=_embedder())
    assert run.stats["form"]["leads"] == "form" and run.stats["sampled"]["placed_by_neighbours"] == len(docs) - 40
    assert fake.calls.count("answer") == 40
    kinds = [{(tmp_path / "docs" / m.path).read_text().split()[0] for m in g.members} for g in run.groups]
    assert sorted(len(k) for k in kinds) == [1, 1, 1]


def test_pictures_take_no_part() -> None:
    """A picture's description is Corral's own words ("Taken Monday ... camera ..."), whose
    form says nothing: with more pictures than documents there is no form block."""
    from corral.engine.stages.cluster import documents_form

    docs = _folder()
    descriptions = [d for _, _, d in docs]
    text = _topic_vectors([t for _, t, _ in docs])
    assert documents_form(descriptions, [False] * len(docs), text)[0] is None
    mixed, _ = documents_form(descriptions, [n % 4 != 0 for n in range(len(docs))], text)
    assert mixed is not None and not mixed[::4].any() and mixed[1::4].any()


def test_halvings() -> None:
    from corral.engine.stages.cluster import halvings

    assert halvings(11) == [11, 5, 2] and halvings(2) == [2] and halvings(1) == [2]


def test_without_k_the_form_is_compared_at_the_labels_estimate_and_its_halves(tmp_path: Path) -> None:
    docs = _folder()
    _write(tmp_path / "docs", docs)
    fake = FakeLLM(label_for=_kind_answer)
    run = organize(RunRequest(tmp_path / "docs", Settings(criterion="what kind of document is this", text_check=False),
                              tmp_path / "p.corral"), model=LazyModel("fake", lambda: fake), embedder=_embedder())
    assert run.stats["form"]["leads"] == "form" and run.stats["form"]["at_k"] >= 2
    assert "form" in run.stats["blocks"] and run.stats.get("auto_k")


def test_typical_words_are_those_a_cluster_uses_more_than_the_folder() -> None:
    from corral.engine.stages.cluster import typical_words

    present = np.array([[1, 1, 0, 1], [1, 1, 0, 1], [0, 1, 1, 1], [0, 1, 1, 0]], dtype=bool)
    words = ["dear", "the", "total", "and"]
    assert typical_words(present, words, np.array([0, 0, 1, 1])) == [["dear", "and"], ["total"]]
    assert typical_words(present, words, np.array([0, 0, 1, 1]), top=1) == [["dear"], ["total"]]


class _NamingLLM(FakeLLM):
    """Answers a naming prompt with the first of the words it was shown, as the 1.5B model
    did ("Dear" for a group of letters); records the naming prompts."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.naming: list[str] = []

    def generate(self, messages, **kwargs) -> str:  # type: ignore[no-untyped-def]
        prompt = messages[-1]["content"]
        marker = "Words these files use more than the other files do: "
        if "Name this group" in prompt and marker in prompt:
            self.naming.append(prompt)
            return f'["{prompt.split(marker, 1)[1].split(",")[0].strip().title()}"]'
        return super().generate(messages, **kwargs)


def test_a_form_led_grouping_is_named_with_the_words_that_set_each_group_apart(tmp_path: Path) -> None:
    """The naming prompt shows each group's typical form words ("dear" for the letters); a
    name that is only one of those words gives way to the group's most frequent label."""
    _write(tmp_path / "docs", _folder())
    fake = _NamingLLM(label_for=_kind_answer)
    run = organize(RunRequest(tmp_path / "docs", Settings(criterion="what kind of document is this", k=3,
                                                          text_check=False), tmp_path / "p.corral"),
                   model=LazyModel("fake", lambda: fake), embedder=_embedder())
    assert run.stats["form"]["leads"] == "form" and len(fake.naming) == 3
    shown = [p.split("use more than the other files do: ", 1)[1].split("\n", 1)[0] for p in fake.naming]
    assert any("dear" in line.split(", ") and "faithfully" in line.split(", ") for line in shown), shown
    assert not any(word.startswith(form.SHAPE_MARK) for line in shown for word in line.split(", "))
    assert sorted(g.name.lower() for g in run.groups) == ["checklist", "invoice", "letter"]


def test_the_shapes_of_numbers_count_as_form() -> None:
    words = form.file_words(["Total due: 175.50 on 03/04/2025 at 14:30, invoice no. 123"])[0]
    assert {"total", "due", "on", "at", "invoice", "no"} <= words
    assert {"#999.99", "#99/99/9999", "#99:99", "#999"} <= words
    assert form.is_word("total") and not form.is_word("#999.99")
    # Invoices share their amounts' shape whatever they are for: the block keeps it.
    docs = _folder()
    block, info = form.form_vectors([d for _, _, d in docs], _topic_vectors([t for _, t, _ in docs]))
    assert block is not None and {"#999.99", "#99.99"} <= set(info["vocabulary"])
    assert info["common"] and all(form.is_word(w) for w in info["common"])


def test_marks_on_the_page_count_as_form() -> None:
    words = form.file_words(["Consent [ ] photos [x] trips. Signature: ________ Date: __ a@b.org £4.80"])[0]
    assert {"#[", "#]", "#__", "#@", "#:", "#£"} <= words and "#________" not in words  # a line is a line
    assert not any(form.is_word(w) for w in {"#[", "#__", "#@"})
    # Forms and notes that share every word and differ only in their marks (boxes and lines
    # to sign on, or bullets): the marks tell them apart, whatever the topic.
    rng = random.Random(3)
    docs = []
    for n in range(48):
        topic, kind = list(TOPICS)[n % 4], ("form", "note")[n // 4 % 2]
        a, b, c = rng.sample(TOPICS[topic], 3)
        docs.append((kind, topic, f"Name {rng.choice(NAMES)} - {a} - {b} - please {c} (signature, date)" if kind == "note"
                     else f"Name: ____ {a} [ ] {b} [x] please {c} signature: ______ date: __/__"))
    block, info = form.form_vectors([d for _, _, d in docs], _topic_vectors([t for _, t, _ in docs]))
    assert block is not None and {"#[", "#__"} <= set(info["vocabulary"])
    assert criterion_agreement(block, _codes([k for k, _, _ in docs])) > 0.8
    assert criterion_agreement(block, _codes([t for _, t, _ in docs])) < 0.2


def test_the_form_takes_the_lead_from_the_choices_only_beyond_doubt() -> None:
    """The choices' second look hands the lead to the form only where its neighbourhoods
    share the choices' concepts more than the text's beyond doubt: a hair either way is a tie
    (the studio's kinds 0.405 against 0.404) and the text keeps the lead."""
    from corral.engine.stages.cluster import clearly_more_alike

    docs = _folder()
    kinds, topics = _codes([k for k, _, _ in docs]), [t for _, t, _ in docs]
    text = _topic_vectors(topics)
    block, _ = form.form_vectors([d for _, _, d in docs], text)
    assert block is not None
    assert clearly_more_alike(block, text, kinds) and not clearly_more_alike(text, block, kinds)
    assert not clearly_more_alike(text, text + 1e-9, kinds)  # the same neighbourhoods: a tie
    rng = np.random.default_rng(0)
    noise = [int(c) for c in rng.integers(0, 3, len(docs))]  # concepts neither block follows
    assert not clearly_more_alike(block, text, noise) and not clearly_more_alike(text, block, noise)
    assert not clearly_more_alike(block[:2], text[:2], kinds[:2])  # too few files to tell
    tie = {"leads": "text", "agreement_text": 0.48, "agreement_form": 0.32, "examples": ["dear"],
           "choices_text": 0.404, "choices_form": 0.405, "chose": 240}
    assert form.explain(tie) == ("grouped by the documents' topic, which the answers followed (0.48 against 0.32), and "
                                 "the choices of 240 files among common answers followed the form no better than the "
                                 "topic beyond doubt (0.41 against 0.40)")


def test_a_partition_the_answers_do_not_follow_takes_no_lead() -> None:
    """The first look: a partition leads only where the answers follow it beyond chance. By
    year, neither the form's nor the text's partition follows the answers (the years are in
    the dates), and a hair of agreement must not hand the lead to the form."""
    from corral.engine.stages.cluster import follows_beyond_chance

    rng = np.random.default_rng(0)
    partition = np.repeat(np.arange(4), 60)
    concepts = [int(c) for c in partition]
    assert follows_beyond_chance(concepts, partition)
    noisy = [int(c) if rng.random() < 0.4 else int(rng.integers(0, 4)) for c in partition]
    assert follows_beyond_chance(noisy, partition)  # 40% of the answers follow it
    unrelated = [int(c) for c in rng.integers(0, 11, len(partition))]
    assert not follows_beyond_chance(unrelated, partition)


def _noisy_topic_answer(text: str) -> str:
    """Like the small model asked "which client": the topic, except that a third of the
    files are answered with the author's studio or a person."""
    topic = next(t for t, words in TOPICS.items() if any(w in text for w in words))
    return MISSES[sum(map(ord, text)) % len(MISSES)] if len(text) % 3 == 0 else f"{topic} client"


MISSES = ["Fernhill Studio", "Ana", "Accounts", "Office", "Web design", "Print"]


def test_the_words_the_answers_single_out_are_the_criterions_words() -> None:
    docs = _folder()
    descriptions = [d for _, _, d in docs]
    concepts = _codes([_noisy_topic_answer(d) for d in descriptions])
    block, info = form.answer_words(descriptions, concepts)
    assert block is not None and info["coverage"] == 1.0
    topic_words = {w for ws in TOPICS.values() for w in ws}
    kept = set(info["examples"])
    assert kept <= topic_words | set(TOPICS), kept  # the answers' words: topic words...
    assert not {"dear", "faithfully", "total", "checklist", "invoice"} & kept  # ...not the form's
    topics = _codes([t for _, t, _ in docs])
    assert criterion_agreement(block, topics) > 0.8  # also where the answer missed
    assert form.answer_words(descriptions[:10], concepts[:10])[0] is None  # too few documents


def _kind_embedder():
    """A text embedding that follows the documents' kind (what MiniLM does on the studio's
    short quotes, invoices and timesheets, docs/benchmarks.md)."""
    axes = {"dear": 0, "invoice": 1, "checklist": 2}
    axes.update({w: 3 + i for i, words in enumerate(TOPICS.values()) for w in words})
    axes.update({f"{t} client": 3 + i for i, t in enumerate(TOPICS)})
    axes.update({miss.lower(): 3 + len(TOPICS) + i for i, miss in enumerate(MISSES)})  # answers that missed: apart
    return _keyword_embedder(axes)


def test_where_the_text_follows_another_property_the_answers_words_place_the_files(tmp_path: Path) -> None:
    docs = _folder(0) + _folder(1)
    _write(tmp_path / "docs", docs)
    fake = FakeLLM(label_for=_noisy_topic_answer)
    # the form off: here the words that do not follow the text are the topics' own, so the
    # form block would group by topic too; this is about the text and the answers' words
    by_client = Settings(criterion="which client is this for", k=4, text_check=False, form_check=False)

    def topic(path: str) -> str:
        text = (tmp_path / "docs" / path).read_text()
        return next(t for t, words in TOPICS.items() if any(w in text for w in words))

    def mixed(run) -> int:  # type: ignore[no-untyped-def]  # files outside their group's main topic
        from collections import Counter

        return sum(len(g.members) - Counter(topic(m.path) for m in g.members).most_common(1)[0][1] for g in run.groups)

    run = organize(RunRequest(tmp_path / "docs", by_client, tmp_path / "p.corral"),
                   model=LazyModel("fake", lambda: fake), embedder=_kind_embedder())
    assert run.stats["answer_words"]["coverage"] > 0.8
    off = organize(RunRequest(tmp_path / "docs", replace(by_client, answer_words=False), tmp_path / "q.corral"),
                   model=LazyModel("fake", lambda: fake), embedder=_kind_embedder())
    assert "answer_words" not in off.stats
    assert mixed(run) == 0 < mixed(off), (mixed(run), mixed(off))
    line = form.explain_answer_words(run.stats["answer_words"])
    assert line.startswith("with the words the answers single out (") and "at weight" in line
    assert form.explain_answer_words(None) == "" and form.explain_answer_words({"weight": 0.0}) == ""


def test_the_answers_words_count_as_far_as_files_have_them_and_the_text_misses_the_answers() -> None:
    from corral.engine.stages.cluster import answer_words_weight, with_answer_words

    assert answer_words_weight(1.0, 0.0) == 1.0
    assert answer_words_weight(0.25, 0.2) == 0.25 * 0.8  # short requests: few files have such words
    assert answer_words_weight(0.9, 1.3) == 0.0 and answer_words_weight(0.9, -0.2) == 0.9  # clipped
    text = np.array([[1.0, 0.0], [0.0, 1.0]])
    block = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    both = with_answer_words(text, block, 1.0)
    assert both.shape == (2, 5) and np.isclose(np.linalg.norm(both[0]), 1.0)  # a row with words stays unit
    assert np.allclose(with_answer_words(text, block, 0.0)[:, :2], text)  # weight 0: the text alone
