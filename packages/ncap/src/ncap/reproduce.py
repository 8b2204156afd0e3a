"""Measure every claim of the spec on the dm_control swim task: one function per claim, each with its
pre-registered criterion; :func:`reproduce` runs them and writes ``report.json``, ``report.md`` and the figures.

Returns are reported as fractions of the maximum return (1000). Trained policies are scored on **held-out**
episodes (seeds 1000, 1001, ...) that the optimiser never saw; the training episode of a run with seed ``s`` is
episode seed ``s``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ncap.baselines import MLPPolicy, RandomPolicy, ZeroPolicy
from ncap.circuit import SwimmerNCAP
from ncap.envs import make_swim, observation_size
from ncap.plots import plot_gait, plot_learning_curves, plot_returns, plot_sweep
from ncap.train import ESResult, cma_es, episode_returns, openai_es, rollout
from neurotypes import Claim, Criterion, Report
from neurotypes.reproduction import ClaimContext, run_claims
from neurotypes.validation import check_bool, check_int

__all__ = ["CLAIMS", "Settings", "reproduce"]

PACKAGE = "ncap"
MAX_RETURN = 1000.0
HELDOUT_OFFSET = 1000  # held-out episode seeds: seed + 1000, seed + 1001, ...


@dataclass(frozen=True)
class Settings:
    """Sizes of one reproduction run."""

    eval_episodes: int = 5
    uniform_draws: int = 10
    periods: tuple[int, ...] = (20, 40, 60, 80, 100)
    cma_seeds: int = 3
    cma_gens: int = 10
    heldout_episodes: int = 3
    mlp_seeds: int = 1
    mlp_gens: int = 15
    sign_seeds: int = 3
    sign_gens: int = 5
    transfer_joints: tuple[int, ...] = (3, 5, 9, 13)
    workers: int = 2

    @classmethod
    def quick(cls) -> Settings:
        """About 800 swim episodes: a few minutes on an idle 2-core machine."""
        return cls()

    @classmethod
    def full(cls) -> Settings:
        """The spec's seeds and budgets (15 generations, 10 sign seeds, the MLP's 271 episodes, N = 3...13)."""
        return cls(
            cma_seeds=5,
            cma_gens=15,
            heldout_episodes=5,
            mlp_seeds=3,
            mlp_gens=30,
            sign_seeds=10,
            sign_gens=15,
            transfer_joints=tuple(range(3, 14)),
        )


def _frac(x: Any) -> Any:
    if isinstance(x, list | tuple | np.ndarray):
        return [round(float(v) / MAX_RETURN, 4) for v in x]
    return round(float(x) / MAX_RETURN, 4)


_CACHE: dict[tuple[Any, ...], Any] = {}


def _cached(ctx: ClaimContext, name: str, compute: Any) -> Any:
    key = (id(ctx), name)
    if key not in _CACHE:
        _CACHE[key] = compute()
    return _CACHE[key]


def _settings(ctx: ClaimContext) -> Settings:
    base = Settings.quick() if ctx.quick else Settings.full()
    return Settings(**{**base.__dict__, "workers": ctx.threads or 2})


def _untrained(ctx: ClaimContext) -> dict[str, np.ndarray]:
    """Returns of the untrained circuits and controls on the evaluation episodes (shared by three claims)."""
    s = _settings(ctx)
    seeds = ctx.seeds(s.eval_episodes)
    init_seeds = ctx.seeds(s.uniform_draws, offset=100)

    def compute() -> dict[str, np.ndarray]:
        def ret(policy: Any) -> np.ndarray:
            return episode_returns(policy, seeds, workers=s.workers)

        return {
            "constant": ret(SwimmerNCAP()),
            "open loop": ret(SwimmerNCAP(proprioception=False)),
            "no oscillator": ret(SwimmerNCAP(oscillator=False)),
            "zero torque": ret(ZeroPolicy()),
            "random torques": np.array([episode_returns(RandomPolicy(seed=k), [k])[0] for k in seeds]),
            "uniform init": np.array(
                [
                    episode_returns(SwimmerNCAP(init="uniform", seed=i), [seeds[k % len(seeds)]])[0]
                    for k, i in enumerate(init_seeds)
                ]
            ),
        }

    return _cached(ctx, "untrained", compute)  # type: ignore[no-any-return]


def claim_initial_performance(ctx: ClaimContext) -> Claim:
    """The constant-init circuit swims before any training."""
    s = _settings(ctx)
    criteria = [
        Criterion("mean return / max", "within", 0.8, tolerance=0.05),
        Criterion("return / max", ">", baseline="random torques, return / max", seeds=s.eval_episodes),
    ]
    r = _untrained(ctx)
    fig = plot_returns(
        {
            k: r[k]
            for k in (
                "zero torque",
                "random torques",
                "no oscillator",
                "open loop",
                "uniform init",
                "constant",
            )
        },
        "untrained policies on the swim task",
    )
    return Claim(
        "NCAP has good initial performance (constant init)",
        paper="good performance before any training (abstract, figures; independent prototype: about 0.8 of the maximum)",
        measured={
            "mean return / max": _frac(r["constant"].mean()),
            "return / max": _frac(r["constant"]),
            "random torques, return / max": _frac(r["random torques"]),
        },
        criteria=criteria,
        figures=[ctx.figure(fig, "untrained_returns.png")],
        notes="Constant init (+1, +1, +1, -1), T = 60; episode seeds 0-4; random torques on the same episodes.",
    )


def claim_architecture(ctx: ClaimContext) -> Claim:
    """The proprioceptive wave and the oscillator are what swims: circuit ablations."""
    criteria = [
        Criterion("open loop, mean return / max", "<", 0.2),
        Criterion("no oscillator, mean return / max", "<", 0.15),
        Criterion("zero torque, max return / max", "==", 0.0),
        Criterion("constant / open loop", ">=", 4.0),
    ]
    r = _untrained(ctx)
    return Claim(
        "The architecture (proprioceptive wave + oscillator) is what swims",
        paper="circuit ablations (prototype: open loop about 1/8, no oscillator about 1/20, zero torque 0)",
        measured={
            "open loop, mean return / max": _frac(r["open loop"].mean()),
            "no oscillator, mean return / max": _frac(r["no oscillator"].mean()),
            "zero torque, max return / max": _frac(r["zero torque"].max()),
            "constant / open loop": round(float(r["constant"].mean() / max(r["open loop"].mean(), 1e-9)), 3),
            "random torques, mean return / max": _frac(r["random torques"].mean()),
        },
        criteria=criteria,
        figures=["untrained_returns.png"],
        notes="Open loop: w_prop = 0; no oscillator: w_osc = 0; same episodes as the constant-init circuit.",
    )


def claim_constant_init(ctx: ClaimContext) -> Claim:
    """Constant initialisation, not the architecture alone, gives the good initial performance."""
    s = _settings(ctx)
    criterion = Criterion("constant / uniform mean", ">=", 2.0)
    r = _untrained(ctx)
    return Claim(
        "Constant initialisation gives the good initial performance",
        paper="constant vs uniform initialisation ablation (prototype: about 0.8 vs about 0.2)",
        measured={
            "constant / uniform mean": round(
                float(r["constant"].mean() / max(r["uniform init"].mean(), 1e-9)), 3
            ),
            "constant, mean return / max": _frac(r["constant"].mean()),
            f"uniform init ({s.uniform_draws} draws), return / max": _frac(r["uniform init"]),
        },
        criteria=criterion,
        figures=["untrained_returns.png"],
    )


def claim_period(ctx: ClaimContext) -> Claim:
    """The oscillator period sets the gait: the paper's T = 60 steps swims best."""
    s = _settings(ctx)
    criteria = [
        Criterion("best period is 60 or 80", "==", 1.0),
        Criterion("T=20 / best", "<", 0.5),
    ]
    (seed,) = ctx.seeds(1)
    r = np.array([episode_returns(SwimmerNCAP(period=t), [seed])[0] for t in s.periods])
    best = s.periods[int(np.argmax(r))]
    ro = rollout(SwimmerNCAP(), make_swim(seed=seed))
    figs = [
        ctx.figure(
            plot_sweep(s.periods, {"NCAP constant init": r}, "oscillator period T (steps)", "period sweep"),
            "period_sweep.png",
        ),
        ctx.figure(plot_gait(ro), "gait.png"),
    ]
    return Claim(
        "Oscillator period: T = 60 steps swims best",
        paper="the paper's T = 60 steps (1.8 s); prototype: T = 20/40/60/80/100 -> about 0.2/0.6/0.8/0.8/slightly below 0.8",
        measured={
            "best period is 60 or 80": float(best in (60, 80)),
            "T=20 / best": round(float(r[0] / r.max()), 4),
            **{f"T={t}, return / max": _frac(x) for t, x in zip(s.periods, r, strict=True)},
        },
        criteria=criteria,
        figures=figs,
    )


