"""Several model calls in flight where a stage's calls do not depend on each other.

:func:`cached_many` is :meth:`StageContext.cached` for a list of independent jobs. Cached
answers are taken from the project; the rest are computed ``model.concurrency`` at a time
(a model on a server, models/remote_server.py, lets the server batch them), each answer
stored in the project the moment it arrives, so an interrupted run keeps every finished
one. A model whose ``concurrency`` is 1 (the in-process runtime, one call at a time anyway)
computes them one by one in order, exactly as a loop over :meth:`StageContext.cached` would.

A job whose computation is an :class:`Ask` (a prompt, a grammar and what to make of the
answer) rather than a function can be answered together with others: a model that decodes
several answers at once (the in-process runtime's ``generate_many``, ``parallel`` at a time)
takes the uncached asks ``parallel`` at a time, and each answer is stored as its group ends.

Each call computed one at a time is timed against the length of the file's text it sent
(``payload["text"]``), each group decoded together against its files' lengths in all: the
sums of a least-squares line, seconds = a + b * characters, go into
``ctx.stats["call_fit"][stage]``, from which engine/estimate.py learns what a call costs per
character of file on this machine (calls in flight on a server are not timed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from time import perf_counter
from typing import Any

from corral.models.text_model import Cancel, Message

from .base import StageContext


@dataclass(frozen=True)
class Ask:
    """One generation a job needs: ``finish`` turns the answer's text into the value cached."""

    messages: list[Message]
    grammar: str | None
    max_tokens: int
    finish: Callable[[str], Any]

    def run(self, model: Any, cancel: Cancel | None = None) -> Any:
        return self.finish(model.generate(self.messages, grammar=self.grammar,
                                          max_tokens=self.max_tokens, cancel=cancel))


def cached_many(
    ctx: StageContext,
    stage: str,
    jobs: Sequence[tuple[Any, Callable[[], Any] | Ask]],
    on_done: Callable[[], None] | None = None,
) -> list[tuple[Any, bool]]:
    """(answer, computed) for every (payload, compute) job, in order; ``on_done`` after each.
    ``compute`` is a function, or an :class:`Ask` for the model."""
    from .. import prompts

    done = on_done or (lambda: None)
    keys = [ctx.cache_key(stage, prompts.VERSIONS[stage], payload) for payload, _ in jobs]
    out: list[tuple[Any, bool] | None] = [None] * len(jobs)
    todo: dict[str, list[int]] = {}  # key -> job indexes (equal payloads are asked once)
    for i, key in enumerate(keys):
        if key in todo:
            todo[key].append(i)
            continue
        value = ctx.project.cache_get(key)
        if value is not None:
            out[i] = (value, False)
            done()
        else:
            todo[key] = [i]
    if todo:
        model = ctx.model.get()
        workers = max(1, int(model.concurrency))
        asks = [a for idxs in todo.values() if isinstance(a := jobs[idxs[0]][1], Ask)]
        together = max(1, int(getattr(model, "parallel", 1))) if hasattr(model, "generate_many") else 1
        if (together > 1 and len(todo) > 1 and len(asks) == len(todo)
                and len({(a.grammar, a.max_tokens) for a in asks}) == 1):
            _together(ctx, stage, model, together, jobs, todo, out, done)
            return [row for row in out if row is not None]
        calls: list[tuple[Any, Callable[[], Any]]] = [
            (payload, partial(c.run, model, ctx.cancel) if isinstance(c, Ask) else c) for payload, c in jobs]
        if workers <= 1 or len(todo) == 1:
            for key, idxs in todo.items():
                ctx.cancel.check()
                payload, compute = calls[idxs[0]]
                started = perf_counter()
                value = compute()
                add_timing(ctx.stats, stage, text_chars(payload), perf_counter() - started)
                _store(ctx, stage, key, idxs, value, out, done)
        else:
            _parallel(ctx, stage, calls, todo, out, done, workers)
    return [row for row in out if row is not None]


