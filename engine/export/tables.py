"""The run's groups and members as a CSV or JSON file; touches no original.

The file is written under a temporary name and then given its name
(:func:`corral.models.fileio.atomic_path`), so a reader never sees half a table.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from corral.engine.store import Group, Member, Project
from corral.models.fileio import write_atomic

from .fsops import ExportError, abs_path
from .plan import require_run

__all__ = ["export_table", "run_members"]

_TABLE_FIELDS = [
    "group_index",
    "group",
    "path",
    "kind",
    "mime",
    "size",
    "modified",
    "confidence",
    "unsure",
    "content_hash",
]


def run_members(project: Project, run_id: int) -> list[tuple[Group, Member]]:
    """(group, member) for every member of every group of the run."""
    require_run(project, run_id)
    return [(g, m) for g in project.results.groups(run_id) for m in g.members]


def _iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else ""


def export_table(
    project: Project,
    run_id: int,
    out: str | Path,
    fmt: Literal["csv", "json"],
    *,
    overwrite: bool = False,
) -> Path:
    """Write the run's groups and members to a CSV or JSON file; touches no original.

    An existing ``out`` is kept unless ``overwrite`` is true, and a path that is one of the
    project's own files is refused even then.
    """
    if fmt not in ("csv", "json"):
        raise ExportError(f"Unknown table format {fmt!r}; use csv or json.")
    out = abs_path(out)
    rows = run_members(project, run_id)
    root = project.root
    if root is not None:
        root_r = Path(os.path.realpath(root))
        out_r = Path(os.path.realpath(out))
        if root_r in out_r.parents:
            rel = out_r.relative_to(root_r).as_posix()
            if project.item_by_path(rel) is not None:
                raise ExportError(f"{out} is one of the organized files; choose another name.")
    if os.path.lexists(out) and not overwrite:
        raise ExportError(f"{out} already exists; choose another name.")
    data = _csv(rows) if fmt == "csv" else _json(project, run_id, root)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(out, data, replace=overwrite)
    except FileExistsError as exc:
        raise ExportError(f"{out} already exists; choose another name.") from exc
    return out


def _csv(rows: list[tuple[Group, Member]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=_TABLE_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for group, member in rows:
        item, conf = member.item, member.confidence
        writer.writerow(
            {
                "group_index": group.idx,
                "group": group.name,
                "path": item.path,
                "kind": item.kind,
                "mime": item.mime,
                "size": item.size,
                "modified": _iso(item.mtime),
                "confidence": f"{conf:.3f}" if conf is not None else "",
                "unsure": "yes" if member.unsure else "no",
                "content_hash": item.content_hash,
            }
        )
    # utf-8-sig: spreadsheet programs only guess UTF-8 correctly with the BOM.
    return buf.getvalue().encode("utf-8-sig")


def _json(project: Project, run_id: int, root: Path | None) -> bytes:
    run = project.runs.get(run_id)
    doc = {
        "run_id": run_id,
        "criterion": run.criterion if run else None,
        "model": run.model if run else None,
        "root": str(root) if root else None,
        "groups": [
            {
                "index": g.idx,
                "name": g.name,
                "size": g.size,
                "items": [
                    {
                        "path": m.path,
                        "kind": m.kind,
                        "mime": m.item.mime,
                        "size": m.item.size,
                        "modified": _iso(m.item.mtime),
                        "confidence": m.confidence,
                        "unsure": m.unsure,
                        "content_hash": m.content_hash,
                    }
                    for m in g.members
                ],
            }
            for g in project.results.groups(run_id)
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
