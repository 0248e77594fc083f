"""Exports move, copy and link people's files: every path back to the original is tested."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from corral.engine.export import (
    ExportError,
    apply_export,
    export_table,
    fsops,
    list_exports,
    plan_export,
    resume_or_rollback,
    undo_export,
    write_xmp_sidecars,
)
from corral.engine.export.journal import ExportJournal
from corral.engine.jobs import Cancelled, CancelToken
from corral.engine.store import OpRow, Project

BASE_NS = 1_600_000_000_123_456_789
IMAGE_EXT = (".jpg", ".png", ".jpeg")


class SimulatedCrash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it on the way."""


def make_project(
    tmp_path: Path,
    files: dict[str | bytes, bytes],
    groups: list[tuple[str, list[str | bytes]]],
    *,
    unsure: frozenset[str | bytes] = frozenset(),
) -> tuple[Project, int, Path]:
    """A project over ``tmp_path/photos`` with the given files and a finished fake run."""
    root = tmp_path / "photos"
    root.mkdir()
    project = Project.open(tmp_path / "p.corral")
    project.set_meta("root", str(root))
    ids: dict[str | bytes, int] = {}
    for i, (rel, data) in enumerate(files.items()):
        raw = rel if isinstance(rel, bytes) else rel.encode("utf-8")
        path = os.path.join(os.fsencode(root), raw)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(data)
        mtime_ns = BASE_NS + i * 1_000_000_007
        os.utime(path, ns=(mtime_ns, mtime_ns))
        printable = raw.decode("utf-8", "replace")
        image = printable.lower().endswith(IMAGE_EXT)
        ids[rel] = project.upsert_item(
            path=printable,
            raw_path=raw,
            kind="image" if image else "document",
            mime="image/jpeg" if image else "text/plain",
            size=len(data),
            mtime=mtime_ns / 1e9,
            content_hash="sha256:x",
            status="ok",
            reason="",
        )
    run_id = project.runs.new("criterion", len(groups), "fake", {})
    project.results.save_groups(run_id, [name for name, _ in groups])
    for idx, (_name, members) in enumerate(groups):
        for rel in members:
            project.results.save_assignment(run_id, ids[rel], idx, 0.9, rel in unsure)
    project.runs.finish(run_id, "done")
    return project, run_id, root


def snapshot(top: Path) -> dict[bytes, tuple]:
    """Every entry under ``top`` with its bytes, mtime (ns) and mode: a full listing.

    The project file (``p.corral`` and its WAL files) is left out: it is meant to change.
    """
    out: dict[bytes, tuple] = {}
    if not top.exists():
        return out
    btop = os.fsencode(top)
    for dirpath, dirnames, filenames in os.walk(btop):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            rel = os.path.relpath(full, btop)
            if rel.startswith(b"p.corral"):
                continue
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                with open(full, "rb") as fh:
                    out[rel] = ("file", fh.read(), st.st_mtime_ns, stat.S_IMODE(st.st_mode))
    return out


NESTED = {
    "a.txt": b"alpha\n",
    "docs/b.txt": b"bravo" * 100,
    "docs/deep/c.txt": b"",
    "docs/deep/d.jpg": bytes(range(256)) * 4,
    "pics/e.jpg": b"\xff\xd8\xff echo",
    "pics/a.txt": b"another a.txt, same name as the top one",
}
NESTED_GROUPS = [
    ("Letters", ["a.txt", "docs/b.txt", "pics/a.txt"]),
    ("Pictures", ["docs/deep/d.jpg", "pics/e.jpg"]),
    ("Empty files", ["docs/deep/c.txt"]),
]


@pytest.fixture
def nested(tmp_path: Path) -> tuple[Project, int, Path, Path]:
    project, run_id, root = make_project(tmp_path, NESTED, NESTED_GROUPS)
    yield project, run_id, root, tmp_path / "out" / "sorted"
    project.close()


def journal_ops(project: Project, export_id: int) -> list[OpRow]:
    """The export's journalled operations in the order they were made."""
    return sorted(project.journal.ops(export_id), key=lambda o: o.seq)


def export_error(project: Project, export_id: int) -> str:
    row = project.journal.export(export_id)
    assert row is not None
    return row.error


def export_state(project: Project, export_id: int) -> tuple[str, list[tuple[str, str]]]:
    row = project.journal.export(export_id)
    assert row is not None
    return row.status, [(o.op, o.state) for o in journal_ops(project, export_id)]


# -- planning ------------------------------------------------------------------------------


def test_plan_touches_nothing_and_previews(nested) -> None:
    project, run_id, root, dest = nested
    before = snapshot(root.parent)
    plan = plan_export(project, run_id, dest, "move")
    assert snapshot(root.parent) == before
    assert not dest.exists()
    # dest and its missing parent first, then one folder per group, then the files
    assert [op.op for op in plan.ops[:3]] == ["mkdir", "mkdir", "mkdir"]
    assert plan.ops[0].dst == dest.parent and plan.ops[1].dst == dest
    files = {op.dst.relative_to(dest).as_posix() for op in plan.file_ops}
    assert files == {
        "Letters/a.txt",
        "Letters/b.txt",
        "Letters/a (2).txt",
        "Pictures/d.jpg",
        "Pictures/e.jpg",
        "Empty files/c.txt",
    }
    tree = plan.tree()
    assert "Move 6 files" in tree
    assert "Letters/  3 files" in tree
    assert "a (2).txt" in tree and "<- a.txt" in tree
    assert plan.total_size == sum(len(v) for v in NESTED.values())


