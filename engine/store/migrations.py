"""The project file's schema, as numbered migrations in the order they are applied.

Each function is one step, applied atomically by sqlite-utils' ``Migrations`` helper and
recorded in ``_sqlite_migrations``; opening a project applies the steps it lacks, so a file
written by any earlier Corral is brought up to date. Never edit a step that has shipped: add
the next one. ``tests/test_store.py`` migrates an empty file and upgrades a file made by the
first three steps.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

SCHEMA_VERSION_SET = "corral"

migrations = Migrations(SCHEMA_VERSION_SET)


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("items").create(
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
    db.table("items").create_index(["path"], unique=True)
    db.table("items").create_index(["content_hash"])
    db.table("extracts").create(
        {"content_hash": str, "text": str, "chars": int, "extractor": str, "meta": str},
        pk="content_hash",
    )
    db.table("cache").create(
        {"key": str, "stage": str, "value": str, "created": float},
        pk="key",
    )
    db.table("runs").create(
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
    db.table("groups").create(
        {"run_id": int, "idx": int, "name": str, "size": int},
        pk=("run_id", "idx"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("raw_labels").create(
        {"run_id": int, "label": str, "count": int},
        pk=("run_id", "label"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("assignments").create(
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
    db.table("exports").create(
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
    db.table("export_ops").create(
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
    db.table("export_ops").create_index(["export_id", "seq"], unique=True)


@migrations()
def m003_review(db: sqlite_utils.Database) -> None:
    """Pins: items the person fixed to a group, re-applied by every later run.

    A pin names the group (not its index, which a new run renumbers); see engine/review.py.
    """
    db.table("pins").create(
        {"item_id": int, "group_name": str, "created": float},
        pk="item_id",
        foreign_keys=[("item_id", "items", "id")],
    )


@migrations()
def m004_descriptions(db: sqlite_utils.Database) -> None:
    """What the stages read for each item in a run (its text, summary or picture description),
    so the review shows a picture's description and a long document's summary."""
    db.table("assignments").add_column("description", str)


@migrations()
def m005_run_history(db: sqlite_utils.Database) -> None:
    """When a run was last edited by hand and which run a restore copied, as columns of their
    own. Both were keys of ``runs.stats``, which now holds only what the pipeline measured."""
    db.table("runs").add_column("edited", float)
    db.table("runs").add_column("restored_from", int)
    db.execute(
        "update runs set edited = json_extract(stats, '$.edited'), "
        "restored_from = json_extract(stats, '$.restored_from'), "
        "stats = json_remove(stats, '$.edited', '$.restored_from') where json_valid(stats)"
    )


@migrations()
def m006_prior_verdict(db: sqlite_utils.Database) -> None:
    """What the model said about an item before a person pinned it in place (confidence,
    unsure, source), so unpinning gives the model's verdict back instead of a certain 1.0."""
    db.table("assignments").add_column("prior_confidence", float)
    db.table("assignments").add_column("prior_unsure", int)
    db.table("assignments").add_column("prior_source", str)


@migrations()
def m007_edit_history(db: sqlite_utils.Database) -> None:
    """Undo and redo of hand edits (engine/store/history.py): one row per edit of a run, with
    the rows it changed before and after, kept across closing the app."""
    db.table("edit_history").create(
        {
            "id": int,
            "run_id": int,
            "action": str,  # its name in the Edit menu
            "changes": str,  # JSON: {table: [[key, row before, row after], ...]}
            "state": str,  # done | undone
            "created": float,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("edit_history").create_index(["run_id", "state"])


def upgrade(db: sqlite_utils.Database) -> None:
    """Apply every step the file lacks, in order."""
    migrations.apply(db)
