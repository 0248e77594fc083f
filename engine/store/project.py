"""The project store: one SQLite file per project, through sqlite-utils.

A project remembers the folder it organizes, every file seen there (with its content hash),
the extracted text, every model answer (a cache keyed by content and stage settings), and
every run with its settings, groups and assignments. Each write is committed at once, so a
run killed at any point keeps what it finished and the same command resumes.

:class:`Project` owns the connection and no other module sees it. The project's own rows
(meta, items, extracted text, the answer cache) are its methods; the rest belong to small
stores it hands out, each with typed rows: ``project.runs`` (:mod:`.runs`),
``project.results`` (groups and assignments, :mod:`.results`), ``project.edits`` (hand
edits of a result, :mod:`.edits`), ``project.pins`` (:mod:`.pins`), ``project.history``
(undo and redo of hand edits, :mod:`.history`) and ``project.journal`` (the export
journal, :mod:`.journal`). The schema is :mod:`.migrations`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

import sqlite_utils

from .edits import Edits
from .history import History
from .journal import ExportJournal
from .migrations import upgrade
from .pins import Pins
from .results import Results
from .rows import ItemRow
from .runs import Runs


class StoreError(Exception):
    """The project file cannot be used (not a Corral project, damaged, newer schema)."""


class Project:
    """An open project file. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: Path, db: sqlite_utils.Database) -> None:
        self.path = path
        self._db = db
        self.runs = Runs(db)
        self.results = Results(db)
        self.edits = Edits(db)
        self.pins = Pins(db)
        self.journal = ExportJournal(db)
        self.history = History(db)

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
            upgrade(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} cannot be opened as a project: {exc}") from exc
        return cls(path, db)

    def close(self) -> None:
        self._db.close()

    def transaction(self) -> AbstractContextManager[Any]:
        """One transaction around several writes (nested ones become savepoints); committed
        at the end of the ``with`` block, rolled back if it raises."""
        return self._db.atomic()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta ----------------------------------------------------------------------------
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        rows = list(self._db.table("meta").rows_where("key = ?", [key]))
        return rows[0]["value"] if rows else default

    def set_meta(self, key: str, value: str) -> None:
        self._db.table("meta").upsert({"key": key, "value": value}, pk="key")

    @property
    def root(self) -> Path | None:
        value = self.get_meta("root")
        return Path(value) if value else None

    # -- items ---------------------------------------------------------------------------
    def item_by_path(self, path: str) -> ItemRow | None:
        rows = list(self._db.table("items").rows_where("path = ?", [path]))
        return ItemRow.from_row(rows[0]) if rows else None

    def upsert_item(self, **fields: Any) -> int:
        """Insert or update the item at ``fields['path']``; returns its id."""
        now = time.time()
        existing = self.item_by_path(fields["path"])
        fields = {**fields, "last_seen": now}
        if existing is None:
            fields.setdefault("first_seen", now)
            return int(cast(int, self._db.table("items").insert(fields).last_pk))
        self._db.table("items").update(existing.id, fields)
        return existing.id

    def mark_missing(self, keep_paths: Iterable[str]) -> list[str]:
        """Mark every known item whose path is not in ``keep_paths`` as missing."""
        keep = set(keep_paths)
        gone = [
            row
            for row in self._db.table("items").rows_where("status != 'missing'")
            if row["path"] not in keep
        ]
        for row in gone:
            self._db.table("items").update(row["id"], {"status": "missing", "reason": "no longer in the folder"})
        return [row["path"] for row in gone]

    def items(self, status: str | None = "ok") -> list[ItemRow]:
        where = "status = ?" if status else None
        args = [status] if status else None
        return [
            ItemRow.from_row(r) for r in self._db.table("items").rows_where(where, args, order_by="path")
        ]

    def item(self, item_id: int) -> ItemRow:
        return ItemRow.from_row(self._db.table("items").get(item_id))

    def readable(self, item_ids: list[int]) -> set[int]:
        """Which of ``item_ids`` are readable files of the project (status ok)."""
        found: set[int] = set()
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start:start + 500]
            sql = f"select id from items where status = 'ok' and id in ({', '.join('?' * len(chunk))})"
            found.update(row["id"] for row in self._db.query(sql, chunk))
        return found

    # -- extracted text ------------------------------------------------------------------
    def get_extract(self, content_hash: str) -> dict[str, Any] | None:
        rows = list(self._db.table("extracts").rows_where("content_hash = ?", [content_hash]))
        if not rows:
            return None
        row = rows[0]
        return {**row, "meta": json.loads(row["meta"] or "{}")}

    def extract_hashes(self) -> set[str]:
        """The content hashes whose text is stored."""
        return {row["content_hash"] for row in self._db.query("select content_hash from extracts")}

    def put_extract(self, content_hash: str, text: str, extractor: str, meta: dict[str, Any]) -> None:
        self._db.table("extracts").upsert(
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
        rows = list(self._db.query("select value from cache where key = ?", [key]))
        return json.loads(rows[0]["value"]) if rows else None

    def cache_put(self, key: str, stage: str, value: Any) -> None:
        # One statement: sqlite-utils' upsert reads the table's columns first (0.6 ms a put,
        # 13% of describing a picture, five puts each).
        with self._db.atomic():
            self._db.execute(
                "insert into cache (key, stage, value, created) values (?, ?, ?, ?) on conflict(key) "
                "do update set stage = excluded.stage, value = excluded.value, created = excluded.created",
                [key, stage, json.dumps(value), time.time()],
            )

    def cache_has(self, key: str) -> bool:
        return self._db.execute("select 1 from cache where key = ?", [key]).fetchone() is not None

    def cache_count(self, stage: str | None = None) -> int:
        if stage is None:
            return self._db.table("cache").count
        return self._db.table("cache").count_where("stage = ?", [stage])

    def cache_drop(self, stage: str) -> None:
        """Forget every cached answer of one stage."""
        with self._db.atomic():
            self._db.execute("delete from cache where stage = ?", [stage])

    def iter_cache(self, stage: str) -> Iterator[tuple[str, Any]]:
        for row in self._db.table("cache").rows_where("stage = ?", [stage]):
            yield row["key"], json.loads(row["value"])