def _together(ctx: StageContext, stage: str, model: Any, size: int, jobs: Sequence[tuple[Any, Any]],
              todo: dict[str, list[int]], out: list[tuple[Any, bool] | None], done: Callable[[], None]) -> None:
    """The asks ``size`` at a time through ``model.generate_many``, shortest texts first, so
    that a group's files are of about one length: each group is timed as one observation
    (``add_timing``), and groups of different lengths let the estimate's line read the cost
    per character."""
    pending = sorted(todo.items(), key=lambda item: text_chars(jobs[item[1][0]][0]))
    ctx.stats.setdefault("call_together", {})[stage] = size  # timed apart (engine/estimate.py)
    for first in range(0, len(pending), size):
        ctx.cancel.check()
        group = pending[first:first + size]
        asks = [jobs[idxs[0]][1] for _, idxs in group]
        started = perf_counter()
        texts = model.generate_many([a.messages for a in asks], grammar=asks[0].grammar,
                                    max_tokens=asks[0].max_tokens, cancel=ctx.cancel)
        add_timing(ctx.stats, stage, sum(text_chars(jobs[idxs[0]][0]) for _, idxs in group),
                   perf_counter() - started, len(group))
        for (key, idxs), ask, text in zip(group, asks, texts, strict=True):
            _store(ctx, stage, key, idxs, ask.finish(text), out, done)


def text_chars(payload: Any) -> int:
    """Characters of the file's text a call sends (0 for calls without one)."""
    text = payload.get("text") if isinstance(payload, dict) else None
    return len(text) if isinstance(text, str) else 0


def add_timing(stats: dict[str, Any], stage: str, chars: int, seconds: float, calls: int = 1) -> None:
    """Add one call, or a group of ``calls`` decoded together that sent ``chars`` characters in
    all, to the stage's sums [n, sum x, sum y, sum x^2, sum xy] (x: characters, y: seconds),
    kept in the run's stats (engine/estimate.py fits seconds = a + b x). A group counts as the
    observation seconds = a * calls + b * chars: its terms [calls^2, calls*chars,
    calls*seconds, chars^2, chars*seconds] give the same normal equations, so single calls and
    groups share one line."""
    sums = stats.setdefault("call_fit", {}).setdefault(stage, [0, 0.0, 0.0, 0.0, 0.0])
    for i, value in enumerate((calls * calls, calls * chars, calls * seconds, chars * chars, chars * seconds)):
        sums[i] += value


def _store(ctx: StageContext, stage: str, key: str, idxs: list[int], value: Any,
           out: list[tuple[Any, bool] | None], done: Callable[[], None]) -> None:
    ctx.project.cache_put(key, stage, value)
    for n, i in enumerate(idxs):
        out[i] = (value, n == 0)
        done()


def _parallel(ctx: StageContext, stage: str, jobs: Sequence[tuple[Any, Callable[[], Any]]],
              todo: dict[str, list[int]], out: list[tuple[Any, bool] | None],
              done: Callable[[], None], workers: int) -> None:
    """Up to ``workers`` computations at once; answers stored here, in the calling thread
    (the project's SQLite connection belongs to it). After the first failure nothing new
    starts, the answers still in flight are stored as they arrive, then the failure is raised."""
    pending = list(todo.items())
    running: dict[Future[Any], tuple[str, list[int]]] = {}
    failed: BaseException | None = None
    with ThreadPoolExecutor(min(workers, len(pending)), thread_name_prefix=f"corral-{stage}") as pool:
        try:
            while running or (pending and failed is None):
                while pending and failed is None and len(running) < workers:
                    ctx.cancel.check()
                    key, idxs = pending.pop(0)
                    running[pool.submit(jobs[idxs[0]][1])] = (key, idxs)
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    key, idxs = running.pop(future)
                    error = future.exception()
                    if error is not None:
                        failed = failed or error
                    else:
                        _store(ctx, stage, key, idxs, future.result(), out, done)
        except BaseException:  # cancelled or interrupted here: do not wait for answers
            for future in running:
                future.cancel()
            raise
    if failed is not None:
        raise failed
