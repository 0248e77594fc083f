"""Offline ablation of the hidden-state blocks (issue 11), from a bench project's cache.

Usage: python packaging/ablate_states.py BENCH.corral DATASET [KEY] [--sample N]

After `corral bench DATASET --state-weight 0.5 --project BENCH.corral` (same --sample, seed 0;
any weight above 0 asks the answers with their states), this replays the
run from the cache as packaging/ablate_steering.py does (the model is never loaded) and
clusters at the true K with the blocks of ``cluster.criterion_vectors`` at other weights:
without the states (the grouping before them), the state where the answer starts at three
weights, both states, the answer's state alone. Mean of 3 seeds; docs/benchmarks.md records
what it printed.
"""

from __future__ import annotations

from ablate_steering import arguments, replay

from corral.engine.stages import cluster
from corral.engine.stages.propose import answer_states


def main() -> None:
    with replay(arguments(), state_weight=0.5) as run:
        states = answer_states(run.ctx, run.descriptions)
        if states is None:
            raise SystemExit("the project's answers carry no hidden states (asked through a server, or before q3)")
        text = run.embed(run.descriptions)
        scaled = cluster.label_block_weight(1.0, len(set(run.concepts)), run.k)
        print(f"{run.name}: {len(text)} items, K={run.k}, {len(set(run.concepts))} label concepts "
              f"(the answer's state scaled by {scaled:.2f}), criterion {run.settings.criterion!r}")
        variants = [("no states (the default)", run.label_weight, None, (0.0, 0.0))]
        variants += [(f"start at {w:g}", run.label_weight, states, (w, 0.0)) for w in (0.25, 0.5, 1.0)]
        variants += [(f"start at {w:g}, end at {w:g}", run.label_weight, states, (w, w * scaled)) for w in (0.5, 1.0)]
        variants += [("end only, at 1", run.label_weight, states, (0.0, scaled)),
                     ("start at 1, end at 1, no label block", 0.0, states, (1.0, scaled))]
        for name, label_weight, given, weights in variants:
            vectors, report = cluster.criterion_vectors(
                run.descriptions, run.labels, run.concepts, lambda t: text if t is run.descriptions else run.embed(t),
                label_weight, run.visual, run.settings.visual_weight, run.times,
                states=given, state_weights=weights)
            agree = ", ".join(f"{n} {r['agreement']}" for n, r in report.items() if n.startswith("state"))
            print(f"  {name:32s} {run.score(vectors)}" + (f"   [agreement: {agree}]" if agree else ""))


if __name__ == "__main__":
    main()
