"""Probe: does the files' text carry the criterion? A test-retest ratio, from a bench project.

Usage: python packaging/probe_text_carries.py BENCH.corral DATASET [KEY] [--sample N] [--m M]
       [--seed S] [--state W]

After `corral bench DATASET --project BENCH.corral` (same --sample, seed 0; ``--state`` the
--state-weight the bench ran with), the first answers come from the project's cache; M files
drawn at random (seed S) are asked the criterion a second time in other words (the real
model, answers decoded together), and the script prints

* reliability: a file's two answers in one label concept, beyond chance;
* neighbours: its 10 nearest text neighbours' first answers in its concept, beyond chance
  (``cluster.criterion_agreement``);
* their ratio, meant to be near 1 where a text neighbour is as good as the file re-asked.

docs/benchmarks.md ("Asking a sample again") records what it printed: the ratio ordered the
sets rightly on small samples and not on all 150 documents, so nothing was built from it.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from ablate_steering import arguments, replay

from corral.engine import prompts
from corral.engine.pipeline import model_provider
from corral.engine.stages import cluster
from corral.engine.stages.autok import label_concepts
from corral.engine.stages.propose import ANSWER_CHARS, parse_answer


def reask_messages(criterion: str, text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": prompts.SYSTEM},
            {"role": "user", "content": (
                f"These files are being sorted into folders by one question: {prompts.question(criterion)}\n"
                f"Give the name of this file's folder, one to three words.\n\nFile:\n{text}\n\nFolder name:")}]


def beyond(observed: float, chance: float) -> float:
    return (observed - chance) / (1 - chance)


def main() -> None:
    args = arguments(lambda p: (p.add_argument("--m", type=int, default=80),
                                p.add_argument("--seed", type=int, default=0),
                                p.add_argument("--state", type=float, default=0.0)))
    with replay(args, state_weight=args.state) as run:
        n = len(run.labels)
        rows = sorted(np.random.default_rng(args.seed).choice(n, size=min(n, args.m), replace=False).tolist())
        model = model_provider().get()
        texts = [run.descriptions[i][:ANSWER_CHARS] for i in rows]
        again = [parse_answer(a) for a in model.generate_many(
            [reask_messages(run.settings.criterion, t) for t in texts], grammar=prompts.words_grammar(), max_tokens=24)]
        concepts = label_concepts(run.labels + again, run.embed, run.settings.label_merge_distance)
        first, second = np.asarray(concepts[:n]), np.asarray(concepts[n:])
        ours, theirs = Counter(first[rows].tolist()), Counter(second.tolist())
        chance = sum(ours[c] * theirs.get(c, 0) for c in ours) / len(rows) ** 2
        reliability = beyond(float((first[rows] == second).mean()), chance)
        neighbours = cluster.criterion_agreement(cluster.description_vectors(run.descriptions, run.embed),
                                                 first.tolist())
        print(f"{run.name}: {n} files, {len(rows)} asked again: reliability {reliability:.3f}, "
              f"neighbours {neighbours:.3f}, ratio {neighbours / reliability:.2f}")
        print("  first / second answers:", list(zip([run.labels[i] for i in rows], again, strict=True))[:10])


if __name__ == "__main__":
    main()
