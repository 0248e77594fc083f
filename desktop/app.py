"""``corral gui``: start the desktop app."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from .config import GuiState
from .jobs import Job
from .main_window import MainWindow
from .theme import apply_theme
from .thumbs import ThumbnailLoader

ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "corral.svg"


def app_icon() -> QIcon:
    try:
        from importlib.resources import files

        path = files("corral.resources").joinpath("icons/corral.svg")
        return QIcon(str(path))
    except (ModuleNotFoundError, FileNotFoundError):
        return QIcon(str(ICON))


def make_app(argv: list[str]) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(["corral", *argv])
    app.setApplicationName("Corral")
    app.setDesktopFileName("corral")
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="corral gui", description="Start the Corral desktop app.")
    parser.add_argument("project", nargs="?", help="a project file to open")
    args, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = make_app(qt_args)
    state = GuiState.load()
    apply_theme(app, state.theme)
    window = MainWindow(state=state)
    window.show()
    if args.project:
        window.open_project(args.project)
    code = app.exec()
    Job.pool().waitForDone()  # a cancelled job stops at its next check
    ThumbnailLoader.pool().clear()  # pictures asked for but not started are not needed now
    ThumbnailLoader.pool().waitForDone()
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
