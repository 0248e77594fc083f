"""Stage 2a: label proposal, each file's own answer to the criterion (seeds 000 and 003).

Every item is asked on its own, the criterion put as a question about that file
(``prompts.answer_messages``), with no labels of other items in the prompt. So an item's
label depends on the criterion and its own text alone: it is cached under those (files added,
changed or removed cost one call each, whatever their position in the folder), it is the same
call the criterion-first taxonomy makes for a catch-all's members (cache stage "answer"), and
a model on a server answers many at once.

Seed 000 asks for a mini-batch's labels in one answer and carries the labels found so far into
the next prompt, so that the model reuses names. Earlier versions here did the same (prompt
p7: one item per call, the labels so far in the prompt). Measured with the 1.5B model
(docs/benchmarks.md, issue 11), the question asked of each file alone does better where the
criterion is the topic and no worse where it is not: massive_scenario 500 ACC 0.604 against
0.542, household_docs by project 0.933 against 0.900. The embedding step that follows
(stages/cluster.py) joins the synonyms that the carried labels used to prevent.

Labels given up front (``Settings.seed_labels``, the bench's ``--given-labels``) are named in
the question as the person's folders so far.

With K given, an answer that many more files gave than a group's share (``CATCH_ALL`` times
n / K) is too broad to tell groups apart: asked of banking77's 770 queries "what the customer
wants from the bank", 82 answered "Banking". Those files are asked again, told that this
answer is too broad (the values mode reads its catch-all values the same way,
stages/taxonomy.py); a more specific answer replaces the broad one.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .. import prompts
from ..jobs import StageProgress
from .base import StageContext
from .inflight import Ask, cached_many
from .labels import count_labels, label_key, normalize_label

ANSWER_CHARS = 1200  # of one file, asked on its own (as the assign stage shows it)
CATCH_ALL = 2.0  # an answer given by this many times a group's share of the files is too broad


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


def parse_answer(text: str) -> str:
    """The label in an answer to ``prompts.words_grammar``: its first line. A server that
    answered with a JSON list instead still gives its first label."""
    text = text.strip()
    if text.startswith("["):
        return (parse_label_list(text) or [""])[0]
    return normalize_label(text.splitlines()[0] if text else "")


def answer_payload(criterion: str, description: str, known: Sequence[str] = (),
                   broader: str | None = None, state: bool = False) -> dict[str, Any]:
    """What an item's answer is cached under: the criterion and the item's own text (and the
    labels given up front, the answer found too broad, if any), never other items' answers;
    ``state``: asked with the model's hidden state (``Settings.wants_states``)."""
    payload: dict[str, Any] = {"criterion": criterion, "text": description[:ANSWER_CHARS]}
    if state:
        payload["state"] = True
    if known:
        payload["known"] = list(known)
    if broader:
        payload["broader"] = broader
    return payload


def answer_key(ctx: StageContext, description: str) -> str:
    return ctx.cache_key("answer", prompts.VERSIONS["answer"],
                         answer_payload(ctx.settings.criterion, description, ctx.settings.seed_labels,
                                        state=ctx.settings.wants_states))


def item_answers(ctx: StageContext, descriptions: Sequence[str],
                 on_done: Callable[[], None] | None = None,
                 broader: Sequence[str] | None = None) -> list[tuple[str, bool]]:
    """(answer, asked now) per description: its own answer to the criterion, one to three
    words, from the cache where it was asked before. ``broader``: per description, an answer
    found too broad, to be bettered.

    When the settings weigh the model's hidden state (``Settings.wants_states``; off by
    default) and the model can give it (the in-process runtime's ``generate_with_state``),
    the answer comes with it and both are cached together: the state is the file read under
    the question, which stages/cluster.py groups by (``answer_states``)."""
    criterion = ctx.settings.criterion
    known = list(ctx.settings.seed_labels)
    jobs = []
    for n, description in enumerate(descriptions):
        too_broad = broader[n] if broader is not None else None
        payload = answer_payload(criterion, description, known, too_broad, ctx.settings.wants_states)

        # an Ask: the runtime answers several files together (inflight.py)
        plain = Ask(prompts.answer_messages(criterion, payload["text"], known, too_broad),
                    prompts.words_grammar(), 24, lambda text: {"answer": parse_answer(text)})

        def ask(plain: Ask = plain) -> dict[str, Any]:  # with the states: one file at a time
            model = ctx.model.get()
            with_state = getattr(model, "generate_with_state", None)
            if with_state is None:  # a model on a server gives none
                return plain.run(model, ctx.cancel)
            text, state = with_state(plain.messages, grammar=plain.grammar, max_tokens=plain.max_tokens,
                                     cancel=ctx.cancel)
            return {"answer": parse_answer(text), "state": encode_state(state)}

        jobs.append((payload, ask if ctx.settings.wants_states else plain))
    return [(str(value.get("answer", "")) if isinstance(value, dict) else str(value), computed)
            for value, computed in cached_many(ctx, "answer", jobs, on_done)]


def encode_state(state: Any) -> str:
    """Hidden states in the cache: half precision, base64 (6 KB a file for the 1.5B model)."""
    import numpy as np

    return base64.b64encode(np.asarray(state, dtype="<f2").tobytes()).decode("ascii")


def answer_states(ctx: StageContext, descriptions: Sequence[str]) -> Any:
    """The cached hidden states of the files' answers (``item_answers``) as an array
    (files, 2, n_embd), or None unless every file has one (a model on a server gives none)."""
    import numpy as np

    rows = []
    for description in descriptions:
        value = ctx.project.cache_get(answer_key(ctx, description))
        state = value.get("state") if isinstance(value, dict) else None
        if not isinstance(state, str):
            return None
        rows.append(np.frombuffer(base64.b64decode(state), dtype="<f2").astype(np.float32))
    if not rows or len({r.size for r in rows}) != 1 or rows[0].size % 2:
        return None
    return np.stack(rows).reshape(len(rows), 2, -1)


def propose_labels(ctx: StageContext, ordered: list[tuple[int, str, str]]) -> dict[int, str]:
    """``ordered``: (item id, content hash, description). Returns a raw label per item."""
    bar = StageProgress(ctx.progress, "propose", len(ordered))
    ctx.cancel.check()
    answers = item_answers(ctx, [desc for _, _, desc in ordered], bar.advance)
    raw = {item_id: normalize_label(label) for (item_id, _, _), (label, _) in zip(ordered, answers, strict=True)}
    calls = sum(computed for _, computed in answers)
    stats: dict[str, Any] = {"calls": calls, "cached": len(answers) - calls}
    k = ctx.settings.k
    counts = Counter(label_key(label) for label in raw.values())
    broad = {key for key, count in counts.items()
             if key and k and count > max(CATCH_ALL * len(ordered) / k, 3)}
    if broad:
        again = [(item_id, desc) for item_id, _, desc in ordered if label_key(raw[item_id]) in broad]
        better = item_answers(ctx, [desc for _, desc in again], None, [raw[i] for i, _ in again])
        for (item_id, _), (label, computed) in zip(again, better, strict=True):
            stats["calls"] += computed
            stats["cached"] += not computed
            key = label_key(label)
            if key and key not in broad:
                raw[item_id] = normalize_label(label)
        stats["too_broad"] = {"answers": sorted(broad), "files": len(again)}
    stats["distinct"] = len(count_labels(list(raw.values())))
    ctx.stats["propose"] = stats
    return raw
