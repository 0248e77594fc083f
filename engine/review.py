"""Editing a run's result by hand: rename, merge, delete and create groups, move and pin items,
compare runs and bring an earlier run back. No Qt here; the desktop app and tests call these.

Decisions, so the GUI and the pipeline agree:

* **An edit changes the run in place.** The run keeps its id; its ``stats`` get an ``edited``
  time. Use :func:`restore_run` to get an earlier result back as the newest run.
* **A person's decision is certain.** A moved or pinned item gets confidence 1.0 and is never
  flagged unsure; its ``source`` says who decided (``user`` or ``pinned``).
* **Deleting a group** moves its items to another group when one is given (``move_to``);
  otherwise they become *unassigned*: they keep no assignment in this run, are listed by
  :func:`unassigned` and are not exported. Moving one into a group assigns it again.
* **Pins outlive the run.** A pin stores the item and the *name* of its group (indices are
  renumbered by each run). :func:`apply_pins` puts pinned items back into the group of that
  name after a new run has assigned everything, creating the group if the run has none of that
  name. Renaming, merging or deleting a group, or moving a pinned item, updates its pins.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .store import Project

UNASSIGNED = -1
SNIPPET_CHARS = 600
MAX_NAME_CHARS = 120


class ReviewError(ValueError):
    """An edit that cannot be done; the message says why in plain words."""


@dataclass(frozen=True)
class GroupSummary:
    idx: int
    name: str
    size: int
    mean_confidence: float | None  # None for an empty group
    unsure: int
    pinned: int


@dataclass(frozen=True)
class Member:
    item_id: int
    path: str
    kind: str
    group_idx: int  # UNASSIGNED when the item is in no group of the run
    confidence: float | None
    unsure: bool
    source: str  # model | user | pinned | "" (unassigned)
    pinned: bool
    snippet: str
    content_hash: str = ""  # "sha256:<hex>"; keys the item's cached thumbnail
    description: str = ""  # what the stages read: the text, a summary, a picture's description


@dataclass(frozen=True)
class RunSummary:
    id: int
    criterion: str
    k: int | None
    model: str
    status: str
    started: float
    groups: int
    items: int
    restored_from: int | None
    edited: bool

    @property
    def label(self) -> str:
        k = "auto" if self.k is None else str(self.k)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.started or 0))
        extra = f", restored from run {self.restored_from}" if self.restored_from else ""
        extra += ", edited" if self.edited else ""
        return (
            f"Run {self.id} ({when}): \u201c{self.criterion}\u201d, K={k}, "
            f"{self.groups} groups, {self.items} items, {self.status}{extra}"
        )


@dataclass(frozen=True)
class ItemChange:
    item_id: int
    path: str
    before: str | None  # group name in the first run, None if unassigned there
    after: str | None


# -- reading ---------------------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _check_run(project: Project, run_id: int, *, editable: bool = True) -> dict[str, Any]:
    rows = list(project.db["runs"].rows_where("id = ?", [run_id]))
    if not rows:
        raise ReviewError(f"There is no run {run_id} in this project.")
    if editable and rows[0]["status"] == "running":
        raise ReviewError(f"Run {run_id} is still running; wait for it to finish before editing.")
    return rows[0]


def _group_names(project: Project, run_id: int) -> dict[int, str]:
    return {
        r["idx"]: r["name"]
        for r in project.db["groups"].rows_where("run_id = ?", [run_id], order_by="idx")
    }


def _check_group(project: Project, run_id: int, idx: int) -> str:
    names = _group_names(project, run_id)
    if idx not in names:
        raise ReviewError(f"Run {run_id} has no group number {idx}.")
    return names[idx]


def group_summaries(project: Project, run_id: int) -> list[GroupSummary]:
    """Every group of the run with its size, mean confidence and counts of flagged items."""
    _check_run(project, run_id, editable=False)
    sql = (
        "select g.idx, g.name, count(a.item_id) as size, avg(a.confidence) as mean, "
        "coalesce(sum(a.unsure), 0) as unsure, "
        "coalesce(sum(case when p.item_id is not null then 1 else 0 end), 0) as pinned "
        "from groups g left join assignments a on a.run_id = g.run_id and a.group_idx = g.idx "
        "left join pins p on p.item_id = a.item_id "
        "where g.run_id = ? group by g.idx order by g.idx"
    )
    return [
        GroupSummary(r["idx"], r["name"], r["size"], r["mean"], r["unsure"], r["pinned"])
        for r in project.db.query(sql, [run_id])
    ]


def members(project: Project, run_id: int, group_idx: int | None = None) -> list[Member]:
    """Assigned items of the run (of one group if given), by path, each with a text snippet."""
    _check_run(project, run_id, editable=False)
    if group_idx == UNASSIGNED:
        return unassigned(project, run_id)
    where = "a.run_id = ?" + (" and a.group_idx = ?" if group_idx is not None else "")
    args: list[Any] = [run_id] + ([group_idx] if group_idx is not None else [])
    sql = (
        "select i.id, i.path, i.kind, i.content_hash, a.group_idx, a.confidence, a.unsure, a.source, "
        "a.description, "
        f"p.item_id is not null as pinned, substr(e.text, 1, {SNIPPET_CHARS * 2}) as head "
        "from assignments a join items i on i.id = a.item_id "
        "left join pins p on p.item_id = i.id "
        "left join extracts e on e.content_hash = i.content_hash "
        f"where {where} order by i.path"
    )
    return [_member(r) for r in project.db.query(sql, args)]


def unassigned(project: Project, run_id: int) -> list[Member]:
    """Readable items of the project that are in no group of this run."""
    sql = (
        "select i.id, i.path, i.kind, i.content_hash, -1 as group_idx, null as confidence, 0 as unsure, "
        "null as description, "
        f"'' as source, 0 as pinned, substr(e.text, 1, {SNIPPET_CHARS * 2}) as head "
        "from items i left join extracts e on e.content_hash = i.content_hash "
        "where i.status = 'ok' and i.id not in "
        "(select item_id from assignments where run_id = ?) order by i.path"
    )
    return [_member(r) for r in project.db.query(sql, [run_id])]


def _member(r: dict[str, Any]) -> Member:
    return Member(
        item_id=r["id"],
        path=r["path"],
        kind=r["kind"] or "",
        group_idx=r["group_idx"],
        confidence=r["confidence"],
        unsure=bool(r["unsure"]),
        source=r["source"] or "",
        pinned=bool(r["pinned"]),
        snippet=_squash(r["head"] or r["description"] or "")[:SNIPPET_CHARS],
        content_hash=r["content_hash"] or "",
        description=r["description"] or "",
    )


def pins(project: Project) -> dict[int, str]:
    """Pinned items of the project: item id -> group name."""
    return {r["item_id"]: r["group_name"] for r in project.db["pins"].rows}


# -- editing ---------------------------------------------------------------------------------


def _clean_name(project: Project, run_id: int, name: str, *, ignore: int | None = None) -> str:
    clean = _squash(name)
    if not clean:
        raise ReviewError("A group needs a name.")
    if len(clean) > MAX_NAME_CHARS:
        raise ReviewError(f"Group names are at most {MAX_NAME_CHARS} characters long.")
    for idx, other in _group_names(project, run_id).items():
        if idx != ignore and other.casefold() == clean.casefold():
            raise ReviewError(f"There is already a group named \u201c{other}\u201d.")
    return clean


def _touch(project: Project, run_id: int) -> None:
    """Record that the run was edited, and refresh the stored group sizes."""
    row = project.db["runs"].get(run_id)
    stats = json.loads(row["stats"] or "{}")
    stats["edited"] = time.time()
    project.db["runs"].update(run_id, {"stats": json.dumps(stats)})
    project.update_group_sizes(run_id)


def _group_item_ids(project: Project, run_id: int, idx: int) -> list[int]:
    rows = project.db.query(
        "select item_id from assignments where run_id = ? and group_idx = ?", [run_id, idx]
    )
    return [r["item_id"] for r in rows]


def _repin(project: Project, item_ids: Iterable[int], group_name: str | None) -> None:
    """Point existing pins of these items at ``group_name`` (or drop them when None)."""
    for item_id in item_ids:
        if project.db["pins"].count_where("item_id = ?", [item_id]):
            if group_name is None:
                project.db["pins"].delete(item_id)
            else:
                project.db["pins"].update(item_id, {"group_name": group_name})


def rename_group(project: Project, run_id: int, idx: int, name: str) -> str:
    """Give group ``idx`` a new name (unique in the run, ignoring case); returns the name used."""
    _check_run(project, run_id)
    _check_group(project, run_id, idx)
    clean = _clean_name(project, run_id, name, ignore=idx)
    with project.db.conn:
        project.db["groups"].update((run_id, idx), {"name": clean})
        _repin(project, _group_item_ids(project, run_id, idx), clean)
    _touch(project, run_id)
    return clean


def new_group(project: Project, run_id: int, name: str) -> int:
    """Add an empty group; returns its index."""
    _check_run(project, run_id)
    clean = _clean_name(project, run_id, name)
    idx = max(_group_names(project, run_id), default=-1) + 1
    with project.db.conn:
        project.db["groups"].insert({"run_id": run_id, "idx": idx, "name": clean, "size": 0})
    _touch(project, run_id)
    return idx


def merge_groups(project: Project, run_id: int, into: int, from_: int | Iterable[int]) -> int:
    """Move every item of the ``from_`` group(s) into ``into`` and remove them; returns moved count.

    Items keep their confidence and source: merging changes the groups, not the verdict on
    each item.
    """
    _check_run(project, run_id)
    into_name = _check_group(project, run_id, into)
    sources = [from_] if isinstance(from_, int) else list(from_)
    if not sources or into in sources:
        raise ReviewError("Choose one or more other groups to merge into this one.")
    for idx in sources:
        _check_group(project, run_id, idx)
    moved = 0
    with project.db.conn:
        for idx in sources:
            ids = _group_item_ids(project, run_id, idx)
            project.db.execute(
                "update assignments set group_idx = ? where run_id = ? and group_idx = ?",
                [into, run_id, idx],
            )
            _repin(project, ids, into_name)
            project.db["groups"].delete((run_id, idx))
            moved += len(ids)
    _touch(project, run_id)
    return moved


def delete_group(project: Project, run_id: int, idx: int, move_to: int | None = None) -> int:
    """Remove group ``idx``. Its items go to ``move_to``, or become unassigned (see the module
    notes) when it is None. Returns how many items were affected."""
    _check_run(project, run_id)
    _check_group(project, run_id, idx)
    if move_to is not None:
        if move_to == idx:
            raise ReviewError("Choose another group to move the items to.")
        target = _check_group(project, run_id, move_to)
    ids = _group_item_ids(project, run_id, idx)
    with project.db.conn:
        if move_to is None:
            project.db["assignments"].delete_where("run_id = ? and group_idx = ?", [run_id, idx])
            _repin(project, ids, None)
        else:
            project.db.execute(
                "update assignments set group_idx = ?, confidence = 1.0, unsure = 0, "
                "source = case when source = 'pinned' then 'pinned' else 'user' end "
                "where run_id = ? and group_idx = ?",
                [move_to, run_id, idx],
            )
            _repin(project, ids, target)
        project.db["groups"].delete((run_id, idx))
    _touch(project, run_id)
    return len(ids)


def move_items(project: Project, run_id: int, item_ids: Iterable[int], to_group: int) -> int:
    """Put items into group ``to_group`` (or UNASSIGNED), as the person's decision."""
    _check_run(project, run_id)
    target = None if to_group == UNASSIGNED else _check_group(project, run_id, to_group)
    ids = list(dict.fromkeys(item_ids))
    known = {r["id"] for r in project.db.query("select id from items where status = 'ok'")}
    for item_id in ids:
        if item_id not in known:
            raise ReviewError(f"Item {item_id} is not a readable file of this project.")
    with project.db.conn:
        for item_id in ids:
            if target is None:
                project.db["assignments"].delete_where(
                    "run_id = ? and item_id = ?", [run_id, item_id]
                )
                continue
            pinned = project.db["pins"].count_where("item_id = ?", [item_id]) > 0
            project.save_assignment(
                run_id, item_id, to_group, 1.0, False, "pinned" if pinned else "user"
            )
        _repin(project, ids, target)
    _touch(project, run_id)
    return len(ids)


