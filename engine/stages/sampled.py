"""The faster mode for big folders: the model reads a sample, the embeddings place the rest.

Issue 13: with one model call per file, 10,000 files take hours on a laptop CPU. With
``Settings.llm_sample`` = S (``--llm-sample S``) and more files than S:

1. **Sample**: S representative files, the file nearest each centre of a k-means with S
   clusters on the description embeddings (spread over the folder, and in proportion to
   where its files are, unlike farthest points, which pick outliers).
2. **The sample is grouped as usual** (labels, clustering, names: stages/cluster.py).
3. **The rest by their neighbours**: every other file takes the group most of its
   ``NEIGHBOURS`` nearest sampled files (by the description embedding, weighted by
   similarity) are in.
4. **Where the neighbours disagree, the model reads the file**: a file whose neighbours'
   vote for its group is below ``settled`` chooses among the group names with the
   constrained choice (the assign stage), one call each.

How far the embeddings can be trusted is measured per run on the sample itself: each sampled
file is placed by its sampled neighbours (leaving itself out) and compared with the group the
full method gave it. The run's stats keep that agreement, the share of files the model read
in step 4, and the model calls.
"""

from __future__ import annotations

import numpy as np

from .assign import Assignment, assign_items
from .base import StageContext
from .cluster import Embed, hybrid_groups, unit_rows

NEIGHBOURS = 10
SETTLED = 0.6  # a neighbour vote this strong places a file without the model


def representative_sample(unit: np.ndarray, size: int, seed: int = 0) -> list[int]:
    """Indexes of ``size`` rows, the one nearest each centre of a k-means with ``size``
    clusters (MiniBatchKMeans: linear in the rows)."""
    from sklearn.cluster import MiniBatchKMeans

    if size >= len(unit):
        return list(range(len(unit)))
    km = MiniBatchKMeans(n_clusters=size, random_state=seed, n_init=3, batch_size=2048).fit(unit)
    picked: set[int] = set()
    for c in range(size):
        members = np.flatnonzero(km.labels_ == c)
        if len(members):
            picked.add(int(members[np.argmax(unit[members] @ km.cluster_centers_[c])]))
    return sorted(picked)


def neighbour_votes(unit: np.ndarray, sample: list[int], groups: np.ndarray, k: int,
                    rows: np.ndarray, leave_out: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows``, the group its nearest sampled rows vote for (similarity-weighted)
    and that group's share of the vote. ``groups``: the group of each sampled row."""
    base = unit[sample]
    size = min(NEIGHBOURS, len(sample) - (1 if leave_out else 0))
    best = np.zeros(len(rows), dtype=int)
    share = np.zeros(len(rows))
    for start in range(0, len(rows), 1024):
        block = rows[start:start + 1024]
        sims = unit[block] @ base.T
        if leave_out:  # a sampled row is not its own neighbour
            own = {int(s): n for n, s in enumerate(sample)}
            for r, row in enumerate(block):
                sims[r, own[int(row)]] = -np.inf
        near = np.argpartition(-sims, size - 1, axis=1)[:, :size]
        weights = np.maximum(np.take_along_axis(sims, near, axis=1), 0.0) + 1e-6
        votes = np.zeros((len(block), k))
        np.add.at(votes, (np.repeat(np.arange(len(block)), size), groups[near].ravel()), weights.ravel())
        best[start:start + len(block)] = votes.argmax(axis=1)
        share[start:start + len(block)] = votes.max(axis=1) / votes.sum(axis=1)
    return best, share


def sampled_groups(ctx: StageContext, described: list[tuple[int, str, str]], raw_for, embed: Embed,  # type: ignore[no-untyped-def]
                   ) -> tuple[list[str], dict[int, Assignment]]:
    """Groups for ``described`` with the model reading ``ctx.settings.llm_sample`` of them.
    ``raw_for(rows)`` gives the sampled rows' labels (the propose stage)."""
    unit = unit_rows(embed([d for _, _, d in described]))
    sample = representative_sample(unit, ctx.settings.llm_sample)
    sampled = [described[i] for i in sample]
    names, on_sample = hybrid_groups(ctx, sampled, raw_for(sampled), embed)
    groups = np.array([on_sample[item_id].group_idx for item_id, _, _ in sampled])
    k = len(names)
    own, _ = neighbour_votes(unit, sample, groups, k, np.array(sample), leave_out=True)
    agreement = float((own == groups).mean())
    in_sample = set(sample)
    rest = np.array([i for i in range(len(described)) if i not in in_sample], dtype=int)
    out = dict(on_sample)
    read: list[tuple[int, str, str]] = []
    if len(rest):
        best, share = neighbour_votes(unit, sample, groups, k, rest)
        for i, g, s in zip(rest.tolist(), best.tolist(), share.tolist(), strict=True):
            if s >= SETTLED:
                out[described[i][0]] = Assignment(int(g), float(s), float(s) < ctx.settings.unsure_below)
            else:
                read.append(described[i])
    if read:
        out.update(assign_items(ctx, names, read, shown_as="place") if k > 1 else
                   {item_id: Assignment(0, 1.0, False) for item_id, _, _ in read})
    ctx.stats["sampled"] = {"sample": len(sample), "placed_by_neighbours": len(rest) - len(read),
                            "read_by_model": len(read), "agreement_on_sample": round(agreement, 3)}
    return names, out
