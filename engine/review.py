"""Editing a run's result by hand: rename, merge, delete and create groups, move and pin items,
compare runs and bring an earlier run back. No Qt here; the desktop app and tests call these.

This module holds the rules; the reads and writes are the project store's (``project.results``,
``project.edits``, ``project.pins``, ``project.runs``). Decisions, so the GUI and the pipeline
agree:

* **An edit changes the run in place.** The run keeps its id and records when it was edited
  (``RunRow.edited``). Use :func:`restore_run` to get an earlier result back as the newest run.
* **A person's decision is certain.** A moved or pinned item gets confidence 1.0 and is never
  flagged unsure; its ``source`` says who decided (``user`` or ``pinned``).
* **Deleting a group** moves its items to another group when one is given (``move_to``);
  otherwise they become *unassigned*: they keep no assignment in this run, are listed by
  :func:`unassigned` and are not exported. Moving one into a group assigns it again.
* **Every hand edit can be undone.** Each is kept, with the rows it changed, in the
  project's history (``project.history``): :func:`undo` and :func:`redo` step through a
  run's edits, also after the project was closed and opened again. Restoring a run is not
  an edit (it adds a run).
* **Pins outlive the run.** A pin stores the item and the *name* of its group (indices are
  renumbered by each run). :func:`apply_pins` puts pinned items back into the group of that
  name after a new run has assigned everything, creating the group if the run has none of that
  name. Renaming, merging or deleting a group, or moving a pinned item, updates its pins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .store import UNASSIGNED, Group, Member, Project, RunRow
from .store.results import squash

__all__ = [
    "MAX_NAME_CHARS",
    "PREVIEW_CHARS",
    "UNASSIGNED",
    "Group",
    "ItemChange",
    "Member",
    "ReviewError",
    "RunRow",
    "apply_pins",
    "compare_runs",
    "delete_group",
    "find",
    "group_summaries",
    "list_runs",
    "members",
    "merge_groups",
    "move_item",
    "move_items",
    "new_group",
    "pin_item",
    "pins",
    "preview_text",
    "redo",
    "redo_name",
    "rename_group",
    "restore_run",
    "unassigned",
    "undo",
    "undo_name",
    "unpin_item",
]

MAX_NAME_CHARS = 120
PREVIEW_CHARS = 6000


class ReviewError(ValueError):
    """An edit that cannot be done; the message says why in plain words."""


@dataclass(frozen=True)
class ItemChange:
    item_id: int
    path: str
    before: str | None  # group name in the first run, None if unassigned there
    after: str | None


# -- reading ---------------------------------------------------------------------------------


def _check_run(project: Project, run_id: int, *, editable: bool = True) -> RunRow:
    run = project.runs.get(run_id)
    if run is None:
        raise ReviewError(f"There is no run {run_id} in this project.")
    if editable and run.status == "running":
        raise ReviewError(f"Run {run_id} is still running; wait for it to finish before editing.")
    return run


def _check_group(project: Project, run_id: int, idx: int) -> str:
    names = project.results.group_names(run_id)
    if idx not in names:
        raise ReviewError(f"Run {run_id} has no group number {idx}.")
    return names[idx]


def group_summaries(project: Project, run_id: int) -> list[Group]:
    """Every group of the run with its members (size, mean confidence and the counts of
    flagged and pinned items come from them)."""
    _check_run(project, run_id, editable=False)
    return project.results.groups(run_id)


def group_names(project: Project, run_id: int) -> dict[int, str]:
    """The run's group names by index."""
    _check_run(project, run_id, editable=False)
    return project.results.group_names(run_id)


def members(project: Project, run_id: int, group_idx: int | None = None) -> list[Member]:
    """Assigned items of the run (of one group if given), by path, each with a text snippet."""
    _check_run(project, run_id, editable=False)
    if group_idx == UNASSIGNED:
        return unassigned(project, run_id)
    return project.results.members(run_id, group_idx)


def unassigned(project: Project, run_id: int) -> list[Member]:
    """Readable items of the project that are in no group of this run."""
    return project.results.unassigned(run_id)


