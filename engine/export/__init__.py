"""Put the files of a run into one folder per group, and take them back out again.

This is the only package in Corral that creates, moves, links or deletes people's files, so
it follows a few rules everywhere:

* **Plan first.** :func:`plan_export` reads the disk and the project but changes nothing;
  ``ExportPlan.tree()`` shows exactly what would happen (:mod:`.plan`).
* **Never overwrite.** Every new name is created with a primitive that fails when the name
  exists (:mod:`.fsops`). A name that appears between planning and applying is replaced by
  the next free ``name (2).ext`` and recorded.
* **Journal before acting.** Each operation is written to ``export_ops`` as ``pending`` and
  committed before it touches the disk, and marked ``done`` after (:mod:`.journal`,
  :mod:`.apply`). A copy is written to a temporary name, verified (size and SHA-256), its
  hash journalled, and only then given its final name, so the journal always knows whether a
  file at a destination is one Corral made.
* **Undo only what is ours.** Each mode is one pair, ``do`` and ``revert`` (:mod:`.modes`);
  undo walks the journal backwards and reverts only what is verifiably Corral's (:mod:`.undo`).
* **Crashes roll back.** An export or undo that stopped half-way (power cut, kill -9) is
  found by :func:`resume_or_rollback`, which replays the journal backwards; every step of the
  replay is safe to repeat, so a crash during the rollback is handled by running it again.

Tables (:mod:`.tables`) and XMP sidecars (:mod:`.xmp`) write new files only.
"""

from __future__ import annotations

from .apply import apply_export
from .fsops import ExportError
from .journal import exports_into, list_exports, undoable_export
from .modes import MODES
from .plan import ExportPlan, PlannedFolder, PlannedOp, human_size, plan_export, renamed_from
from .tables import export_table
from .undo import UndoReport, resume_or_rollback, undo_export
from .xmp import write_xmp_sidecars

__all__ = [
    "MODES",
    "ExportError",
    "ExportPlan",
    "PlannedFolder",
    "PlannedOp",
    "UndoReport",
    "apply_export",
    "export_table",
    "exports_into",
    "human_size",
    "list_exports",
    "plan_export",
    "renamed_from",
    "resume_or_rollback",
    "undo_export",
    "undoable_export",
    "write_xmp_sidecars",
]
