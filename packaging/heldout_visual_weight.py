"""Held-out choice of ``Settings.visual_weight``, away from the CIFAR-10 benchmark images.

Usage: python packaging/heldout_visual_weight.py [N]
(needs `corral models install imagenet` and `corral models install minilm-l6`; no LLM).

The pictures are scikit-learn's bundled 8x8 handwritten digits (1797, 10 classes; N of them,
all by default), upscaled to 32x32 RGB like CIFAR's. Each goes through the tags describer's
network once (its tags text and pooled features, as in a run), and k-means with K=10 (mean of
5 seeds) clusters [MiniLM(tags text), w * features / |features|] for several w, rows unit
length, as ``engine/stages/cluster.py:item_vectors`` builds them (without the LLM's label
block, which needs the language model). docs/photos.md records what it printed.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from PIL import Image
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits

from corral.engine.bench import metrics
from corral.engine.describers.tags import TOP_K, format_tags
from corral.engine.pipeline import embedder_provider
from corral.models.catalog import get_spec
from corral.models.imagenet import ImageNetClassifier
from corral.models.store import ModelStore

WEIGHTS: list[float | str] = [0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, "visual only"]


def main() -> None:
    digits = load_digits()
    n = int(sys.argv[1]) if len(sys.argv) > 1 else len(digits.target)
    order = np.random.default_rng(0).permutation(len(digits.target))[:n]
    classifier = ImageNetClassifier.load(ModelStore().path_for(get_spec("imagenet")), threads=1)
    texts, features, true = [], [], []
    start = time.perf_counter()
    for i in order:
        pixels = (digits.images[i] / 16.0 * 255).astype(np.uint8)
        image = Image.fromarray(pixels).resize((32, 32), Image.Resampling.BILINEAR).convert("RGB")
        ranked, vector = classifier.analyse(image, TOP_K)
        texts.append(format_tags(ranked))
        features.append(vector)
        true.append(str(digits.target[i]))
    print(f"described {n} digits in {time.perf_counter() - start:.1f}s")
    embedder = embedder_provider()
    if embedder is None:
        raise SystemExit("install the sentence embedder first: corral models install minilm-l6")
    text = np.asarray(embedder.embed(texts), dtype=np.float64)
    visual = np.stack(features).astype(np.float64)
    visual /= np.linalg.norm(visual, axis=1, keepdims=True)
    print("w            ACC    NMI    ARI")
    for w in WEIGHTS:
        if w == "visual only":
            x = visual
        else:
            x = np.hstack([text, float(w) * visual]) if w else text
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        runs = [metrics(true, KMeans(10, n_init=10, random_state=s).fit_predict(x).tolist()) for s in range(5)]
        mean = {k: float(np.mean([r[k] for r in runs])) for k in ("acc", "nmi", "ari")}
        print(f"{w!s:<11} {mean['acc']:.3f}  {mean['nmi']:.3f}  {mean['ari']:.3f}")


if __name__ == "__main__":
    main()
