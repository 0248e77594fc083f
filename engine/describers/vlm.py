"""Descriptions by a vision-language model the user points Corral at (model + mmproj).

The prompt is IC|TC's step 1 (seed 003, appendix B.3): describe the picture *with respect
to the criterion*, because a generic "describe the image" misses what the grouping needs
(the paper's example: the action a person performs). For small pictures (CIFAR's 32x32)
the paper found a brief description works slightly better than a detailed one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PIL import Image

from corral.models.errors import ModelError
from corral.models.runtime import RuntimeSettings
from corral.models.vision import VisionLLM

from .base import DescriberFailed, ImageDescriber
from .loading import for_model

PROMPT_VERSION = "1"
SMALL_SIDE = 128  # pictures smaller than this get the "brief description" prompt
MAX_TOKENS = 96


def vlm_prompt(criterion: str, *, small: bool = False) -> str:
    lead = (
        "Provide a brief description of the main content of the given image."
        if small
        else "Characterize the image using a well-detailed description."
    )
    return (
        f"{lead} Focus on what matters for this criterion: \"{criterion.strip()}\". "
        "Describe it in words, in two or three sentences."
    )


def _file_id(path: Path) -> str:
    try:
        return f"{path.name}:{path.stat().st_size}"
    except OSError:
        return f"{path.name}:missing"


class VlmDescriber(ImageDescriber):
    name = "vlm"
    conditioned_on_criterion = True
    shows_content = True

    def __init__(
        self,
        model: Path,
        mmproj: Path,
        runtime: RuntimeSettings | None = None,
        *,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        self.model_path = Path(model)
        self.max_tokens = max_tokens
        self.mmproj_path = Path(mmproj)
        self.runtime = runtime or RuntimeSettings()
        self._vlm: VisionLLM | None = None
        self._lock = threading.Lock()
        self.describer_id = (
            f"vlm:{_file_id(self.model_path)}:{_file_id(self.mmproj_path)}:p{PROMPT_VERSION}"
            f":t{max_tokens}"
        )

    def _load(self) -> VisionLLM:
        # A VLM the user asked for that does not load fails the run (ModelError) rather
        # than quietly falling back to tags: the message names the file at fault.
        if self._vlm is None:
            self._vlm = VisionLLM.load(self.model_path, self.mmproj_path, self.runtime)
        return self._vlm

    def describe(self, path: Path, image: Image.Image, criterion: str) -> str:
        small = min(image.size) < SMALL_SIDE
        with self._lock:
            vlm = self._load()
            try:
                text = vlm.describe(for_model(image), vlm_prompt(criterion, small=small), self.max_tokens)
            except ModelError as exc:
                raise DescriberFailed(str(exc)) from exc
        return " ".join(text.split())

    def close(self) -> None:
        with self._lock:
            if self._vlm is not None:
                self._vlm.close()
                self._vlm = None
