"""Put the files of a run into one folder per group, and take them back out again.

This is the only module in Corral that creates, moves, links or deletes people's files, so
it follows a few rules everywhere:

* **Plan first.** :func:`plan_export` reads the disk and the project but changes nothing;
  ``ExportPlan.tree()`` shows exactly what would happen.
* **Never overwrite.** Every new name is created with a primitive that fails when the name
  exists (``O_EXCL``, ``os.link``, ``os.symlink``, ``os.mkdir``). A name that appears
  between planning and applying is replaced by the next free ``name (2).ext`` and recorded.
* **Journal before acting.** Each operation is written to ``export_ops`` as ``pending`` and
  committed before it touches the disk, and marked ``done`` after. A copy is written to a
  temporary name, verified (size and SHA-256), its hash journalled, and only then given its
  final name, so the journal always knows whether a file at a destination is one Corral made.
* **Undo only what is ours.** Undo walks the journal backwards and deletes a copy only when
  it still has the recorded size and hash, a hard link only while it is still the same file
  as the original, a symbolic link only while it points where Corral pointed it; a moved file
  goes back to its original path unless something else now lives there. Anything else is
  left alone and reported.
* **Crashes roll back.** An export or undo that stopped half-way (power cut, kill -9) is
  found by :func:`resume_or_rollback`, which replays the journal backwards; every step of the
  replay is safe to repeat, so a crash during the rollback is handled by running it again.

Moves leave the (possibly now empty) source folders in place, so undo never has to guess
which folders existed before.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one Corral process per project there
    fcntl = None  # type: ignore[assignment]

from .jobs import Cancelled, CancelToken, ProgressCallback, StageProgress
from .safe_names import safe_folder_name
from .store import Group, ItemRow, Project

__all__ = [
    "MODES",
    "ExportError",
    "ExportPlan",
    "PlannedOp",
    "UndoReport",
    "apply_export",
    "export_table",
    "list_exports",
    "plan_export",
    "resume_or_rollback",
    "undo_export",
    "write_xmp_sidecars",
]

MODES = ("copy", "move", "hardlink", "symlink")
_CHUNK = 1 << 20
_MAX_NAME_BYTES = 255
# Errors from os.link() that mean "this file system has no hard links" (FAT, exFAT, some
# network shares), as opposed to "the name exists" or "different file system".
_NO_LINK_SUPPORT = {
    errno.EPERM,
    errno.EACCES,
    errno.ENOTSUP,
    errno.EOPNOTSUPP,
    errno.EMLINK,
    errno.ENOSYS,
}


class ExportError(Exception):
    """An export, undo or table/sidecar write cannot go ahead; the message says why."""


@dataclass
class PlannedOp:
    """One step of an export: ``mkdir`` (``src`` is None) or a file ``copy``/``move``/link."""

    op: str
    src: Path | None
    dst: Path
    size: int


@dataclass
class ExportPlan:
    """What :func:`apply_export` would do. Building one changes nothing on disk."""

    run_id: int
    dest: Path
    mode: str
    ops: list[PlannedOp]
    warnings: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (item path, why)

    @property
    def file_ops(self) -> list[PlannedOp]:
        return [op for op in self.ops if op.op != "mkdir"]

    @property
    def total_size(self) -> int:
        return sum(op.size for op in self.file_ops)

    def tree(self, *, max_files: int | None = None) -> str:
        """A readable preview: each folder with its files, counts and sizes.

        A file that will get a different name than its original (a name collision) shows
        the original name after an arrow. ``max_files`` limits the files listed per folder.
        """
        files = self.file_ops
        verb = {"copy": "Copy", "move": "Move", "hardlink": "Hard-link", "symlink": "Symlink"}.get(
            self.mode, self.mode
        )
        lines = [
            f"{verb} {len(files)} file{'s' if len(files) != 1 else ''} "
            f"({_human_size(self.total_size)}) into {self.dest}"
        ]
        lines += [f"  ! {w}" for w in self.warnings]
        new_dirs = {op.dst for op in self.ops if op.op == "mkdir"}
        folders: dict[Path, list[PlannedOp]] = {}
        for op in self.ops:
            if op.op == "mkdir":
                if op.dst.parent == self.dest:
                    folders.setdefault(op.dst, [])
            else:
                folders.setdefault(op.dst.parent, []).append(op)
        for folder, ops in folders.items():
            size = sum(op.size for op in ops)
            marker = "" if folder in new_dirs else "  (exists)"
            lines.append(
                f"  {folder.name}/  {len(ops)} file{'s' if len(ops) != 1 else ''}, "
                f"{_human_size(size)}{marker}"
            )
            shown = ops if max_files is None else ops[:max_files]
            for op in shown:
                renamed = (
                    f"  <- {op.src.name}"
                    if op.src is not None and op.src.name != op.dst.name
                    else ""
                )
                lines.append(f"    {op.dst.name}  ({_human_size(op.size)}){renamed}")
            if len(shown) < len(ops):
                lines.append(f"    ... and {len(ops) - len(shown)} more")
        if self.skipped:
            lines.append(f"  Not exported: {len(self.skipped)}")
            lines += [f"    {path}: {why}" for path, why in self.skipped]
        return "\n".join(lines)


@dataclass
class UndoReport:
    """What an undo did. ``left`` holds files kept on purpose, ``failed`` errors."""

    export_id: int
    undone: int = 0
    left: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.left and not self.failed


# -- small helpers ---------------------------------------------------------------------------


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def _abs(path: str | Path) -> Path:
    """Absolute and normalised (``..`` removed) without following symbolic links."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def _to_db(path: Path | None) -> str | bytes | None:
    """A path for the journal: text when it is valid UTF-8, else its exact bytes (a BLOB)."""
    if path is None:
        return None
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


