"""Offline ablation: clustering algorithm x label weight on the hybrid vectors, from a bench project.

Usage: python packaging/ablate_clustering.py BENCH.corral DATASET.jsonl SAMPLE MODEL_ID CRITERION [WEIGHTS]
after `corral bench DATASET --sample SAMPLE --project BENCH.corral`. Reads the cached labels
(no model calls), builds the vectors as the pipeline does (`item_vectors`), and prints
ACC/NMI/ARI (mean of 3 seeds) of k-means and of spectral clustering on the 15-nearest-
neighbour graph, for each label weight (default 0,0.25,0.5,1). docs/benchmarks.md records
what it printed.
"""

from __future__ import annotations

import sqlite3
import sys
import warnings

import numpy as np
from ablate_label_weight import labels_from_cache
from sklearn.cluster import KMeans, SpectralClustering

from corral.engine.bench import load_dataset, metrics, stratified_sample
from corral.engine.stages.cluster import item_vectors
from corral.models.embeddings import Embedder
from corral.models.store import ModelStore


def main() -> None:
    project, dataset, sample, model_id, criterion = sys.argv[1:6]
    weights = [float(w) for w in (sys.argv[6] if len(sys.argv) > 6 else "0,0.25,0.5,1").split(",")]
    examples = stratified_sample(load_dataset(dataset), int(sample), 0)
    texts = [" ".join(ex.text.split()) for ex in examples]
    true = [ex.label for ex in examples]
    k = len(set(true))
    labels = labels_from_cache(sqlite3.connect(project), texts, model_id, criterion)
    embedder = Embedder.load(ModelStore().resolve("minilm-l6")[0])
    warnings.filterwarnings("ignore")

    def score(fit) -> dict[str, float]:  # noqa: ANN001 - a seed -> labels function
        runs = [metrics(true, fit(s).tolist()) for s in range(3)]
        return {m: round(float(np.mean([r[m] for r in runs])), 3) for m in ("acc", "nmi", "ari")}

    for w in weights:
        v = item_vectors(texts, labels, embedder.embed, w)
        print(f"label weight {w}: k-means", score(lambda s, v=v: KMeans(k, n_init=10, random_state=s).fit_predict(v)))
        print(f"label weight {w}: spectral 15-NN", score(lambda s, v=v: SpectralClustering(
            k, affinity="nearest_neighbors", n_neighbors=15, assign_labels="cluster_qr",
            random_state=s).fit_predict(v)))


if __name__ == "__main__":
    main()
