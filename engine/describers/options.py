"""Where the photo options come from: the command line, else the environment, else the
settings file the desktop app keeps (``<config>/settings.json``, keys ``vlm_model``,
``vlm_mmproj``, ``image_names``, ``ocr``), else the defaults.

One lookup order for the CLI and the GUI, so a VLM configured once is used by both.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from corral.models.paths import read_json_object, settings_path

log = logging.getLogger(__name__)

ENV = {"vlm_model": "CORRAL_VLM", "vlm_mmproj": "CORRAL_MMPROJ"}


def config_values() -> dict[str, Any]:
    return read_json_object(settings_path())


def image_options(
    vlm_model: str | None = None,
    vlm_mmproj: str | None = None,
    image_names: bool | None = None,
    ocr: bool | None = None,
) -> dict[str, Any]:
    """Keyword arguments for :class:`~corral.engine.stages.base.Settings`."""
    config = config_values()

    def pick(key: str, given: Any, default: Any) -> Any:
        if given is not None:
            return given
        env = ENV.get(key)
        if env and os.environ.get(env):
            return os.environ[env]
        value = config.get(key)
        return default if value in (None, "") else value

    model, mmproj = pick("vlm_model", vlm_model, None), pick("vlm_mmproj", vlm_mmproj, None)
    if bool(model) != bool(mmproj):
        raise ValueError(
            "A vision model needs both files: --vlm MODEL.gguf and --mmproj MMPROJ.gguf "
            "(or vlm_model and vlm_mmproj in settings.json)."
        )
    return {
        "vlm_model": model,
        "vlm_mmproj": mmproj,
        "image_names": bool(pick("image_names", image_names, False)),
        "ocr": bool(pick("ocr", ocr, True)),
    }
