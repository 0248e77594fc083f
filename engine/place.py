"""New files into the groups a finished run already has, instead of grouping everything again.

A person who adds a week of photos to a sorted folder expects those photos sorted into the
folders they have, not a new sorting of the whole library (issue 13). When the project has a
finished run with the same settings (criterion, K, method, model, prompt versions) and the
folder changed by at most ``PLACE_MAX_SHARE`` of that run's files, :func:`find_basis` takes
that run as the basis:

- files still there with the same description keep their group, their confidence and who put
  them there (the person's review edits and renamed groups included);
- files gone from the folder leave their groups;
- new files, and files whose description changed, choose among the run's group names with
  the constrained choice (the assign stage's prompt and cache): one model call each.

An unchanged folder is the basis run again, with no model call.

So adding N files to a project of M costs N model calls, whatever M is. Beyond the share, or
when the person asks (``--regroup``, "Group everything again" in the app), everything is
grouped again, which finds groups the new files may need.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import prompts
from .stages.assign import Assignment, assign_items
from .stages.base import Settings, StageContext
from .store import Member, Project, RunRow

PLACE_MAX_SHARE = 0.2  # more new or changed files than this share of the basis: group again


@dataclass
class Basis:
    run: RunRow
    groups: dict[int, str]  # the run's group index -> name, in index order
    kept: dict[int, Member]  # item id -> its place in the run, for files that did not change
    new: list[tuple[int, str, str]]  # (item id, content hash, description) to place
    removed: int  # the run's files no longer in the folder (or no longer readable)

    @property
    def names(self) -> list[str]:
        """The group names in index order (the new run's groups 0..n-1)."""
        return list(self.groups.values())


def recorded_settings(settings: Settings) -> dict:
    """What a run records as its settings (and what a basis must match)."""
    return {**settings.as_dict(), "prompts": prompts.VERSIONS}


def find_basis(project: Project, settings: Settings, model_id: str,
               described: list[tuple[int, str, str]]) -> tuple[Basis | None, str]:
    """The run to place new files into, or None and why not (an empty reason: no such run).
    When nothing changed, the run is carried over as it is (the person's edits included)."""
    wanted = json.loads(json.dumps(recorded_settings(settings)))  # as a run holds it
    run = next((r for r in project.runs.all() if r.status == "done" and r.model == model_id
                and r.criterion == settings.criterion and r.k == settings.k and r.settings == wanted),
                None)
    if run is None:
        return None, ""
    members = {m.item_id: m for m in project.results.members(run.id)}
    now = {item_id: desc for item_id, _, desc in described}
    kept = {i: m for i, m in members.items() if i in now and m.description == now[i]}
    new = [row for row in described if row[0] not in kept]
    removed = sum(1 for i in members if i not in now)
    if len(new) > PLACE_MAX_SHARE * max(1, len(kept)):
        return None, (f"{len(new)} new or changed files are more than {PLACE_MAX_SHARE:.0%} of "
                      f"the {len(kept)} run {run.id} grouped, so everything was grouped again")
    groups = project.results.group_names(run.id)
    if not groups:
        return None, ""
    return Basis(run, groups, kept, new, removed), ""


def place(ctx: StageContext, basis: Basis) -> dict[int, tuple[Assignment, str]]:
    """Every file's group in the new run (indexes into ``basis.names``) and its source: the
    kept files' as they were, the new files' chosen by the model among the names."""
    position = {idx: n for n, idx in enumerate(basis.groups)}
    out: dict[int, tuple[Assignment, str]] = {}
    for item_id, m in basis.kept.items():
        out[item_id] = (Assignment(position[m.group_idx], m.confidence if m.confidence is not None else 1.0,
                                   m.unsure), m.source or "model")
    if basis.new:
        if len(basis.names) == 1:
            chosen = {item_id: Assignment(0, 1.0, False) for item_id, _, _ in basis.new}
        else:
            chosen = assign_items(ctx, basis.names, basis.new, shown_as="place")
        for item_id, a in chosen.items():
            out[item_id] = (a, "model")
    ctx.stats["placed"] = {"basis_run": basis.run.id, "new": len(basis.new), "kept": len(basis.kept),
                           "removed": basis.removed}
    return out
