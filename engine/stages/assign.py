"""Stage 3: each item to exactly one group, with a confidence (seed 000 P_a, seed 003 step 3).

The model's answer is a constrained choice among the names (no parsing, no failures); the
prompt's shared part (instruction, criterion, names) comes first and the item last, so the
KV cache of the shared prefix is reused from one item to the next. Items less confident than
``unsure_below`` are flagged for review rather than silently trusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import prompts
from ..jobs import StageProgress
from .base import StageContext
from .inflight import cached_many

ASSIGN_ITEM_CHARS = 1200


@dataclass
class Assignment:
    group_idx: int
    confidence: float
    unsure: bool


def assign_job(ctx: StageContext, names: list[str], description: str) -> tuple[dict, Callable[[], dict]]:
    """One file's constrained choice among ``names``, as a (payload, compute) job for
    ``inflight.cached_many`` under the stage "assign": {"idx", "confidence"}."""
    text = description[:ASSIGN_ITEM_CHARS]

    def choose() -> dict[str, float]:
        choice = ctx.model.get().choose(
            prompts.assign_messages(ctx.settings.criterion, names, text),
            names,
            answer_prefix=prompts.ASSIGN_ANSWER_PREFIX,
        )
        return {"idx": choice.index, "confidence": round(choice.confidence, 4)}

    return {"criterion": ctx.settings.criterion, "names": names, "text": text}, choose


def assign_items(
    ctx: StageContext, names: list[str], described: list[tuple[int, str, str]], shown_as: str = "assign",
    bar: StageProgress | None = None,
) -> dict[int, Assignment]:
    """``described``: (item id, content hash, description). ``shown_as`` names the stage in
    progress and stats (the taxonomy's "choose" asks the same question, with the same cache);
    ``bar``: the stage's progress where the caller asks its files in parts (the stats are then
    this part's)."""
    bar = bar or StageProgress(ctx.progress, shown_as, len(described))
    out: dict[int, Assignment] = {}
    calls = cached = 0
    jobs = [assign_job(ctx, names, desc) for _item_id, _content_hash, desc in described]
    # Items are independent: a model on a server answers several at a time (stages/inflight.py).
    answers = cached_many(ctx, "assign", jobs, bar.advance)
    for (item_id, _, _), (answer, computed) in zip(described, answers, strict=True):
        calls += computed
        cached += not computed
        conf = float(answer["confidence"])
        out[item_id] = Assignment(int(answer["idx"]), conf, conf < ctx.settings.unsure_below)
    ctx.stats[shown_as] = {"items": len(described), "calls": calls, "cached": cached,
                           "unsure": sum(a.unsure for a in out.values())}
    return out
