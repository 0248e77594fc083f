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
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import random
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from .jobs import CancelToken, ProgressCallback, no_progress
from .pipeline import run_stages
from .stages.assign import assign_items
from .stages.base import LazyEmbedder, LazyModel, Settings, StageContext
from .stages.describe import describe_items
from .store import Project


@dataclass
class Example:
    text: str
    label: str
    path: Path | None = None  # for image datasets


def load_dataset(path: Path) -> list[Example]:
    """JSON lines with "input" and "label", or a folder of images with labels.csv."""
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
                examples.append(Example(text=str(row["input"]), label=str(row["label"])))
    if not examples:
        raise ValueError(f"{path} holds no examples")
    return examples


def stratified_sample(examples: list[Example], n: int | None, seed: int) -> list[Example]:
    """About n items with every class in proportion (each class at least once)."""
    if not n or n >= len(examples):
        out = list(examples)
        random.Random(seed).shuffle(out)
        return out
    rng = random.Random(seed)
    by_label: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_label[ex.label].append(ex)
    total = len(examples)
    quotas = {lab: max(1, round(n * len(items) / total)) for lab, items in by_label.items()}
    while sum(quotas.values()) > n:  # trim rounding overshoot from the largest classes
        quotas[max(quotas, key=lambda lab: quotas[lab])] -= 1
    picked = [ex for lab, items in sorted(by_label.items()) for ex in rng.sample(items, min(quotas[lab], len(items)))]
    rng.shuffle(picked)
    return picked


def hungarian_acc(true: list[str], pred: list[Any]) -> float:
    """Best one-to-one matching of clusters to classes on the rectangular table."""
    classes = sorted(set(true))
    clusters = sorted(set(pred), key=str)
    table = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    ci = {c: i for i, c in enumerate(clusters)}
    ti = {t: i for i, t in enumerate(classes)}
    for t, p in zip(true, pred, strict=True):
        table[ci[p], ti[t]] += 1
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum()) / len(true)


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

    vectors = embed(texts)
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


def _load_items(project: Project, sample: list[Example]) -> list[int]:
    ids = []
    with project.db.conn:
        for i, ex in enumerate(sample):
            if ex.path is not None:  # an image: described from its file by the image describers
                data = ex.path.read_bytes()
                ids.append(project.upsert_item(
                    path=ex.path.name, raw_path=os.fsencode(ex.path.resolve()), kind="image",
                    mime="image/*", size=len(data), mtime=0.0,
                    content_hash="sha256:" + hashlib.sha256(data).hexdigest(), status="ok", reason=""))
                continue
            digest = "sha256:" + hashlib.sha256(ex.text.encode("utf-8")).hexdigest()
            ids.append(project.upsert_item(path=f"item{i:05d}", raw_path=f"item{i:05d}".encode(),
                                           kind="document", mime="text/plain", size=len(ex.text),
                                           mtime=0.0, content_hash=digest, status="ok", reason=""))
            if project.get_extract(digest) is None:
                project.put_extract(digest, ex.text, "bench", {})
    return ids


def run_bench(
    dataset: Path,
    *,
    model: LazyModel,
    model_name: str,
    sample: int | None = 500,
    seed: int = 0,
    k: int | str | None = None,
    criterion: str | None = None,
    given_labels: float = 0.0,
    project_path: Path | None = None,
    embedder: LazyEmbedder | None = None,
    method: str = "hybrid",
    upper_bound: bool = True,
    upper_bound_sample: int | None = None,
    batch_size: int = 10,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    examples = stratified_sample(load_dataset(dataset), sample, seed)
    true = [ex.label for ex in examples]
    classes = sorted(set(true))
    k_true = len(classes)
    k_used = None if k in (None, "auto") else int(k if k != "true" else k_true)
    rng = random.Random(seed)
    seed_labels = sorted(rng.sample(classes, round(given_labels * k_true))) if given_labels else []
    settings = Settings(criterion=criterion or "topic", k=k_used, batch_size=batch_size,
                        seed_labels=seed_labels, method=method)
    tmp = None
    if project_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="corral-bench-")
        project_path = Path(tmp.name) / "bench.corral"
    stats: dict[str, Any] = {"seconds": {}}
    speed = {}
    try:
        with Project.open(project_path) as project:
            ids = _load_items(project, examples)
            ctx = StageContext(project, model, settings, progress, cancel, stats)
            llm = model.get()
            measured = llm.measure_speed()
            speed = {"prompt_tokens_per_s": round(measured.prompt_tokens_per_s, 1),
                     "generate_tokens_per_s": round(measured.generate_tokens_per_s, 1)}
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
    finally:
        model.close()
        if tmp is not None:
            tmp.cleanup()
    if embedder is not None:
        t = time.perf_counter()
        # The reference embeds what the pipeline reads: the text, or an image's description.
        texts = [ex.text or described[i] for ex, i in zip(examples, ids, strict=True)]
        result["baseline_kmeans"] = kmeans_baseline(texts, true, k_true, embedder.embed)
        result["baseline_kmeans"]["seconds"] = round(time.perf_counter() - t, 1)
        embedder.close()
    else:
        result["baseline_kmeans"] = None
    per_stage = {}
    for stage, secs in stats["seconds"].items():
        n = 1 if stage == "merge" else len(examples)
        per_stage[stage] = {"seconds": round(secs, 2),
                            "items_per_min": round(n / secs * 60, 1) if secs > 0 and stage != "merge" else None}
    result.update({
        "model": model_name,
        "sample": len(examples),
        "seed": seed,
        "given_labels": given_labels,
        "criterion": settings.criterion,
        "stages": per_stage,
        "model_speed": speed,
        "dataset": str(dataset),
        "commit": _commit(),
        "machine": machine(),
    })
    return result
