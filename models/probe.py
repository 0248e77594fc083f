"""A crash in native code must never be what a person sees: probe a model in a child first.

llama.cpp is native code, and some builds die by a signal on some CPUs: a native build on a
CPU with AMX (Sapphire Rapids and later Xeons) runs ggml's AMX matmul on worker threads that
never got the kernel's tile permission, and the first batch decode is killed by SIGILL. A
Python process cannot catch that, so before a model is first loaded in-process Corral loads
it in a child process and decodes one batch (about 64 tokens):

* the child exits 0: load normally;
* the child dies by a signal: try again with the weight-repacking buffers off
  (``use_extra_bufts = False``, which is where the AMX path lives); if that works, Corral uses
  it from then on and says so once;
* nothing works: :class:`NativeCrash` names the signal, the CPU features and the fix.

Where both ways work, the children also time a prompt evaluation (``TIMED_TOKENS``, best of
three) and the faster way is kept: measured on a 2-core AMX Xeon (docs/benchmarks.md, "The
llama.cpp build"), prompt evaluation ran about a third faster with the repacking buffers off
(median 102 against 68 tokens/s, generation equal), which is not so on every CPU. The
buffers are switched off only when that is ``FASTER`` or better, so that noise does not flip
the choice.

The verdict is kept in ``probe.json`` in the data folder, keyed by the llama.cpp build (its
version, system info and library files), the CPU flags and the model file, so the probe runs
once per installation and model and again only when one of those changes.

Run as ``python -m corral.models.probe MODEL [--no-extra-bufts] [--embedding]`` it is the child.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelError
from .fileio import write_atomic
from .llama_adapter import library_dir, model_params
from .paths import data_dir

log = logging.getLogger(__name__)

PROBE_TOKENS = 64
TIMED_TOKENS = 256  # the prompt each working child evaluates three times, timed
FASTER = 0.85  # repacking off only when its prompt time is at most this share of with it
PROBE_TIMEOUT_S = 300
# The CPU features that decide which native kernels run; shown in errors and `corral doctor`.
RELEVANT_CPU_FLAGS = ("avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                      "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8",
                      "amx_bf16", "neon", "asimd", "sve")
FIX = ("Rebuild llama-cpp-python for this CPU with `bash packaging/install_llama.sh .venv` "
       "(a native build without the AMX instructions), or see `corral doctor`.")


class NativeCrash(ModelError):
    """Every way of loading the model crashed the child process."""


@dataclass(frozen=True)
class Verdict:
    extra_bufts: bool  # False: load with the weight-repacking buffers off
    note: str = ""  # said once when the fallback was needed
    timing: str = ""  # the two prompt timings when both ways worked (for `corral doctor`)

    def load_params(self) -> dict[str, Any]:
        return {} if self.extra_bufts else {"use_extra_bufts": False}


# ---- the facts the verdict is keyed by ------------------------------------------------------
def cpu_flags() -> list[str]:
    """The CPU's feature flags as /proc/cpuinfo lists them (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in ("flags", "Features"):
            return value.split()
    return []


def relevant_cpu_flags(flags: Sequence[str] | None = None) -> list[str]:
    have = set(cpu_flags() if flags is None else flags)
    return [f for f in RELEVANT_CPU_FLAGS if f in have]


def llama_build_info() -> dict[str, str]:
    """llama-cpp-python's version, llama.cpp's system info and its library files' identity."""
    try:
        import llama_cpp
    except ImportError:
        return {"version": "not installed", "system_info": "", "libraries": ""}
    system = llama_cpp.llama_print_system_info()
    lib_dir = library_dir()
    libs = sorted(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in (lib_dir.glob("*") if lib_dir.is_dir() else [])
        if p.is_file()
    )
    return {
        "version": str(getattr(llama_cpp, "__version__", "?")),
        "system_info": system.decode("utf-8", "replace") if isinstance(system, bytes) else str(system),
        "libraries": ",".join(libs),
    }


def probe_key(model: Path, params: dict[str, Any]) -> str:
    st = model.stat()
    facts = {
        "probe": 2,  # 2: both ways timed where both work (a new verdict for old installations)
        "build": llama_build_info(),
        "cpu": " ".join(cpu_flags()),
        "model": [str(model.resolve()), st.st_size, st.st_mtime_ns],
        "gpu_layers": params.get("n_gpu_layers", 0),
        "embedding": bool(params.get("embedding")),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:24]