def find(project: Project, run_id: int, text: str = "", *, doubtful: bool = False,
         kind: str | None = None) -> set[int]:
    """Ids of the items of the run, in every group and in none, that match: ``text`` in the
    file's path, its text or what the stages read for it (ignoring case); only those the
    model was unsure of (``doubtful``); only documents or only pictures (``kind``
    "document" or "image"; a picture read as a page is both)."""
    _check_run(project, run_id, editable=False)
    if kind not in (None, "document", "image"):
        raise ReviewError(f"Unknown kind {kind!r}: documents or pictures.")
    return project.results.find(run_id, text, doubtful=doubtful, kind=kind)


def preview_text(project: Project, member: Member, max_chars: int = PREVIEW_CHARS) -> str:
    """What a person reads to check an item: the beginning of its text (``max_chars``), after
    what the stages read for it when that was not the text itself (a long document's summary
    or beginning); for a picture, what the describers saw."""
    extract = project.get_extract(member.content_hash) if member.content_hash else None
    if not extract:  # a picture: what the describers saw
        return member.description or member.snippet or "(no text was extracted from this file)"
    text: str = extract["text"]
    text = text[:max_chars] + ("\n\u2026" if len(text) > max_chars else "")
    if member.description and " ".join(text.split()) not in member.description:
        return f"Read as: {member.description}\n\n{text}"
    return text


def pins(project: Project) -> dict[int, str]:
    """Pinned items of the project: item id -> group name."""
    return {pin.item_id: pin.group_name for pin in project.pins.all()}


# -- editing ---------------------------------------------------------------------------------


def _clean_name(project: Project, run_id: int, name: str, *, ignore: int | None = None) -> str:
    clean = squash(name)
    if not clean:
        raise ReviewError("A group needs a name.")
    if len(clean) > MAX_NAME_CHARS:
        raise ReviewError(f"Group names are at most {MAX_NAME_CHARS} characters long.")
    for idx, other in project.results.group_names(run_id).items():
        if idx != ignore and other.casefold() == clean.casefold():
            raise ReviewError(f"There is already a group named \u201c{other}\u201d.")
    return clean


def _touch(project: Project, run_id: int) -> None:
    """Record that the run was edited, and refresh the stored group sizes."""
    project.runs.mark_edited(run_id)
    project.results.update_group_sizes(run_id)


def _q(name: str) -> str:
    return f"\u201c{name}\u201d"


@contextmanager
def _recorded(project: Project, run_id: int, action: str, items: list[int] | None = None) -> Iterator[None]:
    """Keep the edit made in the block in the project's undo history, named ``action``.
    ``items``: the block changes only these items' rows (and the groups)."""
    before = project.history.snapshot(run_id, items)
    yield
    project.history.record(run_id, action, before, project.history.snapshot(run_id, items))


def _files(project: Project, item_ids: list[int]) -> str:
    if len(item_ids) == 1:
        return _q(project.item(item_ids[0]).path.rsplit("/", 1)[-1])
    return f"{len(item_ids)} files"


# -- undo and redo ---------------------------------------------------------------------------


def undo_name(project: Project, run_id: int) -> str | None:
    """The name of the hand edit :func:`undo` would take back (None: there is none)."""
    return project.history.undo_name(run_id)


def redo_name(project: Project, run_id: int) -> str | None:
    return project.history.redo_name(run_id)


def undo(project: Project, run_id: int) -> str | None:
    """Take back the run's last hand edit (kept in the project, so also after reopening it);
    returns its name, or None when there is nothing to undo."""
    _check_run(project, run_id)
    name = project.history.undo(run_id)
    if name is not None:
        _touch(project, run_id)
        if project.history.undo_name(run_id) is None:  # every edit taken back: as computed
            project.runs.clear_edited(run_id)
    return name


def redo(project: Project, run_id: int) -> str | None:
    """Make the edit :func:`undo` took back again; returns its name, or None."""
    _check_run(project, run_id)
    name = project.history.redo(run_id)
    if name is not None:
        _touch(project, run_id)
    return name


