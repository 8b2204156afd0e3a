"""Command line: ``ncap reproduce``, ``ncap evaluate`` and ``ncap train``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

import numpy as np

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ncap",
        description=(
            "NCAP: the C. elegans swimmer circuit as a 4-parameter controller for dm_control's swimmer "
            "(Bhattasali, Zador & Engel, NeurIPS 2022). Returns are on the paper's swim task (max 1000)."
        ),
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("reproduce", help="measure the paper's claims and write a report with figures")
    r.add_argument("--out", default="reports/ncap", help="output folder (default: %(default)s)")
    r.add_argument("--full", action="store_true", help="paper-scale seeds and budgets (tens of minutes)")
    r.add_argument("--workers", type=int, default=2, help="parallel episode processes (default: %(default)s)")

    e = sub.add_parser("evaluate", help="mean return of an untrained NCAP circuit")
    e.add_argument("--joints", type=int, default=5, help="number of joints N (default: %(default)s)")
    e.add_argument("--period", type=int, default=60, help="oscillator period in steps (default: %(default)s)")
    e.add_argument("--init", choices=["constant", "uniform"], default="constant")
    e.add_argument("--no-proprioception", action="store_true", help="ablate the proprioceptive coupling")
    e.add_argument("--no-oscillator", action="store_true", help="ablate the head oscillator")
    e.add_argument(
        "--episodes", type=int, default=5, help="episodes, seeded 0, 1, ... (default: %(default)s)"
    )

    t = sub.add_parser("train", help="train NCAP or the MLP baseline with CMA-ES, OpenAI-ES or PPO")
    t.add_argument("--policy", choices=["ncap", "mlp"], default="ncap")
    t.add_argument(
        "--algo",
        choices=["cma", "es", "ppo"],
        default="cma",
        help="cma/es: black-box, episodes in parallel; ppo: the paper's RL comparison (needs ncap[torch])",
    )
    t.add_argument("--gens", type=int, default=15, help="generations for cma/es (default: %(default)s)")
    t.add_argument(
        "--steps", type=int, default=100_000, help="environment steps for ppo (default: %(default)s)"
    )
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--unsigned", action="store_true", help="NCAP without sign constraints")
    t.add_argument("--workers", type=int, default=2)
    t.add_argument("--out", default=None, help="write the learned parameters and history to this JSON file")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ncap`` command."""
    args = _parser().parse_args(argv)
    from ncap import MLPPolicy, SwimmerNCAP, cma_es, evaluate, openai_es, reproduce

    # after the imports: dm_control installs absl's logging handler, which would swallow INFO messages
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)

    if args.command == "reproduce":
        report = reproduce(args.out, quick=not args.full, workers=args.workers)
        print(report.to_markdown())
        return 0
    if args.command == "evaluate":
        pol = SwimmerNCAP(
            n_joints=args.joints,
            period=args.period,
            init=args.init,
            proprioception=not args.no_proprioception,
            oscillator=not args.no_oscillator,
        )
        print(f"{pol}: mean return {evaluate(pol, seed=0, episodes=args.episodes):.1f} / 1000")
        return 0
    if args.algo == "ppo":
        from ncap.rl import MLPActor, NCAPActor, ppo
        from ncap.torch import SwimmerModule

        actor = (
            NCAPActor(SwimmerModule(init="uniform", sign_constraints=not args.unsigned, seed=args.seed))
            if args.policy == "ncap"
            else MLPActor()
        )
        res = ppo(actor, total_steps=args.steps, seed=args.seed, progress=True)
        last = res.episode_returns[-5:]
        print(
            f"{len(res.episode_returns)} episodes; mean return of the last {len(last)}: {np.mean(last):.1f} / 1000"
        )
        return 0
    policy: SwimmerNCAP | MLPPolicy
    if args.policy == "ncap":
        policy = SwimmerNCAP(init="uniform", sign_constraints=not args.unsigned, seed=args.seed)
    else:
        policy = MLPPolicy((23, 64, 64, 5), seed=args.seed)
    train = cma_es if args.algo == "cma" else openai_es
    result = train(policy, gens=args.gens, seed=args.seed, workers=args.workers, progress=True)
    print(f"best return {result.best_return:.1f} / 1000 after {result.history[-1]['episodes']} episodes")
    if args.out:
        from neurotypes import atomic_write_bytes

        payload = {
            "best_params": result.best_params.tolist(),
            "best_return": result.best_return,
            "history": result.history,
        }
        atomic_write_bytes(args.out, json.dumps(payload, indent=2).encode())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