def _cma_runs(ctx: ClaimContext) -> tuple[list[int], list[ESResult]]:
    s = _settings(ctx)
    seeds = ctx.seeds(s.cma_seeds)
    held = ctx.seeds(s.heldout_episodes, offset=HELDOUT_OFFSET)

    def compute() -> list[ESResult]:
        return [
            cma_es(
                SwimmerNCAP(init="uniform", seed=k),
                gens=s.cma_gens,
                popsize=8,
                sigma0=0.3,
                seed=k,
                workers=s.workers,
                eval_seeds=held,
            )
            for k in ctx.track(seeds, desc="CMA-ES seeds")
        ]

    return seeds, _cached(ctx, "cma", compute)


def claim_learning(ctx: ClaimContext) -> Claim:
    """CMA-ES from a random (uniform) initialisation learns to swim, judged on held-out episodes."""
    s = _settings(ctx)
    criterion = Criterion("held-out return / max", ">=", 0.8, seeds=s.cma_seeds)
    seeds, runs = _cma_runs(ctx)
    return Claim(
        "Learning from random initialisation (CMA-ES, signed, uniform init)",
        paper="prototype: above 0.85 by generation 5, about 0.9 after 15 generations (training episode)",
        measured={
            "held-out return / max": _frac([r.heldout_return for r in runs]),
            "training-episode return / max": _frac([r.best_return for r in runs]),
            "generations": s.cma_gens,
            "CMA-ES seeds": seeds,
            "held-out episode seeds": list(runs[0].eval_seeds),
        },
        criteria=criterion,
        figures=["learning_curves.png"],
        notes=(
            "Each run trains on one episode (seed = the run's seed, pop 8, sigma0 0.3); its best parameters are "
            "scored on held-out episodes the optimiser never saw."
        ),
    )


