"""Offline ablation: cluster quality of text vs text+label embeddings, from a bench project.

Usage: python packaging/ablate_label_weight.py BENCH.corral DATASET.jsonl SAMPLE MODEL_ID CRITERION
after `corral bench DATASET --sample SAMPLE --project BENCH.corral`. It reads the labels the
propose stage wrote to the project's cache (no model calls) and prints ACC/NMI/ARI of k-means
on several vector mixes; docs/benchmarks.md records what it printed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from collections import Counter

import numpy as np
from sklearn.cluster import KMeans

from corral.engine import prompts
from corral.engine.bench import load_dataset, metrics, stratified_sample
from corral.engine.stages.labels import count_labels
from corral.engine.stages.propose import MAX_CARRIED, PROPOSE_ITEM_CHARS
from corral.models.embeddings import Embedder
from corral.models.store import ModelStore


def cache_key(model_id: str, payload: dict[str, object]) -> str:
    blob = json.dumps({"stage": "propose", "v": prompts.VERSIONS["propose"], "model": model_id,
                       "in": payload, "embed": None}, sort_keys=True, ensure_ascii=False)
    return "propose:" + hashlib.sha256(blob.encode()).hexdigest()


def labels_from_cache(con: sqlite3.Connection, texts: list[str], model_id: str, criterion: str) -> list[str]:
    """Replays the propose stage's order (batches of 10, carried labels) to find each key."""
    labels: list[str] = []
    seen: Counter[str] = Counter()
    texts = [" ".join(text.split()) for text in texts]  # as the describe stage stores them
    for start in range(0, len(texts), 10):
        known = [label for label, _ in seen.most_common(MAX_CARRIED)]
        found = []
        for text in texts[start : start + 10]:
            key = cache_key(model_id, {"criterion": criterion, "known": known, "text": text[:PROPOSE_ITEM_CHARS]})
            row = con.execute("select value from cache where key = ?", [key]).fetchone()
            if row is None:
                raise SystemExit(f"no cached label for {text!r}: run corral bench first")
            found.append(json.loads(row[0]))
        labels += found
        seen.update(count_labels(found))
    return labels


def main() -> None:
    project, dataset, sample, model_id, criterion = sys.argv[1:6]
    examples = stratified_sample(load_dataset(dataset), int(sample), 0)
    texts = [ex.text for ex in examples]
    true = [ex.label for ex in examples]
    labels = labels_from_cache(sqlite3.connect(project), texts, model_id, criterion)
    embedder = Embedder.load(ModelStore().resolve("minilm-l6")[0])
    text_vecs, label_vecs = embedder.embed(texts), embedder.embed(labels)
    joint = embedder.embed([f"{lab}: {text}" for lab, text in zip(labels, texts, strict=True)])
    k = len(set(true))

    def score(vectors: np.ndarray) -> dict[str, float]:
        runs = [metrics(true, KMeans(k, n_init=10, random_state=s).fit_predict(vectors).tolist()) for s in range(3)]
        return {m: round(float(np.mean([r[m] for r in runs])), 3) for m in ("acc", "nmi", "ari")}

    print("distinct labels", len(set(labels)))
    print("raw labels as clusters", metrics(true, labels))
    print("text only", score(text_vecs))
    for weight in (0.5, 0.75, 1.0, 1.5):
        mixed = np.hstack([text_vecs, weight * label_vecs])
        print(f"text + {weight} x label", score(mixed / np.linalg.norm(mixed, axis=1, keepdims=True)))
    print("'label: text'", score(joint))
    print("label only", score(label_vecs))


if __name__ == "__main__":
    main()
