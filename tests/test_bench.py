"""`corral bench` with several labellings of the same items (issue 11), and the
single-criterion form next to it, with a scripted model and a word-count embedder."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from corral.engine import bench, cli
from corral.engine.bench import (
    load_dataset,
    load_multi_dataset,
    multi_sample,
    run_bench_multi,
    stratified_sample,
)
from corral.engine.stages.base import LazyEmbedder, LazyModel
from corral.engine.store import Project
from tests.fakes import FakeLLM

KINDS = {"receipt": "receipt total paid amount", "letter": "dear friend yours sincerely",
         "schedule": "schedule monday tuesday times"}
PROJECTS = {"garden": "garden lawn compost hedge", "wedding": "wedding venue guests cake",
            "car": "car dealer test drive tyres"}


class BenchLLM(FakeLLM):
    def measure_speed(self, prompt_tokens: int = 256, gen_tokens: int = 32) -> SimpleNamespace:
        return SimpleNamespace(prompt_tokens_per_s=100.0, generate_tokens_per_s=20.0)


def _vocabulary() -> list[str]:
    return sorted({w for text in (*KINDS.values(), *PROJECTS.values()) for w in text.split()})


def _word_embedder(weights: dict[str, float] | None = None) -> LazyEmbedder:
    """Counts of the set's words (a project word weighs ``weights`` more): texts about the
    same project are near, as a generic sentence embedder would place them."""
    vocab = _vocabulary()
    weights = weights or {w: 3.0 for text in PROJECTS.values() for w in text.split()}

    class Vectors:
        def embed(self, texts: list[str]) -> np.ndarray:
            out = np.full((len(texts), len(vocab)), 0.01)
            for row, text in enumerate(texts):
                words = text.lower().replace(",", " ").split()
                for col, word in enumerate(vocab):
                    out[row, col] += weights.get(word, 1.0) * words.count(word)
            return out / np.linalg.norm(out, axis=1, keepdims=True)

        def close(self) -> None:
            pass

    return LazyEmbedder("words", Vectors)


def _multi_jsonl(folder: Path, per_cell: int = 4, criteria: dict | None = None) -> Path:
    rows = []
    for kind, kind_words in KINDS.items():
        for project, project_words in PROJECTS.items():
            for i in range(per_cell):
                rows.append({"input": f"{kind_words} {project_words} note {i}",
                             "labels": {"kind": kind, "project": project}})
    path = folder / "house.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    criteria = criteria or {"kind": {"criterion": "what kind of document is this", "k": 3},
                            "project": {"criterion": "which project is this for"}}
    (folder / "house.criteria.json").write_text(json.dumps(criteria))
    return path


def _image_folder(folder: Path) -> Path:
    from PIL import Image

    folder.mkdir()
    objects, trips = [], []
    for i in range(12):
        name = f"p{i:02d}.jpg"
        Image.new("RGB", (8, 8), (20 * i, 0, 0)).save(folder / name)
        objects.append((name, ["cat", "ship", "frog"][i % 3]))
        trips.append((name, ["Kyoto", "Lisbon"][i // 6]))
    for key, rows in (("object", objects), ("trip", trips)):
        with open(folder / f"labels_{key}.csv", "w", newline="") as fh:
            csv.writer(fh).writerows([("file", "label"), *rows])
    (folder / "criteria.json").write_text(json.dumps({"object": {"criterion": "the main object"},
                                                      "trip": {"criterion": "which trip", "k": 2}}))
    return folder


# -- loading -------------------------------------------------------------------------------


def test_json_lines_with_several_labellings_load_with_their_criteria(tmp_path: Path) -> None:
    path = _multi_jsonl(tmp_path)
    examples, specs = load_multi_dataset(path)
    assert [(s.key, s.criterion, s.k) for s in specs] == [
        ("kind", "what kind of document is this", 3), ("project", "which project is this for", None)]
    assert len(examples) == 36 and examples[0].labels == {"kind": "receipt", "project": "garden"}
    assert examples[0].label == "receipt"  # the first criterion's, for code that reads .label
    assert bench.is_multi_criteria(path) and not bench.is_multi_criteria(tmp_path / "other.jsonl")
    # The single-criterion loader says what is missing instead of failing on a KeyError.
    (tmp_path / "house.criteria.json").unlink()
    with pytest.raises(ValueError, match="house.criteria.json"):
        load_dataset(path)


def test_a_criteria_file_that_disagrees_with_the_data_is_refused(tmp_path: Path) -> None:
    path = _multi_jsonl(tmp_path, criteria={"kind": {"criterion": "kind", "k": 4}, "project": "project"})
    with pytest.raises(ValueError, match="k=4, but the data has 3 labels"):
        load_multi_dataset(path)
    path = _multi_jsonl(tmp_path, criteria={"kind": "kind", "year": "which year"})
    with pytest.raises(ValueError, match="line 1.*year"):
        load_multi_dataset(path)
    (tmp_path / "house.criteria.json").write_text(json.dumps({"kind": {"k": 3}}))
    with pytest.raises(ValueError, match="needs a \"criterion\""):
        load_multi_dataset(path)


def test_an_image_folder_has_one_labels_file_per_criterion(tmp_path: Path) -> None:
    folder = _image_folder(tmp_path / "pics")
    examples, specs = load_multi_dataset(folder)
    assert [s.key for s in specs] == ["object", "trip"]
    assert len(examples) == 12 and all(ex.path is not None and ex.path.is_file() for ex in examples)
    by_name = {ex.path.name: ex.labels for ex in examples}
    assert by_name["p07.jpg"] == {"object": "ship", "trip": "Lisbon"}
    rows = (folder / "labels_trip.csv").read_text().splitlines()
    (folder / "labels_trip.csv").write_text("\n".join(rows[:-1]) + "\n")  # p11 loses its trip
    with pytest.raises(ValueError, match="p11.jpg has no label in labels_trip.csv"):
        load_multi_dataset(folder)
    (folder / "labels_trip.csv").unlink()
    with pytest.raises(ValueError, match="no labels_trip.csv"):
        load_multi_dataset(folder)


def test_the_sample_is_stratified_on_the_joint_labels_and_reproducible(tmp_path: Path) -> None:
    examples, _ = load_multi_dataset(_multi_jsonl(tmp_path, per_cell=12))  # 9 cells x 12
    sample = multi_sample(examples, 54, seed=3)
    cells = Counter((ex.labels["kind"], ex.labels["project"]) for ex in sample)
    assert len(sample) == 54 and set(cells.values()) == {6}  # every pair in proportion
    assert [ex.text for ex in multi_sample(examples, 54, seed=3)] == [ex.text for ex in sample]
    assert [ex.text for ex in multi_sample(examples, 54, seed=4)] != [ex.text for ex in sample]
    # Stratified on the first labelling only, the pairs would drift.
    by_kind = stratified_sample(examples, 54, seed=3)
    assert set(Counter((ex.labels["kind"], ex.labels["project"]) for ex in by_kind).values()) != {6}


# -- running -------------------------------------------------------------------------------


def _fakes(monkeypatch: pytest.MonkeyPatch, llm: FakeLLM) -> None:
    from corral.engine import pipeline

    monkeypatch.setattr(pipeline, "model_provider", lambda *a, **kw: LazyModel("fake", lambda: llm))
    monkeypatch.setattr(pipeline, "embedder_provider", lambda *a, **kw: _word_embedder())


def _label_by_kind(text: str) -> str:
    return next(kind for kind, words in KINDS.items() if words.split()[0] in text)


def test_every_criterion_runs_on_the_same_items_and_reports_its_own_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _multi_jsonl(tmp_path)
    llm = BenchLLM(label_for=_label_by_kind)
    _fakes(monkeypatch, llm)
    out = tmp_path / "result.json"
    project = tmp_path / "bench.corral"
    code = cli.main(["bench", str(path), "--sample", "0", "--upper-bound-sample", "12",
                     "--project", str(project), "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert list(result["criteria"]) == ["kind", "project"] and result["items"] == 36
    kind, proj = result["criteria"]["kind"], result["criteria"]["project"]
    assert (kind["k_true"], proj["k_true"]) == (3, 3) and kind["items"] == proj["items"] == 36
    assert kind["criterion"] == "what kind of document is this"
    # The criterion-blind reference is scored against each criterion's own truth: the
    # project-heavy word vectors find the projects and miss the kinds.
    assert proj["baseline_kmeans"]["acc"] == 1.0 and kind["baseline_kmeans"]["acc"] < 0.7
    assert set(kind["stages"]) >= {"describe", "propose", "cluster+name"} and result["model_speed"]["prompt_tokens_per_s"] == 100.0
    assert proj["upper_bound"]["items"] == 12
    # One project holds both runs: the items were stored once.
    with Project.open(project, create=False) as p:
        assert len(p.items()) == 36
    table = capsys.readouterr().out
    assert "36 items (the same for every criterion)" in table
    assert '"which project is this for"' in table
    rows = {line.split()[0]: line for line in table.splitlines() if line.startswith(("kind ", "project "))}
    assert rows["kind"].split()[1:3] == ["3", str(kind["k_found"])]
    assert f"{proj['baseline_kmeans']['acc']:5.3f}" in rows["project"].split("|")[1]
    assert f"{kind['acc']:5.3f}" in rows["kind"].split("|")[0]


def test_criteria_picks_and_rewords_one_criterion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _multi_jsonl(tmp_path)
    _fakes(monkeypatch, BenchLLM(label_for=_label_by_kind))
    out = tmp_path / "r.json"
    assert cli.main(["bench", str(path), "--sample", "0", "--no-upper-bound", "--criteria", "project",
                     "--criterion", "which event", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert list(result["criteria"]) == ["project"]
    assert result["criteria"]["project"]["criterion"] == "which event"
    assert result["criteria"]["project"]["upper_bound"] is None
    assert cli.main(["bench", str(path), "--criteria", "colour"]) == 1
    assert "no criterion 'colour' (it has: kind, project)" in capsys.readouterr().err
    assert cli.main(["bench", str(path), "--criterion", "x"]) == 1
    assert "--criteria KEY" in capsys.readouterr().err


@pytest.mark.model  # the image classifier, through the pipeline
def test_image_folders_run_each_criterion_on_the_same_pictures(tmp_path: Path) -> None:
    folder = _image_folder(tmp_path / "pics")
    llm = BenchLLM(label_for=lambda text: "thing")
    result = run_bench_multi(folder, model=LazyModel("fake", lambda: llm), model_name="fake",
                             sample=None, upper_bound=False, embedder=None, k="true",
                             project_path=tmp_path / "b.corral")
    assert [r["k_true"] for r in result["criteria"].values()] == [3, 2]
    assert all(r["items"] == 12 for r in result["criteria"].values())
    assert result["stratified_on"] == ["object", "trip"] and llm.closed


def test_the_single_criterion_form_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "single.jsonl"
    rows = [{"input": f"{words} item {i}", "label": kind} for kind, words in KINDS.items() for i in range(5)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _fakes(monkeypatch, BenchLLM(label_for=_label_by_kind))
    out = tmp_path / "r.json"
    assert cli.main(["bench", str(path), "--criterion", "kind", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert "criteria" not in result and result["k_true"] == 3 and result["items"] == 15
    assert result["criterion"] == "kind" and 0 < result["acc"] <= 1 and result["k_found"] <= 3
    assert result["upper_bound"]["items"] == 15 and result["baseline_kmeans"]["acc"] == 1.0
    text = capsys.readouterr().out
    assert "single: 15 items, seed 0" in text and "K true 3" in text
    assert "k-means (MiniLM, true K)" in text and "known labels (same LLM)" in text
    assert cli.main(["bench", str(path), "--criteria", "kind"]) == 2


def test_steer_values_reports_the_values_the_choices_and_the_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--steer values` (stages/taxonomy.py) through the CLI: no free label per item, a
    values call, a choice per item, and the steering's weights in the JSON."""
    path = _multi_jsonl(tmp_path)
    llm = BenchLLM(label_for=_label_by_kind, choose_for=lambda text, options: next(
        (i for i, o in enumerate(options) if o == _label_by_kind(text)), 0))
    _fakes(monkeypatch, llm)
    out = tmp_path / "result.json"
    code = cli.main(["bench", str(path), "--sample", "0", "--no-upper-bound", "--criteria", "kind",
                     "--steer", "values", "--project", str(tmp_path / "b.corral"), "--json", str(out)])
    assert code == 0
    kind = json.loads(out.read_text())["criteria"]["kind"]
    assert {"values", "choose", "cluster+name"} <= set(kind["stages"]) and "propose" not in kind["stages"]
    steering = kind["steering"]
    assert sorted(steering["values"]) == sorted(KINDS) and steering["used"] == 3
    assert steering["agreement"] < 0.2 and steering["text"] == 0.25  # the words carry projects
    assert kind["acc"] == 1.0 and kind["baseline_kmeans"]["acc"] < 0.7
    assert llm.calls.count("values") == 1


