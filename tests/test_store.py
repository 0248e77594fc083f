"""The project store: migrations from an empty file, reopening, refusing foreign files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from corral.engine.store import Project, StoreError, migrations


def test_migrations_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "p.corral"
    with Project.open(path) as project:
        tables = set(project.db.table_names())
        assert {"items", "extracts", "cache", "runs", "groups", "assignments", "raw_labels",
                "exports", "export_ops", "meta"} <= tables
        cols = project.db["items"].columns_dict
        assert cols["content_hash"] is str and cols["raw_path"] is bytes
        assert project.db["assignments"].pks == ["run_id", "item_id"]
        applied = [m.name for m in migrations.applied(project.db)]
        assert applied[:2] == ["m001_initial", "m002_export_journal"]
        assert migrations.pending(project.db) == []
    # Reopening applies nothing twice and keeps the data.
    with Project.open(path) as project:
        project.set_meta("root", "/x")
    with Project.open(path, create=False) as project:
        assert project.get_meta("root") == "/x"
        assert len(migrations.applied(project.db)) == len(migrations._migrations)


def test_runs_groups_assignments_roundtrip(tmp_path: Path) -> None:
    with Project.open(tmp_path / "p.corral") as project:
        a = project.upsert_item(path="a.txt", raw_path=b"a.txt", kind="document", mime="text/plain",
                                size=1, mtime=1.0, content_hash="sha256:a", status="ok", reason="")
        b = project.upsert_item(path="b.txt", raw_path=b"b.txt", kind="document", mime="text/plain",
                                size=1, mtime=1.0, content_hash="sha256:b", status="ok", reason="")
        assert project.upsert_item(path="a.txt", size=2, status="ok") == a
        run = project.new_run("kind", 2, "fake", {"batch_size": 3})
        project.save_groups(run, ["Receipts", "Letters"])
        project.save_assignment(run, a, 0, 0.9, False)
        project.save_assignment(run, b, 1, 0.3, True)
        project.update_group_sizes(run)
        project.finish_run(run, "done", {"seconds": {"assign": 1.0}})
        groups = project.groups(run)
        assert [(g.name, g.size) for g in groups] == [("Receipts", 1), ("Letters", 1)]
        assert groups[1].members[0][2] is True
        assert project.latest_run()["settings"] == {"batch_size": 3}
        project.cache_put("assign:x", "assign", {"idx": 1})
        assert project.cache_get("assign:x") == {"idx": 1}
        assert project.cache_get("missing") is None
        assert project.mark_missing(["a.txt"]) == ["b.txt"]
        assert [i.path for i in project.items("ok")] == ["a.txt"]


def test_refuses_files_that_are_not_projects(tmp_path: Path) -> None:
    text = tmp_path / "notes.corral"
    text.write_text("hello, not a database")
    with pytest.raises(StoreError, match="not a Corral project"):
        Project.open(text)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("create table x (y)").connection.commit()
    with pytest.raises(StoreError, match="not a Corral project"):
        Project.open(other, create=False)
    with pytest.raises(StoreError, match="No project file"):
        Project.open(tmp_path / "nope.corral", create=False)
