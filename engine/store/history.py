"""The undo history of hand edits, kept in the project file so it survives closing the app.

Each hand edit of a run (engine/review.py) is one entry: its name for the Edit menu ("Rename
“A” to “B”") and, for every row it changed in the run's ``groups`` and ``assignments`` and in
the project's ``pins``, the row before and after. Undo writes the rows back as they were
before; redo as they were after. A new edit drops the entries undone before it (the redo
branch), as editors do.
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlite_utils

# table -> (its key column, the columns an entry keeps)
_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "groups": ("idx", ("name",)),
    "assignments": ("item_id", ("group_idx", "confidence", "unsure", "source", "description",
                                "prior_confidence", "prior_unsure", "prior_source")),
    "pins": ("item_id", ("group_name", "created")),
}

Snapshot = dict[str, dict[int, dict[str, Any]]]
SCOPED_MAX = 500  # items an edit's snapshot names one by one (SQLite's variable limit is 999)


class History:
    """The ``edit_history`` table (migration m007)."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def snapshot(self, run_id: int, item_ids: list[int] | None = None) -> Snapshot:
        """The rows an edit of the run can change, by table and key; with ``item_ids``, an
        edit of those items only: their assignments and pins, and the run's groups (a move
        of one file in a 20,000-file run then reads a few rows, not every one)."""
        if item_ids is not None and len(item_ids) > SCOPED_MAX:
            item_ids = None
        state: Snapshot = {}
        for table, (key, columns) in _TABLES.items():
            conditions, args = ([], []) if table == "pins" else (["run_id = ?"], [run_id])
            if item_ids is not None and table != "groups":
                conditions.append(f"item_id in ({', '.join('?' * len(item_ids))})")
                args += item_ids
            where = f" where {' and '.join(conditions)}" if conditions else ""
            sql = f"select {key}, {', '.join(columns)} from {table}{where}"
            state[table] = {row[key]: {c: row[c] for c in columns} for row in self._db.query(sql, args)}
        return state

    def record(self, run_id: int, action: str, before: Snapshot, after: Snapshot) -> bool:
        """Keep one edit (only the rows it changed); False when it changed nothing."""
        changes: dict[str, list[list[Any]]] = {}
        for table in _TABLES:
            old, new = before.get(table, {}), after.get(table, {})
            rows = [[key, old.get(key), new.get(key)] for key in sorted(set(old) | set(new))
                    if old.get(key) != new.get(key)]
            if rows:
                changes[table] = rows
        if not changes:
            return False
        with self._db.atomic():
            self._db.execute("delete from edit_history where run_id = ? and state = 'undone'", [run_id])
            self._db.table("edit_history").insert({
                "run_id": run_id, "action": action, "changes": json.dumps(changes),
                "state": "done", "created": time.time(),
            })
        return True

    def _next(self, run_id: int, state: str) -> dict[str, Any] | None:
        order = "desc" if state == "done" else "asc"
        rows = list(self._db.query(
            f"select * from edit_history where run_id = ? and state = ? order by id {order} limit 1",
            [run_id, state]))
        return rows[0] if rows else None

    def undo_name(self, run_id: int) -> str | None:
        """The name of the edit Undo would take back, or None."""
        row = self._next(run_id, "done")
        return row["action"] if row else None

    def redo_name(self, run_id: int) -> str | None:
        row = self._next(run_id, "undone")
        return row["action"] if row else None

    def undo(self, run_id: int) -> str | None:
        """Put back the rows the last edit changed; returns its name (None: nothing to undo)."""
        return self._step(run_id, "done", "undone", side=1)

    def redo(self, run_id: int) -> str | None:
        return self._step(run_id, "undone", "done", side=2)

    def _step(self, run_id: int, state: str, to_state: str, side: int) -> str | None:
        row = self._next(run_id, state)
        if row is None:
            return None
        changes = json.loads(row["changes"])
        with self._db.atomic():
            # Groups first (assignments point at them), pins last.
            for table in ("groups", "assignments", "pins"):
                key, _columns = _TABLES[table]
                for entry in changes.get(table, []):
                    self._write(table, key, run_id, entry[0], entry[side])
            self._db.table("edit_history").update(row["id"], {"state": to_state})
        return str(row["action"])

    def _write(self, table: str, key: str, run_id: int, value: Any, row: dict[str, Any] | None) -> None:
        scope = ("item_id = ?", [value]) if table == "pins" else (f"run_id = ? and {key} = ?", [run_id, value])
        if row is None:
            self._db.table(table).delete_where(*scope)
            return
        record = {key: value, **row}
        if table == "pins":
            self._db.table(table).upsert(record, pk="item_id")
        else:
            pk = ("run_id", key)
            self._db.table(table).upsert({"run_id": run_id, **record}, pk=pk)
