"""The design card's rule: desktop -> engine -> models, and no Qt below desktop/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "PySide2")


def _imports(folder: Path) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
            elif isinstance(node, ast.ImportFrom) and node.level:
                # relative imports stay inside their own package by construction
                continue
    return found


def test_engine_and_models_never_import_qt() -> None:
    bad = [
        f"{p.relative_to(REPO)} imports {name}"
        for folder in ("engine", "models")
        for p, name in _imports(REPO / folder)
        if name.split(".")[0] in QT
    ]
    assert not bad, bad


def test_dependencies_point_one_way() -> None:
    bad = [
        f"{p.relative_to(REPO)} imports {name}"
        for p, name in _imports(REPO / "models")
        if name.startswith(("corral.engine", "corral.desktop"))
    ]
    bad += [
        f"{p.relative_to(REPO)} imports {name}"
        for p, name in _imports(REPO / "engine")
        if name.startswith("corral.desktop")
    ]
    assert not bad, bad


def test_importing_every_engine_module_loads_no_qt() -> None:
    """Also catches Qt pulled in indirectly, through a third-party import."""
    modules = [
        "corral." + ".".join(p.relative_to(REPO).with_suffix("").parts)
        for folder in ("engine", "models")
        for p in sorted((REPO / folder).rglob("*.py"))
        if p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {QT!r}]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