def move_item(project: Project, run_id: int, item_id: int, to_group: int) -> None:
    move_items(project, run_id, [item_id], to_group)


def pin_item(project: Project, run_id: int, item_id: int) -> str:
    """Pin an item to its current group: later runs put it back there. Returns the group."""
    _check_run(project, run_id)
    rows = list(
        project.db["assignments"].rows_where("run_id = ? and item_id = ?", [run_id, item_id])
    )
    if not rows:
        raise ReviewError("Only an item that is in a group can be pinned; move it to one first.")
    name = _check_group(project, run_id, rows[0]["group_idx"])
    with project.db.conn:
        project.db["pins"].upsert(
            {"item_id": item_id, "group_name": name, "created": time.time()}, pk="item_id"
        )
        project.db["assignments"].update(
            (run_id, item_id), {"source": "pinned", "confidence": 1.0, "unsure": 0}
        )
    _touch(project, run_id)
    return name


def unpin_item(project: Project, run_id: int, item_id: int) -> None:
    """Forget the pin; the item stays where it is in this run (as the person's choice)."""
    _check_run(project, run_id)
    with project.db.conn:
        if project.db["pins"].count_where("item_id = ?", [item_id]):
            project.db["pins"].delete(item_id)
        project.db.execute(
            "update assignments set source = 'user' where run_id = ? and item_id = ? "
            "and source = 'pinned'",
            [run_id, item_id],
        )
    _touch(project, run_id)