def claim_data_efficiency(ctx: ClaimContext) -> Claim:
    """NCAP reaches a good held-out return with far fewer episodes than an MLP trained with OpenAI-ES."""
    s = _settings(ctx)
    budget = 136
    criteria = [
        Criterion("NCAP held-out return / max within 136 episodes", ">=", 0.8, seeds=s.cma_seeds),
        Criterion("MLP held-out return / max after its budget", "<", 0.4, seeds=s.mlp_seeds),
    ]
    _, runs = _cma_runs(ctx)
    held = list(runs[0].eval_seeds)
    mlp_seeds = ctx.seeds(s.mlp_seeds)
    mlp_runs = [
        openai_es(
            MLPPolicy((observation_size(6), 64, 64, 5), seed=k),
            gens=s.mlp_gens,
            pop=8,
            sigma=0.02,
            lr=0.01,
            weight_decay=0.005,
            seed=k,
            workers=s.workers,
            eval_seeds=held,
        )
        for k in ctx.track(mlp_seeds, desc="MLP seeds")
    ]

    def at_budget(run: ESResult) -> float:
        within = [h["heldout"] for h in run.history if h["episodes"] <= budget]
        return max(within) if within else 0.0

    fig = plot_learning_curves(
        {
            "NCAP (4 params), CMA-ES from uniform init": [
                ([h["episodes"] for h in r.history], [h["heldout"] for h in r.history]) for r in runs
            ],
            f"MLP ({MLPPolicy((23, 64, 64, 5)).n_params} params), OpenAI-ES": [
                ([h["episodes"] for h in r.history], [h["heldout"] for h in r.history]) for r in mlp_runs
            ],
        },
        threshold=0.8,
        title="held-out return of the best-so-far parameters",
    )
    return Claim(
        "Much better data efficiency than MLPs",
        paper="figures; prototype: NCAP passes 0.8 within about 136 episodes, the MLP stays near 0.2 after 271",
        measured={
            "NCAP held-out return / max within 136 episodes": _frac([at_budget(r) for r in runs]),
            "NCAP training episodes to 0.8 held-out": [
                r.episodes_to_reach(0.8 * MAX_RETURN, heldout=True) for r in runs
            ],
            "MLP held-out return / max after its budget": _frac([r.heldout_return for r in mlp_runs]),
            "MLP episodes": int(mlp_runs[0].history[-1]["episodes"]),
            "MLP params": MLPPolicy((observation_size(6), 64, 64, 5)).n_params,
        },
        criteria=criteria,
        figures=[ctx.figure(fig, "learning_curves.png")],
        notes=(
            "Both sides are scored on the same held-out episodes; episodes counted are training episodes. The "
            "MLP (23-64-64-5, tanh) is trained with the reference's OpenAI-ES settings (pop 8, sigma 0.02, Adam "
            "0.01, weight decay 0.005)."
        ),
    )


