"""The answers read against one vocabulary, where they are unreliable and the criterion has
common values (issue 11).

A 1.5B model asked each file's answer on its own names the same value many ways, and for a
generic criterion often names the file's topic instead: on the studio's documents by kind
(docs/benchmarks.md) 46 files answered "Invoice" but 23 "Legal document" (the law firm's
quotes and e-mails), 13 "Work Log" and 4 "Timesheet", 81 spellings for 6 kinds. The same
model choosing among the right names was right 90% of the time. So where the model knows
common answers to the criterion (``taxonomy.common_answers``: "Letter, Report, Invoice,
Note, Form, Proposal, Contract" for the kind of a document), files choose one name from a
vocabulary of those common answers and of the answers the files gave most (the assign
stage's constrained choice and cache), and the choices stand in for the free answers in the
grouping (``cluster.hybrid_groups`` asks for them once the text leads it; where the
documents' form leads, the answers only tip a grouping the form makes, and the choices cost
household kinds 0.947 -> 0.897 there). Names that split one value ("Feedback", "Review
Notes") are joined by the grouping's geometry as free answers' spellings were.

Whether the choices are better answers than the free ones is the model's own verdict: where
a file's choice and its free answer differ (two concepts), the model is shown the file and
the two names and picks one (the assign stage's constrained choice between two, in both
orders, since the first named is favoured). The choices stand in only where the model
prefers them in more than half of such files beyond doubt (``PREFERRED``); the files stop
choosing once that is out of reach (:func:`may_still_prefer`). Measured
(docs/benchmarks.md, "The model judges its two answers"): the studio's documents by kind,
where the choices helped (0.608 -> 0.846), preferred in 113 of 153 files; four draws of
requests by area of life, where they cost 0.04-0.18, in 48%, 50%, 41% and 44%. The earlier
gate, the free answers' agreement with themselves asked again (under 0.5), sat on a knife
edge there (studio 0.48-0.52 from one machine to the next, area draws 0.39-0.56).

Where the model knows no common answers (it lists placeholders for "which client", "Client
A, Client B", which ``distinct_values`` drops) the values are the folder's own and the free
answers stay: choosing among the answers' names took the studio's documents by client 0.867
-> 0.521 (the studio's own name, in every invoice's heading, drew files of every client).
Where the model's common answers are other folders' values (sports, for "which club or
group is this for") hardly a file chooses one; the choices are then the files' own answers
chosen again, and the free answers stay (``CHOSEN_COMMON``). Only with K given: without K
the choices' tight groups looked steady at every count (19 groups for the studio's 6 kinds).

Not in the faster mode (``--llm-sample``: the model reads a sample, the embeddings place
the rest), whose grouping has the sample's answers only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..jobs import StageProgress
from .assign import assign_items, assign_job
from .autok import label_concepts
from .base import StageContext
from .inflight import cached_many
from .labels import count_labels, is_vague
from .relevance import Embed, remembered
from .taxonomy import MAX_CANDIDATES, common_answers, distinct_values

MIN_COMMON = 2  # common answers the model must know for the criterion to have a vocabulary
# The model's verdict on its two answers: of the files whose choice and free answer differ,
# the share for which it prefers the choice must be above PREFERRED beyond doubt (the
# one-sided Clopper-Pearson lower bound at CONFIDENCE), looked at with the choices' looks
# below, on at most JUDGED files; else the free answers stay. 0.5 is indifference, not a
# figure fitted to the sets: the studio's kinds 0.74, the requests' areas 0.41-0.50.
PREFERRED = 0.5
JUDGED = 160
# The share of files that must choose one of the model's common answers for the choices to
# stand in for the free answers. Below it the common answers are not this folder's values
# (for "which club or group is this for" the model lists sports: 1.7% of the hand-written
# club documents chose one), and the choices are the files' own answers chosen again,
# which cost where that was measured (docs/benchmarks.md, "Documents written by hand"):
# the clubs by group 0.967 -> 0.889, the studio's clients 0.867 -> 0.521; it helped once,
# the studio's kinds asked as "document type" (file formats listed; 0.517 -> 0.646 at
# c94e39b; without it now 0.633).
# Where the common answers fit, far more choose them: 0.32-0.41 (the studio's kinds,
# requests by area of life).
CHOSEN_COMMON = 0.1
# The files choose in a fixed random order, and the share that chose a common answer is
# looked at after FIRST_LOOK files and every LOOK_EVERY more: once it is below CHOSEN_COMMON
# beyond doubt (its one-sided upper confidence bound at CONFIDENCE), the rest are not asked,
# since the choices will not be used (the 180 club documents: 290 s of choices for nothing).
# Where the choices are used, every file is asked.
FIRST_LOOK = 40
LOOK_EVERY = 20
CONFIDENCE = 0.95


def vocabulary(ctx: StageContext, answers: list[str], k: int | None = None) -> list[str] | None:
    """The names the files choose among: the model's common answers to the criterion, then
    the files' own answers, most given first, one spelling each, at most ``MAX_CANDIDATES``.
    The choices are more names than values, which the grouping joins into K groups, so
    there must be at least two names a group: a vocabulary barely larger than K forces
    values onto names too coarse for them (MASSIVE's 18 scenarios onto "Work, Home,
    Health, ...": 0.572 -> 0.532 in replay). None where the model knows fewer than
    ``MIN_COMMON`` common answers (the criterion's values are the folder's own), where there
    are fewer than 2 K names, and without K: there the choices' tight groups look steady at
    every count (the studio's documents by kind: 19 groups for 6, against 5 with the free
    answers). ``k``: the K the names are counted against, the K given by default."""
    k = ctx.settings.k if k is None else k
    if k is None:
        return None
    common = distinct_values(common_answers(ctx), ctx.settings.criterion)
    if len(common) < MIN_COMMON:
        return None
    names = distinct_values(common + list(count_labels(answers)), ctx.settings.criterion)[:MAX_CANDIDATES]
    return names if len(names) >= 2 * k else None


def choice_order(n: int) -> np.ndarray:
    """The order in which ``n`` files choose: fixed and random, so the early files spread
    over the folder."""
    return np.random.default_rng(0).permutation(n)


class Choices(NamedTuple):
    """The files' choices from the vocabulary (``made``, by item id: every file, or those that
    chose before the choosing stopped) and whether they stand in for the free answers."""

    made: dict[int, str]
    used: bool


def choose_answers(ctx: StageContext, described: list[tuple[int, str, str]],
                   raw: dict[int, str], embed: Embed) -> Choices | None:
    """Each file's choice from the :func:`vocabulary` of the criterion, to stand in for its
    free answer in ``raw``, where the model prefers its choices to its free answers
    (:func:`judge`, on the first ``JUDGED`` files that chose) and at least ``CHOSEN_COMMON``
    of the files chose one of the model's common answers (``Choices.used``); None where there
    is no vocabulary. The files choose in a
    fixed random order and stop as soon as the choices will not be used: the model does not
    prefer them beyond doubt, or the share of common answers is below ``CHOSEN_COMMON``
    beyond doubt (:func:`clearly_below`). Reported in ``ctx.stats["vocabulary"]`` ("asked":
    the files that chose; "preferred": the model's verdicts for the choice, of "judged")."""
    answers = [raw.get(item_id, "") for item_id, _, _ in described]
    names = vocabulary(ctx, answers)
    report: dict[str, Any] = {"used": False}
    if ctx.settings.k is not None:  # the common answers are asked (cached) with K only
        report["common"] = distinct_values(common_answers(ctx), ctx.settings.criterion)[:MAX_CANDIDATES]
    if names is None:
        ctx.stats["vocabulary"] = report
        return None
    started = time.perf_counter()
    common = set(report["common"])
    out: dict[int, str] = {}
    asked = {"items": 0, "calls": 0, "cached": 0, "unsure": 0}
    bar = StageProgress(ctx.progress, "choose", len(described))
    cap = min(JUDGED, len(described))  # the files judged, at most
    at = looks(len(described))  # the numbers of files chosen at each look but the last
    judging = StageProgress(ctx.progress, "judge", cap)
    verdicts: list[bool] = []  # the model's, for the choice, where it differs from the free answer
    preferred: bool | None = None
    why = ""
    order = choice_order(len(described))
    embed = remembered(embed)  # the judge reads the same names again and again
    for part in np.split(order, at):
        batch = [described[i] for i in part]
        chosen = assign_items(ctx, names, batch, shown_as="choose", bar=bar)
        asked = {key: asked[key] + ctx.stats["choose"][key] for key in asked}
        out.update({item_id: names[chosen[item_id].group_idx] for item_id, _, _ in batch})
        if preferred is None:
            room = JUDGED - judging.done
            verdicts += judge(ctx, [(row, raw.get(row[0], ""), out[row[0]]) for row in batch[:room]], embed, judging)
            to_come = verdicts_to_come(len(verdicts), judging.done, [*at, len(described)], cap)
            preferred = settle(sum(verdicts), len(verdicts), to_come)
            if preferred is not None:
                judging.finish()
        if preferred is False:
            why = "the model does not prefer the choices"
        elif len(out) < len(described) and clearly_below(
                sum(name in common for name in out.values()), len(out), CHOSEN_COMMON):
            why = "few choose a common answer"
        if why:
            bar.finish(f"{len(out)} of {len(described)} files chose: {why}")
            if preferred is None:
                judging.finish()
            break
    ctx.stats["choose"] = asked
    counts = count_labels(list(out.values()))
    from_common = sum(n for name, n in counts.items() if name in common) / max(1, len(out))
    used = len(out) == len(described) and bool(preferred) and from_common >= CHOSEN_COMMON
    ctx.stats["vocabulary"] = {
        **report, "used": used, "names": names, "chosen": len(counts), "asked": len(out),
        "judged": len(verdicts), "preferred": sum(verdicts),
        "from_common": round(from_common, 3), "top": dict(list(counts.items())[:8]),
    }
    seconds = ctx.stats.setdefault("seconds", {})  # the judge's apart: a stage of its own in the estimate
    seconds["choose"] = time.perf_counter() - started - seconds.get("judge", 0.0)
    return Choices(out, used)


def look_choices(ctx: StageContext, described: list[tuple[int, str, str]], raw: dict[int, str],
                 k: int) -> Choices | None:
    """Without K: the choices of the first ``JUDGED`` files of :func:`choose_answers`' order
    from the vocabulary counted against ``k`` (the labels' estimate), never used as labels
    (without K the choices' tight groups look steady at every count), only read by
    ``cluster.lead_with_form``'s second look; None where there is no vocabulary."""
    names = vocabulary(ctx, [raw.get(item_id, "") for item_id, _, _ in described], k)
    if names is None:
        return None
    order = choice_order(len(described))[:JUDGED]  # choose_answers' first files
    batch = [described[i] for i in order]
    started = time.perf_counter()
    chosen = assign_items(ctx, names, batch, shown_as="choose")
    ctx.stats.setdefault("seconds", {})["choose"] = time.perf_counter() - started
    return Choices({item_id: names[chosen[item_id].group_idx] for item_id, _, _ in batch}, False)


def judge(ctx: StageContext, rows: list[tuple[tuple[int, str, str], str, str]], embed: Embed,
          bar: StageProgress) -> list[bool]:
    """For each (file, free answer, choice) whose two answers are two concepts (neither
    vague), whether the model prefers the choice: shown the file and the two names (the
    assign stage's prompt and cache), in both orders, the choice's probability averaged over
    the two is above one half. Files whose answers are one concept give no verdict."""
    jobs = []
    for (_, _, description), free, choice in rows:
        bar.advance()
        if is_vague(free) or is_vague(choice) or len(set(label_concepts(
                [free, choice], embed, ctx.settings.label_merge_distance))) == 1:
            continue
        jobs += [assign_job(ctx, [free, choice], description), assign_job(ctx, [choice, free], description)]
    started = time.perf_counter()
    answers = cached_many(ctx, "assign", jobs)
    seconds = ctx.stats.setdefault("seconds", {})
    seconds["judge"] = seconds.get("judge", 0.0) + time.perf_counter() - started
    counted = ctx.stats.setdefault("judge", {"calls": 0, "cached": 0})
    counted["calls"] += sum(computed for _, computed in answers)
    counted["cached"] += sum(not computed for _, computed in answers)
    # the choice is the second name in the first order, the first in the second
    for_choice = [a["confidence"] if a["idx"] == wanted else 1.0 - a["confidence"]
                  for (a, _), wanted in zip(answers, [1, 0] * (len(answers) // 2), strict=True)]
    return [first + second > 1.0 for first, second in zip(for_choice[::2], for_choice[1::2], strict=True)]


def settle(wins: int, judged: int, to_come: Sequence[int]) -> bool | None:
    """Whether the model prefers the choices (``wins`` of ``judged`` verdicts): True where the
    share is above ``PREFERRED`` beyond doubt (its one-sided Clopper-Pearson lower bound at
    ``CONFIDENCE``); False where it is below it beyond doubt, where no more files will be
    judged (``to_come`` empty: the verdicts expected by each later look), or where the
    verdicts to come can put it above only by a chance under 1 - ``CONFIDENCE``
    (:func:`may_still_prefer`); None while it is open."""
    if clearly_above(wins, judged, PREFERRED):
        return True
    if not to_come or clearly_below(wins, judged, PREFERRED) or not may_still_prefer(wins, judged, to_come):
        return False
    return None


def verdicts_to_come(verdicts: int, judged_files: int, looks_at: Sequence[int], cap: int) -> list[int]:
    """How many more verdicts each later look will have seen, at the rate so far (``verdicts``
    from ``judged_files`` files: a file whose two answers are one concept gives none):
    ``looks_at`` are the numbers of files chosen at each look, of which the first ``cap``
    are judged. Empty where no more files will be judged."""
    rate = verdicts / judged_files if judged_files else 0.0
    return [round(rate * (files - judged_files)) for files in sorted({min(cap, at) for at in looks_at})
            if files > judged_files]


def may_still_prefer(wins: int, judged: int, to_come: Sequence[int]) -> bool:
    """Whether the verdicts still to come (``to_come``, by each later look) put the share
    above ``PREFERRED`` beyond doubt at some look with a chance of at least 1 - ``CONFIDENCE``:
    the chance at each look that its verdicts hold enough for the choice, predicted from the
    verdicts so far (beta-binomial, from a uniform prior), summed over the looks (at least the
    chance of any of them). Stopping for futility, as sequential trials do: a model nearly
    indifferent between its two answers (the requests' areas, 41-50% for the choice) no
    longer has every file of the first ``JUDGED`` choose and be judged before the free answers
    stay."""
    from scipy.stats import betabinom

    chance = 0.0
    for more in to_come:
        need = next((w for w in range(more + 1) if clearly_above(wins + w, judged + more, PREFERRED)), None)
        if need is not None:
            chance += float(betabinom.sf(need - 1, more, wins + 1, judged - wins + 1))
    return chance >= 1 - CONFIDENCE


def looks(n: int) -> list[int]:
    """The numbers of files chosen after which the share of common answers is looked at
    (``FIRST_LOOK``, then every ``LOOK_EVERY``), below ``n``."""
    return list(range(FIRST_LOOK, n, LOOK_EVERY))


def clearly_below(hits: int, asked: int, share: float) -> bool:
    """Whether ``hits`` of ``asked`` files put the folder's share below ``share`` beyond
    doubt: the one-sided Clopper-Pearson upper bound at ``CONFIDENCE`` is under it (none of
    40, 2 of 80, 5 of 120 files are; 1 of 40 is not)."""
    return _bounds(hits, asked)[1] < share


def clearly_above(hits: int, asked: int, share: float) -> bool:
    """Whether ``hits`` of ``asked`` put the share above ``share`` beyond doubt: the
    one-sided Clopper-Pearson lower bound at ``CONFIDENCE`` is over it."""
    return _bounds(hits, asked)[0] > share


def _bounds(hits: int, asked: int) -> tuple[float, float]:
    """The one-sided Clopper-Pearson bounds (lower, upper) at ``CONFIDENCE`` on the share
    ``hits`` of ``asked``; (0, 1) where nothing was asked."""
    from scipy.stats import beta

    lower = 0.0 if hits <= 0 else float(beta.ppf(1 - CONFIDENCE, hits, asked - hits + 1))
    upper = 1.0 if hits >= asked else float(beta.ppf(CONFIDENCE, hits + 1, asked - hits))
    return lower, upper


def explain(report: dict | None) -> str:
    """The vocabulary in one line, e.g. "each file chose among 25 names, 9 of them common
    answers to the criterion: Invoice 38, Work Log 22, ...; the model preferred the choice
    to the file's free answer in 69 of 102 files"."""
    if not report or not report.get("used"):
        return ""
    top = ", ".join(f"{name} {n}" for name, n in list((report.get("top") or {}).items())[:5])
    return (f"each file chose among {len(report.get('names') or [])} names, "
            f"{len(report.get('common') or [])} of them common answers to the criterion: {top}; "
            f"the model preferred the choice to the file's free answer in {report.get('preferred', 0)} "
            f"of {report.get('judged', 0)} files")
