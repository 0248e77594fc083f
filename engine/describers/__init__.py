"""Image describers: turn a picture into text the language stages can group.

See :mod:`.base` for the interface, :mod:`.runner` for how the describe stage uses them,
and docs/photos.md for which describer to use when.
"""

from .base import DescriberFailed, DescriberUnavailable, ImageDescriber
from .loading import ImageSkip, LoadedImage, load_image
from .runner import ImageDescriptions, build_describers, explain_unseen

__all__ = [
    "DescriberFailed",
    "DescriberUnavailable",
    "ImageDescriber",
    "ImageDescriptions",
    "ImageSkip",
    "LoadedImage",
    "build_describers",
    "explain_unseen",
    "load_image",
]
