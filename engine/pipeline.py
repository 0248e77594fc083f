"""The organize job: scan -> describe -> propose -> merge -> assign, recorded as a run.

``organize`` is what the CLI and the GUI call, with a
:class:`~corral.engine.request.RunRequest` (engine/request.py builds one the same way for
both). It takes a progress callback and a cancel token, knows nothing of Qt, and writes every
finished answer to the project as it goes: a run that is interrupted (Ctrl-C, cancel, kill)
keeps its work, and the same call resumes from the cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from corral.models.catalog import DEFAULT_MODEL
from corral.models.paths import default_project_path
from corral.models.runtime import LocalLLM, RuntimeSettings
from corral.models.store import ModelStore

from . import review
from .describers.ocr import OcrDescriber
from .estimate import estimate
from .estimate import record as record_speed
from .ingest import ScanReport, scan_folder
from .jobs import Cancelled, CancelToken, ProgressCallback, ProgressEvent, no_progress
from .place import find_basis, place, recorded_settings
from .request import RunRequest
from .stages.assign import assign_items
from .stages.base import LazyEmbedder, LazyModel, Settings, StageContext
from .stages.cluster import description_vectors, hybrid_groups
from .stages.describe import describe_items
from .stages.labels import count_labels
from .stages.merge import merge_labels
from .stages.propose import propose_labels
from .stages.sampled import sampled_groups
from .stages.vocabulary import choose_answers, look_choices
from .store import Group, Project


@dataclass
class RunResult:
    run_id: int
    project_path: Path
    groups: list[Group]
    scan: ScanReport
    skipped: list[tuple[str, str]]
    stats: dict[str, Any]
    model_loaded: bool
    names: list[str] = field(default_factory=list)


def model_provider(
    model: str = DEFAULT_MODEL, runtime: RuntimeSettings | None = None, store: ModelStore | None = None
) -> LazyModel:
    """A lazily loaded model from a catalog name or a .gguf path, verified before loading."""
    store = store or ModelStore()
    path, spec = store.resolve(model)
    model_id = f"{spec.name}:{spec.sha256[:16]}" if spec else f"{path.name}:{path.stat().st_size}"
    settings = runtime or RuntimeSettings(n_ctx=spec.n_ctx if spec else 4096)
    return LazyModel(model_id, lambda: LocalLLM.load(path, name=model_id, settings=settings))


def embedder_provider(store: ModelStore | None = None, threads: int | None = None) -> LazyEmbedder | None:
    """The sentence embedder of the hybrid method, or None when it is not installed."""
    from corral.models.catalog import DEFAULT_EMBED_MODEL, get_spec
    from corral.models.embeddings import Embedder

    store = store or ModelStore()
    spec = get_spec(DEFAULT_EMBED_MODEL)
    if not store.is_installed(spec):
        return None
    path = store.path_for(spec)
    settings = RuntimeSettings(n_ctx=512, n_threads=threads)
    return LazyEmbedder(f"{spec.name}:{spec.sha256[:16]}", lambda: Embedder.load(path, settings))


class ServerModel(LazyModel):
    """The language model on a server the person runs (models/remote_server.py).

    Connects when created, so a server that is down, refuses, or lacks grammars is reported
    before any work, and so the cache keys can name the server's model identity (model name
    plus fingerprint) from the start. ``where`` says where the model runs, for people."""

    def __init__(self, options: Any) -> None:
        from corral.models.remote_server import RemoteLLM

        first = RemoteLLM.connect(options)
        self.options = options
        self.where = first.where()
        self._first: Any = first
        super().__init__(first.identity, self._connection)

    def _connection(self) -> Any:
        from corral.models.remote_server import RemoteLLM

        if self._first is not None:
            llm, self._first = self._first, None
            return llm
        return RemoteLLM.connect(self.options, expect_identity=self.model_id)

    def embedder(self) -> LazyEmbedder | None:
        """The server's sentence embedder when it serves one, else None (use the local one)."""
        from corral.models.remote_server import RemoteLLM

        llm = self._first or self._llm
        remote = llm.embedder() if isinstance(llm, RemoteLLM) else None
        if remote is None:
            return None
        return LazyEmbedder(remote.identity, lambda: remote)

    def close(self) -> None:
        super().close()
        if self._first is not None:
            self._first.close()
            self._first = None


