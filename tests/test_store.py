"""The project store: migrations from an empty file, upgrading an old file, reopening,
refusing foreign files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from corral.engine import review
from corral.engine.store import Project, StoreError, migrations


def test_migrations_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "p.corral"
    Project.open(path).close()
    db = sqlite_utils.Database(path)  # the file itself, as another program would see it
    tables = set(db.table_names())
    assert {"items", "extracts", "cache", "runs", "groups", "assignments", "raw_labels",
            "exports", "export_ops", "meta"} <= tables
    cols = db["items"].columns_dict
    assert cols["content_hash"] is str and cols["raw_path"] is bytes
    assert db["assignments"].pks == ["run_id", "item_id"]
    applied = [m.name for m in migrations.applied(db)]
    assert applied[:2] == ["m001_initial", "m002_export_journal"]
    assert migrations.pending(db) == []
    db.close()
    # Reopening applies nothing twice and keeps the data.
    with Project.open(path) as project:
        project.set_meta("root", "/x")
    with Project.open(path, create=False) as project:
        assert project.get_meta("root") == "/x"
    db = sqlite_utils.Database(path)
    assert len(migrations.applied(db)) == len(migrations._migrations)
    db.close()


def test_a_project_file_of_schema_m003_is_upgraded(tmp_path: Path) -> None:
    """A file as Corral wrote it before m004 (no descriptions, edits in the stats JSON) opens
    with the current code: the later steps run once, and every row keeps its meaning."""
    path = tmp_path / "old.corral"
    db = sqlite_utils.Database(path)
    migrations.apply(db, stop_before="m004_descriptions")
    assert [m.name for m in migrations.applied(db)][-1] == "m003_review"
    db["meta"].insert({"key": "root", "value": "/docs"})
    for n, name in enumerate(["a.txt", "b.txt", "c.txt"], 1):
        db["items"].insert({"id": n, "path": name, "raw_path": name.encode(), "kind": "document",
                            "mime": "text/plain", "size": 10, "mtime": 1.0,
                            "content_hash": f"sha256:{n}", "status": "ok", "reason": "",
                            "first_seen": 1.0, "last_seen": 1.0})
        db["extracts"].insert({"content_hash": f"sha256:{n}", "text": f"text  of\n{name}",
                               "chars": 12, "extractor": "text", "meta": "{}"})
    db["runs"].insert({"id": 1, "criterion": "kind", "k": 2, "model": "m", "settings": '{"k": 2}',
                       "status": "done", "started": 1.0, "finished": 2.0, "error": "",
                       "stats": json.dumps({"seconds": {"scan": 0.1}, "edited": 3.0})})
    db["runs"].insert({"id": 2, "criterion": "kind", "k": 2, "model": "m", "settings": '{"k": 2}',
                       "status": "done", "started": 4.0, "finished": 4.0, "error": "",
                       "stats": json.dumps({"restored_from": 1})})
    db["runs"].insert({"id": 3, "criterion": "kind", "k": None, "model": "m", "settings": "{}",
                       "status": "running", "started": 5.0})
    for run in (1, 2):
        db["groups"].insert_all([{"run_id": run, "idx": 0, "name": "Notes", "size": 2},
                                 {"run_id": run, "idx": 1, "name": "Other", "size": 1}])
        db["assignments"].insert_all([
            {"run_id": run, "item_id": 1, "group_idx": 0, "confidence": 0.9, "unsure": 0,
             "source": "model"},
            {"run_id": run, "item_id": 2, "group_idx": 0, "confidence": 1.0, "unsure": 0,
             "source": "pinned"},
            {"run_id": run, "item_id": 3, "group_idx": 1, "confidence": 0.3, "unsure": 1,
             "source": "model"},
        ])
    db["pins"].insert({"item_id": 2, "group_name": "Notes", "created": 3.0})
    db.close()

    with Project.open(path, create=False) as project:
        edited, restored, running = (project.runs.get(n) for n in (1, 2, 3))
        assert edited is not None and edited.edited == 3.0 and edited.restored_from is None
        assert edited.stats == {"seconds": {"scan": 0.1}} and edited.settings == {"k": 2}
        assert restored is not None and restored.restored_from == 1 and restored.stats == {}
        assert running is not None and running.status == "running" and running.stats == {}
        assert project.runs.latest() == restored and (restored.groups, restored.items) == (2, 3)
        groups = project.results.groups(1)
        assert [(g.name, [m.path for m in g.members]) for g in groups] == [
            ("Notes", ["a.txt", "b.txt"]), ("Other", ["c.txt"])]
        assert [m.description for g in groups for m in g.members] == ["", "", ""]
        assert groups[0].members[0].snippet == "text of a.txt" and groups[0].pinned == 1
        assert groups[1].unsure == 1 and review.pins(project) == {2: "Notes"}
        # The upgraded file takes what the new steps added.
        project.results.save_assignment(1, 3, 0, 0.8, False, description="a note")
        assert [m.description for m in project.results.members(1, 0)][-1] == "a note"
    db = sqlite_utils.Database(path)
    assert migrations.pending(db) == []
    assert {"edited", "restored_from"} <= set(db["runs"].columns_dict)
    assert "description" in db["assignments"].columns_dict
    db.close()


def test_runs_groups_assignments_roundtrip(tmp_path: Path) -> None:
    with Project.open(tmp_path / "p.corral") as project:
        a = project.upsert_item(path="a.txt", raw_path=b"a.txt", kind="document", mime="text/plain",
                                size=1, mtime=1.0, content_hash="sha256:a", status="ok", reason="")
        b = project.upsert_item(path="b.txt", raw_path=b"b.txt", kind="document", mime="text/plain",
                                size=1, mtime=1.0, content_hash="sha256:b", status="ok", reason="")
        assert project.upsert_item(path="a.txt", size=2, status="ok") == a
        run = project.runs.new("kind", 2, "fake", {"batch_size": 3})
        project.results.save_groups(run, ["Receipts", "Letters"])
        project.results.save_assignment(run, a, 0, 0.9, False)
        project.results.save_assignment(run, b, 1, 0.3, True)
        project.results.update_group_sizes(run)
        project.runs.finish(run, "done", {"seconds": {"assign": 1.0}})
        groups = project.results.groups(run)
        assert [(g.name, g.size) for g in groups] == [("Receipts", 1), ("Letters", 1)]
        assert groups[1].members[0].unsure is True
        assert project.runs.latest().settings == {"batch_size": 3}
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
