"""`corral bench`: clustering quality and speed on data labelled by others.

The real pipeline runs on a stratified sample; labels are never shown to the model (except
the fraction of true label names given as examples, seed 000's setting, default 0). Reported
in the same run:

* ACC (Hungarian matching on the rectangular confusion table: extra or missing clusters
  count as errors), NMI, ARI, clusters found and the true number;
* k-means on sentence embeddings with the true K (mean of 5 seeds) -- the reference a small
  LLM has to beat;
* the known-labels upper bound: the same model assigning each item to the true names;
* seconds and items per minute per stage, and the model's raw tokens/s measured in the run.

Data with several labellings of the same items (issue 11: one folder grouped two ways) runs
every criterion on the same sample and reports each beside its own k-means reference
(:func:`run_bench_multi`): JSON lines whose rows carry ``"labels": {key: label}`` with
``NAME.criteria.json`` next to them, or a folder (pictures, documents or both, read as a
folder's scan reads them) with ``criteria.json`` and one ``labels_<key>.csv`` per criterion.
A criteria file maps each key to ``{"criterion": TEXT, "k": K}`` (K optional; when given it
must be the number of labels).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import platform
import random
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from . import extract
from .describers.ocr import OcrDescriber
from .jobs import CancelToken, ProgressCallback, ProgressEvent, no_progress
from .pipeline import closing_models, run_stages
from .stages.assign import assign_items
from .stages.base import LazyEmbedder, LazyModel, Settings, StageContext
from .stages.cluster import description_vectors
from .stages.describe import describe_items
from .store import Project


@dataclass
class Example:
    text: str
    label: str
    path: Path | None = None  # for image datasets
    labels: dict[str, str] = field(default_factory=dict)  # every labelling (multi-criteria sets)


@dataclass(frozen=True)
class CriterionSpec:
    key: str  # the labelling: "kind", "project", "trip"...
    criterion: str  # what the user would type
    k: int | None = None  # the number of labels, when the criteria file says it


def criteria_path(path: Path) -> Path:
    """Where a dataset's criteria are: ``criteria.json`` in a folder, ``NAME.criteria.json``
    next to ``NAME.jsonl``."""
    path = Path(path)
    if path.is_dir():
        return path / "criteria.json"
    return path.with_name(path.name.removesuffix(".jsonl") + ".criteria.json")


def is_multi_criteria(path: Path) -> bool:
    """Whether ``path`` is a dataset with several labellings (it has a criteria file)."""
    return criteria_path(path).is_file()


def load_criteria(path: Path) -> list[CriterionSpec]:
    """The criteria file of a dataset, in its order."""
    spec_path = criteria_path(path)
    try:
        raw = json.loads(spec_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path} has no criteria file ({spec_path.name})") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{spec_path} is not valid JSON: {exc}") from None
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{spec_path} must map each label key to its criterion")
    specs = []
    for key, value in raw.items():
        if isinstance(value, str):
            value = {"criterion": value}
        if not isinstance(value, dict) or not str(value.get("criterion") or "").strip():
            raise ValueError(f"{spec_path}: {key!r} needs a \"criterion\"")
        k = value.get("k")
        if k is not None and (not isinstance(k, int) or k < 1):
            raise ValueError(f"{spec_path}: {key!r} has k={k!r}; it must be a positive number")
        specs.append(CriterionSpec(str(key), str(value["criterion"]).strip(), k))
    return specs


def _label_table(table: Path) -> dict[str, str]:
    with open(table, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ValueError(f"{table} holds no rows")
    name_col = next((c for c in rows[0] if c.lower() in {"file", "filename", "name", "path", "image"}), None)
    if name_col is None or "label" not in rows[0]:
        raise ValueError(f"{table} needs a file column and a label column")
    return {r[name_col]: r["label"] for r in rows}


def write_multi_dataset(rows: list[dict], criteria: dict, out: Path) -> Path:
    """``rows`` ({"input", "labels": {KEY: label}, ...}) as JSON lines at ``out`` and
    ``criteria`` (KEY -> {"criterion", "k"}) beside it as ``NAME.criteria.json``: what
    :func:`load_multi_dataset` reads, the same bytes for the same rows (the generators in
    packaging/ write their committed sets with it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.with_name(out.name.removesuffix(".jsonl") + ".criteria.json").write_text(
        json.dumps(criteria, indent=2) + "\n", encoding="utf-8")
    return out


def generator_main(argv: list[str] | None, doc: str | None, write: Callable[[Path, int, int], Path],
                   n: int, seed: int, out: Path) -> int:
    """The command line of a set generator in packaging/ (``--n``, ``--seed``, ``--out``):
    ``write(out, n, seed)`` writes the set (with :func:`write_multi_dataset`)."""
    import argparse

    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=n)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args(argv)
    path = write(args.out, args.n, args.seed)
    print(f"wrote {path} and {path.name.removesuffix('.jsonl')}.criteria.json")
    return 0


