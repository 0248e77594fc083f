"""Issue 13: does the desktop app stay responsive with a 20,000-file project?

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/measure_gui.py N [WORKDIR]

N short text files are written, scanned for real and recorded as a finished run in 20
groups written directly (no model: what is measured is the app). Then the real main window
opens the project and the script times what a person does: open it, choose the biggest group
(N/20 members listed), type a search that matches a tenth of the files, clear it, and move
one file to another group (with its undo record). Prints each time (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from corral.engine.ingest import scan_folder  # noqa: E402
from corral.engine.store import Project  # noqa: E402

GROUPS = 20


def build(folder: Path, path: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"note_{i:05d}.txt").write_text(f"Note number {i}: topic {i % GROUPS}, some words\n")
    with Project.open(path) as project:
        project.set_meta("root", str(folder.resolve()))
        scan_folder(folder.resolve(), project)
        run_id = project.runs.new("which topic", GROUPS, "hand-made", {})
        project.results.save_groups(run_id, [f"Topic {g}" for g in range(GROUPS)])
        with project.transaction():
            for item in project.items():
                number = int(Path(item.path).stem.split("_")[1])
                project.results.save_assignment(run_id, item.id, number % GROUPS, 0.3 + (number % 7) / 10,
                                                (number % 7) < 2, description=f"Note number {number}")
        project.results.update_group_sizes(run_id)
        project.runs.finish(run_id, "done", {})


def main() -> None:
    n = int(sys.argv[1])
    work = Path(sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="corral-gui-"))
    shutil.rmtree(work, ignore_errors=True)
    os.environ["CORRAL_HOME"] = str(work / "home")
    started = time.perf_counter()
    build(work / "folder", work / "gui.corral", n)
    print(f"{n} files written, scanned and recorded in {time.perf_counter() - started:.1f} s", flush=True)

    from corral.desktop.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.resize(1400, 900)
    window.show()

    def until(condition, what: str, limit: float = 120.0) -> float:  # type: ignore[no-untyped-def]
        begun = time.perf_counter()
        while not condition():
            app.processEvents()
            if time.perf_counter() - begun > limit:
                raise SystemExit(f"{what}: not done in {limit:.0f} s")
        app.processEvents()
        return time.perf_counter() - begun

    opened: list[bool] = []
    window.sig_project_opened.connect(lambda *_: opened.append(True))
    begun = time.perf_counter()
    window.open_project(work / "gui.corral")
    until(lambda: opened, "open")
    print(f"open the project: {time.perf_counter() - begun:.2f} s", flush=True)
    page = window.review_page
    members = page.members
    for label, action in (
        ("choose a group", lambda: page.groups.select_row(0)),
        ("find a tenth of the files", lambda: page.find_edit.setText("number 1")),
        ("clear the search", lambda: page.find_edit.clear()),
    ):
        begun = time.perf_counter()
        action()
        app.processEvents()
        rows = members.view.model().rowCount()
        print(f"{label}: {time.perf_counter() - begun:.2f} s ({rows} rows listed)", flush=True)
    page.groups.select_row(0)
    app.processEvents()
    members.view.setCurrentIndex(members.view.model().index(0, 0))
    app.processEvents()
    if len(members.selected()) != 1:
        raise SystemExit("no file selected to move")
    before = window.session.groups[1].size
    profile = os.environ.get("CORRAL_PROFILE_MOVE")  # a file for cProfile's stats of the move
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    begun = time.perf_counter()
    members.move_selected(1)
    app.processEvents()
    if profile:
        profiler.disable()
        profiler.dump_stats(profile)
    moved = window.session.groups[1].size - before
    print(f"move one file to another group: {time.perf_counter() - begun:.2f} s ({moved} moved)", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    window.close()


if __name__ == "__main__":
    main()
