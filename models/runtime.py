"""The llama.cpp runtime behind a small interface.

One :class:`LocalLLM` wraps one loaded ``llama_cpp.Llama``. Calls are serialised by a lock,
the model is freed by :meth:`close`, and every call is guarded against the context window:
an input that does not fit is cut (the longest message shrinks first), never passed on to
fail inside llama.cpp.

Two kinds of calls are all the engine needs:

* :meth:`generate` -- greedy text constrained by a GBNF grammar (JSON lists of labels,
  summaries), streamed so a cancel request stops it between tokens.
* :meth:`choose` -- pick exactly one of a list of options. Instead of sampling text and
  parsing it, the options are tokenised into a prefix tree and decoding walks only that tree,
  so the answer is always one of the options. The probability of the chosen path under the
  tree-constrained distribution is returned as the confidence, and decoding stops as soon as
  the option is unambiguous (usually after one or two tokens). Prompts put the shared part
  first and the item last, so llama.cpp reuses the KV cache of the shared prefix.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from .errors import ModelError
from .store import check_gguf_header


class Message(TypedDict):
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class RuntimeSettings:
    n_ctx: int = 4096
    n_threads: int | None = None  # None: all physical cores llama.cpp sees
    n_gpu_layers: int | None = None  # None: auto (models/gpu.py); 0: CPU; -1: every layer
    n_batch: int = 512
    seed: int = 0


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


@dataclass
class _Trie:
    tokens: list[list[int]] = field(default_factory=list)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp prints its load log on fd 2; keep the terminal clean unless CORRAL_DEBUG."""
    if os.environ.get("CORRAL_DEBUG"):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def open_llama(path: Path, advice: str, **params: Any) -> Any:
    """``llama_cpp.Llama(model_path=path, **params)`` with every failure a ModelError that
    names the file: missing, not GGUF, or refused by llama.cpp (then ``advice`` says what to do).

    ``n_gpu_layers=None`` is resolved by models/gpu.py. Before the first in-process load of a
    model on this installation, models/probe.py loads it in a child process, so a build that
    crashes on this CPU is caught there and the load falls back to what works.
    """
    if not path.is_file():
        raise ModelError(f"Model file {path} does not exist.")
    check_gguf_header(path)
    try:
        from llama_cpp import Llama
    except ImportError as exc:  # pragma: no cover - dependency is required
        raise ModelError("llama-cpp-python is not installed; run `pip install llama-cpp-python`.") from exc
    from .gpu import resolve_gpu_layers
    from .probe import ProbeCache, model_params

    params["n_gpu_layers"], _ = resolve_gpu_layers(params.get("n_gpu_layers"), path)
    verdict = ProbeCache().verdict(path, params)
    try:
        with _quiet_stderr(), model_params(**verdict.load_params()):
            return Llama(model_path=str(path), verbose=bool(os.environ.get("CORRAL_DEBUG")), **params)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"llama.cpp could not load {path}: {exc}. The file may be damaged or of an "
            f"unsupported architecture; {advice}."
        ) from exc


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


