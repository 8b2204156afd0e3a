"""Measure the paper's claims on sklearn digits: one ``claim_<name>(ctx)`` function per claim of the spec.

Criteria are pre-registered here, before any measurement, and test what the paper states: the homeostatic
learner (LRH) against *both* baselines it implies (constant eta, LRC; random regulation, LRR), paired seed by seed,
with a margin that must clear two standard errors over seeds (else the kit says ``inconclusive``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from neurotypes import Claim, Criterion, Report, package_version
from neurotypes.reproduction import ClaimContext, run_claims

from .shift import seasonal_rates
from .train import run

__all__ = [
    "CLAIMS",
    "claim_second_order_shift",
    "claim_shift_adaptation",
    "reproduce",
]

log = logging.getLogger(__name__)

PAPER = "Man, Damasio & Neven (2022), Need is All You Need, arXiv:2205.08645"
MODES = ("lrc", "lrr", "lrh")
EPOCHS = 30
TAIL = 10
ETAS = (0.01, 0.05)
QUICK_RATES = (0, 2, 10, 40)
FULL_RATES = (0, 1, 2, 5, 10, 20, 40)
QUICK_SEEDS = 3
FULL_SEEDS = 8
S_ETA = 10  # the shifted world of the eta claim (spec: S = 0 vs S = 10 at eta0 = 0.01)
ETA_CLAIM_ETA0 = 0.01


def _n_seeds(ctx: ClaimContext) -> int:
    return QUICK_SEEDS if ctx.quick else FULL_SEEDS


def _rates(ctx: ClaimContext) -> tuple[int, ...]:
    return QUICK_RATES if ctx.quick else FULL_RATES


def _summary(out: dict[str, Any]) -> dict[str, float]:
    return {
        "acc": float(np.mean(out["online_acc"][-TAIL:])),
        "val": float(out["val_acc"][-1]),
        "eta": float(out["eta_epoch_mean"][-1]),
    }


def _sweep(
    ctx: ClaimContext, seeds: Sequence[int]
) -> tuple[dict[tuple[str, float, int], list[dict[str, float]]], dict[str, dict[str, Any]]]:
    """Every (mode, eta0, swaps/epoch) for every seed: last-10-epoch online accuracy, last val acc, last eta."""
    jobs = [(m, e, s) for e in ETAS for s in _rates(ctx) for m in MODES]
    res: dict[tuple[str, float, int], list[dict[str, float]]] = {}
    keep: dict[str, dict[str, Any]] = {}
    for mode, eta0, S in ctx.track(jobs, desc="homeonet sweep"):
        runs = []
        for sd in seeds:
            out = run(mode=mode, swaps_per_epoch=S, epochs=EPOCHS, eta0=eta0, seed=sd)
            runs.append(_summary(out))
            if eta0 == ETA_CLAIM_ETA0 and S == S_ETA and sd == seeds[0]:
                keep[mode] = out
        res[(mode, eta0, S)] = runs
    return res, keep


def _values(res: Any, mode: str, eta0: float, S: int, key: str = "acc") -> list[float]:
    return [r[key] for r in res[(mode, eta0, S)]]


def claim_shift_adaptation(ctx: ClaimContext) -> list[Claim]:
    """LRH adapts better to label-swap shift than LRC and LRR, most at the highest swap rates (one claim per
    eta0), and LRH keeps eta low in a stable world and raises it under shift (shares the sweep)."""
    n = _n_seeds(ctx)
    seeds = ctx.seeds(n)
    rates = _rates(ctx)
    shifted = [s for s in rates if s > 0]
    s_max, s_min = max(shifted), min(shifted)
    # pre-registered: every leg paired by seed, mean advantage beyond 2 standard errors
    legs = [
        Criterion(
            "LRH acc, mean over S > 0", ">", baseline="LRC acc, mean over S > 0", seeds=n, spread="mean-2se"
        ),
        Criterion(
            "LRH acc, mean over S > 0", ">", baseline="LRR acc, mean over S > 0", seeds=n, spread="mean-2se"
        ),
        Criterion(
            f"LRH - LRC at S = {s_max}", ">", baseline=f"LRH - LRC at S = {s_min}", seeds=n, spread="mean-2se"
        ),
    ]
    eta_legs = [
        Criterion(f"LRH eta, S = {S_ETA}", ">", baseline="LRH eta, S = 0", seeds=n, spread="mean-2se"),
        Criterion(f"LRH eta ratio S = {S_ETA} / S = 0", ">=", 2.0, seeds=n, spread="mean-2se"),
    ]
    res, traces = _sweep(ctx, seeds)
    claims = []
    figs = {}
    acc_fig = {e: {m: {s: _values(res, m, e, s) for s in rates} for m in MODES} for e in ETAS}
    figs["sweep"] = ctx.figure(_plots().accuracy_vs_shift(acc_fig), "sweep_accuracy.png")
    if traces:
        fig = _plots().learning_curves(
            traces, f"digits, eta0 = {ETA_CLAIM_ETA0}, {S_ETA} swaps/epoch, seed {seeds[0]}"
        )
        figs["traces"] = ctx.figure(fig, "traces_shift.png")
    for eta0 in ETAS:
        mean_over = {
            m: [float(np.mean([res[(m, eta0, s)][i]["acc"] for s in shifted])) for i in range(n)]
            for m in MODES
        }
        gap = {
            s: [
                a - c for a, c in zip(_values(res, "lrh", eta0, s), _values(res, "lrc", eta0, s), strict=True)
            ]
            for s in shifted
        }
        measured: dict[str, Any] = {
            "LRH acc, mean over S > 0": mean_over["lrh"],
            "LRC acc, mean over S > 0": mean_over["lrc"],
            "LRR acc, mean over S > 0": mean_over["lrr"],
            f"LRH - LRC at S = {s_max}": gap[s_max],
            f"LRH - LRC at S = {s_min}": gap[s_min],
            "online acc (mean over seeds) by mode and S": {
                m: {str(s): round(float(np.mean(_values(res, m, eta0, s))), 4) for s in rates} for m in MODES
            },
            "validation acc (mean over seeds) by mode and S": {
                m: {str(s): round(float(np.mean(_values(res, m, eta0, s, "val"))), 4) for s in rates}
                for m in MODES
            },
            "last-epoch eta (mean over seeds) by mode and S": {
                m: {str(s): round(float(np.mean(_values(res, m, eta0, s, "eta"))), 5) for s in rates}
                for m in MODES
            },
        }
        claims.append(
            Claim(
                f"homeostasis beats constant and random eta under shift (eta0 = {eta0})",
                paper="homeostatic learners adapt better to concept shift than constant and randomly regulated "
                "learning rates, with the largest advantage at the highest shift rates (abstract)",
                measured=measured,
                criteria=legs,
                figures=(figs["sweep"],),
                notes=(
                    f"sklearn digits, 64-80-60-10, {EPOCHS} epochs, metric: prequential online accuracy over the "
                    f"last {TAIL} epochs, seeds {seeds}, swap rates {list(rates)}. LRR's eta is an unbounded "
                    "random walk clipped at 1e-8 that drifts upward (see its last-epoch eta), so it is a 'larger "
                    "learning rate' baseline as much as a random one; results depend strongly on eta0."
                ),
            )
        )
    e0 = _values(res, "lrh", ETA_CLAIM_ETA0, 0, "eta")
    e1 = _values(res, "lrh", ETA_CLAIM_ETA0, S_ETA, "eta")
    claims.append(
        Claim(
            "the homeostatic learner keeps eta low in a stable world and raises it under shift",
            paper="eta traces: low without shift, higher under shift (paper's figures); the spec's prototype "
            "measured 0.0048 (S = 0) vs 0.0130 (S = 10) at eta0 = 0.01",
            measured={
                "LRH eta, S = 0": e0,
                f"LRH eta, S = {S_ETA}": e1,
                f"LRH eta ratio S = {S_ETA} / S = 0": [b / a for a, b in zip(e0, e1, strict=True)],
                "eta0": ETA_CLAIM_ETA0,
            },
            criteria=eta_legs,
            figures=tuple(f for k, f in figs.items() if k == "traces"),
            notes="Mean eta over the last epoch, per seed.",
        )
    )
    return claims


def claim_second_order_shift(ctx: ClaimContext) -> Claim:
    """LRH's advantage also under second-order shift (a swap rate that itself changes; reconstructed schedule)."""
    n = _n_seeds(ctx)
    seeds = ctx.seeds(n)
    legs = [
        Criterion("LRH acc", ">", baseline="LRC acc", seeds=n, spread="mean-2se"),
        Criterion("LRH acc", ">", baseline="LRR acc", seeds=n, spread="mean-2se"),
    ]
    sched = seasonal_rates(EPOCHS, low=0, high=S_ETA, period=10)
    acc: dict[str, list[float]] = {m: [] for m in MODES}
    first: dict[str, Any] = {}
    for m in ctx.track(MODES, desc="second-order shift"):
        for sd in seeds:
            out = run(mode=m, schedule=sched, epochs=EPOCHS, eta0=ETA_CLAIM_ETA0, seed=sd)
            acc[m].append(float(np.mean(out["online_acc"][-TAIL:])))
            first.setdefault(m, out)
    fig = _plots().learning_curves(
        first,
        f"second-order shift (square wave 0 / {S_ETA} swaps/epoch, period 10), eta0 = {ETA_CLAIM_ETA0}",
        rates=sched.tolist(),
    )
    name = ctx.figure(fig, "traces_second_order.png")
    return Claim(
        "advantage also under second-order (changing-rate) shift",
        paper="homeostatic learners also adapt to second-order shift, a changing rate of shift (abstract)",
        measured={
            "LRH acc": acc["lrh"],
            "LRC acc": acc["lrc"],
            "LRR acc": acc["lrr"],
            "eta0": ETA_CLAIM_ETA0,
        },
        criteria=legs,
        figures=(name,),
        notes=(
            "Reconstruction: the paper's seasonal schedule is not in the released code; here the swap rate "
            f"alternates between 0 and {S_ETA} per epoch every 5 epochs. Metric: online accuracy over the last "
            f"{TAIL} epochs, seeds {seeds}."
        ),
    )