def test_refuses_root_or_its_ancestor_and_warns_inside(nested) -> None:
    project, run_id, root, _dest = nested
    for bad in (root, root.parent, Path("/")):
        with pytest.raises(ExportError, match="organized folder"):
            plan_export(project, run_id, bad, "copy")
    plan = plan_export(project, run_id, root / "sorted", "copy")
    assert any("inside the organized folder" in w for w in plan.warnings)
    with pytest.raises(ExportError, match="mode"):
        plan_export(project, run_id, root.parent / "x", "teleport")
    with pytest.raises(ExportError, match="run"):
        plan_export(project, 999, root.parent / "x", "copy")


def test_include_unsure_false_skips_unsure(tmp_path: Path) -> None:
    project, run_id, _root = make_project(
        tmp_path,
        {"a.txt": b"a", "b.txt": b"b"},
        [("G", ["a.txt", "b.txt"])],
        unsure=frozenset({"b.txt"}),
    )
    plan = plan_export(project, run_id, tmp_path / "d", "copy", include_unsure=False)
    assert [op.dst.name for op in plan.file_ops] == ["a.txt"]
    assert plan.skipped == [("b.txt", "the model was unsure")]


# -- copy, move and undo ---------------------------------------------------------------------


def test_copy_then_undo(nested) -> None:
    project, run_id, root, dest = nested
    originals = snapshot(root)
    plan = plan_export(project, run_id, dest, "copy")
    export_id = apply_export(project, plan)
    assert snapshot(root) == originals
    status, ops = export_state(project, export_id)
    assert status == "applied" and all(state == "done" for _, state in ops)
    copied = snapshot(dest)
    assert copied[b"Letters/a (2).txt"][1] == NESTED["pics/a.txt"]
    # copy2-like: the timestamps travel with the bytes
    assert copied[b"Pictures/d.jpg"][2] == originals[b"docs/deep/d.jpg"][2]
    journal = {o.dst: o for o in journal_ops(project, export_id) if o.op == "copy"}
    assert journal[dest / "Letters/b.txt"].content_hash.startswith("sha256:")

    report = undo_export(project)
    assert report.complete and report.undone == 6
    assert not dest.parent.exists(), "folders the export created are removed"
    assert snapshot(root) == originals
    assert export_state(project, export_id)[0] == "undone"
    with pytest.raises(ExportError, match="no export to undo"):
        undo_export(project)


def test_move_then_undo_restores_tree_byte_identical(nested) -> None:
    project, run_id, root, dest = nested
    originals = snapshot(root)
    export_id = apply_export(project, plan_export(project, run_id, dest, "move"))
    after = snapshot(root)
    assert not any(v[0] == "file" for v in after.values()), "every file was moved away"
    assert snapshot(dest)[b"Pictures/d.jpg"][1:3] == originals[b"docs/deep/d.jpg"][1:3]
    report = undo_export(project, export_id)
    assert report.complete
    assert snapshot(root) == originals
    assert not dest.parent.exists()


def test_move_across_filesystems_path_verifies_and_undoes(nested, monkeypatch) -> None:
    project, run_id, root, dest = nested
    monkeypatch.setattr(fsops, "same_device", lambda a, b: False)
    originals = snapshot(root)
    export_id = apply_export(project, plan_export(project, run_id, dest, "move"))
    assert not (root / "a.txt").exists()
    hashes = [o.content_hash for o in journal_ops(project, export_id) if o.op == "move"]
    assert len(hashes) == 6 and all(h.startswith("sha256:") for h in hashes)
    assert undo_export(project, export_id).complete
    assert snapshot(root) == originals


def _other_device_dir(tmp_path: Path) -> Path | None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        return None
    if os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        return None
    return shm


def test_real_second_filesystem_move_and_hardlink(nested, tmp_path: Path) -> None:
    other = _other_device_dir(tmp_path)
    if other is None:
        pytest.skip("no second writable file system (/dev/shm) here")
    project, run_id, root, _dest = nested
    originals = snapshot(root)
    dest = other / f"corral-test-{os.getpid()}-{tmp_path.name}"
    try:
        export_id = apply_export(project, plan_export(project, run_id, dest, "hardlink"))
        failed = [o for o in journal_ops(project, export_id) if o.state == "failed"]
        assert len(failed) == 6
        assert all("across drives" in r.error for r in failed)
        assert undo_export(project, export_id).complete
        export_id = apply_export(project, plan_export(project, run_id, dest, "move"))
        assert snapshot(dest)[b"Pictures/d.jpg"][1:3] == originals[b"docs/deep/d.jpg"][1:3]
        assert undo_export(project, export_id).complete
        assert snapshot(root) == originals
        assert not dest.exists()
    finally:
        if dest.exists():
            shutil.rmtree(dest)


