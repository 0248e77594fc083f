"""Does the files' text carry the criterion? Read off each run, to weigh the text (issue 11).

The hybrid grouping (stages/cluster.py) puts each file's text embedding next to its answer
under the criterion, the text at full weight: where the criterion is the files' topic
(MASSIVE, banking77, the captions, the project a document is for) the text's geometry is
the better half, and labels at equal weight cost up to 0.15 ACC. Where the criterion is
another property of the files (the kind of a document, the trip a photo was taken on) the
text groups by topic and the answers must decide.

Telling the two apart from the data: how far a file's nearest text neighbours share its
answer's concept (``criterion_agreement``, beyond chance) says how much the text follows the
answers, but low agreement can mean two things, a text that lacks the criterion or answers
that are noise, and the two need opposite weights (docs/benchmarks.md: gating the text by
this agreement lifted the kind of document and sank the projects). So the answers'
reliability is measured too: a sample of the files is asked the criterion a second time, in
other words (``prompts.reask_messages``), and the two answers' agreement beyond chance (files
with a vague answer such as "Documents" left out) is how far answers of this run can agree
at all. The ratio

    neighbours' agreement / the same file's agreement with itself, asked again

is near 1 where a text neighbour is as good as the file itself, and low where the answers are
consistent but the text's neighbourhoods ignore them. From ``CARRIES_AT`` up the text keeps
its default weight; from ``LACKS_AT`` down the text and the labels swap weights; linearly in
between (``block_weights``). The measured sides nearly touch (kind of document 0.23-0.36,
banking77 0.41-0.48), so the check acts only where the case is clear; held-out data decide.

Not for pictures (more than half of the files, ``cluster.mostly_pictures``): a picture's
description is its describers' words (the classifier's tags, the EXIF date and place), and
asked again the model reads the same words, so its answers agree with themselves whether or
not the describers were right (the objects of 32-pixel pictures from their tags: 0.608), and
the ratio's premise, that answers which agree with themselves can outweigh the text, fails.
Measured (docs/benchmarks.md, "The model judges its two answers", pictures): trip_photos
300 by object read 0.298 and the swap took it 0.447 -> 0.357, under k-means' 0.370; by trip
and by year (whose EXIF-read answers are right, and whose moments carry them) 1.000 both
ways. With K given the
check is not run for pictures (no file asked again); without K it runs, since whether the
text carries the criterion tells automatic K which answers to count (``autok``).

Where the documents' form leads the grouping instead of their text (stages/form.py,
``cluster.lead_with_form``), the text's weight is moot and the check is not run (no file is
asked again). On 300 household documents by kind the check read 0.60 (the answers named
projects often enough to agree with the text), so it could not have helped there.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import prompts
from ..jobs import StageProgress
from .autok import label_concepts
from .base import StageContext
from .inflight import Ask, cached_many
from .labels import is_vague
from .propose import ANSWER_CHARS, parse_answer

Embed = Callable[[list[str]], np.ndarray]

REASK_SAMPLE = 160  # files asked a second time at most (all of them in a smaller folder)
MIN_CLEAR = 8  # files with two clear answers the check needs, else the text keeps its weight
# The sample is asked in a random order and looked at after LOOK_FIRST files and every
# LOOK_EVERY more: where the decision the answers are asked for (the text's weight) is the
# same across the middle SURE of BOOTSTRAP resamples of the files asked
# so far, the rest are not asked. Where the case is close, all REASK_SAMPLE are.
LOOK_FIRST = 40
LOOK_EVERY = 40
BOOTSTRAP = 200
SURE = 0.9
# The ratio from which the text counts as carrying the criterion (the default weights), and
# the one under which it does not (text and labels swapped), linearly in between. Measured
# (docs/benchmarks.md): sets whose text lacks the criterion 0.18-0.36 (kind of document 0.23
# on 60 documents, 0.36 on 150; trips 0.18), sets whose text carries it 0.41-1.02 (banking77
# 0.41-0.48 on four samples of 80-160, MASSIVE 0.57-0.61, projects 0.58-1.02, captions 0.79-0.82). The
# two sides nearly touch, and a topic set read as lacking the criterion falls below k-means
# (banking77 at 0.41 with the weights ramped from 0.30 to 0.44: ACC 0.635 -> 0.586), so the
# ramp stops below the lowest topic set, with a margin: it acts only on clear cases.
CARRIES_AT = 0.36
LACKS_AT = 0.25


def block_weights(ratio: float) -> tuple[float, float]:
    """(text weight, factor on the label weight) for a check's ratio: (1, 1) where the text
    carries the criterion, (0.5, 2) where it does not (the labels then count twice the text
    instead of half), linearly in between. Measured (docs/benchmarks.md): with the labels at
    twice the text, kind of document 0.317 -> 0.600 (60) and 0.327 -> 0.573 (150), trips
    1.000 both ways; MASSIVE and banking77 lose 0.10-0.15 that way."""
    t = min(1.0, max(0.0, (ratio - LACKS_AT) / (CARRIES_AT - LACKS_AT)))
    return 0.5 + 0.5 * t, 2.0 - t


@dataclass(frozen=True)
class TextCheck:
    sampled: int  # files asked a second time
    reliability: float  # a file's two answers in one concept, beyond chance
    neighbours: float  # text neighbours in the file's concept, beyond chance
    ratio: float  # neighbours / reliability

    @property
    def carries(self) -> bool:
        """The text keeps its default weight (``block_weights``)."""
        return self.ratio >= CARRIES_AT

    @property
    def found_carrying(self) -> bool:
        """The check measured that the text carries the criterion (``carries`` is also true
        where it could not measure, too few clear answers or answers no better than chance,
        and the text keeps its weight by default)."""
        return self.reliability > 0 and self.carries

    def report(self, weighs: bool = True) -> dict:
        """The check for the run's stats; ``weighs``: whether its weights were applied (not
        for pictures, whose weights stay: the module's docstring)."""
        text, labels = block_weights(self.ratio) if weighs else (1.0, 1.0)
        return {"sampled": self.sampled, "reliability": round(self.reliability, 3),
                "neighbours": round(self.neighbours, 3), "ratio": round(self.ratio, 3),
                "text_carries": self.carries, "text_weight": round(text, 3), "label_factor": round(labels, 3),
                **({} if weighs else {"pictures": True})}


