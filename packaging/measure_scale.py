"""Issue 13's costs outside the language model as a folder grows: N short texts organized.

Usage: .venv/bin/python packaging/measure_scale.py N [WORKDIR] [S] [--no-form] [--no-answer-words] [--k-auto]

``--k-auto`` leaves K to Corral (the default of ``organize``; stages/autok.py) instead of 18:
the label concepts, the stability of the cuts near their count, the coherence checks and the
named-alike joins then run too (the scripted judge finds every group coherent).

With S (``--llm-sample S``, stages/sampled.py), the default language model runs for real and
reads S representative files; the embeddings place the rest.

N files are written from the shared text sets (massive_scenario, then banking77; past their
6,054 distinct texts a text comes again with its copy number appended), and the real
``organize`` runs with the hybrid method and the real sentence embedder (MiniLM), but with
the scripted stand-in of the tests (tests/fakes.py) in place of the language model: a label
is the file's first word, a name the most common label. So every part but the language model
runs for real: scan, extraction, the project's SQLite writes, embedding, the spectral
clustering, confidences. Prints seconds per stage, the milliseconds per file outside the
language model and the peak RSS; run each N in its own process (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corral.engine.pipeline import embedder_provider, model_provider, organize  # noqa: E402
from corral.engine.request import RunRequest  # noqa: E402
from corral.engine.stages.autok import explain_k  # noqa: E402
from corral.engine.stages.base import LazyModel, Settings  # noqa: E402
from tests.fakes import FakeLLM  # noqa: E402

DATA = ROOT / ".." / "shared" / "datasets" / "text"


def main() -> None:
    no_form = "--no-form" in sys.argv  # the form lead off (stages/form.py), for its cost
    k_auto = "--k-auto" in sys.argv
    no_words = "--no-answer-words" in sys.argv  # the answers' words off (stages/form.py), for their cost
    sys.argv = [a for a in sys.argv if a not in ("--no-form", "--no-answer-words", "--k-auto")]
    n = int(sys.argv[1])
    work = Path(sys.argv[2] if len(sys.argv) > 2 else f"/tmp/corral-scale-{n}")
    llm_sample = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    texts = list(dict.fromkeys(json.loads(line)["input"] for name in ("massive_scenario", "banking77")
                               for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()))
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "folder"
    folder.mkdir(parents=True)
    for i in range(n):
        copy = i // len(texts)
        text = texts[i % len(texts)] + (f" ({copy})" if copy else "")
        (folder / f"q{i:05d}.txt").write_text(text, encoding="utf-8")
    fake = FakeLLM(label_for=lambda t: (t.split() or ["none"])[0].strip(".,?!").lower())
    embedder = embedder_provider()
    if embedder is None:
        raise SystemExit("the sentence embedder (minilm-l6) is not installed: corral models install minilm-l6")
    rss: dict[str, float] = {}  # stage -> peak RSS (MB) when it first reported

    def follow(event) -> None:  # type: ignore[no-untyped-def]
        rss.setdefault(event.stage, round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    started = time.perf_counter()
    model = model_provider() if llm_sample else LazyModel("scripted", lambda: fake)
    result = organize(RunRequest(folder, Settings(criterion="what the person wants to do", k=None if k_auto else 18,
                                                  llm_sample=llm_sample, form_check=not no_form,
                                                  answer_words=not no_words),
                                         work / "scale.corral"),
                      model=model, embedder=embedder, progress=follow)
    seconds = time.perf_counter() - started
    stages = {k: round(v, 2) for k, v in result.stats["seconds"].items()}
    print(f"{n} files: {seconds:.1f} s, {1000 * seconds / n:.2f} ms per file outside the language model; "
          f"stages {stages}; {len(result.groups)} groups; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(as each stage began: {rss})", flush=True)
    embed = result.stats["seconds"].get("embed", 0.0)
    usage = result.stats.get("model_usage") or {}
    if k_auto:
        auto = result.stats.get("auto_k") or {}
        print(f"automatic K: {explain_k(auto)}; stability {auto.get('stability_seconds')} s; "
              f"{auto.get('checks')} coherence checks", flush=True)
    if llm_sample:
        print(f"language model: {usage.get('calls', 0)} calls, {usage.get('seconds', 0.0):.0f} s; "
              f"sampled {result.stats.get('sampled')}; estimate {result.stats.get('estimate')}")
        seconds -= usage.get("seconds", 0.0)
    print(f"outside the language model and the embedder: {1000 * (seconds - embed) / n:.2f} ms per file "
          f"(embedding {embed:.1f} s)")


if __name__ == "__main__":
    main()
