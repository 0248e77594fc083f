"""The faster mode for big folders: the model reads a sample, the embeddings place the rest.

Issue 13: with one model call per file, 10,000 files take hours on a laptop CPU. With
``Settings.llm_sample`` = S (``--llm-sample S``) and more files than S:

1. **Sample**: S representative files, the file nearest each centre of a k-means with S
   clusters on the description embeddings (spread over the folder, and in proportion to
   where its files are, unlike farthest points, which pick outliers).
2. **The sample is grouped as usual** (labels, clustering, names: stages/cluster.py).
3. **The rest by their neighbours**: every other file takes the group most of its
   ``NEIGHBOURS`` nearest sampled files (weighted by similarity) are in, with that vote's
   share as its confidence. Near by the description's embedding and, for pictures, by their
   visual features and moments in time, each at the weight the sample's grouping gave it
   (``cluster.criterion_vectors``: the labels are known for the sample only). For pictures
   the sample is spread over the description and the visual features together.

Whether the neighbours can be trusted is measured per run on the sample itself: each sampled
file is placed by its sampled neighbours (leaving itself out) and compared with the group the
full method gave it, beyond chance ((observed - chance) / (1 - chance), chance = the sum of
the squared group shares). Below ``TRUSTED`` (half way from chance to all), the embeddings do
not carry what the groups are about, and the model reads every file after all (the full
method; the sample's labels come from the cache).

Measured on massive_scenario 500 (docs/benchmarks.md): with 150 sampled the neighbours put
74% of the sample back (0.72 beyond chance); placing the rest by them alone scored ACC 0.554 against 0.542 for
the model reading every file, while also asking the model to choose among the names for the
files whose neighbours' vote was under 0.6 (202 of 351) scored 0.496: the small model's
choice among 18 names is worse than the neighbours. With the per-file prompt q2 (150 of the
same 500): ACC 0.576 against 0.590, NMI 0.599 against 0.662; on pictures (cifar10_500, 150
sampled) ACC 0.432 against 0.496, with their features in the vote (0.402 without).
"""

from __future__ import annotations

import numpy as np

from ..describers.runner import visual_vectors, when_where
from .assign import Assignment
from .base import StageContext
from .cluster import (
    Embed,
    combine,
    documents,
    documents_form,
    hybrid_groups,
    moments,
    text_days,
    unit_rows,
    visual_block,
)

NEIGHBOURS = 10
TRUSTED = 0.5  # how far beyond chance the neighbours must put the sample back in its groups


def representative_sample(unit: np.ndarray, size: int, seed: int = 0) -> list[int]:
    """Indexes of ``size`` rows, the one nearest each centre of a k-means with ``size``
    clusters (MiniBatchKMeans: linear in the rows). One k-means++ start, scikit-learn's own
    default for it: three took 43 s for 10,000 pictures (1,664 columns with the features), one
    14 s, and the sample only has to be spread out."""
    from sklearn.cluster import MiniBatchKMeans

    if size >= len(unit):
        return list(range(len(unit)))
    km = MiniBatchKMeans(n_clusters=size, random_state=seed, n_init=1, batch_size=2048).fit(unit)
    picked: set[int] = set()
    for c in range(size):
        members = np.flatnonzero(km.labels_ == c)
        if len(members):
            picked.add(int(members[np.argmax(unit[members] @ km.cluster_centers_[c])]))
    if len(picked) < size:  # empty clusters: fill up with the rows farthest from the sample
        chosen = sorted(picked)
        nearest = (unit @ unit[chosen].T).max(axis=1) if chosen else np.full(len(unit), -np.inf)
        nearest[chosen] = np.inf
        while len(picked) < size:
            i = int(np.argmin(nearest))
            picked.add(i)
            nearest = np.maximum(nearest, unit @ unit[i])
            nearest[i] = np.inf
    return sorted(picked)


