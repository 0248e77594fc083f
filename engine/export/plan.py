"""Planning an export: every folder and file it would create, worked out without writing.

Files go to ``dest/<safe group name>/<original file name>``, or with ``keep_subfolders`` to
``dest/<safe group name>/<the file's subfolders in the organized folder>/<file name>``.
:func:`plan_export` reads the disk and the project and changes nothing; ``ExportPlan.tree()`` shows exactly what would
happen. :func:`validate_plan` checks a plan (perhaps old, perhaps built by other code)
before it is applied.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from corral.engine.safe_names import safe_folder_name
from corral.engine.store import Group, ItemRow, Project

from . import modes
from .fsops import ExportError, abs_path, free_name, is_real_dir, name_key
from .modes import MODES

__all__ = [
    "ExportPlan",
    "PlannedFolder",
    "PlannedOp",
    "check_dest",
    "human_size",
    "plan_export",
    "renamed_from",
    "require_run",
    "source_path",
    "validate_plan",
]


def human_size(n: int) -> str:
    """``532 B``, ``1.2 kB``, ``3.4 MB`` ... up to TB (decimal units, as file managers show)."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


@dataclass
class PlannedOp:
    """One step of an export: ``mkdir`` (``src`` is None) or a file ``copy``/``move``/link."""

    op: str
    src: Path | None
    dst: Path
    size: int


@dataclass(frozen=True)
class PlannedFolder:
    """A group folder of a plan and the files it will receive."""

    path: Path
    new: bool  # the export creates it (else it exists and is reused)
    files: list[PlannedOp]

    @property
    def size(self) -> int:
        return sum(op.size for op in self.files)

    def shown_name(self, op: PlannedOp) -> str:
        """Where the file goes inside this folder: its name, or ``sub/folders/name`` when
        the export keeps subfolders."""
        return op.dst.relative_to(self.path).as_posix()


@dataclass
class ExportPlan:
    """What :func:`~corral.engine.export.apply_export` would do. Building one changes nothing."""

    run_id: int
    dest: Path
    mode: str
    ops: list[PlannedOp]
    warnings: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item path, why)
    keep_subfolders: bool = False  # files keep their subfolders under their group's folder

    @property
    def file_ops(self) -> list[PlannedOp]:
        return [op for op in self.ops if op.op != "mkdir"]

    @property
    def total_size(self) -> int:
        return sum(op.size for op in self.file_ops)

    def folders(self) -> list[PlannedFolder]:
        """The group folders, in the plan's order, each with its files, those in kept
        subfolders too (a folder the export creates is listed even while no file goes into
        it)."""
        new_dirs = {op.dst for op in self.ops if op.op == "mkdir"}
        files: dict[Path, list[PlannedOp]] = {}
        for op in self.ops:
            if op.op == "mkdir":
                if op.dst.parent == self.dest:
                    files.setdefault(op.dst, [])
            else:
                files.setdefault(self._group_folder(op.dst), []).append(op)
        return [PlannedFolder(path, path in new_dirs, ops) for path, ops in files.items()]

    def _group_folder(self, dst: Path) -> Path:
        """The group folder (directly inside the destination) that ``dst`` lies in."""
        try:
            return self.dest / dst.relative_to(self.dest).parts[0]
        except (ValueError, IndexError):  # not inside the destination (a tampered plan)
            return dst.parent

    def tree(self, *, max_files: int | None = None) -> str:
        """A readable preview: each folder with its files, counts and sizes.

        A file that will get a different name than its original (a name collision) shows
        the original name after an arrow. ``max_files`` limits the files listed per folder.
        """
        files = self.file_ops
        verb = modes.mode(self.mode).verb if self.mode in MODES else self.mode
        lines = [
            f"{verb} {len(files)} file{'s' if len(files) != 1 else ''} "
            f"({human_size(self.total_size)}) into {self.dest}"
        ]
        lines += [f"  ! {w}" for w in self.warnings]
        for folder in self.folders():
            ops = folder.files
            marker = "" if folder.new else "  (exists)"
            lines.append(
                f"  {folder.path.name}/  {len(ops)} file{'s' if len(ops) != 1 else ''}, "
                f"{human_size(folder.size)}{marker}"
            )
            shown = ops if max_files is None else ops[:max_files]
            for op in shown:
                renamed = f"  <- {renamed_from(op)}" if renamed_from(op) else ""
                lines.append(f"    {folder.shown_name(op)}  ({human_size(op.size)}){renamed}")
            if len(shown) < len(ops):
                lines.append(f"    ... and {len(ops) - len(shown)} more")
        if self.skipped:
            lines.append(f"  Not exported: {len(self.skipped)}")
            lines += [f"    {path}: {why}" for path, why in self.skipped]
        return "\n".join(lines)