def load_multi_dataset(path: Path) -> tuple[list[Example], list[CriterionSpec]]:
    """The items of a multi-criteria dataset, each with all its labels (``Example.labels``;
    ``Example.label`` is the first criterion's), and its criteria."""
    path = Path(path)
    specs = load_criteria(path)
    keys = [s.key for s in specs]
    examples: list[Example] = []
    if path.is_dir():
        tables = {}
        for key in keys:
            table = path / f"labels_{key}.csv"
            if not table.is_file():
                raise ValueError(f"{path} has criterion {key!r} but no {table.name}")
            tables[key] = _label_table(table)
        for name in tables[keys[0]]:
            missing = [key for key in keys if name not in tables[key]]
            if missing:
                raise ValueError(f"{name} has no label in labels_{missing[0]}.csv")
            labels = {key: tables[key][name] for key in keys}
            examples.append(Example(text="", label=labels[keys[0]], path=path / name, labels=labels))
    else:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                given = row.get("labels")
                if not isinstance(given, dict) or any(key not in given for key in keys):
                    raise ValueError(f"{path}, line {n}: \"labels\" must give a label for each of {keys}")
                labels = {key: str(given[key]) for key in keys}
                examples.append(Example(text=str(row["input"]), label=labels[keys[0]], labels=labels))
    if not examples:
        raise ValueError(f"{path} holds no examples")
    for spec in specs:
        found = len({ex.labels[spec.key] for ex in examples})
        if spec.k is not None and spec.k != found:
            raise ValueError(f"{criteria_path(path).name} says {spec.key!r} has k={spec.k}, "
                             f"but the data has {found} labels")
    return examples, specs


def joint_label(ex: Example) -> str:
    """All of an item's labels as one stratum (so every labelling keeps its proportions)."""
    return "\x1f".join(f"{key}={label}" for key, label in ex.labels.items())