def _from_db(value: str | bytes | None) -> Path | None:
    if value is None or value == "" or value == b"":
        return None
    return Path(os.fsdecode(value))


def _source_path(root: Path, item: ItemRow) -> Path:
    rel = os.fsdecode(item.raw_path) if item.raw_path else item.path
    return root / rel


def _sha256_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, "sha256:" + digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    """Make a new directory entry durable; not possible (nor needed) everywhere."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _same_device(a: Path, b_dir: Path) -> bool:
    """Whether file ``a`` and directory ``b_dir`` are on the same file system."""
    return os.lstat(a).st_dev == os.stat(b_dir).st_dev


def _with_number(name: str, n: int) -> str:
    """``"IMG 1.jpg"`` with ``n=2`` gives ``"IMG 1 (2).jpg"``, shortened to stay a valid name."""
    stem, ext = os.path.splitext(name)
    if len(os.fsencode(ext)) > 40:  # not an extension, just a dot in a long name
        stem, ext = name, ""
    suffix = f" ({n})"
    while stem and len(os.fsencode(stem + suffix + ext)) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    return f"{stem}{suffix}{ext}"


def _key(path: Path) -> str:
    """Compare planned names case-insensitively: on macOS and Windows ``A.jpg`` is ``a.jpg``."""
    return os.fspath(path).casefold()


def _free_name(folder: Path, name: str, taken: set[str]) -> Path:
    candidate = folder / name
    n = 1
    while os.path.lexists(candidate) or _key(candidate) in taken:
        n += 1
        candidate = folder / _with_number(name, n)
    taken.add(_key(candidate))
    return candidate


def _temp_for(dst: Path, export_id: int, seq: int, undo: bool = False) -> Path:
    """The temporary name a copy is written to before it gets its real name.

    Derived from the journal row, so a rollback after a crash finds (and removes) it
    without guessing; short, so it fits even where the final name barely does.
    """
    return dst.parent / f".corral-{export_id}-{seq}{'.undo' if undo else ''}.part"


def _copy_to_temp(src: Path, tmp: Path) -> tuple[int, str, float]:
    """Copy ``src`` into the new file ``tmp`` (which must not exist), keeping timestamps.

    Returns (size, sha256 of the bytes read, source mtime). The copy is fsynced so that
    the later "delete the original" of a move never runs ahead of the data.
    """
    st = os.stat(src)
    digest = hashlib.sha256()
    size = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
            while chunk := fin.read(_CHUNK):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
            fout.flush()
            os.fsync(fout.fileno())
        try:
            shutil.copystat(src, tmp)
        except OSError:  # e.g. chmod refused on FAT: the timestamps still matter
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    except BaseException:
        _remove_quietly(tmp)
        raise
    return size, "sha256:" + digest.hexdigest(), st.st_mtime


def _verify(path: Path, size: int, content_hash: str) -> None:
    got_size, got_hash = _sha256_file(path)
    if got_size != size or got_hash != content_hash:
        raise ExportError(
            f"the copy at {path} does not match the original ({got_size} of {size} bytes, "
            "different content); nothing was changed"
        )


def _publish(tmp: Path, dst: Path) -> None:
    """Give the finished file ``tmp`` the name ``dst``, failing if ``dst`` exists.

    ``os.link`` is atomic and never replaces; where the file system has no hard links the
    fallback checks first and renames (a tiny window, but the best such systems allow).
    """
    try:
        os.link(tmp, dst)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _NO_LINK_SUPPORT:
            raise
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, "File exists", os.fspath(dst)) from None
        os.rename(tmp, dst)
        return
    os.unlink(tmp)


def _remove_source(src: Path) -> None:
    """Delete the original of a move once its copy is verified and named (a test hook)."""
    os.unlink(src)


def _rename_no_replace(src: Path, dst: Path) -> None:
    """Move within one file system without ever replacing ``dst``.

    Hard-link then unlink: if interrupted in between, both names point at the same inode,
    which a rollback recognises and resolves by dropping the new name.
    """
    if not os.path.islink(src):
        try:
            os.link(src, dst)
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _NO_LINK_SUPPORT:
                raise
        else:
            try:
                _remove_source(src)
            except OSError:
                os.unlink(dst)  # the original stays where it was; the new name goes
                raise
            return
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, "File exists", os.fspath(dst))
    os.rename(src, dst)


# -- one export or undo at a time -------------------------------------------------------------


@contextmanager
def _exclusive(project: Project) -> Iterator[bool]:
    """Hold the project's export lock while files are changed; yields False if it is taken.

    Without it, a second Corral process (the desktop app next to a CLI run) could take an
    export that is still running for a crashed one and roll it back under its feet. The
    lock is an advisory ``flock`` on ``<project>.export-lock``; the kernel drops it when the
    holder dies, which is exactly when :func:`resume_or_rollback` should act.
    """
    if fcntl is None:
        yield True
        return
    path = Path(str(project.path) + ".export-lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


_BUSY = "Another export or undo of this project is running; try again when it has finished."


# -- journal ---------------------------------------------------------------------------------


class _Journal:
    """The ``exports``/``export_ops`` tables; every write is committed before returning."""

    def __init__(self, project: Project) -> None:
        self.conn = project.db.conn

    def _write(self, sql: str, args: list[Any]) -> int:
        with self.conn:
            cur = self.conn.execute(sql, args)
        return int(cur.lastrowid or 0)

    def new_export(self, run_id: int, dest: Path, mode: str) -> int:
        return self._write(
            "insert into exports (run_id, dest, mode, status, created, error) values (?,?,?,?,?,?)",
            [run_id, _to_db(dest), mode, "applying", time.time(), ""],
        )

    def set_export(
        self, export_id: int, status: str, error: str = "", finished: bool = True
    ) -> None:
        self._write(
            "update exports set status = ?, error = ?, finished = ? where id = ?",
            [status, error, time.time() if finished else None, export_id],
        )

    def export(self, export_id: int) -> dict[str, Any] | None:
        cur = self.conn.execute("select * from exports where id = ?", [export_id])
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cur.description], row, strict=True))

    def add_op(
        self,
        export_id: int,
        seq: int,
        op: str,
        src: Path | None,
        dst: Path,
        state: str = "pending",
        size: int = 0,
        mtime: float | None = None,
        error: str = "",
    ) -> int:
        return self._write(
            "insert into export_ops (export_id, seq, op, src, dst, size, mtime, content_hash, "
            "state, error) values (?,?,?,?,?,?,?,?,?,?)",
            [export_id, seq, op, _to_db(src), _to_db(dst), size, mtime, "", state, error],
        )

    def update_op(self, op_id: int, **fields: Any) -> None:
        if "dst" in fields:
            fields["dst"] = _to_db(fields["dst"])
        cols = ", ".join(f"{name} = ?" for name in fields)
        self._write(f"update export_ops set {cols} where id = ?", [*fields.values(), op_id])

    def ops(self, export_id: int) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "select * from export_ops where export_id = ? order by seq desc", [export_id]
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def unfinished(self) -> list[int]:
        cur = self.conn.execute(
            "select id from exports where status in ('applying', 'undoing') order by id desc"
        )
        return [int(r[0]) for r in cur.fetchall()]


def list_exports(project: Project) -> list[dict[str, Any]]:
    """Every export of the project, newest first, with its status and op counts."""
    cur = project.db.conn.execute(
        "select e.*, (select count(*) from export_ops o where o.export_id = e.id "
        "and o.op != 'mkdir' and o.state = 'done') as files_done from exports e order by id desc"
    )
    names = [c[0] for c in cur.description]
    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    for row in rows:
        row["dest"] = os.fsdecode(row["dest"]) if row["dest"] is not None else None
    return rows


# -- planning --------------------------------------------------------------------------------


def _check_dest(root: Path, dest: Path) -> list[str]:
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
) -> ExportPlan:
    """Work out every folder and file an export would create. Reads, never writes.

    Files go to ``dest/<safe group name>/<original file name>``. Two groups whose folder
    names clash (after sanitising, ignoring case) get ``" (2)"``; a file name that is
    already taken on disk or earlier in the plan gets ``"name (2).ext"``. An existing real
    folder of the right name is reused (nothing already in it is ever replaced).
    """
    if mode not in MODES:
        raise ExportError(f"Unknown export mode {mode!r}; use one of {', '.join(MODES)}.")
    root = project.root
    if root is None:
        raise ExportError("The project has no folder set, so there is nothing to export.")
    if project.db["runs"].count_where("id = ?", [run_id]) == 0:
        raise ExportError(f"There is no run {run_id} in this project.")
    root = _abs(root)
    dest = _abs(dest)
    warnings = _check_dest(root, dest)

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
    for group in project.groups(run_id):
        members = _members(group, include_unsure, root, skipped)
        if not members:
            continue
        base = safe_folder_name(group.name, fallback=f"Group {group.idx + 1}")
        folder = dest / base
        n = 1
        # Reuse a real folder of that name; never one that is a file or a symbolic link
        # (a link could lead the export out of the destination).
        while folder.name.casefold() in used_folders or (
            os.path.lexists(folder) and not _is_real_dir(folder)
        ):
            n += 1
            folder = dest / f"{base} ({n})"
        used_folders.add(folder.name.casefold())
        if not os.path.lexists(folder):
            ops.append(PlannedOp("mkdir", None, folder, 0))
        for item, src, size in members:
            target = folder / src.name
            try:
                if os.path.lexists(target) and os.path.samefile(src, target):
                    skipped.append((item.path, "already in this place"))
                    continue
            except OSError:
                pass
            ops.append(PlannedOp(mode, src, _free_name(folder, src.name, taken), size))
    return ExportPlan(run_id, dest, mode, ops, warnings, skipped)


def _members(
    group: Group, include_unsure: bool, root: Path, skipped: list[tuple[str, str]]
) -> list[tuple[ItemRow, Path, int]]:
    """The group's items that can be exported now, with their source paths and sizes."""
    out = []
    for item, _confidence, unsure in group.members:
        if unsure and not include_unsure:
            skipped.append((item.path, "the model was unsure"))
            continue
        if item.status != "ok":
            skipped.append((item.path, f"item is {item.status}"))
            continue
        src = _source_path(root, item)
        if root not in _abs(src).parents:
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


