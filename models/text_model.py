"""The language-model interface the engine is written against.

:class:`TextModel` is every call the engine's stages, the pipeline and bench make on a
language model. Two classes implement it: :class:`~corral.models.runtime.LocalLLM` (llama.cpp
in process) and :class:`~corral.models.remote_server.RemoteLLM` (a server's OpenAI-compatible
API); ``tests/fakes.FakeLLM`` is a scripted one. The types here (messages, a choice with its
confidence, usage counters) are what crosses that interface, and :func:`shrink_longest` is
the one way both implementations fit a prompt into the context window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict, runtime_checkable

from .errors import ModelError


class Message(TypedDict):
    role: str  # system | user | assistant
    content: str


@dataclass
class Choice:
    index: int
    option: str
    confidence: float  # probability of the chosen option under the constrained decoding
    first_step: dict[int, float]  # option -> probability of its first token (shared tokens share it)


@dataclass
class UsageStats:
    prompt_tokens: int = 0  # tokens actually evaluated (after KV-cache reuse)
    cached_tokens: int = 0  # prompt tokens served from the KV cache
    generated_tokens: int = 0
    calls: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "cached_tokens": self.cached_tokens,
            "generated_tokens": self.generated_tokens,
            "calls": self.calls,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class SpeedReport:
    prompt_tokens_per_s: float
    generate_tokens_per_s: float


class ContextTooSmall(ModelError):
    """Even the fixed part of a prompt does not fit in the context window."""


class Cancel(Protocol):
    """What a model checks between tokens or requests (``engine.jobs.CancelToken``)."""

    @property
    def cancelled(self) -> bool: ...

    def check(self) -> None: ...


@runtime_checkable
class TextModel(Protocol):
    """A language model as the engine uses it. Implementations keep every answer greedy
    (the same prompt gives the same answer) and never pass a prompt that does not fit the
    context window on to the model: the longest message is cut instead."""

    @property
    def usage(self) -> UsageStats:
        """Counters since the model was loaded (the run's stats record them)."""
        ...

    @property
    def concurrency(self) -> int:
        """How many calls may usefully be in flight at once (1 in process)."""
        ...

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        cancel: Cancel | None = None,
    ) -> str:
        """The assistant's answer, constrained by the GBNF ``grammar`` when given; raises
        ``cancel``'s exception when it was cancelled, possibly mid-answer."""
        ...

    def choose(self, messages: Sequence[Message], options: Sequence[str], *, answer_prefix: str = "") -> Choice:
        """Exactly one of ``options`` as the answer, with its probability."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def truncate(self, text: str, max_tokens: int) -> str:
        """``text`` cut to at most ``max_tokens`` tokens (``" ..."`` marks a cut)."""
        ...

    def measure_speed(self, prompt_tokens: int = 256, gen_tokens: int = 32) -> SpeedReport: ...

    def close(self) -> None: ...


def shrink_longest(
    messages: Sequence[Message],
    budget: int,
    measure: Callable[[list[Message]], tuple[int, Any]],
    count_tokens: Callable[[str], int],
    truncate: Callable[[str, int], str],
    too_small: Callable[[int], str],
) -> tuple[list[Message], Any]:
    """Cut the longest message (at a token boundary) until ``measure`` says the prompt fits
    ``budget`` tokens; returns the messages and what ``measure`` gave with the count. Shared
    by the local model and the server model; ``too_small(need)`` words the error."""
    msgs = [Message(role=m["role"], content=m["content"]) for m in messages]
    for _ in range(8):
        need, value = measure(msgs)
        excess = need - budget
        if excess <= 0:
            return msgs, value
        longest = max(range(len(msgs)), key=lambda i: len(msgs[i]["content"]))
        keep = count_tokens(msgs[longest]["content"]) - excess - 8
        if keep < 16:
            raise ContextTooSmall(too_small(need))
        msgs[longest] = Message(role=msgs[longest]["role"], content=truncate(msgs[longest]["content"], keep))
    raise ContextTooSmall("Could not fit the prompt in the context window.")


__all__ = [
    "Cancel",
    "Choice",
    "ContextTooSmall",
    "Message",
    "SpeedReport",
    "TextModel",
    "UsageStats",
    "shrink_longest",
]
