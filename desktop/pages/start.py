"""Start page: a new project (folder, criterion, K, model, project file) or an existing one."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from corral.engine.request import RunRequest, build_request
from corral.models.paths import default_project_path

from ..config import AppSettings, GuiState
from ..dialogs import Asker, KChooser
from ..models_list import fill_model_combo, select_model

EXAMPLE_CRITERION = "what kind of document this is (invoice, letter, recipe, ...)"
SAMPLE_CRITERION = "what kind of document is this"


def sample_folder() -> Path | None:
    """The sample folder shipped with Corral (18 documents of five kinds), if it is there."""
    try:
        from importlib.resources import files

        path = Path(str(files("corral.resources").joinpath("samples/documents")))
    except (ModuleNotFoundError, TypeError):
        return None
    return path if path.is_dir() else None


class StartPage(QWidget):
    sig_start_requested = Signal(object)  # RunRequest
    sig_open_requested = Signal(str)  # a project file

    def __init__(self, settings: AppSettings, state: GuiState, asker: Asker) -> None:
        super().__init__()
        self.settings, self.state, self.asker = settings, state, asker
        self._project_chosen = False  # True once the person picked the project file

        title = QLabel("<h2>Organize a folder</h2>")
        intro = QLabel(
            "Corral reads the documents in a folder and groups them by what you write below, "
            "with a language model that runs on this computer. Nothing leaves it."
        )
        intro.setWordWrap(True)

        self.folder_edit = QLineEdit()
        self.folder_edit.setAccessibleName("Folder to organize")
        self.folder_edit.setPlaceholderText("The folder to organize")
        self.folder_edit.editingFinished.connect(self._folder_changed)
        browse = QPushButton("Choose\u2026")
        browse.clicked.connect(self._choose_folder)
        self.criterion_edit = QPlainTextEdit()
        self.criterion_edit.setAccessibleName("Criterion: how to group the files")
        self.criterion_edit.setPlaceholderText(f"For example: {EXAMPLE_CRITERION}")
        self.criterion_edit.setMaximumHeight(80)
        self.values_check = QCheckBox("The files rarely say it in words: find the criterion\u2019s values first")
        self.values_check.setToolTip(
            "For criteria about something other than what the files are about, such as what kind "
            "of document each one is: the model first lists the criterion's values from a sample of "
            "the files, then every file chooses one of them (IC|TC's criterion-first way). Measured "
            "on 60 household documents by kind: 70% right instead of 68% by default (on 300, where the "
            "documents' form leads by default, 95%, not measured this way). Where the criterion is what "
            "the files are about it does worse (198 MASSIVE requests by topic: 42% instead of 53%), "
            "so it is off by default.")
        self.k_chooser = KChooser(None)
        self.sample_check = QCheckBox("Faster: the model reads")
        self.sample_check.setToolTip(
            "For big folders: the model reads this many representative files and the rest join "
            "the group of their nearest neighbours among them. Where the neighbours do not agree "
            "with the groups, the model reads every file after all.")
        self.sample_spin = QSpinBox()
        self.sample_spin.setRange(50, 5000)
        self.sample_spin.setSingleStep(50)
        self.sample_spin.setValue(500)
        self.sample_spin.setAccessibleName("Files the model reads")
        self.sample_spin.setEnabled(False)
        self.sample_check.toggled.connect(self.sample_spin.setEnabled)
        # the faster mode samples the free labels; with values first every file chooses
        self.values_check.toggled.connect(lambda on: self.sample_check.setEnabled(not on))
        self.model_combo = QComboBox()
        self.model_combo.setAccessibleName("Model")
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        model_file = QPushButton("File\u2026")
        model_file.setToolTip("Use a .gguf model file")
        model_file.clicked.connect(self._choose_model_file)
        self.project_edit = QLineEdit()
        self.project_edit.setAccessibleName("Project file")
        self.project_edit.setPlaceholderText("Chosen from the folder")
        self.project_edit.textEdited.connect(lambda _: setattr(self, "_project_chosen", True))
        change = QPushButton("Change\u2026")
        change.clicked.connect(self._choose_project_file)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.hide()
        self.start_button = QPushButton("Organize")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.request_start)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow("Folder:", _row(self.folder_edit, browse))
        form.addRow("Group the files by:", self.criterion_edit)
        form.addRow("", self.values_check)
        form.addRow("Number of groups:", self.k_chooser)
        form.addRow("Big folders:", _row(self.sample_check, self.sample_spin, QLabel("files"), stretch=True))
        form.addRow("Model:", _row(self.model_combo, model_file, stretch=True))
        form.addRow("Project file:", _row(self.project_edit, change))
        new_box = QGroupBox("New project")
        new_layout = QVBoxLayout(new_box)
        tips = QLabel(
            "<p><b>Tips</b></p><ul>"
            "<li>Write the criterion as you would to a person: <i>by client</i>, "
            "<i>which project it belongs to</i>, <i>personal or work</i>.</li>"
            "<li>Leave the number of groups on <i>Automatic</i> when you do not know it.</li>"
            "<li>Your files are only read. They are copied or moved only when you export, "
            "and an export can be undone.</li>"
            "<li>A second run over the same folder reuses every answer it can, so it is "
            "much faster.</li></ul>"
        )
        tips.setWordWrap(True)
        tips.setTextFormat(Qt.TextFormat.RichText)
        new_layout.addLayout(form)
        new_layout.addWidget(self.error_label)
        new_layout.addWidget(self.start_button, alignment=Qt.AlignmentFlag.AlignRight)
        new_layout.addSpacing(8)
        new_layout.addWidget(tips)
        new_layout.addStretch(1)

        self.recent_list = QListWidget()
        self.recent_list.setAccessibleName("Recent projects")
        self.recent_list.itemActivated.connect(
            lambda item: self.sig_open_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        open_button = QPushButton("Open project file\u2026")
        open_button.clicked.connect(self.choose_project_to_open)
        open_box = QGroupBox("Recent projects")
        open_layout = QVBoxLayout(open_box)
        open_layout.addWidget(self.recent_list)
        open_layout.addWidget(open_button, alignment=Qt.AlignmentFlag.AlignRight)

        columns = QHBoxLayout()
        columns.addWidget(new_box, 3)
        columns.addWidget(open_box, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self._welcome_box())
        layout.addLayout(columns, 1)
        self.refresh()

    def _welcome_box(self) -> QGroupBox:
        """Shown until the first project: what the criterion is, and the sample folder."""
        self.welcome = QGroupBox("Welcome")
        text = QLabel(
            "Choose a folder and say in plain words how its files should be grouped: that "
            "sentence is the <b>criterion</b>, the question each group answers (<i>what kind of "
            "document is this</i>, <i>which trip</i>, <i>which client</i>). The same folder can "
            "be grouped again by another criterion. Then check the groups, fix what is wrong "
            "(every change can be undone) and export them as folders.<br>To see how it works "
            "first, try the sample folder: 18 documents of five kinds.")
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        self.sample_button = QPushButton("Try the sample folder")
        self.sample_button.setToolTip("Fill in the sample folder and a criterion for it")
        self.sample_button.clicked.connect(self.use_sample)
        self.sample_button.setEnabled(sample_folder() is not None)
        row = QHBoxLayout(self.welcome)
        row.addWidget(text, 1)
        row.addWidget(self.sample_button, alignment=Qt.AlignmentFlag.AlignBottom)
        return self.welcome

    def use_sample(self) -> None:
        folder = sample_folder()
        if folder is not None:
            self.fill(folder, SAMPLE_CRITERION, 5)
            self.criterion_edit.setFocus()

    # -- state ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reread the model choice and the recent projects."""
        fill_model_combo(self.model_combo, self.settings.model)
        self.recent_list.clear()
        for path in self.state.existing_recent():
            item = QListWidgetItem(f"{Path(path).stem}    \u2014 {path}")
            item.setData(Qt.ItemDataRole.UserRole, path)
            item.setToolTip(path)
            self.recent_list.addItem(item)
        self.welcome.setVisible(not self.recent_list.count())  # the first run
        if not self.recent_list.count():
            placeholder = QListWidgetItem("No projects yet.")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent_list.addItem(placeholder)

    def fill(
        self, folder: str | Path, criterion: str, k: int | None, model: str | None = None,
        project: str | Path | None = None,
    ) -> None:
        """Fill the form (as a person would); used when reopening and by tests."""
        self.folder_edit.setText(str(folder))
        self.criterion_edit.setPlainText(criterion)
        self.k_chooser.set_k(k)
        if model:
            select_model(self.model_combo, model)
        self._project_chosen = project is not None
        if project is not None:
            self.project_edit.setText(str(project))
        self._folder_changed()
        self.project_edit.setCursorPosition(0)
        self.folder_edit.setCursorPosition(0)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    # -- actions -------------------------------------------------------------------------
    def _folder_changed(self) -> None:
        text = self.folder_edit.text().strip()
        if text and not self._project_chosen:
            self.project_edit.setText(str(default_project_path(Path(text))))
            self.project_edit.setCursorPosition(0)

    def _choose_folder(self) -> None:
        path = self.asker.folder("Folder to organize", self.folder_edit.text() or str(Path.home()))
        if path:
            self.folder_edit.setText(path)
            self._folder_changed()

    def _choose_model_file(self) -> None:
        path = self.asker.open_file("Model file", str(Path.home()), "GGUF models (*.gguf)")
        if path:
            select_model(self.model_combo, path)

    def _choose_project_file(self) -> None:
        start = self.project_edit.text() or str(Path.home() / "project.corral")
        path = self.asker.save_file("Project file", start, "Corral projects (*.corral)")
        if path:
            self.project_edit.setText(path if path.endswith(".corral") else path + ".corral")
            self._project_chosen = True

    def choose_project_to_open(self) -> None:
        path = self.asker.open_file("Open project", str(Path.home()), "Corral projects (*.corral)")
        if path:
            self.sig_open_requested.emit(path)

    def request_start(self) -> None:
        request = self.build_request()
        if request is not None:
            self.sig_start_requested.emit(request)

    def build_request(self) -> RunRequest | None:
        """The run the form describes, or None after showing what is missing."""
        folder_text = self.folder_edit.text().strip()
        folder = Path(folder_text).expanduser() if folder_text else None
        criterion = " ".join(self.criterion_edit.toPlainText().split())
        if folder is None or not folder.is_dir():
            self.show_error("Choose a folder that exists." if folder else "Choose a folder first.")
            return None
        if not criterion:
            self.show_error(f"Say in a few words how to group the files, e.g. \u201c{EXAMPLE_CRITERION}\u201d.")
            return None
        model = str(self.model_combo.currentData() or self.settings.model)
        if model != self.settings.model:
            self.settings.model = model
            self.settings.save()
        try:
            request = build_request(
                folder, criterion, k=self.k_chooser.k(),
                project_path=self.project_edit.text().strip() or None,
                model=model, runtime=self.settings.runtime(),
                server=self.settings.server_options(),
                llm_sample=(self.sample_spin.value() if self.sample_check.isChecked()
                            and not self.values_check.isChecked() else None),
                steer="values" if self.values_check.isChecked() else None,
            )
        except ValueError as exc:  # e.g. a vision model without its projector in settings.json
            self.show_error(str(exc))
            return None
        self.show_error("")
        return request


def _row(*widgets: QWidget, stretch: bool = False) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for n, widget in enumerate(widgets):
        row.addWidget(widget, 1 if n == 0 and not stretch else 0)
    if stretch:
        row.addStretch(1)
    return box
