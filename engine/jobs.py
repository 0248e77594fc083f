"""Progress reporting and cancellation for long work, with no Qt in sight.

Every stage takes a ``progress`` callback and a ``cancel`` token. The CLI prints progress
to the terminal; the desktop app forwards it to a Qt signal from its worker thread. The
stages themselves only ever call ``progress(...)`` and ``cancel.check()`` between items.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


class Cancelled(Exception):
    """Raised by :meth:`CancelToken.check` once cancellation was requested."""


class CancelToken:
    """A thread-safe flag that a stage checks between items (or tokens)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


@dataclass(frozen=True)
class ProgressEvent:
    stage: str
    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """The do-nothing progress callback."""


class StageProgress:
    """Counts items of one stage and forwards events to the callback."""

    def __init__(self, callback: ProgressCallback | None, stage: str, total: int) -> None:
        self._callback = callback or no_progress
        self.stage = stage
        self.total = total
        self.done = 0
        self._callback(ProgressEvent(stage, 0, total))

    def advance(self, n: int = 1, message: str = "") -> None:
        self.done += n
        self._callback(ProgressEvent(self.stage, self.done, self.total, message))

    def note(self, message: str) -> None:
        self._callback(ProgressEvent(self.stage, self.done, self.total, message))

    def finish(self, message: str = "") -> None:
        """The stage ends before its last item (the rest need not be asked): done of done."""
        self.total = self.done
        self._callback(ProgressEvent(self.stage, self.done, self.total, message))
