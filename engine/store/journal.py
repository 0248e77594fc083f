"""The export journal: tables ``exports`` and ``export_ops``, with typed rows.

Every write is committed before the method returns, so after any crash the journal says what
may exist on disk. Paths are stored as text when they are valid UTF-8 and as their exact
bytes (a BLOB) otherwise. What the statuses mean is engine/export's business
(:mod:`corral.engine.export.journal`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils


def _to_db(path: Path | None) -> str | bytes | None:
    """A path for the journal: text when it is valid UTF-8, else its exact bytes (a BLOB)."""
    if path is None:
        return None
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


def _from_db(value: str | bytes | None) -> Path | None:
    if value is None or value == "" or value == b"":
        return None
    return Path(os.fsdecode(value))


@dataclass(frozen=True)
class OpRow:
    """One journalled operation. ``content_hash`` is set once a copy is verified."""

    id: int
    export_id: int
    seq: int
    op: str  # mkdir | copy | move | hardlink | symlink
    src: Path | None
    dst: Path
    size: int
    mtime: float | None
    content_hash: str
    state: str  # pending | done | kept | undone | failed
    error: str


@dataclass(frozen=True)
class ExportRow:
    """One export, with how many of its files are in place now."""

    id: int
    run_id: int
    dest: Path | None
    mode: str  # copy | move | hardlink | symlink
    status: str  # applying | applied | failed | undoing | undone | partly_undone
    created: float
    finished: float | None
    error: str
    files_done: int


class ExportJournal:
    """The ``exports``/``export_ops`` tables; every write is committed before returning."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def _write(self, sql: str, args: list[Any]) -> int:
        with self._db.atomic():
            cur = self._db.execute(sql, args)
        return int(cur.lastrowid or 0)

    def new_export(self, run_id: int, dest: Path, mode: str) -> int:
        return self._write(
            "insert into exports (run_id, dest, mode, status, created, error) values (?,?,?,?,?,?)",
            [run_id, _to_db(dest), mode, "applying", time.time(), ""],
        )

    def set_export(
        self, export_id: int, status: str, error: str = "", finished: bool = True
    ) -> None:
        self._write(
            "update exports set status = ?, error = ?, finished = ? where id = ?",
            [status, error, time.time() if finished else None, export_id],
        )

    def exists(self, export_id: int) -> bool:
        cur = self._db.execute("select 1 from exports where id = ?", [export_id])
        return cur.fetchone() is not None

    def add_op(
        self,
        export_id: int,
        seq: int,
        op: str,
        src: Path | None,
        dst: Path,
        state: str = "pending",
        size: int = 0,
        mtime: float | None = None,
        error: str = "",
    ) -> int:
        return self._write(
            "insert into export_ops (export_id, seq, op, src, dst, size, mtime, content_hash, "
            "state, error) values (?,?,?,?,?,?,?,?,?,?)",
            [export_id, seq, op, _to_db(src), _to_db(dst), size, mtime, "", state, error],
        )

    def update_op(self, op_id: int, **fields: Any) -> None:
        if "dst" in fields:
            fields["dst"] = _to_db(fields["dst"])
        cols = ", ".join(f"{name} = ?" for name in fields)
        self._write(f"update export_ops set {cols} where id = ?", [*fields.values(), op_id])

    def ops(self, export_id: int) -> list[OpRow]:
        """The export's operations, newest first (the order an undo takes them in)."""
        cur = self._db.execute(
            "select id, export_id, seq, op, src, dst, size, mtime, content_hash, state, error "
            "from export_ops where export_id = ? order by seq desc",
            [export_id],
        )
        rows = []
        for op_id, exp, seq, op, src, dst, size, mtime, digest, state, error in cur.fetchall():
            dst_path = _from_db(dst)
            assert dst_path is not None
            rows.append(
                OpRow(op_id, exp, seq, op, _from_db(src), dst_path, size or 0, mtime,
                      digest or "", state, error or "")
            )
        return rows

    def unfinished(self) -> list[int]:
        """Exports and undos a crash left half done, newest first."""
        cur = self._db.execute(
            "select id from exports where status in ('applying', 'undoing') order by id desc"
        )
        return [int(r[0]) for r in cur.fetchall()]

    def exports(self) -> list[ExportRow]:
        """Every export of the project, newest first."""
        cur = self._db.execute(
            "select e.id, e.run_id, e.dest, e.mode, e.status, e.created, e.finished, e.error, "
            "(select count(*) from export_ops o where o.export_id = e.id "
            "and o.op != 'mkdir' and o.state = 'done') from exports e order by e.id desc"
        )
        return [
            ExportRow(exp, run_id, _from_db(dest), mode, status, created or 0.0, finished,
                      error or "", files_done)
            for exp, run_id, dest, mode, status, created, finished, error, files_done in cur.fetchall()
        ]

    def export(self, export_id: int) -> ExportRow | None:
        return next((row for row in self.exports() if row.id == export_id), None)
