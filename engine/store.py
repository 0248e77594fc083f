"""The project store: one SQLite file per project, through sqlite-utils.

A project remembers the folder it organizes, every file seen there (with its content hash),
the extracted text, every model answer (a cache keyed by content and stage settings), and
every run with its settings, groups and assignments. Each write is committed at once, so a
run killed at any point keeps what it finished and the same command resumes.

Schema changes are numbered migrations (``m001_...``), each applied atomically by
sqlite-utils' ``Migrations`` helper; ``tests/test_store.py`` migrates an empty file.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

SCHEMA_VERSION_SET = "corral"

migrations = Migrations(SCHEMA_VERSION_SET)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["meta"].create({"key": str, "value": str}, pk="key")
    db["items"].create(
        {
            "id": int,
            "path": str,  # relative to the project root, '/'-separated, printable
            "raw_path": bytes,  # the exact os.fsencode()d relative path
            "kind": str,  # document | image | other
            "mime": str,
            "size": int,
            "mtime": float,
            "content_hash": str,
            "status": str,  # ok | skipped | missing
            "reason": str,  # why skipped, in plain words
            "first_seen": float,
            "last_seen": float,
        },
        pk="id",
        not_null={"path", "status"},
    )
    db["items"].create_index(["path"], unique=True)
    db["items"].create_index(["content_hash"])
    db["extracts"].create(
        {"content_hash": str, "text": str, "chars": int, "extractor": str, "meta": str},
        pk="content_hash",
    )
    db["cache"].create(
        {"key": str, "stage": str, "value": str, "created": float},
        pk="key",
    )
    db["runs"].create(
        {
            "id": int,
            "criterion": str,
            "k": int,  # requested K, NULL when automatic
            "model": str,
            "settings": str,  # JSON: every setting that shaped the result
            "status": str,  # running | done | interrupted | failed
            "started": float,
            "finished": float,
            "error": str,
            "stats": str,  # JSON: counts and seconds per stage
        },
        pk="id",
    )
    db["groups"].create(
        {"run_id": int, "idx": int, "name": str, "size": int},
        pk=("run_id", "idx"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["raw_labels"].create(
        {"run_id": int, "label": str, "count": int},
        pk=("run_id", "label"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["assignments"].create(
        {
            "run_id": int,
            "item_id": int,
            "group_idx": int,
            "confidence": float,
            "unsure": int,
            "source": str,  # model | pinned | user
        },
        pk=("run_id", "item_id"),
        foreign_keys=[("run_id", "runs", "id"), ("item_id", "items", "id")],
    )


@migrations()
def m002_export_journal(db: sqlite_utils.Database) -> None:
    """Exports and their operation journal (written before each operation happens)."""
    db["exports"].create(
        {
            "id": int,
            "run_id": int,
            "dest": str,
            "mode": str,  # copy | move | hardlink | symlink
            "status": str,  # planned | applying | applied | undoing | undone | failed
            "created": float,
            "finished": float,
            "error": str,
        },
        pk="id",
    )
    db["export_ops"].create(
        {
            "id": int,
            "export_id": int,
            "seq": int,
            "op": str,  # mkdir | copy | move | hardlink | symlink
            "src": str,
            "dst": str,
            "size": int,
            "mtime": float,
            "content_hash": str,
            "state": str,  # pending | done | undone | failed
            "error": str,
        },
        pk="id",
        foreign_keys=[("export_id", "exports", "id")],
    )
    db["export_ops"].create_index(["export_id", "seq"], unique=True)


class StoreError(Exception):
    """The project file cannot be used (not a Corral project, damaged, newer schema)."""


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


@dataclass
class Group:
    idx: int
    name: str
    members: list[tuple[ItemRow, float, bool]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members)


class Project:
    """An open project file. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path, db: sqlite_utils.Database) -> None:
        self.path = path
        self.db = db

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Project:
        path = Path(path)
        if not path.exists() and not create:
            raise StoreError(f"No project file at {path}")
        if path.exists() and path.stat().st_size > 0:
            with open(path, "rb") as fh:
                if fh.read(16) != b"SQLite format 3\x00":
                    raise StoreError(f"{path} is not a Corral project file (not SQLite).")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            db = sqlite_utils.Database(conn)
            if path.stat().st_size > 0 and not create:
                if "meta" not in db.table_names():
                    raise StoreError(f"{path} is an SQLite file but not a Corral project.")
            migrations.apply(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} cannot be opened as a project: {exc}") from exc
        return cls(path, db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta ----------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = list(self.db["meta"].rows_where("key = ?", [key]))
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        self.db["meta"].upsert({"key": key, "value": value}, pk="key")

    @property
    def root(self) -> Path | None:
        value = self.get_meta("root")
        return Path(value) if value else None

    # -- items ---------------------------------------------------------------------------
    def item_by_path(self, path: str) -> ItemRow | None:
        rows = list(self.db["items"].rows_where("path = ?", [path]))
        return ItemRow.from_row(rows[0]) if rows else None

    def upsert_item(self, **fields: Any) -> int:
        """Insert or update the item at ``fields['path']``; returns its id."""
        now = time.time()
        existing = self.item_by_path(fields["path"])
        fields = {**fields, "last_seen": now}
        if existing is None:
            fields.setdefault("first_seen", now)
            return int(self.db["items"].insert(fields).last_pk)
        self.db["items"].update(existing.id, fields)
        return existing.id

    def mark_missing(self, keep_paths: Iterable[str]) -> list[str]:
        """Mark every known item whose path is not in ``keep_paths`` as missing."""
        keep = set(keep_paths)
        gone = [
            row
            for row in self.db["items"].rows_where("status != 'missing'")
            if row["path"] not in keep
        ]
        for row in gone:
            self.db["items"].update(row["id"], {"status": "missing", "reason": "no longer in the folder"})
        return [row["path"] for row in gone]

    def items(self, status: str | None = "ok") -> list[ItemRow]:
        where = "status = ?" if status else None
        args = [status] if status else None
        return [
            ItemRow.from_row(r) for r in self.db["items"].rows_where(where, args, order_by="path")
        ]

    def item(self, item_id: int) -> ItemRow:
        return ItemRow.from_row(self.db["items"].get(item_id))

    # -- extracted text ------------------------------------------------------------------
    def get_extract(self, content_hash: str) -> dict[str, Any] | None:
        rows = list(self.db["extracts"].rows_where("content_hash = ?", [content_hash]))
        if not rows:
            return None
        row = rows[0]
        return {**row, "meta": json.loads(row["meta"] or "{}")}

    def put_extract(self, content_hash: str, text: str, extractor: str, meta: dict[str, Any]) -> None:
        self.db["extracts"].upsert(
            {
                "content_hash": content_hash,
                "text": text,
                "chars": len(text),
                "extractor": extractor,
                "meta": json.dumps(meta),
            },
            pk="content_hash",
        )

    # -- model answer cache --------------------------------------------------------------
    def cache_get(self, key: str) -> Any | None:
        rows = list(self.db.query("select value from cache where key = ?", [key]))
        return json.loads(rows[0]["value"]) if rows else None

    def cache_put(self, key: str, stage: str, value: Any) -> None:
        self.db["cache"].upsert(
            {"key": key, "stage": stage, "value": json.dumps(value), "created": time.time()},
            pk="key",
        )

    def cache_has(self, key: str) -> bool:
        return self.db.execute("select 1 from cache where key = ?", [key]).fetchone() is not None

    def cache_count(self, stage: str | None = None) -> int:
        if stage is None:
            return self.db["cache"].count
        return self.db["cache"].count_where("stage = ?", [stage])

    # -- runs ----------------------------------------------------------------------------
    def new_run(self, criterion: str, k: int | None, model: str, settings: dict[str, Any]) -> int:
        return int(
            self.db["runs"]
            .insert(
                {
                    "criterion": criterion,
                    "k": k,
                    "model": model,
                    "settings": json.dumps(settings, sort_keys=True),
                    "status": "running",
                    "started": time.time(),
                }
            )
            .last_pk
        )

    def finish_run(
        self, run_id: int, status: str, stats: dict[str, Any] | None = None, error: str = ""
    ) -> None:
        self.db["runs"].update(
            run_id,
            {
                "status": status,
                "finished": time.time(),
                "stats": json.dumps(stats or {}),
                "error": error,
            },
        )

    def run(self, run_id: int) -> dict[str, Any]:
        row = dict(self.db["runs"].get(run_id))
        row["settings"] = json.loads(row["settings"] or "{}")
        row["stats"] = json.loads(row["stats"] or "{}")
        return row

    def runs(self) -> list[dict[str, Any]]:
        return [self.run(r["id"]) for r in self.db["runs"].rows_where(order_by="id")]

    def latest_run(self, status: str | None = "done") -> dict[str, Any] | None:
        where = "status = ?" if status else None
        rows = list(
            self.db["runs"].rows_where(where, [status] if status else None, order_by="id desc", limit=1)
        )
        return self.run(rows[0]["id"]) if rows else None

    # -- results -------------------------------------------------------------------------
    def save_raw_labels(self, run_id: int, counts: dict[str, int]) -> None:
        with self.db.conn:
            self.db["raw_labels"].delete_where("run_id = ?", [run_id])
            self.db["raw_labels"].insert_all(
                {"run_id": run_id, "label": label, "count": count} for label, count in counts.items()
            )

    def save_groups(self, run_id: int, names: list[str]) -> None:
        with self.db.conn:
            self.db["groups"].delete_where("run_id = ?", [run_id])
            self.db["groups"].insert_all(
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
        self.db["assignments"].upsert(record, pk=("run_id", "item_id"))

    def update_group_sizes(self, run_id: int) -> None:
        self.db.execute(
            "update groups set size = (select count(*) from assignments a "
            "where a.run_id = groups.run_id and a.group_idx = groups.idx) where run_id = ?",
            [run_id],
        )
        self.db.conn.commit()

    def groups(self, run_id: int) -> list[Group]:
        groups = {
            r["idx"]: Group(r["idx"], r["name"])
            for r in self.db["groups"].rows_where("run_id = ?", [run_id], order_by="idx")
        }
        sql = (
            "select a.group_idx, a.confidence, a.unsure, i.* from assignments a "
            "join items i on i.id = a.item_id where a.run_id = ? order by i.path"
        )
        for row in self.db.query(sql, [run_id]):
            group = groups.get(row["group_idx"])
            if group is not None:
                group.members.append((ItemRow.from_row(row), row["confidence"], bool(row["unsure"])))
        return list(groups.values())

    def iter_cache(self, stage: str) -> Iterator[tuple[str, Any]]:
        for row in self.db["cache"].rows_where("stage = ?", [stage]):
            yield row["key"], json.loads(row["value"])


@migrations()
def m003_review(db: sqlite_utils.Database) -> None:
    """Pins: items the person fixed to a group, re-applied by every later run.

    A pin names the group (not its index, which a new run renumbers); see engine/review.py.
    """
    db["pins"].create(
        {"item_id": int, "group_name": str, "created": float},
        pk="item_id",
        foreign_keys=[("item_id", "items", "id")],
    )


@migrations()
def m004_descriptions(db: sqlite_utils.Database) -> None:
    """What the stages read for each item in a run (its text, summary or picture description),
    so the review shows a picture's description and a long document's summary."""
    db["assignments"].add_column("description", str)
