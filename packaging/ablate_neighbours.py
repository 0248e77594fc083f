"""How the spectral cut at the true K depends on the graph's neighbours, on a bench run's own vectors.

Usage: .venv/bin/python packaging/ablate_neighbours.py DATASET --project P [--sample N] [--seed S] [--criteria KEY]

Runs ``corral bench DATASET --k true`` (answers from the project's cache where it has them),
keeps the vectors ``cluster.partition`` cut at the true K, and prints the ACC of the same cut
with 7 to 40 neighbours and with ``cluster.spectral_neighbours``'s count, on all the files and
on two uneven subsamples (each class cut to between 100% and 25% of its files, geometric).
A multi-criteria set needs ``--criteria KEY``. docs/benchmarks.md ("The graph's neighbours")
records what it printed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corral.engine.bench import bench_examples, is_multi_criteria, metrics  # noqa: E402
from corral.engine.cli import main as corral  # noqa: E402
from corral.engine.stages import cluster  # noqa: E402

COUNTS = (7, 10, 15, 20, 25, 30, 40)


def truth(dataset: Path, sample: int | None, seed: int, key: str | None) -> list[str]:
    """Each file's true label, in the order the bench holds them."""
    examples = bench_examples(dataset, sample, seed)
    return [ex.labels[key or ""] if ex.labels else ex.label for ex in examples]


def cut(vectors: np.ndarray, k: int, neighbours: int | None) -> np.ndarray:
    """``cluster.partition`` with ``neighbours`` for every item (None: its own count)."""
    if neighbours is None:
        return cluster.partition(vectors, k)
    floor, top = cluster.SPECTRAL_NEIGHBOURS, cluster.SPECTRAL_NEIGHBOURS_MAX
    cluster.SPECTRAL_NEIGHBOURS = cluster.SPECTRAL_NEIGHBOURS_MAX = neighbours
    try:
        return cluster.partition(vectors, k)
    finally:
        cluster.SPECTRAL_NEIGHBOURS, cluster.SPECTRAL_NEIGHBOURS_MAX = floor, top


def uneven(true: np.ndarray, seed: int) -> np.ndarray:
    """Rows of a subsample whose classes keep 100% down to 25% of their files."""
    rng = np.random.default_rng(seed)
    classes = sorted(set(true.tolist()))
    rng.shuffle(classes)
    keep: list[int] = []
    for n, label in enumerate(classes):
        rows = rng.permutation(np.flatnonzero(true == label))
        share = 0.25 ** (n / max(1, len(classes) - 1))
        keep += rows[:max(3, round(share * len(rows)))].tolist()
    return np.sort(np.asarray(keep))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dataset", type=Path)
    p.add_argument("--project", required=True)
    p.add_argument("--sample", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--criteria")
    args = p.parse_args()
    if is_multi_criteria(args.dataset) and not args.criteria:
        p.error("a multi-criteria set needs --criteria KEY")
    true = np.asarray(truth(args.dataset, args.sample, args.seed, args.criteria))
    k = len(set(true.tolist()))

    kept: list[np.ndarray] = []
    real = cluster.partition

    def spy(vectors: np.ndarray, at: int, seed: int = 0) -> np.ndarray:
        if at == k and len(vectors) == len(true):
            kept.append(np.array(vectors))
        return real(vectors, at, seed)

    cluster.partition = spy  # type: ignore[assignment]
    argv = ["bench", str(args.dataset), "--project", args.project, "--seed", str(args.seed), "--k", "true",
            "--no-upper-bound"]
    argv += ["--sample", str(args.sample)] if args.sample else []
    argv += ["--criteria", args.criteria] if args.criteria else []
    corral(argv)
    cluster.partition = real
    if not kept:
        raise SystemExit("the bench made no cut of every file at the true K")
    vectors = kept[-1]
    for name, rows in (("all", np.arange(len(true))), ("uneven 1", uneven(true, 1)), ("uneven 2", uneven(true, 2))):
        v, t = vectors[rows], true[rows].tolist()
        at = len(set(t))
        own = cluster.spectral_neighbours(len(v), at)
        scores = [f"{n}: {metrics(t, list(cut(v, at, n)))['acc']:.3f}" for n in COUNTS]
        print(f"{name}: {len(v)} files, K {at}, {' '.join(scores)}; "
              f"spectral_neighbours {own}: {metrics(t, list(cut(v, at, None)))['acc']:.3f}")


if __name__ == "__main__":
    main()
