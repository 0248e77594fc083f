"""Stage 2a: label proposal over mini-batches (seed 000), steered by the criterion (seed 003).

Items are taken in a fixed order (by content hash), B at a time. Each prompt carries the
labels found so far, so the model reuses names instead of inventing synonyms; the answer is
a grammar-constrained JSON list with exactly one label per item. Each batch's answer is
cached under its inputs, so an unchanged folder proposes nothing twice, and each item's label is
also remembered under the criterion and its own text alone, so files added to the folder cost
one call each however they shift the mini-batches.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from .. import prompts
from ..jobs import StageProgress
from .base import StageContext
from .inflight import cached_many
from .labels import count_labels, normalize_label

PROPOSE_ITEM_CHARS = 400
MAX_CARRIED = 40


def parse_label_list(text: str, expected: int | None = None) -> list[str]:
    """Parse the grammar-constrained answer; a list cut off by max_tokens keeps its
    complete strings, and anything else that is not a JSON list gives no labels."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = [json.loads(f'"{m}"') for m in re.findall(r'"((?:[^"\\]|\\.)*)"', text)]
    if not isinstance(value, list):
        value = []
    labels = [normalize_label(str(v)) for v in value if isinstance(v, str | int | float)]
    labels = [label for label in labels if label]
    if expected is not None:
        labels = labels[:expected]
    return labels


def label_memo_key(ctx: StageContext, description: str) -> str:
    """The cache key under which an item's label is remembered: the criterion and the item's
    own text only, whatever mini-batch the item falls in."""
    return ctx.cache_key("propose", prompts.VERSIONS["propose"],
                         {"criterion": ctx.settings.criterion, "item": description[:PROPOSE_ITEM_CHARS]})


def propose_labels(ctx: StageContext, ordered: list[tuple[int, str, str]]) -> dict[int, str]:
    """``ordered``: (item id, content hash, description). Returns a raw label per item.

    Seed 000 asks for the labels of a whole mini-batch in one answer. Measured here, a 1.5B
    model answering for 10 items at once returns the known labels sorted rather than one per
    item, so the labels no longer belong to their items. Each item is therefore labelled on
    its own, in a prompt whose shared part (criterion, labels so far) comes first: within a
    mini-batch that part is identical and served from the KV cache, and the labels found are
    carried to the next mini-batch as in seed 000."""
    size = max(1, ctx.settings.batch_size)
    batches = [ordered[i : i + size] for i in range(0, len(ordered), size)]
    bar = StageProgress(ctx.progress, "propose", len(ordered))
    raw: dict[int, str] = {}
    seen: Counter[str] = Counter()
    calls = cached = 0
    for batch in batches:
        known = list(ctx.settings.seed_labels)
        known += [label for label, _ in seen.most_common(MAX_CARRIED) if label not in known]
        found = []
        ctx.cancel.check()
        # The items of a mini-batch share ``known``, so they are independent: a model on a
        # server answers them several at a time (stages/inflight.py).
        jobs = []
        # An item labelled before under this criterion keeps its label whatever batch it
        # falls in now: files added to a folder shift the batches (items go in content-hash
        # order), and without this memo every later item's key changed with them (issue 13).
        memo = [label_memo_key(ctx, desc) for _, _, desc in batch]
        known_labels = [ctx.project.cache_get(key) for key in memo]
        for (_, _, desc), remembered in zip(batch, known_labels, strict=True):
            if remembered is not None:
                continue
            text = desc[:PROPOSE_ITEM_CHARS]
            jobs.append((
                {"criterion": ctx.settings.criterion, "known": known, "text": text},
                lambda text=text, known=known: normalize_label(ctx.model.get().generate(
                    prompts.propose_messages(ctx.settings.criterion, known, text),
                    grammar=prompts.SINGLE_LABEL_GRAMMAR,
                    max_tokens=24,
                    cancel=ctx.cancel,
                )),
            ))
        answers = iter(cached_many(ctx, "propose", jobs, bar.advance))
        for (item_id, _, _), key, remembered in zip(batch, memo, known_labels, strict=True):
            if remembered is not None:
                label, computed = str(remembered), False
                bar.advance()
            else:
                label, computed = next(answers)
                ctx.project.cache_put(key, "propose", label)
            calls += computed
            cached += not computed
            raw[item_id] = label
            found.append(label)
        seen.update(count_labels(found))
    ctx.stats["propose"] = {"batches": len(batches), "calls": calls, "cached": cached,
                            "distinct": len(count_labels(list(raw.values())))}
    return raw
