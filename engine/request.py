"""What a run is asked to do, in one object for the command line, the desktop app and bench.

A :class:`RunRequest` holds the folder, the project file, the :class:`Settings` that shape the
result (the criterion and K among them) and the model with its llama.cpp settings.
:func:`run_settings` builds the settings the same way for every caller: Settings' defaults,
then the photo options from the environment and ``settings.json`` (the file the desktop app
writes; engine/describers/options.py), then what the caller was told (a command-line flag, a
field of the form). :func:`build_request` adds the folder's default project file. The
pipeline's ``organize`` takes only the request.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from corral.models.catalog import DEFAULT_MODEL
from corral.models.paths import default_project_path
from corral.models.runtime import RuntimeSettings

from .describers.options import image_options
from .stages.base import Settings

_PHOTO_OPTIONS = ("vlm_model", "vlm_mmproj", "image_names", "ocr")
_SETTINGS_FIELDS = frozenset(f.name for f in fields(Settings))


@dataclass(frozen=True)
class RunRequest:
    folder: Path  # the folder to organize (for bench: the dataset)
    settings: Settings  # everything that shapes the result, the criterion and K included
    project_path: Path | None = None  # None: organize uses the folder's default project file
    model: str = DEFAULT_MODEL  # a catalog name or a .gguf path
    runtime: RuntimeSettings | None = None  # None: the model's own context size, every physical core
    include_hidden: bool = False  # also read hidden and system files
    # The model on a server (a models.remote_server.ServerOptions) instead of ``model`` in
    # this process; None: in this process, and no network code runs.
    server: Any = None
    # Group everything again even where the project's last run with the same settings could
    # take the new files into its groups (engine/place.py).
    regroup: bool = False

    def __post_init__(self) -> None:
        if not self.settings.criterion.strip():
            raise ValueError("The criterion is empty: say in a few words how to group the files.")
        if self.settings.k is not None and self.settings.k < 1:
            raise ValueError("K must be at least 1.")

    @property
    def criterion(self) -> str:
        return self.settings.criterion

    @property
    def k(self) -> int | None:
        return self.settings.k

    @property
    def threads(self) -> int | None:
        return self.runtime.n_threads if self.runtime else None


def run_settings(criterion: str, *, k: int | None = None, config: bool = True, **given: Any) -> Settings:
    """The settings of a run: Settings' defaults, then (with ``config``) the photo options
    from the environment and settings.json, then ``given`` (a value of None: not given).

    Without ``config`` only the defaults and ``given`` count (bench: results that do not
    depend on this machine's settings)."""
    chosen = {name: value for name, value in given.items() if value is not None}
    unknown = sorted(set(chosen) - _SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"run_settings got unknown settings: {', '.join(unknown)}")
    if config:
        photos = image_options(*(chosen.pop(name, None) for name in _PHOTO_OPTIONS))
        chosen.update({name: value for name, value in photos.items() if value is not None})
    return Settings(criterion=criterion, k=k, **chosen)


def build_request(
    folder: str | Path,
    criterion: str,
    *,
    k: int | None = None,
    project_path: str | Path | None = None,
    model: str = DEFAULT_MODEL,
    runtime: RuntimeSettings | None = None,
    include_hidden: bool = False,
    server: Any = None,
    regroup: bool = False,
    **given: Any,
) -> RunRequest:
    """A request to organize ``folder``: settings from :func:`run_settings` (``given`` are its
    overrides), the folder's default project file unless ``project_path`` names one."""
    folder = Path(folder).expanduser().resolve()
    return RunRequest(
        folder=folder,
        settings=run_settings(criterion, k=k, **given),
        project_path=Path(project_path).expanduser() if project_path else default_project_path(folder),
        model=model,
        runtime=runtime,
        include_hidden=include_hidden,
        server=server,
        regroup=regroup,
    )
