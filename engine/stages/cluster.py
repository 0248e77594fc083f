"""The hybrid grouping: sentence embeddings find the groups, the LLM steers and names them.

Measured before this existed (docs/benchmarks.md): a 1.5B model assigning items to the TRUE
names is no better than k-means on MiniLM embeddings, so a pure-LLM pipeline with a small
model cannot beat that reference. Here the LLM contributes what embeddings lack -- the user's
criterion -- and embeddings contribute what a small LLM lacks -- consistent similarity:

1. every item is embedded twice: its description, and the label the LLM proposed for it
   under the criterion (stage 2a); the two unit vectors are concatenated (the label weighted
   by ``label_weight``, see ``label_block_weight``), so items the LLM put under the same
   label are pulled together; a picture adds its classifier features (``visual_weight``);
2. spectral clustering on the graph of each item's nearest neighbours finds K groups (see
   ``partition``); without K, the labels propose K and the LLM checks the clusters'
   coherence (seed 001), see ``autok``;
3. the LLM names each group from its most frequent labels and a few members (seed 001's
   cluster naming), with a grammar that allows one short name;
4. each item keeps its cluster; its confidence is the share of its nearest neighbours in the
   same cluster.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from .. import prompts
from ..dates import dates_in, day_hours
from ..describers.runner import visual_vectors, when_where
from ..describers.tags import embedding_text
from ..jobs import StageProgress
from .assign import Assignment
from .autok import CoherenceJudge, auto_clusters, estimate_k, label_concepts
from .base import StageContext
from .form import answer_words, form_vectors, is_word
from .labels import display_name, is_vague, label_key, marks, marks_are_answers
from .propose import answer_states, parse_label_list
from .relevance import block_weights, check_text

if TYPE_CHECKING:
    from .vocabulary import Choices  # vocabulary reads taxonomy, which reads this module

Embed = Callable[[list[str]], np.ndarray]


@dataclass
class Clustering:
    labels: np.ndarray  # cluster index per item
    centroids: np.ndarray
    vectors: np.ndarray


def unit_rows(block: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; rows of zeros stay zeros."""
    norms = np.linalg.norm(block, axis=1, keepdims=True)
    dtype = block.dtype if block.dtype.kind == "f" else np.float64
    return np.divide(block, norms, out=np.zeros(block.shape, dtype=dtype), where=norms > 0)


def visual_block(visual: list[np.ndarray | None], n: int) -> np.ndarray | None:
    """The pictures' visual vectors as unit rows (zeros for items without one), or None."""
    present = [v for v in visual if v is not None]
    if not present:
        return None
    block = np.zeros((n, len(present[0])), dtype=np.float64)
    for row, vec in enumerate(visual):
        if vec is not None:
            block[row] = vec
    return unit_rows(block)


def item_vectors(
    descriptions: list[str],
    raw_labels: list[str],
    embed: Embed,
    label_weight: float,
    visual: list[np.ndarray | None] | None = None,
    visual_weight: float = 1.0,
) -> np.ndarray:
    """One row per item: its description's embedding, its label's (times ``label_weight``)
    and, when some items have one, its L2-normalised visual vector (times
    ``visual_weight``; zeros for documents and pictures without one); rows unit length.
    Without visual vectors the result is exactly the text-only one."""
    blocks = {"text": (description_vectors(descriptions, embed), 1.0)}
    if label_weight > 0:
        blocks["label"] = (label_vectors(raw_labels, embed), label_weight)
    vis = visual_block(visual or [], len(descriptions))
    if vis is not None and visual_weight > 0:
        blocks["visual"] = (vis, visual_weight)
    return combine(blocks)


def description_vectors(descriptions: list[str], embed: Embed) -> np.ndarray:
    """The descriptions' sentence embeddings, each read as :func:`embedding_text` gives it
    (every place that embeds descriptions goes through here, the bench's k-means too)."""
    return embed([embedding_text(d) for d in descriptions])


def label_vectors(raw_labels: list[str], embed: Embed) -> np.ndarray:
    """Each item's label embedded; where the answers are years, months or seasons
    (``labels.marks_are_answers``), which the embedding holds nearly alike ("2022" and "2023"
    at cosine 0.78), their marks one-hot beside it, at the share of items whose label has
    one, so that the years lie apart."""
    uniq = sorted(set(raw_labels))
    vecs = embed(uniq)
    index = {lab: i for i, lab in enumerate(uniq)}
    rows = [index[lab] for lab in raw_labels]
    if not marks_are_answers(raw_labels):
        return vecs[rows]
    marked = [marks(lab) for lab in uniq]
    tokens = sorted(set().union(*marked))
    if len(tokens) < 2:
        return vecs[rows]
    share = sum(1 for r in rows if marked[r]) / len(rows)
    column = {t: j for j, t in enumerate(tokens)}
    block = np.zeros((len(uniq), len(tokens)), dtype=np.float32)
    for i, found in enumerate(marked):
        block[i, [column[t] for t in found]] = 1.0
    return unit_rows(np.hstack([unit_rows(vecs), share * unit_rows(block)]))[rows]


def combine(blocks: dict[str, tuple[np.ndarray, float]]) -> np.ndarray:
    """Weighted blocks side by side, rows unit length (a lone text block is returned as is).

    The cosine similarity of two rows is then the weighted mean of the blocks' similarities,
    each block counting with its weight squared."""
    used = [(block, w) for block, w in blocks.values() if w > 0]
    if len(used) == 1 and used[0][1] == 1.0:
        return used[0][0]
    out = np.hstack([w * block for block, w in used])
    return unit_rows(out)


def kmeans(vectors: np.ndarray, k: int, seed: int = 0) -> Clustering:
    from sklearn.cluster import KMeans

    k = max(1, min(k, len(vectors)))
    model = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(vectors)
    return Clustering(model.labels_, model.cluster_centers_, vectors)


SPECTRAL_NEIGHBOURS = 15  # the fewest neighbours an item has in the graph (``spectral_neighbours``)
SPECTRAL_NEIGHBOURS_MAX = 30
# Above this many rows the graph's eigenvectors come from LOBPCG instead of ARPACK, whose
# shift-invert factorization of the sparse Laplacian grows faster than the graph. Measured on
# 10,000 short texts (docs/benchmarks.md): 57 MB and 3.2 s instead of 226 MB and 7.6 s, the
# same partition (ARI 0.997 between the two). Below it, ARPACK, as every benchmark ran.
SPECTRAL_LOBPCG_ABOVE = 2000


