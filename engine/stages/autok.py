"""Automatic K for the hybrid method: the labels propose a granularity, the LLM checks it.

No K from the user means Corral has to decide how fine the groups are. Silhouette scores of
embeddings do not know the criterion (on MASSIVE they prefer a handful of broad groups), so
the decision follows the papers instead:

1. **Labels propose K** (seed 000's merge, done with embeddings): the raw labels the LLM
   wrote under the criterion are merged when their embeddings are closer than a cosine
   distance ``merge_distance`` (seed 001's post-correction threshold on label embeddings);
   every merged label group above the sizes' noise floor (:func:`noise_floor`) and holding
   at least ``min_share`` of the items is one group, except, where the text carries the
   criterion, one whose files do not read alike (:func:`scattered_concepts`).
   **The data may overrule that count** (:func:`stable_k`): between half and twice it, a
   K whose cuts come out clearly steadier across resamples of the files is taken instead
   (above the count, only at a clear peak of steadiness).
2. **Coherence check** (seed 001, section 3.1), where the labels' count stood: for each cluster the LLM reads a
   spread-out sample of its members and answers Good (one intent/category under the
   criterion) or Bad, as a grammar-constrained choice. Bad clusters big enough to split are
   re-clustered in two (Algorithm 1's "re-cluster the bad ones", one round), and the split
   is kept only when both halves are judged Good, each more surely than every one of a few
   handfuls of files drawn at random from the folder (:meth:`CoherenceJudge.good`).
3. **Near-duplicates merged** (seed 001, 4.1.2): clusters whose dominant label is the same
   concept are joined when the LLM judges their union coherent too, beyond chance likewise
   (so a cluster split in step 2 is not glued back just because the labels were too
   coarse). After naming (``cluster.hybrid_groups``), clusters the model gave the same name
   although it was told the name was taken are merged too when the judge finds the pair one
   group (seed 001 merges clusters by their names; the names are the evidence there, and the
   judge only a veto at 0.5).

Each step is cached in the project like every other model answer.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import numpy as np

from .. import prompts
from ..jobs import StageProgress
from .base import StageContext
from .labels import label_key, marked_apart, marks, marks_are_answers

Embed = Callable[[list[str]], np.ndarray]

SAMPLE_MEMBERS = 5
# A label concept given by this share of the files is a group, whatever the noise floor: a
# tail of answers in the files' own words does not put 5% of a folder on one wording, and
# without this cap one big group (a long trip among short ones) lifts the floor above the rest.
NOISE_SHARE_MAX = 0.05


def label_concepts(raw_labels: list[str], embed: Embed, merge_distance: float) -> list[int]:
    """A concept index per item: labels merged by average-linkage clustering of their
    embeddings, cut at ``merge_distance`` (cosine); spellings of one label are one concept.

    Where at least half the answers are nothing but numbers, months or seasons
    (``labels.marks_are_answers``: "2024" for "which year is this from"), the marks are the
    answer, which the embedding barely sees ("2022" and "2023" are 0.22 apart in MiniLM): labels
    whose marks differ (``labels.marked_apart``) are never one concept, and labels with the
    same marks always are ("Cape Town 2024" and "2024"). Elsewhere marks change nothing: a
    "Client 14" among client names is left to the embedding as before (docs/benchmarks.md)."""
    from sklearn.cluster import AgglomerativeClustering

    keys = [label_key(lab) or "unlabelled" for lab in raw_labels]
    distinct = sorted(set(keys))
    if len(distinct) == 1:
        return [0] * len(keys)
    vecs = embed(distinct)
    vecs = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    distance = np.clip(1.0 - vecs @ vecs.T, 0.0, 2.0)
    if marks_are_answers(keys):
        marked = [marks(key) for key in distinct]
        kinds = sorted({m for m in marked if m}, key=sorted)  # one test per pair of distinct marks
        rows = {m: [i for i, x in enumerate(marked) if x == m] for m in kinds}
        for n, a in enumerate(kinds):
            distance[np.ix_(rows[a], rows[a])] = 0.0
            for b in kinds[n + 1:]:
                if marked_apart(a, b):
                    distance[np.ix_(rows[a], rows[b])] = distance[np.ix_(rows[b], rows[a])] = 2.0
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                    distance_threshold=merge_distance).fit(distance)
    concept = dict(zip(distinct, model.labels_.tolist(), strict=True))
    return [concept[k] for k in keys]


def min_group_size(n: int, min_share: float) -> int:
    """The fewest items a group of its own needs: ``min_share`` of ``n``, at least 2."""
    return max(2, int(np.ceil(min_share * n)))


def noise_floor(sizes: list[int]) -> int:
    """The size that parts a folder's label concepts into groups and noise, with no constant:
    the two-class threshold on the concepts' log sizes, each concept weighted by its items,
    that maximises the between-class variance (Otsu's method); 0 when all sizes are equal.

    Answers asked one file at a time come as a few big concepts and a long tail of small
    ones, where a file named its value in its own words ("My Car", "Vehicle Purchase" for one
    project). A fixed share (``min_share``) counts too much of that tail when the answers are
    specific: measured with prompt q2 (docs/benchmarks.md), 9 groups for 5 projects and 17
    for 6 trips; with this floor 5 and 5. Where the sizes fall off smoothly (MASSIVE: 27 for
    18) the floor is no higher than the share and changes nothing."""
    if len(set(sizes)) < 2:
        return 0
    size = np.asarray(sizes, dtype=float)
    cut = otsu(np.log(size), weights=size)
    return int(size[np.log(size) > cut].min())


def otsu(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Otsu's two-class threshold on ``values`` (each counted with its weight, 1 without):
    the largest value of the lower class, split between distinct values where the
    between-class variance w0 * w1 * (m0 - m1)^2 is largest (the first such split on a tie);
    the largest value when all are equal."""
    distinct, where = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    if len(distinct) < 2:
        return float(distinct[-1])
    w = np.bincount(where, weights=None if weights is None else np.asarray(weights, dtype=float))
    w0 = np.cumsum(w)[:-1]
    s0 = np.cumsum(w * distinct)[:-1]
    w1, s1 = w.sum() - w0, (w * distinct).sum() - s0
    between = w0 * w1 * (s0 / w0 - s1 / w1) ** 2
    return float(distinct[int(np.argmax(between))])


def counted_size(concepts: list[int], min_share: float) -> int:
    """The fewest items a label concept needs to count as a group: the noise floor
    (:func:`noise_floor`, capped at ``NOISE_SHARE_MAX`` of the items), at least ``min_share``."""
    n = len(concepts)
    floor = min(noise_floor(list(Counter(concepts).values())), int(np.ceil(NOISE_SHARE_MAX * n)))
    return max(min_group_size(n, min_share), floor)


def estimate_k(concepts: list[int], min_share: float, k_max: int, scattered: frozenset[int] = frozenset()) -> int:
    """The number of label concepts of :func:`counted_size` items or more, less those in
    ``scattered`` (:func:`scattered_concepts`); at least 2."""
    n = len(concepts)
    min_size = counted_size(concepts, min_share)
    big = sum(1 for c, size in Counter(concepts).items() if size >= min_size and c not in scattered)
    return int(min(max(2, big), k_max, max(2, n // 2)))


NEIGHBOURS_TESTED = 10  # each item's nearest text neighbours, for scattered_concepts
SCATTERED_P = 0.01  # the test's level, over all the concepts tested (Bonferroni)


def scattered_concepts(text: np.ndarray, concepts: list[int], min_size: int,
                       nearest: np.ndarray | None = None) -> frozenset[int]:
    """The label concepts of ``min_size`` items or more whose items are not each other's
    nearest text neighbours beyond chance: a one-sided binomial test on the neighbour slots
    (``NEIGHBOURS_TESTED`` a file, each in the file's concept with chance (size - 1) / (n - 1)),
    at ``SCATTERED_P`` over the concepts tested.

    Only for a run whose text carries the criterion (the text check, stages/relevance.py):
    there a value's files read alike, and an answer whose files do not is the model's noise,
    not a value. Asked "which area of life is this request about", 9 files answered
    "Health" (4 small talk, 2 questions, ...), 8 "Personal life" (3 areas): neighbour lifts
    0.9 and 2.3 against 6-30 for "Weather", "Email" or "Cooking" (docs/benchmarks.md,
    "Automatic K"). ``nearest``: the text's ``cluster.text_neighbours``, where searched."""
    from scipy.stats import binom

    from .cluster import text_neighbours

    labels = np.asarray(concepts)
    n = len(labels)
    sizes = Counter(concepts)
    tested = [c for c, size in sizes.items() if size >= min_size]
    if n < 3 or not tested:
        return frozenset()
    size = min(NEIGHBOURS_TESTED, n - 1)
    if nearest is None or nearest.shape != (n, size):
        nearest = text_neighbours(text, size)
    same = labels[nearest] == labels[:, None]
    out = set()
    for c in tested:
        rows = labels == c
        hits, slots = int(same[rows].sum()), int(rows.sum()) * size
        if binom.sf(hits - 1, slots, (sizes[c] - 1) / (n - 1)) >= SCATTERED_P / len(tested):
            out.add(c)
    return frozenset(out)


STABILITY_ROWS = 1000  # stability is measured on at most this many rows (a fixed random sample)
STABILITY_PAIRS = 10  # pairs of resamples per K
STABILITY_SHARE = 0.8  # each resample holds this share of the rows
STABILITY_KS = 16  # the most K tried, spaced evenly in log (each costs a cut per resample)


def qr_cut(maps: np.ndarray) -> np.ndarray:
    """A cluster index per row of a spectral embedding (its columns: the graph's first
    eigenvectors), by column-pivoted QR (Damle, Minden and Ying 2019): the ``cluster_qr``
    that ``cluster.partition`` uses through scikit-learn, here on the first K columns of an
    embedding computed once for every K."""
    from scipy.linalg import qr, svd

    k = maps.shape[1]
    _, _, pivots = qr(maps.T, pivoting=True)
    u, _, v = svd(maps[pivots[:k], :].T)
    return np.abs(maps @ (u @ v.conj())).argmax(axis=1)


def stable_k(vectors: np.ndarray, around: int, k_max: int, seed: int = 0) -> tuple[int, dict[int, float]]:
    """K from the labels' estimate ``around`` and the steadiness of the cuts between half
    and twice it (cluster stability: Ben-Hur, Elisseeff and Guyon 2002; Dial-In scores K
    with it), and the stability of every K tried.

    The labels know the criterion's granularity only roughly: they count the topic words
    that answers leak as groups of their own (11 for 6 kinds of document). Within a factor
    of two, the data may overrule them: a cut that follows real groups comes out the same
    from any 80% of the files, while a cut through a group moves with the sample. Upward
    only to a peak: on a few hundred files the cuts into many small groups come out
    steadier the more there are, whatever the criterion and on the text alone too
    (requests by area of life, 324 files: 0.55 at the true 9, 0.73 at 27), so a K above
    the labels' is taken only where the stability clearly falls again after it (six trips,
    labels 4: 0.82, 1.00, 0.89 at 5, 6, 7), never at the window's top (32 for 9 requests' areas
    had won, the curve still rising; docs/benchmarks.md, "Automatic K"). Each
    resample is cut the way ``cluster.partition`` cuts (spectral, QR, or k-means for a K
    below the graph's number of pieces), with one spectral embedding per resample serving
    every K: on one graph of ``SPECTRAL_NEIGHBOURS`` neighbours, where ``partition`` widens
    the graph for big groups (``cluster.spectral_neighbours``). A graph that changed with K
    would confound the steadiness of K with that of the graph; replayed on 18 runs' vectors,
    the widened graph here lost the studio's kinds (4 -> 3 for 6) and moved only one
    other K (requests by scenario, 6 -> 7 for 18). Stability is the adjusted Rand index of
    two resamples' cuts on the rows both hold, over ``STABILITY_PAIRS`` pairs. The labels' K stands unless some K, not below the number of
    pieces, is steadier beyond doubt (its gain on the same pairs above twice its standard
    error); then the steadiest K is taken. Only K with at least 4 rows a cluster in a resample are tried
    (the rule ``partition`` follows), at most ``STABILITY_KS`` of them; with too few rows,
    ``around`` is kept."""
    from scipy.linalg import eigh
    from scipy.sparse.csgraph import connected_components, laplacian
    from sklearn.metrics import adjusted_rand_score
    from sklearn.neighbors import kneighbors_graph

    from .cluster import SPECTRAL_NEIGHBOURS, kmeans

    rng = np.random.default_rng(seed)
    rows = vectors if len(vectors) <= STABILITY_ROWS else vectors[rng.choice(len(vectors), STABILITY_ROWS, replace=False)]
    n = len(rows)
    size = int(STABILITY_SHARE * n)
    lo, hi = max(2, -(-around // 2)), min(2 * around, k_max, size // 4)
    if hi < lo or size <= SPECTRAL_NEIGHBOURS:
        return around, {}

    tried = list(range(lo, hi + 1))
    if len(tried) > STABILITY_KS:  # a wide window: K spaced in log, the labels' own among them
        tried = sorted({min(max(around, lo), hi)} | set(np.rint(np.geomspace(lo, hi, STABILITY_KS)).astype(int).tolist()))

    def cuts(picked: np.ndarray) -> dict[int, np.ndarray]:
        graph = kneighbors_graph(rows[picked], n_neighbors=SPECTRAL_NEIGHBOURS, include_self=True)
        # scikit-learn's spectral embedding, solved densely (the rows are at most
        # STABILITY_ROWS): the normalised Laplacian's first eigenvectors over the degrees' roots
        lap, root_degree = laplacian(0.5 * (graph + graph.T), normed=True, return_diag=True)
        _, every = eigh(lap.toarray())  # all of them: faster than a subset by index (5 s against 0.2 s)
        maps = every[:, :hi] / root_degree[:, None]
        # a graph in more pieces than K: k-means, as ``partition`` cuts it
        pieces = connected_components(graph, directed=False)[0]
        return {k: qr_cut(maps[:, :k]) if k >= pieces else kmeans(rows[picked], k).labels for k in tried}

    scores: dict[int, list[float]] = {k: [] for k in tried}
    for _ in range(STABILITY_PAIRS):
        a, b = (np.sort(rng.choice(n, size, replace=False)) for _ in range(2))
        _, in_a, in_b = np.intersect1d(a, b, return_indices=True)
        cut_a, cut_b = cuts(a), cuts(b)
        for k in scores:
            scores[k].append(adjusted_rand_score(cut_a[k][in_a], cut_b[k][in_b]))
    stability = {k: float(np.mean(v)) for k, v in scores.items()}

    def steadier(k: int, than: int) -> bool:
        """Beyond doubt: on the same pairs of resamples, the gain is above twice its standard error."""
        d = np.subtract(scores[k], scores[than])
        return bool(d.mean() > 2 * d.std(ddof=1) / np.sqrt(len(d)))

    # The labels' K stands unless another is steadier beyond doubt. Only a K at least the
    # number of the graph's pieces can overrule: to join pieces with no neighbour between
    # them is the labels' call (two trips of one year), which k-means makes as steadily as
    # the pieces are kept apart, so the data cannot judge it. Above the labels' K, only a
    # peak: a K steadier beyond doubt than the next K tried above it.
    own = min(scores, key=lambda k: abs(np.log(k / around)))
    pieces = connected_components(kneighbors_graph(rows, n_neighbors=SPECTRAL_NEIGHBOURS), directed=False)[0]
    above = dict(zip(tried, tried[1:], strict=False))
    peaks = [k for k in tried if k <= around or (k in above and steadier(k, above[k]))]
    clear = [k for k in peaks if k >= pieces and steadier(k, own)]
    return (max(clear, key=lambda k: stability[k]) if clear else own), stability


def spread_sample(vectors: np.ndarray, centroid: np.ndarray, size: int) -> list[int]:
    """Row indices of ``size`` members: the one nearest the centroid, then each next the
    farthest from those already taken (seed 001 found spread-out samples judge better)."""
    if len(vectors) <= size:
        return list(range(len(vectors)))
    picked = [int(np.argmax(vectors @ centroid))]
    dist = 1 - vectors @ vectors[picked[0]]
    while len(picked) < size:
        nxt = int(np.argmax(dist))
        picked.append(nxt)
        dist = np.minimum(dist, 1 - vectors @ vectors[nxt])
    return picked


# Random handfuls of the folder's files the judge reads before its verdicts may move K: the
# chance level of a verdict in this run (CoherenceJudge.chance).
CHANCE_HANDFULS = 8


class CoherenceJudge:
    """Seed 001's coherence evaluation: the probability that a set of items is one Good
    group under the criterion, judged by the LLM on a spread-out sample (cached).

    A verdict that splits or joins clusters must beat chance in this run (:meth:`good`):
    the 1.5B model gives five files of one true class P(Good) 0.50-0.58 and five files drawn
    at random 0.47-0.53, the spread as large as the difference (docs/benchmarks.md), so its
    "Good" alone moved K by chance."""

    def __init__(self, ctx: StageContext, vectors: np.ndarray, descriptions: list[str]) -> None:
        self.ctx = ctx
        self.unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self.descriptions = descriptions
        self.calls = 0
        self.chance_level: float | None = None

    def chance(self) -> float:
        """The highest P(Good) the judge gives any of ``CHANCE_HANDFULS`` handfuls of files
        drawn at random from the whole folder (fixed seed, so cached on a re-run): files
        that need not share a value under the criterion. Asked once a run, when first needed."""
        if self.chance_level is None:
            rng = np.random.default_rng(0)
            n = len(self.unit)
            self.chance_level = max(self(rng.choice(n, size=min(SAMPLE_MEMBERS, n), replace=False))
                                    for _ in range(CHANCE_HANDFULS))
        return self.chance_level

    def good(self, members: np.ndarray) -> bool:
        """Judged one group, and more surely than every random handful of the folder: by
        chance a verdict beats all of them one time in ``CHANCE_HANDFULS + 1``."""
        p = self(members)
        return p >= 0.5 and p > self.chance()

    def __call__(self, members: np.ndarray) -> float:
        ctx = self.ctx
        ctx.cancel.check()
        unit = self.unit[members]
        picked = spread_sample(unit, unit.mean(axis=0), SAMPLE_MEMBERS)
        sample = [self.descriptions[members[i]][:160] for i in picked]

        def judge() -> float:
            choice = ctx.model.get().choose(
                prompts.coherence_messages(ctx.settings.criterion, sample), ["Good", "Bad"])
            return float(choice.first_step.get(0, 1.0 if choice.index == 0 else 0.0))

        p, computed = ctx.cached("coherence", {"criterion": ctx.settings.criterion, "sample": sample}, judge)
        self.calls += computed
        return float(p)


def coherence_steps(
    ctx: StageContext, vectors: np.ndarray, labels: np.ndarray, concepts: list[int],
    judge: CoherenceJudge, cluster: Callable[[np.ndarray, int], np.ndarray],
    answers: list[str] | None = None,
) -> tuple[np.ndarray, int, int, int]:
    """Seed 001's checks on a partition: the clusters judged Bad split in two where both
    halves are judged Good, then clusters about the same label concept joined where their
    union is judged Good. Returns the new cluster index per item (not renumbered) and the
    counts of Bad clusters, splits and joins.

    ``answers``: the items' own answers; then two clusters are joined only where their
    most given answer is the same word too. A concept is the embedding's guess that two
    answers mean one thing, and MiniLM holds "cat" and "dog" 0.34 apart, under the 0.35
    that joins spellings: the captions' cat and dog clusters, which the partition had kept
    apart, were joined as "Pet" (K 10 -> 9, ACC 0.936 -> 0.848; docs/benchmarks.md)."""
    labels = labels.copy()
    min_size = min_group_size(len(vectors), ctx.settings.min_group_share)

    # Seed 001, Algorithm 1: judge every cluster; an incoherent one is re-clustered in two,
    # and the split is kept when the LLM judges both halves coherent, beyond chance (a split
    # that does not fix it would only add a group).
    clusters = sorted(set(labels.tolist()))
    bar = StageProgress(ctx.progress, "check", len(clusters))
    bad = split = 0
    next_id = int(labels.max()) + 1
    for c in clusters:
        members = np.flatnonzero(labels == c)
        if judge(members) < 0.5:
            bad += 1
            if len(members) >= 2 * min_size:
                halves = cluster(vectors[members], 2)
                if (len(set(halves.tolist())) == 2 and judge.good(members[halves == 0])
                        and judge.good(members[halves == 1])):
                    labels[members[halves == 1]] = next_id
                    next_id += 1
                    split += 1
        bar.advance()

    # Seed 001, 4.1.2: clusters about the same label concept are candidates for merging;
    # they are merged when the LLM judges their union one coherent group.
    dominant: dict[tuple[int, str], list[int]] = {}
    for c in sorted(set(labels.tolist()), key=lambda c: -int((labels == c).sum())):
        members = np.flatnonzero(labels == c)
        concept, count = Counter(concepts[i] for i in members).most_common(1)[0]
        if count / len(members) >= 0.5:
            word = "" if answers is None else Counter(label_key(answers[i]) for i in members).most_common(1)[0][0]
            dominant.setdefault((concept, word), []).append(c)
    merged = 0
    for group in dominant.values():
        keep = group[0]
        for other in group[1:]:
            union = np.flatnonzero((labels == keep) | (labels == other))
            if judge.good(union):
                labels[labels == other] = keep
                merged += 1
    return labels, bad, split, merged


def auto_clusters(
    ctx: StageContext,
    vectors: np.ndarray,
    concepts: list[int],
    judge: CoherenceJudge,
    cluster: Callable[[np.ndarray, int], np.ndarray],
    answers: list[str] | None = None,
    text: np.ndarray | None = None,
    text_nearest: np.ndarray | None = None,
) -> tuple[np.ndarray, dict]:
    """Cluster index per item with K found automatically, and what was decided on the way.

    ``concepts``: each item's label concept (:func:`label_concepts`), ``answers`` the labels
    themselves (:func:`coherence_steps`); ``cluster(vectors, k)`` gives a cluster index per row.
    ``text``: the files' text embedding, where the text carries the criterion; then the
    concepts scattered in it (:func:`scattered_concepts`) do not count toward K;
    ``text_nearest``: its ``cluster.text_neighbours``, where the caller has searched them."""
    s = ctx.settings
    scattered = (scattered_concepts(text, concepts, counted_size(concepts, s.min_group_share), text_nearest)
                 if text is not None else frozenset())
    k_labels = estimate_k(concepts, s.min_group_share, s.k_auto_max, scattered)
    started = time.perf_counter()
    k0, stability = stable_k(vectors, k_labels, s.k_auto_max)
    stable_seconds = time.perf_counter() - started
    labels = cluster(vectors, k0)
    # The coherence checks refine the labels' K; where the resamples overruled it, the data
    # settled K and the checks (whose verdicts carry little signal with a 1.5B model) are not
    # asked: in the three such runs where they moved K (captions, two kind-of-document
    # samples) they moved it away from the true K (docs/benchmarks.md, "Automatic K").
    bad = split = merged = 0
    if k0 == k_labels:
        labels, bad, split, merged = coherence_steps(ctx, vectors, labels, concepts, judge, cluster, answers)
    _, labels = np.unique(labels, return_inverse=True)
    report = {"k_labels": k_labels, "k_stable": k0, "stability": {k: round(v, 3) for k, v in stability.items()},
              "stability_seconds": round(stable_seconds, 2),
              "concepts": len(set(concepts)), "scattered": len(scattered), "bad": bad, "split": split,
              "merged": merged, "k": int(labels.max()) + 1, "checks": judge.calls}
    if judge.chance_level is not None:
        report["chance"] = round(judge.chance_level, 3)
    return labels, report


def explain_k(report: dict | None) -> str:
    """How automatic K was decided, in one line, e.g. "23 groups: 24 label concepts gave 22
    (3 stray answers not counted), the steadiest cut near that 20, 3 split,
    2 joined, 1 pair named alike"."""
    if not report:
        return ""
    steps = [f"{report.get('concepts', '?')} label concepts gave {report.get('k_labels', '?')}"
             + (f" ({report['scattered']} stray answers not counted)" if report.get("scattered") else "")]
    if report.get("k_stable", report.get("k_labels")) != report.get("k_labels"):
        steps.append(f"the steadiest cut near that {report['k_stable']}")
    for key, word in (("split", "split"), ("merged", "joined"), ("named_alike", "named alike")):
        if report.get(key):
            steps.append(f"{report[key]} {word}")
    return f"{report.get('k', '?')} groups chosen automatically: {', '.join(steps)}"
