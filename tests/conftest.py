"""Shared fixtures. Real models come from the model store that packaging/test.sh fills.

Tests never download anything: the store is ``$CORRAL_TEST_MODELS`` or ``.corral-home``
in the repository (where ``packaging/test.sh`` installs the test models), and every test
gets a fresh, empty ``CORRAL_HOME`` so it cannot touch the user's folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corral.models.catalog import get_spec
from corral.models.store import ModelStore

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
TEST_MODELS = Path(os.environ.get("CORRAL_TEST_MODELS", REPO / ".corral-home" / "data" / "models"))


@pytest.fixture(scope="session")
def _probe_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One probe verdict file for the session: the probe runs once per model, as it does once
    per installation for a person (models/probe.py), not once per test."""
    return tmp_path_factory.mktemp("probe") / "probe.json"


@pytest.fixture(autouse=True)
def _isolated_home(_probe_file: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("corral-home")
    monkeypatch.setenv("CORRAL_HOME", str(home))
    # The engine finds the installed test models (and the sentence embedder) here.
    monkeypatch.setenv("CORRAL_MODELS", str(TEST_MODELS))
    monkeypatch.setenv("CORRAL_PROBE_FILE", str(_probe_file))
    return home


def installed_model(name: str) -> Path:
    """The verified path of a catalog model in the test store, or a clear failure."""
    spec = get_spec(name)
    store = ModelStore(TEST_MODELS)
    if not store.is_installed(spec):
        pytest.fail(
            f"Test model {name} is not installed in {TEST_MODELS}. "
            f"Run `bash packaging/test.sh` (it installs the test models) or "
            f"`CORRAL_HOME=.corral-home corral models install {name}`."
        )
    return store.path_for(spec)


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    """SmolLM2-135M-Instruct: real but weak, for fast checks of the mechanics."""
    return installed_model("smollm2-135m")


@pytest.fixture(scope="session")
def small_model_path() -> Path:
    """Qwen2.5-0.5B-Instruct: the smallest model that groups sensibly."""
    return installed_model("qwen2.5-0.5b")
