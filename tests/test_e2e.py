"""End to end with a real model: `corral organize` on a folder of real documents.

The folder is built from MASSIVE utterances (../shared/datasets/text) written as .txt, .md,
.html, .docx and .pdf files, plus some bad input. The commands run as subprocesses, exactly
as a user types them.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from docx import Document
from fpdf import FPDF

from tests.conftest import SHARED

pytestmark = pytest.mark.model

CLASSES = ["alarm", "weather", "cooking", "music", "transport", "email"]
PER_CLASS = 6


def _write(path: Path, text: str) -> None:
    kind = path.suffix
    if kind == ".docx":
        doc = Document()
        doc.add_paragraph(text)
        doc.save(str(path))
    elif kind == ".pdf":
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, text.encode("latin-1", "replace").decode("latin-1"))
        pdf.output(str(path))
    elif kind == ".html":
        path.write_text(f"<!doctype html><html><head><title>note</title></head>"
                        f"<body><p>{text}</p><script>var x=1;</script></body></html>")
    else:
        path.write_text(text + "\n")


def build_folder(root: Path) -> dict[str, str]:
    rows = [json.loads(line) for line in (SHARED / "datasets/text/massive_scenario.jsonl").open()]
    rng = random.Random(0)
    truth: dict[str, str] = {}
    formats = [".txt", ".md", ".html", ".docx", ".pdf"]
    n = 0
    for label in CLASSES:
        pool = [r for r in rows if r["label"] == label]
        for row in rng.sample(pool, PER_CLASS):
            sub = root / ("inbox" if n % 3 else "old/2023")
            sub.mkdir(parents=True, exist_ok=True)
            path = sub / f"note {n:02d}{formats[n % len(formats)]}"
            _write(path, row["input"])
            truth[str(path.relative_to(root))] = label
            n += 1
    # Bad input that must be skipped with a reason, not stop the run.
    (root / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (root / "empty.md").write_text("")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n%garbage without objects")
    (root / ".hidden.txt").write_text("hidden files are left alone")
    return truth


def corral(*args: str, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "corral", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "CORRAL_HOME": str(tmp_path / "home")}


def test_organize_show_and_rerun(tmp_path: Path, small_model_path: Path, env: dict[str, str]) -> None:
    folder = tmp_path / "My Documents"
    truth = build_folder(folder)
    assert len(truth) >= 30
    project = tmp_path / "docs.corral"
    args = ["organize", str(folder), "--criterion", "what the person wants to do", "--k", "6",
            "--project", str(project), "--model", str(small_model_path), "--threads", "2"]
    first = corral(*args, env=env)
    assert first.returncode == 0, first.stderr
    assert "Groups for" in first.stdout and "Skipped (3)" in first.stdout
    assert "binary.txt: binary content" in first.stdout

    shown = corral("show", str(project), "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert len(data["groups"]) == 6 and all(g["name"] for g in data["groups"])
    members = {m["path"] for g in data["groups"] for m in g["members"]}
    assert members == set(truth)
    assert all(0 < m["confidence"] <= 1 for g in data["groups"] for m in g["members"])

    again = corral(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert "model work: none" in again.stdout
    assert "36 unchanged" in again.stdout
    data2 = json.loads(corral("show", str(project), "--json", env=env).stdout)
    assert [(g["name"], g["size"]) for g in data2["groups"]] == [(g["name"], g["size"]) for g in data["groups"]]


def test_ctrl_c_keeps_finished_work_and_the_same_command_resumes(
    tmp_path: Path, small_model_path: Path, env: dict[str, str]
) -> None:
    folder = tmp_path / "docs"
    build_folder(folder)
    import sqlite3
    import threading
    from contextlib import closing

    def interrupt_mid_run(project: Path, wait: float) -> tuple[list[str], subprocess.Popen[str], str, str, str]:
        """Start the run; once it says how many questions it will ask (the estimate, printed
        just before the propose stage), let it answer for a few seconds, then interrupt it
        as Ctrl-C does. The project is read only after the process has ended."""
        args = [sys.executable, "-m", "corral", "organize", str(folder), "--criterion", "topic",
                "--k", "4", "--project", str(project), "--model", str(small_model_path), "--threads", "2"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**env, "PYTHONUNBUFFERED": "1"})
        assert proc.stderr is not None
        lines: list[str] = []
        asking = threading.Event()

        def read() -> None:
            for line in proc.stderr:  # type: ignore[union-attr]
                lines.append(line)
                if "model questions" in line:
                    asking.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        started = time.monotonic()
        while not asking.wait(0.1) and proc.poll() is None and time.monotonic() < started + 600:
            pass
        time.sleep(wait)  # the model loads, then answers a file in about 0.3-0.5 s
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=120)  # takes what the reader has not
        reader.join(timeout=10)
        seen = f"(interrupted {time.monotonic() - started:.1f} s in)\n"
        return args, proc, out, "".join(lines) + (rest or ""), seen

    # The model loads after the estimate, so the interrupt comes 4, then 8, then 16 s after it until it lands with some answers finished; a run that
    # ignores Ctrl-C fails every try. (Reading the project while the run goes on, as this test
    # did before, saw the answers only at the end in two full-suite runs, though a run alone
    # shows them as they come; not understood yet.)
    # First a run to the end on two files, so that the crash probe's verdict is kept and the
    # interrupt does not land in the probe's child (which takes seconds on a fresh home).
    warm = tmp_path / "warm"
    warm.mkdir()
    for name in ("a.txt", "b.txt"):
        (warm / name).write_text(f"note {name}: buy milk and eggs")
    first = subprocess.run([sys.executable, "-m", "corral", "organize", str(warm), "--criterion", "topic",
                            "--k", "2", "--project", str(tmp_path / "warm.corral"), "--model",
                            str(small_model_path), "--threads", "2"], capture_output=True, text=True,
                           env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    for attempt, wait in enumerate((4.0, 8.0, 16.0)):
        project = tmp_path / f"p{attempt}.corral"
        args, proc, out, err, seen = interrupt_mid_run(project, wait)
        with closing(sqlite3.connect(project)) as con:
            kept = con.execute("select count(*) from cache where stage='answer'").fetchone()[0]
        if proc.returncode != 130 or kept >= 2:
            break
    assert proc.returncode == 130, seen + out + err
    assert "Interrupted" in err
    con = sqlite3.connect(project)
    kept = con.execute("select count(*) from cache where stage='answer'").fetchone()[0]
    assert kept >= 2
    assert con.execute("select status from runs order by id desc limit 1").fetchone()[0] == "interrupted"
    con.close()

    resumed = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    con = sqlite3.connect(project)
    assert con.execute("select status from runs order by id desc limit 1").fetchone()[0] == "done"
    stats = json.loads(con.execute("select stats from runs order by id desc limit 1").fetchone()[0])
    assert stats["propose"]["cached"] >= kept
