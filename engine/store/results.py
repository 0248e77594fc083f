"""A run's result: its groups, the raw labels it proposed, and one assignment per item.

One read model for everyone: a :class:`Group` holds its :class:`Member` rows (the item, its
confidence, who decided, whether it is pinned, what the stages read and a text snippet), and
its size, mean confidence and counts are worked out from them. The pipeline writes results
here; hand edits go through :mod:`.edits`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from .rows import ItemRow

UNASSIGNED = -1  # the group index of an item that is in no group of the run
SNIPPET_CHARS = 600

# Every column of the item, then the assignment's, for Member.from_row.
_MEMBER_COLUMNS = (
    "i.*, a.group_idx, a.confidence, a.unsure, a.source, a.description, "
    f"p.item_id is not null as pinned, substr(e.text, 1, {SNIPPET_CHARS * 2}) as head"
)
_MEMBER_JOINS = (
    "left join pins p on p.item_id = i.id "
    "left join extracts e on e.content_hash = i.content_hash"
)


def squash(text: str) -> str:
    """Runs of white space as one space, without leading or trailing space."""
    return re.sub(r"\s+", " ", text or "").strip()


def _holds(text: str | None, needle: str) -> bool:
    """SQL function for find: ``needle`` (case-folded) in ``text``, ignoring case (any
    script, not only ASCII as SQLite's lower and like)."""
    return text is not None and needle in text.casefold()


@dataclass(frozen=True)
class Member:
    """An item as a member of a group of a run (or of none: ``group_idx`` UNASSIGNED)."""

    item: ItemRow
    group_idx: int
    confidence: float | None  # None when unassigned
    unsure: bool
    source: str  # model | user | pinned | "" (unassigned)
    pinned: bool
    description: str = ""  # what the stages read: the text, a summary, a picture's description
    snippet: str = ""  # the beginning of the text (or the description), on one line

    @property
    def item_id(self) -> int:
        return self.item.id

    @property
    def path(self) -> str:
        return self.item.path

    @property
    def kind(self) -> str:
        return self.item.kind

    @property
    def is_picture(self) -> bool:
        """Whether the file is a picture (``ItemRow.is_picture``); the review shows it as one."""
        return self.item.is_picture

    @property
    def content_hash(self) -> str:
        """"sha256:<hex>"; keys the item's cached thumbnail."""
        return self.item.content_hash

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Member:
        unassigned = row["group_idx"] is None
        return cls(
            item=ItemRow.from_row(row),
            group_idx=UNASSIGNED if unassigned else row["group_idx"],
            confidence=row["confidence"],
            unsure=bool(row["unsure"]),
            source=row["source"] or "",
            pinned=bool(row["pinned"]),
            description=row["description"] or "",
            snippet=squash(row["head"] or row["description"] or "")[:SNIPPET_CHARS],
        )


@dataclass
class Group:
    """A group as read from the store. Its members are filled in once, when it is read (an
    edit reads the groups again), so the counts below are computed once: a view painting the
    groups of a 20,000-file run asks for them on every paint (docs/benchmarks.md)."""

    idx: int
    name: str
    members: list[Member] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)

    @functools.cached_property
    def mean_confidence(self) -> float | None:
        """None for an empty group (and for the unassigned items)."""
        known = [m.confidence for m in self.members if m.confidence is not None]
        return sum(known) / len(known) if known else None

    @functools.cached_property
    def unsure(self) -> int:
        return sum(1 for m in self.members if m.unsure)

    @functools.cached_property
    def pinned(self) -> int:
        return sum(1 for m in self.members if m.pinned)


