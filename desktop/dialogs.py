"""Small questions to the person, behind one object so tests can answer them.

Every page asks through an :class:`Asker` instead of calling ``QInputDialog`` or
``QMessageBox`` itself; a test replaces the window's asker with scripted answers and so
drives the real action handlers.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

K_MAX = 30


class KChooser(QWidget):
    """A spin box for K with an "Automatic" check box (K is then None)."""

    def __init__(self, k: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spin = QSpinBox()
        self.spin.setAccessibleName("Number of groups")
        self.spin.setRange(1, K_MAX)
        self.spin.setToolTip("How many groups to make")
        self.auto = QCheckBox("Automatic")
        self.auto.setToolTip("Let the model choose how many groups there are")
        self.auto.toggled.connect(lambda on: self.spin.setEnabled(not on))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.spin)
        row.addWidget(self.auto)
        row.addStretch(1)
        self.set_k(k)

    def k(self) -> int | None:
        return None if self.auto.isChecked() else self.spin.value()

    def set_k(self, k: int | None) -> None:
        self.auto.setChecked(k is None)
        self.spin.setValue(k if k is not None else 5)
        self.spin.setEnabled(k is not None)


class RerunDialog(QDialog):
    """Edit the criterion and K before organizing the same folder again."""

    def __init__(self, criterion: str, k: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit criterion and re-run")
        self.criterion = QPlainTextEdit(criterion)
        self.criterion.setMaximumHeight(90)
        self.k_chooser = KChooser(k)
        form = QFormLayout()
        form.addRow("Group the files by:", self.criterion)
        form.addRow("Number of groups:", self.k_chooser)
        self.regroup = QCheckBox("Group everything again")
        self.regroup.setToolTip(
            "Unticked, files added or changed since the last run with the same criterion and "
            "number of groups join the groups you have (one model question each), and your "
            "edits stay. Ticked, all files are grouped anew, which can find new groups.")
        form.addRow("", self.regroup)
        note = QLabel(
            "Answers the model already gave for unchanged files and the same criterion are "
            "reused, so only the work that changed is redone. Pinned items keep their group."
        )
        note.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Re-run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def values(self) -> tuple[str, int | None, bool]:
        return self.criterion.toPlainText().strip(), self.k_chooser.k(), self.regroup.isChecked()


class Asker:
    """Modal questions with Qt's standard dialogs; each returns None when cancelled."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def text(self, title: str, label: str, default: str = "") -> str | None:
        value, ok = QInputDialog.getText(self.parent, title, label, text=default)
        return value if ok else None

    def choice(self, title: str, label: str, options: list[str], current: int = 0,
               editable: bool = False) -> int | None:
        """One of ``options`` (its index); ``current`` is the one offered first, so a
        destructive choice need not be the one Enter picks. ``editable``: the person may type
        the option (completed as they type; ignoring case)."""
        if not options:
            return None
        current = current if 0 <= current < len(options) else 0
        value, ok = QInputDialog.getItem(self.parent, title, label, options, current, editable)
        if not ok:
            return None
        folded = [o.casefold() for o in options]
        key = value.strip().casefold()
        return folded.index(key) if key in folded else None

    def confirm(self, title: str, text: str) -> bool:
        """Yes or No, with No as the default button: Enter never does the destructive thing."""
        answer = QMessageBox.question(
            self.parent, title, text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def inform(self, title: str, text: str, details: str = "") -> None:
        """A message; ``details`` (a long list) goes behind the box's *Show Details* button."""
        if not details:
            QMessageBox.information(self.parent, title, text)
            return
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, self.parent)
        box.setDetailedText(details)
        box.exec()

    def warn(self, title: str, text: str) -> None:
        QMessageBox.warning(self.parent, title, text)

    def open_file(self, title: str, start: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, start, filters)
        return path or None

    def save_file(self, title: str, start: str, filters: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, title, start, filters)
        return path or None

    def folder(self, title: str, start: str) -> str | None:
        path = QFileDialog.getExistingDirectory(self.parent, title, start)
        return path or None

    def rerun(self, criterion: str, k: int | None) -> tuple[str, int | None, bool] | None:
        dialog = RerunDialog(criterion, k, self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.values()


class SystemCheckDialog(QDialog):
    """Help > System check: the text of `corral doctor`, filled in when the check finishes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("System check")
        self.resize(760, 520)
        self.text = QPlainTextEdit("Checking llama.cpp, the models and this machine\u2026")
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

    def show_report(self, text: str) -> None:
        self.text.setPlainText(text)