def apply_pins(project: Project, run_id: int) -> int:
    """Put every pinned item of the project into its pinned group in ``run_id``.

    Call after a run's assignments are saved. A group of the pinned name is matched ignoring
    case, and created when the run has none. Pins of items that are no longer readable are
    skipped. Safe to call twice. Returns how many pins were applied.
    """
    _check_run(project, run_id, editable=False)
    pinned = list(
        project.db.query(
            "select p.item_id, p.group_name from pins p join items i on i.id = p.item_id "
            "where i.status = 'ok' order by p.item_id"
        )
    )
    if not pinned:
        return 0
    names = _group_names(project, run_id)
    by_name = {name.casefold(): idx for idx, name in names.items()}
    with project.db.conn:
        for row in pinned:
            key = row["group_name"].casefold()
            idx = by_name.get(key)
            if idx is None:
                idx = max(names, default=-1) + 1
                names[idx] = row["group_name"]
                by_name[key] = idx
                project.db["groups"].insert(
                    {"run_id": run_id, "idx": idx, "name": row["group_name"], "size": 0}
                )
            project.save_assignment(run_id, row["item_id"], idx, 1.0, False, "pinned")
    project.update_group_sizes(run_id)
    return len(pinned)


# -- runs ------------------------------------------------------------------------------------


