"""Settings dialog: which model, and how llama.cpp runs it, or the model server to use
instead. Saved to settings.json (never an API key)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from corral.models.catalog import CATALOG
from corral.models.store import ModelStore

from .config import AppSettings
from .dialogs import Asker
from .models_list import (
    fill_model_combo,
    install_advice,
    looks_installed,
    model_notes,
    select_model,
)

AUTO_LAYERS = -2  # the spin box's "Automatic" (settings.json: null)


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, asker: Asker, parent: QWidget | None = None,
                 store: ModelStore | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings, self.asker = settings, asker
        self.store = store or ModelStore()
        self.model_combo = QComboBox()
        fill_model_combo(self.model_combo, settings.model, self.store)
        browse = QPushButton("File\u2026")
        browse.setToolTip("Use any instruct model in GGUF format")
        browse.clicked.connect(self._choose_file)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(browse)
        self.threads = QSpinBox()
        self.threads.setRange(0, max(64, os.cpu_count() or 1))
        self.threads.setSpecialValueText("All cores")
        self.threads.setValue(settings.threads)
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(AUTO_LAYERS, 999)
        self.gpu_layers.setSpecialValueText("Automatic")
        self.gpu_layers.setValue(AUTO_LAYERS if settings.gpu_layers is None else settings.gpu_layers)
        self.gpu_layers.setToolTip(
            "Automatic: every layer on the GPU when llama.cpp was built with one and the model "
            "fits, else the CPU. 0: CPU only; -1: every layer; N: the first N layers.")
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(0, 131072)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setSpecialValueText("Model default")
        self.n_ctx.setSuffix(" tokens")
        self.n_ctx.setValue(settings.n_ctx)
        for widget, name in ((self.model_combo, "Language model"), (self.threads, "CPU threads"),
                             (self.gpu_layers, "GPU layers"), (self.n_ctx, "Context size")):
            widget.setAccessibleName(name)
        form = QFormLayout()
        form.addRow("Model:", model_row)
        form.addRow("CPU threads:", self.threads)
        form.addRow("GPU layers:", self.gpu_layers)
        form.addRow("Context size:", self.n_ctx)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self._model_changed()
        server_box = self._server_box(settings)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(server_box)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _server_box(self, settings: AppSettings) -> QGroupBox:
        """The model server: empty address = the model above runs on this computer."""
        self.server_url = QLineEdit(settings.server_url)
        self.server_url.setPlaceholderText("empty: run the model on this computer")
        self.server_url.setToolTip(
            "An OpenAI-compatible server you run: llama.cpp's llama-server, vLLM or "
            "llama-cpp-python's server, e.g. http://192.168.1.20:8080. Only this computer and "
            "private networks unless allowed below. An API key is read from "
            "CORRAL_SERVER_API_KEY or the OS keyring, never from here.")
        self.server_model = QLineEdit(settings.server_model)
        self.server_model.setPlaceholderText("the only model the server serves")
        self.server_concurrency = QSpinBox()
        self.server_concurrency.setRange(1, 64)
        self.server_concurrency.setValue(settings.server_concurrency)
        self.server_concurrency.setToolTip("Requests in flight; start llama-server with --parallel N to match.")
        self.allow_remote = QCheckBox("Allow a server outside this computer and the local network (https only)")
        self.allow_remote.setChecked(settings.allow_remote)
        for widget, name in ((self.server_url, "Model server address"),
                             (self.server_model, "Served model"),
                             (self.server_concurrency, "Requests in flight")):
            widget.setAccessibleName(name)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.server_url.textChanged.connect(self._show_where)
        self.model_combo.currentIndexChanged.connect(self._show_where)
        box = QGroupBox("Model server (optional)")
        form = QFormLayout(box)
        form.addRow("Address:", self.server_url)
        form.addRow("Served model:", self.server_model)
        form.addRow("Requests in flight:", self.server_concurrency)
        form.addRow(self.allow_remote)
        form.addRow(self.where)
        self._show_where()
        return box

    def _show_where(self) -> None:
        url = self.server_url.text().strip()
        if url:
            self.where.setText(f"The language model runs on the server {url}: the text Corral "
                               "reads from your files is sent there. The model above is not used.")
        else:
            model = str(self.model_combo.currentData() or "")
            spec = CATALOG.get(model)  # the title people know, not the catalog's key
            name = spec.title if spec is not None else Path(model).name
            self.where.setText(f"The language model ({name}) runs on this computer; nothing leaves it.")

    def _choose_file(self) -> None:
        path = self.asker.open_file("Model file", str(Path.home()), "GGUF models (*.gguf)")
        if path:
            select_model(self.model_combo, path)

    def set_model(self, model: str) -> None:
        select_model(self.model_combo, model)

    def _model_changed(self) -> None:
        spec = CATALOG.get(str(self.model_combo.currentData()))
        if spec is None:
            self.note.setText("A model file of your own: it must be an instruct model in GGUF format.")
        else:
            installed = looks_installed(self.store, spec)
            notes = model_notes(spec, installed)
            self.note.setText(f"{spec.title} ({spec.license}). {notes}\n"
                              f"{install_advice(spec, installed)}")

    def values(self) -> AppSettings:
        layers = self.gpu_layers.value()
        # Only the fields this dialog shows change; the photo options stay as they are.
        return replace(
            self.settings,
            model=str(self.model_combo.currentData()),
            threads=self.threads.value(),
            gpu_layers=None if layers == AUTO_LAYERS else layers,
            n_ctx=self.n_ctx.value(),
            server_url=self.server_url.text().strip(),
            server_model=self.server_model.text().strip(),
            server_concurrency=self.server_concurrency.value(),
            allow_remote=self.allow_remote.isChecked(),
        )

    def accept(self) -> None:
        chosen = self.values()
        try:
            chosen.save()
        except (ValueError, OSError) as exc:
            self.asker.warn("Settings", f"The settings could not be saved: {exc}")
            return
        for name in ("model", "threads", "gpu_layers", "n_ctx", "server_url", "server_model",
                     "server_concurrency", "allow_remote"):
            setattr(self.settings, name, getattr(chosen, name))
        super().accept()
