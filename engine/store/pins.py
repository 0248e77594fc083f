"""Pins: items a person fixed to a group, by the group's name, for every later run.

A pin names the group rather than its index, which each run renumbers; engine/review.py
decides when pins are made, moved and applied.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils


@dataclass(frozen=True)
class Pin:
    item_id: int
    group_name: str
    created: float

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Pin:
        return cls(row["item_id"], row["group_name"], row["created"] or 0.0)


class Pins:
    """The ``pins`` table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def all(self) -> list[Pin]:
        return [Pin.from_row(r) for r in self._db.table("pins").rows_where(order_by="item_id")]

    def of_readable_items(self) -> list[Pin]:
        """Pins of items that are still readable files of the project, by item id."""
        return [
            Pin.from_row(r)
            for r in self._db.query(
                "select p.* from pins p join items i on i.id = p.item_id "
                "where i.status = 'ok' order by p.item_id"
            )
        ]

    def has(self, item_id: int) -> bool:
        return self._db.execute("select 1 from pins where item_id = ?", [item_id]).fetchone() is not None

    def set(self, item_id: int, group_name: str) -> None:
        with self._db.atomic():
            self._db.table("pins").upsert(
                {"item_id": item_id, "group_name": group_name, "created": time.time()}, pk="item_id"
            )

    def remove(self, item_id: int) -> None:
        with self._db.atomic():
            self._db.execute("delete from pins where item_id = ?", [item_id])

    def repoint(self, item_ids: Iterable[int], group_name: str | None) -> None:
        """Point the existing pins of these items at ``group_name`` (drop them when None);
        items without a pin stay without one."""
        with self._db.atomic():
            for item_id in item_ids:
                if group_name is None:
                    self._db.execute("delete from pins where item_id = ?", [item_id])
                else:
                    self._db.execute(
                        "update pins set group_name = ? where item_id = ?", [group_name, item_id]
                    )