def load_dataset(path: Path) -> list[Example]:
    """JSON lines with "input" and "label", or a folder of files (pictures, documents) with labels.csv."""
    path = Path(path)
    if path.is_dir():
        table = path / "labels.csv"
        if not table.exists():
            raise ValueError(f"{path} is a folder without labels.csv")
        with open(table, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        name_col = next(c for c in rows[0] if c.lower() in {"file", "filename", "name", "path", "image"})
        return [Example(text="", label=r["label"], path=path / r[name_col]) for r in rows]
    examples = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if "label" not in row and isinstance(row.get("labels"), dict):
                    raise ValueError(f"{path} has several labellings (\"labels\"); give their criteria "
                                     f"in {criteria_path(path).name} to bench them")
                examples.append(Example(text=str(row["input"]), label=str(row["label"])))
    if not examples:
        raise ValueError(f"{path} holds no examples")
    return examples


def stratified_sample(
    examples: list[Example], n: int | None, seed: int, key: Callable[[Example], str] | None = None
) -> list[Example]:
    """About n items with every class (``key``: the label) in proportion, each at least once."""
    if not n or n >= len(examples):
        out = list(examples)
        random.Random(seed).shuffle(out)
        return out
    rng = random.Random(seed)
    by_label: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_label[key(ex) if key else ex.label].append(ex)
    total = len(examples)
    quotas = {lab: max(1, round(n * len(items) / total)) for lab, items in by_label.items()}
    while sum(quotas.values()) > n:  # trim rounding overshoot from the largest classes
        quotas[max(quotas, key=lambda lab: quotas[lab])] -= 1
    picked = [ex for lab, items in sorted(by_label.items()) for ex in rng.sample(items, min(quotas[lab], len(items)))]
    rng.shuffle(picked)
    return picked


def hungarian_match(true: list[str], pred: list[Any]) -> dict[Any, str]:
    """Best one-to-one matching of clusters to classes on the rectangular table (a cluster
    left without a class is missing)."""
    classes = sorted(set(true))
    clusters = sorted(set(pred), key=str)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    ci = {c: i for i, c in enumerate(clusters)}
    ti = {t: i for i, t in enumerate(classes)}
    for t, p in zip(true, pred, strict=True):
        table[ci[p], ti[t]] += 1
    rows, cols = linear_sum_assignment(-table)
    return {clusters[r]: classes[c] for r, c in zip(rows, cols, strict=True)}


def hungarian_acc(true: list[str], pred: list[Any]) -> float:
    """The share of items whose cluster is matched to their class (``hungarian_match``)."""
    match = hungarian_match(true, pred)
    return sum(match.get(p) == t for t, p in zip(true, pred, strict=True)) / len(true)


def acc_by_kind(true: list[str], pred: list[Any], kinds: list[str]) -> dict[str, dict[str, float | int]]:
    """In a folder of documents and pictures together, the share of each kind's items in
    the group matched to their class, under the one matching of the whole run (are the
    tickets with their trip's photos?); {} where all items are of one kind."""
    if len(set(kinds)) < 2:
        return {}
    match = hungarian_match(true, pred)
    out: dict[str, dict[str, float | int]] = {}
    for kind in sorted(set(kinds)):
        rows = [(t, p) for t, p, k in zip(true, pred, kinds, strict=True) if k == kind]
        out[kind] = {"items": len(rows), "acc": round(sum(match.get(p) == t for t, p in rows) / len(rows), 4)}
    return out


def metrics(true: list[str], pred: list[Any]) -> dict[str, float]:
    return {
        "acc": round(hungarian_acc(true, pred), 4),
        "nmi": round(float(normalized_mutual_info_score(true, [str(p) for p in pred])), 4),
        "ari": round(float(adjusted_rand_score(true, [str(p) for p in pred])), 4),
    }


def kmeans_baseline(
    texts: list[str], true: list[str], k: int, embed: Callable[[list[str]], np.ndarray], seeds: int = 5
) -> dict[str, float]:
    from sklearn.cluster import KMeans

    vectors = description_vectors(texts, embed)
    runs = [
        metrics(true, KMeans(n_clusters=k, n_init=10, random_state=s).fit_predict(vectors).tolist())
        for s in range(seeds)
    ]
    return {key: round(float(np.mean([r[key] for r in runs])), 4) for key in ("acc", "nmi", "ari")}


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).parent, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def _read_file(path: Path, data: bytes, read_page: extract.ReadPage | None,
               read_before: bool) -> tuple[str, str, extract.Extracted | None]:
    """A folder dataset's file as a folder's scan reads it: (kind, MIME type, its text, None
    where ``read_before`` or none): a document's text, a picture's only where it is a page
    (``extract.read_page_picture``, with ``read_page``). Raises ValueError for a file the
    scan would skip."""
    fh = io.BytesIO(data)
    sniffed = extract.sniff(data[:extract.HEAD_BYTES], path.name, fh)
    if sniffed.kind is None:
        raise ValueError(f"{path}: {sniffed.reason}")
    if read_before:
        return "document", sniffed.mime, None
    try:
        text = extract.read(sniffed, fh, size=len(data), max_chars=200_000, read_page=read_page)
    except extract.Skip as skip:
        raise ValueError(f"{path}: {skip.reason}") from None
    return sniffed.item_kind if text is None else "document", sniffed.mime, text


