"""The llama.cpp runtime behind a small interface.

One :class:`LocalLLM` wraps one loaded ``llama_cpp.Llama`` (a
:class:`~corral.models.llama_handle.LlamaHandle`: calls serialised by a lock, the model freed
by :meth:`close`) and implements :class:`~corral.models.text_model.TextModel`. Every call is
guarded against the context window: an input that does not fit is cut (the longest message
shrinks first), never passed on to fail inside llama.cpp. What it needs of llama-cpp-python
beyond the public API (the KV-cache bookkeeping, the last position's logits) is in
models/llama_adapter.py.

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

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import llama_adapter
from .errors import ModelError
from .llama_handle import LlamaHandle, open_llama, quiet_stderr
from .text_model import (
    Cancel,
    Choice,
    ContextTooSmall,
    Message,
    SpeedReport,
    TextModel,
    UsageStats,
    shrink_longest,
)


@dataclass(frozen=True)
class RuntimeSettings:
    n_ctx: int = 4096
    n_threads: int | None = None  # None: the physical cores (models/cpu.py)
    n_gpu_layers: int | None = None  # None: auto (models/gpu.py); 0: CPU; -1: every layer
    n_batch: int = 512
    seed: int = 0
    parallel: int = 16  # answers decoded together by generate_many (1: one at a time)


class LocalLLM(LlamaHandle):
    """A loaded GGUF language model. Create with :meth:`load`; close with :meth:`close`."""

    concurrency = 1  # one call at a time: the lock serialises them anyway

    def __init__(self, llama: Any, path: Path, name: str, settings: RuntimeSettings) -> None:
        super().__init__(llama)
        self.path = path
        self.name = name
        self.settings = settings
        self.usage = UsageStats()
        self._n_vocab = int(llama.n_vocab())
        self._eos = int(llama.token_eos())
        template = llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelError(
                f"{path} has no chat template in its metadata; Corral needs an instruct model."
            )
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        bos_id = llama.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llama_adapter.token_text(llama, self._eos) if self._eos != -1 else "",
            bos_token=llama_adapter.token_text(llama, bos_id) if bos_id != -1 else "",
        )

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, *, name: str | None = None, settings: RuntimeSettings | None = None) -> LocalLLM:
        path = Path(path)
        settings = settings or RuntimeSettings()
        # room for generate_many's sequences beside the one Llama keeps, in one KV cache
        # whose cells they share (the prompts' common prefix is held once)
        with llama_adapter.context_params(n_seq_max=max(1, settings.parallel) + 1, kv_unified=True):
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

    @property
    def n_ctx(self) -> int:
        return int(self.settings.n_ctx)

    # -- tokens --------------------------------------------------------------------------
    def tokenize(self, text: str, *, special: bool = False) -> list[int]:
        return list(self._require().tokenize(text.encode("utf-8", "replace"), add_bos=False, special=special))

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def truncate(self, text: str, max_tokens: int) -> str:
        """Cut ``text`` to at most ``max_tokens`` tokens, at a token boundary."""
        tokens = self.tokenize(text)
        if len(tokens) <= max_tokens:
            return text
        cut = self._require().detokenize(tokens[: max(0, max_tokens)]).decode("utf-8", "ignore")
        return cut.rstrip() + " ..."

    def format_chat(self, messages: Sequence[Message]) -> list[int]:
        prompt = self._formatter(messages=list(messages)).prompt  # type: ignore[arg-type]
        return list(self._require().tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

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
        llm = self._require()
        match = min(_common_prefix(llama_adapter.cached_tokens(llm), tokens), len(tokens) - 1)
        llama_adapter.keep_cached(llm, match)
        llm.eval(tokens[match:])
        self.usage.prompt_tokens += len(tokens) - match
        self.usage.cached_tokens += match
        return self._last_logits()

    def _last_logits(self) -> np.ndarray:
        return llama_adapter.last_logits(self._require(), self._n_vocab)

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
        cancel: Cancel | None = None,
    ) -> str:
        """Greedy generation, optionally constrained by a GBNF grammar; returns the text.
        ``cancel`` is looked at after every token."""
        with self._lock:
            start = time.perf_counter()
            _, prompt = self.fit_messages(messages, reserve=max_tokens + 4)
            return self._complete(prompt, grammar, max_tokens, cancel, start)

    def _complete(self, prompt: list[int], grammar: str | None, max_tokens: int, cancel: Cancel | None,
                  start: float) -> str:
        """:meth:`generate` on a prompt already fitted to the context window; the call's time
        counts from ``start``."""
        from llama_cpp import LlamaGrammar

        with self._lock:
            compiled = None
            if grammar is not None:
                with quiet_stderr():
                    compiled = LlamaGrammar.from_string(grammar, verbose=False)
            llm = self._require()
            reuse = _common_prefix(llama_adapter.cached_tokens(llm), prompt)
            pieces: list[str] = []
            stream = llm.create_completion(
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
                if cancel is not None and cancel.cancelled:
                    break
            self.usage.prompt_tokens += len(prompt) - reuse
            self.usage.cached_tokens += reuse
            self.usage.generated_tokens += n
            self.usage.calls += 1
            self.usage.seconds += time.perf_counter() - start
            if cancel is not None:
                cancel.check()
            return "".join(pieces)

    @property
    def parallel(self) -> int:
        """How many answers :meth:`generate_many` decodes together."""
        return max(1, int(self.settings.parallel))

    def generate_many(
        self,
        requests: Sequence[Sequence[Message]],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        cancel: Cancel | None = None,
    ) -> list[str]:
        """:meth:`generate` for several prompts, decoded together ``parallel`` at a time
        (``llama_adapter.generate_batch``): greedy answers, in order. Their common beginning
        (the system prompt and the question) is evaluated once. A group's numbers come out in
        another order than one sequence's, so where the two best next tokens nearly tie an
        answer can differ from :meth:`generate`'s (5 of 32 with the 1.5B model,
        docs/benchmarks.md); ``parallel`` 1 gives generate's answers token for token."""
        with self._lock:
            start = time.perf_counter()
            llm = self._require()
            prompts = [self.fit_messages(m, reserve=max_tokens + 4)[1] for m in requests]
            if not prompts:
                return []
            shared = min(min(len(p) for p in prompts) - 1,
                         min(_common_prefix(prompts[0], p) for p in prompts))
            prefix = prompts[0][:shared]
            reuse = _common_prefix(llama_adapter.cached_tokens(llm), prefix)
            llama_adapter.keep_cached(llm, reuse)
            if reuse < shared:
                llm.eval(prefix[reuse:])
            self.usage.prompt_tokens += shared - reuse
            self.usage.cached_tokens += reuse + shared * (len(prompts) - 1)
            texts: list[str] = []
            cancelled = (lambda: cancel.cancelled) if cancel is not None else None
            i = 0
            while i < len(prompts) and not (cancel is not None and cancel.cancelled):
                # as many as fit beside the prefix (each with room for its answer), up to parallel
                used, j = shared, i
                while j < len(prompts) and j - i < self.parallel:
                    need = len(prompts[j]) - shared + max_tokens + 1
                    if j > i and used + need > self.n_ctx:
                        break
                    used, j = used + need, j + 1
                suffixes = [p[shared:] for p in prompts[i:j]]
                answers = llama_adapter.generate_batch(llm, suffixes, shared, grammar, max_tokens, cancelled)
                for tokens, suffix in zip(answers, suffixes, strict=True):
                    texts.append(llm.detokenize(tokens).decode("utf-8", "ignore"))
                    self.usage.prompt_tokens += len(suffix)
                    self.usage.generated_tokens += len(tokens)
                i = j
            self.usage.calls += len(texts)
            self.usage.seconds += time.perf_counter() - start
            if cancel is not None:
                cancel.check()
            return texts

    def generate_with_state(
        self,
        messages: Sequence[Message],
        *,
        grammar: str | None = None,
        max_tokens: int = 256,
        cancel: Cancel | None = None,
    ) -> tuple[str, np.ndarray]:
        """:meth:`generate`, and the model's hidden state where it starts the answer and
        after the answer's last token, as a (2, n_embd) float32 array: the file read under
        the question the prompt asks (InBedder's criterion-conditioned vector; Cluster-R1's
        baselines). Costs one more decode of the answer's few tokens
        (``llama_adapter.hidden_states``)."""
        with self._lock:
            start = time.perf_counter()
            _, prompt = self.fit_messages(messages, reserve=max_tokens + 4)
            text = self._complete(prompt, grammar, max_tokens, cancel, start)
            llm = self._require()
            cached = llama_adapter.cached_tokens(llm)
            if cached[: len(prompt)] != prompt:
                raise ModelError("The model's cache does not hold the prompt just answered.")
            states = llama_adapter.hidden_states(llm, len(prompt) - 1, int(llm.n_embd()))
            self.usage.generated_tokens += 1
            return text, states.astype(np.float32)

    def measure_speed(self, prompt_tokens: int = 256, gen_tokens: int = 32) -> SpeedReport:
        """Raw prompt-evaluation and generation speed, with no cache reuse."""
        with self._lock:
            filler = ("The quick brown fox jumps over the lazy dog. " * 200)
            tokens = self.tokenize(filler)[:prompt_tokens]
            llm = self._require()
            llm.reset()
            t0 = time.perf_counter()
            llm.eval(tokens)
            t1 = time.perf_counter()
            logits = self._last_logits()
            tok = int(np.argmax(logits))
            t2 = time.perf_counter()
            for _ in range(gen_tokens):
                llm.eval([tok])
                tok = int(np.argmax(self._last_logits()))
            t3 = time.perf_counter()
            llm.reset()
            return SpeedReport(len(tokens) / (t1 - t0), gen_tokens / (t3 - t2))


def _common_prefix(cached: Sequence[int], tokens: Sequence[int]) -> int:
    """How many leading tokens two sequences share."""
    match = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        match += 1
    return match


if TYPE_CHECKING:

    def _is_a_text_model(model: LocalLLM) -> TextModel:  # mypy checks the interface here
        return model


__all__ = [
    "Choice",
    "ContextTooSmall",
    "LocalLLM",
    "Message",
    "RuntimeSettings",
    "SpeedReport",
    "UsageStats",
    "open_llama",
    "shrink_longest",
]