def test_symlink_and_hardlink_modes(nested) -> None:
    project, run_id, root, dest = nested
    originals = snapshot(root)
    sym_id = apply_export(project, plan_export(project, run_id, dest, "symlink"))
    link = dest / "Pictures" / "e.jpg"
    assert link.is_symlink() and os.readlink(link) == str(root / "pics" / "e.jpg")
    assert link.read_bytes() == NESTED["pics/e.jpg"]
    assert undo_export(project, sym_id).complete
    assert not dest.exists()

    hard_id = apply_export(project, plan_export(project, run_id, dest, "hardlink"))
    assert os.path.samefile(dest / "Letters" / "b.txt", root / "docs" / "b.txt")
    assert undo_export(project, hard_id).complete
    assert snapshot(root) == originals
    assert not dest.exists()


def test_hardlink_across_devices_fails_per_item(nested, monkeypatch) -> None:
    project, run_id, root, dest = nested
    monkeypatch.setattr(fsops, "same_device", lambda a, b: not a.name.endswith(".jpg"))
    export_id = apply_export(project, plan_export(project, run_id, dest, "hardlink"))
    rows = [o for o in journal_ops(project, export_id) if o.op == "hardlink"]
    failed = [r for r in rows if r.state == "failed"]
    assert len(failed) == 2 and all("hard-link across drives" in r.error for r in failed)
    assert sum(r.state == "done" for r in rows) == 4
    assert "2 of 6 files failed" in export_error(project, export_id)
    assert undo_export(project, export_id).complete
    assert not dest.exists()


# -- names and collisions ------------------------------------------------------------------


def test_hostile_group_names_land_inside_dest(tmp_path: Path) -> None:
    names = ["../../etc", "CON", "..", "", "a/b", "A B", "cats", "Cats", "nul.txt"]
    files = {f"f{i}.txt": f"file {i}".encode() for i in range(len(names))}
    groups = [(name, [f"f{i}.txt"]) for i, name in enumerate(names)]
    project, run_id, root = make_project(tmp_path, files, groups)
    dest = tmp_path / "dest"
    outside_before = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(b"dest")}
    plan = plan_export(project, run_id, dest, "copy")
    folders = [op.dst.parent.name for op in plan.file_ops]
    assert folders == [
        "etc",
        "CON_",
        "Group 3",
        "Group 4",
        "a b",
        "A B (2)",
        "cats",
        "Cats (2)",
        "nul_.txt",
    ]
    apply_export(project, plan)
    for op in plan.file_ops:
        assert op.dst.parent.parent == dest
        assert Path(os.path.realpath(op.dst)).parent.parent == Path(os.path.realpath(dest))
    outside_after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith(b"dest")}
    assert outside_after == outside_before
    assert len(snapshot(dest)) == 2 * len(names)


def test_existing_names_are_never_overwritten(nested) -> None:
    project, run_id, root, dest = nested
    (dest / "Letters").mkdir(parents=True)
    (dest / "Letters" / "a.txt").write_bytes(b"precious")
    (dest / "Pictures").write_bytes(b"a file where a group folder would go")
    plan = plan_export(project, run_id, dest, "copy")
    names = {op.dst.relative_to(dest).as_posix() for op in plan.file_ops}
    assert "Letters/a (2).txt" in names and "Letters/a (3).txt" in names
    assert "Pictures (2)/d.jpg" in names
    # a file appears at a planned name between planning and applying
    (dest / "Letters" / "b.txt").write_bytes(b"arrived late")
    export_id = apply_export(project, plan)
    assert (dest / "Letters" / "a.txt").read_bytes() == b"precious"
    assert (dest / "Letters" / "b.txt").read_bytes() == b"arrived late"
    assert (dest / "Letters" / "b (2).txt").read_bytes() == NESTED["docs/b.txt"]
    assert (dest / "Pictures").read_bytes() == b"a file where a group folder would go"
    row = next(
        o for o in journal_ops(project, export_id) if o.src == dest.parent.parent / "photos/docs/b.txt"
    )
    assert row.dst == dest / "Letters" / "b (2).txt", "the new name is journalled"
    report = undo_export(project, export_id)
    # the folder 'Letters' was there before: it stays, with only the files not ours
    assert sorted(p.name for p in (dest / "Letters").iterdir()) == ["a.txt", "b.txt"]
    assert not (dest / "Pictures (2)").exists()
    assert report.complete


def test_undo_leaves_what_changed_and_reports(nested) -> None:
    project, run_id, root, dest = nested
    export_id = apply_export(project, plan_export(project, run_id, dest, "copy"))
    (dest / "Letters" / "b.txt").write_bytes(b"edited after export")
    (dest / "Pictures" / "new.txt").write_bytes(b"someone put this here")
    os.unlink(root / "a.txt")  # the original of Letters/a.txt is gone: its copy is kept
    report = undo_export(project, export_id)
    left = {os.path.relpath(p, dest): why for p, why in report.left}
    assert "changed" in left["Letters/b.txt"]
    assert "original is gone" in left["Letters/a.txt"]
    assert left["Pictures"] == "folder is not empty"
    assert (dest / "Letters" / "b.txt").read_bytes() == b"edited after export"
    assert not (dest / "Pictures" / "e.jpg").exists()
    assert not (dest / "Empty files").exists()
    assert export_state(project, export_id)[0] == "partly_undone"
    # once the person sorted things out, a second undo finishes the job
    os.unlink(dest / "Pictures" / "new.txt")
    report = undo_export(project)
    assert {p.name for p, _ in report.left} == {"b.txt", "a.txt", "Letters", "sorted", "out"}


