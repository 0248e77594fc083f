"""Hand edits of a run's result: the writes behind engine/review.py.

Each method is one change of the ``groups`` and ``assignments`` tables, in its own
transaction (or the caller's, through ``Project.transaction()``). Checking that an edit makes
sense (the run exists and is finished, names are unique) and keeping pins in step is the
review module's job; what a person decides is certain, so items placed by hand get
confidence 1.0 and are never unsure.
"""

from __future__ import annotations

import sqlite_utils


class Edits:
    """Writes to the ``groups`` and ``assignments`` of one run at a time."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self._db = db

    def rename_group(self, run_id: int, idx: int, name: str) -> None:
        with self._db.atomic():
            self._db.table("groups").update((run_id, idx), {"name": name})

    def add_group(self, run_id: int, name: str) -> int:
        """An empty group after the last one; returns its index."""
        with self._db.atomic():
            last = self._db.execute(
                "select max(idx) from groups where run_id = ?", [run_id]
            ).fetchone()[0]
            idx = 0 if last is None else int(last) + 1
            self._db.table("groups").insert({"run_id": run_id, "idx": idx, "name": name, "size": 0})
        return idx

    def remove_group(self, run_id: int, idx: int) -> None:
        """Delete the group's row (its assignments must have gone somewhere first)."""
        with self._db.atomic():
            self._db.table("groups").delete((run_id, idx))

    def move_group(self, run_id: int, from_idx: int, to_idx: int, *, decided: bool) -> None:
        """Every item of one group into another. ``decided``: the person chose each item's
        new group (confidence 1.0, sure, source ``user`` unless pinned); otherwise the items
        keep their confidence and source (a merge changes the groups, not the verdicts)."""
        decision = (
            ", confidence = 1.0, unsure = 0, "
            "source = case when source = 'pinned' then 'pinned' else 'user' end, "
            "prior_confidence = null, prior_unsure = null, prior_source = null"
            if decided
            else ""
        )
        with self._db.atomic():
            self._db.execute(
                f"update assignments set group_idx = ?{decision} where run_id = ? and group_idx = ?",
                [to_idx, run_id, from_idx],
            )

    def unassign_group(self, run_id: int, idx: int) -> None:
        """The group's items are in no group of the run any more."""
        with self._db.atomic():
            self._db.table("assignments").delete_where("run_id = ? and group_idx = ?", [run_id, idx])

    def unassign(self, run_id: int, item_id: int) -> None:
        with self._db.atomic():
            self._db.table("assignments").delete_where("run_id = ? and item_id = ?", [run_id, item_id])

    def place(self, run_id: int, item_id: int, idx: int, *, pinned: bool) -> None:
        """Put one item into a group as the person's decision (``pinned``: by its pin)."""
        record = {
            "run_id": run_id,
            "item_id": item_id,
            "group_idx": idx,
            "confidence": 1.0,
            "unsure": 0,
            "source": "pinned" if pinned else "user",
            "prior_confidence": None,  # moved: what the model said no longer applies
            "prior_unsure": None,
            "prior_source": None,
        }
        with self._db.atomic():
            self._db.table("assignments").upsert(record, pk=("run_id", "item_id"))

    def mark_pinned(self, run_id: int, item_id: int) -> None:
        """The item stays where it is, now by its pin; the verdict it had is kept for
        :meth:`unmark_pinned`."""
        with self._db.atomic():
            self._db.execute(
                "update assignments set prior_confidence = confidence, prior_unsure = unsure, "
                "prior_source = source where run_id = ? and item_id = ? and source != 'pinned'",
                [run_id, item_id],
            )
            self._db.table("assignments").update(
                (run_id, item_id), {"source": "pinned", "confidence": 1.0, "unsure": 0}
            )

    def unmark_pinned(self, run_id: int, item_id: int) -> None:
        """A pinned item stays where it is, with the verdict it had before it was pinned
        there (the model's confidence, or the person's move); as the person's choice when
        none is known (it was put there by its pin)."""
        with self._db.atomic():
            self._db.execute(
                "update assignments set source = coalesce(prior_source, 'user'), "
                "confidence = coalesce(prior_confidence, confidence), "
                "unsure = coalesce(prior_unsure, unsure), prior_confidence = null, "
                "prior_unsure = null, prior_source = null "
                "where run_id = ? and item_id = ? and source = 'pinned'",
                [run_id, item_id],
            )
