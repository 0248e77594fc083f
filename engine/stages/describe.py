"""Stage 1: one text description per item, the input of every later stage.

Documents: the extracted text when it is short; when it is long, its title and beginning
(extractive: no model call, so a folder of 5,000 PDFs costs no summaries). With
``Settings.summaries`` a long document gets a one- or two-sentence summary by the LLM,
conditioned on the criterion, before its beginning instead: about 17 s each for the 1.5B
model on 2 cores (docs/benchmarks.md). Summaries are cached by (content hash, criterion,
model, prompt version).

Images: the joined texts of the image describers (engine/describers: ImageNet tags or a
VLM, text read by OCR, EXIF date/place), each cached on its own. A picture read as a page
(engine/extract.py) is a document here, described by its text; its EXIF time and place are
still kept for the grouping's moments.
"""

from __future__ import annotations

import re

from .. import prompts
from ..describers import ImageDescriptions, ImageSkip
from ..jobs import StageProgress
from ..store import ItemRow
from .base import StageContext

SHORT_CHARS = 800  # below this the text itself is the description
HEAD_CHARS = 240


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def describe_items(ctx: StageContext, items: list[ItemRow]) -> tuple[dict[int, str], dict[int, str]]:
    """Returns (descriptions by item id, skip reasons by item id)."""
    images = ImageDescriptions(ctx.project, ctx.settings)  # loads nothing until an image comes
    try:
        return _describe_all(ctx, items, images)
    finally:
        images.close()  # frees a VLM before the language stages load their model
        if images.stats:
            ctx.stats["images"] = images.summary()


def _describe_all(
    ctx: StageContext, items: list[ItemRow], images: ImageDescriptions
) -> tuple[dict[int, str], dict[int, str]]:
    described: dict[int, str] = {}
    skipped: dict[int, str] = {}
    bar = StageProgress(ctx.progress, "describe", len(items))
    summarised = cached = 0
    for item in items:
        ctx.cancel.check()
        if item.kind == "image":
            try:
                described[item.id] = images.describe(item)
            except ImageSkip as skip:
                skipped[item.id] = skip.reason
            bar.advance()
            continue
        if item.kind != "document":
            skipped[item.id] = "no describer for this kind of file yet"
            bar.advance()
            continue
        extract = ctx.project.get_extract(item.content_hash)
        if extract is None:
            skipped[item.id] = "no extracted text"
            bar.advance()
            continue
        if item.is_picture:  # a picture read as a page: when and where it was taken
            images.page_moment(item)
        text = _squash(extract["text"])
        title = _squash(str(extract["meta"].get("title") or ""))
        if len(text) <= SHORT_CHARS or not ctx.settings.summaries:
            head = text if len(text) <= SHORT_CHARS else text[:SHORT_CHARS].rsplit(" ", 1)[0] + " ..."
            described[item.id] = f"{title}: {head}" if title and title not in head else head
            bar.advance()
            continue
        def summarise(text: str = text) -> str:
            llm = ctx.model.get()
            raw = llm.generate(
                prompts.summary_messages(ctx.settings.criterion, llm.truncate(text, ctx.settings.summary_input_tokens)),
                grammar=prompts.SUMMARY_GRAMMAR,
                max_tokens=90,
                cancel=ctx.cancel,
            )
            return _squash(raw)

        summary, computed = ctx.cached(
            "describe",
            {"hash": item.content_hash, "criterion": ctx.settings.criterion,
             "budget": ctx.settings.summary_input_tokens},
            summarise,
        )
        summarised += computed
        cached += not computed
        head = text[:HEAD_CHARS].rsplit(" ", 1)[0]
        lead = f"{title}. " if title else ""
        described[item.id] = f"{lead}{summary} (Begins: {head} ...)"
        bar.advance()
    ctx.stats["describe"] = {"items": len(items), "summarised": summarised, "cached": cached,
                             "skipped": len(skipped)}
    return described, skipped