def sample_rows(n: int, size: int) -> list[int]:
    """``size`` rows of ``n`` at random, the same on every run (sorted)."""
    return sorted(sample_order(n, size))


def sample_order(n: int, size: int) -> list[int]:
    """The rows of :func:`sample_rows` in the order they are asked: a random order, so that
    the files asked first are a random sample too."""
    rng = np.random.default_rng(0)
    if n <= size:
        return rng.permutation(n).tolist()
    return rng.choice(n, size=size, replace=False).tolist()


def reask_payload(criterion: str, description: str) -> dict[str, str]:
    """What a second answer is cached under: the criterion and the file's text."""
    return {"criterion": criterion, "text": description[:ANSWER_CHARS]}


def uncached_reasks(ctx: StageContext, descriptions: Sequence[str]) -> list[str]:
    """The descriptions the check will ask again that are not cached yet (engine/estimate.py)."""
    chosen = [descriptions[i] for i in sample_rows(len(descriptions), REASK_SAMPLE)]
    return [d for d in chosen if not ctx.project.cache_has(
        ctx.cache_key("reask", prompts.VERSIONS["reask"], reask_payload(ctx.settings.criterion, d)))]


def reask(ctx: StageContext, descriptions: Sequence[str], bar: StageProgress | None = None) -> list[str]:
    """Each description's answer to the criterion asked in other words (cached); its calls
    and seconds go into ``ctx.stats`` like a per-file stage's (engine/estimate.py).
    ``bar``: the stage's progress, where the caller asks in parts."""
    criterion = ctx.settings.criterion
    bar = bar or StageProgress(ctx.progress, "reask", len(descriptions))
    jobs = []
    for description in descriptions:
        payload = reask_payload(criterion, description)
        jobs.append((payload, Ask(prompts.reask_messages(criterion, payload["text"]), prompts.words_grammar(), 24,
                                  parse_answer)))
    started = time.perf_counter()
    answers = cached_many(ctx, "reask", jobs, bar.advance)
    calls = sum(computed for _, computed in answers)
    # added up over the check's looks
    counted = ctx.stats.setdefault("reask", {"calls": 0, "cached": 0})
    counted["calls"] += calls
    counted["cached"] += len(answers) - calls
    seconds = ctx.stats.setdefault("seconds", {})
    seconds["reask"] = seconds.get("reask", 0.0) + time.perf_counter() - started
    return [str(answer) for answer, _ in answers]


def beyond_chance(observed: float, chance: float) -> float:
    return (observed - chance) / (1.0 - chance) if chance < 1.0 else 0.0


Settled = Callable[[np.ndarray, list[int]], bool]


