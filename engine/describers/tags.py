"""The default describer: ImageNet tags from a small classifier, no VLM needed.

A fresh install sorts photos by content with this alone: EfficientNet-Lite0 (see
``corral.models.imagenet``) names the five most likely of 1000 ImageNet classes, and the
language stages turn tags like "airliner, warplane, wing" into group names such as
"aircraft". ImageNet's classes lean towards animals and objects (120 dog breeds, no
"person" class), so people, documents and scenes get weaker tags: docs/photos.md says when
a VLM is worth it.

The same pass gives the network's pooled penultimate features (1280 numbers), the
describer's visual vector: tags of a 32x32 picture are often wrong where the features
still place it near similar pictures (docs/photos.md).
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from corral.models.catalog import get_spec
from corral.models.errors import ModelError
from corral.models.imagenet import ImageNetClassifier
from corral.models.store import ModelStore

from .base import PICTURE_HEAD, DescriberUnavailable, ImageDescriber

TOP_K = 5
MIN_PROB = 0.02  # tags less likely than this are left out (the first one always stays)


_LIKELIHOOD = re.compile(r" \(\d{1,3}%\)")


def embedding_text(description: str) -> str:
    """What the sentence embedder reads of a description: a picture's without its head
    (``base.PICTURE_HEAD``, the same in every picture's) and its tags without their
    likelihoods ("Looks like: langur, meerkat." for "Looks like: langur (25%), meerkat
    (19%)."); any other text as it is. The numbers were half of MiniLM's tokens (40.6 -> 22.1
    a picture) and carry nothing it can use; the language model still reads them."""
    description = description.removeprefix(PICTURE_HEAD)
    if not description.startswith("Looks like: "):
        return description
    end = description.find("%).")
    if end < 0:
        return description
    end += len("%).")
    return _LIKELIHOOD.sub("", description[:end]) + description[end:]


def format_tags(ranked: list[tuple[str, float]]) -> str:
    kept = [(n, p) for i, (n, p) in enumerate(ranked) if i == 0 or p >= MIN_PROB]
    listed = ", ".join(f"{name} ({round(100 * p)}%)" for name, p in kept)
    return f"Looks like: {listed}."


class ImageNetDescriber(ImageDescriber):
    name = "tags"
    conditioned_on_criterion = False
    gives_vector = True
    shows_content = True

    def __init__(self, model_path: Path | None = None, *, threads: int | None = None) -> None:
        store = ModelStore()
        spec = get_spec("imagenet")
        self.model_path = model_path or store.path_for(spec)
        self.threads = threads
        self._store = store
        self._explicit = model_path is not None
        self._model: ImageNetClassifier | None = None
        self._lock = threading.Lock()
        self.describer_id = f"imagenet:{self._fingerprint()}:top{TOP_K}:v1"

    def _fingerprint(self) -> str:
        """The exported file's own sha256 (from its install stamp), else its size."""
        stamp = self.model_path.with_name(self.model_path.name + ".verified.json")
        try:
            return str(json.loads(stamp.read_text())["sha256"])[:16]
        except (OSError, ValueError, KeyError):
            try:
                return f"size{self.model_path.stat().st_size}"
            except OSError:
                return "missing"

    def available(self) -> bool:
        return self.model_path.is_file()

    def _load(self) -> ImageNetClassifier:
        with self._lock:
            if self._model is None:
                try:
                    if not self._explicit:
                        self._store.verify(get_spec("imagenet"))
                    self._model = ImageNetClassifier.load(self.model_path, threads=self.threads)
                except ModelError as exc:
                    raise DescriberUnavailable(str(exc)) from exc
            return self._model

    def top(self, image: Image.Image, k: int = TOP_K) -> list[tuple[str, float]]:
        return self._load().top_k(image, k)

    def describe(self, path: Path, image: Image.Image, criterion: str) -> str:
        return format_tags(self.top(image))

    def describe_with_vector(self, path: Path, image: Image.Image, criterion: str) -> tuple[str, np.ndarray]:
        ranked, features = self._load().analyse(image, TOP_K)
        return format_tags(ranked), features

    def close(self) -> None:
        with self._lock:
            if self._model is not None:
                self._model.close()
                self._model = None
