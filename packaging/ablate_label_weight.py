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

import numpy as np
from sklearn.cluster import KMeans

from corral.engine import prompts
from corral.engine.bench import load_dataset, metrics, stratified_sample
from corral.engine.stages.propose import answer_payload
from corral.models.embeddings import Embedder
from corral.models.store import ModelStore


def cache_key(model_id: str, payload: dict[str, object]) -> str:
    """stages/base.StageContext.cache_key for the propose stage's question (stage "answer")."""
    blob = json.dumps({"stage": "answer", "v": prompts.VERSIONS["answer"], "model": model_id,
                       "in": payload, "embed": None}, sort_keys=True, ensure_ascii=False)
    return "answer:" + hashlib.sha256(blob.encode()).hexdigest()


def labels_from_cache(con: sqlite3.Connection, texts: list[str], model_id: str, criterion: str) -> list[str]:
    """Each text's cached answer under the criterion (stages/propose.py's key)."""
    labels: list[str] = []
    for text in texts:
        text = " ".join(text.split())  # as the describe stage stores it
        key = cache_key(model_id, answer_payload(criterion, text))
        row = con.execute("select value from cache where key = ?", [key]).fetchone()
        if row is None:
            raise SystemExit(f"no cached label for {text!r}: run corral bench first")
        labels.append(json.loads(row[0]))
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
