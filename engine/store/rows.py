"""The item row, shared by every store that joins items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ItemRow:
    id: int
    path: str
    raw_path: bytes
    kind: str
    mime: str
    size: int
    mtime: float
    content_hash: str
    status: str
    reason: str

    @property
    def is_picture(self) -> bool:
        """Whether the file is a picture: a photo, or a page's picture read as a document
        (``extract.read_page_picture``; its MIME type stays the picture's)."""
        return self.kind == "image" or self.mime.startswith("image/")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ItemRow:
        return cls(
            id=row["id"],
            path=row["path"],
            raw_path=row["raw_path"] or b"",
            kind=row["kind"] or "",
            mime=row["mime"] or "",
            size=row["size"] or 0,
            mtime=row["mtime"] or 0.0,
            content_hash=row["content_hash"] or "",
            status=row["status"],
            reason=row["reason"] or "",
        )