def renamed_from(op: PlannedOp) -> str:
    """The original file name when the export gives the file another one (a name collision),
    else ""."""
    return op.src.name if op.src is not None and op.src.name != op.dst.name else ""


def source_path(root: Path, item: ItemRow) -> Path:
    """Where the item's file is, from its exact raw bytes when the project has them."""
    rel = os.fsdecode(item.raw_path) if item.raw_path else item.path
    return root / rel


def require_run(project: Project, run_id: int) -> None:
    if not project.runs.exists(run_id):
        raise ExportError(f"There is no run {run_id} in this project.")


def check_dest(root: Path, dest: Path) -> list[str]:
    """Refuse destinations that would swallow the organized folder; warn about nested ones."""
    root_r = Path(os.path.realpath(root))
    dest_r = Path(os.path.realpath(dest))
    if dest_r == root_r or dest_r in root_r.parents:
        raise ExportError(
            f"The destination {dest} is the organized folder {root} or a folder that contains "
            "it; choose a folder outside it."
        )
    if os.path.lexists(dest) and not dest_r.is_dir():
        raise ExportError(f"The destination {dest} exists and is not a folder.")
    if root_r in dest_r.parents:
        return [
            f"The destination is inside the organized folder {root}; the next scan will see "
            "the exported files there too."
        ]
    return []


def plan_export(
    project: Project,
    run_id: int,
    dest: str | Path,
    mode: str,
    *,
    include_unsure: bool = True,
    keep_subfolders: bool = False,
) -> ExportPlan:
    """Work out every folder and file an export would create. Reads, never writes.

    Files go to ``dest/<safe group name>/<original file name>``; with ``keep_subfolders``
    a file in a subfolder of the organized folder keeps that path under its group's folder
    (``docs/2024/a.pdf`` in group "Bills" goes to ``dest/Bills/docs/2024/a.pdf``). Two
    groups whose folder names clash (after sanitising, ignoring case) get ``" (2)"``; a
    file name that is already taken on disk or earlier in the plan gets ``"name (2).ext"``,
    and so does a subfolder whose name a file or link already holds. An existing real
    folder of the right name is reused (nothing already in it is ever replaced).
    """
    if mode not in MODES:
        raise ExportError(f"Unknown export mode {mode!r}; use one of {', '.join(MODES)}.")
    root = project.root
    if root is None:
        raise ExportError("The project has no folder set, so there is nothing to export.")
    require_run(project, run_id)
    root = abs_path(root)
    dest = abs_path(dest)
    warnings = check_dest(root, dest)

    ops: list[PlannedOp] = []
    skipped: list[tuple[str, str]] = []
    # Folders to create above the group folders, outermost first.
    missing: list[Path] = []
    probe = dest
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = probe.parent
    if not probe.is_dir():
        raise ExportError(f"{probe} is not a folder, so {dest} cannot be created.")
    ops += [PlannedOp("mkdir", None, d, 0) for d in reversed(missing)]

    used_folders: set[str] = set()
    taken: set[str] = set()
    subfolders: dict[tuple[Path, tuple[str, ...]], Path] = {}
    for group in project.results.groups(run_id):
        members = _members(group, include_unsure, root, skipped)
        if not members:
            continue
        base = safe_folder_name(group.name, fallback=f"Group {group.idx + 1}")
        folder = dest / base
        n = 1
        # Reuse a real folder of that name; never one that is a file or a symbolic link
        # (a link could lead the export out of the destination).
        while folder.name.casefold() in used_folders or (
            os.path.lexists(folder) and not is_real_dir(folder)
        ):
            n += 1
            folder = dest / f"{base} ({n})"
        used_folders.add(folder.name.casefold())
        if not os.path.lexists(folder):
            ops.append(PlannedOp("mkdir", None, folder, 0))
        for item, src, size in members:
            place = folder
            if keep_subfolders:
                parts = abs_path(src).parent.relative_to(root).parts
                place = _subfolder(folder, parts, subfolders, taken, ops)
            target = place / src.name
            try:
                if os.path.lexists(target) and os.path.samefile(src, target):
                    skipped.append((item.path, "already in this place"))
                    continue
            except OSError:
                pass
            ops.append(PlannedOp(mode, src, free_name(place, src.name, taken), size))
    # Files a person took out of every group (review.delete_group) are said, not just left out.
    skipped += [(member.path, "in no group") for member in project.results.unassigned(run_id)]
    return ExportPlan(run_id, dest, mode, ops, warnings, skipped, keep_subfolders)


