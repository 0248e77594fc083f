"""The open project as the GUI sees it: a Qt model object the pages subscribe to.

:class:`ProjectSession` holds one connection to the project file on the GUI thread, the run
being shown, and its groups and members as plain engine dataclasses. Edits go through
:mod:`corral.engine.review` (quick SQLite writes, never model work); after each one the
session reloads and emits ``sig_changed``. A refused edit emits ``sig_refused`` with the
reason in plain words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from corral.engine import review
from corral.engine.review import UNASSIGNED, Group, Member, ReviewError, RunRow
from corral.engine.store import Project


class ProjectSession(QObject):
    sig_opened = Signal()  # another project file was opened (or the project was closed)
    sig_changed = Signal()  # groups or members of the shown run changed
    sig_runs_changed = Signal()  # a run was added (re-run, restore)
    sig_refused = Signal(str)  # an edit could not be done, and why
    sig_edited = Signal(str)  # an edit was made: its name ("Move “a.txt” to “Recipes”")
    sig_filter_changed = Signal()  # Find: which files are shown changed

    def __init__(self) -> None:
        super().__init__()
        self.path: Path | None = None
        self.project: Project | None = None
        self.run_id: int | None = None
        self.groups: list[Group] = []
        self.runs: list[RunRow] = []
        self._members: dict[int, list[Member]] = {}
        self._group_of: dict[int, int] = {}  # item id -> its group's index (UNASSIGNED: none)
        self._filter: tuple[str, bool, str | None] = ("", False, None)  # text, doubtful, kind
        self._matches: set[int] | None = None  # None: no filter, every file is shown

    # -- opening -------------------------------------------------------------------------
    def open(self, path: Path, run_id: int | None = None) -> None:
        self.close(emit=False)
        self.project = Project.open(path, create=False)
        self.path = Path(path)
        self.runs = review.list_runs(self.project)
        latest = self.project.runs.latest()
        self.run_id = run_id if run_id is not None else (latest.id if latest else None)
        self._load()
        self.sig_opened.emit()
        self.sig_runs_changed.emit()
        self.sig_changed.emit()

    def close(self, *, emit: bool = True) -> None:
        if self.project is not None:
            self.project.close()
        self.project, self.path, self.run_id = None, None, None
        self.groups, self.runs, self._members, self._group_of = [], [], {}, {}
        self._matches = None
        if emit:
            self.sig_opened.emit()
            self.sig_changed.emit()

    @property
    def is_open(self) -> bool:
        return self.project is not None

    @property
    def root(self) -> Path | None:
        return self.project.root if self.project else None

    @property
    def run(self) -> RunRow | None:
        return next((r for r in self.runs if r.id == self.run_id), None)

    def finished_runs(self) -> list[RunRow]:
        return [r for r in self.runs if r.status == "done"]

    # -- reading -------------------------------------------------------------------------
    def show_run(self, run_id: int) -> None:
        if run_id != self.run_id:
            self.run_id = run_id
            self._load()
            self.sig_changed.emit()

    def refresh_runs(self, show_latest: bool = True) -> None:
        """Reread the runs (after a run or a restore) and show the newest finished one."""
        if self.project is None:
            return
        self.runs = review.list_runs(self.project)
        latest = self.project.runs.latest()
        if show_latest and latest is not None:
            self.run_id = latest.id
        self._load()
        self.sig_runs_changed.emit()
        self.sig_changed.emit()

    def _load(self) -> None:
        self.groups, self._members, self._group_of = [], {}, {}
        if self.project is None or self.run_id is None:
            return
        self.groups = review.group_summaries(self.project, self.run_id)
        self._members = {group.idx: group.members for group in self.groups}
        self._members[UNASSIGNED] = review.unassigned(self.project, self.run_id)
        self._group_of = {m.item_id: idx for idx, members in self._members.items() for m in members}
        self._find()

    def members_of(self, group_idx: int) -> list[Member]:
        return list(self._members.get(group_idx, []))

    # -- find and filter -----------------------------------------------------------------
    def set_filter(self, text: str = "", doubtful: bool = False, kind: str | None = None) -> None:
        """Show only the files, in every group, whose name or text holds ``text``, that the
        model was unsure of (``doubtful``), of one ``kind`` (document | image)."""
        self._filter = (text.strip(), doubtful, kind)
        self._find()
        self.sig_filter_changed.emit()

    @property
    def filtering(self) -> bool:
        return self._matches is not None

    def matches(self, item_id: int) -> bool:
        return self._matches is None or item_id in self._matches

    def shown_members(self, group_idx: int) -> list[Member]:
        """The group's members that the filter lets through (all without a filter)."""
        return [m for m in self._members.get(group_idx, []) if self.matches(m.item_id)]

    def _find(self) -> None:
        text, doubtful, kind = self._filter
        if self.project is None or self.run_id is None or not (text or doubtful or kind):
            self._matches = None
            return
        self._matches = review.find(self.project, self.run_id, text, doubtful=doubtful, kind=kind)

    def group_of_item(self, item_id: int) -> int | None:
        """The index of the shown group holding the item (UNASSIGNED: none), or None when
        the item is not a readable file of the project."""
        return self._group_of.get(item_id)

    def group(self, idx: int) -> Group | None:
        return next((g for g in self.groups if g.idx == idx), None)

    def other_groups(self, idx: int | None) -> list[Group]:
        """The groups of the shown run except ``idx``: where its items can go."""
        return [g for g in self.groups if g.idx != idx]

    def preview_text(self, member: Member) -> str:
        return review.preview_text(self.project, member) if self.project else member.snippet

    @property
    def item_count(self) -> int:
        return sum(len(m) for idx, m in self._members.items() if idx != UNASSIGNED)

    def compare(self, other_run: int) -> list[review.ItemChange]:
        if self.project is None or self.run_id is None:
            return []
        return review.compare_runs(self.project, other_run, self.run_id)

    # -- editing -------------------------------------------------------------------------
    def _reload_groups(self, idxs: set[int]) -> None:
        """Read again only the groups ``idxs`` (UNASSIGNED: the files in none) after an edit
        that changed nothing else: a move among two groups of a 20,000-file run reads those
        two, not all twenty."""
        assert self.project is not None and self.run_id is not None
        names = review.group_names(self.project, self.run_id)
        for idx in idxs:
            members = review.members(self.project, self.run_id, idx)
            self._members[idx] = members
            self._group_of.update((m.item_id, idx) for m in members)
            if idx != UNASSIGNED:
                fresh = Group(idx, names[idx], members)
                self.groups = [fresh if g.idx == idx else g for g in self.groups]
        self._find()

    def _edit(self, fn: Callable[..., Any], *args: Any, touches: set[int | None] | None = None) -> Any:
        """Make an edit of the shown run, then read again what it changed: the groups
        ``touches`` (item moves, pins), or everything (None)."""
        if self.project is None or self.run_id is None:
            self.sig_refused.emit("Open a project with a finished run first.")
            return None
        last = review.undo_name(self.project, self.run_id)
        try:
            result = fn(self.project, self.run_id, *args)
        except ReviewError as exc:
            self.sig_refused.emit(str(exc))
            return None
        self.runs = review.list_runs(self.project)
        if touches is None or None in touches:
            self._load()
        else:
            self._reload_groups({idx for idx in touches if idx is not None})
        self.sig_changed.emit()
        done = review.undo_name(self.project, self.run_id)
        if fn not in (review.undo, review.redo) and done is not None and done != last:
            self.sig_edited.emit(done)
        return result

    def rename_group(self, idx: int, name: str) -> str | None:
        return self._edit(review.rename_group, idx, name)

    def new_group(self, name: str) -> int | None:
        return self._edit(review.new_group, name)

    def merge_groups(self, into: int, from_: list[int]) -> int | None:
        return self._edit(review.merge_groups, into, from_)

    def delete_group(self, idx: int, move_to: int | None = None) -> int | None:
        return self._edit(review.delete_group, idx, move_to)

    def move_items(self, item_ids: list[int], to_group: int) -> int | None:
        touched = {to_group} | {self._group_of.get(i) for i in item_ids}
        return self._edit(review.move_items, item_ids, to_group, touches=touched)

    def pin_item(self, item_id: int) -> str | None:
        return self._edit(review.pin_item, item_id, touches={self._group_of.get(item_id)})

    def unpin_item(self, item_id: int) -> None:
        self._edit(review.unpin_item, item_id, touches={self._group_of.get(item_id)})

    def undo(self) -> str | None:
        """Take back the shown run's last hand edit; returns its name (None: nothing to undo)."""
        return self._edit(review.undo)

    def redo(self) -> str | None:
        return self._edit(review.redo)

    def undo_name(self) -> str | None:
        if self.project is None or self.run_id is None:
            return None
        return review.undo_name(self.project, self.run_id)

    def redo_name(self) -> str | None:
        if self.project is None or self.run_id is None:
            return None
        return review.redo_name(self.project, self.run_id)

    def restore_run(self, run_id: int) -> int | None:
        if self.project is None:
            return None
        try:
            new_id = review.restore_run(self.project, run_id)
        except ReviewError as exc:
            self.sig_refused.emit(str(exc))
            return None
        self.refresh_runs()
        return new_id
