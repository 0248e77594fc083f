"""The desktop app, driven the way a person would, on real folders and a real (tiny) model.

Questions the app asks (names, choices, confirmations) are answered by a scripted asker, so
the real action handlers run. Long work is awaited by wrapping the action that starts it in
``qtbot.waitSignal``. Only two tests load the model: the full flow (one real run, then
cached re-runs) and cancelling a run.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import (
    QContextMenuEvent,
    QDrag,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
)
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QListView, QStyle

from corral.desktop.config import AppSettings, GuiState
from corral.desktop.jobs import Job, explain
from corral.desktop.main_window import MainWindow
from corral.desktop.review_models import MembersModel
from corral.desktop.thumbs import ThumbnailLoader
from corral.engine import review
from corral.engine.ingest import scan_folder
from corral.engine.jobs import Cancelled, CancelToken, ProgressCallback, ProgressEvent
from corral.engine.store import Project
from corral.engine.thumbnails import thumbnail_path
from corral.models.errors import ModelError
from tests.conftest import REPO

CRITERION = "what kind of document is this"
INVOICES = [
    "Invoice number 101. Amount due: 120 EUR for consulting services. Pay within 30 days.",
    "Invoice number 102. Amount due: 240 EUR for web hosting. Bank transfer to IBAN below.",
    "Invoice number 103. Amount due: 360 EUR for office chairs. VAT included.",
    "Invoice number 104. Amount due: 480 EUR for translation work. Thank you for your business.",
]
RECIPES = [
    "Recipe: mix flour, sugar and eggs, then bake the cake in the oven for 25 minutes.",
    "Recipe: boil the pasta, fry garlic in olive oil, add tomatoes and basil.",
    "Recipe: whisk eggs with milk, pour into a hot pan and fold the omelette.",
    "Recipe: slice apples, add cinnamon, cover with dough and bake the pie.",
]
RUN_TIMEOUT_MS = 300_000  # one real run of the tiny model on a busy 2-core machine


def make_docs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, text in enumerate(INVOICES, 1):
        (folder / f"invoice_{n}.txt").write_text(text, encoding="utf-8")
    for n, text in enumerate(RECIPES, 1):
        (folder / f"recipe_{n}.txt").write_text(text, encoding="utf-8")
    return folder


class ScriptedAsker:
    """Answers the app's questions from a list; fails the test on an unexpected question."""

    def __init__(self) -> None:
        self.answers: list[Any] = []
        self.asked: list[tuple[str, str]] = []
        self.messages: list[tuple[str, str]] = []

    def _next(self, kind: str, title: str) -> Any:
        self.asked.append((kind, title))
        if not self.answers:
            raise AssertionError(f"Unexpected question: {kind} {title!r}")
        return self.answers.pop(0)

    def text(self, title: str, label: str, default: str = "") -> str | None:
        return self._next("text", title)

    def choice(self, title: str, label: str, options: list[str], current: int = 0,
               editable: bool = False) -> int | None:
        self.offered = options[current]
        return self._next("choice", title)

    def confirm(self, title: str, text: str) -> bool:
        return bool(self._next("confirm", title))

    def rerun(self, criterion: str, k: int | None) -> tuple[str, int | None] | None:
        return self._next("rerun", criterion)

    def open_file(self, title: str, start: str, filters: str) -> str | None:
        return self._next("open_file", title)

    def save_file(self, title: str, start: str, filters: str) -> str | None:
        return self._next("save_file", title)

    def folder(self, title: str, start: str) -> str | None:
        return self._next("folder", title)

    def inform(self, title: str, text: str, details: str = "") -> None:
        self.messages.append((title, text))
        self.details = details

    def warn(self, title: str, text: str) -> None:
        self.messages.append((title, text))


@pytest.fixture
def asker() -> ScriptedAsker:
    return ScriptedAsker()


@pytest.fixture
def window(qtbot, asker: ScriptedAsker) -> Iterator[MainWindow]:
    win = MainWindow(asker=asker)  # type: ignore[arg-type]
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.job is not None and win.job.running:
        win.job.cancel()
    assert Job.pool().waitForDone(60_000)
    assert ThumbnailLoader.pool().waitForDone(60_000)
    win.session.close(emit=False)


def built_project(tmp_path: Path, arrange=None) -> Path:  # type: ignore[no-untyped-def]
    """A real folder scanned into a real project, with a run written by hand (no model).
    ``arrange(docs)`` may move the documents around before the scan."""
    docs = make_docs(tmp_path / "docs")
    if arrange is not None:
        arrange(docs)
    path = tmp_path / "docs.corral"
    with Project.open(path) as project:
        project.set_meta("root", str(docs))
        scan_folder(docs, project)
        run_id = project.runs.new(CRITERION, 2, "hand-made", {})
        project.results.save_groups(run_id, ["Invoices", "Recipes"])
        for n, item in enumerate(project.items()):
            idx = 0 if Path(item.path).name.startswith("invoice") else 1
            project.results.save_assignment(run_id, item.id, idx, 0.3 + 0.08 * n, 0.3 + 0.08 * n < 0.45)
        project.results.update_group_sizes(run_id)
        project.runs.finish(run_id, "done", {})
    return path


PICTURES = {  # name: (size, colour, size of its grid thumbnail)
    "red_wide.png": ((400, 200), (220, 30, 30), (128, 64)),
    "blue_tall.jpg": ((150, 300), (30, 40, 210), (64, 128)),
    "green_tiny.png": ((40, 30), (20, 180, 60), (40, 30)),  # never enlarged
}


def built_picture_project(tmp_path: Path, extra_pictures: int = 0) -> Path:
    """Real pictures (made with Pillow) and two notes, grouped by hand: Pictures holds the
    pictures and one note, Notes the other note. ``extra_pictures`` adds small grey ones."""
    folder = tmp_path / "pics"
    folder.mkdir()
    for name, (size, colour, _) in PICTURES.items():
        Image.new("RGB", size, colour).save(folder / name)
    for n in range(extra_pictures):
        Image.new("RGB", (24, 24), (n % 256, 128, 128)).save(folder / f"grey_{n:04d}.png")
    (folder / "caption.txt").write_text("Captions for the holiday pictures.", encoding="utf-8")
    (folder / "shopping.txt").write_text("Milk, bread, eggs and coffee.", encoding="utf-8")
    path = tmp_path / "pics.corral"
    with Project.open(path) as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project)
        run_id = project.runs.new("what is this", 2, "hand-made", {})
        project.results.save_groups(run_id, ["Pictures", "Notes"])
        for item in project.items():
            idx = 1 if item.path == "shopping.txt" else 0
            seen = f"Looks like: {item.path.split('.')[0].replace('_', ' ')}." if item.kind == "image" else None
            project.results.save_assignment(run_id, item.id, idx, 0.9, False, description=seen)
        project.results.update_group_sizes(run_id)
        project.runs.finish(run_id, "done", {})
    return path


def placement(project_path: Path, run_id: int) -> dict[str, str]:
    with Project.open(project_path, create=False) as project:
        return {m.path: g.name for g in project.results.groups(run_id) for m in g.members}


# -- the job mechanism -----------------------------------------------------------------------


def chatty(n: int, *, progress: ProgressCallback, cancel: CancelToken) -> int:
    for i in range(n + 1):
        progress(ProgressEvent("assign", i, n))
    return threading.get_ident()


def test_job_runs_off_the_gui_thread_and_throttles_progress(qtbot):
    job = Job(chatty, 5000)
    events: list[ProgressEvent] = []
    job.sig_progress.connect(events.append)
    with qtbot.waitSignal(job.sig_finished, timeout=10_000) as blocker:
        job.start()
    assert blocker.args[0] != threading.get_ident()
    assert job.thread_id == blocker.args[0]
    qtbot.wait(50)  # progress signals queued before sig_finished are delivered by now
    assert 2 <= len(events) < 200  # throttled, yet the first and the last always arrive
    assert (events[0].done, events[-1].done) == (0, 5000)


def test_job_failures_arrive_in_plain_words(qtbot, caplog):
    def broken_model(*, progress: ProgressCallback, cancel: CancelToken) -> None:
        raise ModelError("Model file /x/y.gguf does not exist.")

    job = Job(broken_model)
    with qtbot.waitSignal(job.sig_failed, timeout=10_000) as blocker:
        job.start()
    message = blocker.args[0]
    assert message.startswith("Model file /x/y.gguf does not exist.")
    assert "Settings" in message

    def bug(*, progress: ProgressCallback, cancel: CancelToken) -> None:
        raise RuntimeError("boom")

    assert "Settings" in explain(KeyError("Unknown model 'qwen9'. Known models: a, b."))
    assert explain(KeyError("items")).startswith("Something unexpected")

    job = Job(bug, name="buggy")
    with caplog.at_level(logging.ERROR), qtbot.waitSignal(job.sig_failed, timeout=10_000) as blocker:
        job.start()
    assert "RuntimeError: boom" in blocker.args[0]
    assert "Job buggy failed" in caplog.text and "boom" in caplog.text  # logged with traceback


