"""Stage 2b: merge raw labels, given with their counts (seed 003, step 2b), into group names.

With K given, the grammar allows exactly K names and the result is made to hold exactly K
distinct names (duplicates are replaced by the most frequent raw labels not yet covered).
Without K the model chooses the granularity, between 2 and ``k_auto_max`` names.
"""

from __future__ import annotations

from .. import prompts
from ..jobs import StageProgress
from .base import StageContext
from .labels import is_vague, label_key, normalize_label
from .propose import parse_label_list


def _distinct(names: list[str]) -> list[str]:
    out: list[str] = []
    keys: set[str] = set()
    for name in names:
        name = normalize_label(name)
        key = label_key(name)
        if name and key not in keys and not is_vague(name):
            out.append(name)
            keys.add(key)
    return out


def merge_labels(ctx: StageContext, counts: dict[str, int], n_items: int) -> list[str]:
    k = ctx.settings.k
    bar = StageProgress(ctx.progress, "merge", 1)
    shown = dict(list(counts.items())[: ctx.settings.max_merge_labels])
    if not shown:
        shown = {"unsorted": n_items}
    if k is not None and len(shown) <= k:
        # Nothing to merge: every distinct label becomes a group.
        names = list(shown)
        ctx.stats["merge"] = {"calls": 0, "cached": 0, "labels_in": len(counts), "names": len(names)}
        bar.advance()
        return names
    key = ctx.cache_key(
        "merge",
        prompts.VERSIONS["merge"],
        {"criterion": ctx.settings.criterion, "counts": shown, "k": k, "kmax": ctx.settings.k_auto_max},
    )
    cached = ctx.project.cache_get(key)
    names = list(cached) if cached is not None else []
    calls = 0
    if cached is None:
        ctx.cancel.check()
        llm = ctx.model.get()
        if k is not None:
            grammar = prompts.label_grammar(k)
            max_tokens = 16 * k + 8
        else:
            high = min(ctx.settings.k_auto_max, max(2, len(shown)))
            grammar = prompts.label_range_grammar(2, high)
            max_tokens = 16 * high + 8
        answer = llm.generate(
            prompts.merge_messages(ctx.settings.criterion, shown, k, n_items),
            grammar=grammar,
            max_tokens=max_tokens,
            cancel=ctx.cancel,
        )
        names = parse_label_list(answer)
        ctx.project.cache_put(key, "merge", names)
        calls = 1
    names = _distinct(list(names))
    if k is not None:
        for label in shown:  # top up to exactly K with the most frequent uncovered labels
            if len(names) >= k:
                break
            if label_key(label) not in {label_key(n) for n in names}:
                names.append(label)
        names = names[:k]
    if not names:
        names = list(shown)[: k or 5]
    ctx.stats["merge"] = {"calls": calls, "cached": 1 - calls, "labels_in": len(counts), "names": len(names)}
    bar.advance()
    return names
