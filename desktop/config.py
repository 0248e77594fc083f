"""What the desktop app remembers, as small JSON files in the config folder (no Qt here).

* ``settings.json`` -- :class:`AppSettings`: the model and how llama.cpp runs it, or the
  model server to use instead (never its API key: that comes from the environment or the
  OS keyring, models/remote_server.py).
* ``gui.json`` -- :class:`GuiState`: recent projects, window geometry, light/dark choice.

A missing or damaged file gives the defaults (a damaged one is logged, then overwritten on
the next save); unknown keys are ignored so older and newer versions can share the files.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from corral.models.catalog import CATALOG, DEFAULT_MODEL
from corral.models.fileio import write_atomic
from corral.models.paths import config_dir, read_json_object
from corral.models.runtime import RuntimeSettings

log = logging.getLogger(__name__)

MAX_RECENT = 10
THEMES = ("system", "light", "dark")

T = TypeVar("T")


def _read(path: Path) -> dict[str, Any]:
    return read_json_object(path)


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write through a temporary file so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False))


def _known(cls: type[T], data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return {k: v for k, v in data.items() if k in names}


@dataclass
class AppSettings:
    """The model and its runtime. ``n_ctx`` 0 means the model's own default."""

    model: str = DEFAULT_MODEL  # a catalog name or a path to a .gguf file
    threads: int = 0  # 0: let llama.cpp use every core
    gpu_layers: int | None = None  # None: automatic (corral.models.gpu); -1: every layer
    n_ctx: int = 0
    # Read by the engine's image describers too (engine/describers/options.py).
    vlm_model: str = ""  # a vision-language GGUF, with its mmproj below
    vlm_mmproj: str = ""
    image_names: bool = False  # let file and folder names into image descriptions
    ocr: bool = True
    # The language model on a server the person runs (llama-server, vLLM, ...) instead of
    # in this process: its base URL ("" = this computer), the served model's name ("" = the
    # only one), requests in flight, and whether an address outside the local network is OK.
    server_url: str = ""
    server_model: str = ""
    server_concurrency: int = 4
    allow_remote: bool = False

    @staticmethod
    def path() -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls) -> AppSettings:
        try:
            settings = cls(**_known(cls, _read(cls.path())))
            settings.validate()
        except (TypeError, ValueError) as exc:
            log.warning("Ignoring invalid settings in %s: %s", cls.path(), exc)
            return cls()
        return settings

    def save(self) -> None:
        self.validate()
        _write(self.path(), asdict(self))

    def validate(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise ValueError("Choose a model: a catalog name or a .gguf file.")
        for name in ("threads", "n_ctx"):
            if not isinstance(getattr(self, name), int):
                raise ValueError(f"{name} must be a whole number.")
        if self.threads < 0 or self.n_ctx < 0:
            raise ValueError("Threads and context size cannot be negative.")
        if self.gpu_layers is not None and (not isinstance(self.gpu_layers, int) or self.gpu_layers < -1):
            raise ValueError("GPU layers must be automatic, -1 (every layer) or a number >= 0.")
        if not isinstance(self.server_url, str) or not isinstance(self.server_model, str):
            raise ValueError("The model server's address and model name must be text.")
        url = self.server_url.strip()
        if url and not url.lower().startswith(("http://", "https://")):
            raise ValueError("The model server's address must start with http:// or https://.")
        if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
            raise ValueError("Put no user name or password in the server address; give the API key "
                             "through CORRAL_SERVER_API_KEY or the OS keyring.")
        if not isinstance(self.server_concurrency, int) or self.server_concurrency < 1:
            raise ValueError("Requests in flight must be a whole number of at least 1.")

    def runtime(self) -> RuntimeSettings:
        """The llama.cpp settings for this model (its catalog context size unless set)."""
        spec = CATALOG.get(self.model)
        n_ctx = self.n_ctx or (spec.n_ctx if spec else 4096)
        return RuntimeSettings(
            n_ctx=n_ctx, n_threads=self.threads or None, n_gpu_layers=self.gpu_layers
        )


    def server_options(self) -> Any:
        """The ServerOptions of the model server, or None when the model runs here."""
        if not self.server_url.strip():
            return None
        from corral.models.remote_server import ServerOptions

        n_ctx = self.runtime().n_ctx if self.n_ctx else None
        return ServerOptions(url=self.server_url.strip(), model=self.server_model.strip() or None,
                             concurrency=self.server_concurrency, allow_remote=self.allow_remote,
                             n_ctx=n_ctx)

    def where(self) -> str:
        """Where the language model runs, for people."""
        if self.server_url.strip():
            name = self.server_model.strip() or "the served model"
            return f"{name} on the server {self.server_url.strip()}"
        spec = CATALOG.get(self.model)  # the title people know, not the catalog's key
        return f"{spec.title if spec else Path(self.model).name} on this computer"


@dataclass
class GuiState:
    recent: list[str] = field(default_factory=list)  # project files, newest first
    geometry: str = ""  # QWidget.saveGeometry(), base64
    theme: str = "system"  # system | light | dark

    @staticmethod
    def path() -> Path:
        return config_dir() / "gui.json"

    @classmethod
    def load(cls) -> GuiState:
        data = _known(cls, _read(cls.path()))
        state = cls()
        if isinstance(data.get("recent"), list):
            state.recent = [str(p) for p in data["recent"] if isinstance(p, str)][:MAX_RECENT]
        if isinstance(data.get("geometry"), str):
            state.geometry = data["geometry"]
        if data.get("theme") in THEMES:
            state.theme = data["theme"]
        return state

    def save(self) -> None:
        _write(self.path(), asdict(self))

    def add_recent(self, project: str | Path) -> None:
        path = str(Path(project).expanduser().resolve())
        self.recent = [path] + [p for p in self.recent if p != path][: MAX_RECENT - 1]

    def existing_recent(self) -> list[str]:
        return [p for p in self.recent if Path(p).is_file()]