def spectral_neighbours(n: int, k: int) -> int:
    """How many nearest neighbours each of ``n`` items has in the graph cut into ``k`` groups:
    half the mean group's size, at least ``SPECTRAL_NEIGHBOURS`` and at most
    ``SPECTRAL_NEIGHBOURS_MAX``.

    Files that gave the same answer are near-duplicates in the vectors (the label block), so
    a group is made of tight cliques, one per answer. Where a clique holds more files than an
    item has neighbours, the graph never leaves it and the cut follows the answers' cliques
    instead of the groups (tests/test_stages.py). Measured on the cached vectors of 18 bench
    runs at the true K (docs/benchmarks.md, "The graph's neighbours"): 15 neighbours for
    groups of 36-60 files cost up to 0.15 ACC (requests by area 0.633 -> 0.701 at 18, the
    studio's kinds 0.471 -> 0.617 at 20), no set lost more than 0.003; with the group sizes
    spread 2:1 or 3:1 nothing moved by more than 0.014. Through the pipeline the studio's
    kinds went 0.762 -> 0.854, and cifar10_500's pictures, not among those runs, 0.506 ->
    0.464 (no answer cliques there; their cut moves by 0.05 with any count). Below 15 (groups of 10-30 files,
    where half the group would be the graph) small folders gained and lost alike, and beyond
    30 the 300 documents by kind fell (0.957 at 25, 0.767 at 40)."""
    return int(min(SPECTRAL_NEIGHBOURS_MAX, max(SPECTRAL_NEIGHBOURS, round(n / (2 * max(1, k))))))