def claim_asymptotic(ctx: ClaimContext) -> Claim:
    """Asymptotic reward comparable to MLPs needs long RL training: not run here."""
    del ctx
    return Claim(
        "Asymptotic reward comparable to MLPs",
        paper="PPO/DDPG/D4PG training curves over 1e5-1e6 environment steps (figures)",
        measured={},
        missing=(
            "compute beyond a laptop run: PPO/DDPG training of 1e5-1e6 environment steps per run and seed, for "
            "NCAP and MLP actors (hours on 2 cores); `ncap fit --algo ppo --steps 1000000` runs one"
        ),
    )


def claim_sign_constraints(ctx: ClaimContext) -> Claim:
    """Sign (E/I) constraints matter for learning: success rate with vs without them, paired by seed."""
    s = _settings(ctx)
    criterion = Criterion("signed success", ">", baseline="unsigned success", seeds=10, spread="mean-2se")
    seeds = ctx.seeds(s.sign_seeds)
    held = ctx.seeds(s.heldout_episodes, offset=HELDOUT_OFFSET)
    result: dict[str, list[float]] = {"signed": [], "unsigned": []}
    for signed in (True, False):
        key = "signed" if signed else "unsigned"
        for k in ctx.track(seeds, desc=f"{key} seeds"):
            run = cma_es(
                SwimmerNCAP(init="uniform", sign_constraints=signed, seed=k),
                gens=s.sign_gens,
                popsize=8,
                sigma0=0.3,
                seed=k,
                workers=s.workers,
                eval_seeds=held,
            )
            assert run.heldout_return is not None
            result[key].append(run.heldout_return)
    return Claim(
        "Sign (E/I) constraints are crucial for learning",
        paper="ablation (cite); prototype: 3/3 signed vs 2/3 unsigned succeed within 15 generations",
        measured={
            "signed success": [float(x > 0.7 * MAX_RETURN) for x in result["signed"]],
            "unsigned success": [float(x > 0.7 * MAX_RETURN) for x in result["unsigned"]],
            "signed held-out return / max": _frac(result["signed"]),
            "unsigned held-out return / max": _frac(result["unsigned"]),
            "generations": s.sign_gens,
        },
        criteria=criterion,
        notes=(
            "Success: held-out return > 0.7 of the maximum after the generations shown (CMA-ES, pop 8, sigma0 "
            "0.3, uniform init; unsigned init U[-1, 1]). The spec asks for at least 10 seeds before a verdict: "
            "with fewer the kit reports inconclusive."
        ),
    )


