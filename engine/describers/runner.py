"""Describing images for the describe stage: pick describers, cache each one's text, join.

One :class:`ImageDescriptions` lives for one describe stage. For each image it looks up
every describer's cached text first and decodes the picture only when something is
missing, so a second run over the same folder opens no image and loads no model.

Cache keys are built here rather than with ``StageContext.cache_key``: that one includes
the language model's identity, and image descriptions do not depend on the language
model -- switching LLMs must not re-run a VLM over a thousand photos.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from corral.models.runtime import RuntimeSettings

from ..store import ItemRow, Project
from ..thumbnails import save_thumbnail
from .base import PICTURE_HEAD, DescriberFailed, DescriberUnavailable, ImageDescriber
from .loading import ImageSkip, LoadedImage, enable_heif, load_image
from .metadata import MetadataDescriber
from .ocr import OcrDescriber
from .tags import ImageNetDescriber
from .vlm import VlmDescriber

log = logging.getLogger(__name__)

CACHE_STAGE = "image"
VECTOR_STAGE = "image-vector"
REASON_NOTHING = (
    "nothing could be said about this picture (install the photo classifier with "
    "`corral models install imagenet`, or point Corral at a vision model with --vlm/--mmproj)"
)


def build_describers(settings: Any, root: Path | None, runtime: RuntimeSettings | None = None) -> list[ImageDescriber]:
    """The describers for a run, in the order their texts are joined.

    Content first (the VLM when configured, else ImageNet tags), then text read from the
    picture, then what the file says about itself.
    """
    describers: list[ImageDescriber] = []
    if settings.vlm_model or settings.vlm_mmproj:
        if not (settings.vlm_model and settings.vlm_mmproj):
            raise ValueError("A vision model needs both files: --vlm MODEL.gguf and --mmproj MMPROJ.gguf.")
        describers.append(VlmDescriber(Path(settings.vlm_model), Path(settings.vlm_mmproj), runtime))
    else:
        describers.append(ImageNetDescriber())
    if settings.ocr:
        describers.append(OcrDescriber())
    describers.append(MetadataDescriber(include_names=settings.image_names, root=root))
    return describers


def cache_key(describer: ImageDescriber, content_hash: str, criterion: str) -> str:
    payload = {
        "d": describer.describer_id,
        "hash": content_hash,
        "criterion": criterion.strip() if describer.conditioned_on_criterion else None,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return f"{CACHE_STAGE}:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def vector_key(describer_id: str, content_hash: str) -> str:
    blob = json.dumps({"d": describer_id, "hash": content_hash}, sort_keys=True, ensure_ascii=False)
    return f"{VECTOR_STAGE}:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def encode_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(value: Any) -> np.ndarray | None:
    if not isinstance(value, str):
        return None
    return np.frombuffer(base64.b64decode(value), dtype="<f4").astype(np.float32)


def visual_source(settings: Any) -> str | None:
    """The describer id whose visual vectors a run with ``settings`` uses, or None.

    Only the tags describer gives vectors, and it runs only without a VLM: a VLM run must
    not pick up vectors a tags run left in the cache for some of its pictures."""
    if settings.vlm_model or settings.vlm_mmproj:
        return None
    return ImageNetDescriber().describer_id  # reads the install stamp; loads no model


def visual_vectors(project: Project, settings: Any, content_hashes: list[str]) -> list[np.ndarray | None]:
    """The cached visual vector of each content hash (None for documents and pictures
    without one), for the hybrid grouping."""
    source = visual_source(settings) if getattr(settings, "visual_weight", 1.0) > 0 else None
    if source is None:
        return [None] * len(content_hashes)
    return [decode_vector(project.cache_get(vector_key(source, h))) if h else None for h in content_hashes]


def when_where(project: Project, settings: Any, content_hashes: list[str]) -> np.ndarray | None:
    """Per item [has time, hours since 1970, has place, latitude, longitude] from the photos'
    EXIF (zeros where unknown), or None when no item has either."""
    source = MetadataDescriber(include_names=getattr(settings, "image_names", False)).describer_id
    rows = [decode_vector(project.cache_get(vector_key(source, h))) if h else None
            for h in content_hashes]
    table = np.array([r if r is not None else np.zeros(5) for r in rows], dtype=np.float64)
    return table if (table[:, 0] > 0).any() or (table[:, 2] > 0).any() else None


class ImageDescriptions:
    """Describes the image items of one describe stage; :meth:`close` frees its models.

    ``describers`` defaults to :func:`build_describers` from ``settings``, built on the
    first image, so a folder of documents never touches any of this.
    """

    def __init__(
        self,
        project: Project,
        settings: Any,
        describers: list[ImageDescriber] | None = None,
        *,
        thumbnails: bool = True,
    ) -> None:
        self.project = project
        self.settings = settings
        self.criterion = str(settings.criterion)
        self.root = project.root
        self.thumbnails = thumbnails
        self.notes: list[str] = []  # describers dropped for this run, and why
        self.pictures = 0  # pictures described
        self.unseen = 0  # ... of which no describer said what they show
        self.stats: dict[str, dict[str, float]] = {}
        self._describers = describers

    @property
    def describers(self) -> list[ImageDescriber]:
        if self._describers is None:
            self._describers = build_describers(self.settings, self.root)
        return self._describers

    def path_of(self, item: ItemRow) -> Path:
        rel = os.fsdecode(item.raw_path) if item.raw_path else item.path
        return (self.root or Path(".")) / rel

    def describe(self, item: ItemRow) -> str:
        """The joined description of one image item; :class:`ImageSkip` when there is none."""
        path = self.path_of(item)
        loaded: LoadedImage | None = None
        parts: list[str] = []
        seen = False  # a describer of what the picture shows gave text
        for describer in list(self.describers):
            key = cache_key(describer, item.content_hash, self.criterion)
            text = self.project.cache_get(key)
            vkey = vector_key(describer.describer_id, item.content_hash) if describer.gives_vector else None
            counts = self.stats.setdefault(
                describer.name, {"computed": 0, "cached": 0, "failed": 0, "seconds": 0.0}
            )
            if text is None or (vkey is not None and not self.project.cache_has(vkey)):
                if loaded is None:
                    loaded = load_image(path)  # raises ImageSkip with the reason
                    self._thumbnail(item, loaded)
                start = time.perf_counter()
                try:
                    text, vector = describer.describe_with_vector(path, loaded.image, self.criterion)
                except DescriberUnavailable as exc:
                    self._drop(describer, str(exc))
                    continue
                except DescriberFailed as exc:
                    counts["failed"] += 1
                    log.warning("%s could not describe %s: %s", describer.name, item.path, exc)
                    continue
                counts["seconds"] += time.perf_counter() - start
                counts["computed"] += 1
                self.project.cache_put(key, CACHE_STAGE, text)
                if vkey is not None and vector is not None:
                    self.project.cache_put(vkey, VECTOR_STAGE, encode_vector(vector))
            else:
                counts["cached"] += 1
            if text:
                parts.append(str(text))
                seen = seen or describer.shows_content
        if not parts:
            raise ImageSkip(REASON_NOTHING)
        self.pictures += 1
        self.unseen += not seen
        return PICTURE_HEAD + " ".join(parts)

    def page_moment(self, item: ItemRow) -> None:
        """A picture read as a page (a document: ``extract.read_page_picture``) keeps when and
        where it was taken (EXIF), cached as a photo's is (``when_where``), so a ticket or a
        receipt photographed on a trip still joins the trip's moment. Its words are not added
        to the description: every page photographed with one phone would share them. The
        EXIF is read without decoding the picture."""
        describer = MetadataDescriber(include_names=getattr(self.settings, "image_names", False), root=self.root)
        key = vector_key(describer.describer_id, item.content_hash)
        if not item.content_hash or self.project.cache_has(key):
            return
        path = self.path_of(item)
        enable_heif()
        try:
            with Image.open(path) as image:  # the size is read; nothing is decoded
                _, vector = describer.describe_with_vector(path, image, self.criterion)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            log.info("No time or place read from %s: %s", item.path, exc)
            return
        if vector is not None:
            self.project.cache_put(key, VECTOR_STAGE, encode_vector(vector))

    def _drop(self, describer: ImageDescriber, why: str) -> None:
        self.describers.remove(describer)
        describer.close()
        self.notes.append(f"{describer.name}: {why}")
        log.warning("Image describer %s is off for this run: %s", describer.name, why)

    def _thumbnail(self, item: ItemRow, loaded: LoadedImage) -> None:
        if not self.thumbnails or not item.content_hash:
            return
        try:
            save_thumbnail(item.content_hash, loaded.image)
        except OSError:
            log.debug("Could not write a thumbnail for %s", item.path, exc_info=True)

    def close(self) -> None:
        for describer in self._describers or []:
            describer.close()

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: dict(v, seconds=round(v["seconds"], 3)) for name, v in self.stats.items()}
        if self.notes:
            out["notes"] = list(self.notes)
        if self.pictures:
            out["pictures"] = {"described": self.pictures, "content_unknown": self.unseen}
        return out


def explain_unseen(summary: dict[str, Any] | None) -> str:
    """A warning, in one line, when pictures were grouped without anything saying what they
    show (no classifier installed, no vision model given, or it failed to load): they were
    described by their date, place, camera and written words only, so a criterion about what
    they show has nothing to go on (trip_photos by object: ACC 0.100, docs/benchmarks.md)."""
    counts = (summary or {}).get("pictures") or {}
    unseen, described = counts.get("content_unknown", 0), counts.get("described", 0)
    if not unseen:
        return ""
    which = f"the {described}" if unseen == described else f"{unseen} of the {described}"
    return (f"nothing said what {which} pictures show: they were described by their date, place, camera "
            "and written words only. To group them by what they show, install the photo classifier "
            "(`corral models install imagenet`) or give a vision model (--vlm/--mmproj)")
