"""Probe: does the files' text carry the criterion? stages/relevance.py on a bench project.

Usage: python packaging/probe_text_carries.py BENCH.corral DATASET [KEY] [--sample N] [--m M]
       [--state W]

After `corral bench DATASET --project BENCH.corral` (same --sample, seed 0; ``--state`` the
--state-weight the bench ran with), the first answers come from the project's cache and
``relevance.check_text`` asks up to M files (default 160) the criterion a second time with
the real model (cached in the project like every answer), then prints the answers' own
agreement, the text neighbours' agreement and their ratio, and the weights they give.
docs/benchmarks.md ("Asking a sample again") records what it printed.
"""

from __future__ import annotations

from ablate_steering import arguments, replay

from corral.engine.pipeline import model_provider
from corral.engine.stages import cluster, relevance
from corral.engine.stages.base import StageContext


def main() -> None:
    args = arguments(lambda p: (p.add_argument("--m", type=int, default=relevance.REASK_SAMPLE),
                                p.add_argument("--state", type=float, default=0.0)))
    with replay(args, state_weight=args.state) as run:
        ctx = StageContext(run.ctx.project, model_provider(), run.settings)
        text = cluster.description_vectors(run.descriptions, run.embed)
        checked = relevance.check_text(ctx, run.descriptions, run.labels, text, run.embed, args.m)
        print(f"{run.name}: {len(run.labels)} files: {checked.report()}")
        print(f"  {relevance.explain(checked.report())}")


if __name__ == "__main__":
    main()
