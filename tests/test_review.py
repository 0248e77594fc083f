"""Editing a run by hand (engine/review.py) on a project built without a model."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from corral.engine import review
from corral.engine.review import UNASSIGNED, ReviewError
from corral.engine.store import Project

DOCS = {
    "invoice_1.txt": "Invoice 101. Amount due 120 EUR.",
    "invoice_2.txt": "Invoice 102. Amount due 240 EUR.",
    "invoice_3.txt": "Invoice 103. Amount due 360 EUR.",
    "recipe_1.txt": "Recipe: mix flour and eggs, bake 20 minutes.",
    "recipe_2.txt": "Recipe: boil pasta, add tomato sauce.",
    "letter_1.txt": "Dear Anna, thank you for the lovely weekend.",
}


def build_project(tmp_path: Path, groups: dict[str, list[tuple[str, float]]]) -> tuple[Project, int]:
    """A project with one finished run: ``groups`` maps a name to (file, confidence) pairs."""
    project = Project.open(tmp_path / "p.corral")
    project.set_meta("root", str(tmp_path / "docs"))
    ids = {}
    for n, (path, text) in enumerate(DOCS.items()):
        content_hash = f"sha256:{n:064x}"
        project.put_extract(content_hash, text, "text", {})
        ids[path] = project.upsert_item(
            path=path, raw_path=path.encode(), kind="document", mime="text/plain", size=len(text),
            mtime=0.0, content_hash=content_hash, status="ok", reason="",
        )
    run_id = make_run(project, groups, ids)
    return project, run_id


def make_run(project: Project, groups: dict[str, list[tuple[str, float]]], ids: dict[str, int] | None = None) -> int:
    ids = ids or {item.path: item.id for item in project.items()}
    run_id = project.runs.new("what kind of document", len(groups), "test-model", {})
    project.results.save_groups(run_id, list(groups))
    for idx, members in enumerate(groups.values()):
        for path, conf in members:
            project.results.save_assignment(run_id, ids[path], idx, conf, conf < 0.45)
    project.results.update_group_sizes(run_id)
    project.runs.finish(run_id, "done", {})
    return run_id


def item_id(project: Project, path: str) -> int:
    item = project.item_by_path(path)
    assert item is not None
    return item.id


def placement(project: Project, run_id: int) -> dict[str, str]:
    return {m.path: g.name for g in project.results.groups(run_id) for m in g.members}


@pytest.fixture
def proj(tmp_path: Path):
    project, run_id = build_project(
        tmp_path,
        {
            "Invoices": [("invoice_1.txt", 0.9), ("invoice_2.txt", 0.8), ("letter_1.txt", 0.3)],
            "Recipes": [("recipe_1.txt", 0.95), ("recipe_2.txt", 0.7), ("invoice_3.txt", 0.4)],
        },
    )
    yield project, run_id
    project.close()


def test_summaries_and_members(proj):
    project, run_id = proj
    summaries = review.group_summaries(project, run_id)
    assert [(s.name, s.size, s.unsure) for s in summaries] == [("Invoices", 3, 1), ("Recipes", 3, 1)]
    assert summaries[0].mean_confidence == pytest.approx((0.9 + 0.8 + 0.3) / 3)
    members = review.members(project, run_id, 0)
    assert [m.path for m in members] == ["invoice_1.txt", "invoice_2.txt", "letter_1.txt"]
    letter = members[2]
    assert letter.unsure and letter.source == "model" and not letter.pinned
    assert letter.snippet == DOCS["letter_1.txt"]
    assert review.unassigned(project, run_id) == []


def test_rename_rejects_empty_and_duplicate_names(proj):
    project, run_id = proj
    assert review.rename_group(project, run_id, 0, "  Bills \n and invoices ") == "Bills and invoices"
    assert [g.name for g in project.results.groups(run_id)] == ["Bills and invoices", "Recipes"]
    with pytest.raises(ReviewError, match="already a group"):
        review.rename_group(project, run_id, 0, "recipes")
    with pytest.raises(ReviewError, match="needs a name"):
        review.rename_group(project, run_id, 1, "   ")
    with pytest.raises(ReviewError, match="no group number 7"):
        review.rename_group(project, run_id, 7, "Other")
    assert project.runs.get(run_id).edited is not None


def test_move_item_is_a_certain_user_decision(proj):
    project, run_id = proj
    letter = item_id(project, "letter_1.txt")
    review.move_item(project, run_id, letter, 1)
    assert placement(project, run_id)["letter_1.txt"] == "Recipes"
    moved = next(m for m in review.members(project, run_id, 1) if m.item_id == letter)
    assert (moved.source, moved.confidence, moved.unsure) == ("user", 1.0, False)
    assert [g.size for g in review.group_summaries(project, run_id)] == [2, 4]
    review.move_item(project, run_id, letter, UNASSIGNED)
    assert [m.path for m in review.unassigned(project, run_id)] == ["letter_1.txt"]
    with pytest.raises(ReviewError):
        review.move_item(project, run_id, 9999, 0)


def test_merge_moves_items_and_removes_the_group(proj):
    project, run_id = proj
    new = review.new_group(project, run_id, "Letters")
    review.move_item(project, run_id, item_id(project, "letter_1.txt"), new)
    moved = review.merge_groups(project, run_id, into=0, from_=[1, new])
    assert moved == 4
    groups = project.results.groups(run_id)
    assert [(g.name, g.size) for g in groups] == [("Invoices", 6)]
    with pytest.raises(ReviewError):
        review.merge_groups(project, run_id, into=0, from_=0)


def test_delete_group_unassigns_or_moves(proj):
    project, run_id = proj
    assert review.delete_group(project, run_id, 1) == 3
    assert {m.path for m in review.unassigned(project, run_id)} == {
        "recipe_1.txt", "recipe_2.txt", "invoice_3.txt"
    }
    kitchen = review.new_group(project, run_id, "Kitchen")
    assert review.delete_group(project, run_id, 0, move_to=kitchen) == 3
    assert [(g.name, g.size) for g in project.results.groups(run_id)] == [("Kitchen", 3)]


def test_pins_follow_edits_and_survive_a_new_run(proj):
    project, run_id = proj
    invoice3 = item_id(project, "invoice_3.txt")
    review.move_item(project, run_id, invoice3, 0)
    assert review.pin_item(project, run_id, invoice3) == "Invoices"
    review.rename_group(project, run_id, 0, "Bills")
    assert review.pins(project) == {invoice3: "Bills"}
    member = next(m for m in review.members(project, run_id, 0) if m.item_id == invoice3)
    assert member.pinned and member.source == "pinned"
    assert review.group_summaries(project, run_id)[0].pinned == 1

    # A new run puts the item elsewhere and has no "Bills" group: the pin wins and makes one.
    run2 = make_run(project, {"Money": [("invoice_1.txt", 0.9), ("invoice_2.txt", 0.9)],
                              "Food": [("recipe_1.txt", 0.9), ("recipe_2.txt", 0.9),
                                       ("invoice_3.txt", 0.9), ("letter_1.txt", 0.2)]})
    assert review.apply_pins(project, run2) == 1
    assert review.apply_pins(project, run2) == 1  # idempotent
    assert placement(project, run2)["invoice_3.txt"] == "Bills"
    assert [(s.name, s.size) for s in review.group_summaries(project, run2)] == [
        ("Money", 2), ("Food", 3), ("Bills", 1)
    ]
    # A run that has the group (other case) reuses it.
    run3 = make_run(project, {"bills": [("invoice_1.txt", 0.9)], "Rest": [("invoice_3.txt", 0.5)]})
    review.apply_pins(project, run3)
    assert placement(project, run3)["invoice_3.txt"] == "bills"
    assert len(project.results.groups(run3)) == 2

    review.unpin_item(project, run3, invoice3)
    assert review.pins(project) == {}
    review.move_item(project, run3, invoice3, UNASSIGNED)
    with pytest.raises(ReviewError, match="in a group"):
        review.pin_item(project, run3, invoice3)


def test_deleting_a_group_drops_its_pins(proj):
    project, run_id = proj
    recipe = item_id(project, "recipe_1.txt")
    review.pin_item(project, run_id, recipe)
    review.delete_group(project, run_id, 1)
    assert review.pins(project) == {}


def test_runs_compare_and_restore(proj):
    project, first = proj
    review.move_item(project, first, item_id(project, "letter_1.txt"), 1)
    second = make_run(project, {"Invoices": [("invoice_1.txt", 0.9), ("invoice_2.txt", 0.9),
                                             ("invoice_3.txt", 0.9)],
                                "Recipes": [("recipe_1.txt", 0.9), ("recipe_2.txt", 0.9)]})
    runs = review.list_runs(project)
    assert [r.id for r in runs] == [second, first]
    assert runs[1].edited and not runs[0].edited
    assert (runs[0].groups, runs[0].items) == (2, 5)
    assert "K=2" in runs[0].label

    changes = review.compare_runs(project, first, second)
    assert [(c.path, c.before, c.after) for c in changes] == [
        ("invoice_3.txt", "Recipes", "Invoices"),
        ("letter_1.txt", "Recipes", None),
    ]

    restored = review.restore_run(project, first)
    assert project.runs.latest().id == restored
    assert placement(project, restored) == placement(project, first)
    assert review.list_runs(project)[0].restored_from == first
    assert review.compare_runs(project, first, restored) == []


def test_running_runs_cannot_be_edited_or_restored(proj):
    project, _ = proj
    running = project.runs.new("c", None, "m", {})
    with pytest.raises(ReviewError, match="still running"):
        review.new_group(project, running, "X")
    with pytest.raises(ReviewError, match="no run"):
        review.restore_run(project, 999)


def test_pins_table_is_migrated(tmp_path: Path):
    Project.open(tmp_path / "empty.corral").close()
    db = sqlite_utils.Database(tmp_path / "empty.corral")
    assert db["pins"].columns_dict == {"item_id": int, "group_name": str, "created": float}
    db.close()


def test_preview_shows_what_the_stages_read_before_a_text_they_did_not_read_whole(proj):
    project, run_id = proj
    invoice, letter = item_id(project, "invoice_1.txt"), item_id(project, "letter_1.txt")
    project.results.save_assignment(run_id, invoice, 0, 0.9, False, description="An invoice.")
    project.results.save_assignment(run_id, letter, 0, 0.3, True,
                                    description="Dear Anna, thank you for the lovely weekend.")
    shown = {m.path: review.preview_text(project, m, max_chars=20)
             for m in review.members(project, run_id, 0)}
    assert shown["invoice_1.txt"] == "Read as: An invoice.\n\nInvoice 101. Amount \n\u2026"
    assert shown["invoice_2.txt"] == "Invoice 102. Amount \n\u2026"  # nothing else was read
    full = {m.path: review.preview_text(project, m) for m in review.members(project, run_id, 0)}
    assert full["letter_1.txt"] == DOCS["letter_1.txt"]  # the stages read the text itself
    picture = project.upsert_item(path="cat.jpg", raw_path=b"cat.jpg", kind="image", mime="image/jpeg",
                                  size=1, mtime=0.0, content_hash="sha256:cat", status="ok", reason="")
    project.results.save_assignment(run_id, picture, 1, 0.9, False, description="Looks like: cat.")
    (cat,) = [m for m in review.members(project, run_id, 1) if m.path == "cat.jpg"]
    assert review.preview_text(project, cat) == "Looks like: cat."


# -- issue 15: bugs found trying the review as a new user -----------------------------------


def test_moving_a_file_into_its_own_group_changes_nothing(proj):
    project, run_id = proj
    letter = item_id(project, "letter_1.txt")
    assert review.move_items(project, run_id, [letter], 0) == 0
    member = next(m for m in review.members(project, run_id, 0) if m.item_id == letter)
    assert (member.confidence, member.unsure, member.source) == (0.3, True, "model")
    assert project.runs.get(run_id).edited is None  # nothing was edited


def test_pin_then_unpin_gives_back_the_models_confidence(proj):
    project, run_id = proj
    letter = item_id(project, "letter_1.txt")
    review.pin_item(project, run_id, letter)
    pinned = next(m for m in review.members(project, run_id, 0) if m.item_id == letter)
    assert (pinned.confidence, pinned.source, pinned.pinned) == (1.0, "pinned", True)
    review.unpin_item(project, run_id, letter)
    member = next(m for m in review.members(project, run_id, 0) if m.item_id == letter)
    assert (member.confidence, member.unsure, member.source, member.pinned) == (0.3, True, "model", False)
    # A file moved by hand, pinned and unpinned stays the person's decision.
    recipe = item_id(project, "invoice_3.txt")
    review.move_item(project, run_id, recipe, 0)
    review.pin_item(project, run_id, recipe)
    review.unpin_item(project, run_id, recipe)
    member = next(m for m in review.members(project, run_id, 0) if m.item_id == recipe)
    assert (member.confidence, member.source) == (1.0, "user")


def test_compare_does_not_count_a_renamed_group_as_moves(proj):
    project, first = proj
    restored = review.restore_run(project, first)
    review.rename_group(project, restored, 0, "Paperwork")
    review.rename_group(project, restored, 1, "Cooking")
    assert review.compare_runs(project, first, restored) == []
    review.move_item(project, restored, item_id(project, "letter_1.txt"), 1)
    changes = review.compare_runs(project, first, restored)
    assert [(c.path, c.before, c.after) for c in changes] == [("letter_1.txt", "Invoices", "Cooking")]


def test_export_plan_names_the_files_in_no_group(proj, tmp_path):
    from corral.engine.export import plan_export

    project, run_id = proj
    review.delete_group(project, run_id, 1)
    plan = plan_export(project, run_id, tmp_path / "out", "copy")
    assert sorted(p for p, why in plan.skipped if why == "in no group") == [
        "invoice_3.txt", "recipe_1.txt", "recipe_2.txt"]


# -- undo and redo of hand edits ---------------------------------------------------------------


def test_every_hand_edit_can_be_undone_and_redone(proj):
    project, run_id = proj
    start = placement(project, run_id)
    conf = {m.path: (m.confidence, m.unsure, m.source) for m in review.members(project, run_id)}
    letter = item_id(project, "letter_1.txt")
    review.rename_group(project, run_id, 0, "Paperwork")
    review.move_item(project, run_id, letter, 1)
    review.pin_item(project, run_id, letter)
    letters = review.new_group(project, run_id, "Letters")
    review.move_item(project, run_id, letter, letters)
    review.merge_groups(project, run_id, 0, [letters])
    review.delete_group(project, run_id, 1)  # Recipes: its files to no group
    assert review.undo_name(project, run_id) == "Delete group \u201cRecipes\u201d"
    edited = placement(project, run_id)
    names = []
    while (name := review.undo(project, run_id)) is not None:
        names.append(name)
    assert names == [
        "Delete group \u201cRecipes\u201d",
        "Merge \u201cLetters\u201d into \u201cPaperwork\u201d",
        "Move \u201cletter_1.txt\u201d to \u201cLetters\u201d",
        "New group \u201cLetters\u201d",
        "Pin \u201cletter_1.txt\u201d",
        "Move \u201cletter_1.txt\u201d to \u201cRecipes\u201d",
        "Rename \u201cInvoices\u201d to \u201cPaperwork\u201d",
    ]
    assert placement(project, run_id) == start
    assert project.runs.get(run_id).edited is None  # every edit taken back: no ", edited"
    assert {m.path: (m.confidence, m.unsure, m.source) for m in review.members(project, run_id)} == conf
    assert review.pins(project) == {} and [g.name for g in review.group_summaries(project, run_id)] == [
        "Invoices", "Recipes"]
    assert review.redo_name(project, run_id) == "Rename \u201cInvoices\u201d to \u201cPaperwork\u201d"
    while review.redo(project, run_id) is not None:
        pass
    assert placement(project, run_id) == edited
    assert review.pins(project) == {letter: "Paperwork"} and project.runs.get(run_id).edited is not None


def test_a_new_edit_drops_the_redo_and_the_history_survives_reopening(proj, tmp_path):
    project, run_id = proj
    review.rename_group(project, run_id, 1, "Cooking")
    review.undo(project, run_id)
    review.new_group(project, run_id, "Letters")
    assert review.redo_name(project, run_id) is None
    assert review.move_items(project, run_id, [item_id(project, "recipe_1.txt")], 1) == 0
    assert review.undo_name(project, run_id) == "New group \u201cLetters\u201d"  # no empty entries
    project.close()
    with Project.open(tmp_path / "p.corral", create=False) as again:
        assert review.undo(again, run_id) == "New group \u201cLetters\u201d"
        assert [g.name for g in review.group_summaries(again, run_id)] == ["Invoices", "Recipes"]
        assert review.undo(again, run_id) is None


def test_find_across_groups_by_name_text_doubt_and_kind(proj):
    project, run_id = proj
    ids = {item.path: item.id for item in project.items()}

    def found(*args, **kw) -> list[str]:
        return sorted(p for p, i in ids.items() if i in review.find(project, run_id, *args, **kw))

    assert found("INVOICE") == ["invoice_1.txt", "invoice_2.txt", "invoice_3.txt"]  # the names
    assert found("pasta") == ["recipe_2.txt"]  # the text
    assert found(doubtful=True) == ["invoice_3.txt", "letter_1.txt"]
    assert found("letter", doubtful=True) == ["letter_1.txt"]
    assert found(kind="image") == [] and len(found(kind="document")) == 6
    page = project.upsert_item(path="scan.jpg", raw_path=b"scan.jpg", kind="document", mime="image/jpeg",
                               size=9, mtime=1.0, content_hash="sha256:" + "5" * 64, status="ok", reason="")
    ids["scan.jpg"] = page  # a picture read as a page: a document, and a picture
    assert found(kind="image") == ["scan.jpg"] and "scan.jpg" in found(kind="document")
    review.delete_group(project, run_id, 1)  # files in no group are found too
    assert found("pasta") == ["recipe_2.txt"]
    with pytest.raises(ReviewError):
        review.find(project, run_id, kind="video")
    assert review.find(project, run_id, "100%") == set()  # no wildcards


def test_an_edit_of_some_files_snapshots_only_their_rows(proj):
    """A move's undo record reads the moved files' rows (and the groups), not the whole run:
    at 20,000 files the whole-run snapshot took most of a move (docs/benchmarks.md)."""
    from corral.engine.store import history

    project, run_id = proj
    letter = item_id(project, "letter_1.txt")
    scoped = project.history.snapshot(run_id, [letter])
    assert list(scoped["assignments"]) == [letter] and len(scoped["groups"]) == 2
    assert len(project.history.snapshot(run_id)["assignments"]) == 6
    too_many = list(range(history.SCOPED_MAX + 1))
    assert len(project.history.snapshot(run_id, too_many)["assignments"]) == 6  # then the whole run
    review.move_item(project, run_id, letter, 1)
    assert review.undo(project, run_id) == "Move \u201cletter_1.txt\u201d to \u201cRecipes\u201d"
    assert [m.path for m in review.members(project, run_id, 0)][-1] == "letter_1.txt"
