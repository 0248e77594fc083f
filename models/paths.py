"""Application folders, in one place, with one override for tests and portable installs.

By default they follow the platform's conventions through platformdirs. Setting
``CORRAL_HOME`` puts all of them under that folder instead (tests do this).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import platformdirs

APP = "corral"


def _home() -> Path | None:
    value = os.environ.get("CORRAL_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    home = _home()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP, appauthor=False))


def models_dir() -> Path:
    """``CORRAL_MODELS`` points at a shared model store (tests, several installs)."""
    shared = os.environ.get("CORRAL_MODELS")
    return Path(shared).expanduser() if shared else data_dir() / "models"


def projects_dir() -> Path:
    return data_dir() / "projects"


def default_project_path(folder: Path) -> Path:
    """Where a folder's project file goes when none is named: one per folder (by its absolute
    path) in the projects folder."""
    folder = Path(folder).expanduser().resolve()
    digest = hashlib.sha1(str(folder).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return projects_dir() / f"{folder.name or 'root'}-{digest}.corral"


def settings_path() -> Path:
    """The settings file the GUI writes and the engine reads (model, VLM, OCR choices)."""
    return config_dir() / "settings.json"


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} when the file is missing, unreadable or not an object."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logging.getLogger(__name__).warning("Ignoring unreadable %s: %s", path, exc)
        return {}
    return value if isinstance(value, dict) else {}
