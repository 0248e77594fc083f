"""The model server in the desktop app: the settings field, the dialog, where the model runs,
and a run started from the app going through the server (a scripted one on 127.0.0.1)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json
from pathlib import Path

import pytest

from corral.desktop.config import AppSettings
from corral.desktop.main_window import MainWindow
from corral.desktop.settings import SettingsDialog
from corral.desktop.tasks import organize_task
from corral.engine.jobs import CancelToken
from corral.engine.request import build_request
from tests.fake_openai import FakeServer, Script


class _Asker:
    def warn(self, title: str, text: str) -> None:
        raise AssertionError(text)


def test_settings_field_and_where_the_model_runs(qtbot) -> None:
    settings = AppSettings()
    assert settings.server_options() is None and "on this computer" in settings.where()
    dialog = SettingsDialog(settings, _Asker())  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    assert "runs on this computer" in dialog.where.text()
    dialog.server_url.setText("http://192.168.1.20:8080")
    dialog.server_model.setText("qwen")
    dialog.server_concurrency.setValue(6)
    assert "sent there" in dialog.where.text()
    dialog.accept()
    saved = json.loads(AppSettings.path().read_text())
    assert (saved["server_url"], saved["server_model"], saved["server_concurrency"], saved["allow_remote"]) == (
        "http://192.168.1.20:8080", "qwen", 6, False)
    assert not any("key" in name.lower() for name in saved)
    options = AppSettings.load().server_options()
    assert (options.url, options.model, options.concurrency) == ("http://192.168.1.20:8080", "qwen", 6)
    with pytest.raises(ValueError, match="user name or password"):
        AppSettings(server_url="http://me:pw@10.0.0.2").validate()
    with pytest.raises(ValueError, match="http"):
        AppSettings(server_url="10.0.0.2:8080").validate()


def test_the_window_shows_where_the_model_runs(qtbot) -> None:
    window = MainWindow(settings=AppSettings(server_url="http://127.0.0.1:9"))
    qtbot.addWidget(window)
    assert "on the server http://127.0.0.1:9" in window.where_label.text()
    window.settings.server_url = ""
    window._show_where()
    assert "on this computer" in window.where_label.text()


def test_a_run_from_the_app_goes_through_the_server(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for kind in ("receipt", "letter"):
        for n in range(3):
            (folder / f"{kind}{n}.txt").write_text(f"{kind} number {n}")
    with FakeServer(Script(embedder="all-minilm-l6-v2")) as fake:
        settings = AppSettings(server_url=fake.url, server_concurrency=2)
        request = build_request(folder, "kind", k=2, project_path=tmp_path / "p.corral",
                                server=settings.server_options())
        result = organize_task(request, progress=lambda event: None, cancel=CancelToken())
        assert sum(g.size for g in result.groups) == 6
        assert any(p == "POST /v1/chat/completions" for p, _, _ in fake.script.requests)
