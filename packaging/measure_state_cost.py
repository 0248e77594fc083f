"""What reading the hidden state adds to a file's answer (issue 11): the same files answered
with ``generate`` and with ``generate_with_state``, one after the other, on the default model.

Usage: python packaging/measure_state_cost.py DATASET.jsonl [N] [CRITERION]

Run it alone on the machine (no other model work): it prints seconds per file both ways.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from corral.engine import prompts
from corral.models.catalog import DEFAULT_MODEL
from corral.models.runtime import LocalLLM
from corral.models.store import ModelStore


def main() -> None:
    path = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    criterion = sys.argv[3] if len(sys.argv) > 3 else "topic"
    texts = [json.loads(line)["input"] for line in path.read_text().splitlines()[:n]]
    model = LocalLLM.load(ModelStore().resolve(DEFAULT_MODEL)[0])
    try:
        for name in ("generate", "generate_with_state", "generate", "generate_with_state"):
            call = getattr(model, name)
            start = time.perf_counter()
            for text in texts:
                call(prompts.answer_messages(criterion, text[:1200]), grammar=prompts.words_grammar(), max_tokens=24)
            print(f"{name:20s} {(time.perf_counter() - start) / len(texts):.3f} s a file ({len(texts)} files)")
    finally:
        model.close()


if __name__ == "__main__":
    main()