# -- applying --------------------------------------------------------------------------------


def _validate_plan(project: Project, plan: ExportPlan) -> Path:
    """Check a plan (perhaps old, perhaps built by other code) before acting on it."""
    if plan.mode not in MODES:
        raise ExportError(f"Unknown export mode {plan.mode!r}.")
    root = project.root
    if root is None:
        raise ExportError("The project has no folder set.")
    root = _abs(root)
    dest = _abs(plan.dest)
    _check_dest(root, dest)
    for op in plan.ops:
        dst = _abs(op.dst)
        if dst != op.dst:
            raise ExportError(f"Planned path {op.dst} is not absolute and normalised.")
        if op.op == "mkdir":
            if not (dst == dest or dst in dest.parents or dst.parent == dest):
                raise ExportError(f"Planned folder {dst} is outside the destination.")
        elif op.op == plan.mode:
            if op.src is None or dst.parent.parent != dest or dst.name in ("", ".", ".."):
                raise ExportError(f"Planned file {dst} is not inside a group folder of {dest}.")
            if root not in _abs(op.src).parents:
                raise ExportError(f"Planned source {op.src} is not inside the organized folder.")
        else:
            raise ExportError(f"Planned operation {op.op!r} does not match mode {plan.mode!r}.")
    return dest


def apply_export(
    project: Project,
    plan: ExportPlan,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Carry out ``plan`` and return the new export's id (for :func:`undo_export`).

    A file that cannot be exported (vanished, unreadable, hard link across drives...) is
    journalled as ``failed`` with the reason and the export goes on. Cancelling stops
    between files, keeps what was done (status ``applied``, error says so; undo reverts it)
    and raises :class:`~corral.engine.jobs.Cancelled`. An unexpected error rolls back what
    was done and raises :class:`ExportError`. A hard crash leaves status ``applying``;
    :func:`resume_or_rollback` reverts it on the next start.
    """
    with _exclusive(project) as mine:
        if not mine:
            raise ExportError(_BUSY)
        return _apply(project, plan, progress, cancel)


def _apply(
    project: Project,
    plan: ExportPlan,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> int:
    journal = _Journal(project)
    if journal.unfinished():
        raise ExportError(
            "An earlier export or undo was interrupted; roll it back (resume_or_rollback) first."
        )
    _validate_plan(project, plan)
    export_id = journal.new_export(plan.run_id, plan.dest, plan.mode)
    runner = _Applier(journal, export_id, plan)
    steps = StageProgress(progress, "export", len(plan.ops))
    try:
        for op in plan.ops:
            if cancel is not None:
                cancel.check()
            runner.run(op)
            steps.advance(message=op.dst.name)
    except Exception as exc:
        if isinstance(exc, Cancelled):
            journal.set_export(
                export_id, "applied", f"cancelled after {steps.done} of {steps.total} steps"
            )
            raise
        try:
            _undo(project, export_id, None, None)
        except Exception:  # the journal keeps it 'applying'/'undoing' for resume_or_rollback
            pass
        else:
            journal.set_export(export_id, "failed", f"rolled back after an error: {exc}")
        raise ExportError(f"The export stopped and was rolled back: {exc}") from exc
    failed = runner.failed
    journal.set_export(
        export_id, "applied", f"{failed} of {len(plan.file_ops)} files failed" if failed else ""
    )
    return export_id


class _Applier:
    """Runs the operations of one export, journalling each one."""

    def __init__(self, journal: _Journal, export_id: int, plan: ExportPlan) -> None:
        self.journal = journal
        self.export_id = export_id
        self.plan = plan
        self.seq = 0
        self.failed = 0
        self.folders: dict[Path, Path] = {}  # planned folder -> folder actually used
        self.bad_folders: dict[Path, str] = {}

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def run(self, op: PlannedOp) -> None:
        if op.op == "mkdir":
            self._mkdir(op.dst)
        else:
            assert op.src is not None
            self._file(op.op, op.src, op.dst)

    def _mkdir(self, planned: Path) -> None:
        dest_chain = planned == self.plan.dest or planned in self.plan.dest.parents
        target = planned
        n = 1
        while True:
            if _is_real_dir(target):  # appeared since planning: use it, it is not ours
                self.folders[planned] = target
                return
            if not os.path.lexists(target):
                seq = self._next_seq()
                op_id = self.journal.add_op(self.export_id, seq, "mkdir", None, target)
                try:
                    os.mkdir(target)
                except FileExistsError:
                    self.journal.update_op(op_id, state="failed", error="appeared meanwhile")
                    continue
                except OSError as exc:
                    self.journal.update_op(op_id, state="failed", error=str(exc))
                    if dest_chain:
                        raise ExportError(f"Cannot create {target}: {exc.strerror}") from exc
                    self.bad_folders[planned] = (
                        f"folder {target} could not be created: {exc.strerror}"
                    )
                    return
                _fsync_dir(target.parent)
                self.journal.update_op(op_id, state="done")
                self.folders[planned] = target
                return
            if dest_chain:
                raise ExportError(f"{target} exists and is not a folder.")
            n += 1  # a file or link took the group folder's name: use the next free one
            target = planned.with_name(f"{planned.name} ({n})")

    def _fail(self, kind: str, src: Path, dst: Path, why: str) -> None:
        self.failed += 1
        self.journal.add_op(
            self.export_id, self._next_seq(), kind, src, dst, state="failed", error=why
        )

    def _file(self, kind: str, src: Path, planned: Path) -> None:
        folder = self.folders.get(planned.parent, planned.parent)
        if planned.parent in self.bad_folders:
            self._fail(kind, src, planned, self.bad_folders[planned.parent])
            return
        if not _is_real_dir(folder):
            self._fail(kind, src, planned, f"folder {folder} is missing or is not a real folder")
            return
        try:
            st = os.lstat(src)
        except OSError as exc:
            why = "the original no longer exists" if exc.errno == errno.ENOENT else str(exc)
            self._fail(kind, src, planned, why)
            return
        dst = _free_name(folder, planned.name, set())
        seq = self._next_seq()
        op_id = self.journal.add_op(
            self.export_id, seq, kind, src, dst, size=st.st_size, mtime=st.st_mtime
        )
        tmp = _temp_for(dst, self.export_id, seq)
        try:
            fields = getattr(self, f"_do_{kind}")(op_id, src, dst, tmp)
        except (OSError, ExportError) as exc:
            _remove_quietly(tmp)
            self.failed += 1
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if isinstance(exc, OSError) and exc.errno == errno.EXDEV and kind == "hardlink":
                why = (
                    "cannot hard-link across drives/file systems; the destination is on a "
                    "different one than the original (use copy or symlink)"
                )
            self.journal.update_op(op_id, state="failed", error=why)
            return
        self.journal.update_op(op_id, state="done", **fields)

    def _retry_names(self, op_id: int, dst: Path, action: Callable[[Path], None]) -> Path:
        """Run ``action(dst)``; if the name was taken meanwhile, journal the next free one."""
        for _ in range(100):
            try:
                action(dst)
                return dst
            except FileExistsError:
                dst = _free_name(dst.parent, dst.name, set())
                self.journal.update_op(op_id, dst=dst)
        raise ExportError(f"no free name next to {dst}")

    def _copy_verified(self, op_id: int, src: Path, dst: Path, tmp: Path) -> dict[str, Any]:
        size, digest, mtime = _copy_to_temp(src, tmp)
        _verify(tmp, size, digest)
        # Journalled before the copy gets its name: any file at dst with this hash is ours.
        self.journal.update_op(op_id, size=size, mtime=mtime, content_hash=digest)
        dst = self._retry_names(op_id, dst, lambda d: _publish(tmp, d))
        _fsync_dir(dst.parent)
        return {"dst": dst, "size": size, "content_hash": digest}

    def _do_copy(self, op_id: int, src: Path, dst: Path, tmp: Path) -> dict[str, Any]:
        return self._copy_verified(op_id, src, dst, tmp)

    def _do_move(self, op_id: int, src: Path, dst: Path, tmp: Path) -> dict[str, Any]:
        if _same_device(src, dst.parent):
            try:
                dst = self._retry_names(op_id, dst, lambda d: _rename_no_replace(src, d))
            except OSError as exc:
                if exc.errno != errno.EXDEV:  # a bind mount can hide a device boundary
                    raise
            else:
                _fsync_dir(dst.parent)
                _fsync_dir(src.parent)
                return {"dst": dst}
        if os.path.islink(src):
            raise ExportError("is a symbolic link; not moved to another drive")
        fields = self._copy_verified(op_id, src, dst, tmp)
        dst = fields["dst"]
        try:
            _remove_source(src)
        except OSError as exc:
            # Keep the original and take the copy back, so the item is simply not moved.
            _remove_quietly(dst)
            raise ExportError(
                f"the original could not be removed ({exc.strerror}); not moved"
            ) from exc
        _fsync_dir(src.parent)
        return fields

    def _do_hardlink(self, op_id: int, src: Path, dst: Path, tmp: Path) -> dict[str, Any]:
        if not _same_device(src, dst.parent):
            raise OSError(errno.EXDEV, "Invalid cross-device link", os.fspath(src))
        dst = self._retry_names(op_id, dst, lambda d: os.link(src, d, follow_symlinks=False))
        return {"dst": dst}

    def _do_symlink(self, op_id: int, src: Path, dst: Path, tmp: Path) -> dict[str, Any]:
        dst = self._retry_names(op_id, dst, lambda d: os.symlink(src, d))
        return {"dst": dst}


# -- undo ------------------------------------------------------------------------------------


def undo_export(
    project: Project,
    export_id: int | None = None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> UndoReport:
    """Revert an export (by default the newest one still applied), newest step first.

    Only what is verifiably Corral's own work is removed (see the module notes); anything
    changed since is left in place and listed in the report. Running it again retries
    what was left. Cancelling stops between steps (status ``partly_undone``).
    """
    journal = _Journal(project)
    if export_id is None:
        cur = project.db.conn.execute(
            "select id from exports where status in ('applied', 'partly_undone') "
            "order by id desc limit 1"
        )
        row = cur.fetchone()
        if row is None:
            raise ExportError("There is no export to undo.")
        export_id = int(row[0])
    elif journal.export(export_id) is None:
        raise ExportError(f"There is no export {export_id}.")
    with _exclusive(project) as mine:
        if not mine:
            raise ExportError(_BUSY)
        return _undo(project, export_id, progress, cancel)


def resume_or_rollback(project: Project) -> list[int]:
    """Roll back every export or undo that a crash left half-done; returns their ids.

    Call it when a project is opened. Exports left ``applying`` are reverted entirely
    (the person never saw them finish); undos left ``undoing`` are finished. While another
    process holds the export lock nothing is touched and ``[]`` is returned.
    """
    with _exclusive(project) as mine:
        if not mine:
            return []  # whatever is unfinished is being worked on right now, not crashed
        ids = _Journal(project).unfinished()
        for export_id in ids:
            _undo(project, export_id, None, None)
        return ids


def _undo(
    project: Project,
    export_id: int,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
) -> UndoReport:
    journal = _Journal(project)
    report = UndoReport(export_id)
    ops = [op for op in journal.ops(export_id) if op["state"] != "undone"]
    journal.set_export(export_id, "undoing", finished=False)
    steps = StageProgress(progress, "undo", len(ops))
    try:
        for op in ops:
            if cancel is not None:
                cancel.check()
            _undo_one(journal, export_id, op, report)
            steps.advance(message=os.fsdecode(op["dst"]))
    except Cancelled:
        journal.set_export(export_id, "partly_undone", "undo cancelled")
        raise
    if report.complete:
        journal.set_export(export_id, "undone")
    else:
        journal.set_export(
            export_id,
            "partly_undone",
            f"{len(report.left)} left in place, {len(report.failed)} could not be restored",
        )
    return report


def _undo_one(journal: _Journal, export_id: int, op: dict[str, Any], report: UndoReport) -> None:
    """Revert one journal row, recording the outcome in the row and the report."""
    state = op["state"]
    if state == "failed" and op["op"] == "mkdir":
        return  # the folder was never created by this export (it appeared or was refused)
    ours_for_sure = state in ("done", "kept")  # it happened; a pending/failed one may not have
    src = _from_db(op["src"])
    dst = _from_db(op["dst"])
    assert dst is not None
    try:
        outcome, why = _REVERT[op["op"]](op, src, dst, export_id, ours_for_sure)
    except (OSError, ExportError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        journal.update_op(op["id"], error=f"undo failed: {why}")
        report.failed.append((dst, why))
        return
    if state == "failed":
        return  # nothing of it remains now; it stays recorded as the failure it was
    if outcome == "undone":
        journal.update_op(op["id"], state="undone")
        if op["op"] != "mkdir" and state in ("done", "kept"):
            report.undone += 1
    elif outcome == "left" and ours_for_sure:
        journal.update_op(op["id"], state="kept", error=why)
        report.left.append((dst, why))
    else:  # a pending step that never made anything of its own
        journal.update_op(op["id"], state="undone")


def _revert_mkdir(
    op: dict[str, Any], src: Path | None, dst: Path, export_id: int, ours: bool
) -> tuple[str, str]:
    if not os.path.lexists(dst):
        return "undone", ""
    if not _is_real_dir(dst):
        return "left", "is no longer a folder"
    try:
        os.rmdir(dst)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return "left", "folder is not empty"
        raise
    return "undone", ""


def _revert_copy(
    op: dict[str, Any], src: Path | None, dst: Path, export_id: int, ours: bool
) -> tuple[str, str]:
    _remove_quietly(_temp_for(dst, export_id, op["seq"]))
    if not os.path.lexists(dst):
        return "undone", ""
    expected = op["content_hash"] or ""
    if not expected:  # never got as far as being named: whatever is at dst is not ours
        return "left", "not made by Corral"
    st = os.lstat(dst)
    if not stat.S_ISREG(st.st_mode) or st.st_size != op["size"] or _sha256_file(dst)[1] != expected:
        return "left", "changed since the export; kept"
    if src is None or not os.path.exists(src):
        return "left", "the original is gone, so this copy is kept"
    os.unlink(dst)
    return "undone", ""


def _revert_hardlink(
    op: dict[str, Any], src: Path | None, dst: Path, export_id: int, ours: bool
) -> tuple[str, str]:
    if not os.path.lexists(dst):
        return "undone", ""
    if src is None or not os.path.lexists(src):
        return "left", "the original is gone, so this link is kept"
    if os.path.islink(dst) or not os.path.samefile(src, dst):
        return "left", "is no longer the same file as the original; kept"
    os.unlink(dst)
    return "undone", ""


def _revert_symlink(
    op: dict[str, Any], src: Path | None, dst: Path, export_id: int, ours: bool
) -> tuple[str, str]:
    if not os.path.lexists(dst):
        return "undone", ""
    if not os.path.islink(dst) or src is None or os.readlink(dst) != os.fspath(src):
        return "left", "no longer the link Corral made; kept"
    os.unlink(dst)
    return "undone", ""


def _revert_move(
    op: dict[str, Any], src: Path | None, dst: Path, export_id: int, ours: bool
) -> tuple[str, str]:
    """Put a moved file back at its original path, whatever step a crash interrupted."""
    assert src is not None
    _remove_quietly(_temp_for(dst, export_id, op["seq"]))
    _remove_quietly(_temp_for(src, export_id, op["seq"], undo=True))
    if not os.path.lexists(dst):
        if os.path.lexists(src):
            return "undone", ""  # never moved, or already back
        if not ours:
            return "undone", ""
        raise ExportError(f"the file is neither at {dst} nor at its original place")
    if os.path.lexists(src):
        # Both names exist: interrupted between link and unlink (same inode), or between
        # publishing a cross-drive copy and deleting the original (same bytes). Either way
        # the original is intact and the export's name can go.
        if not os.path.islink(dst) and not os.path.islink(src) and os.path.samefile(src, dst):
            os.unlink(dst)
            return "undone", ""
        staged = op["content_hash"] or ""
        if (ours or staged) and _same_content(src, dst, staged):
            os.unlink(dst)
            return "undone", ""
        return "left", f"something else now exists at the original place {src}; kept here"
    if not ours and not _looks_like(op, dst):
        return "left", "not made by Corral"
    src.parent.mkdir(parents=True, exist_ok=True)
    if os.path.islink(dst) or _same_device(dst, src.parent):
        _rename_no_replace(dst, src)
    else:
        tmp = _temp_for(src, export_id, op["seq"], undo=True)
        size, digest, _ = _copy_to_temp(dst, tmp)
        _verify(tmp, size, digest)
        _publish(tmp, src)
        _fsync_dir(src.parent)
        os.unlink(dst)
    _fsync_dir(src.parent)
    return "undone", ""


def _same_content(a: Path, b: Path, expected: str = "") -> bool:
    """Both regular files with the same bytes (and, if given, the journalled hash)."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    if not (stat.S_ISREG(sa.st_mode) and stat.S_ISREG(sb.st_mode)) or sa.st_size != sb.st_size:
        return False
    hash_b = _sha256_file(b)[1]
    if expected and hash_b != expected:
        return False
    return _sha256_file(a)[1] == hash_b


def _looks_like(op: dict[str, Any], path: Path) -> bool:
    """For a move a crash interrupted: is the file at ``path`` the one that was moved?

    A journalled hash settles it; otherwise size and modification time (which a rename
    keeps) must match what was recorded just before the move.
    """
    st = os.lstat(path)
    if op["content_hash"]:
        return stat.S_ISREG(st.st_mode) and _sha256_file(path)[1] == op["content_hash"]
    return (
        st.st_size == op["size"]
        and op["mtime"] is not None
        and abs(st.st_mtime - op["mtime"]) < 1e-6
    )


_REVERT: dict[str, Callable[[dict[str, Any], Path | None, Path, int, bool], tuple[str, str]]] = {
    "mkdir": _revert_mkdir,
    "copy": _revert_copy,
    "move": _revert_move,
    "hardlink": _revert_hardlink,
    "symlink": _revert_symlink,
}


# -- tables and sidecars ---------------------------------------------------------------------


def _rows(project: Project, run_id: int) -> list[tuple[Group, ItemRow, float, bool]]:
    if project.db["runs"].count_where("id = ?", [run_id]) == 0:
        raise ExportError(f"There is no run {run_id} in this project.")
    return [
        (g, item, conf, unsure) for g in project.groups(run_id) for item, conf, unsure in g.members
    ]


def _iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts else ""


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


def export_table(
    project: Project,
    run_id: int,
    out: str | Path,
    fmt: Literal["csv", "json"],
    *,
    overwrite: bool = False,
) -> Path:
    """Write the run's groups and members to a CSV or JSON file; touches no original.

    The file is written under a temporary name and then given its name, so a reader never
    sees half a table. An existing ``out`` is kept unless ``overwrite`` is true, and a path
    that is one of the project's own files is refused even then.
    """
    if fmt not in ("csv", "json"):
        raise ExportError(f"Unknown table format {fmt!r}; use csv or json.")
    out = _abs(out)
    rows = _rows(project, run_id)
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
    if fmt == "csv":
        buf = io.StringIO(newline="")
        writer = csv.DictWriter(buf, fieldnames=_TABLE_FIELDS, lineterminator="\r\n")
        writer.writeheader()
        for group, item, conf, unsure in rows:
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
                    "unsure": "yes" if unsure else "no",
                    "content_hash": item.content_hash,
                }
            )
        # utf-8-sig: spreadsheet programs only guess UTF-8 correctly with the BOM.
        data = buf.getvalue().encode("utf-8-sig")
    else:
        run = project.run(run_id)
        doc = {
            "run_id": run_id,
            "criterion": run.get("criterion"),
            "model": run.get("model"),
            "root": str(root) if root else None,
            "groups": [
                {
                    "index": g.idx,
                    "name": g.name,
                    "size": g.size,
                    "items": [
                        {
                            "path": item.path,
                            "kind": item.kind,
                            "mime": item.mime,
                            "size": item.size,
                            "modified": _iso(item.mtime),
                            "confidence": conf,
                            "unsure": unsure,
                            "content_hash": item.content_hash,
                        }
                        for item, conf, unsure in g.members
                    ],
                }
                for g in project.groups(run_id)
            ],
        }
        data = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.{os.getpid()}.corral-tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, out)
        else:
            _publish(tmp, out)
    except FileExistsError as exc:
        _remove_quietly(tmp)
        raise ExportError(f"{out} already exists; choose another name.") from exc
    except BaseException:
        _remove_quietly(tmp)
        raise
    return out