def test_job_cancel_stops_the_work(qtbot):
    steps: list[int] = []

    def slow(*, progress: ProgressCallback, cancel: CancelToken) -> None:
        for i in range(500):
            cancel.check()
            steps.append(i)
            time.sleep(0.01)

    job = Job(slow)
    with qtbot.waitSignal(job.sig_cancelled, timeout=10_000):
        job.start()
        qtbot.waitUntil(lambda: len(steps) > 3)
        job.cancel()
    assert len(steps) < 500 and not job.running
    with pytest.raises(Cancelled):
        job.token.check()


# -- settings and remembered state -------------------------------------------------------------


@pytest.mark.model
def test_settings_dialog_saves_and_is_used_for_the_model(qtbot, window, tiny_model_path):
    dialog = window.show_settings()
    dialog.set_model(str(tiny_model_path))
    dialog.threads.setValue(3)
    dialog.gpu_layers.setValue(0)
    dialog.n_ctx.setValue(2048)
    with qtbot.waitSignal(dialog.accepted):
        dialog.accept()
    saved = json.loads(AppSettings.path().read_text())
    assert saved == {"model": str(tiny_model_path), "threads": 3, "gpu_layers": 0, "n_ctx": 2048,
                     "vlm_model": "", "vlm_mmproj": "", "image_names": False, "ocr": True,
                     "server_url": "", "server_model": "", "server_concurrency": 4,
                     "allow_remote": False}
    loaded = AppSettings.load()
    assert loaded.runtime().n_threads == 3 and loaded.runtime().n_ctx == 2048
    # The start page now offers that model.
    assert window.start_page.model_combo.currentData() == str(tiny_model_path)
    # A catalog model with no context size set uses the catalog's.
    assert AppSettings(model="smollm2-135m").runtime().n_ctx == 2048


def test_theme_geometry_and_recent_projects_persist(qtbot, window, tmp_path):
    window.set_theme("dark")
    qtbot.wait(10)
    assert window.palette().window().color().lightness() < 100
    window.resize(780, 590)  # the offscreen screen is 800 x 600; the start page needs 583 px
    project = built_project(tmp_path)
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(project)
    window.close()
    state = GuiState.load()
    assert state.theme == "dark" and state.geometry
    assert state.recent == [str(project.resolve())]
    again = MainWindow()
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (780, 590)
    assert again.start_page.recent_list.item(0).data(Qt.ItemDataRole.UserRole) == str(project.resolve())
    assert [a.isChecked() for a in again.theme_actions.actions()] == [False, False, True]
    again.set_theme("system")


def test_shortcuts(window):
    keys = {a.text(): a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()}
    for text, key in (("&New project\u2026", "Ctrl+N"), ("&Open project\u2026", "Ctrl+O"),
                      ("&Rename group\u2026", "F2"), ("&Merge groups\u2026", "Ctrl+M"),
                      ("&Export\u2026", "Ctrl+E"), ("&Cancel", "Esc")):
        assert keys[text] == key
    assert keys["&Re-run with another criterion or K\u2026"] == "Ctrl+R"


# -- review and export on a hand-made run ------------------------------------------------------


def test_review_page_lists_doubtful_items_first(qtbot, window, asker, tmp_path):
    project = built_project(tmp_path)
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(project)
    page = window.review_page
    assert window.stack.currentWidget() is page
    names = [page.groups.model.index(r, 0).data() for r in range(page.groups.model.rowCount())]
    assert names == ["Invoices", "Recipes"]
    page.groups.select_row(0)
    first = page.members.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole)
    assert first.path == "invoice_1.txt" and first.unsure  # confidence 0.30, flagged
    assert page.members.proxy.index(0, 0).data() == "check"
    confs = [page.members.proxy.index(r, 1).data() for r in range(page.members.proxy.rowCount())]
    assert confs == sorted(confs)
    assert "invoice_1.txt" in page.preview.path.text()
    assert page.preview.text.toPlainText() == INVOICES[0]
    assert "unsure" in page.preview.meta.text()

    # Deleting a group with "no group" leaves its files listed as not in a group.
    page.groups.select_row(1)
    asker.answers = [0]
    window.act_delete.trigger()
    rows = [page.groups.model.index(r, 0).data() for r in range(page.groups.model.rowCount())]
    assert rows == ["Invoices", "Not in a group"]
    assert "4 not in a group" in page.summary.text()
    # ... and dragging one back into a group assigns it again.
    page.groups.select_row(1)
    mime = page.members.model.mimeData([page.members.model.index(0, 0)])
    target = page.groups.model.index(0, 0)
    with qtbot.waitSignal(window.session.sig_changed, timeout=5_000):
        assert page.groups.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, target)
    assert len(window.session.members_of(0)) == 5


# -- the review grid of pictures ----------------------------------------------------------------


def open_pictures(qtbot, window, tmp_path: Path, extra_pictures: int = 0) -> Path:
    project = built_picture_project(tmp_path, extra_pictures)
    window.resize(1200, 800)
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(project)
    return project


def grid_rows(page) -> dict[str, Any]:
    """{file name: proxy index in the grid's column}, in the order shown."""
    indexes = [page.members.proxy.index(r, MembersModel.PICTURE_COL) for r in range(page.members.proxy.rowCount())]
    return {i.data(Qt.ItemDataRole.UserRole).path: i for i in indexes}


def opaque_box(image: Any) -> tuple[int, int]:
    """Width and height of the part of ``image`` that is not transparent."""
    points = [(x, y) for y in range(image.height()) for x in range(image.width())
              if image.pixelColor(x, y).alpha() > 0]
    xs, ys = [x for x, _ in points], [y for _, y in points]
    return (max(xs) - min(xs) + 1, max(ys) - min(ys) + 1) if points else (0, 0)


def test_review_grid_shows_thumbnails_of_the_pictures(qtbot, window, asker, tmp_path, monkeypatch):
    made: list[tuple[int, str]] = []  # (thread, picture) of each thumbnail asked of the engine
    import corral.desktop.thumbs as thumbs

    def recording(content_hash: str, source: Path) -> Path:
        made.append((threading.get_ident(), Path(source).name))
        return thumbnail_path(content_hash, source)

    monkeypatch.setattr(thumbs, "thumbnail_path", recording)
    project = open_pictures(qtbot, window, tmp_path)
    page = window.review_page
    grid = page.members.grid
    page.groups.select_row(1)  # Notes: one note, no pictures -- the table, with snippets
    assert not page.members.grid_toggle.isChecked() and page.members.stack.currentWidget() is page.members.table
    assert page.members.proxy.index(0, 3).data() == "Milk, bread, eggs and coffee."
    page.groups.select_row(0)  # Pictures: three pictures and one note
    assert isinstance(grid, QListView) and grid.viewMode() == QListView.ViewMode.IconMode
    assert page.members.grid_toggle.isChecked() and page.members.stack.currentWidget() is grid
    assert grid.model() is page.members.proxy and grid.selectionModel() is page.members.table.selectionModel()

    # Painting the grid asks for the three pictures, which are made on a worker thread.
    loader = page.members.model.thumbs
    qtbot.waitUntil(lambda: all(loader.file(m.content_hash) for m in window.session.members_of(0)
                                if m.kind == "image"), timeout=20_000)
    assert {name for _, name in made} == set(PICTURES)  # not the note
    assert threading.get_ident() not in {thread for thread, _ in made}
    rows = grid_rows(page)
    assert sorted(rows) == ["blue_tall.jpg", "caption.txt", "green_tiny.png", "red_wide.png"]
    root = tmp_path / "pics"
    for name, (_, colour, size) in PICTURES.items():
        member = rows[name].data(Qt.ItemDataRole.UserRole)
        icon = rows[name].data(Qt.ItemDataRole.DecorationRole)
        assert isinstance(icon, QIcon) and not icon.isNull()
        picture = icon.pixmap(grid.iconSize()).toImage()  # as the grid draws it
        assert picture.size().toTuple() == (128, 128), name  # every icon the same square ...
        assert opaque_box(picture) == size, name  # ... with the picture, never enlarged, in it
        centre = picture.pixelColor(64, 64)
        assert all(abs(a - b) <= 12 for a, b in zip(centre.getRgb()[:3], colour, strict=True)), (name, centre)
        # ... from the engine's thumbnail cache, made from the real file.
        assert loader.file(member.content_hash) == thumbnail_path(member.content_hash, root / name)
    note = rows["caption.txt"].data(Qt.ItemDataRole.DecorationRole)
    assert isinstance(note, QIcon) and not note.isNull()  # a plain file icon
    file_icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
    assert note.pixmap(32).toImage() == file_icon.pixmap(32).toImage()
    assert page.members.proxy.index(0, 2).data(Qt.ItemDataRole.DecorationRole) is None  # not in the table

    # Clicking a picture selects it for the preview, which shows it larger.
    click = grid.visualRect(rows["red_wide.png"]).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=click)
    assert [m.path for m in page.members.selected()] == ["red_wide.png"]
    assert "red_wide.png" in page.preview.path.text()
    assert page.preview.image.isVisibleTo(page) and page.preview.image.pixmap().size().toTuple() == (256, 128)
    assert page.preview.text.toPlainText() == "Looks like: red wide."  # what the describers saw

    # The context menu of the grid moves it, like the table's.
    def choose_notes() -> None:
        menu = QApplication.activePopupWidget()
        move = next(a for a in menu.actions() if a.text() == "Move to").menu()
        next(a for a in move.actions() if a.text() == "Notes").trigger()
        menu.close()

    QTimer.singleShot(50, choose_notes)
    QApplication.sendEvent(grid.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, click, grid.viewport().mapToGlobal(click)))
    assert placement(project, window.session.run_id)["red_wide.png"] == "Notes"
    assert "red_wide.png" not in grid_rows(page)

    # Notes now holds a picture, so it opens as a grid; unticking shows the table, and stays.
    page.groups.select_row(1)
    assert page.members.grid_toggle.isChecked() and page.members.stack.currentWidget() is grid
    red = grid_rows(page)["red_wide.png"].data(Qt.ItemDataRole.DecorationRole)
    assert opaque_box(red.pixmap(128).toImage()) == (128, 64)
    page.members.grid_toggle.click()
    assert page.members.stack.currentWidget() is page.members.table
    page.groups.select_row(0)
    assert page.members.stack.currentWidget() is grid
    page.groups.select_row(1)
    assert not page.members.grid_toggle.isChecked() and page.members.stack.currentWidget() is page.members.table