# ---- running the child ----------------------------------------------------------------------
ChildRunner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run_child(argv: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "corral.models.probe", *argv]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -int(signal.SIGALRM), "", "timed out")


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def probe(model: Path, params: dict[str, Any], run_child: ChildRunner = _run_child) -> Verdict:
    """Load ``model`` in a child with and then without the repacking buffers; see the module."""
    base = [str(model), "--gpu-layers", str(params.get("n_gpu_layers", 0) or 0)]
    if params.get("embedding"):
        base.append("--embedding")
    crashes: list[str] = []
    for extra in (True, False):
        done = run_child(base + ([] if extra else ["--no-extra-bufts"]))
        if done.returncode == 0:
            if extra:
                return _faster_way(done, run_child(base + ["--no-extra-bufts"]))
            return Verdict(False, (
                f"llama.cpp crashed ({crashes[0]}) while decoding with its weight-repacking "
                f"buffers on this CPU ({', '.join(relevant_cpu_flags()) or 'unknown features'}); "
                "Corral loads models without them from now on (slightly slower prompt "
                f"evaluation). {FIX}"))
        if done.returncode > 0:
            # An ordinary failure (bad file, out of memory) is not a crash: let the in-process
            # load report it with its own message.
            return Verdict(True)
        crashes.append(_signal_name(done.returncode))
    raise NativeCrash(
        f"llama.cpp crashes on this machine with {model.name}: {', '.join(crashes)} with and "
        f"without the weight-repacking buffers. CPU features: "
        f"{', '.join(relevant_cpu_flags()) or 'unknown'}. {FIX}")


def _prompt_seconds(done: subprocess.CompletedProcess[str]) -> float | None:
    """The child's best prompt time ("... prompt 256 tokens in 0.812 s"), if it ran."""
    if done.returncode != 0 or " prompt " not in done.stdout:
        return None
    try:
        return float(done.stdout.split(" prompt ", 1)[1].split(" in ", 1)[1].split()[0])
    except (IndexError, ValueError):
        return None


def _faster_way(with_bufts: subprocess.CompletedProcess[str],
                without: subprocess.CompletedProcess[str]) -> Verdict:
    """Both children ran (or the second failed): keep the buffers unless the load without
    them evaluated the prompt at least ``FASTER`` times as fast."""
    on, off = _prompt_seconds(with_bufts), _prompt_seconds(without)
    if on is None or off is None:
        return Verdict(True)
    timing = (f"{TIMED_TOKENS}-token prompt in {on:.2f} s with the weight-repacking buffers, "
              f"{off:.2f} s without")
    return Verdict(off > FASTER * on, "", timing)


class ProbeCache:
    """Verdicts by probe key in ``probe.json``; notes are said once per process."""

    _lock = threading.Lock()
    _said: set[str] = set()

    def __init__(self, path: Path | None = None) -> None:
        # CORRAL_PROBE_FILE: one file for several homes (the test suite's temporary homes).
        self.path = path or Path(os.environ.get("CORRAL_PROBE_FILE") or data_dir() / "probe.json")

    def _read(self) -> dict[str, Any]:
        try:
            value = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def get(self, key: str) -> Verdict | None:
        row = self._read().get(key)
        if not isinstance(row, dict):
            return None
        return Verdict(bool(row.get("extra_bufts", True)), str(row.get("note", "")),
                       str(row.get("timing", "")))

    def put(self, key: str, verdict: Verdict) -> None:
        data = self._read()
        data[key] = {"extra_bufts": verdict.extra_bufts, "note": verdict.note, "timing": verdict.timing}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(data, indent=1))

    def verdict(self, model: Path, params: dict[str, Any],
                run_child: ChildRunner = _run_child) -> Verdict:
        if os.environ.get("CORRAL_PROBE") == "off":
            return Verdict(True)
        key = probe_key(model, params)
        with self._lock:
            found = self.get(key)
            if found is None:
                found = probe(model, params, run_child)
                self.put(key, found)
            if found.note and key not in self._said:
                self._said.add(key)
                log.warning("%s", found.note)
                print(f"corral: note: {found.note}", file=sys.stderr)
        return found


# ---- the child ------------------------------------------------------------------------------
def _child(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corral.models.probe")
    parser.add_argument("model")
    parser.add_argument("--gpu-layers", type=int, default=0)
    parser.add_argument("--no-extra-bufts", action="store_true")
    parser.add_argument("--embedding", action="store_true")
    args = parser.parse_args(argv)
    from llama_cpp import Llama

    from .cpu import physical_cores

    threads = physical_cores()  # as open_llama: a crash on a worker thread needs the workers
    overrides = {"use_extra_bufts": False} if args.no_extra_bufts else {}
    with model_params(**overrides):
        llm = Llama(model_path=args.model, n_ctx=TIMED_TOKENS + 64, n_batch=PROBE_TOKENS,
                    n_threads=threads, n_threads_batch=threads, n_gpu_layers=args.gpu_layers, embedding=args.embedding,
                    verbose=False)
    text = " ".join(["The quick brown fox jumps over the lazy dog."] * 64)
    tokens = llm.tokenize(text.encode())[:PROBE_TOKENS]
    if args.embedding:
        llm.embed(llm.detokenize(tokens).decode("utf-8", "ignore"))
        print(f"ok {len(tokens)} tokens")
        return 0
    llm.eval(tokens)  # one batch decode, on the worker threads
    prompt = llm.tokenize(text.encode())[:TIMED_TOKENS]
    best = float("inf")
    for _ in range(3):
        llm.reset()
        started = time.perf_counter()
        llm.eval(prompt)
        best = min(best, time.perf_counter() - started)
    print(f"ok {len(tokens)} tokens; prompt {len(prompt)} tokens in {best:.4f} s")
    return 0


if __name__ == "__main__":
    sys.exit(_child())