def _plots() -> Any:
    from . import plots

    return plots


CLAIMS = (claim_shift_adaptation, claim_second_order_shift)


def reproduce(
    out_dir: str | os.PathLike[str],
    quick: bool = True,
    *,
    seed: int = 0,
    progress: bool = False,
    threads: int | None = None,
) -> Report:
    """Measure every claim of the spec on sklearn digits; write ``report.json``, ``report.md`` and figures.

    Parameters
    ----------
    out_dir : path-like
        Report folder (created).
    quick : bool
        Quick mode: 3 seeds, swap rates {0, 2, 10, 40} (a few minutes on 2 cores). Full: 8 seeds, swap rates
        {0, 1, 2, 5, 10, 20, 40}. Both: eta0 in {0.01, 0.05}, 30 epochs.
    seed : int
        Base seed; run ``i`` of a claim uses ``seed + i``.
    progress : bool
        Show progress bars.
    threads : int, optional
        Recorded in the report (the training loop runs its tiny matrices single-threaded anyway).

    Returns
    -------
    neurotypes.Report

    Raises
    ------
    ValueError, TypeError
        On a negative seed or a bad ``threads``.
    """
    return run_claims(
        "homeonet",
        package_version("homeonet"),
        out_dir,
        CLAIMS,
        quick=quick,
        seed=seed,
        progress=progress,
        threads=threads,
        params={
            "dataset": "sklearn digits (1437 train / 360 val)",
            "network": "64-80-60-10 ELU, minibatch 10",
            "epochs": EPOCHS,
            "eta0": list(ETAS),
            "swaps_per_epoch": list(QUICK_RATES if quick else FULL_RATES),
            "seeds per cell": QUICK_SEEDS if quick else FULL_SEEDS,
            "metric": f"prequential online training accuracy, mean of the last {TAIL} epochs",
            "paper": PAPER,
        },
        libraries=("numpy", "scikit-learn"),
    )
