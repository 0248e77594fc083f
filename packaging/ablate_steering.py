"""Offline ablation of how the grouping weighs its blocks, from a bench project's cached answers.

Usage: python packaging/ablate_steering.py BENCH.corral DATASET [KEY] [--sample N] [--full A,B,...]

After `corral bench DATASET --project BENCH.corral` (same --sample and --seed 0), this replays
describe and propose from the project's cache (the model is never loaded: a cache miss is an
error), then clusters the items at the true K with spectral clustering the way
``cluster.criterion_vectors`` builds the vectors, for:

* the weights before issue 11 (text 1.0, labels 0.5, pictures 6.0, no moments);
* the criterion-gated weights, for each AGREEMENT_FULL in --full (default 0.25,0.5,1.0);
* labels only, and text only;

and prints each block's agreement with the label concepts and ACC/NMI/ARI (mean of 3 seeds).
docs/benchmarks.md records what it printed. KEY picks a criterion of a two-criteria set.
"""

from __future__ import annotations

import argparse
import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corral.engine.bench import (
    _load_items,
    bench_examples,
    is_multi_criteria,
    load_criteria,
    metrics,
)
from corral.engine.describers.runner import visual_vectors, when_where
from corral.engine.stages import cluster
from corral.engine.stages.autok import label_concepts
from corral.engine.stages.base import LazyModel, Settings, StageContext
from corral.engine.stages.describe import describe_items
from corral.engine.stages.propose import propose_labels
from corral.engine.store import Project
from corral.models.catalog import DEFAULT_MODEL, get_spec
from corral.models.embeddings import Embedder
from corral.models.store import ModelStore


def _no_model() -> None:
    raise SystemExit("a model answer is not in the project's cache: run `corral bench` first")


@dataclass
class Replay:
    """A bench run's items as the pipeline saw them, from its project's cache."""

    name: str
    true: list[str]
    k: int
    settings: Settings
    ctx: StageContext  # on the open project (the model raises if asked anything)
    descriptions: list[str]
    labels: list[str]
    concepts: list[int]
    label_weight: float  # the label block's weight after label_block_weight
    visual: list
    times: np.ndarray | None
    embed: Callable[[list[str]], np.ndarray]

    def score(self, vectors: np.ndarray) -> str:
        """ACC / NMI / ARI at the true K, the pipeline's partition, mean of 3 seeds."""
        runs = [metrics(self.true, cluster.partition(vectors, self.k, seed).tolist()) for seed in range(3)]
        return " / ".join(f"{np.mean([r[m] for r in runs]):.3f}" for m in ("acc", "nmi", "ari"))


def arguments(extra: Callable[[argparse.ArgumentParser], None] = lambda p: None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("project")
    parser.add_argument("dataset")
    parser.add_argument("key", nargs="?")
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--criterion")
    extra(parser)
    return parser.parse_args()


@contextlib.contextmanager
def replay(args: argparse.Namespace, **settings: float) -> Iterator[Replay]:
    """Describe and propose replayed from the project's cache for the bench's sample;
    ``settings``: Settings fields the bench ran with (``state_weight``)."""
    dataset = Path(args.dataset)
    chosen = bench_examples(dataset, args.sample or None, 0)
    if is_multi_criteria(dataset):
        specs = load_criteria(dataset)
        spec = next(s for s in specs if s.key == (args.key or specs[0].key))
        true = [ex.labels[spec.key] for ex in chosen]
        criterion = args.criterion or spec.criterion
    else:
        from corral.engine.cli import DEFAULT_CRITERIA

        true = [ex.label for ex in chosen]
        stem = dataset.stem if dataset.is_file() else dataset.name
        criterion = args.criterion or DEFAULT_CRITERIA[stem]
    k = len(set(true))
    spec_model = get_spec(DEFAULT_MODEL)
    model = LazyModel(f"{spec_model.name}:{spec_model.sha256[:16]}", _no_model)
    settings = Settings(criterion=criterion, k=k, **settings)  # type: ignore[arg-type]
    embedder = Embedder.load(ModelStore().resolve("minilm-l6")[0])
    warnings.filterwarnings("ignore")
    try:
        with Project.open(args.project, create=False) as project:
            ids = _load_items(project, chosen)
            ctx = StageContext(project, model, settings)
            described, _ = describe_items(ctx, [project.item(i) for i in ids])
            hashes = [project.item(i).content_hash for i in ids]
            ordered = [(i, h, described[i]) for i, h in zip(ids, hashes, strict=True)]
            raw = propose_labels(ctx, ordered)
            labels = [raw.get(i) or "unlabelled" for i in ids]
            concepts = label_concepts(labels, embedder.embed, settings.label_merge_distance)
            yield Replay(f"{dataset.name} {args.key or ''}", true, k, settings, ctx, [described[i] for i in ids],
                         labels, concepts, cluster.label_block_weight(settings.label_weight, len(set(concepts)), k),
                         visual_vectors(project, settings, hashes), when_where(project, settings, hashes),
                         embedder.embed)
    finally:
        embedder.close()


def main() -> None:
    args = arguments(lambda p: p.add_argument("--full", default="0.25,0.5,1.0"))
    with replay(args) as run:
        ablate(run, args.full)


def ablate(run: Replay, full_at: str) -> None:
    settings, n = run.settings, len(run.descriptions)
    print(f"{run.name}: {n} items, K={run.k}, {len(set(run.concepts))} label "
          f"concepts, criterion {settings.criterion!r}")
    text = run.embed(run.descriptions)
    lab = cluster.label_vectors(run.labels, run.embed)
    vis = cluster.visual_block(run.visual, n)
    old = {"text": (text, 1.0), "label": (lab, run.label_weight)}
    if vis is not None:
        old["visual"] = (vis, settings.visual_weight)
    print(f"  before issue 11 (text 1, labels {run.label_weight:.2f}, pictures {settings.visual_weight:g}): "
          f"{run.score(cluster.combine(old))}")
    print(f"  labels only: {run.score(cluster.unit_rows(lab))}")
    print(f"  text only: {run.score(text)}")
    for full in (float(x) for x in full_at.split(",")):
        cluster.AGREEMENT_FULL = full
        vectors, report = cluster.criterion_vectors(
            run.descriptions, run.labels, run.concepts, lambda t: text if t is run.descriptions else run.embed(t),
            run.label_weight, run.visual, settings.visual_weight, run.times)
        blocks = ", ".join(f"{name} a={r['agreement']} w={r['weight']}" for name, r in report.items())
        print(f"  gated, full at {full:g}: {run.score(vectors)}   [{blocks}]")


if __name__ == "__main__":
    main()