def _load_items(project: Project, sample: list[Example], read_page: extract.ReadPage | None = None) -> list[int]:
    """The sample's items in ``project``: texts as documents; a folder's files as its scan
    reads them (``_read_file``): documents, pictures, and with ``read_page`` (OCR) pictures
    of pages as documents."""
    ids = []
    with project.transaction():
        for i, ex in enumerate(sample):
            if ex.path is not None:
                data = ex.path.read_bytes()
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                kind, mime, text = _read_file(ex.path, data, read_page, project.get_extract(digest) is not None)
                if text is not None:
                    project.put_extract(digest, text.text, text.extractor, text.meta)
                ids.append(project.upsert_item(
                    path=ex.path.name, raw_path=os.fsencode(ex.path.resolve()), kind=kind,
                    mime=mime, size=len(data), mtime=0.0, content_hash=digest, status="ok", reason=""))
                continue
            digest = "sha256:" + hashlib.sha256(ex.text.encode("utf-8")).hexdigest()
            ids.append(project.upsert_item(path=f"item{i:05d}", raw_path=f"item{i:05d}".encode(),
                                           kind="document", mime="text/plain", size=len(ex.text),
                                           mtime=0.0, content_hash=digest, status="ok", reason=""))
            if project.get_extract(digest) is None:
                project.put_extract(digest, ex.text, "bench", {})
    return ids


def _model_speed(model: LazyModel) -> dict[str, float]:
    measured = model.get().measure_speed()
    return {"prompt_tokens_per_s": round(measured.prompt_tokens_per_s, 1),
            "generate_tokens_per_s": round(measured.generate_tokens_per_s, 1)}