def run_stages(
    project: Project,
    items_described: list[tuple[int, str, str]],
    settings: Settings,
    model: LazyModel,
    progress: ProgressCallback,
    cancel: CancelToken,
    stats: dict[str, Any],
    embedder: LazyEmbedder | None = None,
) -> tuple[list[str], dict[int, Any], dict[str, int]]:
    """propose, then either cluster+name (hybrid) or merge+assign (llm), over described items.

    Shared with `corral bench`. The hybrid method needs the sentence embedder; without it the
    run falls back to the seeds' pure-LLM pipeline and says so in its stats."""
    ctx = StageContext(project, model, settings, progress, cancel, stats, embedder)
    timings: dict[str, float] = stats.setdefault("seconds", {})
    hybrid = settings.method == "hybrid" and embedder is not None
    stats["method"] = settings.method if embedder is not None else "llm"
    if embedder is not None and hybrid and settings.steer == "values":  # criterion-first (stages/taxonomy.py)
        t = time.perf_counter()
        names, assignments = hybrid_groups(ctx, items_described, None, embedder.embed)
        timings["cluster+name"] = time.perf_counter() - t - timings["values"] - timings["choose"]
        return names, assignments, stats["steering"]["counts"]
    text = None  # the descriptions' embeddings, once computed
    if embedder is not None and hybrid and 0 < settings.llm_sample < len(items_described):
        # the model reads a sample, the embeddings place the rest (stages/sampled.py)
        proposed: dict[int, str] = {}

        def labels_of(rows: list[tuple[int, str, str]]) -> dict[int, str]:
            started = time.perf_counter()
            proposed.update(propose_labels(ctx, rows))
            timings["propose"] = time.perf_counter() - started
            return proposed

        t = time.perf_counter()
        text = description_vectors([d for _, _, d in items_described], embedder.embed)
        timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        grouped = sampled_groups(ctx, items_described, labels_of, text, embedder.embed)
        if grouped is not None:
            timings["cluster+name"] = time.perf_counter() - t - timings.get("propose", 0.0)
            return *grouped, count_labels(list(proposed.values()))
        # the neighbours did not agree with the sample's groups: the model reads every file
    t = time.perf_counter()
    raw = propose_labels(ctx, items_described)
    timings["propose"] = time.perf_counter() - t
    counts = count_labels(list(raw.values()))
    if embedder is not None and hybrid:
        # where the text leads, unreliable answers to a criterion with common values: each file chooses one
        relabel = (partial(choose_answers, ctx, items_described, raw, embedder.embed)
                   if settings.vocabulary else None)
        look = partial(look_choices, ctx, items_described, raw) if settings.vocabulary else None
        t = time.perf_counter()
        names, assignments = hybrid_groups(ctx, items_described, raw, embedder.embed, text=text, relabel=relabel,
                                           look=look)
        timings["cluster+name"] = time.perf_counter() - t - timings.get("choose", 0.0) - timings.get("judge", 0.0)
        return names, assignments, counts
    t = time.perf_counter()
    names = merge_labels(ctx, counts, len(items_described))
    timings["merge"] = time.perf_counter() - t
    t = time.perf_counter()
    assignments = assign_items(ctx, names, items_described)
    timings["assign"] = time.perf_counter() - t
    return names, assignments, counts


def models_for(request: RunRequest) -> tuple[LazyModel, LazyEmbedder | None]:
    """The language model of the request and, for the hybrid method, the sentence embedder
    (None for ``--method llm``, or when it is not installed); neither is loaded yet. With
    ``request.server`` the model is on that server (connected now, see :class:`ServerModel`)
    and so is the embedder when the server serves one."""
    hybrid = request.settings.method == "hybrid"
    if request.server is not None:
        server = ServerModel(request.server)
        embedder = (server.embedder() or embedder_provider(threads=request.threads)) if hybrid else None
        return server, embedder
    model = model_provider(request.model, request.runtime)
    return model, embedder_provider(threads=request.threads) if hybrid else None


@contextmanager
def closing_models(model: LazyModel, embedder: LazyEmbedder | None) -> Iterator[None]:
    """Frees the model and the embedder (if they were loaded) when the block ends."""
    try:
        yield
    finally:
        model.close()
        if embedder is not None:
            embedder.close()


