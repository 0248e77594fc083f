"""models/llama_adapter.py: what Corral uses of llama-cpp-python beyond its public API.

The first tests need no model and run in the fast suite: after an upgrade of
llama-cpp-python they say by name which private attribute went away, before anything loads.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import llama_cpp
import numpy as np
import pytest

from corral.models import llama_adapter
from corral.models.llama_handle import open_llama
from tests.conftest import REPO


def _resolve(where: str) -> object:
    """'llama_cpp._internals.LlamaModel' -> the class (the longest importable module, then attributes)."""
    parts = where.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(where)


@pytest.mark.parametrize(("where", "name"), llama_adapter.REQUIRED, ids=lambda v: str(v))
def test_every_private_name_the_adapter_uses_exists(where: str, name: str) -> None:
    upgrade = (f"llama-cpp-python {llama_cpp.__version__} (the adapter was written for "
               f"{llama_adapter.TESTED_VERSION})")
    owner = _resolve(where)
    if name.startswith("self.") or "(" in name:
        # Set or called in __init__ (of Llama, or of the class named): only a loaded model has
        # them, so read the source (of the class: the tests' model guard replaces __init__ itself).
        source = inspect.getsource(owner if inspect.isclass(owner) and owner is not llama_cpp.Llama
                                   else llama_cpp.Llama)
        pattern = re.escape(name) + (r"\s*(:[^=\n]*)?=" if name.startswith("self.") else "")
        assert re.search(pattern, source), (
            f"{upgrade}: Llama.__init__ no longer has {name!r}, which models/llama_adapter.py "
            "relies on; adapt the adapter to the new version.")
    else:
        assert hasattr(owner, name), (
            f"{upgrade} has no {where}.{name}, which models/llama_adapter.py relies on; adapt the "
            "adapter to the new version.")


def test_the_installed_llama_cpp_python_is_the_one_the_adapter_was_written_for() -> None:
    pinned = re.search(r'"llama-cpp-python==([^"]+)"', (REPO / "pyproject.toml").read_text())
    assert pinned and pinned.group(1) == llama_adapter.TESTED_VERSION, (
        "pyproject.toml pins another llama-cpp-python than models/llama_adapter.py was checked "
        "against: run tests/test_llama_adapter.py on the new version, then update TESTED_VERSION.")
    assert llama_cpp.__version__ == llama_adapter.TESTED_VERSION


# Private llama-cpp-python names; only the adapter may spell them.
_PRIVATE = re.compile(
    r"\._model\.token_|\._model\.model\b|\._ctx\b|\._batch\b|\.n_tokens\s*=[^=]|\binput_ids\b|_init_mtmd_context|"
    r"_convert_message_for_template|llama_model_default_params|llama_context_default_params|llama_get_logits|"
    r"llama_get_embeddings|llama_cpp\.__file__")


def test_no_private_llama_cpp_use_outside_the_adapter() -> None:
    offenders = []
    for folder in ("models", "engine", "desktop", "corral", "packaging"):
        for path in sorted((REPO / folder).rglob("*.py")):
            if path.name == "llama_adapter.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _PRIVATE.search(line):
                    offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not offenders, "private llama-cpp-python API outside models/llama_adapter.py:\n" + "\n".join(offenders)


@pytest.mark.model
def test_the_adapter_functions_on_a_loaded_model(tiny_model_path: Path) -> None:
    llama = open_llama(tiny_model_path, "test", n_ctx=256, n_threads=1, n_threads_batch=1,
                       n_gpu_layers=0, logits_all=False)
    try:
        eos = llama.token_eos()
        assert llama_adapter.token_text(llama, eos) == "<|im_end|>"  # SmolLM2's end of turn
        assert llama_adapter.seq_max(llama) >= 1
        tokens = list(llama.tokenize(b"The quick brown fox jumps over the lazy dog", add_bos=False))
        assert llama_adapter.cached_tokens(llama) == []
        llama.eval(tokens)
        assert llama_adapter.cached_tokens(llama) == tokens
        full = llama_adapter.last_logits(llama, llama.n_vocab())
        assert full.shape == (llama.n_vocab(),) and np.isfinite(full).all() and full.std() > 0
        # Keep a prefix, evaluate the rest again: the same logits, from the cached prefix.
        llama_adapter.keep_cached(llama, 3)
        assert llama_adapter.cached_tokens(llama) == tokens[:3]
        llama.eval(tokens[3:])
        assert llama_adapter.cached_tokens(llama) == tokens
        np.testing.assert_allclose(llama_adapter.last_logits(llama, llama.n_vocab()), full, atol=1e-3)
        # They are the last position's: llama.cpp's own greedy sampler picks their argmax.
        out = llama.create_completion(tokens, max_tokens=1, temperature=0.0, top_k=1, repeat_penalty=1.0)
        assert llama.detokenize([int(np.argmax(full))]).decode() == out["choices"][0]["text"]
    finally:
        llama.close()
