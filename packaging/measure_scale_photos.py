"""Issue 13's photo target: N pictures organized by what they show, with the real models.

Usage: .venv/bin/python packaging/measure_scale_photos.py N [WORKDIR] [S]

N JPEG pictures are written from ../shared/datasets/images/cifar10_500 (500 distinct
pictures; copy c of a picture is flipped, turned a little, cropped and lit differently by a
seeded random draw, so every file has its own content), then the real ``organize`` runs with
the default describers (ImageNet tags and features, the OCR check, EXIF), the sentence
embedder and the default language model reading S representative pictures' descriptions
(``--llm-sample S``, 500 by default; 0 reads every one), K=10, criterion "the main object in
the picture". Prints the seconds per stage, the model's calls, the peak RSS and ACC / NMI /
ARI against the pictures' CIFAR classes; docs/benchmarks.md records what it printed.
"""

from __future__ import annotations

import csv
import random
import resource
import shutil
import sys
import time
from pathlib import Path

from PIL import Image, ImageEnhance, ImageOps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corral.engine.bench import metrics  # noqa: E402
from corral.engine.pipeline import embedder_provider, model_provider, organize  # noqa: E402
from corral.engine.request import RunRequest  # noqa: E402
from corral.engine.stages.base import Settings  # noqa: E402

IMAGES = ROOT / ".." / "shared" / "datasets" / "images" / "cifar10_500"


def augmented(image: Image.Image, rng: random.Random) -> Image.Image:
    """A variant of ``image``: mirrored or not, turned up to 12 degrees, cropped to 80-100% and
    its brightness and contrast changed by up to a fifth."""
    out = ImageOps.mirror(image) if rng.random() < 0.5 else image
    out = out.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR)
    w, h = out.size
    scale = rng.uniform(0.8, 1.0)
    cw, ch = max(8, int(w * scale)), max(8, int(h * scale))
    left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
    out = out.crop((left, top, left + cw, top + ch)).resize((w, h), Image.Resampling.BILINEAR)
    out = ImageEnhance.Brightness(out).enhance(rng.uniform(0.8, 1.2))
    return ImageEnhance.Contrast(out).enhance(rng.uniform(0.8, 1.2))


def main() -> None:
    n = int(sys.argv[1])
    work = Path(sys.argv[2] if len(sys.argv) > 2 else f"/tmp/corral-photos-{n}")
    llm_sample = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    with (IMAGES / "labels.csv").open(newline="") as fh:
        rows = [(r["file"], r["label"]) for r in csv.DictReader(fh)]
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "folder"
    folder.mkdir(parents=True)
    truth: dict[str, str] = {}
    started = time.perf_counter()
    for i in range(n):
        name, label = rows[i % len(rows)]
        copy = i // len(rows)
        image = Image.open(IMAGES / name).convert("RGB")
        if copy:
            image = augmented(image, random.Random(i))
        path = folder / f"p{i:05d}.jpg"
        image.save(path, quality=90)
        truth[path.name] = label
    print(f"{n} pictures written in {time.perf_counter() - started:.0f} s", flush=True)
    embedder = embedder_provider()
    if embedder is None:
        raise SystemExit("the sentence embedder (minilm-l6) is not installed: corral models install minilm-l6")
    rss: dict[str, float] = {}  # stage -> peak RSS (MB) when it first reported

    def follow(event) -> None:  # type: ignore[no-untyped-def]
        if event.stage not in rss:
            print(f"  {time.perf_counter() - started:6.0f} s: {event.stage} {event.message or ''}", flush=True)
        rss.setdefault(event.stage, round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    started = time.perf_counter()
    result = organize(RunRequest(folder, Settings(criterion="the main object in the picture", k=10,
                                                  llm_sample=llm_sample), work / "photos.corral"),
                      model=model_provider(), embedder=embedder, progress=follow)
    seconds = time.perf_counter() - started
    stages = {k: round(v, 1) for k, v in result.stats["seconds"].items()}
    usage = result.stats.get("model_usage") or {}
    pred = {Path(m.item.path).name: g for g, group in enumerate(result.groups) for m in group.members}
    names = sorted(pred)
    scores = metrics([truth[p] for p in names], [pred[p] for p in names])
    print(f"{n} pictures: {seconds:.0f} s ({seconds / 60:.1f} min) in all; stages {stages}; "
          f"language model {usage.get('calls', 0)} calls in {usage.get('seconds', 0.0):.0f} s; "
          f"sampled {result.stats.get('sampled')}; {len(result.groups)} groups "
          f"{[g.name for g in result.groups]}; {len(names)} of {n} grouped; "
          f"ACC / NMI / ARI {scores['acc']:.3f} / {scores['nmi']:.3f} / {scores['ari']:.3f}; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(as each stage began: {rss})", flush=True)


if __name__ == "__main__":
    main()