class Results:
    """The ``groups``, ``raw_labels`` and ``assignments`` tables."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    # -- writing (the pipeline) ----------------------------------------------------------
    def save_raw_labels(self, run_id: int, counts: dict[str, int]) -> None:
        with self._db.atomic():
            self._db.table("raw_labels").delete_where("run_id = ?", [run_id])
            self._db.table("raw_labels").insert_all(
                {"run_id": run_id, "label": label, "count": count} for label, count in counts.items()
            )

    def save_groups(self, run_id: int, names: list[str]) -> None:
        with self._db.atomic():
            self._db.table("groups").delete_where("run_id = ?", [run_id])
            self._db.table("groups").insert_all(
                {"run_id": run_id, "idx": i, "name": name, "size": 0} for i, name in enumerate(names)
            )

    def save_assignment(
        self,
        run_id: int,
        item_id: int,
        group_idx: int,
        confidence: float,
        unsure: bool,
        source: str = "model",
        description: str | None = None,
    ) -> None:
        """Upsert one assignment; ``description`` (what the stages read for the item) is
        kept as it was when not given, so a review edit does not erase it."""
        record: dict[str, Any] = {
            "run_id": run_id,
            "item_id": item_id,
            "group_idx": group_idx,
            "confidence": confidence,
            "unsure": int(unsure),
            "source": source,
        }
        if description is not None:
            record["description"] = description
        self._db.table("assignments").upsert(record, pk=("run_id", "item_id"))

    def update_group_sizes(self, run_id: int) -> None:
        with self._db.atomic():
            self._db.execute(
                "update groups set size = (select count(*) from assignments a "
                "where a.run_id = groups.run_id and a.group_idx = groups.idx) where run_id = ?",
                [run_id],
            )

    # -- reading -------------------------------------------------------------------------
    def raw_label_counts(self, run_id: int) -> dict[str, int]:
        """The run's labels before grouping, with how many items got each."""
        return {r["label"]: r["count"] for r in self._db.table("raw_labels").rows_where("run_id = ?", [run_id])}

    def group_names(self, run_id: int) -> dict[int, str]:
        """Group index -> name, in index order."""
        return {
            r["idx"]: r["name"]
            for r in self._db.table("groups").rows_where("run_id = ?", [run_id], order_by="idx")
        }

    def groups(self, run_id: int) -> list[Group]:
        """Every group of the run in index order (empty ones too), members by path."""
        groups = {idx: Group(idx, name) for idx, name in self.group_names(run_id).items()}
        for member in self.members(run_id):
            group = groups.get(member.group_idx)
            if group is not None:
                group.members.append(member)
        return list(groups.values())

    def members(self, run_id: int, group_idx: int | None = None) -> list[Member]:
        """The run's assigned items (of one group if given), by path."""
        where = "a.run_id = ?" + (" and a.group_idx = ?" if group_idx is not None else "")
        args: list[Any] = [run_id] + ([group_idx] if group_idx is not None else [])
        sql = (
            f"select {_MEMBER_COLUMNS} from assignments a join items i on i.id = a.item_id "
            f"{_MEMBER_JOINS} where {where} order by i.path"
        )
        return [Member.from_row(r) for r in self._db.query(sql, args)]

    def unassigned(self, run_id: int) -> list[Member]:
        """Readable items of the project that are in no group of the run, by path."""
        sql = (
            f"select {_MEMBER_COLUMNS} from items i "
            "left join assignments a on a.run_id = ? and a.item_id = i.id "
            f"{_MEMBER_JOINS} where i.status = 'ok' and a.item_id is null order by i.path"
        )
        return [Member.from_row(r) for r in self._db.query(sql, [run_id])]

    def group_of(self, run_id: int, item_id: int) -> int | None:
        """The index of the item's group in the run, or None when it is in none."""
        row = self._db.execute(
            "select group_idx from assignments where run_id = ? and item_id = ?", [run_id, item_id]
        ).fetchone()
        return None if row is None else int(row[0])

    def item_ids(self, run_id: int, group_idx: int) -> list[int]:
        rows = self._db.execute(
            "select item_id from assignments where run_id = ? and group_idx = ?", [run_id, group_idx]
        )
        return [int(r[0]) for r in rows]

    def find(self, run_id: int, text: str = "", *, doubtful: bool = False, kind: str | None = None) -> set[int]:
        """Readable items of the project (in a group of the run or in none) whose path, text
        or description holds ``text`` (ignoring case), that the model was unsure of
        (``doubtful``), of one ``kind``: "document" (pictures read as pages too), or "image",
        every picture (``ItemRow.is_picture``: photos and pictures read as pages)."""
        where: list[str] = ["i.status = 'ok'"]
        args: list[int | str] = [run_id]
        if text.strip():
            self._db.register_function(_holds, deterministic=True, replace=True)
            needle = text.strip().casefold()
            where.append("(_holds(i.path, ?) or _holds(e.text, ?) or _holds(a.description, ?))")
            args += [needle, needle, needle]
        if doubtful:
            where.append("a.unsure = 1")
        if kind == "image":
            where.append("(i.kind = 'image' or i.mime like 'image/%')")
        elif kind:
            where.append("i.kind = ?")
            args.append(kind)
        sql = (
            "select i.id from items i left join assignments a on a.run_id = ? and a.item_id = i.id "
            f"left join extracts e on e.content_hash = i.content_hash where {' and '.join(where)}"
        )
        return {int(r[0]) for r in self._db.execute(sql, args)}

    def placement(self, run_id: int) -> dict[int, str]:
        """Item id -> the name of its group, for every assigned item of the run."""
        rows = self._db.query(
            "select a.item_id, g.name from assignments a join groups g "
            "on g.run_id = a.run_id and g.idx = a.group_idx where a.run_id = ?",
            [run_id],
        )
        return {r["item_id"]: r["name"] for r in rows}