def test_undo_move_never_overwrites_a_new_original(nested) -> None:
    project, run_id, root, dest = nested
    export_id = apply_export(project, plan_export(project, run_id, dest, "move"))
    (root / "docs" / "b.txt").write_bytes(b"a new file took the old name")
    report = undo_export(project, export_id)
    assert [p.name for p, _ in report.left if p.suffix] == ["b.txt"]
    assert (root / "docs" / "b.txt").read_bytes() == b"a new file took the old name"
    assert (dest / "Letters" / "b.txt").read_bytes() == NESTED["docs/b.txt"]
    assert (root / "pics" / "e.jpg").read_bytes() == NESTED["pics/e.jpg"]


def test_vanished_source_fails_that_item_only(nested) -> None:
    project, run_id, root, dest = nested
    plan = plan_export(project, run_id, dest, "move")
    os.unlink(root / "docs" / "b.txt")
    export_id = apply_export(project, plan)
    rows = [o for o in journal_ops(project, export_id) if o.op == "move"]
    failed = [r for r in rows if r.state == "failed"]
    assert len(failed) == 1 and failed[0].error == "the original no longer exists"
    assert sum(r.state == "done" for r in rows) == 5
    assert (dest / "Pictures" / "e.jpg").exists()
    assert undo_export(project, export_id).complete
    assert (root / "pics" / "e.jpg").exists()


def test_undecodable_file_name_round_trips(tmp_path: Path) -> None:
    raw = b"caf\xe9 latin-1.txt"  # not UTF-8: stored in the journal as exact bytes
    project, run_id, root = make_project(tmp_path, {raw: b"bytes"}, [("G", [raw])])
    originals = snapshot(root)
    export_id = apply_export(project, plan_export(project, run_id, tmp_path / "d", "move"))
    assert os.path.exists(os.path.join(os.fsencode(tmp_path / "d" / "G"), raw))
    assert undo_export(project, export_id).complete
    assert snapshot(root) == originals


# -- interruption ------------------------------------------------------------------------------