def partition(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """A cluster index per row, exactly ``k`` clusters (fewer only with fewer rows).

    Spectral clustering on the symmetric graph of each item's nearest neighbours (how many:
    ``spectral_neighbours``), cut by cluster_qr: groups of sentences are not round blobs of equal size, the
    shape k-means assumes. On the 500-item MASSIVE sample (docs/benchmarks.md) it raised NMI
    by about 0.05 over k-means on the same vectors. With 10 neighbours the graph of the
    500 captions fell apart (ACC 0.82 against 0.93 with 15); 15 scores the same as 10 on
    MASSIVE. Small sets (under four rows per cluster), and a graph that gives
    fewer than ``k`` groups, fall back to k-means.

    So does a graph in more than ``k`` pieces: no edge says which pieces belong together, and
    the cut joins them at random. Photos by year are such a case: each trip's photos share
    their moment and their answer, so their neighbours are all on the same trip, and the two
    trips of a year were split across groups (trip_photos by year 0.833; k-means, which sees
    that the two trips' answers are the same year, 1.000: docs/benchmarks.md)."""
    k = max(1, min(k, len(vectors)))
    if k > 1 and len(vectors) >= max(4 * k, 3 * SPECTRAL_NEIGHBOURS):
        import warnings

        from scipy.sparse.csgraph import connected_components
        from sklearn.cluster import SpectralClustering
        from sklearn.neighbors import kneighbors_graph

        # scikit-learn's "nearest_neighbors" affinity, built here to count its pieces first
        graph = kneighbors_graph(vectors, n_neighbors=spectral_neighbours(len(vectors), k), include_self=True)
        affinity = 0.5 * (graph + graph.T)
        if connected_components(affinity, directed=False)[0] <= k:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "graph is not fully connected": still usable
                labels = SpectralClustering(
                    n_clusters=k, affinity="precomputed", assign_labels="cluster_qr", random_state=seed,
                    eigen_solver="lobpcg" if len(vectors) > SPECTRAL_LOBPCG_ABOVE else None,
                ).fit_predict(affinity)
            if len(set(labels.tolist())) == k:
                return np.unique(labels, return_inverse=True)[1]
    return kmeans(vectors, k, seed).labels.copy()


def label_block_weight(weight: float, concepts: int, k: int | None) -> float:
    """The label block's weight, lowered when the labels are coarser than the K asked for.

    Labels can tell apart at most as many groups as there are label concepts. When the
    model's labels name fewer concepts than K (banking77: 33 concepts for 77 intents), the
    label block pulls items of different groups together, so its weight is scaled by
    concepts / K. Measured (docs/benchmarks.md): banking77 at full weight 0.560 ACC, scaled
    0.617, text alone 0.608; MASSIVE and the captions have more concepts than K and keep
    the full weight."""
    if k is None or k <= 0:
        return weight
    return weight * min(1.0, concepts / k)


NEIGHBOUR_ROWS = 1024  # rows of the similarity matrix held at once


def nearest_neighbours(unit: np.ndarray, size: int) -> np.ndarray:
    """The indexes of each row's ``size`` most similar other rows (``unit``: unit rows), in
    no particular order. Computed ``NEIGHBOUR_ROWS`` rows at a time, so memory grows with N,
    not N x N (10,000 items: 40 MB at a time instead of 400 MB)."""
    n = len(unit)
    out = np.empty((n, size), dtype=np.int64)
    for start in range(0, n, NEIGHBOUR_ROWS):
        stop = min(n, start + NEIGHBOUR_ROWS)
        sims = unit[start:stop] @ unit.T
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # not its own neighbour
        out[start:stop] = np.argpartition(-sims, size - 1, axis=1)[:, :size]
    return out


def text_neighbours(text: np.ndarray, size: int = 10) -> np.ndarray:
    """Each row's ``size`` nearest other rows of ``text`` (``nearest_neighbours`` of its unit
    rows), searched once a run: the grouping's text agreement, the text check
    (stages/relevance.py) and the stray answers' test (``autok.scattered_concepts``) each read
    it with other concepts, 1.1 s a search at 10,000 rows."""
    return nearest_neighbours(unit_rows(text), int(min(size, len(text) - 1)))


def alike(labels: np.ndarray, nearest: np.ndarray) -> np.ndarray:
    """Per item, the share of its nearest neighbours (``nearest``: their row indices) that
    carry its label."""
    return (labels[nearest] == labels[:, None]).mean(axis=1)


def criterion_agreement(block: np.ndarray, concepts: list[int], size: int = 10,
                        nearest: np.ndarray | None = None) -> float:
    """How far the nearest neighbours in ``block`` share an item's label concept, beyond
    chance: (observed - chance) / (1 - chance), with chance = sum of squared concept shares.

    The labels are the LLM's reading of the criterion, so this says whether a generic vector
    space (the description's embedding, the classifier's features) carries the criterion:
    near 1 when its neighbourhoods follow the labels (the criterion is the data's topic),
    near 0 when they are unrelated (grouping invoices by kind while the text clusters by
    project). Rows of zeros (items without such a vector) take no part. With one concept
    only, the labels tell nothing apart, and the block keeps full weight (1.0); but where
    the block's items are the part of the run the labels call one value (photos among papers,
    "what kind of file": every photo "Image"), what tells them apart is not the criterion (0.0:
    the features at weight 6 split such photos seven ways). ``nearest``:
    ``block``'s ``text_neighbours`` where the caller has them (used where no row is zeros)."""
    rows = np.flatnonzero(np.linalg.norm(block, axis=1) > 0)
    if len(rows) < 3:
        return 0.0
    labels = np.asarray(concepts)[rows]
    if len(rows) < len(block) and (labels == labels[0]).all() and len(set(concepts)) > 1:
        return 0.0
    size = int(min(size, len(rows) - 1))
    if nearest is None or len(rows) < len(block) or nearest.shape != (len(block), size):
        nearest = nearest_neighbours(unit_rows(block[rows]), size)
    observed = float(alike(labels, nearest).mean())
    shares = np.bincount(labels) / len(labels)
    chance = float((shares**2).sum())
    if chance >= 1.0:
        return 1.0
    return max(0.0, (observed - chance) / (1.0 - chance))


def clearly_more_alike(block: np.ndarray, other: np.ndarray, concepts: list[int], size: int = 10) -> bool:
    """Whether the items' nearest neighbours in ``block`` share their concept more often than
    their nearest neighbours in ``other`` do, beyond doubt: over the items with a vector in
    both (non-zero rows), the mean of the per-item difference in the share of its ``size``
    neighbours of the same concept is above twice its standard error.

    The two blocks' agreement (``criterion_agreement``) can differ by a hair either way where
    neither follows the concepts better: the studio's kinds 0.405 by the form against 0.404 by
    the text, the family by person 0.114 against 0.111; where one does, the gap is many
    standard errors (the family's kinds: 7.8; the request areas: 12-29 the other way;
    docs/benchmarks.md, "The marks on the page")."""
    rows = np.flatnonzero((np.linalg.norm(block, axis=1) > 0) & (np.linalg.norm(other, axis=1) > 0))
    if len(rows) < 3:
        return False
    labels = np.asarray(concepts)[rows]
    size = int(min(size, len(rows) - 1))
    shares = [alike(labels, nearest_neighbours(unit_rows(b[rows]), size)) for b in (block, other)]
    gain = shares[0] - shares[1]
    return bool(gain.mean() > 2 * gain.std(ddof=1) / np.sqrt(len(gain)))


# Gaps tried for the photos' moments, from an hour to two months: which one the criterion
# means ("which day", "which trip", "which summer") is read off the labels, not fixed.
MOMENT_GAPS_HOURS = (1, 3, 8, 24, 72, 168, 720, 1440)


def moments(when_where: np.ndarray, gap_hours: float, days: list[list[float]] | None = None) -> np.ndarray:
    """A moment index per item, -1 for items without a capture time: photos sorted by
    capture time, a new moment wherever two consecutive ones are more than ``gap_hours``
    apart (photo libraries' "moments"; trips and events are runs of photos in time).

    ``days`` (``text_days``): for each item without a capture time, the starts of the days
    its text names. Such an item (a ticket, a booking, a receipt kept with a trip's photos)
    joins the moment whose photos' span, first to last, those days overlap most often; none
    where no day overlaps one or two moments tie. The photos alone make the moments."""
    out = np.full(len(when_where), -1)
    timed = np.flatnonzero(when_where[:, 0] > 0)
    if len(timed) == 0:
        return out
    order = timed[np.argsort(when_where[timed, 1], kind="stable")]
    gaps = np.diff(when_where[order, 1])
    out[order] = np.concatenate([[0], np.cumsum(gaps > gap_hours)])
    if days is not None:
        join_by_days(out, when_where, days)
    return out


def join_by_days(found: np.ndarray, when_where: np.ndarray, days: list[list[float]]) -> None:
    """``moments``' second step, in place: each item of ``found`` in no moment, with
    ``days``, takes the moment whose photos' span those days overlap most often (alone)."""
    count = int(found.max()) + 1  # moments are numbered in time order: their spans too
    timed = np.flatnonzero(found >= 0)
    first, last = np.full(count, np.inf), np.full(count, -np.inf)
    np.minimum.at(first, found[timed], when_where[timed, 1])
    np.maximum.at(last, found[timed], when_where[timed, 1])
    items = [i for i, starts in enumerate(days) if starts and found[i] < 0]
    if not items:
        return
    item = np.repeat(items, [len(days[i]) for i in items])
    start = np.concatenate([days[i] for i in items])
    low = np.searchsorted(last, start)  # the first moment not over before the day begins
    span = np.maximum(np.searchsorted(first, start + 24.0) - low, 0)  # ... up to the last begun before it ends
    offsets = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    pairs, votes = np.unique(np.stack([np.repeat(item, span), np.repeat(low, span) + offsets], axis=1),
                             axis=0, return_counts=True)
    order = np.lexsort((-votes, pairs[:, 0]))  # by item, most votes first
    pairs, votes = pairs[order], votes[order]
    lead = np.flatnonzero(np.r_[True, pairs[1:, 0] != pairs[:-1, 0]])  # each item's first row
    alone = np.r_[lead[1:], len(pairs)] - lead == 1
    clear = alone | (votes[np.minimum(lead + 1, len(votes) - 1)] < votes[lead])
    found[pairs[lead[clear], 0]] = pairs[lead[clear], 1]


def text_days(descriptions: list[str], when_where: np.ndarray | None) -> list[list[float]] | None:
    """For each item without a capture time, the starts of the days its description names
    (``dates.dates_in``; ``moments`` places it by them); None where no item has a capture
    time (there are no moments to join)."""
    if when_where is None or not (when_where[:, 0] > 0).any():
        return None
    return [[] if when_where[i, 0] > 0 else [day_hours(d) for d in dates_in(text)]
            for i, text in enumerate(descriptions)]


def moment_block(when_where: np.ndarray | None, concepts: list[int],
                 days: list[list[float]] | None = None) -> tuple[np.ndarray | None, dict]:
    """The moments that agree best with the criterion's labels, one-hot (zeros for items
    in none), with the gap chosen, its agreement and how many items without a capture time
    joined one by the days their text names (``days``: ``moments``); (None, {}) without times."""
    if when_where is None or not (when_where[:, 0] > 0).any():
        return None, {}
    best: tuple[float, float, np.ndarray] | None = None
    for gap in MOMENT_GAPS_HOURS:
        found = moments(when_where, gap, days)
        count = int(found.max()) + 1
        if count < 2 or count > len(found) // 2:
            continue
        onehot = np.zeros((len(found), count))
        rows = np.flatnonzero(found >= 0)
        onehot[rows, found[rows]] = 1.0
        score = criterion_agreement(onehot, concepts)
        if best is None or score > best[0]:
            best = (score, gap, onehot)
    if best is None:
        return None, {}
    joined = int((best[2][when_where[:, 0] <= 0].sum(axis=1) > 0).sum())
    return best[2], {"gap_hours": best[1], "moments": best[2].shape[1], "agreement": round(best[0], 3),
                     "dated": joined}


def explain_moments(blocks: dict | None) -> str:
    """The photos' moments in one line where they counted, e.g. "with the photos' moments
    (runs of capture times more than 24 hours apart: 6), at weight 0.57; 42 documents
    joined one by the dates they name"; "" where they did not count."""
    moment = (blocks or {}).get("moments") or {}
    if not moment.get("weight"):
        return ""
    gap = float(moment["gap_hours"])
    apart = f"{gap / 24:g} days" if gap >= 48 else f"{gap:g} hour{'s' if gap != 1 else ''}"
    line = (f"with the photos' moments (runs of capture times more than {apart} apart: "
            f"{moment['count']}), at weight {moment['weight']:.2f}")
    dated = moment.get("dated", 0)
    if dated:
        line += f"; {dated} document{'s' if dated != 1 else ''} joined one by the dates {'they name' if dated != 1 else 'it names'}"
    return line


def from_labels(vectors: np.ndarray, labels: np.ndarray) -> Clustering:
    """A clustering whose centroids are the mean vectors of the given clusters."""
    cents = np.stack([vectors[labels == c].mean(axis=0) for c in range(int(labels.max()) + 1)])
    return Clustering(labels, cents, vectors)


def confidences(clustering: Clustering) -> np.ndarray:
    """The share of each item's neighbourhood (itself and its nearest neighbours) in its group.

    Scale-free, so it reads the same for text vectors and for pictures' longer vectors (the
    earlier softmax over centroid similarities needed a temperature per vector space and
    flagged 498 of 500 pictures unsure). The neighbourhood is about half a typical group
    (3 to 20 items). On the 500-item MASSIVE sample (docs/benchmarks.md), counting
    neighbours only, the 55 items under the 0.45 threshold were right 36% of the time against
    60% for the rest; the mean (0.79) runs above the accuracy (0.57), so it ranks doubtful
    items rather than predicting accuracy. Counting the item itself too, 66 were flagged."""
    vectors, labels = clustering.vectors, clustering.labels
    n = len(vectors)
    if n < 2:
        return np.ones(n)
    groups = int(labels.max()) + 1
    size = int(min(20, max(3, n // (2 * groups)), n - 1))
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    nearest = nearest_neighbours(unit, size)
    agree = (labels[nearest] == labels[:, None]).sum(axis=1)
    return (agree + 1) / (size + 1)  # the item itself counts, so it is never 0


def typical_words(present: np.ndarray, vocabulary: list[str], labels: np.ndarray, top: int = 6) -> list[list[str]]:
    """Per cluster, the ``top`` words (columns of the files x words ``present``) that its
    files use more than the folder does: each word's share of the cluster's files p times
    log(p / its share of all files), a word's part in the cluster's KL divergence from the
    folder; a word no more common in the cluster than in the folder is left out."""
    share = present.mean(axis=0)
    out = []
    for c in range(int(labels.max()) + 1):
        p = present[labels == c].mean(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(p > share, p * np.log(p / share), 0.0)
        order = np.argsort(-score, kind="stable")[:top]
        out.append([vocabulary[j] for j in order if score[j] > 0])
    return out


def name_clusters(
    ctx: StageContext, clustering: Clustering, raw_labels: list[str], descriptions: list[str],
    values: bool = False, words: tuple[np.ndarray, list[str]] | None = None,
) -> tuple[list[str], list[str]]:
    """One short, distinct name per cluster, by the LLM, from its labels and members.

    Returns the names shown and the names the model gave: when the model names a cluster
    like an earlier one although it was told those names are taken, the shown name falls
    back to a frequent label, and the given name tells automatic K the two are one group.

    ``words``: files x words presence and the words (the documents' form, stages/form.py),
    when the grouping followed them: the words that set each cluster apart go into the
    prompt ("dear, writing, regards"), since the labels of a form-led cluster still carry
    the topics the answers leaked ("Travel itinerary" for meeting notes).

    With ``values`` (the labels are the criterion's values the items chose), a cluster where
    one value holds at least half the members is named by that value, without a model call."""
    k = int(clustering.labels.max()) + 1
    bar = StageProgress(ctx.progress, "name", k)
    typical = typical_words(*words, clustering.labels) if words is not None else None
    given: list[str] = []
    names: list[str] = []
    used: set[str] = set()
    calls = cached = 0
    for c in range(k):
        ctx.cancel.check()
        members = np.flatnonzero(clustering.labels == c)
        counts = Counter(raw_labels[i] for i in members).most_common(8)
        if values and counts and counts[0][1] * 2 >= len(members) and label_key(counts[0][0]) not in used:
            given.append(counts[0][0])
            names.append(counts[0][0])
            used.add(label_key(counts[0][0]))
            bar.advance()
            continue
        # The members nearest the centroid speak for the cluster.
        cent = clustering.centroids[c]
        order = members[np.argsort(-(clustering.vectors[members] @ cent))][:4]
        samples = [descriptions[i][:200] for i in order]
        asked = {"criterion": ctx.settings.criterion, "counts": counts, "samples": samples, "avoid": sorted(used)}
        if typical is not None:
            asked["words"] = typical[c]
        key = ctx.cache_key("name", prompts.VERSIONS["name"], asked)
        answer = ctx.project.cache_get(key)
        if answer is None:
            llm = ctx.model.get()
            text = llm.generate(
                prompts.name_messages(ctx.settings.criterion, dict(counts), samples, sorted(used),
                                      typical[c] if typical is not None else None),
                grammar=prompts.label_grammar(1),
                max_tokens=24,
                cancel=ctx.cancel,
            )
            answer = (parse_label_list(text, expected=1) or [""])[0]
            ctx.project.cache_put(key, "name", answer)
            calls += 1
        else:
            cached += 1
        name = display_name(str(answer)) or (counts[0][0] if counts else f"group {c + 1}")
        if typical is not None and counts and label_key(name) in {label_key(w) for w in typical[c]}:
            name = counts[0][0]  # a word the files use ("Dear") names no group of files: their label does
        if is_vague(name):  # "Documents" names no group either: a clear answer half its files gave does
            name = next((lab for lab, n in counts if not is_vague(lab) and 2 * n >= len(members)), name)
        given.append(name)
        if label_key(name) in used:  # keep names distinct: fall back to the next frequent label
            alternatives = [lab for lab, _ in counts if label_key(lab) not in used]
            name = alternatives[0] if alternatives else f"{name} ({c + 1})"
        used.add(label_key(name))
        names.append(name)
        bar.advance()
    ctx.stats["name"] = {"clusters": k, "calls": calls, "cached": cached}
    return names, given


def merge_same_names(
    labels: np.ndarray, given: list[str], accept: Callable[[np.ndarray], bool] | None = None
) -> tuple[np.ndarray, list[int]]:
    """Seed 001's post-correction (4.1.2): clusters the model gave the same name are one,
    when ``accept`` (the coherence judge) agrees on the members of the pair.
    Returns the new cluster index per item and, per new cluster, the old one it keeps."""
    first: dict[str, int] = {}
    target = np.arange(len(given))
    for c, name in enumerate(given):
        keep = first.setdefault(label_key(name), c)
        if keep != c and (accept is None or accept(np.flatnonzero((labels == keep) | (labels == c)))):
            target[c] = keep
    kept, new = np.unique(target[labels], return_inverse=True)
    return new, kept.tolist()


# A generic block (the description's embedding, the classifier's features, the moments)
# counts fully once its neighbourhoods agree this much with the criterion's labels
# (criterion_agreement), and proportionally less below.
AGREEMENT_FULL = 0.5


def gate(agreement: float) -> float:
    return min(1.0, agreement / AGREEMENT_FULL)


def standard_rows(block: np.ndarray) -> np.ndarray:
    """Each column centred and scaled to unit variance over the run's items, then rows unit
    length. A language model's hidden state has a few dimensions hundreds of times larger
    than the rest, the same for every input, which would otherwise decide every cosine."""
    block = np.asarray(block, dtype=np.float64)
    spread = block.std(axis=0)
    return unit_rows((block - block.mean(axis=0)) / np.where(spread > 0, spread, 1.0))


def criterion_vectors(
    descriptions: list[str],
    labels: list[str],
    concepts: list[int],
    embed: Embed,
    label_weight: float,
    visual: list[np.ndarray | None],
    visual_weight: float,
    times: np.ndarray | None,
    moment: tuple[np.ndarray | None, dict] | None = None,
    text: np.ndarray | None = None,
    steering: tuple[np.ndarray, float, float] | None = None,
    states: np.ndarray | None = None,
    state_weights: tuple[float, float] = (1.0, 1.0),
    text_weight: float = 1.0,
    text_agreement: float | None = None,
) -> tuple[np.ndarray, dict]:
    """The vectors the grouping clusters: the description's embedding, the labels (the LLM's
    reading of the criterion) and, for pictures, their features and their moments in time,
    which count as far as their neighbourhoods agree with the labels (see
    ``criterion_agreement``): a trip is not what a picture shows, an object is not when it
    was taken. Returns the vectors and, per block, its agreement and weight.

    ``steering`` (criterion-first values, stages/taxonomy.py): each item's chosen value
    as an index, with the text's and the choices' weights as the pair arbitration set them;
    the choices then stand in for the free labels (``label_weight`` 0).

    ``states`` (items, 2, n_embd): the language model's hidden state where it starts each
    file's answer and after the answer's last token (stages/propose.py), the file read
    under the criterion (InBedder; Cluster-R1's baselines), each a block at its weight in
    ``state_weights`` (a block at 0 is left out).

    ``moment``: ``moment_block`` of ``times`` where the caller has it already (it builds
    several geometries on the same concepts: 8 gaps' agreement, about 13 s at 10,000 items).

    ``text_weight``: the description's weight, lowered where the run found that the text
    does not carry the criterion (stages/relevance.py). ``text_agreement``: ``text``'s
    ``criterion_agreement`` with ``concepts`` where the caller has it already (a neighbour
    search over every item: about 1 s at 10,000)."""
    text = description_vectors(descriptions, embed) if text is None else text
    # The description's embedding is not gated by its agreement with the labels, which cannot
    # tell "the text does not carry the criterion" from "the labels are noise" (its weight
    # comes from stages/relevance.py, which measures the answers' reliability too). Measured on
    # household_docs (docs/benchmarks.md): by kind the text agreed 0.18 with the labels and
    # gating it raised ACC 0.31 -> 0.45, but by project the labels were the noisy side
    # (agreement 0.22, labels alone ACC 0.45) and gating dropped ACC 0.88 -> 0.33.
    agreement = {"text": criterion_agreement(text, concepts) if text_agreement is None else text_agreement}
    blocks = {"text": (text, text_weight)}
    if steering is not None:
        choice, steered_text, choice_weight = steering
        blocks["text"] = (text, steered_text)
        blocks["choice"] = (np.eye(int(choice.max()) + 1)[choice], choice_weight)
    if label_weight > 0:
        blocks["label"] = (label_vectors(labels, embed), label_weight)
    if states is not None:  # (items, 2, n_embd): the model's reading of each file
        for n, name in enumerate(("state_start", "state_end")):
            if state_weights[n] <= 0:
                continue
            block = standard_rows(states[:, n, :])
            agreement[name] = criterion_agreement(block, concepts)
            blocks[name] = (block, state_weights[n])
    vis = visual_block(visual, len(descriptions))
    if vis is not None and visual_weight > 0:
        agreement["visual"] = criterion_agreement(vis, concepts)
        blocks["visual"] = (vis, visual_weight * gate(agreement["visual"]))
    onehot, info = moment if moment is not None else moment_block(times, concepts)
    if onehot is not None:
        agreement["moments"] = info["agreement"]
        blocks["moments"] = (onehot, gate(info["agreement"]))
    report = {name: {"agreement": round(agreement.get(name, 1.0), 3), "weight": round(w, 3)}
              for name, (_, w) in blocks.items()}
    if info:
        report["moments"].update(gap_hours=info["gap_hours"], count=info["moments"], dated=info["dated"])
    return combine(blocks), report


def agreement_with(concepts: list[int], labels: np.ndarray) -> float:
    """Adjusted mutual information between a partition and the label concepts."""
    from sklearn.metrics import adjusted_mutual_info_score

    return float(adjusted_mutual_info_score(concepts, labels))


def follows_beyond_chance(concepts: list[int], labels: np.ndarray, rounds: int = 20, seed: int = 0) -> bool:
    """Whether a partition shares information with the label concepts beyond chance: its
    mutual information with them is above that of the partition's labels shuffled over the
    items (``rounds`` shuffles, fixed seed) by more than twice their standard deviation.

    Without K, "which year is this from" on the paperwork: the answers agreed 0.009 with the
    form's partition and 0.003 with the text's (adjusted mutual information), neither above
    chance (the years are in the documents' dates, not in their form or topic), and the form
    took the lead by that hair: 0.963 -> 0.267 (docs/benchmarks.md, "The marks on the page")."""
    from sklearn.metrics import mutual_info_score

    observed = mutual_info_score(concepts, labels)
    rng = np.random.default_rng(seed)
    shuffled = [mutual_info_score(concepts, rng.permutation(labels)) for _ in range(rounds)]
    return bool(observed > np.mean(shuffled) + 2 * np.std(shuffled, ddof=1))


def halvings(k: int) -> list[int]:
    """``k``, its half, its quarter... down to 2 (or ``[2]`` for a smaller ``k``)."""
    out = []
    while k >= 2:
        out.append(k)
        k //= 2
    return out or [2]


def item_kinds(ctx: StageContext, described: list[tuple[int, str, str]]) -> list[str | None]:
    """The kind of each described item ("document", "image"), from the project."""
    kind = {row.id: row.kind for row in ctx.project.items(status=None)}
    return [kind.get(item_id) for item_id, _, _ in described]


def documents(ctx: StageContext, described: list[tuple[int, str, str]]) -> list[bool]:
    """Which of the described items are documents (not pictures), from the project."""
    return [kind == "document" for kind in item_kinds(ctx, described)]


def mostly_pictures(kinds: list[str | None]) -> bool:
    """Whether more than half of the items (``item_kinds``) are pictures."""
    return kinds.count("image") * 2 > len(kinds)


def documents_block(is_document: list[bool],
                    make: Callable[[list[int]], tuple[np.ndarray | None, dict]]) -> tuple[np.ndarray | None, dict]:
    """A block read off the documents among the items (``make``, given their row indices),
    zeros for pictures (their descriptions are Corral's own words); None with fewer
    documents than pictures or when ``make`` gives none."""
    docs = [i for i, yes in enumerate(is_document) if yes]
    if len(docs) * 2 < len(is_document):
        return None, {}
    block, info = make(docs)
    if block is None:
        return None, {}
    if len(docs) < len(is_document):
        out = np.zeros((len(is_document), block.shape[1]), dtype=np.float32)
        out[docs] = block
        block = out
    return block, info


def documents_form(descriptions: list[str], is_document: list[bool],
                   text: np.ndarray) -> tuple[np.ndarray | None, dict]:
    """The form block (stages/form.py) of the documents among the items (``documents_block``)."""
    return documents_block(is_document, lambda docs: form_vectors([descriptions[i] for i in docs], text[docs]))


def documents_answer_words(descriptions: list[str], is_document: list[bool],
                           concepts: list[int]) -> tuple[np.ndarray | None, dict]:
    """The block of the words the answers single out (``form.answer_words``) for the
    documents among the items (``documents_block``); ``coverage``: the share of all items
    with at least one such word."""
    block, info = documents_block(
        is_document, lambda docs: answer_words([descriptions[i] for i in docs], [concepts[i] for i in docs]))
    if block is None:
        return None, {}
    return block, {**info, "coverage": round(float(block.any(axis=1).mean()), 3)}


def with_answer_words(text: np.ndarray, block: np.ndarray, weight: float) -> np.ndarray:
    """The text embedding with the answers' words beside it at ``weight`` against the text's
    1, scaled back by the root of 1 plus its square (``answer_words_weight``)."""
    scale = 1.0 / np.sqrt(1.0 + weight * weight)
    out = np.empty((len(text), text.shape[1] + block.shape[1]), dtype=np.float32)  # one copy (10,000 x 2,384)
    np.multiply(text, scale, out=out[:, :text.shape[1]], casting="unsafe")
    np.multiply(block, weight * scale, out=out[:, text.shape[1]:], casting="unsafe")
    return out


def answer_words_weight(coverage: float, text_agreement: float) -> float:
    """The answers' words' weight: the share of files that use any of them, times how far the
    text's neighbourhoods do not already follow the answers (1 minus ``criterion_agreement``,
    beyond chance). Where few files have such words (MASSIVE's and banking77's short requests:
    a third and a quarter) a block of mostly empty rows would pull those files together; where
    the text already follows the answers (the captions, 0.71) the words repeat it. Measured on
    the bench sets' cached answers (docs/benchmarks.md, "A second two-criteria set"): with the
    coverage alone the captions lost 0.006 ACC and fell below k-means in NMI, with this
    weight they keep 0.936."""
    return coverage * (1.0 - min(1.0, max(0.0, text_agreement)))


def lead_with_form(
    ctx: StageContext, descriptions: list[str], is_document: list[bool], text: np.ndarray,
    concepts: list[int], ks: list[int], build: Callable[[np.ndarray], tuple[np.ndarray, dict]],
    text_led: Callable[[int], np.ndarray],
    second_look: Callable[[], tuple[np.ndarray, list[int]] | None] | None = None,
) -> tuple[np.ndarray, dict, np.ndarray, tuple[np.ndarray, list[str]]] | None:
    """The geometry led by the documents' form (stages/form.py) in place of their text
    embedding, with its partition at ``ks[0]`` and the form's words (files x words presence,
    the words: ``name_clusters`` reads them), when at some K of ``ks`` its partition
    agrees better with the label concepts than ``text_led(K)`` (the text-led geometry's
    partition at K) and the concepts follow it beyond chance (``follows_beyond_chance``);
    else None.

    Both candidates carry the same label block at the same weight, and neither generic
    block was built from the labels, so the labels judge between them on equal terms: the
    criterion picks the text's topic or the documents' form. ``ks``: the K given, or
    without one the labels' estimate of K and its halves down to 2. The estimate counts the
    topic words the answers leaked as groups of their own (11 for 6 kinds of document), and
    a finer partition of the text follows those (docs/benchmarks.md, "The documents'
    form"). Pictures take no part (their descriptions are Corral's own words); fewer than
    ``form.MIN_DOCUMENTS`` documents, or fewer documents than pictures, and the text leads.

    ``second_look``: where the free answers give the lead to the text, the rows of the
    files that chose among the criterion's common values and their choices' concepts
    (stages/vocabulary.py; without K a sample of them), or None. A 1.5B model's free
    answer to "what kind of document" carries the file's subject too ("Medical Record",
    "Travel itinerary", "Tax Return"), which the text follows, and the label block built from those answers pulls
    the text-led partition further their way; the choices among the model's common kinds
    ("Letter, Note, Form, Invoice, ...") carry less of the subject, and neither geometry was
    built from them. The form then leads where the choices' concepts agree better with the
    form's neighbourhoods than with the text's beyond doubt (``clearly_more_alike`` of the
    two bare blocks, over the files that chose). Measured (docs/benchmarks.md, "A family's
    folder" and "The marks on the page"): the family's documents by kind, 0.177 text / 0.343
    form (by the free answers the text led, 0.343 ACC; the form leads: 0.940); the studio's
    kinds 0.404 / 0.405, a tie (the text keeps the lead and the choices, 0.846); the request
    draws' areas (0.31-0.53 / under 0.06) and the paperwork's kinds (0.271 / 0.142) keep it
    by far."""
    form, info = documents_form(descriptions, is_document, text)
    if form is None:
        return None
    vectors, report = build(form)
    form_led = partition(vectors, ks[0])
    leads, compared = False, {}
    for k in ks:
        own = form_led if k == ks[0] else partition(vectors, k)
        compared[k] = (agreement_with(concepts, text_led(k)), agreement_with(concepts, own))
        if compared[k][1] > compared[k][0] and follows_beyond_chance(concepts, own):
            leads = True
            break
    ours, theirs = compared[k]
    ctx.stats["form"] = {"words": info["words"], "kept": info["kept"], "examples": info["common"],
                         "agreement_text": round(ours, 3), "agreement_form": round(theirs, 3), "at_k": k,
                         "leads": "form" if leads else "text"}
    chose = second_look() if not leads and second_look is not None else None
    if chose is not None:  # the choices among the criterion's common values: a second reading
        rows, chosen = chose
        mine, yours = criterion_agreement(text[rows], chosen), criterion_agreement(form[rows], chosen)
        leads = clearly_more_alike(form[rows], text[rows], chosen)
        ctx.stats["form"].update(choices_text=round(mine, 3), choices_form=round(yours, 3), chose=len(rows),
                                 leads="form" if leads else "text")
    if not leads:
        return None
    report["form"] = report.pop("text")
    words = [j for j, token in enumerate(info["vocabulary"]) if is_word(token)]  # numbers' shapes name nothing
    return vectors, report, form_led, ((form > 0)[:, words], [info["vocabulary"][j] for j in words])


def hybrid_groups(
    ctx: StageContext,
    described: list[tuple[int, str, str]],
    raw: dict[int, str] | None,
    sentence_embedder: Embed,
    text: np.ndarray | None = None,
    relabel: Callable[[], Choices | None] | None = None,
    look: Callable[[int], Choices | None] | None = None,
) -> tuple[list[str], dict[int, Assignment]]:
    """Groups and assignments. ``raw``: the free label per item (``steer="labels"``), or
    None to steer by the criterion's values (stages/taxonomy.py). ``text``: the descriptions'
    embeddings where the caller has them already (stages/sampled.py). ``relabel``: where the
    text leads, the items' names chosen from a vocabulary (stages/vocabulary.py), which stand
    in for ``raw`` where the model prefers them; the names then name the groups they hold
    most of, as values do. Where the form leads the answers stay: there they only tip a
    grouping the form makes (docs/benchmarks.md: the choices cost household kinds 0.947 ->
    0.897 there); the choices can still hand the lead to the form (``lead_with_form``'s
    second look). ``look``: without K, a sample's choices from the vocabulary counted
    against the given K, for that second look only (stages/vocabulary.py)."""
    descriptions = [d for _, _, d in described]
    hashes = [h for _, h, _ in described]
    k = ctx.settings.k
    timings = ctx.stats.setdefault("seconds", {})

    def embed(texts: list[str]) -> np.ndarray:  # timed: the embedder's share of the stage
        started = time.perf_counter()
        try:
            return sentence_embedder(texts)
        finally:
            timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - started

    if text is None:
        text = description_vectors(descriptions, embed)

    def read(answers: dict[int, str]) -> tuple[list[str], list[int], float]:
        """Each item's label from ``answers``, their concepts, and the label block's weight."""
        labels = [answers.get(i) or "unlabelled" for i, _, _ in described]
        concepts = label_concepts(labels, embed, ctx.settings.label_merge_distance)
        return labels, concepts, label_block_weight(ctx.settings.label_weight, len(set(concepts)), k)

    steering = None
    if raw is None:  # criterion-first: values, each item's choice (stages/taxonomy.py)
        from .taxonomy import steer  # taxonomy uses this module's agreement

        steered = steer(ctx, described, text)
        choice = np.array([steered.choices[i].group_idx for i, _, _ in described])
        labels = [steered.values[c] for c in choice]
        concepts = choice.tolist()
        weight = 0.0
        steering = (choice, steered.report["text"], steered.report["choice"])
        ctx.stats["steering"] = {**steered.report, "counts": dict(Counter(labels).most_common())}
    else:
        labels, concepts, weight = read(raw)
    state_weights = (ctx.settings.state_weight,
                     label_block_weight(ctx.settings.answer_state_weight, len(set(concepts)), k))
    visual = visual_vectors(ctx.project, ctx.settings, hashes)
    states = answer_states(ctx, descriptions) if raw is not None and ctx.settings.wants_states else None
    times = when_where(ctx.project, ctx.settings, hashes)
    days = text_days(descriptions, times)
    moment: list = [None, None]  # the concepts the moments block was read with, and the block

    def build(generic: np.ndarray, generic_weight: float = 1.0, factor: float = 1.0,
              agreement: float | None = None) -> tuple[np.ndarray, dict]:
        """The vectors with ``generic`` (the text's embedding or the documents' form) at
        ``generic_weight`` and the label block's weight times ``factor``; ``agreement``:
        ``generic``'s agreement with the concepts, where known. The moments block is read
        once for each list of concepts (they change only where the items' labels do)."""
        if moment[0] is not concepts:
            moment[:] = [concepts, moment_block(times, concepts, days)]
        return criterion_vectors(descriptions, labels, concepts, embed, weight * factor, visual,
                                 ctx.settings.visual_weight, times, moment[1], text=generic, steering=steering,
                                 states=states, state_weights=state_weights, text_weight=generic_weight,
                                 text_agreement=agreement)

    near = text_neighbours(text) if len(text) >= 3 else None  # one search, read with any concepts
    text_agreement = criterion_agreement(text, concepts, nearest=near)  # once: every text-led build and the words' weight
    vectors, report = build(text, agreement=text_agreement)
    text_led: dict[int, np.ndarray] = {}  # partitions of the text-led ``vectors`` by K

    def text_partition(at: int) -> np.ndarray:
        if at not in text_led:
            text_led[at] = partition(vectors, at)
        return text_led[at]

    asked: list = []  # the vocabulary's choices (``relabel``), asked once

    def choices() -> Choices | None:
        if not asked and relabel is not None:
            asked.append(relabel())
        return asked[0] if asked else None

    def second_look(at: int) -> tuple[np.ndarray, list[int]] | None:
        """The rows of the files that chose from the vocabulary and their choices' concepts
        (without K, a sample's, its names counted against ``at``)."""
        made = choices() if k else look(at) if look is not None else None
        if made is None or len(made.made) < 2:
            return None
        rows = np.array([n for n, (item_id, _, _) in enumerate(described) if item_id in made.made])
        return rows, label_concepts([made.made[described[n][0]] for n in rows], embed,
                                    ctx.settings.label_merge_distance)

    found: np.ndarray | None = None  # the partition of ``vectors`` at the K given (automatic K: unused)
    led = form_words = None
    kinds = item_kinds(ctx, described) if raw is not None else []
    is_document = [kind == "document" for kind in kinds]
    if raw is not None and ctx.settings.form_check and len(described) > 2:  # text or form?
        ks = [k] if k else halvings(estimate_k(concepts, ctx.settings.min_group_share, ctx.settings.k_auto_max))
        led = lead_with_form(ctx, descriptions, is_document, text, concepts, ks, build, text_partition,
                             partial(second_look, ks[0]) if (relabel if k else look) is not None else None)
        if led is not None:
            vectors, report, found, form_words = led
        elif k:
            found = text_led.get(k)
    made = choices() if raw is not None and led is None and relabel is not None else None
    chosen = made.made if made is not None and made.used else None
    if chosen is not None:  # the items' chosen names are their labels from here on
        labels, concepts, weight = read(chosen)
        text_agreement = criterion_agreement(text, concepts, nearest=near)
        vectors, report = build(text, agreement=text_agreement)
        text_led.clear()
        found = None
    text_weight, factor = 1.0, 1.0
    carries = False  # the text check found that the text carries the criterion
    # Pictures keep the weights (relevance.py: their answers agree with themselves whether or
    # not the describers were right); the check runs for them only to tell automatic K.
    weighs = not mostly_pictures(kinds)
    if (raw is not None and led is None and ctx.settings.text_check and len(described) > 2
            and (weighs or k is None)):
        checked = check_text(ctx, descriptions, labels, text, embed, nearest=near)  # does the text carry the criterion?
        carries = checked.found_carrying
        ctx.stats["text_check"] = checked.report(weighs)
        if weighs:
            text_weight, factor = block_weights(checked.ratio)
        if (text_weight, factor) != (1.0, 1.0):
            vectors, report = build(text, text_weight, factor, agreement=text_agreement)
            found = None
    if raw is not None and led is None and ctx.settings.answer_words:  # the text leads: with the answers' words
        block, info = documents_answer_words(descriptions, is_document, concepts)
        if block is not None:
            words_weight = answer_words_weight(info["coverage"], text_agreement)
            vectors, report = build(with_answer_words(text, block, words_weight), text_weight, factor)
            ctx.stats["answer_words"] = {**info, "text_agreement": round(text_agreement, 3),
                                         "weight": round(words_weight, 3)}
            found = None
    bar = StageProgress(ctx.progress, "cluster", 1)  # after the check, whose second answers show as "reask"
    if raw is not None:
        ctx.stats["label_weight"] = {"concepts": len(set(concepts)),
                                     "weight": round(report.get("label", {}).get("weight", 0.0), 3)}
    ctx.stats["blocks"] = report
    judge = CoherenceJudge(ctx, vectors, descriptions)  # automatic K only; cached answers
    if k is None:
        found, report = auto_clusters(ctx, vectors, concepts, judge, partition, labels, text if carries else None,
                                      text_nearest=near)
        clustering = from_labels(vectors, found)
        k = report["k"]
        ctx.stats["auto_k"] = report
    else:
        clustering = from_labels(vectors, found if found is not None else partition(vectors, k))
    bar.advance()
    # Values, choices, and years or months are names as they are: a group most of whose
    # files answered "2024" is "2024", not a name the model makes of its members ("April 2024").
    names, given = name_clusters(ctx, clustering, labels, descriptions,
                                 values=raw is None or chosen is not None or marks_are_answers(labels),
                                 words=form_words)
    if ctx.settings.k is None:  # automatic K: clusters the model named alike are merged
        merged, kept = merge_same_names(clustering.labels, given, lambda m: judge(m) >= 0.5)
        if len(kept) < len(names):
            ctx.stats["auto_k"].update(named_alike=len(names) - len(kept), k=len(kept))
            clustering, names = from_labels(vectors, merged), [names[c] for c in kept]
            k = len(kept)
    conf = confidences(clustering)
    assign_bar = StageProgress(ctx.progress, "assign", len(described))
    out = {}
    for n, (item_id, _, _) in enumerate(described):
        out[item_id] = Assignment(int(clustering.labels[n]), float(conf[n]), float(conf[n]) < ctx.settings.unsure_below)
        assign_bar.advance()
    ctx.stats["cluster"] = {"k": int(k), "unsure": sum(a.unsure for a in out.values())}
    return names, out