def rename_group(project: Project, run_id: int, idx: int, name: str) -> str:
    """Give group ``idx`` a new name (unique in the run, ignoring case); returns the name used."""
    _check_run(project, run_id)
    old = _check_group(project, run_id, idx)
    clean = _clean_name(project, run_id, name, ignore=idx)
    with _recorded(project, run_id, f"Rename {_q(old)} to {_q(clean)}"), project.transaction():
        project.edits.rename_group(run_id, idx, clean)
        project.pins.repoint(project.results.item_ids(run_id, idx), clean)
    _touch(project, run_id)
    return clean


def new_group(project: Project, run_id: int, name: str) -> int:
    """Add an empty group; returns its index."""
    _check_run(project, run_id)
    clean = _clean_name(project, run_id, name)
    with _recorded(project, run_id, f"New group {_q(clean)}"):
        idx = project.edits.add_group(run_id, clean)
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
    names = [_check_group(project, run_id, idx) for idx in sources]
    moved = 0
    action = f"Merge {', '.join(_q(n) for n in names)} into {_q(into_name)}"
    with _recorded(project, run_id, action), project.transaction():
        for idx in sources:
            ids = project.results.item_ids(run_id, idx)
            project.edits.move_group(run_id, idx, into, decided=False)
            project.pins.repoint(ids, into_name)
            project.edits.remove_group(run_id, idx)
            moved += len(ids)
    _touch(project, run_id)
    return moved


def delete_group(project: Project, run_id: int, idx: int, move_to: int | None = None) -> int:
    """Remove group ``idx``. Its items go to ``move_to``, or become unassigned (see the module
    notes) when it is None. Returns how many items were affected."""
    _check_run(project, run_id)
    name = _check_group(project, run_id, idx)
    target = None
    if move_to is not None:
        if move_to == idx:
            raise ReviewError("Choose another group to move the items to.")
        target = _check_group(project, run_id, move_to)
    ids = project.results.item_ids(run_id, idx)
    with _recorded(project, run_id, f"Delete group {_q(name)}"), project.transaction():
        if move_to is None:
            project.edits.unassign_group(run_id, idx)
        else:
            project.edits.move_group(run_id, idx, move_to, decided=True)
        project.pins.repoint(ids, target)
        project.edits.remove_group(run_id, idx)
    _touch(project, run_id)
    return len(ids)


def move_items(project: Project, run_id: int, item_ids: Iterable[int], to_group: int) -> int:
    """Put items into group ``to_group`` (or UNASSIGNED), as the person's decision; items
    already there are left as they are. Returns how many moved."""
    _check_run(project, run_id)
    target = None if to_group == UNASSIGNED else _check_group(project, run_id, to_group)
    ids = list(dict.fromkeys(item_ids))
    known = project.readable(ids)
    for item_id in ids:
        if item_id not in known:
            raise ReviewError(f"Item {item_id} is not a readable file of this project.")
    # A file already in that group stays as it is: nothing moved, nothing was decided.
    ids = [i for i in ids if _group_or_none(project, run_id, i) != to_group]
    if not ids:
        return 0
    action = f"Move {_files(project, ids)} to {_q(target) if target else 'no group'}"
    with _recorded(project, run_id, action, ids), project.transaction():
        for item_id in ids:
            if target is None:
                project.edits.unassign(run_id, item_id)
            else:
                project.edits.place(run_id, item_id, to_group, pinned=project.pins.has(item_id))
        project.pins.repoint(ids, target)
    _touch(project, run_id)
    return len(ids)


def _group_or_none(project: Project, run_id: int, item_id: int) -> int:
    idx = project.results.group_of(run_id, item_id)
    return UNASSIGNED if idx is None else idx


def move_item(project: Project, run_id: int, item_id: int, to_group: int) -> None:
    move_items(project, run_id, [item_id], to_group)