class LocalLLM:
    """A loaded GGUF language model. Create with :meth:`load`; close with :meth:`close`."""

    def __init__(self, llama: Any, path: Path, name: str, settings: RuntimeSettings) -> None:
        self._llm = llama
        self.path = path
        self.name = name
        self.settings = settings
        self.usage = UsageStats()
        self._lock = threading.RLock()
        self._n_vocab = int(llama.n_vocab())
        self._eos = int(llama.token_eos())
        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(
                f"{path} has no chat template in its metadata; Corral needs an instruct model."
            )
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        model = llama._model
        bos_id = llama.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=model.token_get_text(self._eos) if self._eos != -1 else "",
            bos_token=model.token_get_text(bos_id) if bos_id != -1 else "",
        )

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, *, name: str | None = None, settings: RuntimeSettings | None = None) -> LocalLLM:
        path = Path(path)
        settings = settings or RuntimeSettings()
        llama = open_llama(
            path,
            "reinstall it or choose another model",
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_threads_batch=settings.n_threads,  # else prompt evaluation uses every core
            n_gpu_layers=settings.n_gpu_layers,
            n_batch=settings.n_batch,
            seed=settings.seed,
            logits_all=False,
        )
        return cls(llama, path, name or path.stem, settings)

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None

    def __enter__(self) -> LocalLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def n_ctx(self) -> int:
        return int(self.settings.n_ctx)

    # -- tokens --------------------------------------------------------------------------
    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return list(self._llm.tokenize(text.encode("utf-8", "replace"), add_bos=False, special=special))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def truncate(self, text: str, max_tokens: int) -> str:
        """Cut ``text`` to at most ``max_tokens`` tokens, at a token boundary."""
        tokens = self.tokenize(text)
        if len(tokens) <= max_tokens:
            return text
        cut = self._llm.detokenize(tokens[: max(0, max_tokens)]).decode("utf-8", "ignore")
        return cut.rstrip() + " ..."

    def format_chat(self, messages: Sequence[Message]) -> list[int]:
        prompt = self._formatter(messages=list(messages)).prompt
        return list(self._llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def fit_messages(self, messages: Sequence[Message], reserve: int) -> tuple[list[Message], list[int]]:
        """Shrink the longest message until prompt + ``reserve`` fits the context window."""
        budget = self.n_ctx - reserve

        def measure(msgs: list[Message]) -> tuple[int, list[int]]:
            tokens = self.format_chat(msgs)
            return len(tokens), tokens

        return shrink_longest(
            messages, budget, measure, self.count_tokens, self.truncate,
            lambda need: (f"The prompt needs {need} tokens but the context window of "
                          f"{self.n_ctx} leaves only {budget}; raise n_ctx or shorten the criterion."))

    # -- evaluation ----------------------------------------------------------------------
    def _eval_prefix(self, tokens: list[int]) -> np.ndarray:
        """Evaluate ``tokens`` reusing the cached prefix; return the last position's logits."""
        llm = self._llm
        cached = llm.input_ids[: llm.n_tokens].tolist()
        match = 0
        for a, b in zip(cached, tokens, strict=False):
            if a != b:
                break
            match += 1
        match = min(match, len(tokens) - 1)
        llm.n_tokens = match
        llm.eval(tokens[match:])
        self.usage.prompt_tokens += len(tokens) - match
        self.usage.cached_tokens += match
        return self._last_logits()

    def _last_logits(self) -> np.ndarray:
        import llama_cpp

        ptr = llama_cpp.llama_get_logits_ith(self._llm._ctx.ctx, -1)
        return np.ctypeslib.as_array(ptr, shape=(self._n_vocab,)).copy()

    def choose(
        self,
        messages: Sequence[Message],
        options: Sequence[str],
        *,
        answer_prefix: str = "",
    ) -> Choice:
        """Pick one of ``options`` as the assistant's answer; see the module docstring."""
        if not options:
            raise ValueError("choose() needs at least one option")
        with self._lock:
            start = time.perf_counter()
            seqs = [self.tokenize(" " + opt) + [self._eos] for opt in options]
            longest = max(len(s) for s in seqs)
            fitted, prompt = self.fit_messages(messages, reserve=longest + 8)
            prompt = prompt + self.tokenize(answer_prefix) if answer_prefix else prompt
            logits = self._eval_prefix(prompt)
            candidates = list(range(len(options)))
            logp = 0.0
            first_step: dict[int, float] = {}
            pos = 0
            while True:
                next_tok = sorted({seqs[i][pos] for i in candidates})
                sub = logits[next_tok].astype(np.float64)
                sub -= sub.max()
                probs = np.exp(sub)
                probs /= probs.sum()
                best = int(np.argmax(probs))
                token = next_tok[best]
                logp += math.log(max(float(probs[best]), 1e-12))
                if pos == 0:
                    by_tok = dict(zip(next_tok, probs.tolist(), strict=True))
                    first_step = {i: by_tok[seqs[i][0]] for i in candidates}
                candidates = [i for i in candidates if seqs[i][pos] == token]
                pos += 1
                if len(candidates) == 1:
                    break
                logits = self._eval_prefix(prompt + seqs[candidates[0]][:pos])
                self.usage.generated_tokens += 1
            index = candidates[0]
            self.usage.calls += 1
            self.usage.seconds += time.perf_counter() - start
            return Choice(index, options[index], math.exp(logp), first_step)

    def generate(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        cancel: Any | None = None,
    ) -> str:
        """Greedy generation, optionally constrained by a GBNF grammar; returns the text."""
        from llama_cpp import LlamaGrammar

        with self._lock:
            start = time.perf_counter()
            _, prompt = self.fit_messages(messages, reserve=max_tokens + 4)
            compiled = None
            if grammar is not None:
                with _quiet_stderr():
                    compiled = LlamaGrammar.from_string(grammar, verbose=False)
            before = self._llm.n_tokens
            cached = self._llm.input_ids[:before].tolist()
            reuse = 0
            for a, b in zip(cached, prompt, strict=False):
                if a != b:
                    break
                reuse += 1
            pieces: list[str] = []
            stream = self._llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                grammar=compiled,
                stream=True,
            )
            n = 0
            for chunk in stream:
                pieces.append(chunk["choices"][0]["text"])
                n += 1
                if cancel is not None and getattr(cancel, "cancelled", False):
                    break
            self.usage.prompt_tokens += len(prompt) - reuse
            self.usage.cached_tokens += reuse
            self.usage.generated_tokens += n
            self.usage.calls += 1
            self.usage.seconds += time.perf_counter() - start
            if cancel is not None:
                cancel.check()
            return "".join(pieces)

    def measure_speed(self, prompt_tokens: int = 256, gen_tokens: int = 32) -> SpeedReport:
        """Raw prompt-evaluation and generation speed, with no cache reuse."""
        with self._lock:
            filler = ("The quick brown fox jumps over the lazy dog. " * 200)
            tokens = self.tokenize(filler)[:prompt_tokens]
            self._llm.reset()
            t0 = time.perf_counter()
            self._llm.eval(tokens)
            t1 = time.perf_counter()
            logits = self._last_logits()
            tok = int(np.argmax(logits))
            t2 = time.perf_counter()
            for _ in range(gen_tokens):
                self._llm.eval([tok])
                tok = int(np.argmax(self._last_logits()))
            t3 = time.perf_counter()
            self._llm.reset()
            return SpeedReport(len(tokens) / (t1 - t0), gen_tokens / (t3 - t2))
