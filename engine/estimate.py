"""How long a run will take, said before the model work starts (issue 13).

The model work of a run is one call per file that is not in the project's cache (a label,
a choice among values, or a place among existing groups), plus calls per run that do not
grow with the folder (naming the groups, the coherence checks, the criterion's values).
How long a call takes depends on the model, the machine and the files; so Corral remembers,
per model, what its last runs on this machine took (``speed.json`` in the data folder):

* for the calls that send a file's text (a label, a choice), a line seconds = a + b x
  characters of the file, fitted by least squares on every call timed one at a time
  (stages/inflight.py); the remembered sums are halved at each new run and the new run's
  added, so the newest runs count most and runs of short and long files together pin down
  both a and b. A prompt version change starts the line anew, and answers decoded several
  at a time (``RuntimeSettings.parallel``) have a line of their own (``timing_version``).
  Summed over the very files to be asked, so a folder of long documents is timed as such;
* the seconds per call of each per-file stage (a moving average), where no line is known
  yet (a model on a server, whose calls overlap);
* the per-run seconds (naming the groups and the other calls that do not grow with the folder).

Without an earlier run of the model here there is no estimate; the progress line shows the
time left once the first calls are timed.

Measured (docs/benchmarks.md): one figure per call, averaged over earlier runs, said 1,769 s
for 10,000 short texts whose model work took 419 s: the earlier runs were longer documents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corral.models.fileio import write_atomic
from corral.models.paths import data_dir, read_json_object

from . import prompts
from .stages.assign import ASSIGN_ITEM_CHARS
from .stages.base import Settings, StageContext
from .stages.cluster import item_kinds, mostly_pictures
from .stages.propose import ANSWER_CHARS, answer_key
from .stages.relevance import REASK_SAMPLE, uncached_reasks

# stages with one call per uncached file ("reask": up to relevance.REASK_SAMPLE of them;
# "judge": two per file whose choice differs from its free answer, stages/vocabulary.py)
PER_FILE = ("propose", "reask", "choose", "judge", "assign", "place")
KEEP = 0.5  # weight of the remembered figure when a new run's is averaged in
# the cache stage whose calls a per-file stage makes (stages/inflight.py times them), and how
# much of a file's text such a call sends
CALLS = {"propose": ("answer", ANSWER_CHARS), "reask": ("reask", ANSWER_CHARS), "choose": ("assign", ASSIGN_ITEM_CHARS),
         "judge": ("assign", ASSIGN_ITEM_CHARS), "assign": ("assign", ASSIGN_ITEM_CHARS),
         "place": ("assign", ASSIGN_ITEM_CHARS)}


def speed_path() -> Path:
    return data_dir() / "speed.json"


OFFER_ABOVE = 2000  # files the model would read one by one before the faster mode is offered
OFFER_SAMPLE = 500


@dataclass
class Estimate:
    calls: dict[str, int]  # per-file stage -> files it will ask the model about
    seconds: float | None  # None: this model has not run here yet
    exact: bool  # False: the count is an upper bound (the choices' cache is unknown ahead)
    offer: bool = False  # many files: the faster mode is offered
    faster: float | None = None  # its seconds with --llm-sample OFFER_SAMPLE, when timed
    at_least: bool = False  # K given: more files may be asked again (a too broad answer, a vocabulary)

    def message(self) -> str:
        files = sum(self.calls.values())
        if not files:
            return "Every per-file answer is in the project already."
        bound = "at least " if self.at_least else "" if self.exact else "up to "
        what = f"{bound}{files} model questions about files"
        if self.seconds is None:
            said = f"{what}; no earlier run of this model here to time them from."
        else:
            said = f"{what}, about {_minutes(self.seconds)} in all (timed on this model's earlier runs here)."
        if self.offer:
            when = f"about {_minutes(self.faster)}; " if self.faster is not None else ""
            said += (f" Faster: --llm-sample {OFFER_SAMPLE} reads {OFFER_SAMPLE} representative files and "
                     f"places the rest by their neighbours ({when}on a 500-text test set ACC 0.576 "
                     "against 0.590 reading every file, NMI 0.599 against 0.662: docs/benchmarks.md).")
        return said


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def per_file_stages(settings: Settings, hybrid: bool) -> list[str]:
    if not hybrid:
        return ["propose", "assign"]
    return ["choose"] if settings.steer == "values" else ["propose"]


def uncached_labels(ctx: StageContext, described: list[tuple[int, str, str]]) -> list[str]:
    """The descriptions whose answer to the criterion is not cached yet (stages/propose.py)."""
    return [desc for _, _, desc in described if not ctx.project.cache_has(answer_key(ctx, desc))]


def _spread(descs: list[str], count: int) -> list[str]:
    """``count`` of ``descs`` taken evenly across the list (stand-ins for files not known yet)."""
    if not descs or count <= 0:
        return []
    return [descs[int(i * len(descs) / count) % len(descs)] for i in range(count)]


def fit_line(sums: list[float]) -> tuple[float, float] | None:
    """(a, b) of seconds = a + b * characters from the sums [n, sum x, sum y, sum x^2, sum xy],
    neither negative; a flat line at the mean where the lengths hardly vary; None without calls."""
    n, sx, sy, sxx, sxy = (float(v) for v in sums)
    if n <= 0:
        return None
    var = sxx / n - (sx / n) ** 2
    if n < 2 or var <= (0.05 * sx / n) ** 2:  # lengths within about 5%: no slope to read
        return sy / n, 0.0
    b = (sxy / n - sx / n * sy / n) / var
    a = sy / n - b * sx / n
    if b < 0:
        return sy / n, 0.0
    if a < 0:
        return 0.0, sy / sx
    return a, b


def timing_version(cache_stage: str, together: int = 1) -> str:
    """What a stage's line is remembered under: its prompt version, and how many calls were
    decoded together (``/x16``): grouped calls take about half as long each
    (docs/benchmarks.md), so the two are timed apart."""
    version = prompts.VERSIONS[cache_stage]
    return version if together <= 1 else f"{version}/x{together}"


def _fitted(known: dict[str, Any], cache_stage: str, together: int = 1) -> tuple[float, float] | None:
    entry = known.get(f"fit:{cache_stage}")
    if not isinstance(entry, dict) or entry.get("version") != timing_version(cache_stage, together):
        return None
    sums = entry.get("sums")
    if not isinstance(sums, list) or len(sums) != 5:
        return None
    try:
        return fit_line([float(v) for v in sums])
    except (TypeError, ValueError):
        return None


def estimate(ctx: StageContext, described: list[tuple[int, str, str]], model_id: str, hybrid: bool,
             placing: int | None = None, together: int = 1) -> Estimate:
    """The model work ahead for ``described`` (``placing``: the number of files placed into an
    earlier run's groups instead, engine/place.py; ``together``: how many files' answers the
    model decodes at once, ``RuntimeSettings.parallel``, 1 for a model on a server)."""
    everyone = [desc for _, _, desc in described]
    asked: dict[str, list[str]] = {}  # per-file stage -> the descriptions it will send
    # the text check asks files again; for pictures only without K (stages/relevance.py)
    checks = ctx.settings.text_check and (ctx.settings.k is None or not mostly_pictures(item_kinds(ctx, described)))
    if placing is not None:  # which files are new is not said here: timed at the folder's lengths
        asked, exact = {"place": _spread(everyone, placing)}, True
    elif hybrid and ctx.settings.steer == "labels" and 0 < ctx.settings.llm_sample < len(described):
        # stages/sampled.py: labels for the sample (all of them if the neighbours turn out
        # not to agree with its groups); the sample is spread over the folder
        asked, exact = {"propose": _spread(everyone, ctx.settings.llm_sample)}, False
        if checks:  # the check runs on the sample
            asked["reask"] = _spread(everyone, min(ctx.settings.llm_sample, REASK_SAMPLE))
    else:
        exact = True
        for stage in per_file_stages(ctx.settings, hybrid):
            if stage == "propose":
                asked[stage] = uncached_labels(ctx, described)
                # some files asked again (stages/relevance.py); where the documents' form leads
                # (stages/form.py) they are not, which is known only once the labels are in
                if hybrid and checks:
                    asked["reask"] = uncached_reasks(ctx, everyone)
            else:  # the names or values chosen among are not known yet, nor their cache
                asked[stage], exact = everyone, False
    calls = {stage: len(descs) for stage, descs in asked.items()}
    # K given: files are asked again where an answer was too broad (stages/propose.py) and
    # may choose from the criterion's vocabulary (stages/vocabulary.py)
    at_least = exact and bool(calls.get("propose")) and bool(ctx.settings.k) and ctx.settings.steer == "labels"
    offer = (placing is None and hybrid and ctx.settings.steer == "labels" and not ctx.settings.llm_sample
             and calls.get("propose", 0) > OFFER_ABOVE)
    known = read_json_object(speed_path()).get(model_id)
    if not isinstance(known, dict):
        return Estimate(calls, None, exact, offer, at_least=at_least)
    try:
        timed = {stage: float(known[stage]) for stage in PER_FILE if stage in known}
    except (TypeError, ValueError):
        return Estimate(calls, None, exact, offer, at_least=at_least)
    if not timed:
        return Estimate(calls, None, exact, offer, at_least=at_least)
    # a stage not timed yet: a file's question costs about the same in every stage (one
    # prompt evaluation of the file, a few tokens out), so the others' mean stands in
    stand_in = sum(timed.values()) / len(timed)
    seconds = 0.0
    mean_call: dict[str, float] = {}  # seconds per call of each stage, for these files
    for stage, descs in asked.items():
        if not descs:
            continue
        cache_stage, limit = CALLS[stage]
        # the line of calls decoded together where this stage's were, else of single calls
        line = _fitted(known, cache_stage, together) or _fitted(known, cache_stage)
        if line is not None:
            a, b = line
            stage_seconds = sum(a + b * min(len(d), limit) for d in descs)
        else:
            stage_seconds = len(descs) * timed.get(stage, stand_in)
        seconds += stage_seconds
        mean_call[stage] = stage_seconds / len(descs)
    per_run = float(known.get("per_run", 0.0))
    if placing is None and any(calls.values()):
        seconds += per_run
    faster = OFFER_SAMPLE * mean_call["propose"] + per_run if offer else None
    return Estimate(calls, seconds, exact, offer, faster, at_least)


def record(model_id: str, stats: dict[str, Any]) -> None:
    """Remember this run's seconds per call of each per-file stage and its per-run seconds
    (those outside the per-file stages, from the model's own usage), averaged with what was
    remembered. Runs that asked the model nothing leave the figures alone."""
    usage = stats.get("model_usage") or {}
    seconds = stats.get("seconds", {})
    fresh: dict[str, float] = {}
    per_file_seconds = 0.0
    for stage in PER_FILE:
        calls = (stats.get(stage) or {}).get("calls", 0)
        if calls and stage in seconds:
            fresh[stage] = seconds[stage] / calls
            per_file_seconds += seconds[stage]
    if not fresh:
        return
    model_seconds = float(usage.get("seconds", 0.0))
    if model_seconds > per_file_seconds:
        fresh["per_run"] = model_seconds - per_file_seconds
    data = read_json_object(speed_path())
    remembered = data.get(model_id)
    old: dict[str, Any] = remembered if isinstance(remembered, dict) else {}
    merged: dict[str, Any] = {**old, **{k: round(KEEP * float(old[k]) + (1 - KEEP) * v, 3) if k in old else round(v, 3)
                                        for k, v in fresh.items()}}
    for cache_stage, sums in (stats.get("call_fit") or {}).items():
        if cache_stage not in prompts.VERSIONS:
            continue
        version = timing_version(cache_stage, int((stats.get("call_together") or {}).get(cache_stage, 1)))
        entry = old.get(f"fit:{cache_stage}")
        before = entry.get("sums") if isinstance(entry, dict) and entry.get("version") == version else None
        if not isinstance(before, list) or len(before) != 5:
            before = [0.0] * 5
        merged[f"fit:{cache_stage}"] = {"version": version, "sums": [
            round(KEEP * float(b) + float(v), 3) for b, v in zip(before, sums, strict=True)]}
    data[model_id] = merged
    try:
        speed_path().parent.mkdir(parents=True, exist_ok=True)
        write_atomic(speed_path(), json.dumps(data, indent=1))
    except OSError:  # a read-only data folder: no estimate next time, nothing else lost
        pass
