"""The one way the desktop app runs work: a :class:`Job` on a worker thread.

A job wraps an engine-style function ``fn(*args, progress=..., cancel=...)``. It runs on a
thread pool, never on the GUI thread, and reports back through Qt signals, which Qt delivers
on the GUI thread (queued): ``sig_progress`` (throttled), then exactly one of
``sig_finished(result)``, ``sig_failed(message)`` or ``sig_cancelled()``.

Failures are turned into plain words with what to do (:func:`explain`); unexpected ones are
also logged with their traceback. Nothing is swallowed.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from corral.engine.export import ExportError
from corral.engine.ingest import IngestError
from corral.engine.jobs import Cancelled, CancelToken, ProgressEvent
from corral.engine.store import StoreError
from corral.models.errors import ModelError

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05  # at most ~20 progress updates a second reach the GUI

_ADVICE: list[tuple[type[BaseException], str]] = [
    (ModelError, "Check the model in Settings (File \u203a Settings): choose an installed "
                 "model or a working .gguf file."),
    (ExportError, "Nothing else was changed. Check the destination and try again."),
    (StoreError, "Open another project file, or start a new project for this folder."),
    (IngestError, "Check that the folder exists and that you may read it."),
    (ValueError, "Check the folder, the criterion and the number of groups, then try again."),
    (PermissionError, "Check that you may read the folder and write the project file."),
    (OSError, "Check that the files and folders exist, the disk is not full and you may "
              "write there."),
]


def explain(exc: BaseException) -> str:
    """A failure in plain words: what happened, then what to do about it."""
    message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    if isinstance(exc, KeyError) and str(message).startswith("Unknown model"):
        return f"{message}\n\n{_ADVICE[0][1]}"  # a catalog name that does not exist
    for kind, advice in _ADVICE:
        if isinstance(exc, kind):
            return f"{message or kind.__name__}\n\n{advice}"
    return (
        f"Something unexpected went wrong ({type(exc).__name__}: {message}).\n\n"
        "Your finished work is saved in the project. Try again; if it happens again, "
        "run Corral from a terminal with CORRAL_DEBUG=1 and report what it prints."
    )


class _Runner(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the job owns it
        self._job = job

    def run(self) -> None:
        self._job._execute()


@functools.cache
def worker_pool(name: str, threads: int = 2) -> QThreadPool:
    """The app's thread pool called ``name``, made on first use. Model jobs and thumbnails
    have pools of their own, so a picture never waits behind an hour of model work."""
    pool = QThreadPool()
    pool.setMaxThreadCount(threads)
    return pool


class Job(QObject):
    """Run ``fn(*args, progress=..., cancel=...)`` off the GUI thread. Call :meth:`start`."""

    sig_progress = Signal(object)  # ProgressEvent
    sig_finished = Signal(object)  # fn's return value
    sig_failed = Signal(str)  # plain words, with what to do
    sig_cancelled = Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "") -> None:
        super().__init__()
        self.fn = fn
        self.args = args
        self.name = name or getattr(fn, "__name__", "job")
        self.token = CancelToken()
        self.thread_id: int | None = None  # the worker thread's ident, once it has started
        self.running = False
        self.error: BaseException | None = None
        self._runner = _Runner(self)
        self._last_emit = 0.0
        self._last_stage = ""
        for signal in (self.sig_finished, self.sig_failed, self.sig_cancelled):
            signal.connect(self._release)  # delivered on the GUI thread, after the worker ends

    @staticmethod
    def pool() -> QThreadPool:
        return worker_pool("jobs")

    def start(self) -> Job:
        if self.running:
            raise RuntimeError(f"Job {self.name} is already running.")
        self.running = True
        _live.add(self)  # keep the Python object alive while the worker uses it
        self.pool().start(self._runner)
        return self

    def cancel(self) -> None:
        """Ask the work to stop; it does so at its next check (between items or tokens)."""
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    # -- worker thread -------------------------------------------------------------------
    def _progress(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        edge = event.stage != self._last_stage or event.done == 0 or event.done >= event.total
        if edge or now - self._last_emit >= PROGRESS_INTERVAL_S:
            self._last_emit, self._last_stage = now, event.stage
            self.sig_progress.emit(event)

    def _execute(self) -> None:
        self.thread_id = threading.get_ident()
        try:
            result = self.fn(*self.args, progress=self._progress, cancel=self.token)
        except Cancelled:
            self._done()
            self.sig_cancelled.emit()
        except Exception as exc:  # every failure reaches the GUI, in plain words
            self.error = exc
            if explain(exc).startswith("Something unexpected"):
                log.exception("Job %s failed", self.name)
            self._done()
            self.sig_failed.emit(explain(exc))
        else:
            self._done()
            self.sig_finished.emit(result)

    def _done(self) -> None:
        self.running = False

    def _release(self, *_: object) -> None:
        _live.discard(self)


_live: set[Job] = set()
