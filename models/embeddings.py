"""Sentence embeddings from a GGUF BERT encoder through llama.cpp, without torch.

One :class:`Embedder` wraps one ``llama_cpp.Llama`` created with ``embedding=True`` and MEAN
pooling, so llama.cpp itself averages the token vectors of each text (what the
sentence-transformers Pooling module does for all-MiniLM-L6-v2); the result is L2-normalised
here, as sentence-transformers' Normalize module does.

Why not ``Llama.embed``: it cuts an over-long input at the batch size, which drops the final
``[SEP]`` token the model was trained with, and it raises instead of truncating when a text is
longer than the batch. Here each text is tokenised once, cut to ``max_tokens`` keeping
``[CLS] ... [SEP]`` (as the Hugging Face tokenizer truncates), and many short texts are packed
into one ``llama_decode`` call, each as its own sequence.

The default ``max_tokens`` is 256, the ``max_seq_length`` of all-MiniLM-L6-v2's
sentence-transformers configuration, so that embeddings agree with the reference
implementation; it may be raised up to the model's context (512 positions).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from . import llama_adapter
from .errors import ModelError
from .llama_handle import LlamaHandle, open_llama
from .runtime import RuntimeSettings

DEFAULT_MAX_TOKENS = 256  # all-MiniLM-L6-v2's sentence_bert_config.json max_seq_length
MODEL_CONTEXT = 512  # positions of the BERT models Corral converts (bert.context_length)
DEFAULT_BATCH_TOKENS = 256  # packing more wastes time on the masked cross-text attention


class _Cancel(Protocol):
    def check(self) -> None: ...


class Embedder(LlamaHandle):
    """A loaded GGUF embedding model. Create with :meth:`load`; free with :meth:`close`."""

    closed_message = "The embedding model is closed."

    def __init__(self, llama: Any, path: Path, settings: RuntimeSettings, max_tokens: int) -> None:
        super().__init__(llama)
        self.path = path
        self.settings = settings
        self.dim = int(llama.n_embd())
        self.n_ctx = int(llama.n_ctx())
        self.max_tokens = max(3, min(int(max_tokens), self.n_ctx))
        self._n_seq_max = llama_adapter.seq_max(llama)
        self._sep = int(llama.token_eos())

    # -- lifecycle -----------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        path: str | Path,
        settings: RuntimeSettings | None = None,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
    ) -> Embedder:
        """Load a GGUF embedding model (e.g. the converted all-MiniLM-L6-v2).

        Only the thread and GPU fields of ``settings`` apply: the context is the model's own
        (512 positions), not the language model's ``n_ctx``.
        """
        path = Path(path)
        settings = settings or RuntimeSettings()
        import llama_cpp

        llama = open_llama(
            path,
            "reinstall it with `corral models install minilm-l6`",
            embedding=True,
            pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
            n_ctx=MODEL_CONTEXT,
            # A non-causal encoder must see a whole text in one micro-batch.
            n_batch=MODEL_CONTEXT,
            n_ubatch=MODEL_CONTEXT,
            n_threads=settings.n_threads,
            n_threads_batch=settings.n_threads,
            n_gpu_layers=settings.n_gpu_layers,
        )
        if llama.pooling_type() != llama_cpp.LLAMA_POOLING_TYPE_MEAN:  # pragma: no cover
            llama.close()
            raise ModelError(f"{path} did not load with mean pooling; it is not a sentence embedder.")
        return cls(llama, path, settings, max_tokens)

    # -- tokens --------------------------------------------------------------------------
    def tokenize(self, text: str) -> list[int]:
        """``[CLS] text [SEP]``, cut to ``max_tokens`` with the final ``[SEP]`` kept."""
        llm = self._require()
        tokens = list(llm.tokenize(text.encode("utf-8", "replace"), add_bos=True, special=False))
        if len(tokens) > self.max_tokens:
            tokens = tokens[: self.max_tokens - 1] + [self._sep]
        return tokens

    # -- embedding -----------------------------------------------------------------------
    def embed(
        self,
        texts: Sequence[str],
        *,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        progress: Callable[[int, int], None] | None = None,
        cancel: _Cancel | None = None,
    ) -> np.ndarray:
        """Embed ``texts``: a float32 array of shape (len(texts), dim), rows of unit length.

        Texts are packed into decode calls of at most ``batch_tokens`` tokens (never more
        than the model context); ``progress(done, total)`` and ``cancel.check()`` run
        between calls.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of texts, not a single string")
        budget = max(self.max_tokens, min(int(batch_tokens), self.n_ctx))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            llm = self._require()
            pending: list[tuple[int, list[int]]] = []
            used = 0
            done = 0
            for index, text in enumerate(texts):
                tokens = self.tokenize(text)
                if pending and (used + len(tokens) > budget or len(pending) >= self._n_seq_max):
                    self._decode(llm, pending, out)
                    done += len(pending)
                    pending, used = [], 0
                    if progress:
                        progress(done, len(texts))
                    if cancel is not None:
                        cancel.check()
                pending.append((index, tokens))
                used += len(tokens)
            if pending:
                self._decode(llm, pending, out)
                if progress:
                    progress(len(texts), len(texts))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _decode(self, llm: Any, pending: list[tuple[int, list[int]]], out: np.ndarray) -> None:
        """One ``llama_decode`` of several texts, each its own sequence; copy their means."""
        rows = llama_adapter.decode_pooled(llm, [tokens for _, tokens in pending], self.dim, self.path.name)
        for (index, _), row in zip(pending, rows, strict=True):
            out[index] = row