def test_review_grid_makes_only_the_pictures_on_screen(qtbot, window, tmp_path):
    open_pictures(qtbot, window, tmp_path, extra_pictures=400)
    page = window.review_page
    page.groups.select_row(0)
    assert page.members.proxy.rowCount() == 404
    loader = page.members.model.thumbs
    qtbot.waitUntil(lambda: loader.requested > 0, timeout=10_000)
    qtbot.wait(200)
    assert loader.requested < 100  # only what the grid shows, not the 403 pictures


def test_dragging_a_picture_from_the_grid_onto_a_group(qtbot, window, tmp_path):
    """The mouse drag as far as the offscreen platform goes, then Qt's own drop events.

    Offscreen, ``QDrag.exec`` returns at once, so the drag that the grid starts itself (from
    a real press and move) is picked up and dropped on the groups list with the drop events
    Qt would send. The full drag under the mouse is the next test, in a child process.
    """
    project = open_pictures(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(0)
    grid, groups = page.members.grid, page.groups.view
    start = grid.visualRect(grid_rows(page)["green_tiny.png"]).center()
    qtbot.mousePress(grid.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(grid.viewport(), start + QPoint(8, 8))
    qtbot.mouseMove(grid.viewport(), start + QPoint(30, 30))
    drags = grid.findChildren(QDrag)
    assert len(drags) == 1, "the press and move did not start a drag"
    mime = drags[0].mimeData()
    qtbot.mouseRelease(grid.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(30, 30))
    target = QPointF(groups.visualRect(page.groups.model.index(1, 0)).center())
    move, left, none = Qt.DropAction.MoveAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for event in (QDragEnterEvent(target, move, mime, left, none),
                  QDragMoveEvent(target, move, mime, left, none)):
        QApplication.sendEvent(groups.viewport(), event)
        assert event.isAccepted()
    drop = QDropEvent(target, move, mime, left, none)
    with qtbot.waitSignal(window.session.sig_changed, timeout=5_000):
        QApplication.sendEvent(groups.viewport(), drop)
    assert drop.isAccepted()
    assert placement(project, window.session.run_id)["green_tiny.png"] == "Notes"


def test_a_real_mouse_drag_moves_a_picture_into_a_group(tmp_path):
    """Press, move and release on Qt's ``minimal`` platform, whose drag follows the mouse."""
    project = built_picture_project(tmp_path)
    before = placement(project, 1)
    assert before["blue_tall.jpg"] == "Pictures"
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui_drag", str(project), "blue_tall.jpg", "Notes"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
    assert done.returncode == 0, (report, done.stderr[-3000:])
    assert report["platform"] == "minimal" and report["grid_shown"]
    assert report["steps"] == ["drag started", "over the group", "released", "drag returned"]
    after = placement(project, 1)
    assert after["blue_tall.jpg"] == "Notes"
    assert {k: v for k, v in after.items() if k != "blue_tall.jpg"} == {
        k: v for k, v in before.items() if k != "blue_tall.jpg"}
    assert "blue_tall.jpg" in report["now_in"]


def test_export_preview_apply_and_undo(qtbot, window, asker, tmp_path):
    project = built_project(tmp_path)
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(project)
    dialog = window.show_export()
    assert dialog is not None
    dest = tmp_path / "out"
    dialog.dest_edit.setText(str(dest))
    dialog.set_mode("copy")
    with qtbot.waitSignal(dialog.sig_planned, timeout=20_000):
        dialog.preview_button.click()
    folders = {dialog.tree.topLevelItem(i).text(0): dialog.tree.topLevelItem(i).childCount()
               for i in range(dialog.tree.topLevelItemCount())}
    assert folders == {"Invoices/  (new)": 4, "Recipes/  (new)": 4}
    assert not dest.exists()  # a preview changes nothing
    with qtbot.waitSignal(dialog.sig_applied, timeout=20_000):
        dialog.apply_button.click()
    assert sorted(p.name for p in (dest / "Recipes").iterdir()) == [f"recipe_{n}.txt" for n in range(1, 5)]
    assert (dest / "Invoices" / "invoice_2.txt").read_text() == INVOICES[1]
    assert dialog.undo_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_undone, timeout=20_000):
        dialog.undo_button.click()
    assert not (dest / "Invoices" / "invoice_2.txt").exists()
    assert (tmp_path / "docs" / "invoice_2.txt").read_text() == INVOICES[1]  # originals untouched
    dialog.reject()


# -- issue 15: bugs found trying the app as a new user -------------------------------------------


def open_built(qtbot, window, tmp_path: Path) -> Path:
    project = built_project(tmp_path)
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(project)
    return project


def test_settings_gives_no_install_advice_for_an_installed_model(qtbot, window, tmp_path, monkeypatch):
    """Plain words (issue 15): Settings says an installed model is installed, without the
    catalog's pip advice ('Install with pip --no-deps.'); a model not installed still gets
    the commands that install it."""
    from corral.models.catalog import CATALOG

    store = tmp_path / "models"
    store.mkdir()
    tiny = CATALOG["smollm2-135m"]
    with open(store / tiny.filename, "wb") as fh:  # installed as far as the list can tell
        fh.truncate(tiny.size)
    monkeypatch.setenv("CORRAL_MODELS", str(store))
    assert "pip" in tiny.notes  # what must not be shown for it now
    window.settings.model = "smollm2-135m"
    dialog = window.show_settings()
    note = dialog.note.text()
    assert "Installed" in note and tiny.title in note
    assert "pip" not in note.lower() and "corral models install" not in note
    combo = dialog.model_combo
    tip = combo.itemData(combo.findData("smollm2-135m"), Qt.ItemDataRole.ToolTipRole)
    assert "pip" not in tip.lower() and "Tiny and weak" in tip
    dialog.set_model("qwen2.5-0.5b")  # not in this store
    note = dialog.note.text()
    assert "Not installed" in note and "pip install" in note
    assert "corral models install qwen2.5-0.5b" in note
    dialog.reject()


def test_saving_settings_keeps_the_photo_options(qtbot, window):
    photo = {"vlm_model": "/m/vlm.gguf", "vlm_mmproj": "/m/mmproj.gguf", "image_names": True, "ocr": False}
    AppSettings(**photo).save()
    window.settings = AppSettings.load()
    dialog = window.show_settings()
    dialog.threads.setValue(2)
    with qtbot.waitSignal(dialog.accepted):
        dialog.accept()
    saved = json.loads(AppSettings.path().read_text())
    assert {k: saved[k] for k in photo} == photo and saved["threads"] == 2


def test_runs_from_the_app_use_the_photo_options(window, tmp_path):
    AppSettings(vlm_model="/m/vlm.gguf", vlm_mmproj="/m/mmproj.gguf", image_names=True, ocr=False).save()
    window.start_page.fill(make_docs(tmp_path / "docs"), CRITERION, 2)
    request = window.start_page.build_request()
    assert request is not None
    chosen = request.settings
    assert (chosen.vlm_model, chosen.vlm_mmproj, chosen.image_names, chosen.ocr) == (
        "/m/vlm.gguf", "/m/mmproj.gguf", True, False)


def test_dropping_files_onto_their_own_group_is_refused(qtbot, window, tmp_path):
    project = open_built(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(0)
    member = page.members.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole)
    mime = page.members.model.mimeData([page.members.model.index(0, 0)])
    own = page.groups.model.index(0, 0)
    assert not page.groups.model.canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, own)
    assert not page.groups.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, own)
    qtbot.wait(20)
    with Project.open(project, create=False) as p:
        again = next(m for m in p.results.members(1, 0) if m.item_id == member.item_id)
        assert (again.confidence, again.source) == (member.confidence, "model")
        assert p.runs.get(1).edited is None
    other = page.groups.model.index(1, 0)
    assert page.groups.model.canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, other)