def neighbour_votes(unit: np.ndarray, sample: list[int], groups: np.ndarray, k: int,
                    rows: np.ndarray, leave_out: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows``, the group its nearest sampled rows vote for (similarity-weighted)
    and that group's share of the vote. ``groups``: the group of each sampled row."""
    base = unit[sample]
    size = min(NEIGHBOURS, len(sample) - (1 if leave_out else 0))
    best = np.zeros(len(rows), dtype=int)
    share = np.zeros(len(rows))
    own = {int(s): n for n, s in enumerate(sample)}
    for start in range(0, len(rows), 1024):
        block = rows[start:start + 1024]
        sims = unit[block] @ base.T
        if leave_out:  # a sampled row is not its own neighbour
            for r, row in enumerate(block):
                sims[r, own[int(row)]] = -np.inf
        near = np.argpartition(-sims, size - 1, axis=1)[:, :size]
        weights = np.maximum(np.take_along_axis(sims, near, axis=1), 0.0) + 1e-6
        votes = np.zeros((len(block), k))
        np.add.at(votes, (np.repeat(np.arange(len(block)), size), groups[near].ravel()), weights.ravel())
        best[start:start + len(block)] = votes.argmax(axis=1)
        share[start:start + len(block)] = votes.max(axis=1) / votes.sum(axis=1)
    return best, share


def placing_vectors(ctx: StageContext, hashes: list[str], text: np.ndarray,
                    vis: np.ndarray | None, sample: list[int], descriptions: list[str],
                    is_document: list[bool]) -> np.ndarray:
    """Every file's vector for the neighbour vote: the blocks the sample's grouping used, at
    the weights it gave them (``ctx.stats["blocks"]``), but the labels. Where the documents'
    form led the sample's grouping, every file's form (its words counted over the whole
    folder) stands in for the text. A moment is a column only where a sampled file was taken
    in it (no other moment can give a file a sampled neighbour), so the block stays at most
    as wide as the sample."""
    blocks = ctx.stats.get("blocks") or {}
    generic = text
    if "form" in blocks:
        form, _ = documents_form(descriptions, is_document, text)
        generic = text if form is None else form
    weight = float(blocks.get("form" if "form" in blocks else "text", {}).get("weight", 1.0))
    parts: dict[str, tuple[np.ndarray, float]] = {"text": (generic, weight)}
    if vis is not None and blocks.get("visual", {}).get("weight", 0) > 0:
        parts["visual"] = (vis, float(blocks["visual"]["weight"]))
    moment = blocks.get("moments") or {}
    times = when_where(ctx.project, ctx.settings, hashes) if moment.get("weight", 0) > 0 else None
    if times is not None:
        found = moments(times, float(moment["gap_hours"]), text_days(descriptions, times))
        column = {m: c for c, m in enumerate(sorted({int(found[i]) for i in sample if found[i] >= 0}))}
        onehot = np.zeros((len(found), max(1, len(column))))
        for row, m in enumerate(found.tolist()):
            if m in column:
                onehot[row, column[m]] = 1.0
        parts["moments"] = (onehot, float(moment["weight"]))
    return unit_rows(generic) if len(parts) == 1 else combine(parts)


def sampled_groups(ctx: StageContext, described: list[tuple[int, str, str]], raw_for,  # type: ignore[no-untyped-def]
                   text: np.ndarray, embed: Embed) -> tuple[list[str], dict[int, Assignment]] | None:
    """Groups for ``described`` with the model reading ``ctx.settings.llm_sample`` of them, or
    None when the neighbours do not agree with the sample's groups (then the model must read
    every file). ``raw_for(rows)`` gives the sampled rows' labels (the propose stage);
    ``text``: the descriptions' embeddings."""
    hashes = [h for _, h, _ in described]
    # no features without pictures or with visual_weight 0 (visual_vectors gives none then)
    vis = visual_block(visual_vectors(ctx.project, ctx.settings, hashes), len(described))
    if vis is None:
        spread = unit_rows(text)
    else:  # single precision, as the text's: 10,000 pictures' features in 51 MB
        vis = vis.astype(np.float32)
        spread = combine({"text": (text, 1.0), "visual": (vis, ctx.settings.visual_weight)})
    sample = representative_sample(spread, ctx.settings.llm_sample)
    del spread
    sampled = [described[i] for i in sample]
    names, on_sample = hybrid_groups(ctx, sampled, raw_for(sampled), embed, text=text[sample])
    groups = np.array([on_sample[item_id].group_idx for item_id, _, _ in sampled])
    unit = placing_vectors(ctx, hashes, text, vis, sample, [d for _, _, d in described], documents(ctx, described))
    k = len(names)
    own, _ = neighbour_votes(unit, sample, groups, k, np.array(sample), leave_out=True)
    shares = np.bincount(groups, minlength=k) / len(groups)
    chance = float((shares**2).sum())  # put back by luck
    agreement = max(0.0, (float((own == groups).mean()) - chance) / (1.0 - chance)) if chance < 1 else 1.0
    report = {"sample": len(sample), "agreement_on_sample": round(agreement, 3)}
    ctx.stats["sampled"] = report
    if agreement < TRUSTED:
        report["read_all"] = True
        return None
    in_sample = set(sample)
    rest = np.array([i for i in range(len(described)) if i not in in_sample], dtype=int)
    out = dict(on_sample)
    if len(rest):
        best, share = neighbour_votes(unit, sample, groups, k, rest)
        for i, g, vote in zip(rest.tolist(), best.tolist(), share.tolist(), strict=True):
            out[described[i][0]] = Assignment(int(g), float(vote), float(vote) < ctx.settings.unsure_below)
    report["placed_by_neighbours"] = len(rest)
    return names, out