def _crash_on_call(monkeypatch, name: str, n: int, *, after: bool = False) -> None:
    """Make the n-th call of ``fsops.<name>`` die, before it runs or just after."""
    real = getattr(fsops, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n and not after:
            raise SimulatedCrash()
        result = real(*args, **kwargs)
        if calls["n"] == n:
            raise SimulatedCrash()
        return result

    monkeypatch.setattr(fsops, name, wrapper)


@pytest.mark.parametrize(
    ("mode", "hook", "n", "after", "cross_device"),
    [
        ("move", "remove_source", 3, False, False),  # linked to the new name, original still there
        ("move", "remove_source", 3, True, False),  # original removed, not yet marked done
        ("move", "publish", 4, False, True),  # verified copy on the other drive, not yet named
        ("move", "publish", 4, True, True),  # copy named, original not yet deleted
        ("move", "remove_source", 2, True, True),  # original deleted, not yet marked done
        ("copy", "publish", 5, False, False),  # verified temp copy not yet named
        ("copy", "publish", 5, True, False),  # copy named, not yet marked done
        ("copy", "fsync_dir", 6, False, False),  # right after creating a folder or naming a copy
        ("symlink", "fsync_dir", 3, True, False),  # a folder made, not yet marked done
    ],
)
def test_crash_mid_apply_rolls_back(
    nested, monkeypatch, mode, hook, n, after, cross_device
) -> None:
    project, run_id, root, dest = nested
    if cross_device:
        monkeypatch.setattr(fsops, "same_device", lambda a, b: False)
    originals = snapshot(root)
    plan = plan_export(project, run_id, dest, mode)
    _crash_on_call(monkeypatch, hook, n, after=after)
    with pytest.raises(SimulatedCrash):
        apply_export(project, plan)
    monkeypatch.undo()
    (export_id,) = [e.id for e in list_exports(project)]
    status, ops = export_state(project, export_id)
    assert status == "applying" and ("pending" in {s for _, s in ops})
    with pytest.raises(ExportError, match="interrupted"):
        apply_export(project, plan)
    assert resume_or_rollback(project) == [export_id]
    assert snapshot(root) == originals
    assert not dest.parent.exists(), "no temporary file or folder is left behind"
    assert export_state(project, export_id)[0] == "undone"
    assert resume_or_rollback(project) == []


def test_crash_during_undo_is_finished_by_resume(nested, monkeypatch) -> None:
    project, run_id, root, dest = nested
    monkeypatch.setattr(fsops, "same_device", lambda a, b: False)
    originals = snapshot(root)
    export_id = apply_export(project, plan_export(project, run_id, dest, "move"))
    real_publish = fsops.publish
    _crash_on_call(monkeypatch, "publish", 3)  # copying the third file back
    with pytest.raises(SimulatedCrash):
        undo_export(project, export_id)
    assert export_state(project, export_id)[0] == "undoing"
    monkeypatch.setattr(fsops, "publish", real_publish)
    assert resume_or_rollback(project) == [export_id]
    assert snapshot(root) == originals
    assert not dest.parent.exists()


def test_unexpected_error_rolls_back_at_once(nested, monkeypatch) -> None:
    project, run_id, root, dest = nested
    originals = snapshot(root)
    real = ExportJournal.update_op
    calls = {"n": 0}

    def flaky(self, op_id, **fields):
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("database went away")
        return real(self, op_id, **fields)

    monkeypatch.setattr(ExportJournal, "update_op", flaky)
    with pytest.raises(ExportError, match="rolled back"):
        apply_export(project, plan_export(project, run_id, dest, "move"))
    assert snapshot(root) == originals
    assert list_exports(project)[0].status == "failed"


def test_cancel_keeps_done_part_and_undo_reverts(nested) -> None:
    project, run_id, root, dest = nested
    originals = snapshot(root)
    token = CancelToken()
    events = []

    def progress(event) -> None:
        events.append(event)
        if event.done == 5:
            token.cancel()

    with pytest.raises(Cancelled):
        apply_export(
            project, plan_export(project, run_id, dest, "move"), progress=progress, cancel=token
        )
    row = list_exports(project)[0]
    assert row.status == "applied" and "cancelled" in row.error
    assert row.files_done == 2  # three folders, then two files
    assert undo_export(project).complete
    assert snapshot(root) == originals


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from corral.engine import export as ex
    from corral.engine.export import fsops
    from corral.engine.store import OpRow, Project

    calls = {"n": 0}
    real = fsops.remove_source

    def die_on_third(src):
        calls["n"] += 1
        if calls["n"] == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        real(src)

    fsops.remove_source = die_on_third
    project = Project.open(sys.argv[1])
    plan = ex.plan_export(project, int(sys.argv[2]), sys.argv[3], "move")
    ex.apply_export(project, plan)
    """
)


def test_kill_9_mid_move_then_resume(nested) -> None:
    project, run_id, root, dest = nested
    originals = snapshot(root)
    project.close()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(root.parent / "p.corral"), str(run_id), str(dest)],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert snapshot(root) != originals, "the child really moved some files"
    with Project.open(root.parent / "p.corral") as project:
        (export_id,) = resume_or_rollback(project)
        assert export_state(project, export_id)[0] == "undone"
    assert snapshot(root) == originals
    assert not dest.parent.exists()


# -- tables and sidecars -----------------------------------------------------------------------


def test_export_table_csv_and_json(nested, tmp_path: Path) -> None:
    project, run_id, root, _dest = nested
    originals = snapshot(root)
    out_csv = export_table(project, run_id, tmp_path / "t.csv", "csv")
    out_json = export_table(project, run_id, tmp_path / "t.json", "json")
    assert snapshot(root) == originals
    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    assert {(r["group"], r["path"]) for r in rows} == {
        (name, path) for name, members in NESTED_GROUPS for path in members
    }
    assert rows[0]["confidence"] == "0.900" and rows[0]["unsure"] == "no"
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    assert doc["run_id"] == run_id and doc["criterion"] == "criterion"
    assert [g["name"] for g in doc["groups"]] == [n for n, _ in NESTED_GROUPS]
    assert {i["path"] for i in doc["groups"][1]["items"]} == {"docs/deep/d.jpg", "pics/e.jpg"}
    with pytest.raises(ExportError, match="already exists"):
        export_table(project, run_id, out_csv, "csv")
    with pytest.raises(ExportError, match="organized files"):
        export_table(project, run_id, root / "a.txt", "csv", overwrite=True)
    assert (root / "a.txt").read_bytes() == NESTED["a.txt"]
    with pytest.raises(ExportError, match="format"):
        export_table(project, run_id, tmp_path / "t.xls", "xls")  # type: ignore[arg-type]


NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
}


def keywords(path: Path) -> tuple[list[str], list[str]]:
    tree = ET.parse(path)
    subject = [li.text for li in tree.iterfind(".//dc:subject/rdf:Bag/rdf:li", NS)]
    hier = [li.text for li in tree.iterfind(".//lr:hierarchicalSubject/rdf:Bag/rdf:li", NS)]
    return subject, hier


def test_xmp_sidecars(tmp_path: Path) -> None:
    files = {
        "IMG_1.jpg": b"jpeg",
        "IMG_1.png": b"png",
        "IMG_2.jpg": b"jpeg 2",
        "sub/IMG_3.jpg": b"jpeg 3",
        "notes.txt": b"not an image",
    }
    groups = [
        ("Beach & <Sun>", ["IMG_1.jpg", "IMG_1.png", "notes.txt"]),
        ("a|b", ["IMG_2.jpg", "sub/IMG_3.jpg"]),
    ]
    project, run_id, root = make_project(tmp_path, files, groups)
    (root / "IMG_2.xmp").write_bytes(b"<lightroom's own sidecar/>")
    written = write_xmp_sidecars(project, run_id)
    names = sorted(p.relative_to(root).as_posix() for p in written)
    assert names == ["IMG_1.png.xmp", "IMG_1.xmp", "IMG_2.jpg.corral.xmp", "sub/IMG_3.xmp"]
    assert (root / "IMG_2.xmp").read_bytes() == b"<lightroom's own sidecar/>"
    assert keywords(root / "IMG_1.xmp") == (["Corral", "Beach & <Sun>"], ["Corral|Beach & <Sun>"])
    assert keywords(root / "sub" / "IMG_3.xmp") == (["Corral", "a/b"], ["Corral|a/b"])
    assert not (root / "notes.xmp").exists()
    # again: identical sidecars are recognised, nothing new appears
    before = snapshot(root)
    assert sorted(write_xmp_sidecars(project, run_id)) == sorted(written)
    assert snapshot(root) == before
    # a later run with other names: our own .corral.xmp is updated, others are not touched
    project.results.save_groups(run_id, ["Renamed", "Other"])
    written2 = write_xmp_sidecars(project, run_id)
    assert root / "IMG_2.jpg.corral.xmp" in written2
    assert keywords(root / "IMG_2.jpg.corral.xmp")[1] == ["Corral|Other"]
    assert keywords(root / "IMG_1.xmp")[1] == ["Corral|Beach & <Sun>"]
    assert keywords(root / "IMG_1.jpg.corral.xmp")[1] == ["Corral|Renamed"]


def test_xmp_sidecars_to_another_folder(tmp_path: Path) -> None:
    project, run_id, root = make_project(tmp_path, {"x/p.jpg": b"j"}, [("G\x07", ["x/p.jpg"])])
    before = snapshot(root)
    written = write_xmp_sidecars(project, run_id, dest_dir=tmp_path / "side")
    assert written == [tmp_path / "side" / "x" / "p.xmp"]
    assert keywords(written[0]) == (["Corral", "G"], ["Corral|G"])
    assert snapshot(root) == before


# -- faults inside one operation ---------------------------------------------------------------


def test_name_taken_at_the_last_moment_gets_the_next_name(nested, monkeypatch) -> None:
    project, run_id, root, dest = nested
    real_copy = fsops.copy_to_temp

    def copy_then_someone_takes_the_name(src: Path, tmp: Path):
        result = real_copy(src, tmp)
        if src.name == "e.jpg":
            (tmp.parent / "e.jpg").write_bytes(b"raced in")
        return result

    monkeypatch.setattr(fsops, "copy_to_temp", copy_then_someone_takes_the_name)
    export_id = apply_export(project, plan_export(project, run_id, dest, "copy"))
    assert (dest / "Pictures" / "e.jpg").read_bytes() == b"raced in"
    assert (dest / "Pictures" / "e (2).jpg").read_bytes() == NESTED["pics/e.jpg"]
    row = next(o for o in journal_ops(project, export_id) if o.dst.name == "e (2).jpg")
    assert row.state == "done"
    assert not [p for p in (dest / "Pictures").iterdir() if p.name.startswith(".corral")]
    undo_export(project, export_id)
    assert [p.name for p in (dest / "Pictures").iterdir()] == ["e.jpg"]


@pytest.mark.parametrize("mode", ["copy", "move"])
def test_corrupted_copy_is_refused_and_original_kept(nested, monkeypatch, mode) -> None:
    project, run_id, root, dest = nested
    monkeypatch.setattr(fsops, "same_device", lambda a, b: False)
    real_copy = fsops.copy_to_temp

    def flip_a_byte(src: Path, tmp: Path):
        result = real_copy(src, tmp)
        if src.name == "b.txt":
            data = bytearray(tmp.read_bytes())
            data[10] ^= 0xFF
            tmp.write_bytes(bytes(data))
        return result

    monkeypatch.setattr(fsops, "copy_to_temp", flip_a_byte)
    export_id = apply_export(project, plan_export(project, run_id, dest, mode))
    (row,) = [o for o in journal_ops(project, export_id) if o.state == "failed"]
    assert "does not match the original" in row.error
    assert (root / "docs" / "b.txt").read_bytes() == NESTED["docs/b.txt"]
    assert sorted(p.name for p in (dest / "Letters").iterdir()) == ["a (2).txt", "a.txt"]


@pytest.mark.parametrize("cross_device", [False, True])
def test_original_that_cannot_be_removed_is_not_moved(nested, monkeypatch, cross_device) -> None:
    project, run_id, root, dest = nested
    if cross_device:
        monkeypatch.setattr(fsops, "same_device", lambda a, b: False)
    real_remove = fsops.remove_source

    def refuse_for_b(src: Path) -> None:
        if src.name == "b.txt":
            raise PermissionError(13, "Permission denied", str(src))
        real_remove(src)

    monkeypatch.setattr(fsops, "remove_source", refuse_for_b)
    originals = snapshot(root)
    export_id = apply_export(project, plan_export(project, run_id, dest, "move"))
    (row,) = [o for o in journal_ops(project, export_id) if o.state == "failed"]
    assert (root / "docs" / "b.txt").read_bytes() == NESTED["docs/b.txt"]
    assert not (dest / "Letters" / "b.txt").exists(), "no second copy is left behind"
    assert undo_export(project, export_id).complete
    assert snapshot(root) == originals


def test_hardlink_kept_when_original_was_replaced(nested) -> None:
    project, run_id, root, dest = nested
    export_id = apply_export(project, plan_export(project, run_id, dest, "hardlink"))
    # an editor saves by writing a new file and renaming it over the original
    (root / "docs" / "b.new").write_bytes(b"new version")
    os.replace(root / "docs" / "b.new", root / "docs" / "b.txt")
    report = undo_export(project, export_id)
    assert [(p.name, "same file" in why) for p, why in report.left if p.suffix] == [("b.txt", True)]
    assert (dest / "Letters" / "b.txt").read_bytes() == NESTED["docs/b.txt"]
    assert not (dest / "Pictures").exists()


def test_symlinked_group_folder_is_not_followed(nested, tmp_path: Path) -> None:
    project, run_id, root, dest = nested
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    dest.mkdir(parents=True)
    (dest / "Letters").symlink_to(elsewhere, target_is_directory=True)
    plan = plan_export(project, run_id, dest, "copy")
    assert {op.dst.parent.name for op in plan.file_ops} == {
        "Letters (2)",
        "Pictures",
        "Empty files",
    }
    apply_export(project, plan)
    assert list(elsewhere.iterdir()) == []


def test_folder_made_by_someone_else_meanwhile_is_not_removed(nested, monkeypatch) -> None:
    project, run_id, root, dest = nested
    plan = plan_export(project, run_id, dest, "copy")
    (dest / "Empty files").mkdir(parents=True)  # appeared between plan and apply
    real_mkdir = os.mkdir

    def someone_wins_the_race(path, *args, **kwargs):
        if Path(path).name == "Pictures":
            real_mkdir(path)
            raise FileExistsError(17, "File exists", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", someone_wins_the_race)
    export_id = apply_export(project, plan)
    monkeypatch.undo()
    assert (dest / "Pictures" / "e.jpg").exists() and (dest / "Empty files" / "c.txt").exists()
    report = undo_export(project, export_id)
    assert report.complete
    assert sorted(p.name for p in dest.iterdir()) == ["Empty files", "Pictures"]
    assert not any((dest / "Pictures").iterdir()) and not any((dest / "Empty files").iterdir())


def test_a_running_export_is_not_taken_for_a_crashed_one(nested, monkeypatch) -> None:
    fcntl = pytest.importorskip("fcntl")
    project, run_id, root, dest = nested
    plan = plan_export(project, run_id, dest, "copy")
    _crash_on_call(monkeypatch, "publish", 2)
    with pytest.raises(SimulatedCrash):
        apply_export(project, plan)
    monkeypatch.undo()
    # another process is (say) still working on this project: it holds the lock
    fd = os.open(str(project.path) + ".export-lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        assert resume_or_rollback(project) == []
        with pytest.raises(ExportError, match="Another export"):
            apply_export(project, plan)
        with pytest.raises(ExportError, match="Another export"):
            undo_export(project, list_exports(project)[0].id)
    finally:
        os.close(fd)
    assert len(resume_or_rollback(project)) == 1
    assert not dest.parent.exists()


def test_item_path_escaping_the_root_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_bytes(b"not part of the project")
    project, run_id, root = make_project(tmp_path, {"in.txt": b"in"}, [("G", ["in.txt"])])
    bad = project.upsert_item(
        path="../outside.txt",
        raw_path=b"../outside.txt",
        kind="document",
        mime="text/plain",
        size=1,
        mtime=0.0,
        content_hash="sha256:x",
        status="ok",
        reason="",
    )
    project.results.save_assignment(run_id, bad, 0, 0.9, False)
    plan = plan_export(project, run_id, tmp_path / "d", "move")
    assert [op.dst.name for op in plan.file_ops] == ["in.txt"]
    assert ("../outside.txt", "not inside the organized folder") in plan.skipped


def test_a_tampered_plan_is_refused_before_anything_happens(nested, tmp_path: Path) -> None:
    project, run_id, root, dest = nested
    plan = plan_export(project, run_id, dest, "move")
    plan.file_ops[0].src = tmp_path / "p.corral"
    with pytest.raises(ExportError, match="not inside the organized folder"):
        apply_export(project, plan)
    plan = plan_export(project, run_id, dest, "move")
    plan.file_ops[0].dst = tmp_path / "escaped.txt"
    with pytest.raises(ExportError, match="not inside a group folder"):
        apply_export(project, plan)
    assert not dest.parent.exists() and list_exports(project) == []


# -- subfolders kept ---------------------------------------------------------------------------


def test_keep_subfolders_plan_apply_undo(nested) -> None:
    """With keep_subfolders each file keeps its path below the organized folder under its
    group's folder: planned read-only, applied journalled, undone back to nothing."""
    project, run_id, root, dest = nested
    before = snapshot(root.parent)
    plan = plan_export(project, run_id, dest, "copy", keep_subfolders=True)
    assert snapshot(root.parent) == before
    assert plan.keep_subfolders
    files = {op.dst.relative_to(dest).as_posix() for op in plan.file_ops}
    assert files == {
        "Letters/a.txt",
        "Letters/docs/b.txt",
        "Letters/pics/a.txt",  # no clash with the top a.txt now: no "a (2).txt"
        "Pictures/docs/deep/d.jpg",
        "Pictures/pics/e.jpg",
        "Empty files/docs/deep/c.txt",
    }
    made = [op.dst.relative_to(dest).as_posix() for op in plan.ops
            if op.op == "mkdir" and dest in op.dst.parents]
    assert made == ["Letters", "Letters/docs", "Letters/pics", "Pictures", "Pictures/docs",
                    "Pictures/docs/deep", "Pictures/pics", "Empty files", "Empty files/docs",
                    "Empty files/docs/deep"]
    # The preview lists each group folder once, its files with their subfolders.
    assert [f.path.name for f in plan.folders()] == ["Letters", "Pictures", "Empty files"]
    tree = plan.tree()
    assert "Letters/  3 files" in tree and "    docs/deep/d.jpg  (1.0 kB)" in tree

    originals = snapshot(root)
    export_id = apply_export(project, plan)
    assert snapshot(root) == originals
    copied = snapshot(dest)
    assert copied[b"Letters/pics/a.txt"][1] == NESTED["pics/a.txt"]
    assert copied[b"Pictures/docs/deep/d.jpg"][1] == NESTED["docs/deep/d.jpg"]
    status, ops = export_state(project, export_id)
    assert status == "applied" and all(state == "done" for _, state in ops)
    journalled = {o.dst for o in journal_ops(project, export_id) if o.op == "mkdir"}
    assert dest / "Pictures/docs/deep" in journalled

    report = undo_export(project)
    assert report.complete and report.undone == 6
    assert not dest.parent.exists(), "every folder the export made, subfolders too, is gone"
    assert snapshot(root) == originals


def test_keep_subfolders_move_and_undo_restore_the_tree(nested) -> None:
    project, run_id, root, dest = nested
    originals = snapshot(root)
    export_id = apply_export(
        project, plan_export(project, run_id, dest, "move", keep_subfolders=True))
    assert not any(v[0] == "file" for v in snapshot(root).values())
    moved = snapshot(dest)
    assert moved[b"Pictures/docs/deep/d.jpg"][1:3] == originals[b"docs/deep/d.jpg"][1:3]
    assert undo_export(project, export_id).complete
    assert snapshot(root) == originals
    assert not dest.parent.exists()


def test_keep_subfolders_never_overwrites_and_never_follows_links(nested, tmp_path) -> None:
    """An earlier export's files stay; a file or a symbolic link holding a subfolder's name
    makes the export use "name (2)"; undo removes only what this export made."""
    project, run_id, root, dest = nested
    first = apply_export(project, plan_export(project, run_id, dest, "copy",
                                              keep_subfolders=True))
    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "Pictures" / "pics").rename(dest / "Pictures" / "old-pics")
    (dest / "Pictures" / "pics").symlink_to(outside)  # must not lead the export out
    (dest / "Letters" / "pics").rename(dest / "Letters" / "old")
    (dest / "Letters" / "pics").write_bytes(b"a file named like the subfolder")
    earlier = snapshot(dest)

    plan = plan_export(project, run_id, dest, "copy", keep_subfolders=True)
    files = {op.dst.relative_to(dest).as_posix() for op in plan.file_ops}
    assert {"Letters/a (2).txt", "Letters/docs/b (2).txt", "Letters/pics (2)/a.txt",
            "Pictures/pics (2)/e.jpg", "Pictures/docs/deep/d (2).jpg"} <= files
    second = apply_export(project, plan)
    assert list(outside.iterdir()) == []
    after = snapshot(dest)
    assert all(after[name] == entry for name, entry in earlier.items()), "nothing replaced"
    assert after[b"Letters/pics (2)/a.txt"][1] == NESTED["pics/a.txt"]

    assert undo_export(project, second).complete
    assert snapshot(dest) == earlier
    assert export_state(project, first)[0] == "applied"


