"""Criterion-first steering: the values of the criterion, every item's choice among them, and
how much the generic text geometry counts next to those choices.

Measured on household_docs (docs/benchmarks.md, issue 11), a 1.5B model asked to *name* each
file's answer to "what kind of document is this" wrote topics or vague words ("Order" for 72
letters, checklists and notes), while the same model *choosing* among the right names was
right 92% of the time. So, as IC|TC's step 2 but criterion-first:

1. **Values** (``propose_values``): the answers a spread-out sample of the files (farthest
   points of the description embeddings, 24-60 files) gives to the criterion, read as one
   list (exactly K with K given), and common answers to the criterion from the model's own
   knowledge, merged. Each source fails somewhere with a 1.5B model (docs/benchmarks.md: the
   list repeated one date for trips and named topics for kinds; the common answers are
   placeholders for "which project"); the choices below sort the useful ones out. Adding
   each sampled file's own label (the propose stage on the sample) was measured and taken
   out: it rescued trips but let kinds into the values for "which project".
2. **Choices** (``choose_values``): every item picks one value with the constrained choice
   (the assign stage's prompt and cache; the cache key holds the item's own text and the
   values only, so it does not depend on the item's position or on other items). The values
   few items chose are dropped (beyond K, or under the smallest group size without K) and
   only their items choose again. With K given, a value chosen by twice its share is read
   again on its own members (``split_catch_all``): a dozen of them, spread out, each answer
   the criterion on its own (``free_answers``), and its members choose among the other
   values and those answers. Measured on household_docs by kind: 0.62 when the catch-all
   was read as one list (which gave "Yes, No"), 0.70 with the members' own answers. The same
   answers as first-pass candidates lowered kind to 0.53 and project to 0.60 (too specific:
   "My Car", "Wedding Photography Agreement" won the first pass), so they are asked only
   where a catch-all shows the first values were too broad.
3. **Weights** (``block_weights``): the description embedding and the choices enter the
   geometry with weights set by how far the text's neighbourhoods agree with the choices,
   per run.

Tried and taken out (docs/benchmarks.md): asking the model, for pairs on which the text and
the choices disagree, whether the two files belong in one folder; the 1.5B model answered Yes
with the same probability (0.71) whichever side the pair came from, so it decided nothing.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .. import prompts
from ..jobs import StageProgress
from .assign import Assignment, assign_items
from .autok import min_group_size, spread_sample
from .base import StageContext
from .cluster import AGREEMENT_FULL, criterion_agreement, unit_rows
from .labels import count_labels, is_vague, label_key, normalize_label
from .propose import CATCH_ALL, item_answers, parse_label_list

SAMPLE_MIN = 24  # files the values are read from (at least; two per group asked for)
SAMPLE_MAX = 60
SAMPLE_CHARS = 6000  # the sample's share of the prompt, split among its files
TEXT_FLOOR = 0.25  # the text always breaks ties among items with the same choice
GENERIC_VALUES = 12  # common answers asked of the model's own knowledge
MAX_CANDIDATES = 30  # values the items choose among in the first pass
ANSWERS = 12  # members of a catch-all that answer the criterion one by one
NOT_ANSWERS = {"yes", "no", "true", "false", "maybe", "none", "unknown"}


@dataclass
class Steering:
    values: list[str]
    choices: dict[int, Assignment]  # item id -> chosen value (group_idx) and its confidence
    report: dict


def sample_size(n: int, k: int | None) -> int:
    return int(min(n, max(SAMPLE_MIN, 2 * (k or 0)), SAMPLE_MAX))


def one_line(text: str, chars: int) -> str:
    return " ".join(text.split())[:chars]



def read_values(ctx: StageContext, descriptions: list[str], text: np.ndarray, size: int,
                count: int | None, high: int) -> list[str]:
    """The answers a spread-out sample (``size`` farthest points of ``text``) of
    ``descriptions`` gives to the criterion, read as one list in one cached call: exactly
    ``count`` of them, or 2 to ``high`` when ``count`` is None."""
    unit = unit_rows(text)
    picked = spread_sample(unit, unit.mean(axis=0), size)
    chars = max(80, min(240, SAMPLE_CHARS // max(1, len(picked))))
    sample = [one_line(descriptions[i], chars) for i in sorted(picked)]
    if count is not None:
        grammar, max_tokens = prompts.label_grammar(count), 16 * count + 8
    else:
        grammar, max_tokens = prompts.label_range_grammar(2, high), 16 * high + 8

    def ask() -> list[str]:
        answer = ctx.model.get().generate(
            prompts.values_messages(ctx.settings.criterion, sample, count),
            grammar=grammar, max_tokens=max_tokens, cancel=ctx.cancel)
        return parse_label_list(answer)

    payload = {"criterion": ctx.settings.criterion, "k": count, "sample": sample}
    raw, _ = ctx.cached("values", payload, ask)
    return list(raw)


def free_answers(ctx: StageContext, descriptions: list[str], text: np.ndarray, size: int) -> dict[str, int]:
    """The answers of ``size`` files spread over ``text``, each file asked on its own (the
    propose stage's question and cache, so a file's answer does not depend on the others),
    counted under their most frequent spelling."""
    unit = unit_rows(text)
    picked = sorted(spread_sample(unit, unit.mean(axis=0), min(size, len(descriptions))))
    return count_labels([answer for answer, _ in item_answers(ctx, [descriptions[i] for i in picked])])


def common_answers(ctx: StageContext) -> list[str]:
    """``GENERIC_VALUES`` common answers to the criterion from the model's own knowledge, no
    file read (one cached call): real values for a generic criterion ("Invoice", "Letter"
    for the kind of document), placeholders for a folder's own ("Client A", "Client B"),
    which ``distinct_values`` drops."""
    def ask() -> list[str]:
        answer = ctx.model.get().generate(
            prompts.generic_values_messages(ctx.settings.criterion, GENERIC_VALUES),
            grammar=prompts.label_grammar(GENERIC_VALUES), max_tokens=16 * GENERIC_VALUES + 8,
            cancel=ctx.cancel)
        return parse_label_list(answer)

    known, _ = ctx.cached("generic", {"criterion": ctx.settings.criterion}, ask)
    return list(known)


def propose_values(ctx: StageContext, described: list[tuple[int, str, str]], text: np.ndarray) -> list[str]:
    """Candidate values of the criterion: the answers a spread-out sample gives, read as one
    list (K of them when K is given), and common answers the model knows for the criterion;
    merged, at most ``MAX_CANDIDATES``."""
    k = ctx.settings.k
    criterion = ctx.settings.criterion
    size = sample_size(len(described), k)
    seen = read_values(ctx, [d for _, _, d in described], text, size, k,
                       min(ctx.settings.k_auto_max, max(2, size)))
    known = common_answers(ctx)
    ctx.stats["values"] = {"sample": seen, "generic": known}
    # One value (or none usable) tells nothing apart: the text geometry and, without K, the
    # coherence checks then decide alone (every item "chooses" it without a model call).
    values = distinct_values(seen + known, criterion)
    return values[:MAX_CANDIDATES] or ["Unsorted"]


def distinct_values(names: list[str], criterion: str = "") -> list[str]:
    """Names with one spelling each, without vague ones, questions, and placeholders: names
    that only repeat the criterion's own words ("Project A" for "which project is this
    for") and numbered series ("short answer 1", "short answer 2", ...: three or more names
    that differ only in a last number or letter)."""
    def numbered(words: list[str]) -> bool:  # "answer 1", "client b"
        return len(words) > 1 and (len(words[-1]) == 1 or words[-1].isdigit())

    asked = set(label_key(criterion).split())
    series = Counter(" ".join(words[:-1]) for words in (label_key(n).split() for n in names) if numbered(words))
    out: list[str] = []
    seen: set[str] = set()
    for name in names:
        shown = normalize_label(name)
        key = label_key(shown)
        words = key.split()
        placeholder = (all(word in asked or len(word) == 1 or word.isdigit() for word in words)
                       or (numbered(words) and series[" ".join(words[:-1])] >= 3))
        if (shown and not is_vague(shown) and not placeholder and not shown.endswith("?")
                and key not in seen and key not in NOT_ANSWERS):
            out.append(shown)
            seen.add(key)
    return out


def keep_chosen(values: list[str], picks: list[int], k: int | None, min_size: int) -> list[int]:
    """Indexes of the values kept, most chosen first: the K most chosen with K given, else
    those chosen at least ``min_size`` times (at least two when two were chosen)."""
    counts = np.bincount(np.asarray(picks, dtype=int), minlength=len(values))
    order = [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
    if k is not None:
        return order[:k]
    kept = [i for i in order if counts[i] >= min_size]
    return kept if len(kept) >= 2 else order[:2]


def choose_values(ctx: StageContext, values: list[str], described: list[tuple[int, str, str]],
                  text: np.ndarray) -> tuple[list[str], dict[int, Assignment]]:
    """Every item's value, a constrained choice (the assign stage's prompt and cache); the
    values few items chose dropped and those items asked again among the rest; then a value
    that took far more than its share read again on its own members (``split_catch_all``).
    Returns the values kept and the choices (indexes into them)."""
    if len(values) == 1:
        return values, {item_id: Assignment(0, 1.0, False) for item_id, _, _ in described}
    first = assign_items(ctx, values, described, shown_as="choose")
    values, choices = prune_values(ctx, values, first, described)
    return split_catch_all(ctx, values, choices, described, text)


def prune_values(ctx: StageContext, values: list[str], choices: dict[int, Assignment],
                 described: list[tuple[int, str, str]]) -> tuple[list[str], dict[int, Assignment]]:
    """The values ``keep_chosen`` keeps, and the items of the others asked again among them."""
    picks = [choices[i].group_idx for i, _, _ in described]
    kept = keep_chosen(values, picks, ctx.settings.k,
                       min_group_size(len(described), ctx.settings.min_group_share))
    if len(kept) == len(values):
        return values, choices
    names = [values[i] for i in kept]
    again = [row for row in described if choices[row[0]].group_idx not in kept]
    second = assign_items(ctx, names, again, shown_as="choose again") if len(names) > 1 else {}
    index = {old: new for new, old in enumerate(kept)}
    out = {}
    for item_id, _, _ in described:
        a = choices[item_id]
        out[item_id] = (Assignment(index[a.group_idx], a.confidence, a.unsure) if a.group_idx in index
                        else second.get(item_id, Assignment(0, 1.0, False)))
    ctx.stats["values"].setdefault("dropped", []).extend(
        values[i] for i in range(len(values)) if i not in index)
    return names, out


def split_catch_all(ctx: StageContext, values: list[str], choices: dict[int, Assignment],
                    described: list[tuple[int, str, str]], text: np.ndarray) -> tuple[list[str], dict[int, Assignment]]:
    """With K given, a value that took at least ``CATCH_ALL`` times its share of the items is
    taken for a catch-all (Dial-In's incoherent cluster, re-clustered): the values are read
    again off a spread-out sample of its own members, and its members choose among the other
    values and the new ones; then the K most chosen are kept as before. Once per run."""
    if ctx.settings.k is None or len(values) < 2:
        return values, choices
    picks = np.array([choices[i].group_idx for i, _, _ in described])
    counts = np.bincount(picks, minlength=len(values))
    broad = int(np.argmax(counts))
    share = len(described) / max(ctx.settings.k, len(values))  # of each of K groups
    if counts[broad] < CATCH_ALL * share or counts[broad] < 4:
        return values, choices
    rows = np.flatnonzero(picks == broad)
    answered = free_answers(ctx, [described[r][2] for r in rows], text[rows], ANSWERS)
    raw = sorted(answered, key=lambda v: -answered[v])
    taken = {label_key(v) for v in values}
    subs = [v for v in distinct_values(raw, ctx.settings.criterion) if label_key(v) not in taken]
    ctx.stats["values"]["split"] = {"value": values[broad], "items": len(rows), "into": subs}
    if not subs:
        return values, choices
    others = [v for n, v in enumerate(values) if n != broad] + subs
    members = [described[r] for r in rows]
    again = assign_items(ctx, others, members, shown_as="choose within")
    extended = values + subs  # indexes of ``values`` unchanged; the broad one may now go
    position = {v: n for n, v in enumerate(extended)}
    out = dict(choices)
    for item_id, _, _ in members:
        a = again[item_id]
        out[item_id] = Assignment(position[others[a.group_idx]], a.confidence, a.unsure)
    return prune_values(ctx, extended, out, described)


def block_weights(agreement: float) -> tuple[float, float]:
    """(text weight, choice weight) from how far the text's neighbourhoods agree with the
    items' choices (``cluster.criterion_agreement``, 0 = no more than chance, 1 = fully).

    Where they agree, the text carries the criterion and leads: it is the steadier signal,
    while a small model's choices are noisy (the choices then count half, as the free labels
    did). Where they disagree, the criterion asks for something the text does not carry (the
    kind of a document whose text is about its project), and the choices lead, the text only
    breaking ties. In between, linearly; full text weight from ``AGREEMENT_FULL``, the same
    point as for pictures' features and moments. Measured (docs/benchmarks.md): on
    household_docs the text agreed 0.10 with the choices by kind and 0.44 by project."""
    text = max(TEXT_FLOOR, min(1.0, agreement / AGREEMENT_FULL))
    return text, 1.0 - text / 2


def steer(ctx: StageContext, described: list[tuple[int, str, str]], text: np.ndarray) -> Steering:
    """Values, choices and block weights for the items ``described`` (whose description
    embeddings are ``text``)."""
    bar = StageProgress(ctx.progress, "values", 1)
    timings = ctx.stats.setdefault("seconds", {})
    started = time.perf_counter()
    values = propose_values(ctx, described, text)
    bar.advance()
    timings["values"] = time.perf_counter() - started
    started = time.perf_counter()
    values, choices = choose_values(ctx, values, described, text)
    timings["choose"] = time.perf_counter() - started
    choice = [choices[i].group_idx for i, _, _ in described]
    agreement = criterion_agreement(text, choice)
    w_text, w_choice = block_weights(agreement)
    report = {"values": values, "used": len(set(choice)), "agreement": round(agreement, 3),
              "text": round(w_text, 3), "choice": round(w_choice, 3)}
    return Steering(values, choices, report)
