"""`corral doctor` (and Help > System check in the GUI): can this machine run Corral, and how.

One :func:`check` builds a report of findings; each finding is ``ok``, ``warn`` (works, but
worth knowing) or ``fail`` (would stop a run). The CLI prints it and exits 1 when anything
fails; the GUI shows the same text.
"""

from __future__ import annotations

import platform
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata

from corral.models.catalog import CATALOG, DEFAULT_EMBED_MODEL, DEFAULT_MODEL
from corral.models.cpu import physical_cores
from corral.models.errors import ModelError
from corral.models.paths import data_dir, read_json_object, settings_path

MIN_FREE_BYTES = 2 * 2**30  # a model install or a large project needs about this much

REBUILD = {
    "CPU (this machine, no AMX)": "bash packaging/install_llama.sh .venv",
    "NVIDIA CUDA": "CORRAL_LLAMA_CMAKE_ARGS='-DGGML_CUDA=on' bash packaging/install_llama.sh .venv",
    "Vulkan (AMD, Intel, NVIDIA)":
        "CORRAL_LLAMA_CMAKE_ARGS='-DGGML_VULKAN=on' bash packaging/install_llama.sh .venv",
    "Apple Metal": "CORRAL_LLAMA_CMAKE_ARGS='-DGGML_METAL=on' bash packaging/install_llama.sh .venv",
}


@dataclass
class Finding:
    status: str  # ok | warn | fail
    topic: str
    text: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    def add(self, status: str, topic: str, text: str) -> None:
        self.findings.append(Finding(status, topic, text))

    @property
    def failed(self) -> bool:
        return any(f.status == "fail" for f in self.findings)

    def text(self) -> str:
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
        lines = [f"[{marks[f.status]}] {f.topic}: {f.text}" for f in self.findings]
        lines.append("")
        lines.append("To rebuild llama.cpp (then run `corral doctor` again):")
        lines += [f"  {name:28} {cmd}" for name, cmd in REBUILD.items()]
        lines.append("")
        lines.append("Something would stop a run (see FAIL above)." if self.failed
                     else "Everything a run needs is in place.")
        return "\n".join(lines)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def check(model: str = DEFAULT_MODEL, *, verify_models: bool = True, probe: bool = True) -> Report:
    """Everything `corral doctor` reports; ``probe`` may start a child process (once)."""
    from corral.models.gpu import gpu_devices, resolve_gpu_layers
    from corral.models.probe import ProbeCache, llama_build_info, relevant_cpu_flags
    from corral.models.store import ModelStore

    report = Report()
    report.add("ok", "Python", f"{platform.python_version()} ({sys.executable})")
    report.add("ok", "Corral", _version("corral"))
    build = llama_build_info()
    if build["version"] == "not installed":
        report.add("fail", "llama-cpp-python", "not installed: run bash packaging/quickstart.sh")
        return report
    report.add("ok", "llama-cpp-python", build["version"])
    report.add("ok", "llama.cpp uses", build["system_info"].strip() or "(no system info)")
    flags = relevant_cpu_flags()
    report.add("ok", "CPU", f"{platform.processor() or platform.machine()}; "
                            f"features {', '.join(flags) or 'unknown'}")
    if any(f.startswith("amx") for f in flags) and "AMX" in build["system_info"]:
        report.add("warn", "AMX", "this llama.cpp build uses AMX, which crashes on worker "
                                  "threads; Corral falls back to loading without the repacking "
                                  f"buffers. Rebuild: {REBUILD['CPU (this machine, no AMX)']}")
    gpus = gpu_devices()
    report.add("ok", "GPU", "; ".join(f"{d.name} {d.description} ({d.free / 2**30:.1f} of "
                                       f"{d.total / 2**30:.1f} GiB free)" for d in gpus)
               or "none (CPU build or no GPU); see the rebuild commands below")

    settings = read_json_object(settings_path())
    threads = settings.get("threads") or f"{physical_cores()} (every physical core)"
    layers = settings.get("gpu_layers")
    report.add("ok", "Settings", f"threads {threads}, GPU layers "
                                 f"{'auto' if layers is None else layers}, context "
                                 f"{settings.get('n_ctx') or 'model default'} ({settings_path()})")

    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    report.add("ok" if free >= MIN_FREE_BYTES else "warn", "Data folder",
               f"{folder}, {free / 2**30:.1f} GiB free")

    store = ModelStore()
    model_path = None
    for name in dict.fromkeys([model, DEFAULT_EMBED_MODEL]):
        spec = CATALOG.get(name)
        needed = name == model
        try:
            if spec is None:  # a path to a .gguf file
                model_path, _ = store.resolve(name)
                report.add("ok", f"Model {name}", "a file outside the catalog (not verified)")
                continue
            path = store.verify(spec, full=verify_models)
            if needed:
                model_path = path
            report.add("ok", f"Model {name}", f"{path} ({spec.size / 1e6:.0f} MB, "
                                              f"{'sha256 verified' if verify_models else 'size checked'})")
        except ModelError as exc:
            report.add("fail" if needed else "warn", f"Model {name}", str(exc))
    if model_path is None:
        return report
    layers_used, why = resolve_gpu_layers(layers if isinstance(layers, int) else None, model_path)
    report.add("ok", "GPU layers", f"{layers_used} ({why})")
    if probe:
        try:
            verdict = ProbeCache().verdict(model_path, {"n_gpu_layers": layers_used})
        except ModelError as exc:
            report.add("fail", "Probe", str(exc))
        else:
            chosen = ("" if not verdict.timing else
                      f"; {verdict.timing}: loaded {'with' if verdict.extra_bufts else 'without'} them")
            report.add("warn" if verdict.note else "ok", "Probe",
                       verdict.note or f"{model_path.name} loads and decodes a batch in a "
                                       f"child process{chosen}")
    return report