def test_keep_subfolders_a_link_appearing_after_planning_is_not_followed(nested, tmp_path) -> None:
    project, run_id, root, dest = nested
    apply_export(project, plan_export(project, run_id, dest, "copy"))  # the group folders exist
    undo_export(project)
    dest.mkdir(parents=True)
    (dest / "Pictures").mkdir()
    plan = plan_export(project, run_id, dest, "copy", keep_subfolders=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "Pictures" / "docs").symlink_to(outside)  # appears between planning and applying
    export_id = apply_export(project, plan)
    assert list(outside.iterdir()) == []
    landed = {o.dst.relative_to(dest).as_posix() for o in journal_ops(project, export_id)
              if o.op == "copy" and o.state == "done"}
    assert "Pictures/docs (2)/deep/d.jpg" in landed
    assert undo_export(project, export_id).complete
    assert os.path.islink(dest / "Pictures" / "docs")


def test_a_plan_without_subfolders_refuses_nested_files(nested) -> None:
    project, run_id, root, dest = nested
    plan = plan_export(project, run_id, dest, "copy", keep_subfolders=True)
    plan.keep_subfolders = False  # tampered: nested destinations without the option
    with pytest.raises(ExportError, match="not inside a group folder|outside the destination"):
        apply_export(project, plan)
    assert not dest.parent.exists() and list_exports(project) == []


def test_cli_export_keep_subfolders(nested, capsys) -> None:
    from corral.engine import cli

    project, run_id, root, dest = nested
    path = str(project.path)
    project.close()
    assert cli.main(["export", path, str(dest), "--keep-subfolders"]) == 0
    out = capsys.readouterr().out
    assert "docs/deep/d.jpg" in out and "dry run" in out and not dest.parent.exists()
    assert cli.main(["export", path, str(dest), "--keep-subfolders", "--apply"]) == 0
    assert (dest / "Pictures/docs/deep/d.jpg").read_bytes() == NESTED["docs/deep/d.jpg"]
    assert cli.main(["undo", path]) == 0
    assert not dest.parent.exists()