_XML_BAD = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _xml_text(text: str) -> str:
    """Text safe inside an XML element: no control characters, no lone surrogates."""
    cleaned = text.translate(_XML_BAD)
    cleaned = cleaned.encode("utf-8", "replace").decode("utf-8")
    cleaned = "".join(ch for ch in cleaned if ch not in "\ufffe\uffff")
    return escape(cleaned)


def _xmp(group_name: str) -> bytes:
    """An XMP packet tagging a photo with the group, flat (dc:subject) and as Corral|group."""
    name = " ".join(group_name.replace("|", "/").split()) or "Ungrouped"
    keywords = "".join(f"<rdf:li>{_xml_text(k)}</rdf:li>" for k in ("Corral", name))
    hierarchy = f"<rdf:li>{_xml_text('Corral|' + name)}</rdf:li>"
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Corral">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f"    xmp:CreatorTool={quoteattr('Corral')}>\n"
        f"   <dc:subject><rdf:Bag>{keywords}</rdf:Bag></dc:subject>\n"
        f"   <lr:hierarchicalSubject><rdf:Bag>{hierarchy}</rdf:Bag></lr:hierarchicalSubject>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>\n'
    )
    return text.encode("utf-8")


_CORRAL_MARK = b'x:xmptk="Corral"'