def list_runs(project: Project) -> list[RunSummary]:
    """Every run, newest first, with its size, for choosing one to compare or restore."""
    sql = (
        "select r.*, (select count(*) from groups g where g.run_id = r.id) as n_groups, "
        "(select count(*) from assignments a where a.run_id = r.id) as n_items "
        "from runs r order by r.id desc"
    )
    out = []
    for r in project.db.query(sql):
        stats = json.loads(r["stats"] or "{}")
        out.append(
            RunSummary(
                id=r["id"],
                criterion=r["criterion"] or "",
                k=r["k"],
                model=r["model"] or "",
                status=r["status"] or "",
                started=r["started"] or 0.0,
                groups=r["n_groups"],
                items=r["n_items"],
                restored_from=stats.get("restored_from"),
                edited="edited" in stats,
            )
        )
    return out


def _placement(project: Project, run_id: int) -> dict[int, str]:
    rows = project.db.query(
        "select a.item_id, g.name from assignments a join groups g "
        "on g.run_id = a.run_id and g.idx = a.group_idx where a.run_id = ?",
        [run_id],
    )
    return {r["item_id"]: r["name"] for r in rows}


def compare_runs(project: Project, first: int, second: int) -> list[ItemChange]:
    """Items whose group (by name, ignoring case) differs between two runs, by path."""
    _check_run(project, first, editable=False)
    _check_run(project, second, editable=False)
    a, b = _placement(project, first), _placement(project, second)
    changes = []
    for item_id in sorted(set(a) | set(b)):
        before, after = a.get(item_id), b.get(item_id)
        if (before or "").casefold() != (after or "").casefold() or (before is None) != (
            after is None
        ):
            changes.append(ItemChange(item_id, project.item(item_id).path, before, after))
    return sorted(changes, key=lambda c: c.path)


def restore_run(project: Project, run_id: int) -> int:
    """Copy an earlier run (groups, assignments, labels) as the newest finished run.

    The copy is exactly the old result; current pins are not applied to it (they apply to the
    next organize run). Returns the new run's id.
    """
    row = _check_run(project, run_id)
    if row["status"] != "done":
        raise ReviewError(f"Run {run_id} did not finish ({row['status']}); it cannot be restored.")
    settings = json.loads(row["settings"] or "{}")
    new_id = project.new_run(row["criterion"], row["k"], row["model"], settings)
    with project.db.conn:
        project.db["groups"].insert_all(
            {**g, "run_id": new_id} for g in project.db["groups"].rows_where("run_id = ?", [run_id])
        )
        project.db["assignments"].insert_all(
            {**a, "run_id": new_id}
            for a in project.db["assignments"].rows_where("run_id = ?", [run_id])
        )
        project.db["raw_labels"].insert_all(
            {**r, "run_id": new_id}
            for r in project.db["raw_labels"].rows_where("run_id = ?", [run_id])
        )
    project.update_group_sizes(new_id)
    project.finish_run(new_id, "done", {"restored_from": run_id})
    return new_id