def test_pin_then_unpin_shows_the_models_confidence_again(qtbot, window, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(0)
    member = page.members.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole)
    page.members.select([member.item_id])
    window.act_pin.trigger()
    window.act_pin.trigger()
    page.members.select([member.item_id])
    again = page.members.selected()[0]
    assert (again.confidence, again.pinned, again.source) == (member.confidence, False, "model")
    assert "Moved here by you" not in page.preview.meta.text()


def test_the_run_bar_follows_edits(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    bar = window.review_page.runs_bar
    assert "2 groups, 8 files, done" in bar.combo.currentText()
    asker.answers = ["Letters"]
    window.act_new_group.trigger()
    assert "3 groups, 8 files, done, edited" in bar.combo.currentText()


def test_compare_names_only_real_moves_and_keeps_the_message_short(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    first = window.session.run_id
    window.session.restore_run(first)
    window.session.rename_group(0, "Paperwork")
    window.session.rename_group(1, "Cooking")
    asker.answers = [0]
    page.runs_bar.compare_button.click()
    assert asker.messages[-1][1].startswith("Every file is in the same group")
    # Every file to the other group: a short message, the whole list in the details.
    window.session.move_items([m.item_id for m in window.session.members_of(0)], 1)
    window.session.new_group("Empty")
    moved = [m.item_id for m in window.session.members_of(1)]
    window.session.move_items(moved, 2)
    asker.answers = [0]
    page.runs_bar.compare_button.click()
    title, text = asker.messages[-1]
    assert text.startswith("4 files are in another group") and text.count("\n") <= 12
    assert asker.details.splitlines() == [f"recipe_{n}.txt: Recipes \u2192 Empty" for n in range(1, 5)]


def test_export_lists_the_files_in_no_group(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(1)
    asker.answers = [0]  # Recipes: its files go to no group
    window.act_delete.trigger()
    dialog = window.show_export()
    dialog.dest_edit.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.sig_planned, timeout=20_000):
        dialog.preview_button.click()
    tops = [dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())]
    left_out = next(t for t in tops if t.text(0).startswith("Not exported"))
    assert left_out.childCount() == 4 and "no group" in left_out.child(0).text(0)
    assert "4 files" in dialog.status.text() and "4 files not exported" in dialog.status.text()
    dialog.reject()


def test_changing_the_export_choice_asks_for_a_new_preview(qtbot, window, tmp_path):
    open_built(qtbot, window, tmp_path)
    dialog = window.show_export()
    dialog.dest_edit.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.sig_planned, timeout=20_000):
        dialog.preview_button.click()
    assert dialog.apply_button.isEnabled() and dialog.tree.topLevelItemCount() == 2
    dialog.set_mode("move")
    assert not dialog.apply_button.isEnabled()
    assert dialog.tree.topLevelItemCount() == 0  # not the old choice's preview
    assert "press Preview" in dialog.status.text()
    dialog.reject()


