"""The one interface every image describer implements.

A describer turns one picture into a short text. The describe stage joins the texts of all
active describers into the item's description, which the language stages (propose, merge,
assign) then use exactly like a document's text. Each describer's output is cached in the
project on its own, keyed by ``describer_id``, the content hash and -- only when
``conditioned_on_criterion`` -- the criterion, so changing the criterion re-runs only the
describers that read it (a VLM), and installing a new model re-runs only that one.

A describer may also give a *visual vector* (``gives_vector``): what its network saw, as
numbers, for the hybrid grouping to cluster on next to the text (the tags describer's
pooled classifier features). It is cached the same way, keyed by describer and content.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np
from PIL import Image

#: What a picture's description begins with: the model is told the file is a picture, which
#: no describer says ("Looks like: moving van (10%) ..." reads as a list of data). Asked
#: "what kind of file is this" of 20 photos, it answered "Data", "Document", "Cargo
#: Manifest"... with 4 of them "Image"; with this, "Picture" or "Image" for all 20, and its
#: answers to "the main object in the photo" were the same (docs/benchmarks.md). The sentence
#: embedder does not read it (``tags.embedding_text``): every picture would share it.
PICTURE_HEAD = "Picture. "


class DescriberUnavailable(Exception):
    """A describer cannot run on this machine (model not installed, package missing)."""


class ImageDescriber(ABC):
    #: Stable identity of what produces the text (model file, prompt version); part of
    #: every cache key, so change it whenever the output for the same image would change.
    describer_id: str = ""
    #: Whether the output depends on the user's criterion (then it is part of the key).
    conditioned_on_criterion: bool = False
    #: Short name for progress messages and run statistics.
    name: str = ""
    #: Whether :meth:`describe_with_vector` also gives a visual vector.
    gives_vector: bool = False
    #: Whether the text says what the picture shows (a VLM, the classifier's tags), as
    #: opposed to what the file says about itself or the words written in it.
    shows_content: bool = False

    @abstractmethod
    def describe(self, path: Path, image: Image.Image, criterion: str) -> str:
        """Text about ``image`` (upright RGB working copy of the file at ``path``).

        Returns "" when there is nothing to say (no EXIF, no text in the picture).
        Raises :class:`DescriberUnavailable` when the describer cannot work at all.
        """

    def describe_with_vector(self, path: Path, image: Image.Image, criterion: str) -> tuple[str, np.ndarray | None]:
        """The text and, for describers that give one, the visual vector, from one look."""
        return self.describe(path, image, criterion), None

    def close(self) -> None:  # noqa: B027 - optional hook: most describers hold no model
        """Free models; the describer may be used again afterwards (it reloads)."""


class DescriberFailed(Exception):
    """A describer failed on one picture; the others still describe it."""