def write_xmp_sidecars(
    project: Project,
    run_id: int,
    *,
    dest_dir: str | Path | None = None,
) -> list[Path]:
    """Write an XMP sidecar with the group as keywords for every image of the run.

    By default the sidecar sits next to the photo, named the way digiKam and Lightroom look
    for it (``IMG_1.jpg`` -> ``IMG_1.xmp``); when two images in one folder share a stem
    (``IMG_1.jpg`` and ``IMG_1.png``) the later ones use the full name (``IMG_1.png.xmp``).
    With ``dest_dir`` the sidecars go there instead, in the same relative folders.

    An existing sidecar is never changed: the keywords then go to ``<file>.corral.xmp``,
    a name only Corral uses (and which Corral rewrites on a later run). Returns the
    sidecars that now hold the keywords.
    """
    rows = _rows(project, run_id)
    root = project.root
    if root is None:
        raise ExportError("The project has no folder set.")
    root = _abs(root)
    base = _abs(dest_dir) if dest_dir is not None else root
    images = sorted(
        (
            (item, group)
            for group, item, _c, _u in rows
            if item.kind == "image" or item.mime.startswith("image/")
        ),
        key=lambda pair: pair[0].path,
    )
    stems_seen: set[str] = set()
    written: list[Path] = []
    for item, group in images:
        src = _abs(_source_path(root, item))
        if root not in src.parents or not os.path.isfile(src):
            continue
        rel = src.relative_to(root)
        folder = base / rel.parent
        stem_key = _key(folder / src.stem)
        primary = folder / (src.stem + ".xmp")
        if stem_key in stems_seen:
            primary = folder / (src.name + ".xmp")
        stems_seen.add(stem_key)
        data = _xmp(group.name)
        folder.mkdir(parents=True, exist_ok=True)
        target = _write_sidecar(primary, folder / (src.name + ".corral.xmp"), data)
        if target is not None:
            written.append(target)
    return written


def _write_sidecar(primary: Path, own: Path, data: bytes) -> Path | None:
    """Write ``data`` to ``primary`` if that name is free, else to Corral's own name."""
    for path in (primary, own):
        try:
            fd = os.open(
                path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644
            )
        except FileExistsError:
            try:
                if path.read_bytes() == data:
                    return path  # written by an earlier identical call
            except OSError:
                pass
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path
    # The Corral-only name exists with other keywords (an earlier run): replace it, but
    # only if it really is Corral's, and atomically.
    try:
        if os.path.islink(own) or _CORRAL_MARK not in own.read_bytes():
            return None
    except OSError:
        return None
    tmp = own.with_name(f".{own.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, own)
    return own
