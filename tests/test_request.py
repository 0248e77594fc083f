"""One run request for the CLI, the GUI and bench (engine/request.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corral.engine.request import RunRequest, build_request, run_settings
from corral.engine.stages.base import Settings
from corral.models.paths import default_project_path, projects_dir, settings_path


def _config(values: dict[str, object]) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps(values))


def test_settings_come_from_the_defaults_then_the_config_then_what_was_given() -> None:
    assert run_settings("kind", k=3) == Settings(criterion="kind", k=3)
    _config({"ocr": False, "image_names": True, "model": "ignored-here"})
    settings = run_settings("kind", method="llm", ocr=None)
    assert (settings.ocr, settings.image_names, settings.method) == (False, True, "llm")
    assert run_settings("kind", ocr=True).ocr is True  # a flag beats the file
    assert run_settings("kind", config=False) == Settings(criterion="kind")  # bench
    with pytest.raises(TypeError, match="unknown settings: colour"):
        run_settings("kind", colour="red")
    _config({"vlm_model": "v.gguf"})
    with pytest.raises(ValueError, match="needs both files"):
        run_settings("kind")


def test_a_request_names_its_project_and_refuses_what_cannot_run(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    request = build_request(folder, "what is it", k=2)
    assert request.project_path == default_project_path(folder)
    assert request.project_path.parent == projects_dir()
    assert (request.criterion, request.k, request.folder) == ("what is it", 2, folder.resolve())
    assert build_request(folder, "x", project_path=tmp_path / "p.corral").project_path == tmp_path / "p.corral"
    with pytest.raises(ValueError, match="criterion is empty"):
        RunRequest(folder, Settings(criterion=" "))
    with pytest.raises(ValueError, match="at least 1"):
        build_request(folder, "kind", k=0)