def claim_transfer(ctx: ClaimContext) -> Claim:
    """The same 4 parameters drive bodies with other numbers of links."""
    s = _settings(ctx)
    n = len(s.transfer_joints)
    criteria = [
        Criterion("return / max", ">", 0.25, seeds=n),
        Criterion("return / max", ">", baseline="random torques, return / max", seeds=n),
    ]
    (seed,) = ctx.seeds(1)
    ncap = [episode_returns(SwimmerNCAP(n_joints=j), [seed])[0] for j in s.transfer_joints]
    rand = [episode_returns(RandomPolicy(n_joints=j, seed=seed), [seed])[0] for j in s.transfer_joints]
    fig = plot_sweep(
        s.transfer_joints, {"NCAP, same 4 weights": ncap, "random torques": rand}, "joints N", "other bodies"
    )
    return Claim(
        "Transfers to bodies with other numbers of links",
        paper="supplementary videos, N = 3...13",
        measured={
            "joints": list(s.transfer_joints),
            "return / max": _frac(ncap),
            "random torques, return / max": _frac(rand),
        },
        criteria=criteria,
        figures=[ctx.figure(fig, "transfer.png")],
        notes=(
            "The 0.25 threshold is this package's, fixed before the first run (random torques reach about 0.1); "
            "the paper shows videos, not a number. One episode (seed 0) per body."
        ),
    )


CLAIMS = [
    claim_initial_performance,
    claim_architecture,
    claim_constant_init,
    claim_period,
    claim_learning,
    claim_data_efficiency,
    claim_asymptotic,
    claim_sign_constraints,
    claim_transfer,
]


def reproduce(
    out_dir: str | os.PathLike[str],
    quick: bool = True,
    *,
    seed: int = 0,
    progress: bool = False,
    threads: int | None = None,
) -> Report:
    """Measure every claim of the spec on the swim task; write ``report.json``, ``report.md`` and figures.

    Parameters
    ----------
    out_dir : str or path-like
        The report folder.
    quick : bool
        Quick mode (about 800 swim episodes, a few minutes on 2 cores) or the spec's full seeds and budgets
        (about 4,000 episodes).
    seed : int
        Base seed: episode, CMA-ES and MLP seeds are ``seed, seed + 1, ...``; held-out episodes
        ``seed + 1000, ...``. All are recorded in the report.
    progress : bool
        Show progress bars.
    threads : int, optional
        Processes evaluating episodes in parallel (default 2; each episode runs on one core).

    Returns
    -------
    neurotypes.Report
    """
    quick = check_bool("quick", quick)
    seed = check_int("seed", seed, minimum=0)
    if threads is not None:
        threads = check_int("threads", threads, minimum=1)
    settings = Settings(
        **{**(Settings.quick() if quick else Settings.full()).__dict__, "workers": threads or 2}
    )
    from ncap import __version__

    try:
        return run_claims(
            PACKAGE,
            __version__,
            out_dir,
            CLAIMS,
            quick=quick,
            seed=seed,
            progress=progress,
            threads=threads,
            params={**settings.__dict__},
            libraries=("mujoco", "dm_control", "cma"),
        )
    finally:
        _CACHE.clear()
