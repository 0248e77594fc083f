"""Which GPU llama.cpp sees, and how many layers to offload when the person says "auto".

``--gpu-layers auto`` (the default) offloads the whole model when the llama.cpp build has a
GPU backend (CUDA, Vulkan, Metal, ...) and the model fits in the GPU's free memory with room
for its context; otherwise it runs on the CPU. A number is passed to llama.cpp as it is
(-1: every layer).

The devices are read through ggml's backend-device API (``ggml_backend_dev_*`` in the ggml
library that llama-cpp-python ships), which llama-cpp-python does not wrap.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

# ggml_backend_dev_type: CPU, GPU, IGPU (integrated), ACCEL
_DEVICE_TYPES = {0: "cpu", 1: "gpu", 2: "igpu", 3: "accel"}
# Besides the weights: KV cache, compute buffers and the backend's own use.
HEADROOM_FRACTION = 0.2
HEADROOM_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    kind: str  # cpu | gpu | igpu | accel
    free: int  # bytes
    total: int


def _ggml() -> ctypes.CDLL | None:
    try:
        import llama_cpp  # noqa: F401  (loads the libraries first)
    except ImportError:
        return None
    from .llama_adapter import library_dir

    lib_dir = library_dir()
    for name in ("libggml-base.so", "libggml-base.dylib", "ggml-base.dll",
                 "libggml.so", "libggml.dylib", "ggml.dll"):
        path = lib_dir / name
        if path.exists():
            try:
                lib = ctypes.CDLL(str(path))
                lib.ggml_backend_dev_count  # noqa: B018  (raises if absent)
                return lib
            except (OSError, AttributeError):
                continue
    return None


def devices() -> list[Device]:
    """Every backend device of this llama.cpp build (the CPU included); [] if unknown."""
    lib = _ggml()
    if lib is None:
        return []
    lib.ggml_backend_dev_count.restype = ctypes.c_size_t
    lib.ggml_backend_dev_get.restype = ctypes.c_void_p
    lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_dev_name.restype = ctypes.c_char_p
    lib.ggml_backend_dev_name.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_description.restype = ctypes.c_char_p
    lib.ggml_backend_dev_description.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_type.restype = ctypes.c_int
    lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_memory.restype = None
    lib.ggml_backend_dev_memory.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t),
                                            ctypes.POINTER(ctypes.c_size_t)]
    out = []
    for i in range(int(lib.ggml_backend_dev_count())):
        dev = lib.ggml_backend_dev_get(i)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        lib.ggml_backend_dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        out.append(Device(
            name=(lib.ggml_backend_dev_name(dev) or b"").decode("utf-8", "replace"),
            description=(lib.ggml_backend_dev_description(dev) or b"").decode("utf-8", "replace"),
            kind=_DEVICE_TYPES.get(int(lib.ggml_backend_dev_type(dev)), "other"),
            free=int(free.value), total=int(total.value),
        ))
    return out


def gpu_devices(found: list[Device] | None = None) -> list[Device]:
    return [d for d in (devices() if found is None else found) if d.kind in ("gpu", "igpu")]


def decide_gpu_layers(model_bytes: int, gpus: list[Device]) -> tuple[int, str]:
    """(layers to offload, why) for ``auto``: all when the model fits one GPU, else none."""
    if not gpus:
        return 0, "CPU only: this llama.cpp build has no GPU backend or sees no GPU"
    need = int(model_bytes * (1 + HEADROOM_FRACTION)) + HEADROOM_BYTES
    best = max(gpus, key=lambda d: d.free)
    if best.free >= need:
        return -1, (f"all layers on {best.name} ({best.description}): "
                    f"{best.free / 2**30:.1f} GiB free, about {need / 2**30:.1f} GiB needed")
    return 0, (f"CPU: the model needs about {need / 2**30:.1f} GiB on the GPU, "
               f"{best.name} has {best.free / 2**30:.1f} GiB free")


def resolve_gpu_layers(requested: int | None, model: Path) -> tuple[int, str]:
    """``requested`` None means auto; a number is kept as it is."""
    if requested is not None:
        return requested, "as set"
    size = model.stat().st_size if model.exists() else 0
    return decide_gpu_layers(size, gpu_devices())


def parse_gpu_layers(value: str | int | None) -> int | None:
    """'auto' (or None) -> None; '-1' -> -1 (all); '20' -> 20. ValueError otherwise."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("auto", "")):
        return None
    number = int(value)
    if number < -1:
        raise ValueError(f"GPU layers must be 'auto', -1 (all) or a number >= 0, not {value}")
    return number
