"""The export journal (tables ``exports`` and ``export_ops``) and the lock that guards it.

Every operation is written as ``pending`` and committed before it touches the disk, and
marked ``done`` (or ``failed``) after, so after any crash the journal says what may exist on
disk. An export's status goes ``applying`` -> ``applied`` (or ``failed``), and an undo's
``undoing`` -> ``undone`` (or ``partly_undone``); ``applying``/``undoing`` left behind mean
a crash, which :func:`~corral.engine.export.undo.resume_or_rollback` finishes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one Corral process per project there
    fcntl = None  # type: ignore[assignment]

from corral.engine.store import Project

__all__ = ["BUSY", "UNDOABLE", "Journal", "OpRow", "exclusive", "list_exports", "undoable_export"]

# An undo reverts the newest export in one of these states.
UNDOABLE = ("applied", "partly_undone")

BUSY = "Another export or undo of this project is running; try again when it has finished."


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


class Journal:
    """The ``exports``/``export_ops`` tables; every write is committed before returning."""

    def __init__(self, project: Project) -> None:
        self.conn = project.db.conn

    def _write(self, sql: str, args: list[Any]) -> int:
        with self.conn:
            cur = self.conn.execute(sql, args)
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
        cur = self.conn.execute("select 1 from exports where id = ?", [export_id])
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
        cur = self.conn.execute(
            "select id, export_id, seq, op, src, dst, size, mtime, content_hash, state "
            "from export_ops where export_id = ? order by seq desc",
            [export_id],
        )
        rows = []
        for op_id, exp, seq, op, src, dst, size, mtime, digest, state in cur.fetchall():
            dst_path = _from_db(dst)
            assert dst_path is not None
            rows.append(
                OpRow(op_id, exp, seq, op, _from_db(src), dst_path, size, mtime, digest or "",
                      state)
            )
        return rows

    def unfinished(self) -> list[int]:
        cur = self.conn.execute(
            "select id from exports where status in ('applying', 'undoing') order by id desc"
        )
        return [int(r[0]) for r in cur.fetchall()]


def list_exports(project: Project) -> list[dict[str, Any]]:
    """Every export of the project, newest first, with its status and op counts."""
    cur = project.db.conn.execute(
        "select e.*, (select count(*) from export_ops o where o.export_id = e.id "
        "and o.op != 'mkdir' and o.state = 'done') as files_done from exports e order by id desc"
    )
    names = [c[0] for c in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    for row in rows:
        row["dest"] = os.fsdecode(row["dest"]) if row["dest"] is not None else None
    return rows


def undoable_export(project: Project) -> dict[str, Any] | None:
    """The export an undo would revert now (a :func:`list_exports` row), or None."""
    return next((row for row in list_exports(project) if row["status"] in UNDOABLE), None)


@contextmanager
def exclusive(project: Project) -> Iterator[bool]:
    """Hold the project's export lock while files are changed; yields False if it is taken.

    Without it, a second Corral process (the desktop app next to a CLI run) could take an
    export that is still running for a crashed one and roll it back under its feet. The
    lock is an advisory ``flock`` on ``<project>.export-lock``; the kernel drops it when the
    holder dies, which is exactly when ``resume_or_rollback`` should act.
    """
    if fcntl is None:
        yield True
        return
    path = Path(str(project.path) + ".export-lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock
