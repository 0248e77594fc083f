"""A real mouse drag in the review grid, run by ``tests/test_gui.py`` in a child process.

``python -m tests.gui_drag PROJECT FILE GROUP`` opens PROJECT in the app, presses the mouse
on FILE in the review grid, moves it onto GROUP in the groups list and releases it there,
then prints what happened as JSON and exits (status 0 when the drag ran its course).

Why a child process: the ``offscreen`` platform the other GUI tests use cannot drag (its
``QDrag.exec`` returns at once, dropping nothing). Qt's ``minimal`` platform has Qt's own
in-process drag, which follows the mouse events QTest sends, so here the grid's own drag
detection and ``startDrag``, Qt's drag loop, and the groups list's ``dropEvent`` all run as
they do for a person. Nothing is faked; the parent test checks the project file afterwards.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "minimal"

from PySide6.QtCore import QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QDrag  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from corral.desktop.jobs import Job  # noqa: E402
from corral.desktop.main_window import MainWindow  # noqa: E402
from corral.desktop.review_models import MembersModel  # noqa: E402
from corral.desktop.thumbs import ThumbnailLoader  # noqa: E402

LEFT, NO_KEYS = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier


def wait(app: QApplication, done: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:  # type: ignore[operator]
        app.processEvents()
        time.sleep(0.01)
    return bool(done())  # type: ignore[operator]


def main(project: str, file: str, group: str) -> int:
    app = QApplication(["corral-drag-test"])
    window = MainWindow()
    window.resize(1200, 800)
    window.show()
    window.open_project(Path(project))
    report: dict[str, object] = {"platform": app.platformName(), "steps": []}
    steps: list[str] = report["steps"]  # type: ignore[assignment]
    try:
        page = window.review_page
        if not wait(app, lambda: page.groups.model.rowCount() > 0, 30):
            raise SystemExit("the project did not open")
        page.groups.select_row(0)
        grid, groups = page.members.grid, page.groups.view
        report["grid_shown"] = page.members.stack.currentWidget() is grid
        rows = [page.members.proxy.index(r, MembersModel.PICTURE_COL) for r in range(page.members.proxy.rowCount())]
        source = next(i for i in rows if i.data(Qt.ItemDataRole.UserRole).path == file)
        start = grid.visualRect(source).center()
        target_row = next(r for r in range(page.groups.model.rowCount())
                          if page.groups.model.index(r, 0).data() == group)
        target = groups.visualRect(page.groups.model.index(target_row, 0)).center()
        changed: list[bool] = []
        window.session.sig_changed.connect(lambda: changed.append(True))

        def drive(tries: int = 0) -> None:
            """Runs inside Qt's drag loop: over the group, then let go."""
            if not grid.findChildren(QDrag):  # the drag has not started yet
                if tries < 300:
                    QTimer.singleShot(10, lambda: drive(tries + 1))
                return
            steps.append("drag started")
            QTest.mouseMove(groups.viewport(), target - QPoint(5, 0))
            QTest.mouseMove(groups.viewport(), target)
            steps.append("over the group")
            QTest.mouseRelease(groups.viewport(), LEFT, NO_KEYS, target)
            steps.append("released")

        QTest.mousePress(grid.viewport(), LEFT, NO_KEYS, start)
        QTimer.singleShot(0, drive)
        QTest.mouseMove(grid.viewport(), start + QPoint(8, 8))
        QTest.mouseMove(grid.viewport(), start + QPoint(30, 30))  # past the drag distance
        steps.append("drag returned")
        report["moved"] = wait(app, lambda: bool(changed), 10)
        report["now_in"] = [m.path for m in window.session.members_of(
            page.groups.model.group_at(target_row).idx)]
    finally:
        Job.pool().waitForDone(30_000)
        ThumbnailLoader.pool().waitForDone(30_000)
        window.session.close(emit=False)
        print(json.dumps(report))
    return 0 if report.get("moved") else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