def test_group_actions_on_the_files_in_no_group_are_off_or_explained(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(1)
    asker.answers = [0]
    window.act_delete.trigger()
    page.groups.select_row(page.groups.model.row_of(review.UNASSIGNED))
    assert not any(a.isEnabled() for a in (window.act_rename, window.act_merge, window.act_delete))
    assert not page.groups.rename_button.isEnabled() and not page.groups.delete_button.isEnabled()
    page.groups.rename_group()  # called anyway: says why
    assert "not a group" in asker.messages[-1][1]
    page.groups.select_row(0)
    assert window.act_rename.isEnabled() and page.groups.rename_button.isEnabled()


def test_run_page_shows_the_coherence_checks(window):
    window.run_page.show_progress(ProgressEvent("check", 2, 5))
    assert window.run_page.rows["check"].count.text() == "2 of 5"


def test_run_page_names_the_model_and_says_which_stages_are_not_needed(qtbot, window, tmp_path, monkeypatch):
    """The run page names the model as people know it, and a stage of the other method (or
    automatic K's checks when K is given) says 'not needed' as soon as a later stage starts,
    instead of 'waiting' for the whole run."""
    import corral.desktop.main_window as main_window

    def stopped(request, *, progress, cancel):
        raise Cancelled()

    monkeypatch.setattr(main_window, "organize_task", stopped)
    window.start_page.fill(make_docs(tmp_path / "docs"), CRITERION, 2, model="qwen2.5-1.5b")
    request = window.start_page.build_request()
    assert request is not None
    job = window.start_run(request)
    qtbot.waitUntil(lambda: not job.running, timeout=20_000)
    page = window.run_page
    assert "model Qwen2.5-Coder-1.5B-Instruct Q4_K_M" in page.detail.text()
    for stage, done, total in (("scan", 8, 8), ("describe", 8, 8), ("propose", 4, 8)):
        page.show_progress(ProgressEvent(stage, done, total))
    assert page.rows["merge"].count.text() == "waiting"  # could still come
    page.show_progress(ProgressEvent("cluster", 1, 1))
    assert page.rows["merge"].count.text() == "not needed"
    assert page.rows["check"].count.text() == "waiting"
    page.show_progress(ProgressEvent("name", 1, 2))
    assert page.rows["check"].count.text() == "not needed"
    assert page.rows["name"].count.text() == "1 of 2"
    assert page.rows["propose"].count.text() == "4 of 8"  # a stage that ran keeps its count
    # a stage without a row of its own (the vocabulary's) is named in the status line
    page.show_progress(ProgressEvent("judge", 3, 40))
    assert page.status.text() == "Weigh each file's two answers: 3 of 40"


# -- undo and redo ------------------------------------------------------------------------------


def test_undo_and_redo_hand_edits_with_the_keyboard(qtbot, window, asker, tmp_path):
    project = open_built(qtbot, window, tmp_path)
    page = window.review_page
    window.activateWindow()
    assert not window.act_undo.isEnabled() and window.act_undo.text() == "&Undo"
    page.groups.select_row(0)
    asker.answers = ["Paperwork"]
    window.act_rename.trigger()
    page.groups.select_row(0)
    invoice = page.members.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole)
    mime = page.members.model.mimeData([page.members.model.index(0, 0)])
    with qtbot.waitSignal(window.session.sig_changed, timeout=5_000):
        page.groups.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, page.groups.model.index(1, 0))
    assert window.act_undo.text() == "&Undo Move \u201cinvoice_1.txt\u201d to \u201cRecipes\u201d"
    page.members.table.setFocus()
    qtbot.keyClick(page.members.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert placement(project, 1)["invoice_1.txt"] == "Paperwork"
    assert "Undone: Move" in window.statusBar().currentMessage()
    assert window.act_undo.text() == "&Undo Rename \u201cInvoices\u201d to \u201cPaperwork\u201d"
    assert window.act_redo.text() == "&Redo Move \u201cinvoice_1.txt\u201d to \u201cRecipes\u201d"
    again = next(m for m in window.session.members_of(0) if m.item_id == invoice.item_id)
    assert (again.confidence, again.source) == (invoice.confidence, "model")
    qtbot.keyClick(page.members.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [g.name for g in window.session.groups] == ["Invoices", "Recipes"]
    assert not window.act_undo.isEnabled()
    qtbot.keyClick(page.members.table, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert [g.name for g in window.session.groups] == ["Paperwork", "Recipes"]
    # The history is in the project: after closing and opening it, Undo still knows the rename.
    window.session.close()
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(project)
    assert window.act_undo.text() == "&Undo Rename \u201cInvoices\u201d to \u201cPaperwork\u201d"
    window.act_undo.trigger()
    assert [g.name for g in window.session.groups] == ["Invoices", "Recipes"]


def test_destructive_questions_do_not_preselect_the_destructive_answer(qtbot, window, asker, tmp_path):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    from corral.desktop.dialogs import Asker

    real = Asker(window)
    seen: list[str] = []

    def press_enter() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.defaultButton().text())
        elif isinstance(box, QInputDialog):
            seen.append(box.textValue())
        qtbot.keyClick(box, Qt.Key.Key_Return)

    QTimer.singleShot(100, press_enter)
    assert real.confirm("Move files", "Move 8 files out of the folder?") is False
    QTimer.singleShot(100, press_enter)
    assert real.choice("Delete group", "Its files go to:", ["No group", "Move them to \u201cA\u201d"], current=1) == 1
    assert seen == ["&No", "Move them to \u201cA\u201d"]
    # Deleting a group offers moving its files on first, not leaving them out of the export.
    open_built(qtbot, window, tmp_path)
    window.review_page.groups.select_row(1)
    asker.answers = [None]
    window.act_delete.trigger()
    assert asker.offered == "Move them to \u201cInvoices\u201d"


# -- find and filter -----------------------------------------------------------------------------


def group_rows(page) -> list[tuple[str, str]]:
    model = page.groups.model
    return [(model.index(r, 0).data(), model.index(r, 1).data()) for r in range(model.rowCount())]


def test_find_and_filter_across_groups(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    qtbot.keyClick(page.members.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.find_edit.hasFocus()
    qtbot.keyClicks(page.find_edit, "oven")  # in the text of one recipe only
    assert group_rows(page) == [("Recipes", "1 of 4")]
    shown = [page.members.proxy.index(r, 2).data() for r in range(page.members.proxy.rowCount())]
    assert shown == ["recipe_1.txt"] and "recipe_1.txt" in page.preview.path.text()
    assert "1 file matches, in 1 group" in page.summary.text()
    page.find_edit.clear()
    qtbot.keyClicks(page.find_edit, "_2")  # file names
    assert group_rows(page) == [("Invoices", "1 of 4"), ("Recipes", "1 of 4")]
    page.find_edit.clear()
    page.doubtful_only.click()  # below 0.45: invoice_1 (0.30) and invoice_2 (0.38)
    assert group_rows(page) == [("Invoices", "2 of 4")]
    page.kind_combo.setCurrentIndex(page.kind_combo.findData("image"))
    assert group_rows(page) == [] and "0 files match" in page.summary.text()
    page.clear_filter()
    assert group_rows(page) == [("Invoices", "4"), ("Recipes", "4")]
    # An edit made while filtering keeps the filter.
    page.find_edit.setText("invoice")
    page.groups.select_row(0)
    page.members.select([page.members.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole).item_id])
    page.members.move_selected(1)
    assert group_rows(page) == [("Invoices", "3 of 3"), ("Recipes", "1 of 5")]


def test_open_a_file_and_show_it_in_its_folder(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    opened: list[str] = []
    page.members.opener = lambda url: opened.append(url.toLocalFile()) or True
    page.groups.select_row(1)
    table = page.members.table
    first = page.members.proxy.index(0, 2)
    name = first.data()
    at = table.visualRect(first).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=at)  # a double-click's first press
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert opened == [str(tmp_path / "docs" / name)]
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.keyClick(table, Qt.Key.Key_Return)
    second = page.members.proxy.index(1, 2).data()
    assert opened[-1] == str(tmp_path / "docs" / second)
    qtbot.keyClick(table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert opened[-1] == str(tmp_path / "docs")
    (tmp_path / "docs" / second).unlink()  # gone since the run: said, not opened
    window.act_open_file.trigger()
    assert asker.messages[-1][0] == "File not found" and len(opened) == 3


def test_keyboard_triage_with_number_keys(qtbot, window, asker, tmp_path):
    project = open_built(qtbot, window, tmp_path)
    page = window.review_page
    asker.answers = ["Letters"]
    window.act_new_group.trigger()
    assert "<b>3</b> Letters" in page.members.triage_hint.text()
    page.groups.select_row(0)  # Invoices, doubtful first: invoice_1 (0.30), invoice_2 (0.38), ...
    table = page.members.table
    table.setFocus()
    assert page.members.selected()[0].path == "invoice_1.txt"
    qtbot.keyClick(table, Qt.Key.Key_3)
    assert placement(project, 1)["invoice_1.txt"] == "Letters"
    assert [m.path for m in page.members.selected()] == ["invoice_2.txt"]  # the next doubtful one
    assert "invoice_2.txt" in page.preview.path.text()
    qtbot.keyClick(table, Qt.Key.Key_2, Qt.KeyboardModifier.KeypadModifier)
    assert placement(project, 1)["invoice_2.txt"] == "Recipes"
    assert [m.path for m in page.members.selected()] == ["invoice_3.txt"]  # none doubtful: the next
    qtbot.keyClick(table, Qt.Key.Key_1)  # its own group: refused, nothing moves
    assert asker.messages[-1][1].startswith("These files are already in")
    qtbot.keyClick(table, Qt.Key.Key_9)  # no ninth group: nothing
    assert placement(project, 1)["invoice_3.txt"] == "Invoices"
    window.act_undo.trigger()
    assert placement(project, 1)["invoice_2.txt"] == "Invoices"


def test_an_edit_says_what_it_did_and_keeps_the_place_in_the_list(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(1)  # Recipes: recipe_1 (0.62) .. recipe_4 (0.86)
    shown = [page.members.proxy.index(r, 2).data() for r in range(4)]
    page.members.select([page.members.proxy.index(1, 0).data(Qt.ItemDataRole.UserRole).item_id])
    page.members.move_selected(0)
    assert window.statusBar().currentMessage() == (
        f"Move \u201c{shown[1]}\u201d to \u201cInvoices\u201d. Ctrl+Z undoes it.")
    assert [m.path for m in page.members.selected()] == [shown[2]]  # its neighbour, not the first
    assert page.members.title.text().endswith("3 files")
    page.members.select([page.members.proxy.index(2, 0).data(Qt.ItemDataRole.UserRole).item_id])
    window.act_pin.trigger()  # an edit that keeps the file: it stays current
    assert [m.path for m in page.members.selected()] == [shown[3]]
    assert "Pin" in window.statusBar().currentMessage()


def test_confidence_is_explained_and_doubtful_files_are_marked(qtbot, window, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(0)
    proxy = page.members.proxy
    header = proxy.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert header.startswith("Confidence, from 0 to 1") and "share of the file's most similar" in header
    assert "mean confidence" in page.groups.model.headerData(2, Qt.Orientation.Horizontal,
                                                             Qt.ItemDataRole.ToolTipRole)
    doubtful, sure = proxy.index(0, MembersModel.PICTURE_COL), proxy.index(3, MembersModel.PICTURE_COL)
    assert doubtful.data() == "\u26a0 0.30 invoice_1.txt" and sure.data() == "0.54 invoice_4.txt"  # the grid
    assert doubtful.data(Qt.ItemDataRole.FontRole).bold() and sure.data(Qt.ItemDataRole.FontRole) is None
    assert "Confidence 0.30" in proxy.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert "unsure" in proxy.index(0, 2).data(Qt.ItemDataRole.ToolTipRole)


def test_an_empty_group_says_how_to_fill_it(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    asker.answers = ["Letters"]
    window.act_new_group.trigger()  # the new group is shown
    members = page.members
    assert members.stack.currentWidget() is members.empty
    assert "drag files here" in members.empty.text() and "press 3" in members.empty.text()
    page.groups.select_row(0)
    assert members.stack.currentWidget() is members.table


def test_plain_words_for_models_projects_and_counts(qtbot, window, tmp_path):
    from corral.desktop.models_list import plain_model

    assert plain_model("qwen2.5-1.5b:cc324af070c2ecbf") == "Qwen2.5-Coder-1.5B-Instruct Q4_K_M"
    assert plain_model("server:llama-3.1-8b:0a1b2c3d") == "llama-3.1-8b on a model server"
    assert plain_model("my-model.gguf:123456") == "my-model.gguf"
    project = built_project(tmp_path).rename(tmp_path / "docs-1a2b3c4d.corral")  # as the default path
    with Project.open(project, create=False) as p:
        run_id = p.runs.new(CRITERION, None, "qwen2.5-1.5b:cc324af070c2ecbf", {})
        p.results.save_groups(run_id, ["Everything"])
        p.results.save_assignment(run_id, p.items()[0].id, 0, 0.9, False)
        p.runs.finish(run_id, "done", {})
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(project)
    summary = window.review_page.summary.text()
    assert "model Qwen2.5-Coder-1.5B-Instruct Q4_K_M" in summary and "cc324af0" not in summary
    assert "1 file in 1 group, 7 not in a group" in summary
    assert window.windowTitle() == "docs \u2013 Corral"  # the folder's name, not the file's


def test_plain_words_in_the_status_bar_export_preview_and_group_tips(qtbot, window, asker, tmp_path):
    """The status bar names the model by its title (not 'qwen2.5-1.5b'); one file is '1 file'
    in the export preview's folders, the undo message and the groups' tooltips."""
    window.settings.model = "qwen2.5-1.5b"
    window._show_where()
    assert window.where_label.text() == "Model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M on this computer"
    project = open_built(qtbot, window, tmp_path)
    page = window.review_page
    recipes = next(g for g in window.session.groups if g.name == "Recipes")
    window.session.move_items(  # all but one go to Invoices
        [m.item.id for m in recipes.members if m.item.path != "recipe_4.txt"], 0)
    tips = {page.groups.model.index(r, 0).data(Qt.ItemDataRole.DisplayRole):
            page.groups.model.index(r, 0).data(Qt.ItemDataRole.ToolTipRole)
            for r in range(page.groups.model.rowCount())}
    assert tips["Recipes"].startswith("Recipes: 1 file, ")
    assert tips["Invoices"].startswith("Invoices: 7 files, ")
    dialog = window.show_export()
    dialog.dest_edit.setText(str(tmp_path / "out"))
    with qtbot.waitSignal(dialog.sig_planned, timeout=20_000):
        dialog.preview_button.click()
    sizes = {dialog.tree.topLevelItem(i).text(0): dialog.tree.topLevelItem(i).text(1)
             for i in range(dialog.tree.topLevelItemCount())}
    assert sizes == {"Invoices/  (new)": "7 files", "Recipes/  (new)": "1 file"}
    assert placement(project, 1)["recipe_4.txt"] == "Recipes"
    dialog.reject()


def test_export_says_what_it_did_and_remembers_where(qtbot, window, asker, tmp_path):
    open_built(qtbot, window, tmp_path)
    dialog = window.show_export()
    assert dialog.windowTitle() == f"Export run 1: \u201c{CRITERION}\u201d"
    dest = tmp_path / "sorted"
    dialog.dest_edit.setText(str(dest))
    with qtbot.waitSignal(dialog.sig_planned, timeout=20_000):
        dialog.preview_button.click()
    assert not dialog.open_folder_button.isVisible()
    with qtbot.waitSignal(dialog.sig_applied, timeout=20_000):
        dialog.apply_button.click()
    assert dialog.open_folder_button.isVisible()
    opened: list[str] = []
    dialog.opener = lambda url: opened.append(url.toLocalFile()) or True
    dialog.open_folder_button.click()
    assert opened == [str(dest)]
    dialog.reject()
    # The next export starts from there, and warns before adding a second export to it.
    again = window.show_export()
    assert again.dest_edit.text() == str(dest)
    with qtbot.waitSignal(again.sig_planned, timeout=20_000):
        again.preview_button.click()
    asker.answers = [False]
    assert again.apply() is None
    assert asker.asked[-1] == ("confirm", "Export again into the same folder")
    assert sorted(p.name for p in (dest / "Invoices").iterdir()) == [f"invoice_{n}.txt" for n in range(1, 5)]
    again.reject()


def test_export_keeps_subfolders_when_asked(qtbot, window, tmp_path):
    """The export dialog's Keep subfolders box: off, files go straight into their group's
    folder; ticked (with the mouse), a file keeps its subfolders below the organized folder,
    the preview shows them, and undo removes the folders it made."""
    def nest(docs: Path) -> None:
        (docs / "2024").mkdir()
        (docs / "invoice_3.txt").rename(docs / "2024" / "invoice_3.txt")
        (docs / "kitchen" / "italian").mkdir(parents=True)
        (docs / "recipe_1.txt").rename(docs / "kitchen" / "italian" / "recipe_1.txt")

    path = built_project(tmp_path, nest)
    docs = tmp_path / "docs"
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(path)
    dialog = window.show_export()
    dest = tmp_path / "out"
    dialog.dest_edit.setText(str(dest))
    box = dialog.keep_subfolders
    assert box.isVisible() and not box.isChecked() and box.accessibleName()

    def shown() -> dict[str, list[str]]:
        tops = [dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())]
        return {t.text(0): sorted(t.child(j).text(0) for j in range(t.childCount())) for t in tops}

    with qtbot.waitSignal(dialog.sig_planned, timeout=20_000):
        dialog.preview_button.click()
    assert "invoice_3.txt" in shown()["Invoices/  (new)"]  # flat by default
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))  # its tick box
    assert box.isChecked()
    assert not dialog.apply_button.isEnabled() and "press Preview" in dialog.status.text()
    with qtbot.waitSignal(dialog.sig_planned, timeout=20_000):
        dialog.preview_button.click()
    assert dialog.plan is not None and dialog.plan.keep_subfolders
    assert shown() == {
        "Invoices/  (new)": ["2024/invoice_3.txt", "invoice_1.txt", "invoice_2.txt", "invoice_4.txt"],
        "Recipes/  (new)": ["kitchen/italian/recipe_1.txt", "recipe_2.txt", "recipe_3.txt",
                            "recipe_4.txt"],
    }
    assert not dest.exists()
    with qtbot.waitSignal(dialog.sig_applied, timeout=20_000):
        dialog.apply_button.click()
    assert (dest / "Invoices" / "2024" / "invoice_3.txt").read_text() == INVOICES[2]
    assert (dest / "Recipes" / "kitchen" / "italian" / "recipe_1.txt").read_text() == RECIPES[0]
    assert (dest / "Recipes" / "recipe_2.txt").is_file()
    with qtbot.waitSignal(dialog.sig_undone, timeout=20_000):
        dialog.undo_button.click()
    assert not dest.exists()  # the subfolders it made are gone with the files
    assert (docs / "kitchen" / "italian" / "recipe_1.txt").read_text() == RECIPES[0]
    dialog.reject()


def test_space_shows_a_picture_large_and_arrows_step_through(qtbot, window, tmp_path):
    open_pictures(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(0)
    grid = page.members.grid
    rows = grid_rows(page)
    page.members.select([rows["red_wide.png"].data(Qt.ItemDataRole.UserRole).item_id])
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Space)
    look = page.members.quick_look
    assert look is not None and look.isVisible()
    assert look.stack.currentWidget() is look.image
    assert look.image.pixmap().size().toTuple() == (400, 200)  # full size: it fits the screen
    assert look.caption.text().startswith("red_wide.png")
    order = [page.members.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole).path
             for r in range(page.members.proxy.rowCount())]
    at = order.index("red_wide.png")
    step = 1 if at + 1 < len(order) else -1
    qtbot.keyClick(look, Qt.Key.Key_Right if step == 1 else Qt.Key.Key_Left)
    following = order[at + step]
    assert look.caption.text().startswith(following)
    assert [m.path for m in page.members.selected()] == [following]  # the selection follows
    if following.endswith(".txt"):
        assert look.stack.currentWidget() is look.text and "Captions" in look.text.toPlainText()
    qtbot.keyClick(look, Qt.Key.Key_Space)
    assert not look.isVisible()


def test_layout_at_1024x700_tab_between_panes_and_accessible_names(qtbot, window, tmp_path):
    from PySide6.QtWidgets import (
        QAbstractItemView,
        QComboBox,
        QHeaderView,
        QLineEdit,
        QPlainTextEdit,
        QSpinBox,
        QWidget,
    )

    open_built(qtbot, window, tmp_path)
    window.resize(1024, 700)
    qtbot.wait(20)
    assert window.size().toTuple() == (1024, 700)
    page = window.review_page
    groups = page.groups.view
    names = [page.groups.model.index(r, 0).data() for r in range(page.groups.model.rowCount())]
    width = max(groups.fontMetrics().horizontalAdvance(n) for n in names)
    assert groups.columnWidth(0) > width  # names are not cut
    assert sum(groups.columnWidth(c) for c in range(4)) <= groups.viewport().width()
    # Tab goes from the groups to the files to the preview, not from cell to cell.
    groups.setFocus()
    reached = []
    for _ in range(30):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        reached.append(QApplication.focusWidget())
        if reached[-1] is page.preview.text:
            break
    assert page.members.table in reached and reached[-1] is page.preview.text
    assert reached.index(page.members.table) < len(reached) - 1
    # Every field, list and choice of the app's pages and the export dialog has a name.
    dialog = window.show_export()
    for root in (window.start_page, window.run_page, page, dialog):
        kinds = (QAbstractItemView, QLineEdit, QComboBox, QPlainTextEdit, QSpinBox)
        for widget in (w for w in root.findChildren(QWidget) if isinstance(w, kinds)):
            inner = widget.objectName().startswith("qt_") or isinstance(widget, QHeaderView) or isinstance(
                widget.parent(), (QComboBox, QLineEdit)) or type(widget.parent()).__name__ == "QFrame"
            assert inner or widget.accessibleName(), (type(root).__name__, type(widget).__name__, widget.toolTip())
    dialog.reject()


def test_every_field_of_settings_has_an_accessible_name(qtbot, window):
    from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QSpinBox, QWidget

    dialog = window.show_settings()
    kinds = (QAbstractItemView, QLineEdit, QComboBox, QSpinBox)
    fields = [w for w in dialog.findChildren(QWidget) if isinstance(w, kinds)
              and not w.objectName().startswith("qt_") and not isinstance(w.parent(), (QComboBox, QSpinBox))
              and w.window() is dialog]  # not a combo box's own popup list
    assert len(fields) >= 7
    assert all(w.accessibleName() for w in fields), [type(w).__name__ for w in fields if not w.accessibleName()]
    dialog.reject()


def test_first_run_welcome_offers_the_sample_folder(qtbot, window, tmp_path):
    start = window.start_page
    assert start.welcome.isVisible() and "criterion" in start.welcome.findChild(QLabel).text()
    qtbot.mouseClick(start.sample_button, Qt.MouseButton.LeftButton)
    folder = Path(start.folder_edit.text())
    assert folder == REPO / "resources" / "samples" / "documents"
    assert len([p for p in folder.rglob("*") if p.is_file()]) == 18
    request = start.build_request()
    assert request is not None and request.criterion == "what kind of document is this" and request.k == 5
    window.state.add_recent(built_project(tmp_path))  # once there is a project, no welcome
    start.refresh()
    assert not start.welcome.isVisible()


def test_type_ahead_in_the_files_and_groups_lists(qtbot, window, tmp_path):
    open_built(qtbot, window, tmp_path)
    page = window.review_page
    page.groups.select_row(0)
    table = page.members.table
    table.setFocus()
    qtbot.keyClicks(table, "invoice_3")  # the 3 after letters is part of the name, not triage
    assert [m.path for m in page.members.selected()] == ["invoice_3.txt"]
    assert window.session.group_of_item(page.members.selected()[0].item_id) == 0
    page.members._typed_at = 0.0  # a pause: a new search
    qtbot.keyClicks(table, "i")  # the next one starting with "i"
    assert [m.path for m in page.members.selected()] == ["invoice_4.txt"]
    groups = page.groups.view
    groups.setFocus()
    qtbot.keyClicks(groups, "rec")  # Qt's own type-ahead: the group names are the first column
    assert page.groups.selected().name == "Recipes"


def test_triage_by_typing_a_group_name(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QInputDialog

    from corral.desktop.dialogs import Asker

    project = open_built(qtbot, window, tmp_path)
    window.asker = window.review_page.members.asker = Asker(window)  # the real dialog

    def type_recipes() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QInputDialog)
        combo = box.findChild(QComboBox)
        combo.lineEdit().selectAll()
        qtbot.keyClicks(combo.lineEdit(), "recipes")
        qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)

    page = window.review_page
    page.groups.select_row(0)
    page.members.table.setFocus()
    QTimer.singleShot(100, type_recipes)
    qtbot.keyClick(page.members.table, Qt.Key.Key_M,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert placement(project, 1)["invoice_1.txt"] == "Recipes"
    assert [m.path for m in page.members.selected()] == ["invoice_2.txt"]  # the next doubtful one


# -- real runs with the tiny model -------------------------------------------------------------


@pytest.mark.model
def test_run_review_edit_rerun_and_restore(qtbot, window, asker, tmp_path, tiny_model_path):
    docs = make_docs(tmp_path / "docs")
    project_path = tmp_path / "docs.corral"
    start = window.start_page
    start.fill(docs, CRITERION, 2, model=str(tiny_model_path), project=project_path)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(25)
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(start.start_button, Qt.MouseButton.LeftButton)
        assert window.stack.currentWidget() is window.run_page
    timer.stop()
    result = blocker.args[0]
    # The model ran on a worker thread while the GUI kept handling events.
    assert window.job is not None and window.job.thread_id not in (None, threading.get_ident())
    assert len(ticks) > 20
    assert window.run_page.rows["assign"].count.text() == "8 of 8"

    page = window.review_page
    assert window.stack.currentWidget() is page
    assert page.groups.model.rowCount() == 2  # K=2 and nothing left out
    groups = window.session.groups
    assert sum(g.size for g in groups) == 8
    shown = sorted(m.path for g in groups for m in window.session.members_of(g.idx))
    assert shown == sorted(p.name for p in docs.iterdir())
    with Project.open(project_path, create=False) as project:
        assert project.runs.get(result.run_id).status == "done"
        assert len(project.results.groups(result.run_id)) == 2

    # Rename the first group (F2).
    page.groups.select_row(0)
    asker.answers = ["Paperwork"]
    window.act_rename.trigger()
    assert page.groups.model.index(0, 0).data() == "Paperwork"
    assert [g.name for g in window.session.groups][0] == "Paperwork"

    # Move a file by drag and drop into the other group.
    big = max(groups, key=lambda g: g.size)
    small = next(g for g in groups if g.idx != big.idx)
    page.groups.select_row(page.groups.model.row_of(big.idx))
    moved = page.members.proxy.index(0, 0).data(Qt.ItemDataRole.UserRole)
    mime = page.members.proxy.mimeData([page.members.proxy.index(0, 0)])
    target = page.groups.model.index(page.groups.model.row_of(small.idx), 0)
    with qtbot.waitSignal(window.session.sig_changed, timeout=5_000):
        page.groups.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, target)
    small_name = window.session.group(small.idx).name
    assert placement(project_path, result.run_id)[moved.path] == small_name

    # Pin it there (Ctrl+P acts on the selected files).
    page.groups.select_row(page.groups.model.row_of(small.idx))
    page.members.select([moved.item_id])
    window.act_pin.trigger()
    with Project.open(project_path, create=False) as project:
        assert review.pins(project) == {moved.item_id: small_name}
    assert any(m.pinned for m in window.session.members_of(small.idx))

    # Re-run with the same criterion (Ctrl+R): every answer is cached, and the pin holds.
    asker.answers = [(CRITERION, 2, False)]
    with qtbot.waitSignal(window.sig_run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.act_rerun.trigger()
    second = blocker.args[0]
    assert second.run_id != result.run_id and not second.model_loaded
    assert placement(project_path, second.run_id)[moved.path] == small_name
    assert window.session.run_id == second.run_id
    assert page.runs_bar.combo.count() == 2

    # Merge every group (Ctrl+M) into the selected one. (The re-run may have one group more
    # than K: a pin brings back its group when the model named the groups differently.)
    while len(window.session.groups) > 1:
        before = len(window.session.groups)
        page.groups.select_row(0)
        asker.answers = [0]
        window.act_merge.trigger()
        assert len(window.session.groups) == before - 1
    assert window.session.item_count == 8 and page.groups.model.rowCount() == 1

    # Restore the first run: it becomes the newest, with its groups as they were.
    window.session.show_run(result.run_id)
    asker.answers = [True]
    page.runs_bar.restore_button.click()
    latest = window.session.run_id
    assert latest not in (result.run_id, second.run_id)
    assert placement(project_path, latest) == placement(project_path, result.run_id)
    assert page.runs_bar.combo.count() == 3


@pytest.mark.model
def test_cancel_a_run_keeps_the_window_usable(qtbot, window, tmp_path, tiny_model_path):
    docs = make_docs(tmp_path / "docs")
    project_path = tmp_path / "docs.corral"
    window.start_page.fill(docs, CRITERION, 2, model=str(tiny_model_path), project=project_path)
    stages: list[str] = []

    def cancel_in_propose(event: ProgressEvent) -> None:
        stages.append(event.stage)
        if event.stage == "propose":
            window.act_cancel.trigger()  # Esc

    with qtbot.waitSignal(window.sig_run_cancelled, timeout=RUN_TIMEOUT_MS):
        window.start_page.request_start()
        assert window.job is not None and window.job.running
        window.job.sig_progress.connect(cancel_in_propose)  # queued: no event is missed
    assert "propose" in stages and "assign" not in stages
    run_page = window.run_page
    assert "Cancelled" in run_page.title.text()
    assert run_page.back_button.isVisible() and not run_page.cancel_button.isVisible()
    with Project.open(project_path, create=False) as project:
        assert [r.status for r in project.runs.all()] == ["interrupted"]
    run_page.back_button.click()
    assert window.stack.currentWidget() is window.start_page
    assert window.act_new.isEnabled() and window.start_page.start_button.isEnabled()


def test_a_broken_model_is_reported_with_what_to_do(qtbot, window, tmp_path):
    docs = make_docs(tmp_path / "docs")
    fake = tmp_path / "broken.gguf"
    fake.write_bytes(b"not a model at all")
    window.start_page.fill(docs, CRITERION, 2, model=str(fake), project=tmp_path / "p.corral")
    with qtbot.waitSignal(window.sig_run_failed, timeout=30_000) as blocker:
        window.start_page.start_button.click()
    assert "is not a GGUF model file" in blocker.args[0] and "Settings" in blocker.args[0]
    assert "Settings" in window.run_page.status.text()
    assert window.run_page.settings_button.isVisible()
    window.run_page.back_button.click()
    assert window.stack.currentWidget() is window.start_page


def test_start_page_explains_what_is_missing(window, tmp_path):
    start = window.start_page
    start.fill(tmp_path / "nowhere", CRITERION, None)
    assert start.build_request() is None
    assert "folder that exists" in start.error_label.text()
    start.fill(make_docs(tmp_path / "docs"), "  ", None)
    assert start.build_request() is None and "few words" in start.error_label.text()
    start.fill(tmp_path / "docs", CRITERION, None, model="smollm2-135m")
    request = start.build_request()
    assert request is not None and request.k is None and request.model == "smollm2-135m"
    assert request.project_path.parent.name == "projects"  # the default location



def test_the_rerun_dialog_can_ask_to_group_everything_again(qtbot) -> None:  # type: ignore[no-untyped-def]
    from corral.desktop.dialogs import RerunDialog

    dialog = RerunDialog("which trip", 4)
    qtbot.addWidget(dialog)
    assert dialog.values() == ("which trip", 4, False)  # new files join the groups by default
    dialog.regroup.setChecked(True)
    assert dialog.values() == ("which trip", 4, True)


def test_an_automatic_k_says_how_it_was_chosen_and_offers_fewer_or_more_groups(qtbot, window, tmp_path, monkeypatch):
    path = built_project(tmp_path)
    with Project.open(path) as project:  # the same groups, as a run whose K was chosen automatically
        given = project.runs.latest()
        run_id = project.runs.new(CRITERION, None, "hand-made", {})
        project.results.save_groups(run_id, ["Invoices", "Recipes"])
        for member in project.results.members(given.id):
            project.results.save_assignment(run_id, member.item_id, member.group_idx, 0.9, False)
        project.results.update_group_sizes(run_id)
        project.runs.finish(run_id, "done", {
            "auto_k": {"k": 2, "concepts": 3, "k_labels": 3, "merged": 1},
            "text_check": {"sampled": 12, "ratio": 0.2, "text_carries": False, "text_weight": 0.5, "label_factor": 2.0},
            "answer_words": {"examples": ["invoice", "total"], "weight": 0.5}})
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(path)
    bar = window.review_page.runs_bar
    assert bar.how_k.text() == "2 groups chosen automatically: 3 label concepts gave 3, 1 joined"
    # the text check found that the files' text does not carry the criterion: said once, plainly
    assert bar.text_check.isVisibleTo(window)
    assert bar.text_check.text().startswith("The files' text does not carry the criterion (0.20 of")
    assert "with the words the answers single out (invoice, total, ...) beside the text, at weight 0.50" in bar.combo.toolTip()
    assert bar.k_row.isVisibleTo(window) and not bar.fewer_button.isEnabled()  # never below two
    started = []
    monkeypatch.setattr(window, "start_run", started.append)
    with qtbot.waitSignal(bar.sig_k_requested) as blocker:
        bar.more_button.click()
    assert blocker.args == [3]
    window.rerun_with_k(3)
    assert started[0].settings.k == 3 and started[0].regroup and started[0].criterion == CRITERION
    bar.combo.setCurrentIndex(bar.combo.findData(given.id))  # the run with K given: no such line
    bar.combo.activated.emit(bar.combo.currentIndex())
    assert not bar.k_row.isVisibleTo(window) and not bar.text_check.isVisibleTo(window)


def test_a_run_grouped_by_the_documents_form_or_with_unseen_pictures_says_so(qtbot, window, tmp_path):
    path = built_project(tmp_path)
    with Project.open(path) as project:
        given = project.runs.latest()
        run_id = project.runs.new(CRITERION, 2, "hand-made", {})
        project.results.save_groups(run_id, ["Invoices", "Recipes"])
        for member in project.results.members(given.id):
            project.results.save_assignment(run_id, member.item_id, member.group_idx, 0.9, False)
        project.results.update_group_sizes(run_id)
        project.runs.finish(run_id, "done", {"form": {
            "words": 400, "kept": 200, "examples": ["dear", "total", "date"], "agreement_text": 0.37,
            "agreement_form": 0.43, "leads": "form"},
            "images": {"pictures": {"described": 4, "content_unknown": 4}}})  # and nothing saw the pictures
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(path)
    bar = window.review_page.runs_bar
    assert bar.text_check.isVisibleTo(window)
    form, pictures = bar.text_check.text().split("\n")
    assert form.startswith("Grouped by the documents' form (words any topic uses: dear, total, date")
    assert pictures.startswith("Nothing said what the 4 pictures show") and "corral models install imagenet" in pictures
    assert "0.43 against 0.37" in bar.combo.toolTip()


def test_the_start_page_offers_the_faster_mode_for_big_folders(window, tmp_path):
    page = window.start_page
    page.fill(make_docs(tmp_path / "docs"), CRITERION, 2)
    assert not page.sample_spin.isEnabled()
    request = page.build_request()
    assert request is not None and request.settings.llm_sample == 0  # the model reads every file
    page.sample_check.setChecked(True)
    assert page.sample_spin.isEnabled()
    page.sample_spin.setValue(300)
    request = page.build_request()
    assert request is not None and request.settings.llm_sample == 300


def test_the_start_page_offers_the_criterions_values_first(window, tmp_path):
    page = window.start_page
    page.fill(make_docs(tmp_path / "docs"), "what kind of document is this", 2)
    request = page.build_request()
    assert request is not None and request.settings.steer == "labels"  # the default
    page.sample_check.setChecked(True)
    page.values_check.setChecked(True)
    assert not page.sample_check.isEnabled()  # the faster mode samples free labels only
    request = page.build_request()
    assert request is not None and request.settings.steer == "values" and request.settings.llm_sample == 0
    page.values_check.setChecked(False)
    assert page.sample_check.isEnabled() and page.build_request().settings.llm_sample == 500


def test_a_picture_read_as_a_page_is_shown_as_a_picture(qtbot, window, tmp_path):
    """A page's picture (a document to the grouping: engine/extract.read_page_picture) keeps
    its thumbnail in the grid and its picture in the preview, beside the text it was read as."""
    from tests.test_ingest import LETTER, page_picture

    folder = tmp_path / "papers"
    folder.mkdir()
    page_picture(LETTER).save(folder / "letter.jpg")
    (folder / "note.txt").write_text("Call the dentist on Monday.", encoding="utf-8")
    path = tmp_path / "papers.corral"
    with Project.open(path) as project:
        project.set_meta("root", str(folder))
        scan_folder(folder, project, read_page=lambda picture: (LETTER, 0.016))  # OCR's part is tested in test_ingest
        run_id = project.runs.new("what kind of document", 1, "hand-made", {})
        project.results.save_groups(run_id, ["Letters"])
        for item in project.items():
            text = project.get_extract(item.content_hash)["text"]
            project.results.save_assignment(run_id, item.id, 0, 0.9, False, description=" ".join(text.split()))
        project.results.update_group_sizes(run_id)
        project.runs.finish(run_id, "done", {})
        assert project.item_by_path("letter.jpg").kind == "document"
    window.resize(1200, 800)
    with qtbot.waitSignal(window.sig_project_opened, timeout=20_000):
        window.open_project(path)
    page = window.review_page
    page.groups.select_row(0)
    assert page.members.grid_toggle.isChecked() and page.members.stack.currentWidget() is page.members.grid
    loader = page.members.model.thumbs
    letter = next(m for m in window.session.members_of(0) if m.path == "letter.jpg")
    qtbot.waitUntil(lambda: loader.file(letter.content_hash) is not None, timeout=20_000)
    click = page.members.grid.visualRect(grid_rows(page)["letter.jpg"]).center()
    qtbot.mouseClick(page.members.grid.viewport(), Qt.MouseButton.LeftButton, pos=click)
    assert page.preview.image.isVisibleTo(page) and not page.preview.image.pixmap().isNull()
    assert page.preview.text.toPlainText().startswith("Riverside Dental Practice\n12 Mill Lane")  # its text
