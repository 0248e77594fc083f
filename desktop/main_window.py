"""The main window: three pages (start, run, review), menus, shortcuts, and the one job.

The window wires things together and decides where to go next; the pages show, the session
holds the project, and every long piece of work runs as a :class:`~corral.desktop.jobs.Job`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QStackedWidget

from corral.engine.pipeline import RunResult
from corral.engine.request import RunRequest, build_request
from corral.engine.store import StoreError

from .config import AppSettings, GuiState
from .dialogs import Asker, SystemCheckDialog
from .export_dialog import ExportDialog
from .jobs import Job, explain
from .models_list import plain_model
from .pages.review import ReviewPage
from .pages.run import RunPage
from .pages.start import StartPage
from .session import ProjectSession
from .settings import SettingsDialog
from .tasks import OpenedProject, open_task, organize_task, system_check_task
from .theme import apply_theme

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    sig_run_finished = Signal(object)  # RunResult, once the review page shows it
    sig_run_failed = Signal(str)  # the message shown on the run page
    sig_run_cancelled = Signal()
    sig_project_opened = Signal(object)  # OpenedProject

    def __init__(
        self, settings: AppSettings | None = None, state: GuiState | None = None,
        asker: Asker | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or AppSettings.load()
        self.state = state or GuiState.load()
        self.asker = asker or Asker(self)
        self.session = ProjectSession()
        self.job: Job | None = None  # the run or project opening under way
        self.export_dialog: ExportDialog | None = None
        self.settings_dialog: SettingsDialog | None = None

        self.start_page = StartPage(self.settings, self.state, self.asker)
        self.run_page = RunPage()
        self.review_page = ReviewPage(self.session, self.asker)
        self.review_page.runs_bar.sig_k_requested.connect(self.rerun_with_k)
        self.stack = QStackedWidget()
        for page in (self.start_page, self.run_page, self.review_page):
            self.stack.addWidget(page)
        self.setCentralWidget(self.stack)

        self.start_page.sig_start_requested.connect(self.start_run)
        self.start_page.sig_open_requested.connect(self.open_project)
        self.run_page.sig_back_requested.connect(self._back_from_run)
        self.run_page.sig_settings_requested.connect(self.show_settings)
        self.review_page.sig_rerun_requested.connect(self.rerun)
        self.review_page.sig_export_requested.connect(self.show_export)
        self.session.sig_refused.connect(lambda why: self.asker.warn("Not possible", why))
        self.session.sig_edited.connect(
            lambda name: self.statusBar().showMessage(f"{name}. Ctrl+Z undoes it.", 8000))
        self.session.sig_opened.connect(self._update_title)
        self.session.sig_changed.connect(self._update_actions)
        self.review_page.groups.sig_group_chosen.connect(self._update_actions)
        self.stack.currentChanged.connect(self._update_actions)

        self.where_label = QLabel()  # where the language model runs: here, or on a server
        self.statusBar().addPermanentWidget(self.where_label)
        self._show_where()

        self._build_menus()
        self.resize(1180, 760)
        if self.state.geometry:
            self.restoreGeometry(QByteArray.fromBase64(self.state.geometry.encode()))
        self._update_title()
        self._update_actions()

    # -- menus ---------------------------------------------------------------------------
    def _action(self, menu_name: str, text: str, slot: object, shortcut: str | QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self._menus[menu_name].addAction(action)
        self.addAction(action)  # shortcuts work whichever page has focus
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self._menus = {name: bar.addMenu(title) for name, title in (
            ("file", "&File"), ("edit", "&Edit"), ("run", "&Run"), ("view", "&View"), ("help", "&Help"))}
        a = self._action
        self.act_new = a("file", "&New project\u2026", self.new_project, "Ctrl+N")
        self.act_open = a("file", "&Open project\u2026", self.start_page.choose_project_to_open, "Ctrl+O")
        self.act_export = a("file", "&Export\u2026", self.show_export, "Ctrl+E")
        self._menus["file"].addSeparator()
        self.act_settings = a("file", "&Settings\u2026", self.show_settings, "Ctrl+,")
        self._menus["file"].addSeparator()
        a("file", "&Quit", self.close, "Ctrl+Q")
        groups, members = self.review_page.groups, self.review_page.members
        self.act_undo = a("edit", "&Undo", self.undo, "Ctrl+Z")
        self.act_redo = a("edit", "&Redo", self.redo, "Ctrl+Shift+Z")
        self._menus["edit"].addSeparator()
        self.act_rename = a("edit", "&Rename group\u2026", groups.rename_group, "F2")
        self.act_merge = a("edit", "&Merge groups\u2026", groups.merge_groups, "Ctrl+M")
        self.act_new_group = a("edit", "New &group\u2026", groups.new_group, "Ctrl+G")
        self.act_delete = a("edit", "&Delete group\u2026", groups.delete_group)
        self._menus["edit"].addSeparator()
        self.act_find = a("edit", "&Find files\u2026", self.find_files, "Ctrl+F")
        self._menus["edit"].addSeparator()
        self.act_move = a("edit", "Move &files to\u2026", members.move_selected_ask, "Ctrl+Shift+M")
        self.act_pin = a("edit", "&Pin or unpin files", members.toggle_pin, "Ctrl+P")
        self._menus["edit"].addSeparator()
        self.act_open_file = a("edit", "&Open file", members.open_selected)  # also Enter, double-click
        self.act_show_in_folder = a("edit", "&Show in folder", members.show_in_folder, "Ctrl+Shift+R")
        self.act_rerun = a("run", "&Re-run with another criterion or K\u2026", self.rerun, "Ctrl+R")
        self.act_cancel = a("run", "&Cancel", self.run_page.cancel, "Esc")
        self.act_cancel.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        themes = QActionGroup(self)
        for name, text in (("system", "Follow the &system"), ("light", "&Light"), ("dark", "&Dark")):
            action = a("view", text, lambda _=False, n=name: self.set_theme(n))
            action.setCheckable(True)
            action.setChecked(name == self.state.theme)
            action.setData(name)
            themes.addAction(action)
        self.theme_actions = themes
        a("help", "&System check…", self.show_system_check)
        a("help", "&About Corral", self._about)

    def _update_actions(self, *_: object) -> None:
        reviewing = self.stack.currentWidget() is self.review_page and self.session.run_id is not None
        busy = self.job is not None and self.job.running
        for action in (self.act_new_group, self.act_move, self.act_pin, self.act_export, self.act_find,
                       self.act_open_file, self.act_show_in_folder):
            action.setEnabled(reviewing)
        undo = self.session.undo_name() if reviewing else None
        redo = self.session.redo_name() if reviewing else None
        self.act_undo.setEnabled(undo is not None)
        self.act_undo.setText(f"&Undo {undo.replace('&', '&&')}" if undo else "&Undo")
        self.act_redo.setEnabled(redo is not None)
        self.act_redo.setText(f"&Redo {redo.replace('&', '&&')}" if redo else "&Redo")
        group = reviewing and self.review_page.groups.group_chosen()
        for action in (self.act_rename, self.act_merge, self.act_delete):
            action.setEnabled(group)
        self.act_rerun.setEnabled(self.session.is_open and self.session.root is not None and not busy)
        self.act_cancel.setEnabled(busy)
        self.act_new.setEnabled(not busy)
        self.act_open.setEnabled(not busy)

    def find_files(self) -> None:
        """Edit > Find files (Ctrl+F): to the find field of the review page."""
        self.review_page.find_edit.setFocus()
        self.review_page.find_edit.selectAll()

    def undo(self) -> None:
        """Edit > Undo (Ctrl+Z): the shown run's last hand edit, also one made before the
        project was last closed."""
        name = self.session.undo()
        if name:
            self.statusBar().showMessage(f"Undone: {name}", 8000)

    def redo(self) -> None:
        name = self.session.redo()
        if name:
            self.statusBar().showMessage(f"Redone: {name}", 8000)

    def _show_where(self) -> None:
        where = self.settings.where()
        self.where_label.setText(f"Model: {where}")
        self.where_label.setToolTip(
            "The language model runs on this computer; nothing leaves it." if not self.settings.server_url
            else "Documents are sent to this model server for grouping (Settings to change).")

    def _update_title(self) -> None:
        root = self.session.root  # the project is named after its folder
        name = root.name if root is not None and root.name else (self.session.path.stem if self.session.path else "")
        self.setWindowTitle(f"{name} \u2013 Corral" if name else "Corral")

    def _about(self) -> None:
        self.asker.inform("About Corral", "Corral groups a folder's files by what you mean, with "
                          "language models that run on this computer, offline.")

    def set_theme(self, theme: str) -> None:
        self.state.theme = theme
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        for action in self.theme_actions.actions():
            action.setChecked(action.data() == theme)
        self.state.save()

    # -- pages ---------------------------------------------------------------------------
    def show_page(self, page: StartPage | RunPage | ReviewPage) -> None:
        self.stack.setCurrentWidget(page)

    def new_project(self) -> None:
        if self.job is None or not self.job.running:
            self.start_page.fill("", "", None)
            self.start_page.project_edit.clear()
            self.start_page.refresh()
            self.show_page(self.start_page)

    def _back_from_run(self) -> None:
        has_result = self.session.is_open and self.session.run_id is not None
        self.show_page(self.review_page if has_result else self.start_page)

    # -- running -------------------------------------------------------------------------
    def start_run(self, request: RunRequest) -> Job | None:
        if self.job is not None and self.job.running:
            self.asker.inform("Busy", "Corral is already working; wait for it or cancel it.")
            return None
        job = Job(organize_task, request, name="organize")
        self.job = job
        k = "automatic" if request.k is None else str(request.k)
        where = (f"model on the server {request.server.url}" if request.server is not None
                 else f"model {plain_model(Path(request.model).name)}")
        self.run_page.watch(job, f"{request.folder}\nGrouping by \u201c{request.criterion}\u201d, K {k}, {where}")
        job.sig_finished.connect(lambda result: self._run_finished(request, result))
        job.sig_failed.connect(self._run_failed)
        job.sig_cancelled.connect(self._run_cancelled)
        self.show_page(self.run_page)
        job.start()
        self._update_actions()
        return job

    def _run_finished(self, request: RunRequest, result: RunResult) -> None:
        path = request.project_path
        assert path is not None  # build_request names the project file
        self.state.add_recent(path)
        self.state.save()
        try:
            if self.session.path is not None and self.session.path.resolve() == path.resolve():
                self.session.refresh_runs()
            else:
                self.session.open(path, result.run_id)
        except StoreError as exc:
            self.run_page.show_error(explain(exc))
            self.sig_run_failed.emit(explain(exc))
            return
        self.show_page(self.review_page)
        self._update_actions()
        placed = result.stats.get("placed")
        if placed:
            self.statusBar().showMessage(
                f"{placed['new']} new or changed files joined the groups you had; "
                "Re-run (Ctrl+R) with \u201cGroup everything again\u201d groups them all anew.", 15000)
        if result.skipped:
            lines = "\n".join(f"{path}: {why}" for path, why in result.skipped[:30])
            self.statusBar().showMessage(f"{len(result.skipped)} files were not grouped.", 15000)
            log.info("Not grouped:\n%s", lines)
        self.sig_run_finished.emit(result)

    def _run_failed(self, message: str) -> None:
        self._update_actions()
        self.sig_run_failed.emit(message)

    def _run_cancelled(self) -> None:
        self._update_actions()
        self.sig_run_cancelled.emit()

    def rerun_with_k(self, k: int) -> Job | None:
        """The shown run's criterion again with ``k`` groups ("fewer / more groups" under an
        automatic K): the labels come from the cache, only the grouping and names are new."""
        run, root = self.session.run, self.session.root
        if run is None or root is None or self.session.path is None or (self.job is not None and self.job.running):
            return None
        request = build_request(root, run.criterion, k=k, project_path=self.session.path,
                                model=self.settings.model, runtime=self.settings.runtime(),
                                server=self.settings.server_options(), regroup=True)
        return self.start_run(request)

    def rerun(self) -> Job | None:
        run = self.session.run
        root = self.session.root
        if root is None or self.session.path is None:
            return None
        answer = self.asker.rerun(run.criterion if run else "", run.k if run else None)
        if answer is None:
            return None
        criterion, k, regroup = answer
        try:
            request = build_request(root, criterion, k=k, project_path=self.session.path,
                                    model=self.settings.model, runtime=self.settings.runtime(),
                                    server=self.settings.server_options(), regroup=regroup)
        except ValueError as exc:
            self.asker.warn("Run again", str(exc))
            return None
        return self.start_run(request)

    # -- opening -------------------------------------------------------------------------
    def open_project(self, path: str | Path) -> Job | None:
        if self.job is not None and self.job.running:
            return None
        job = Job(open_task, Path(path), name="open project")
        self.job = job
        job.sig_finished.connect(self._project_opened)
        job.sig_failed.connect(self._open_failed)
        self.statusBar().showMessage(f"Opening {path}\u2026")
        return job.start()

    def _project_opened(self, opened: OpenedProject) -> None:
        self.statusBar().clearMessage()
        try:
            self.session.open(opened.path, opened.run_id)
        except StoreError as exc:
            self._open_failed(explain(exc))
            return
        self.state.add_recent(opened.path)
        self.state.save()
        self.start_page.refresh()
        if opened.rolled_back:
            self.asker.inform("Interrupted export undone", "An export that was interrupted "
                              "(the computer stopped during it) has been rolled back.")
        if opened.run_id is not None:
            self.show_page(self.review_page)
        else:
            folder = opened.root or ""
            self.start_page.fill(folder, opened.criterion, opened.k, project=opened.path)
            self.show_page(self.start_page)
        self._update_actions()
        self.sig_project_opened.emit(opened)

    def _open_failed(self, message: str) -> None:
        self.statusBar().clearMessage()
        self.asker.warn("Cannot open the project", message)

    # -- dialogs -------------------------------------------------------------------------
    def show_export(self) -> ExportDialog | None:
        if self.session.run_id is None:
            return None
        self.export_dialog = ExportDialog(self.session, self.asker, self)
        self.export_dialog.open()
        return self.export_dialog

    def show_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.asker, self)
        dialog.accepted.connect(self.start_page.refresh)
        dialog.accepted.connect(self._show_where)
        self.settings_dialog = dialog
        dialog.open()
        return dialog

    def show_system_check(self) -> SystemCheckDialog:
        """`corral doctor` in a dialog; the check (it may hash models) runs as a job."""
        dialog = SystemCheckDialog(self)
        job = Job(system_check_task, self.settings.model, name="system check")
        job.sig_finished.connect(lambda report: dialog.show_report(report.text()))
        job.sig_failed.connect(dialog.show_report)
        self.system_check = (dialog, job.start())
        dialog.open()
        return dialog

    # -- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.job is not None and self.job.running:
            if not self.asker.confirm("Quit", "Corral is still working. Stop and quit? Finished work is kept."):
                event.ignore()
                return
            self.job.cancel()
        self.state.geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.state.save()
        self.session.close(emit=False)
        super().closeEvent(event)