def _subfolder(
    folder: Path,
    parts: tuple[str, ...],
    planned: dict[tuple[Path, tuple[str, ...]], Path],
    taken: set[str],
    ops: list[PlannedOp],
) -> Path:
    """The folder under the group folder ``folder`` that keeps the subfolder path ``parts``,
    planning a ``mkdir`` for each level that does not exist yet.

    An existing real folder is reused; a name held by a file, a symbolic link (which could
    lead out of the destination) or a name planned for something else gets ``" (2)"``.
    """
    place = folder
    for depth in range(1, len(parts) + 1):
        key = (folder, parts[:depth])
        if key in planned:
            place = planned[key]
            continue
        name = parts[depth - 1]
        candidate = place / name
        n = 1
        while name_key(candidate) in taken or (
            os.path.lexists(candidate) and not is_real_dir(candidate)
        ):
            n += 1
            candidate = place / f"{name} ({n})"
        taken.add(name_key(candidate))
        if not os.path.lexists(candidate):
            ops.append(PlannedOp("mkdir", None, candidate, 0))
        planned[key] = place = candidate
    return place


def _members(
    group: Group, include_unsure: bool, root: Path, skipped: list[tuple[str, str]]
) -> list[tuple[ItemRow, Path, int]]:
    """The group's items that can be exported now, with their source paths and sizes."""
    out = []
    for member in group.members:
        item = member.item
        if member.unsure and not include_unsure:
            skipped.append((item.path, "the model was unsure"))
            continue
        if item.status != "ok":
            skipped.append((item.path, f"item is {item.status}"))
            continue
        src = source_path(root, item)
        if root not in abs_path(src).parents:
            skipped.append((item.path, "not inside the organized folder"))
            continue
        try:
            st = os.lstat(src)
        except OSError:
            skipped.append((item.path, "no longer exists"))
            continue
        if not stat.S_ISREG(st.st_mode):
            skipped.append((item.path, "not a regular file"))
            continue
        out.append((item, src, st.st_size))
    return out


def validate_plan(project: Project, plan: ExportPlan) -> Path:
    """Check a plan before acting on it; returns its destination, absolute."""
    if plan.mode not in MODES:
        raise ExportError(f"Unknown export mode {plan.mode!r}.")
    root = project.root
    if root is None:
        raise ExportError("The project has no folder set.")
    root = abs_path(root)
    dest = abs_path(plan.dest)
    check_dest(root, dest)
    for op in plan.ops:
        dst = abs_path(op.dst)
        if dst != op.dst:
            raise ExportError(f"Planned path {op.dst} is not absolute and normalised.")
        # How deep below the destination the plan may create things: a group folder (1) and
        # its files (2), or with subfolders kept, any depth below a group folder.
        depth = len(dst.relative_to(dest).parts) if dest in dst.parents else 0
        if op.op == "mkdir":
            if not (dst == dest or dst in dest.parents or depth == 1
                    or (plan.keep_subfolders and depth > 1)):
                raise ExportError(f"Planned folder {dst} is outside the destination.")
        elif op.op == plan.mode:
            inside = depth == 2 or (plan.keep_subfolders and depth > 2)
            if op.src is None or not inside or dst.name in ("", ".", ".."):
                raise ExportError(f"Planned file {dst} is not inside a group folder of {dest}.")
            if root not in abs_path(op.src).parents:
                raise ExportError(f"Planned source {op.src} is not inside the organized folder.")
        else:
            raise ExportError(f"Planned operation {op.op!r} does not match mode {plan.mode!r}.")
    return dest