def organize(
    request: RunRequest,
    *,
    model: LazyModel | Callable[[], LazyModel] | None = None,
    embedder: LazyEmbedder | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> RunResult:
    """Organize ``request.folder`` as the request says, recorded as a new run of its project.

    ``model`` is the language model (default: the request's, loaded only if an answer is not
    cached) and ``embedder`` the sentence embedder of the hybrid method (default: none, so
    the pure-LLM method runs; :func:`models_for` gives both for a request).
    """
    folder = request.folder.expanduser().resolve()
    settings = request.settings
    criterion, k = settings.criterion, settings.k
    project_path = request.project_path or default_project_path(folder)
    progress = progress or no_progress
    cancel = cancel or CancelToken()
    with Project.open(project_path) as project:
        known_root = project.root
        if known_root is not None and known_root != folder:
            raise ValueError(
                f"Project {project_path} organizes {known_root}, not {folder}. "
                "Use another --project file for another folder."
            )
        project.set_meta("root", str(folder))
        t0 = time.perf_counter()
        ocr = OcrDescriber() if settings.ocr else None  # scans and pages' pictures; RapidOCR loads at the first
        try:
            scan = scan_folder(folder, project, include_hidden=request.include_hidden,
                               read_picture=ocr.read_scan if ocr else None, read_page=ocr.read_page if ocr else None,
                               progress=progress, cancel=cancel)
        finally:
            if ocr is not None:
                ocr.close()
        stats: dict[str, Any] = {"seconds": {"scan": time.perf_counter() - t0}}
        lazy = model() if callable(model) and not isinstance(model, LazyModel) else model
        lazy = lazy or model_provider(request.model, request.runtime)
        recorded = recorded_settings(settings)
        run_id = project.runs.new(criterion, k, lazy.model_id, recorded)
        with closing_models(lazy, embedder):
            try:
                items = project.items("ok")
                ctx = StageContext(project, lazy, settings, progress, cancel, stats)
                t = time.perf_counter()
                described, not_described = describe_items(ctx, items)
                stats["seconds"]["describe"] = time.perf_counter() - t
                by_id = {item.id: item for item in items}
                ordered = sorted(
                    ((iid, by_id[iid].content_hash, desc) for iid, desc in described.items()),
                    key=lambda row: (row[1], row[0]),
                )
                if not ordered:
                    raise ValueError(f"No documents Corral can read were found in {folder}.")
                basis, why = (None, "") if request.regroup else find_basis(project, settings, lazy.model_id, ordered)
                if why:
                    stats["regrouped"] = why
                sources: dict[int, str] = {}
                hybrid = settings.method == "hybrid" and embedder is not None
                together = (1 if request.server is not None or settings.wants_states  # one file at a time then
                            else (request.runtime or RuntimeSettings()).parallel)
                ahead = estimate(StageContext(project, lazy, settings, progress, cancel, stats), ordered,
                                 lazy.model_id, hybrid, len(basis.new) if basis is not None else None, together)
                stats["estimate"] = {"calls": ahead.calls, "seconds": ahead.seconds, "exact": ahead.exact}
                progress(ProgressEvent("estimate", 0, 0, ahead.message()))
                if basis is not None:  # new files into the groups of an earlier run (engine/place.py)
                    t = time.perf_counter()
                    placed = place(StageContext(project, lazy, settings, progress, cancel, stats), basis)
                    stats["seconds"]["place"] = time.perf_counter() - t
                    names, counts = basis.names, project.results.raw_label_counts(basis.run.id)
                    assignments = {item_id: a for item_id, (a, _) in placed.items()}
                    sources = {item_id: source for item_id, (_, source) in placed.items()}
                else:
                    names, assignments, counts = run_stages(
                        project, ordered, settings, lazy, progress, cancel, stats, embedder
                    )
                project.results.save_raw_labels(run_id, counts)
                project.results.save_groups(run_id, names)
                with project.transaction():
                    for item_id, a in assignments.items():
                        project.results.save_assignment(run_id, item_id, a.group_idx, a.confidence,
                                                        a.unsure, source=sources.get(item_id, "model"),
                                                        description=described.get(item_id))
                review.apply_pins(project, run_id)  # items the user pinned keep their group
                project.results.update_group_sizes(run_id)
                if lazy.loaded:
                    stats["model_usage"] = lazy.get().usage.as_dict()
                    record_speed(lazy.model_id, stats)
                stats["model_loaded"] = lazy.loaded
                project.runs.finish(run_id, "done", stats)
            except (Cancelled, KeyboardInterrupt):
                project.runs.finish(run_id, "interrupted", stats)
                raise
            except BaseException as exc:
                project.runs.finish(run_id, "failed", stats, error=str(exc))
                raise
        skipped = list(scan.skipped) + [
            (by_id[iid].path, reason) for iid, reason in not_described.items()
        ]
        return RunResult(
            run_id=run_id,
            project_path=Path(project_path),
            groups=project.results.groups(run_id),
            scan=scan,
            skipped=skipped,
            stats=stats,
            model_loaded=stats["model_loaded"],
            names=names,
        )