def bench_criterion(
    project: Project,
    examples: list[Example],
    true: list[str],
    *,
    model: LazyModel,
    settings: Settings,
    k: int | str | None = None,
    seed: int = 0,
    given_labels: float = 0.0,
    embedder: LazyEmbedder | None = None,
    upper_bound: bool = True,
    upper_bound_sample: int | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """One criterion (``settings.criterion``) on one sample in an open project: the pipeline's
    grouping scored against ``true``, the known-labels upper bound and the k-means reference
    at the true K. ``k`` (a number, "true" or "auto"/None) and the example labels of
    ``given_labels`` replace the settings' own. Loads the model and embedder when needed and
    leaves them loaded (the caller closes them)."""
    cancel = cancel or CancelToken()
    classes = sorted(set(true))
    k_true = len(classes)
    k_used = None if k in (None, "auto") else int(k if k != "true" else k_true)
    rng = random.Random(seed)
    seed_labels = sorted(rng.sample(classes, round(given_labels * k_true))) if given_labels else []
    settings = replace(settings, k=k_used, seed_labels=seed_labels)
    stats: dict[str, Any] = {"seconds": {}}
    ocr = OcrDescriber() if settings.ocr and any(ex.path is not None for ex in examples) else None
    try:
        ids = _load_items(project, examples, ocr.read_page if ocr is not None else None)
    finally:
        if ocr is not None:
            ocr.close()
    ctx = StageContext(project, model, settings, progress, cancel, stats)
    t = time.perf_counter()
    items = [project.item(i) for i in ids]
    described, _ = describe_items(ctx, items)
    stats["seconds"]["describe"] = time.perf_counter() - t
    missing = [i for i in ids if i not in described]
    if missing:
        raise ValueError(f"{len(missing)} items could not be described (first: item {missing[0]})")
    ordered = [(i, project.item(i).content_hash, described[i]) for i in ids]
    started = time.perf_counter()
    names, assignments, counts = run_stages(project, ordered, settings, model, progress, cancel,
                                            stats, embedder)
    seconds = time.perf_counter() - started
    pred = [assignments[i].group_idx for i in ids]
    result: dict[str, Any] = {
        **metrics(true, pred),
        "by_kind": acc_by_kind(true, pred, ["picture" if item.kind == "image" else "document" for item in items]),
        "k_found": len(set(pred)),
        "k_names": len(names),
        "k_true": k_true,
        "items": len(examples),
        "seconds": round(seconds, 1),
        "names": names,
        "raw_labels": len(counts),
        "unsure": sum(a.unsure for a in assignments.values()),
        "method": stats.get("method"),
        "auto_k": stats.get("auto_k"),  # how automatic K decided (None with K given)
        "steering": stats.get("steering"),  # the criterion's values, choices, arbitration
        "blocks": stats.get("blocks"),  # each block's agreement and weight in the geometry
        "text_check": stats.get("text_check"),  # does the text carry the criterion (relevance.py)
        "form": stats.get("form"),  # did the documents' form lead (form.py)
        "vocabulary": stats.get("vocabulary"),  # the names each file chose among (vocabulary.py)
        "answer_words": stats.get("answer_words"),  # the answers' words beside the text (form.py)
        "sampled": stats.get("sampled"),  # --llm-sample: files placed by neighbours, read by the model
    }
    if upper_bound:
        n_ub = upper_bound_sample or len(ordered)
        ub_ctx = StageContext(project, model, Settings(criterion=settings.criterion, k=k_true),
                              progress, cancel, {})
        ub = assign_items(ub_ctx, classes, ordered[:n_ub])
        result["upper_bound"] = {
            **metrics(true[:n_ub], [classes[ub[i].group_idx] for i in ids[:n_ub]]),
            "items": n_ub,
        }
    else:
        result["upper_bound"] = None
    if embedder is not None:
        t = time.perf_counter()
        # The reference embeds what the pipeline reads: the text, or an image's description.
        texts = [ex.text or described[i] for ex, i in zip(examples, ids, strict=True)]
        result["baseline_kmeans"] = kmeans_baseline(texts, true, k_true, embedder.embed)
        result["baseline_kmeans"]["seconds"] = round(time.perf_counter() - t, 1)
    else:
        result["baseline_kmeans"] = None
    per_stage = {}
    for stage, secs in stats["seconds"].items():
        once = stage in ("merge", "values")  # one call for the run, not one per item
        per_stage[stage] = {"seconds": round(secs, 2),
                            "items_per_min": round(len(examples) / secs * 60, 1) if secs > 0 and not once else None}
    result.update({"given_labels": given_labels, "criterion": settings.criterion, "stages": per_stage})
    return result


def _run_info(model_name: str, sample: list[Example], seed: int, dataset: Path, speed: dict[str, float]) -> dict[str, Any]:
    return {
        "model": model_name,
        "sample": len(sample),
        "seed": seed,
        "model_speed": speed,
        "dataset": str(dataset),
        "commit": _commit(),
        "machine": machine(),
    }


def run_bench(
    dataset: Path,
    *,
    model: LazyModel,
    model_name: str,
    settings: Settings | None = None,
    sample: int | None = 500,
    seed: int = 0,
    k: int | str | None = None,
    given_labels: float = 0.0,
    project_path: Path | None = None,
    embedder: LazyEmbedder | None = None,
    upper_bound: bool = True,
    upper_bound_sample: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """One criterion on a dataset with one label per item (``labels.csv`` or ``"label"``).

    ``settings``: the run's (engine/request.py's ``run_settings``; default: Settings' defaults
    and the criterion "topic"). Without ``project_path`` the project is a temporary file."""
    settings = settings or Settings(criterion="topic")
    examples = stratified_sample(load_dataset(dataset), sample, seed)
    true = [ex.label for ex in examples]
    tmp = None
    if project_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="corral-bench-")
        project_path = Path(tmp.name) / "bench.corral"
    try:
        with closing_models(model, embedder), Project.open(project_path) as project:
            speed = _model_speed(model)
            result = bench_criterion(
                project, examples, true, model=model, settings=settings, k=k, seed=seed,
                given_labels=given_labels, embedder=embedder, upper_bound=upper_bound,
                upper_bound_sample=upper_bound_sample, progress=progress or no_progress,
                cancel=cancel)
    finally:
        if tmp is not None:
            tmp.cleanup()
    result.update(_run_info(model_name, examples, seed, dataset, speed))
    return result


def multi_sample(examples: list[Example], n: int | None, seed: int) -> list[Example]:
    """The one sample every criterion sees: stratified on the joint labels of all criteria."""
    return stratified_sample(examples, n, seed, key=joint_label)


def bench_examples(dataset: Path, sample: int | None, seed: int) -> list[Example]:
    """The items a bench run of ``dataset`` holds, in its order: the sample ``run_bench_multi``
    draws for a set with several criteria, else the one ``run_bench`` draws. For the offline
    replays of a bench run (packaging/ablate_*.py)."""
    dataset = Path(dataset)
    if is_multi_criteria(dataset):
        return multi_sample(load_multi_dataset(dataset)[0], sample, seed)
    return stratified_sample(load_dataset(dataset), sample, seed)


def _tagged(progress: ProgressCallback, key: str) -> ProgressCallback:
    """Progress events renamed "KEY stage", so each criterion's stages are told apart."""
    def forward(event: ProgressEvent) -> None:
        progress(replace(event, stage=f"{key} {event.stage}"))
    return forward


def run_bench_multi(
    dataset: Path,
    *,
    model: LazyModel,
    model_name: str,
    settings: Settings | None = None,
    criteria: list[str] | None = None,
    sample: int | None = 500,
    seed: int = 0,
    k: int | str | None = "true",
    given_labels: float = 0.0,
    project_path: Path | None = None,
    embedder: LazyEmbedder | None = None,
    upper_bound: bool = True,
    upper_bound_sample: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Every criterion of a multi-criteria dataset (or those named in ``criteria``) on the
    same sample, in one project so that what does not depend on the criterion (pictures'
    descriptions, short texts) is worked out once. Each criterion's text replaces
    ``settings.criterion``; a ``settings.criterion`` that is not empty rewords the one
    criterion picked. ``k``: "true" (each criterion's own K), "auto", or one number for all."""
    settings = settings or Settings(criterion="")
    criterion = settings.criterion.strip()
    examples, specs = load_multi_dataset(dataset)
    by_key = {s.key: s for s in specs}
    if criteria:
        unknown = [key for key in criteria if key not in by_key]
        if unknown:
            raise ValueError(f"{dataset} has no criterion {unknown[0]!r} (it has: {', '.join(by_key)})")
        specs = [by_key[key] for key in dict.fromkeys(criteria)]
    if criterion:
        if len(specs) != 1:
            raise ValueError("--criterion rewords one criterion: pick it with --criteria KEY")
        specs = [replace(specs[0], criterion=criterion)]
    chosen = multi_sample(examples, sample, seed)
    progress = progress or no_progress
    tmp = None
    if project_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="corral-bench-")
        project_path = Path(tmp.name) / "bench.corral"
    results: dict[str, Any] = {}
    try:
        with closing_models(model, embedder), Project.open(project_path) as project:
            speed = _model_speed(model)
            for spec in specs:
                true = [ex.labels[spec.key] for ex in chosen]
                results[spec.key] = bench_criterion(
                    project, chosen, true, model=model,
                    settings=replace(settings, criterion=spec.criterion), k=k, seed=seed,
                    given_labels=given_labels, embedder=embedder, upper_bound=upper_bound,
                    upper_bound_sample=upper_bound_sample, progress=_tagged(progress, spec.key),
                    cancel=cancel)
    finally:
        if tmp is not None:
            tmp.cleanup()
    return {
        "criteria": results,
        "items": len(chosen),
        "stratified_on": list(examples[0].labels),
        **_run_info(model_name, chosen, seed, dataset, speed),
    }
