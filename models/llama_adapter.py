"""Every use of llama-cpp-python beyond its public API, in one place.

Corral needs a few things llama-cpp-python does not offer as public API: KV-cache reuse with
the logits of the last position (``LocalLLM.choose`` walks a prefix tree token by token),
several texts in one ``llama_decode`` (``Embedder``), several answers decoded together,
one sequence each (``LocalLLM.generate_many``), a context with room for those sequences, the special tokens' text for the chat
template, loading an mmproj at model-load time, a chat handler that renders message parts
as one string, and a ``llama_model_params`` field ``Llama`` has no argument for. Each is a
function here; nothing else in Corral touches a private attribute of ``llama_cpp`` objects,
patches a ``llama_cpp`` function or depends on the package's file layout.

These names are not part of llama-cpp-python's contract, so ``pyproject.toml`` pins the
version (:data:`TESTED_VERSION`) and ``tests/test_llama_adapter.py`` checks every one of them
(:data:`REQUIRED`) without loading a model: an upgrade that renames or removes one fails
there, by name, instead of deep inside a run.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelError

#: The llama-cpp-python version these functions were written and tested against.
TESTED_VERSION = "0.3.36"

#: What this module relies on: (where, attribute). ``Llama`` instance attributes are checked
#: in ``Llama.__init__``'s source, since they exist only on a loaded model.
REQUIRED: tuple[tuple[str, str], ...] = (
    ("llama_cpp.llama_cpp", "llama_model_default_params"),
    ("llama_cpp.llama_cpp", "llama_get_logits_ith"),
    ("llama_cpp.llama_cpp", "llama_get_embeddings_seq"),
    ("llama_cpp.llama_cpp", "llama_get_embeddings_ith"),
    ("llama_cpp.llama_cpp", "llama_set_embeddings"),
    ("llama_cpp.llama_cpp", "llama_context_default_params"),
    ("llama_cpp.llama_cpp", "llama_get_memory"),
    ("llama_cpp.llama_cpp", "llama_memory_seq_cp"),
    ("llama_cpp.llama_cpp", "llama_memory_seq_rm"),
    ("llama_cpp.llama_cpp", "llama_batch_init"),
    ("llama_cpp.llama_cpp", "llama_batch_free"),
    ("llama_cpp.llama_cpp", "llama_decode"),
    ("llama_cpp.llama_cpp", "llama_model_get_vocab"),
    ("llama_cpp.llama_cpp", "llama_vocab_is_eog"),
    ("llama_cpp.llama_cpp", "llama_sampler_chain_init"),
    ("llama_cpp.llama_cpp", "llama_sampler_chain_default_params"),
    ("llama_cpp.llama_cpp", "llama_sampler_chain_add"),
    ("llama_cpp.llama_cpp", "llama_sampler_init_grammar"),
    ("llama_cpp.llama_cpp", "llama_sampler_init_greedy"),
    ("llama_cpp.llama_cpp", "llama_sampler_sample"),
    ("llama_cpp.llama_cpp", "llama_sampler_free"),
    ("llama_cpp._internals.LlamaModel", "self.model"),
    ("llama_cpp._internals.LlamaModel", "token_get_text"),
    ("llama_cpp._internals.LlamaContext", "kv_cache_clear"),
    ("llama_cpp._internals.LlamaContext", "decode"),
    ("llama_cpp._internals.LlamaContext", "kv_cache_seq_rm"),
    ("llama_cpp._internals.LlamaBatch", "set_batch"),
    ("llama_cpp._internals.LlamaBatch", "reset"),
    ("llama_cpp._internals.LlamaBatch", "add_sequence"),
    ("llama_cpp.llama_chat_format.MTMDChatHandler", "_init_mtmd_context"),
    ("llama_cpp.llama_chat_format.MTMDChatHandler", "_convert_message_for_template"),
    ("llama_cpp.Llama", "self._model"),
    ("llama_cpp.Llama", "self._ctx"),
    ("llama_cpp.Llama", "self._batch"),
    ("llama_cpp.Llama", "self.n_tokens"),
    ("llama_cpp.Llama", "self.n_batch"),
    ("llama_cpp.Llama", "self.input_ids"),
    ("llama_cpp.Llama", "self.context_params"),
    ("llama_cpp.Llama", "llama_cpp.llama_model_default_params()"),
)


# ---- the installed package ------------------------------------------------------------------
def library_dir() -> Path:
    """The folder of the shared libraries (libllama, libggml*) that llama-cpp-python loads."""
    import llama_cpp

    return Path(llama_cpp.__file__).parent / "lib"


_params_lock = threading.RLock()  # open_llama nests model_params in context_params


@contextlib.contextmanager
def model_params(**overrides: Any) -> Iterator[None]:
    """Make ``llama_cpp.Llama`` load with these llama_model_params fields changed.

    ``Llama.__init__`` takes its params from ``llama_model_default_params()`` and exposes no
    argument for ``use_extra_bufts``, so the defaults function is wrapped for the load.
    """
    with _defaults("llama_model_default_params", overrides):
        yield


@contextlib.contextmanager
def context_params(**overrides: Any) -> Iterator[None]:
    """The same for llama_context_params (``n_seq_max``, ``kv_unified``: ``Llama`` has no
    argument for either)."""
    with _defaults("llama_context_default_params", overrides):
        yield


@contextlib.contextmanager
def _defaults(function: str, overrides: dict[str, Any]) -> Iterator[None]:
    if not overrides:
        yield
        return
    from llama_cpp import llama_cpp as lib

    with _params_lock:
        original = getattr(lib, function)

        def patched() -> Any:
            params = original()
            for name, value in overrides.items():
                setattr(params, name, value)
            return params

        setattr(lib, function, patched)
        try:
            yield
        finally:
            setattr(lib, function, original)


# ---- a loaded model -------------------------------------------------------------------------
def token_text(llama: Any, token: int) -> str:
    """The text of one token as the vocabulary spells it (``<|im_start|>``, ``</s>``)."""
    return str(llama._model.token_get_text(token))


def seq_max(llama: Any) -> int:
    """How many sequences one decode call of this context may hold."""
    return int(llama.context_params.n_seq_max)


def cached_tokens(llama: Any) -> list[int]:
    """The tokens whose keys and values are in the KV cache, in order."""
    return list(llama.input_ids[: llama.n_tokens].tolist())


def keep_cached(llama: Any, n: int) -> None:
    """Keep the first ``n`` cached tokens, drop the rest from the KV cache (every sequence's
    cells from position ``n`` on); the next ``eval`` continues from there."""
    llama._ctx.kv_cache_seq_rm(-1, n, -1)
    llama.n_tokens = n


def last_logits(llama: Any, n_vocab: int) -> np.ndarray:
    """A copy of the logits of the last evaluated position (``Llama.eval`` keeps only that
    one unless ``logits_all``; ``Llama.scores`` would be the whole matrix)."""
    import llama_cpp

    ptr = llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1)
    return np.ctypeslib.as_array(ptr, shape=(n_vocab,)).copy()


def hidden_states(llama: Any, start: int, dim: int) -> np.ndarray:
    """The last layer's hidden state (after the output norm: what the logits are read from)
    at the first and the last of the cached tokens from ``start`` on, as a (2, ``dim``)
    array. Those tokens are decoded once more, in one batch, with embeddings switched on for
    that decode and every token an output (measured: +0.13 to 0.29 s a file with the 1.5B
    model on 2 cores, docs/benchmarks.md); their keys and values come out the same, and the
    cache keeps them."""
    import llama_cpp

    tokens = cached_tokens(llama)[start:]
    if not tokens or len(tokens) > int(llama.n_batch):
        raise ValueError(f"hidden_states needs 1 to n_batch cached tokens from {start} on, not {len(tokens)}")
    ctx = llama._ctx.ctx
    batch = llama._batch
    llama._ctx.kv_cache_seq_rm(-1, start, -1)
    llama.n_tokens = start
    # Every token an output, as llama.cpp wants with embeddings on (else it warns and does so).
    batch.set_batch(tokens, start, True)
    llama_cpp.llama_set_embeddings(ctx, True)
    try:
        llama._ctx.decode(batch)
        rows = []
        for i in (0, len(tokens) - 1):
            ptr = llama_cpp.llama_get_embeddings_ith(ctx, i)
            if not ptr:
                raise ModelError("llama.cpp returned no hidden state for the answer.")
            rows.append(np.ctypeslib.as_array(ptr, shape=(dim,)).copy())
    except RuntimeError as exc:
        raise ModelError(f"llama.cpp failed to read the answer's hidden state: {exc}") from exc
    finally:
        llama_cpp.llama_set_embeddings(ctx, False)
    llama.n_tokens = start + len(tokens)
    return np.stack(rows)


def generate_batch(llama: Any, suffixes: Sequence[list[int]], start: int, grammar: str | None,
                   max_tokens: int, cancelled: Any = None) -> list[list[int]]:
    """Greedy answers to several prompts at once, each its own sequence: the generated tokens
    of each (without the end-of-generation token).

    The prompts share their first ``start`` tokens, which sequence 0 (the one ``Llama`` keeps)
    must hold already; each prompt's own ``suffixes[i]`` is decoded as sequence i + 1 on a
    copy of that prefix (a unified KV cache shares its cells), then every unfinished sequence
    takes one step per ``llama_decode``. One step for eight sequences costs little more than
    one for one on a CPU (the weights are read once), so the short answers of the propose
    stage come out faster. ``grammar``: GBNF every answer follows. ``cancelled()`` is asked
    between decodes; when it says yes the answers so far are returned. The extra sequences
    are removed from the cache before returning, whatever happens."""
    import llama_cpp as lib

    ctx = llama._ctx.ctx
    memory = lib.llama_get_memory(ctx)
    vocab = lib.llama_model_get_vocab(llama._model.model)
    n_batch = int(llama.n_batch)
    n = len(suffixes)
    batch = lib.llama_batch_init(n_batch, 0, 1)
    samplers = []
    out: list[list[int]] = [[] for _ in range(n)]
    try:
        for seq in range(n):
            chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
            if grammar is not None:
                rule = lib.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
                if not rule:
                    lib.llama_sampler_free(chain)
                    raise ModelError("llama.cpp could not parse the answer's grammar.")
                lib.llama_sampler_chain_add(chain, rule)
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
            samplers.append(chain)
            lib.llama_memory_seq_cp(memory, 0, seq + 1, 0, start)
        pending: dict[int, int] = {}  # sequence -> its logits' row in the last decode
        live: set[int] = set()

        def add(token: int, pos: int, seq: int, logits: bool) -> None:
            i = batch.n_tokens
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, pos, 1
            batch.seq_id[i][0], batch.logits[i] = seq + 1, logits
            if logits:
                pending[seq] = i
            batch.n_tokens += 1

        def step() -> None:  # decode the batch, then each sequence with logits takes its token
            if lib.llama_decode(ctx, batch) != 0:
                raise ModelError("llama.cpp could not decode a batch of answers (the context is full).")
            for seq, row in sorted(pending.items()):
                token = int(lib.llama_sampler_sample(samplers[seq], ctx, row))
                if lib.llama_vocab_is_eog(vocab, token) or len(out[seq]) >= max_tokens:
                    live.discard(seq)
                else:
                    out[seq].append(token)
                    live.add(seq)
            pending.clear()
            batch.n_tokens = 0

        # the prompts' own tokens, as many as a decode takes; each first token as soon as
        # its prompt's last token is in
        for seq, tokens in enumerate(suffixes):
            for j, token in enumerate(tokens):
                if batch.n_tokens == n_batch:
                    step()
                add(token, start + j, seq, j == len(tokens) - 1)
        if batch.n_tokens:
            step()
        while live and not (cancelled is not None and cancelled()):
            for seq in sorted(live):
                add(out[seq][-1], start + len(suffixes[seq]) + len(out[seq]) - 1, seq, True)
            step()
    except RuntimeError as exc:
        raise ModelError(f"llama.cpp failed while answering several prompts at once: {exc}") from exc
    finally:
        for seq in range(n):
            lib.llama_memory_seq_rm(memory, seq + 1, -1, -1)
        for chain in samplers:
            lib.llama_sampler_free(chain)
        lib.llama_batch_free(batch)
    return out


def decode_pooled(llama: Any, sequences: Sequence[list[int]], dim: int, name: str) -> list[np.ndarray]:
    """One ``llama_decode`` of several token lists, each its own sequence; the pooled
    embedding of each (``dim`` floats), as llama.cpp computed it. ``name`` is the model's, for
    the error message."""
    import llama_cpp

    batch = llama._batch
    batch.reset()
    for seq, tokens in enumerate(sequences):
        # Every token is an output: llama.cpp pools over the outputs of each sequence.
        batch.add_sequence(tokens, seq, True)
    try:
        llama._ctx.kv_cache_clear()
        llama._ctx.decode(batch)
    except RuntimeError as exc:
        raise ModelError(f"llama.cpp failed to embed a batch with {name}: {exc}") from exc
    finally:
        batch.reset()
    ctx = llama._ctx.ctx
    rows = []
    for seq in range(len(sequences)):
        ptr = llama_cpp.llama_get_embeddings_seq(ctx, seq)
        if not ptr:
            raise ModelError(f"llama.cpp returned no embedding for sequence {seq}.")
        values = ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float))
        rows.append(np.ctypeslib.as_array(values, shape=(dim,)).copy())
    return rows


# ---- multimodal (mtmd) ----------------------------------------------------------------------
def flattening_handler_class() -> type:
    """llama-cpp-python's generic MTMD handler, with message parts joined into one string.

    The generic handler passes OpenAI-style content lists to the model's own template, but
    most templates (SmolLM2, Llama, Qwen2.5 text models ...) expect strings. llama.cpp's
    own CLI renders the template with string content holding the media marker; so do we.
    """
    from llama_cpp.llama_chat_format import MTMDChatHandler

    class FlatMTMDChatHandler(MTMDChatHandler):
        @classmethod
        def _convert_message_for_template(cls, message: Any, media_marker: str) -> dict[str, Any]:
            out = dict(message)
            content = out.get("content")
            if isinstance(content, list):
                pieces = []
                for part in content:
                    if isinstance(part, dict) and part.get("type") == "image_url":
                        pieces.append(media_marker)
                    elif isinstance(part, dict) and part.get("type") == "text":
                        pieces.append(str(part.get("text", "")))
                out["content"] = "\n".join(pieces)
            return out

    return FlatMTMDChatHandler


def load_mmproj(handler: Any, llama: Any) -> None:
    """Load the handler's mmproj now (it would load on the first image), so a bad file is
    reported when the model loads; ValueError when llama.cpp refuses it."""
    handler._init_mtmd_context(llama)


__all__ = [
    "REQUIRED",
    "TESTED_VERSION",
    "cached_tokens",
    "decode_pooled",
    "flattening_handler_class",
    "hidden_states",
    "keep_cached",
    "last_logits",
    "library_dir",
    "load_mmproj",
    "model_params",
    "seq_max",
    "token_text",
]
