"""Runs: one row per organize (or restore), with the settings that shaped it and how it went.

A run is ``running`` until :meth:`Runs.finish` marks it ``done``, ``interrupted`` or
``failed``. ``stats`` is what the pipeline measured (counts and seconds per stage), written
once when the run finishes; that a person edited the result later (``edited``) and which run
a restore copied (``restored_from``) are columns of their own (migration m005).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, cast

import sqlite_utils

_SELECT = (
    "select r.*, (select count(*) from groups g where g.run_id = r.id) as n_groups, "
    "(select count(*) from assignments a where a.run_id = r.id) as n_items from runs r"
)


@dataclass(frozen=True)
class RunRow:
    id: int
    criterion: str
    k: int | None  # None: automatic
    model: str
    settings: dict[str, Any]  # every setting that shaped the result, and the prompt versions
    status: str  # running | done | interrupted | failed
    started: float
    finished: float | None
    error: str
    stats: dict[str, Any]  # what the pipeline measured: counts and seconds per stage
    edited: float | None  # when a person last edited the result
    restored_from: int | None  # the run this one is a copy of
    groups: int  # groups the run has now
    items: int  # items in a group now

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> RunRow:
        return cls(
            id=row["id"],
            criterion=row["criterion"] or "",
            k=row["k"],
            model=row["model"] or "",
            settings=json.loads(row["settings"] or "{}"),
            status=row["status"] or "",
            started=row["started"] or 0.0,
            finished=row["finished"],
            error=row["error"] or "",
            stats=json.loads(row["stats"] or "{}"),
            edited=row["edited"],
            restored_from=row["restored_from"],
            groups=row["n_groups"],
            items=row["n_items"],
        )

    @property
    def label(self) -> str:
        """One line for choosing a run: when, what was asked, how big, what became of it."""
        k = "auto" if self.k is None else str(self.k)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started or 0))
        extra = f", restored from run {self.restored_from}" if self.restored_from else ""
        extra += ", edited" if self.edited is not None else ""
        groups = "1 group" if self.groups == 1 else f"{self.groups} groups"
        files = "1 file" if self.items == 1 else f"{self.items} files"
        return (
            f"Run {self.id} ({when}): \u201c{self.criterion}\u201d, K={k}, "
            f"{groups}, {files}, {self.status}{extra}"
        )


class Runs:
    """The ``runs`` table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def new(self, criterion: str, k: int | None, model: str, settings: dict[str, Any]) -> int:
        """Record a run as ``running``; returns its id."""
        with self._db.atomic():
            table = self._db.table("runs").insert(
                {
                    "criterion": criterion,
                    "k": k,
                    "model": model,
                    "settings": json.dumps(settings, sort_keys=True),
                    "status": "running",
                    "started": time.time(),
                }
            )
            return int(cast(int, table.last_pk))

    def finish(
        self, run_id: int, status: str, stats: dict[str, Any] | None = None, error: str = ""
    ) -> None:
        with self._db.atomic():
            self._db.table("runs").update(
                run_id,
                {
                    "status": status,
                    "finished": time.time(),
                    "stats": json.dumps(stats or {}),
                    "error": error,
                },
            )

    def mark_edited(self, run_id: int) -> None:
        """Record that a person changed the run's result now."""
        with self._db.atomic():
            self._db.execute("update runs set edited = ? where id = ?", [time.time(), run_id])

    def clear_edited(self, run_id: int) -> None:
        """Record that the run holds the result as computed again (every edit undone)."""
        with self._db.atomic():
            self._db.execute("update runs set edited = null where id = ?", [run_id])

    def get(self, run_id: int) -> RunRow | None:
        rows = list(self._db.query(f"{_SELECT} where r.id = ?", [run_id]))
        return RunRow.from_row(rows[0]) if rows else None

    def latest(self, status: str | None = "done") -> RunRow | None:
        """The newest run (with ``status``, unless it is None)."""
        where, args = ("where r.status = ?", [status]) if status else ("", [])
        rows = list(self._db.query(f"{_SELECT} {where} order by r.id desc limit 1", args))
        return RunRow.from_row(rows[0]) if rows else None

    def all(self) -> list[RunRow]:
        """Every run, newest first."""
        return [RunRow.from_row(r) for r in self._db.query(f"{_SELECT} order by r.id desc")]

    def exists(self, run_id: int) -> bool:
        return self._db.execute("select 1 from runs where id = ?", [run_id]).fetchone() is not None

    def copy(self, run_id: int) -> int:
        """A new finished run holding exactly the result of ``run_id`` (groups, assignments,
        labels), marked as restored from it; returns the new run's id."""
        row = self.get(run_id)
        if row is None:
            raise KeyError(run_id)
        with self._db.atomic():
            new_id = self.new(row.criterion, row.k, row.model, row.settings)
            for table in ("groups", "assignments", "raw_labels"):
                self._db.table(table).insert_all(
                    {**r, "run_id": new_id}
                    for r in self._db.table(table).rows_where("run_id = ?", [run_id])
                )
            self.finish(new_id, "done")
            self._db.table("runs").update(new_id, {"restored_from": run_id})
        return new_id
