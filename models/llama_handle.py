"""Loading a GGUF file into ``llama_cpp.Llama``, and the handle every model wrapper is.

:func:`open_llama` is the one way Corral loads a model in process (the language model, the
sentence embedder, a vision model's language half): every failure a ModelError that names
the file, the GPU layers resolved, and the load made with what the crash probe found works.
:class:`LlamaHandle` is what :class:`~corral.models.runtime.LocalLLM`,
:class:`~corral.models.embeddings.Embedder` and :class:`~corral.models.vision.VisionLLM`
share: one lock around every call, :meth:`~LlamaHandle.close` that frees the model once, and
the context-manager protocol.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

from .errors import ModelError
from .store import check_gguf_header


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
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


def check_model_file(path: Path, role: str | None = None) -> None:
    """ModelError naming the file when it is missing or not GGUF. ``role`` ("VLM language
    model") says which file it is when there are several."""
    if not path.is_file():
        raise ModelError(f"The {role} {path} does not exist." if role else f"Model file {path} does not exist.")
    check_gguf_header(path)


def open_llama(path: Path, advice: str, *, role: str | None = None, **params: Any) -> Any:
    """``llama_cpp.Llama(model_path=path, **params)`` with every failure a ModelError that
    names the file: missing, not GGUF, or refused by llama.cpp (then ``advice`` says what to do).

    ``n_gpu_layers=None`` is resolved by models/gpu.py; ``n_threads`` and ``n_threads_batch``
    None (or absent) become the physical cores (models/cpu.py), not llama-cpp-python's half
    of the logical CPUs. Before the first in-process load of a
    model on this installation, models/probe.py loads it in a child process, so a build that
    crashes on this CPU is caught there and the load falls back to what works.
    """
    check_model_file(path, role)
    try:
        from llama_cpp import Llama
    except ImportError as exc:  # pragma: no cover - dependency is required
        raise ModelError("llama-cpp-python is not installed; run `pip install llama-cpp-python`.") from exc
    from .cpu import physical_cores
    from .gpu import resolve_gpu_layers
    from .llama_adapter import model_params
    from .probe import ProbeCache

    params["n_gpu_layers"], _ = resolve_gpu_layers(params.get("n_gpu_layers"), path)
    for key in ("n_threads", "n_threads_batch"):
        if params.get(key) is None:
            params[key] = physical_cores()
    verdict = ProbeCache().verdict(path, params)
    try:
        with quiet_stderr(), model_params(**verdict.load_params()):
            return Llama(model_path=str(path), verbose=bool(os.environ.get("CORRAL_DEBUG")), **params)
    except (ValueError, RuntimeError, OSError) as exc:
        what = f"the {role} {path}" if role else str(path)
        raise ModelError(
            f"llama.cpp could not load {what}: {exc}. The file may be damaged or of an "
            f"unsupported architecture; {advice}."
        ) from exc


class LlamaHandle:
    """One loaded ``llama_cpp.Llama``: every call under one lock, freed once by :meth:`close`,
    usable in a ``with`` block. Subclasses reach the model through :meth:`_require`, which
    raises ModelError (:attr:`closed_message`) once it is closed."""

    closed_message = "The model is closed."

    def __init__(self, llama: Any) -> None:
        self._llm: Any = llama
        self._lock = threading.RLock()

    @property
    def closed(self) -> bool:
        return self._llm is None

    def _require(self) -> Any:
        llm = self._llm
        if llm is None:
            raise ModelError(self.closed_message)
        return llm

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                with quiet_stderr():
                    self._llm.close()  # a VLM's mtmd context is freed with it (on its stack)
                self._llm = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["LlamaHandle", "check_model_file", "open_llama", "quiet_stderr"]
