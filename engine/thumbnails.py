"""Thumbnails for the GUI, made once per content and kept in the cache folder.

``<cache>/thumbs/<sha256 hex>.png`` (256 pixels on the longest side; other sizes get a
``-<size>`` suffix). Keyed by content, not path, so a renamed or copied picture reuses its
thumbnail and two projects share them. The describe stage writes them while it has the
picture decoded anyway; :func:`thumbnail_path` makes one on demand otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from corral.models.fileio import atomic_path
from corral.models.paths import cache_dir

DEFAULT_SIZE = 256


def _file_for(content_hash: str, size: int) -> Path:
    digest = content_hash.split(":", 1)[-1]  # "sha256:<hex>" -> "<hex>" (':' is not portable)
    if not digest or not all(c in "0123456789abcdef" for c in digest.lower()):
        raise ValueError(f"Not a content hash: {content_hash!r}")
    name = f"{digest}.png" if size == DEFAULT_SIZE else f"{digest}-{size}.png"
    return cache_dir() / "thumbs" / name


def save_thumbnail(content_hash: str, image: Image.Image, size: int = DEFAULT_SIZE) -> Path:
    """Write the thumbnail of an already decoded picture (atomically); returns its path."""
    target = _file_for(content_hash, size)
    if target.exists():
        return target
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        thumb.save(tmp, format="PNG", optimize=False)
    return target


def thumbnail_path(content_hash: str, source_path: str | os.PathLike[str], size: int = DEFAULT_SIZE) -> Path:
    """The cached thumbnail of ``source_path``, made now if missing.

    Raises :class:`corral.engine.describers.loading.ImageSkip` (with the reason) when the
    picture cannot be read.
    """
    target = _file_for(content_hash, size)
    if target.exists():
        return target
    from .describers.loading import load_image

    loaded = load_image(source_path, side=max(size, 64))
    return save_thumbnail(content_hash, loaded.image, size)


__all__ = ["DEFAULT_SIZE", "save_thumbnail", "thumbnail_path"]