def test_the_bench_examples_are_the_sample_each_bench_run_draws(tmp_path: Path) -> None:
    """The offline replays (packaging/ablate_*.py) read the items in the bench's order."""
    from corral.engine.bench import (
        bench_examples,
        load_dataset,
        load_multi_dataset,
        multi_sample,
        stratified_sample,
    )

    single = tmp_path / "one.jsonl"
    single.write_text("".join(json.dumps({"input": f"text {i}", "label": "ab"[i % 2]}) + "\n" for i in range(40)))
    assert ([e.text for e in bench_examples(single, 10, 1)]
            == [e.text for e in stratified_sample(load_dataset(single), 10, 1)])

    multi = Path(__file__).resolve().parents[1] / "resources" / "bench" / "club_docs.jsonl"
    drawn = bench_examples(multi, 60, 3)
    assert [e.text for e in drawn] == [e.text for e in multi_sample(load_multi_dataset(multi)[0], 60, 3)]
    assert len(drawn) == 60 and all(set(e.labels) == {"kind", "group"} for e in drawn)


def test_a_bench_folder_reads_its_files_as_the_folders_scan_does(tmp_path: Path) -> None:
    """A bench folder's files go the way a scanned folder's do (ingest): a picture of a page,
    where OCR is on, becomes a document holding its text; a photo stays a picture; a text
    file and a saved e-mail are documents (a folder of photos and papers together); a file
    the scan would skip is refused, saying why."""
    from PIL import Image

    from tests.test_ingest import LETTER, page_picture

    folder = tmp_path / "pics"
    folder.mkdir()
    page_picture(LETTER).save(folder / "letter.jpg")
    Image.new("RGB", (900, 700), (30, 120, 60)).save(folder / "lawn.jpg")
    (folder / "hotel.txt").write_text("Booking confirmation\nCheck-in: 2 April 2023, Kyoto")
    (folder / "hello.eml").write_text("From: a@example.org\nSubject: Greetings from Lisbon\n\nWe made it!\n")
    names = ("letter.jpg", "lawn.jpg", "hotel.txt", "hello.eml")
    examples = [bench.Example(text="", label="x", path=folder / name) for name in names]
    read: list[tuple[int, int]] = []

    def reader(picture: Image.Image) -> tuple[list[str], float]:
        read.append(picture.size)
        return LETTER, 0.016

    with Project.open(tmp_path / "b.corral") as project:
        ids = bench._load_items(project, examples, reader)
        letter, lawn, hotel, mail = (project.item(i) for i in ids)
        assert [x.kind for x in (letter, lawn, hotel, mail)] == ["document", "image", "document", "document"]
        assert (letter.mime, hotel.mime, mail.mime) == ("image/jpeg", "text/plain", "message/rfc822")
        assert read == [(1240, 1754)]
        stored = project.get_extract(letter.content_hash)
        assert stored is not None and stored["text"].startswith("Riverside Dental Practice\n12 Mill Lane")
        assert project.get_extract(mail.content_hash)["text"].endswith("Subject: Greetings from Lisbon\n\nWe made it!")
        assert bench._load_items(project, examples, None) == ids  # without OCR: read before, kept
        assert project.item(ids[0]).kind == "document" and read == [(1240, 1754)]
    with Project.open(tmp_path / "c.corral") as project:
        assert [project.item(i).kind for i in bench._load_items(project, examples, None)][:2] == ["image", "image"]
        (folder / "empty.txt").write_bytes(b"")
        with pytest.raises(ValueError, match="empty.txt: empty document"):
            bench._load_items(project, [bench.Example(text="", label="x", path=folder / "empty.txt")])


def test_a_mixed_folder_reports_the_documents_and_the_pictures_apart() -> None:
    """Documents and pictures in one folder: each kind's share in the group matched to its
    class, under the whole run's one matching; nothing for a folder of one kind."""
    true = ["kyoto"] * 4 + ["lisbon"] * 4
    pred = [0, 0, 0, 1, 1, 1, 1, 0]
    kinds = ["picture", "picture", "document", "document", "picture", "picture", "document", "document"]
    assert bench.hungarian_acc(true, pred) == 0.75
    assert bench.acc_by_kind(true, pred, kinds) == {"document": {"items": 4, "acc": 0.5},
                                                    "picture": {"items": 4, "acc": 1.0}}
    assert bench.acc_by_kind(true, pred, ["picture"] * 8) == {}
    assert bench.hungarian_acc(["a", "a", "b"], [0, 1, 2]) == 2 / 3  # a cluster without a class is wrong
