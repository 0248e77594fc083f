"""Issue 10: a llama.cpp build that cannot crash Corral, `corral doctor`, GPU layers, bundle.

The probe tests run real child processes: one that kills itself with SIGILL the way a native
build dies on an AMX CPU, and the real probe child on a real model.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from corral.models import llama_adapter
from corral.models import probe as probe_mod
from corral.models.cpu import parse_cpuinfo, physical_cores
from corral.models.errors import ModelError
from corral.models.gpu import Device, decide_gpu_layers, parse_gpu_layers
from corral.models.llama_adapter import model_params
from corral.models.probe import NativeCrash, ProbeCache, Verdict, probe
from corral.models.runtime import LocalLLM, RuntimeSettings

REPO = Path(__file__).resolve().parents[1]


def _child_runner(crash_when_extra: bool, crash_always: bool = False, calls: list | None = None):
    """A probe child that is a real process: it dies by SIGILL (sent to itself) where the
    native build would, and otherwise runs the real probe child."""

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        if calls is not None:
            calls.append(argv)
        extra = "--no-extra-bufts" not in argv
        if crash_always or (crash_when_extra and extra):
            code = "import os, signal; os.kill(os.getpid(), signal.SIGILL)"
            return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        return subprocess.run([sys.executable, "-m", "corral.models.probe", *argv],
                              capture_output=True, text=True, timeout=300)

    return run


@pytest.mark.model
def test_real_probe_child_loads_and_decodes_a_batch(tiny_model_path: Path) -> None:
    for extra in ([], ["--no-extra-bufts"]):
        done = subprocess.run([sys.executable, "-m", "corral.models.probe", str(tiny_model_path), *extra],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.startswith(f"ok {probe_mod.PROBE_TOKENS} tokens")
        seconds = probe_mod._prompt_seconds(done)  # the timed prompt, best of three
        assert seconds is not None and 0 < seconds < 60


def _finished(stdout: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["probe"], code, stdout, "")


def test_the_faster_way_is_kept_when_both_work_and_noise_does_not_flip_it() -> None:
    with_bufts = _finished("ok 64 tokens; prompt 256 tokens in 2.0000 s")
    faster = probe_mod._faster_way(with_bufts, _finished("ok 64 tokens; prompt 256 tokens in 1.5000 s"))
    assert faster == Verdict(False, "", faster.timing) and "2.00 s with" in faster.timing
    assert "1.50 s without" in faster.timing and not faster.note  # a choice, not a warning
    slightly = probe_mod._faster_way(with_bufts, _finished("ok 64 tokens; prompt 256 tokens in 1.8000 s"))
    assert slightly.extra_bufts and slightly.timing  # 10% is within the noise: keep them
    assert probe_mod._faster_way(with_bufts, _finished("", -4)) == Verdict(True)  # the second crashed
    assert probe_mod._faster_way(_finished("ok 64 tokens"), with_bufts) == Verdict(True)  # untimed child

    calls: list[list[str]] = []

    def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return _finished("ok 64 tokens; prompt 256 tokens in " + ("1.0" if "--no-extra-bufts" in argv else "2.0") + " s")

    verdict = probe(Path("m.gguf"), {"n_gpu_layers": 0}, run)
    assert not verdict.extra_bufts and [("--no-extra-bufts" in c) for c in calls] == [False, True]


@pytest.mark.model
def test_sigill_in_the_child_falls_back_to_no_repacking(tiny_model_path: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    calls: list[list[str]] = []
    runner = _child_runner(crash_when_extra=True, calls=calls)
    verdict = probe(tiny_model_path, {"n_gpu_layers": 0}, runner)
    assert verdict == Verdict(False, verdict.note)
    assert "SIGILL" in verdict.note and "without them from now on" in verdict.note
    assert [("--no-extra-bufts" in c) for c in calls] == [False, True]

    # Kept per installation: the second verdict runs no child, and the note is said once.
    cache = ProbeCache(tmp_path / "probe.json")
    calls.clear()
    first = cache.verdict(tiny_model_path, {"n_gpu_layers": 0}, runner)
    again = cache.verdict(tiny_model_path, {"n_gpu_layers": 0}, runner)
    assert first == again and not first.extra_bufts
    assert len(calls) == 2  # both tries of the first probe, none for the second verdict
    assert capsys.readouterr().err.count("without them from now on") == 1

    # The fallback really loads and runs the model in-process without the repacking buffers.
    with model_params(**first.load_params()):
        from llama_cpp import llama_cpp as lib
        assert lib.llama_model_default_params().use_extra_bufts is False
    assert lib.llama_model_default_params().use_extra_bufts is True  # restored after the load


def _cpuinfo(rows: list[tuple[int, int, int]]) -> str:
    return "\n\n".join(f"processor\t: {cpu}\nphysical id\t: {pkg}\ncore id\t\t: {core}\nflags\t: avx2"
                       for cpu, pkg, core in rows) + "\n"


def test_physical_cores_counts_cores_not_hardware_threads() -> None:
    # Two packages, two cores each, two hardware threads per core: 4 physical cores.
    smt = _cpuinfo([(cpu, cpu // 4, (cpu // 2) % 2) for cpu in range(8)])
    assert parse_cpuinfo(smt, set(range(8))) == 4
    assert parse_cpuinfo(smt, {0, 1, 2}) == 2  # only the CPUs this process may run on
    # No SMT (the 2-core VMs): one thread per core, where llama-cpp-python would take one.
    assert parse_cpuinfo(_cpuinfo([(0, 0, 0), (1, 0, 1)]), {0, 1}) == 2
    # No core ids (some ARM and virtual machines): unknown, the caller counts logical CPUs.
    assert parse_cpuinfo("processor\t: 0\nBogoMIPS\t: 50\n\nprocessor\t: 1\n", {0, 1}) is None
    assert 1 <= physical_cores() <= (os.cpu_count() or 1)


@pytest.mark.model
def test_a_loaded_model_runs_on_every_physical_core(tiny_model_path: Path) -> None:
    with LocalLLM.load(tiny_model_path, settings=RuntimeSettings(n_ctx=512, n_gpu_layers=0)) as llm:
        params = llm._require().context_params
        assert (params.n_threads, params.n_threads_batch) == (physical_cores(), physical_cores())
    with LocalLLM.load(tiny_model_path, settings=RuntimeSettings(n_ctx=512, n_gpu_layers=0, n_threads=1)) as llm:
        assert llm._require().context_params.n_threads == 1


@pytest.mark.model
def test_open_llama_uses_the_cached_verdict(tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = ProbeCache()
    key = probe_mod.probe_key(tiny_model_path, {"n_gpu_layers": 0})
    cache.put(key, Verdict(False, "test: repacking off"))
    seen = []
    original = llama_adapter.model_params

    def spy(**overrides):
        seen.append(overrides)
        return original(**overrides)

    monkeypatch.setattr(llama_adapter, "model_params", spy)
    with LocalLLM.load(tiny_model_path, settings=RuntimeSettings(n_ctx=512, n_gpu_layers=0)) as llm:
        assert llm.generate([{"role": "user", "content": "Say hi"}], max_tokens=4).strip()
    assert seen == [{"use_extra_bufts": False}]


def test_a_child_that_always_crashes_gives_an_error_naming_the_cpu_and_the_fix(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(NativeCrash) as info:
        probe(model, {}, _child_runner(crash_when_extra=True, crash_always=True))
    text = str(info.value)
    assert "SIGILL, SIGILL" in text and "CPU features" in text
    assert "install_llama.sh" in text
    assert isinstance(info.value, ModelError)  # the CLI and the GUI show it as a model error


def test_an_ordinary_failure_is_not_taken_for_a_crash(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    calls: list[list[str]] = []

    def fails(argv: list[str]) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return subprocess.run([sys.executable, "-c", "raise SystemExit(1)"])

    assert probe(model, {}, fails) == Verdict(True)
    assert len(calls) == 1


def test_probe_key_changes_with_the_model_file(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    first = probe_mod.probe_key(model, {})
    model.write_bytes(b"GGUF" + b"\0" * 65)
    assert probe_mod.probe_key(model, {}) != first
    assert probe_mod.probe_key(model, {"n_gpu_layers": -1}) != probe_mod.probe_key(model, {})


# ---- GPU layers -------------------------------------------------------------------------------
def _gpu(free_gib: float) -> Device:
    return Device("CUDA0", "Fake GPU", "gpu", int(free_gib * 2**30), int(24 * 2**30))


def test_auto_gpu_layers_offloads_everything_only_when_the_model_fits() -> None:
    model = int(1.1e9)
    assert decide_gpu_layers(model, [])[0] == 0
    layers, why = decide_gpu_layers(model, [_gpu(8)])
    assert layers == -1 and "CUDA0" in why
    layers, why = decide_gpu_layers(model, [_gpu(1.0)])
    assert layers == 0 and "needs about" in why
    assert decide_gpu_layers(model, [_gpu(1.0), _gpu(4.0)])[0] == -1  # the GPU with most room


def test_gpu_layers_option_parsing() -> None:
    assert parse_gpu_layers("auto") is None and parse_gpu_layers(None) is None
    assert parse_gpu_layers("-1") == -1 and parse_gpu_layers("12") == 12
    with pytest.raises(ValueError):
        parse_gpu_layers("-5")
    with pytest.raises(ValueError):
        parse_gpu_layers("many")


def test_this_build_reports_its_devices() -> None:
    from corral.models.gpu import devices

    found = devices()
    assert found, "ggml's device list could not be read from the llama.cpp libraries"
    assert any(d.kind == "cpu" for d in found)


# ---- the build itself -------------------------------------------------------------------------
@pytest.mark.skipif(platform.machine() != "x86_64" or not shutil.which("objdump"),
                    reason="AMX exists only on x86_64; needs objdump")
def test_the_installed_llama_build_holds_no_amx_tile_instructions() -> None:
    libs = list(llama_adapter.library_dir().glob("libggml-cpu*.so"))
    assert libs, "libggml-cpu not found next to llama_cpp"
    for lib in libs:
        dump = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(lib)],
                              capture_output=True, text=True, check=True).stdout
        tiles = [line for line in dump.splitlines()
                 if any(f"\t{op}" in line for op in ("tilezero", "tileloadd", "tdpbssd", "tilestored",
                                                     "ldtilecfg", "tdpbf16ps"))]
        assert not tiles, f"{lib.name} holds AMX instructions, e.g. {tiles[:3]}"


# ---- corral doctor ----------------------------------------------------------------------------
def _corral(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corral.cli", *args], capture_output=True,
                          text=True, timeout=600, env=os.environ.copy())


@pytest.mark.model
def test_doctor_reports_a_working_setup(small_model_path: Path) -> None:
    done = _corral("doctor", "--model", "qwen2.5-0.5b")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for topic in ("Python", "llama-cpp-python", "llama.cpp uses", "CPU", "GPU", "Settings",
                  "Data folder", "Model qwen2.5-0.5b", "sha256 verified", "GPU layers", "Probe"):
        assert topic in out, f"{topic!r} missing from:\n{out}"
    assert "GGML_CUDA=on" in out and "GGML_VULKAN=on" in out and "GGML_METAL=on" in out
    assert "Everything a run needs is in place." in out


def test_doctor_fails_when_the_model_is_missing(tmp_path: Path) -> None:
    env = {**os.environ, "CORRAL_MODELS": str(tmp_path / "empty-store")}
    done = subprocess.run([sys.executable, "-m", "corral.cli", "doctor", "--quick"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1
    assert "[FAIL] Model qwen2.5-1.5b" in done.stdout
    assert "Something would stop a run" in done.stdout


def test_doctor_signals_are_named() -> None:
    assert probe_mod._signal_name(-int(signal.SIGILL)) == "SIGILL"
    assert probe_mod._signal_name(-int(signal.SIGSEGV)) == "SIGSEGV"


# ---- air-gapped bundle ------------------------------------------------------------------------
def _llama_wheel() -> Path:
    """The llama-cpp-python wheel packaging/install_llama.sh built for this environment."""
    marker = Path(sys.prefix) / "corral-llama-build.txt"
    if not marker.is_file():
        pytest.skip("llama-cpp-python was not installed by packaging/install_llama.sh")
    key = marker.read_text().splitlines()[0]
    cache = Path(os.environ.get("CORRAL_WHEEL_CACHE", Path.home() / ".cache/corral/wheels"))
    wheels = sorted((cache / f"llama-{key}").glob("llama_cpp_python-*.whl"))
    assert wheels, f"install_llama.sh recorded build {key} but its wheel is not in {cache}"
    return wheels[0]


@pytest.mark.slow
def test_a_small_bundle_installs_with_no_index(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    env = {**os.environ, "PIP_NO_INDEX": "1"}  # nothing may come from a registry
    done = subprocess.run(["bash", str(REPO / "packaging/bundle.sh"), str(out), "--no-deps",
                           "--models", "", "--llama-wheel", str(_llama_wheel())],
                          capture_output=True, text=True, timeout=600, env=env, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    names = sorted(p.name.split("-")[0] for p in (out / "wheels").glob("*.whl"))
    assert names == ["corral", "llama_cpp_python"]
    target = tmp_path / "venv"
    done = subprocess.run(["bash", str(out / "install.sh"), str(target)], capture_output=True,
                          text=True, timeout=600, env={**env, "PYTHON": sys.executable})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--no-index" in (out / "install.sh").read_text()
    shown = subprocess.run([str(target / "bin/pip"), "show", "corral", "llama-cpp-python"],
                           capture_output=True, text=True, check=True).stdout
    assert "Name: corral" in shown and "Version: 0.3.36" in shown
    assert (target / "bin/corral").exists()


def test_every_python_package_is_in_the_distribution() -> None:
    """pyproject lists the packages by hand (the layers sit at the top of the repository); a
    folder of modules missing there works in an editable install and is absent from a wheel,
    the bundle's included."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"].values())
    for layer in ("engine", "models", "desktop"):
        for init in (REPO / layer).rglob("__init__.py"):
            folder = init.parent.relative_to(REPO).as_posix()
            assert folder in listed, f"{folder} is a package but pyproject.toml does not list it"
