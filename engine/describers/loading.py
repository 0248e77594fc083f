"""Opening a user's image safely: one decoded, upright, RGB working copy of bounded size.

Every describer and the thumbnailer go through :func:`load_image`, so the rules are in one
place:

* Formats: whatever Pillow reads (JPEG, PNG, WebP, GIF, TIFF, BMP) plus HEIC/HEIF when
  ``pillow-heif`` is installed. Animated and multi-page files use their first frame.
* Size: a picture larger than :data:`MAX_PIXELS` is never decoded whole. JPEGs are decoded
  at 1/2, 1/4 or 1/8 scale straight from the file (``Image.draft``), so a huge JPEG costs
  little memory; other formats cannot be decoded partly and are skipped with a reason
  (a 20000x20000 PNG would need 400 MB to 1.2 GB). Pillow's own decompression-bomb check
  stays in force for everything except the JPEG path, where the draft decides instead.
* Orientation: EXIF orientation is applied (``ImageOps.exif_transpose``); a damaged EXIF
  block is ignored rather than failing the image.
* Damage: truncated or corrupt files raise :class:`ImageSkip` with a reason in plain words;
  nothing here ever raises anything else for a bad file.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps, JpegImagePlugin

#: Largest picture decoded (after JPEG draft scaling); 100 megapixels is ~300 MB as RGB.
MAX_PIXELS = 100_000_000
#: Longest side of the working copy handed to describers.
WORK_SIDE = 1024
#: Vision models get at least this many pixels on the shorter side (CIFAR is 32x32).
MIN_MODEL_SIDE = 224

REASON_TOO_LARGE = "image too large to decode safely"
REASON_DAMAGED = "damaged or truncated image"
REASON_UNREADABLE = "cannot read the image file"
REASON_FORMAT = "image format not supported"

_heif_ready: bool | None = None


class ImageSkip(Exception):
    """An image that cannot be described, with the reason for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class LoadedImage:
    image: Image.Image  # RGB, upright, longest side <= WORK_SIDE
    original_size: tuple[int, int]  # (width, height) of the stored picture, before turning
    format: str  # Pillow's format name, e.g. "JPEG"


def enable_heif() -> bool:
    """Register pillow-heif's opener once, when the package is installed."""
    global _heif_ready
    if _heif_ready is None:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
            _heif_ready = True
        except ImportError:
            _heif_ready = False
    return _heif_ready


def open_lazy(fh: IO[bytes]) -> Image.Image:
    """Open without decoding. JPEGs skip Pillow's size check: the caller drafts first."""
    enable_heif()
    head = fh.read(3)
    fh.seek(0)
    if head == b"\xff\xd8\xff":
        return JpegImagePlugin.JpegImageFile(fh)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return Image.open(fh)


def _too_large(size: tuple[int, int]) -> str:
    return f"{REASON_TOO_LARGE} ({size[0]}x{size[1]} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels)"


def _decode(fh: IO[bytes], side: int) -> LoadedImage:
    try:
        img = open_lazy(fh)
    except Image.DecompressionBombError as exc:
        raise ImageSkip(f"{REASON_TOO_LARGE} ({exc})") from None
    except Image.UnidentifiedImageError:
        raise ImageSkip(REASON_FORMAT) from None
    original = img.size
    fmt = img.format or ""
    if fmt in ("JPEG", "MPO"):
        img.draft("RGB", (side, side))  # decode at 1/2..1/8 scale when that is enough
    if img.size[0] * img.size[1] > MAX_PIXELS:
        raise ImageSkip(_too_large(original))
    try:
        img.load()
    except OSError as exc:  # truncated data, bad Huffman tables, broken zlib streams ...
        raise ImageSkip(f"{REASON_DAMAGED} ({exc})") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about each damaged EXIF field
            img = ImageOps.exif_transpose(img)
    except Exception:  # noqa: BLE001 - damaged EXIF must not cost the picture
        pass
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if max(img.size) > side:
        factor = max(img.size) // side
        if factor >= 2:
            img = img.reduce(factor)  # cheap integer box downscale before the fine resize
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
    return LoadedImage(img, original, fmt)


def load_image(path: str | os.PathLike[str], *, side: int = WORK_SIDE) -> LoadedImage:
    """Decode ``path`` into a bounded RGB working copy, or raise :class:`ImageSkip`."""
    try:
        with open(path, "rb") as fh:
            return decode_file(fh, side=side)
    except PermissionError:
        raise ImageSkip(f"{REASON_UNREADABLE} (permission denied)") from None
    except FileNotFoundError:
        raise ImageSkip(f"{REASON_UNREADABLE} (it was moved or deleted)") from None
    except OSError as exc:
        raise ImageSkip(f"{REASON_UNREADABLE} ({exc.strerror or exc})") from None


def decode_file(fh: IO[bytes], *, side: int = WORK_SIDE) -> LoadedImage:
    """:func:`load_image` for a file already open (the scan's, engine/extract.py)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # damaged EXIF fields, large-image warnings
            return _decode(fh, side)
    except ImageSkip:
        raise
    except OSError as exc:
        raise ImageSkip(f"{REASON_UNREADABLE} ({exc.strerror or exc})") from None
    except (ValueError, SyntaxError, EOFError, MemoryError, Image.DecompressionBombError) as exc:
        # Pillow reports some malformed headers as SyntaxError or ValueError.
        raise ImageSkip(f"{REASON_DAMAGED} ({type(exc).__name__}: {exc})") from None


def for_model(image: Image.Image, min_side: int = MIN_MODEL_SIDE) -> Image.Image:
    """Upscale a small picture so a vision model sees enough pixels (bicubic, no crop)."""
    if min(image.size) >= min_side:
        return image
    scale = min_side / min(image.size)
    size = (max(1, round(image.size[0] * scale)), max(1, round(image.size[1] * scale)))
    return image.resize(size, Image.Resampling.BICUBIC)


__all__ = [
    "ImageSkip",
    "LoadedImage",
    "MAX_PIXELS",
    "MIN_MODEL_SIDE",
    "WORK_SIDE",
    "decode_file",
    "enable_heif",
    "for_model",
    "load_image",
    "open_lazy",
]
