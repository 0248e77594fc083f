"""The answers read against one vocabulary, where they are unreliable and the criterion has
common values (issue 11).

A 1.5B model asked each file's answer on its own names the same value many ways, and for a
generic criterion often names the file's topic instead: on the studio's documents by kind
(docs/benchmarks.md) 46 files answered "Invoice" but 23 "Legal document" (the law firm's
quotes and e-mails), 13 "Work Log" and 4 "Timesheet", 81 spellings for 6 kinds. The same
model choosing among the right names was right 90% of the time. So where the model knows
common answers to the criterion (``taxonomy.common_answers``: "Letter, Report, Invoice,
Note, Form, Proposal, Contract" for the kind of a document) and the files' answers are
unreliable (asked again in other words, a file's two answers fall in one concept less than
half the time beyond chance: the text check's sample and cache, stages/relevance.py), every
file chooses one name from a vocabulary of those common answers and of the answers the
files gave most (the assign stage's constrained choice and cache), and the choices stand in
for the free answers in the grouping (``cluster.hybrid_groups`` asks for them once the text
leads it; where the documents' form leads, the answers only tip a grouping the form makes,
and the choices cost household kinds 0.947 -> 0.897 there). Names that split one value
("Feedback", "Review Notes") are joined by the grouping's geometry as free answers'
spellings were.

Measured (docs/benchmarks.md, "One vocabulary"): the studio's documents by kind 0.471 ->
0.763, K true. Where the answers were reliable the choices cost in replay: the captions
0.936 -> 0.924, MASSIVE 0.572 -> 0.532 (its common answers were areas of life, "Work, Home,
Health", coarser than its scenarios). Where the model knows no common answers (it lists
placeholders for "which client", "Client A, Client B", which ``distinct_values`` drops) the
values are the folder's own and the free answers stay: choosing among the answers' names
took the studio's documents by client 0.867 -> 0.521 (the studio's own name, in every
invoice's heading, drew files of every client). Where the model's common answers are other
folders' values (sports, for "which club or group is this for") hardly a file chooses one;
the choices are then the files' own answers chosen again, and the free answers stay
(``CHOSEN_COMMON``). Only with K given: without K the choices'
tight groups looked steady at every count (19 groups for the studio's 6 kinds).

Not in the faster mode (``--llm-sample``: the model reads a sample, the embeddings place
the rest), whose grouping has the sample's answers only.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..jobs import StageProgress
from .assign import assign_items
from .base import StageContext
from .labels import count_labels
from .relevance import Embed, answer_reliability, middle
from .taxonomy import MAX_CANDIDATES, common_answers, distinct_values

MIN_COMMON = 2  # common answers the model must know for the criterion to have a vocabulary
# The answers' reliability (a file's two answers in one concept, beyond chance) under which
# they are read against the vocabulary. Measured (docs/benchmarks.md): where the choices
# helped, the studio's documents by kind 0.479; where they cost, the captions 0.855 (ACC
# 0.936 -> 0.924) and MASSIVE 0.547 (0.572 -> 0.532). The sides are close: held-out data decide.
RELIABLE = 0.5
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
# Where the choices are used, every file is asked as before.
FIRST_LOOK = 40
LOOK_EVERY = 20
CONFIDENCE = 0.95


def vocabulary(ctx: StageContext, answers: list[str]) -> list[str] | None:
    """The names the files choose among: the model's common answers to the criterion, then
    the files' own answers, most given first, one spelling each, at most ``MAX_CANDIDATES``.
    The choices are more names than values, which the grouping joins into K groups, so
    there must be at least two names a group: a vocabulary barely larger than K forces
    values onto names too coarse for them (MASSIVE's 18 scenarios onto "Work, Home,
    Health, ...": 0.572 -> 0.532 in replay). None where the model knows fewer than
    ``MIN_COMMON`` common answers (the criterion's values are the folder's own), where there
    are fewer than 2 K names, and without K: there the choices' tight groups look steady at
    every count (the studio's documents by kind: 19 groups for 6, against 5 with the free
    answers)."""
    k = ctx.settings.k
    if k is None:
        return None
    common = distinct_values(common_answers(ctx), ctx.settings.criterion)
    if len(common) < MIN_COMMON:
        return None
    names = distinct_values(common + list(count_labels(answers)), ctx.settings.criterion)[:MAX_CANDIDATES]
    return names if len(names) >= 2 * k else None


def choose_answers(ctx: StageContext, described: list[tuple[int, str, str]],
                   raw: dict[int, str], embed: Embed) -> dict[int, str] | None:
    """Each file's choice from the :func:`vocabulary` of the criterion, to stand in for its
    free answer in ``raw``, where those answers are unreliable (a sample of files asked
    again, the text check's question and cache: ``relevance.answer_reliability`` under
    ``RELIABLE``) and at least ``CHOSEN_COMMON`` of the files chose one of the model's common
    answers; else None. The files choose in a fixed random order, and stop choosing once the
    share so far is below ``CHOSEN_COMMON`` beyond doubt (:func:`clearly_below`). Reported in
    ``ctx.stats["vocabulary"]`` ("asked": the files that chose)."""
    answers = [raw.get(item_id, "") for item_id, _, _ in described]
    names = vocabulary(ctx, answers)
    report: dict[str, Any] = {"used": False}
    if ctx.settings.k is not None:  # the common answers are asked (cached) with K only
        report["common"] = distinct_values(common_answers(ctx), ctx.settings.criterion)[:MAX_CANDIDATES]
    if names is not None:
        def settled(reliabilities: np.ndarray, _concepts: list[int]) -> bool:
            lo, hi = middle(reliabilities)
            return hi < RELIABLE or lo >= RELIABLE

        _, reliability, _ = answer_reliability(ctx, [d for _, _, d in described], answers, embed, settled=settled)
        report["reliability"] = None if reliability is None else round(reliability, 3)
        if reliability is None or reliability >= RELIABLE:
            names = None
    if names is None:
        ctx.stats["vocabulary"] = report
        return None
    started = time.perf_counter()
    common = set(report["common"])
    out: dict[int, str] = {}
    asked = {"items": 0, "calls": 0, "cached": 0, "unsure": 0}
    bar = StageProgress(ctx.progress, "choose", len(described))
    order = np.random.default_rng(0).permutation(len(described))  # the early files spread over the folder
    for part in np.split(order, looks(len(described))):
        batch = [described[i] for i in part]
        chosen = assign_items(ctx, names, batch, shown_as="choose", bar=bar)
        asked = {key: asked[key] + ctx.stats["choose"][key] for key in asked}
        out.update({item_id: names[chosen[item_id].group_idx] for item_id, _, _ in batch})
        if len(out) < len(described) and clearly_below(
                sum(name in common for name in out.values()), len(out), CHOSEN_COMMON):
            bar.finish(f"{len(out)} of {len(described)} files chose: few choose a common answer")
            break
    ctx.stats["choose"] = asked
    counts = count_labels(list(out.values()))
    from_common = sum(n for name, n in counts.items() if name in common) / max(1, len(out))
    used = len(out) == len(described) and from_common >= CHOSEN_COMMON
    ctx.stats["vocabulary"] = {
        **report, "used": used, "names": names, "chosen": len(counts), "asked": len(out),
        "from_common": round(from_common, 3), "top": dict(list(counts.items())[:8]),
    }
    ctx.stats.setdefault("seconds", {})["choose"] = time.perf_counter() - started
    return {item_id: out[item_id] for item_id, _, _ in described} if used else None


def looks(n: int) -> list[int]:
    """The numbers of files chosen after which the share of common answers is looked at
    (``FIRST_LOOK``, then every ``LOOK_EVERY``), below ``n``."""
    return list(range(FIRST_LOOK, n, LOOK_EVERY))


def clearly_below(hits: int, asked: int, share: float) -> bool:
    """Whether ``hits`` of ``asked`` files put the folder's share below ``share`` beyond
    doubt: the one-sided Clopper-Pearson upper bound at ``CONFIDENCE`` is under it (none of
    40, 2 of 80, 5 of 120 files are; 1 of 40 is not)."""
    from scipy.stats import beta

    upper = 1.0 if hits >= asked else float(beta.ppf(CONFIDENCE, hits + 1, asked - hits))
    return upper < share


def explain(report: dict | None) -> str:
    """The vocabulary in one line, e.g. "each file chose among 25 names, 9 of them common
    answers to the criterion: Invoice 38, Work Log 22, ..."."""
    if not report or not report.get("used"):
        return ""
    top = ", ".join(f"{name} {n}" for name, n in list((report.get("top") or {}).items())[:5])
    return (f"each file chose among {len(report.get('names') or [])} names, "
            f"{len(report.get('common') or [])} of them common answers to the criterion: {top}")
