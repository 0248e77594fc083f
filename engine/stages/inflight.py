"""Several model calls in flight where a stage's calls do not depend on each other.

:func:`cached_many` is :meth:`StageContext.cached` for a list of independent jobs. Cached
answers are taken from the project; the rest are computed ``model.concurrency`` at a time
(a model on a server, models/remote_server.py, lets the server batch them), each answer
stored in the project the moment it arrives, so an interrupted run keeps every finished
one. A model whose ``concurrency`` is 1 (the in-process runtime, one call at a time anyway)
computes them one by one in order, exactly as a loop over :meth:`StageContext.cached` would.

Each call computed one at a time is timed against the length of the file's text it sent
(``payload["text"]``): the sums of a least-squares line, seconds = a + b * characters, go
into ``ctx.stats["call_fit"][stage]``, from which engine/estimate.py learns what a call
costs per character of file on this machine (calls in flight together are not timed alone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from time import perf_counter
from typing import Any

from .base import StageContext


def cached_many(
    ctx: StageContext,
    stage: str,
    jobs: Sequence[tuple[Any, Callable[[], Any]]],
    on_done: Callable[[], None] | None = None,
) -> list[tuple[Any, bool]]:
    """(answer, computed) for every (payload, compute) job, in order; ``on_done`` after each."""
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
        workers = max(1, int(ctx.model.get().concurrency))
        if workers <= 1 or len(todo) == 1:
            for key, idxs in todo.items():
                ctx.cancel.check()
                payload, compute = jobs[idxs[0]]
                started = perf_counter()
                value = compute()
                add_timing(ctx.stats, stage, text_chars(payload), perf_counter() - started)
                _store(ctx, stage, key, idxs, value, out, done)
        else:
            _parallel(ctx, stage, jobs, todo, out, done, workers)
    return [row for row in out if row is not None]


def text_chars(payload: Any) -> int:
    """Characters of the file's text a call sends (0 for calls without one)."""
    text = payload.get("text") if isinstance(payload, dict) else None
    return len(text) if isinstance(text, str) else 0


def add_timing(stats: dict[str, Any], stage: str, chars: int, seconds: float) -> None:
    """Add one call to the stage's sums [n, sum x, sum y, sum x^2, sum xy] (x: characters,
    y: seconds), kept in the run's stats (engine/estimate.py fits the line)."""
    sums = stats.setdefault("call_fit", {}).setdefault(stage, [0, 0.0, 0.0, 0.0, 0.0])
    for i, value in enumerate((1, chars, seconds, chars * chars, chars * seconds)):
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