def pin_item(project: Project, run_id: int, item_id: int) -> str:
    """Pin an item to its current group: later runs put it back there. Returns the group."""
    _check_run(project, run_id)
    idx = project.results.group_of(run_id, item_id)
    if idx is None:
        raise ReviewError("Only an item that is in a group can be pinned; move it to one first.")
    name = _check_group(project, run_id, idx)
    with _recorded(project, run_id, f"Pin {_files(project, [item_id])}", [item_id]), project.transaction():
        project.pins.set(item_id, name)
        project.edits.mark_pinned(run_id, item_id)
    _touch(project, run_id)
    return name


def unpin_item(project: Project, run_id: int, item_id: int) -> None:
    """Forget the pin; the item stays where it is in this run with the verdict it had before
    it was pinned (the model's confidence, or the person's move)."""
    _check_run(project, run_id)
    with _recorded(project, run_id, f"Unpin {_files(project, [item_id])}", [item_id]), project.transaction():
        project.pins.remove(item_id)
        project.edits.unmark_pinned(run_id, item_id)
    _touch(project, run_id)


def apply_pins(project: Project, run_id: int) -> int:
    """Put every pinned item of the project into its pinned group in ``run_id``.

    Call after a run's assignments are saved. A group of the pinned name is matched ignoring
    case, and created when the run has none. Pins of items that are no longer readable are
    skipped. Safe to call twice. Returns how many pins were applied.
    """
    _check_run(project, run_id, editable=False)
    pinned = project.pins.of_readable_items()
    if not pinned:
        return 0
    by_name = {name.casefold(): idx for idx, name in project.results.group_names(run_id).items()}
    with project.transaction():
        for pin in pinned:
            key = pin.group_name.casefold()
            idx = by_name.get(key)
            if idx is None:
                idx = by_name[key] = project.edits.add_group(run_id, pin.group_name)
            project.edits.place(run_id, pin.item_id, idx, pinned=True)
    project.results.update_group_sizes(run_id)
    return len(pinned)


# -- runs ------------------------------------------------------------------------------------


def list_runs(project: Project) -> list[RunRow]:
    """Every run, newest first, with its size, for choosing one to compare or restore."""
    return project.runs.all()


def compare_runs(project: Project, first: int, second: int) -> list[ItemChange]:
    """Items that are in another group in ``second`` than in ``first``, by path.

    Groups are matched by their members, not their names: each group of the first run is
    paired with the group of the second that shares most of its items (one to one, largest
    overlaps first), so a renamed group is not a move. An item changed when its group's
    partner is not the group it is in now (or it went in or out of every group)."""
    _check_run(project, first, editable=False)
    _check_run(project, second, editable=False)
    a = {m.item_id: g for g in project.results.groups(first) for m in g.members}
    b = {m.item_id: g for g in project.results.groups(second) for m in g.members}
    overlap: dict[tuple[int, int], int] = {}
    for item_id, group in a.items():
        if item_id in b:
            key = (group.idx, b[item_id].idx)
            overlap[key] = overlap.get(key, 0) + 1
    partner: dict[int, int] = {}
    taken: set[int] = set()
    for (ga, gb), _count in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if ga not in partner and gb not in taken:
            partner[ga] = gb
            taken.add(gb)
    changes = []
    for item_id in sorted(set(a) | set(b)):
        before, after = a.get(item_id), b.get(item_id)
        if before is not None and after is not None and partner.get(before.idx) == after.idx:
            continue
        changes.append(ItemChange(item_id, project.item(item_id).path,
                                  before.name if before else None, after.name if after else None))
    return sorted(changes, key=lambda c: c.path)


def restore_run(project: Project, run_id: int) -> int:
    """Copy an earlier run (groups, assignments, labels) as the newest finished run.

    The copy is exactly the old result; current pins are not applied to it (they apply to the
    next organize run). Returns the new run's id.
    """
    run = _check_run(project, run_id)
    if run.status != "done":
        raise ReviewError(f"Run {run_id} did not finish ({run.status}); it cannot be restored.")
    new_id = project.runs.copy(run_id)
    project.results.update_group_sizes(new_id)
    return new_id