def answer_reliability(
    ctx: StageContext,
    descriptions: list[str],
    labels: list[str],
    embed: Embed,
    sample_size: int = REASK_SAMPLE,
    settled: Settled | None = None,
) -> tuple[int, float | None, list[int]]:
    """(files asked again, how often a file's two answers fall in one concept beyond chance,
    the concept of each of ``labels``): up to ``sample_size`` files are asked the criterion a
    second time (``reask``, cached). The reliability is None where fewer than ``MIN_CLEAR``
    files gave two clear answers (a vague one such as "Documents" is no answer).

    ``settled(reliabilities, concepts)``: whether the caller's decision is made, given the
    reliability of ``BOOTSTRAP`` resamples of the files asked so far; asked at each look
    (``LOOK_FIRST``, then every ``LOOK_EVERY``), and where it is, no more files are asked."""
    n = len(descriptions)
    order = sample_order(n, sample_size)
    bar = StageProgress(ctx.progress, "reask", len(order))
    embed = remembered(embed)  # each look reads the same labels again: embedded once
    again_by_row: dict[int, str] = {}
    reliability: float | None = None
    start = 0
    for end in [*range(LOOK_FIRST, len(order), LOOK_EVERY), len(order)]:
        new = order[start:end]
        start = end
        again_by_row.update(zip(new, reask(ctx, [descriptions[i] for i in new], bar), strict=True))
        rows = sorted(again_by_row)
        again = [again_by_row[i] for i in rows]
        concepts = label_concepts(list(labels) + again, embed, ctx.settings.label_merge_distance)
        first, second = np.asarray(concepts[:n]), np.asarray(concepts[n:])
        clear = [j for j, i in enumerate(rows) if not (is_vague(labels[i]) or is_vague(again[j]))]
        if len(clear) < MIN_CLEAR:
            reliability = None
            continue
        a, b = first[[rows[j] for j in clear]], second[clear]
        reliability = _beyond_chance_agreement(a, b)
        if end < len(order) and settled is not None and settled(_resampled(a, b), first.tolist()):
            bar.finish(f"{len(rows)} of {len(order)} files asked again: the answer is clear")
            break
    return len(rows), reliability, first.tolist()


def remembered(embed: Embed) -> Embed:
    """``embed`` that embeds each text once, however often it is asked."""
    seen: dict[str, np.ndarray] = {}

    def once(texts: list[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in seen]
        if new:
            seen.update(zip(new, embed(new), strict=True))
        return np.array([seen[t] for t in texts])

    return once


def _beyond_chance_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Two answers of one file in one concept (``a[i] == b[i]``), against two files' answers
    drawn independently."""
    ours, theirs = Counter(a.tolist()), Counter(b.tolist())
    chance = sum(ours[c] * theirs.get(c, 0) for c in ours) / len(a) ** 2
    return beyond_chance(float((a == b).mean()), chance)


def _resampled(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The agreement of ``BOOTSTRAP`` resamples of the files (fixed seed), centred on the
    agreement of the files themselves: a resample repeats files, which raises the chance
    agreement it is measured against, so the resamples' agreement lies lower by itself."""
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(a), size=(BOOTSTRAP, len(a)))
    spread = np.array([_beyond_chance_agreement(a[p], b[p]) for p in picks])
    return spread - spread.mean() + _beyond_chance_agreement(a, b)


def _middle(values: np.ndarray) -> tuple[float, float]:
    """The bounds of the middle ``SURE`` of ``values``."""
    lo, hi = np.quantile(values, [(1 - SURE) / 2, (1 + SURE) / 2])
    return float(lo), float(hi)


def check_text(
    ctx: StageContext,
    descriptions: list[str],
    labels: list[str],
    text: np.ndarray,
    embed: Embed,
    sample_size: int = REASK_SAMPLE,
    nearest: np.ndarray | None = None,
) -> TextCheck:
    """Whether the text (``text``: one embedding per description) carries the criterion that
    ``labels`` (each file's answer) read; see the module's docstring. ``nearest``: the text's
    ``cluster.text_neighbours``, where the caller has searched them. Files stop being asked
    again once the ratio is beyond doubt at one end of the ramp (``block_weights``): above
    ``CARRIES_AT`` or below ``LACKS_AT``."""
    from .cluster import criterion_agreement  # cluster weighs blocks with this module's check

    def ratio(neighbours: float, reliability: np.ndarray) -> np.ndarray:
        # answers that agree no better than chance with themselves tell nothing: keep the text
        return np.where(reliability > 0, neighbours / np.maximum(reliability, 1e-9), 1.0)

    def settled(reliabilities: np.ndarray, concepts: list[int]) -> bool:
        lo, hi = _middle(ratio(criterion_agreement(text, concepts, nearest=nearest), reliabilities))
        return lo >= CARRIES_AT or hi < LACKS_AT  # within the ramp the weights follow the ratio itself

    sampled, reliability, first = answer_reliability(ctx, descriptions, labels, embed, sample_size, settled)
    if reliability is None:
        return TextCheck(sampled, 0.0, 0.0, 1.0)  # too few answers to judge the text by: keep it
    neighbours = criterion_agreement(text, first, nearest=nearest)
    return TextCheck(sampled, reliability, neighbours, float(ratio(neighbours, np.array(reliability))))


def explain(report: dict | None) -> str:
    """The check in one line, e.g. "the files' text does not carry the criterion (0.23 of the
    answers' own agreement, 60 files asked again): text weight 0.5, answers 2 x as usual"."""
    if not report:
        return ""
    how = (f"{report.get('ratio', 0):.2f} of the answers' own agreement, "
           f"{report.get('sampled', 0)} files asked again")
    if report.get("text_carries"):
        return f"the files' text carries the criterion ({how})"
    if report.get("pictures"):
        return (f"the pictures' text does not carry the criterion ({how}); their weights stay: a "
                "picture's answers are read off its describers' words")
    return (f"the files' text does not carry the criterion ({how}): text weight "
            f"{report.get('text_weight', 1):g}, answers {report.get('label_factor', 1):g} x as usual")
