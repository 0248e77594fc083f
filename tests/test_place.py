"""New files into an earlier run's groups (engine/place.py): N added files cost N model calls."""

from __future__ import annotations

from pathlib import Path

from corral.engine.pipeline import organize
from corral.engine.request import RunRequest
from corral.engine.stages.base import LazyModel, Settings
from corral.engine.store import Project
from tests.fakes import FakeLLM

KINDS = ["receipt", "recipe", "letter"]
KINDS_SORTED = sorted(KINDS)


def _folder(tmp_path: Path, n: int = 30) -> Path:
    folder = tmp_path / "grows"
    folder.mkdir()
    for i in range(n):
        (folder / f"f{i:02d}.txt").write_text(f"{KINDS[i % 3]} number {i} with a few more words")
    return folder


def _run(folder: Path, tmp_path: Path, settings: Settings, **kw) -> tuple:  # type: ignore[no-untyped-def]
    fake = FakeLLM(label_for=lambda t: t.split()[0])
    result = organize(RunRequest(folder, settings, tmp_path / "p.corral", **kw), model=LazyModel("fake", lambda: fake))
    return result, fake


def _by_group(result) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {g.name: sorted(m.path for m in g.members) for g in result.groups}


def test_added_files_go_into_the_groups_the_folder_has_one_call_each(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    settings = Settings(criterion="kind", k=3)
    first, _ = _run(folder, tmp_path, settings)
    before = _by_group(first)
    for i in range(30, 34):
        (folder / f"f{i:02d}.txt").write_text(f"{KINDS[i % 3]} number {i} added later")
    result, fake = _run(folder, tmp_path, settings)
    # one constrained choice per new file among the run's names; nothing proposed or named
    assert fake.calls == ["assign"] * 4
    assert result.stats["placed"] == {"basis_run": first.run_id, "new": 4, "kept": 30, "removed": 0}
    after = _by_group(result)
    assert sorted(after) == sorted(before)  # the same groups, the same names
    assert sorted(after) == KINDS_SORTED
    for name, members in after.items():
        assert set(members) >= set(before[name])  # every old file kept its group
        added = sorted(set(members) - set(before[name]))
        assert added == sorted(f"f{i:02d}.txt" for i in range(30, 34) if KINDS[i % 3] == name)
    # nothing changed since: the placed run again, with no model call
    same, fake = _run(folder, tmp_path, settings)
    assert fake.calls == [] and same.stats["placed"]["basis_run"] == result.run_id
    assert _by_group(same) == after


def test_removed_and_changed_files_and_the_persons_edits(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    settings = Settings(criterion="kind", k=3)
    first, _ = _run(folder, tmp_path, settings)
    with Project.open(tmp_path / "p.corral") as project:
        names = project.results.group_names(first.run_id)
        project.edits.rename_group(first.run_id, 0, "Renamed by me")
        project.runs.mark_edited(first.run_id)
        renamed_members = project.results.item_ids(first.run_id, 0)
    (folder / "f00.txt").unlink()
    (folder / "f01.txt").write_text("receipt number 1, rewritten")
    result, fake = _run(folder, tmp_path, settings)
    assert fake.calls == ["assign"]  # only the changed file
    assert result.stats["placed"]["removed"] == 1 and result.stats["placed"]["new"] == 1
    groups = {g.name: g for g in result.groups}
    assert "Renamed by me" in groups and names[0] not in groups
    kept = {m.item_id for m in groups["Renamed by me"].members}
    assert kept >= set(renamed_members) - {1}  # item 1 (f00) is gone
    assert sum(g.size for g in result.groups) == 29


def test_many_new_files_or_regroup_group_everything_again(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    settings = Settings(criterion="kind", k=3)
    _run(folder, tmp_path, settings)
    for i in range(30, 40):  # 10 new of 30: more than a fifth
        (folder / f"f{i:02d}.txt").write_text(f"{KINDS[i % 3]} number {i} added later")
    result, fake = _run(folder, tmp_path, settings)
    assert "placed" not in result.stats and "grouped again" in result.stats["regrouped"]
    assert fake.calls.count("answer") == 10
    (folder / "f40.txt").write_text("letter number 40 added later")
    result, fake = _run(folder, tmp_path, settings, regroup=True)
    assert "placed" not in result.stats and fake.calls.count("answer") == 1
    # another criterion is never placed into this one's groups
    result, fake = _run(folder, tmp_path, Settings(criterion="which month", k=3))
    assert "placed" not in result.stats and fake.calls.count("answer") == 41
