"""The project store: one SQLite file per project (see :mod:`.project`).

``from corral.engine.store import Project`` is the way in; the typed rows the stores hand
out are importable from here too.
"""

from __future__ import annotations

from .journal import ExportJournal, ExportRow, OpRow
from .migrations import migrations
from .pins import Pin
from .project import Project, StoreError
from .results import UNASSIGNED, Group, Member
from .rows import ItemRow
from .runs import RunRow

__all__ = [
    "UNASSIGNED",
    "ExportJournal",
    "ExportRow",
    "Group",
    "ItemRow",
    "Member",
    "OpRow",
    "Pin",
    "Project",
    "RunRow",
    "StoreError",
    "migrations",
]
