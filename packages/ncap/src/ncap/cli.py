"""The ``ncap`` command line: ``reproduce``, ``run`` (evaluate a policy), ``fit`` (train one) and ``info``.

Only the standard library and neurotypes are imported here; numpy, dm_control and torch load inside the handlers.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from neurotypes.cli import CommandLine

__all__ = ["cli", "main"]

log = logging.getLogger(__name__)

cli = CommandLine(
    "ncap",
    "NCAP (Bhattasali, Zador & Engel, NeurIPS 2022): the C. elegans swimmer circuit as a 4-parameter controller for "
    "dm_control's swimmer. Returns are on the paper's swim task (maximum 1000).",
)
cli.add_reproduce("ncap.reproduce:reproduce", full_help="the spec's seeds and budgets (tens of minutes)")

_run = cli.add_command(
    "run",
    "evaluate a policy on the swim task; optionally write an episode as neurotypes Traces (.npz or .nwb)",
    description=(
        "Evaluate a policy on episodes of the swim task and print the returns. POLICY is a policy file written "
        "by 'ncap fit' (.npz); without it, an untrained NCAP circuit built from the options below. --out writes "
        "the first episode's joint angles, --activity the circuit's B-neurons and muscles, as neurotypes Traces "
        "(.npz, or .nwb with the extra neurotypes[nwb])."
    ),
    out=None,
    threads=True,
)
_run.add_argument(
    "policy", nargs="?", default=None, help="policy file from 'ncap fit' (default: untrained NCAP)"
)
_run.add_argument(
    "--joints", type=int, default=5, help="joints N of an untrained circuit (body: N + 1 links)"
)
_run.add_argument("--period", type=int, default=60, help="oscillator period in steps (untrained circuit)")
_run.add_argument(
    "--init", choices=["constant", "uniform"], default="constant", help="untrained circuit's init"
)
_run.add_argument("--no-proprioception", action="store_true", help="ablate the proprioceptive coupling")
_run.add_argument("--no-oscillator", action="store_true", help="ablate the head oscillator")
_run.add_argument("--episodes", type=int, default=5, help="episodes, seeded SEED, SEED + 1, ...")
_run.add_argument("--seed", type=int, default=0, help="seed of the first episode")
_run.add_argument(
    "--out", default=None, help="write the first episode's joint angles here (.npz or .nwb; default: none)"
)
_run.add_argument(
    "--activity", default=None, help="write the circuit's units in the first episode here (.npz or .nwb)"
)

_fit = cli.add_command(
    "fit",
    "train NCAP or the MLP baseline (CMA-ES, OpenAI-ES or PPO) and save the policy",
    out="ncap-policy.npz",
    out_help="policy file to write (.npz: parameters + JSON settings, no pickle)",
    seed=True,
    threads=True,
)
_fit.add_argument("--policy", choices=["ncap", "mlp"], default="ncap", help="what to train")
_fit.add_argument(
    "--algo",
    choices=["cma", "es", "ppo"],
    default="cma",
    help="cma/es: black-box, episodes in --threads processes; ppo: the paper's RL comparison (needs ncap[torch])",
)
_fit.add_argument("--gens", type=int, default=15, help="generations for cma/es")
_fit.add_argument("--steps", type=int, default=100_000, help="environment steps for ppo")
_fit.add_argument("--unsigned", action="store_true", help="NCAP without sign constraints")
_fit.add_argument(
    "--heldout", type=int, default=3, help="held-out episodes scoring the result (seeds 1000, ...)"
)

cli.add_info()


def _write_traces(traces: object, path: str) -> None:
    from neurotypes import Traces

    assert isinstance(traces, Traces)
    suffix = Path(path).suffix.lower()
    if suffix == ".npz":
        traces.save(path)
    elif suffix == ".nwb":
        traces.to_nwb(path)
    else:
        raise ValueError(f"{path!r}: Traces are written as .npz or .nwb, not {suffix or 'no suffix'}")


def _handle_run(args: argparse.Namespace) -> int:
    from ncap.circuit import SwimmerNCAP
    from ncap.train import episode_returns, load_policy, rollout

    for name in ("out", "activity"):
        path = getattr(args, name)
        if path is not None and Path(path).suffix.lower() not in (".npz", ".nwb"):
            raise ValueError(f"--{name} {path!r}: write .npz or .nwb")
    if args.policy is not None:
        policy, meta = load_policy(args.policy)
        log.info("loaded %s from %s", meta["kind"], args.policy)
    else:
        policy = SwimmerNCAP(
            n_joints=args.joints,
            period=args.period,
            init=args.init,
            proprioception=not args.no_proprioception,
            oscillator=not args.no_oscillator,
            seed=args.seed,
        )
    n_joints = int(getattr(policy, "n_joints", 5))
    seeds = [args.seed + k for k in range(args.episodes)] if args.episodes >= 1 else []
    if not seeds:
        raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
    returns = episode_returns(policy, seeds, workers=args.threads or 1)
    for s, r in zip(seeds, returns, strict=True):
        print(f"episode seed {s}: return {r:7.1f} / 1000")
    print(f"{policy!r}: mean return {returns.mean():.1f} / 1000 over {len(seeds)} episodes")
    if args.out is not None or args.activity is not None:
        from ncap.envs import make_swim

        ro = rollout(policy, make_swim(n_links=n_joints + 1, seed=seeds[0]))
        if args.out is not None:
            _write_traces(ro.to_traces("joints"), args.out)
            print(f"wrote the joint angles of episode seed {seeds[0]} to {args.out}")
        if args.activity is not None:
            if not isinstance(policy, SwimmerNCAP):
                raise ValueError("--activity needs an NCAP policy (the MLP has no circuit units)")
            _write_traces(policy.activity_traces(ro), args.activity)
            print(f"wrote the circuit's units to {args.activity}")
    return 0


def _handle_fit(args: argparse.Namespace) -> int:
    from ncap.baselines import MLPPolicy
    from ncap.circuit import SwimmerNCAP
    from ncap.train import cma_es, openai_es, save_policy

    if Path(args.out).suffix.lower() != ".npz":
        raise ValueError(f"--out {args.out!r}: the policy file is an .npz")
    held = [1000 + k for k in range(args.heldout)] if args.heldout >= 1 else None
    if args.algo == "ppo":
        return _fit_ppo(args)
    policy: SwimmerNCAP | MLPPolicy
    if args.policy == "ncap":
        policy = SwimmerNCAP(init="uniform", sign_constraints=not args.unsigned, seed=args.seed)
    else:
        policy = MLPPolicy((23, 64, 64, 5), seed=args.seed)
    train = cma_es if args.algo == "cma" else openai_es
    result = train(
        policy,
        gens=args.gens,
        seed=args.seed,
        workers=args.threads or 2,
        progress=not args.quiet,
        eval_seeds=held,
    )
    policy.set_params(result.best_params)
    facts = {
        "algo": args.algo,
        "seed": args.seed,
        "training_return": result.best_return,
        "heldout_return": result.heldout_return,
        "heldout_seeds": list(result.eval_seeds),
        "episodes": int(result.history[-1]["episodes"]),
    }
    save_policy(policy, args.out, **facts)
    held_text = f", held-out {result.heldout_return:.1f}" if result.heldout_return is not None else ""
    print(
        f"best training-episode return {result.best_return:.1f}{held_text} / 1000 after "
        f"{facts['episodes']} episodes; wrote {args.out}"
    )
    log.debug("history: %s", json.dumps(result.history))
    return 0


def _fit_ppo(args: argparse.Namespace) -> int:
    import numpy as np

    from ncap.rl import MLPActor, NCAPActor, ppo
    from ncap.torch import SwimmerModule

    actor = (
        NCAPActor(SwimmerModule(init="uniform", sign_constraints=not args.unsigned, seed=args.seed))
        if args.policy == "ncap"
        else MLPActor()
    )
    res = ppo(actor, total_steps=args.steps, seed=args.seed, progress=not args.quiet)
    last = res.episode_returns[-5:]
    print(
        f"{len(res.episode_returns)} episodes; mean return of the last {len(last)}: {np.mean(last):.1f} / 1000"
    )
    if isinstance(actor, NCAPActor):
        from ncap.circuit import SwimmerNCAP
        from ncap.train import save_policy

        c = actor.circuit.circuit
        policy = SwimmerNCAP(c.n_joints, c.period, c.weight_sharing, c.sign_constraints, c.init)
        policy.set_params(actor.circuit.weights.detach().numpy())
        save_policy(policy, args.out, algo="ppo", seed=args.seed, steps=args.steps)
        print(f"wrote {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ncap`` command."""
    return cli.main(argv, {"run": _handle_run, "fit": _handle_fit})


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
