"""Reproduce the claims of Ahmad & Hawkins (2016) and write a report with figures.

``reproduce(out_dir, quick=True)`` measures every claim of the package spec,
writes PNG figures, ``report.json`` and ``report.md`` into ``out_dir`` and
returns the ``neurotypes.Report``. Criteria and seeds are fixed in this file
before any measurement; a claim that does not hold is reported as such.

Published numbers used as the paper's side come from the paper's tables and
from the numbers printed by the authors' notebook for the paper's figures
(``numenta/htmresearch``, ``projects/sdr_paper``; numbers only, no code).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from neurotypes import Claim, Report

from .dendrites import simulate
from .design import optimal_theta_curve
from .probability import false_match_probability, false_negative_probability
from .union import set_false_match_probability, union_false_match_probability

__all__ = ["PAPER_TABLE_1", "reproduce"]

log = logging.getLogger(__name__)

PACKAGE = "sdr-dendrites"

#: Table 1 of the paper, n = 100000, a = 2000: (label, s, theta, printed value).
PAPER_TABLE_1: tuple[tuple[str, int, int, float], ...] = (
    ("1B s=theta=6", 6, 6, 6.35308872941916e-11),
    ("1B s=theta=8", 8, 8, 2.52507239284961e-14),
    ("1B s=theta=10", 10, 10, 1.00163216178113e-17),
    ("1C theta=6 s=12", 12, 6, 5.29386836275369e-8),
    ("1C theta=8 s=16", 16, 8, 2.81724528327272e-10),
    ("1C theta=10 s=20", 20, 10, 1.54192767258720e-12),
    ("1C theta=12 s=24", 24, 12, 8.58694100276592e-15),
    ("1D theta=10 m=2 s=40", 40, 10, 4.91541864813209e-9),
    ("1D theta=10 m=4 s=80", 80, 10, 4.62568448037595e-6),
    ("1D theta=10 m=6 s=120", 120, 10, 0.000158799793094937),
    ("1D theta=20 m=6 s=240", 240, 20, 1.07990763941591e-7),
)

# Published values of the effect-of-s curve (n = 10000, a = 300, theta = floor(s/2)).
_EFFECT_OF_S_PAPER = {16: 6.24488987535941e-9, 24: 8.37584522709849e-13, 30: 1.04919182521237e-15}
# Published false negatives at 50 % noise (a = 128, s = 30, v = 64).
_NOISE_PAPER = {8: 0.000735429456875121, 12: 0.0716985160403564, 16: 0.582501773030327}
# Published union plug-in values (a = 200, s = 25, theta = 15) for M = 1, 2 (exact sums in the source).
_UNION_PAPER = {
    (1000, 1): 1.00140315240769e-5,
    (1000, 2): 0.0473894530292855,
    (10000, 1): 5.30352419025194e-20,
    (10000, 2): 2.35602184920806e-14,
    (20000, 1): 1.75826328738259e-24,
    (20000, 2): 9.73603540551588e-19,
}

_REL_TOL = 1e-9


def _rel_err(measured: float, paper: float) -> float:
    return abs(measured - paper) / abs(paper)


def _save(fig: Figure, out: Path, name: str) -> str:
    path = out / name
    tmp = out / f".{name}.tmp.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    os.replace(tmp, path)
    return name


def _claim_tables() -> Claim:
    errors = {}
    for label, s, theta, paper in PAPER_TABLE_1:
        errors[label] = _rel_err(float(false_match_probability(100_000, 2000, s, theta)), paper)
    worst = max(errors.values())
    return Claim(
        "Table 1B/1C/1D false-match probabilities (n=100000, a=2000)",
        paper="11 printed cells, e.g. 1B s=theta=6: 6.35308872941916e-11",
        measured={"max relative error": worst, "per cell": errors},
        criterion=f"every cell of the exact P_fm within relative {_REL_TOL:g} of the printed value",
        passed=worst <= _REL_TOL,
        notes="Exact integer arithmetic; printed values have 15 significant digits.",
    )


def _claim_worked_example() -> Claim:
    value = float(false_match_probability(1024, 8, 4, 2))
    paper = 3.18241665415146e-4
    return Claim(
        "Worked example n=1024, a=8, s=4, theta=2",
        paper=paper,
        measured=value,
        criterion=f"relative error <= {_REL_TOL:g}",
        passed=_rel_err(value, paper) <= _REL_TOL,
    )


def _claim_effect_of_n(out: Path) -> Claim:
    ns = np.arange(300, 20_001, 200)
    curves: dict[str, list[float]] = {}
    for label, a_of_n in (
        ("a=64", lambda n: 64),
        ("a=128", lambda n: 128),
        ("a=256", lambda n: 256),
        ("a=n/4", lambda n: n // 4),
    ):
        curves[label] = [float(false_match_probability(int(n), a_of_n(int(n)), 24, 12)) for n in ns]
    fixed = ("a=64", "a=128", "a=256")
    monotone = all(bool(np.all(np.diff(curves[k]) <= 0)) for k in fixed)
    at_end = {k: curves[k][-1] for k in curves}
    passed = monotone and all(at_end[k] < 1e-12 for k in fixed) and at_end["a=n/4"] > 1e-3
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for k, ys in curves.items():
        ax.semilogy(ns, np.maximum(ys, 1e-300), label=k, ls="--" if k == "a=n/4" else "-")
    ax.set(xlabel="population size n", ylabel="P(false match)", title="Effect of n (s=24, theta=12)")
    ax.set_ylim(1e-28, 2)
    ax.legend()
    fig_name = _save(fig, out, "effect_of_n.png")
    return Claim(
        "Error falls rapidly with n for fixed a (s=24, theta=12)",
        paper="effect-of-n figure: error drops by orders of magnitude as n grows; a=n/4 stays high",
        measured={"P_fm at n=19900": at_end, "monotone for fixed a": monotone},
        criterion="non-increasing in n for a in {64,128,256}, below 1e-12 at n=19900; a=n/4 stays above 1e-3",
        passed=passed,
        figures=(fig_name,),
        notes="Exact values. The authors' plot shifts three curves by one x-point and labels a=n/4 as n/2;"
        " those are plotting artefacts, not disagreements.",
    )


def _claim_effect_of_s(out: Path) -> tuple[Claim, Claim]:
    ss = np.arange(2, 31)
    sparse = [float(false_match_probability(10_000, 300, int(s), int(s) // 2)) for s in ss]
    dense = [float(false_match_probability(16_000, 4000, int(s), int(s) // 2)) for s in ss]
    errs = {f"s={s}": _rel_err(sparse[s - 2], p) for s, p in _EFFECT_OF_S_PAPER.items()}
    even = np.array(sparse)[ss % 2 == 0]
    falls = bool(np.all(np.diff(even) < 0))
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.semilogy(ss, sparse, "o-", label="n=10000, a=300 (sparse)")
    ax.semilogy(ss, dense, "s--", label="n=16000, a=4000 (dense)")
    ax.set(xlabel="synapses s (theta = s/2)", ylabel="P(false match)", title="Effect of s")
    ax.legend()
    fig_name = _save(fig, out, "effect_of_s.png")
    c1 = Claim(
        "Error falls rapidly with s at theta=s/2 (n=10000, a=300)",
        paper={f"s={s}": p for s, p in _EFFECT_OF_S_PAPER.items()},
        measured={"P_fm at s=30": sparse[-1], "relative error vs printed": errs, "falls over even s": falls},
        criterion=f"strictly decreasing over even s; printed points within relative {_REL_TOL:g}",
        passed=falls and max(errs.values()) <= _REL_TOL,
        figures=(fig_name,),
    )
    c2 = Claim(
        "Sparsity is required: a dense code (n=16000, a=4000) does not fall off",
        paper="dense control curve stays high while sparse curves fall",
        measured={"dense min over s": min(dense), "sparse at s=30": sparse[-1]},
        criterion="dense curve >= 1e-4 for every s in 2..30 while the sparse one reaches <= 1e-12 at s=30",
        passed=min(dense) >= 1e-4 and sparse[-1] <= 1e-12,
        figures=(fig_name,),
    )
    return c1, c2


def _claim_noise(out: Path) -> Claim:
    a, s = 128, 30
    vs = np.arange(0, 109)
    thetas = (8, 12, 16)
    table = {t: [float(false_negative_probability(a, s, t, int(v))) for v in vs] for t in thetas}
    at_half = {t: table[t][64] for t in thetas}
    at_quarter = {t: table[t][32] for t in thetas}
    mono_theta = (
        at_half[8] <= at_half[12] <= at_half[16] and at_quarter[8] <= at_quarter[12] <= at_quarter[16]
    )
    mono_v = all(bool(np.all(np.diff(table[t]) >= 0)) for t in thetas)
    errs = {f"theta={t}": _rel_err(at_half[t], p) for t, p in _NOISE_PAPER.items()}
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for t in thetas:
        ax.semilogy(vs / a, np.maximum(table[t], 1e-30), label=f"theta={t}")
    ax.axvline(0.5, color="grey", lw=0.5)
    ax.set(xlabel="noise (fraction of active cells replaced)", ylabel="P(false negative)")
    ax.set(title="Effect of noise (a=128, s=30)", ylim=(1e-20, 2))
    ax.legend()
    fig_name = _save(fig, out, "effect_of_noise.png")
    return Claim(
        "Robust to noise: low false negatives at 50% noise for low theta; trade-off with theta",
        paper={f"theta={t}, v=64": p for t, p in _NOISE_PAPER.items()},
        measured={
            "v=64": {f"theta={t}": p for t, p in at_half.items()},
            "v=32": {f"theta={t}": p for t, p in at_quarter.items()},
            "relative error vs printed": errs,
        },
        criterion="P_fn(theta=8, v=64) < 1e-3; non-decreasing in theta and in v; printed values within relative"
        f" {_REL_TOL:g}",
        passed=at_half[8] < 1e-3 and mono_theta and mono_v and max(errs.values()) <= _REL_TOL,
        figures=(fig_name,),
    )


def _claim_union(out: Path, n_trials: int) -> tuple[Claim, Claim]:
    a, s, theta = 200, 25, 15
    ms = np.arange(1, 20)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    plug: dict[int, list[float]] = {}
    mix: dict[int, list[float]] = {}
    for n in (1000, 10_000, 20_000):
        plug[n] = [float(union_false_match_probability(n, a, s, theta, int(m), "expected")) for m in ms]
        # Float path of the exact mixture (tested against the Fraction path to 1e-9); Fractions here cost ~10 s.
        mix[n] = [
            float(union_false_match_probability(n, a, s, theta, int(m), "exact_mixture", exact=False))
            for m in ms
        ]
        (line,) = ax.semilogy(ms, plug[n], "--", label=f"n={n} expected-size plug-in")
        ax.semilogy(ms, mix[n], "-", color=line.get_color(), label=f"n={n} exact mixture")
    sims = {}
    for m in (2, 3):
        r = simulate("union", n=1000, a=a, s=s, theta=theta, m=m, n_trials=n_trials, seed=100 + m)
        sims[f"M={m}"] = {"mc": r.estimate, "stderr": r.stderr, "z vs mixture": r.zscore(mix[1000][m - 1])}
        ax.errorbar([m], [r.estimate], yerr=[4 * r.stderr], fmt="k.", capsize=3)
    ax.set(xlabel="patterns stored on the segment M", ylabel="P(false match)")
    ax.set(title="Union property (a=200, s=25, theta=15); dots: Monte-Carlo, n=1000")
    ax.legend(fontsize=6)
    fig_name = _save(fig, out, "union.png")
    errs = {f"n={n}, M={m}": _rel_err(plug[n][m - 1], p) for (n, m), p in _UNION_PAPER.items()}
    within = all(abs(v["z vs mixture"]) <= 4 for v in sims.values())
    below = plug[1000][1] < mix[1000][1]
    capacity = int(np.sum(np.array(mix[20_000]) < 1e-9))
    union_claim = Claim(
        "Union property: many patterns on one segment stay recognisable (n large)",
        paper={"plug-in, printed (M<=2)": {f"n={n}, M={m}": p for (n, m), p in _UNION_PAPER.items()}},
        measured={
            "plug-in relative error vs printed": errs,
            "M=2, n=1000: plug-in vs exact mixture": [plug[1000][1], mix[1000][1]],
            "Monte-Carlo, n=1000": sims,
        },
        criterion="plug-in matches printed values (M<=2) within relative 1e-9; MC within 4 SE of the exact"
        " mixture (M=2,3); plug-in < mixture at M=2, n=1000",
        passed=max(errs.values()) <= _REL_TOL and within and below,
        figures=(fig_name,),
        notes="For M>=3 the authors' printed values were evaluated in floating point and differ from the exact"
        " plug-in (e.g. n=20000, M=3 by 1e-3 relative); they are not used as references.",
    )
    capacity_claim = Claim(
        "Union capacity at n=20000 (a=200, s=25, theta=15), exact mixture",
        paper="figure: at n=20000 the error stays tiny for several stored patterns (no number stated)",
        measured={"largest M with error < 1e-9": capacity, "exact mixture M=1..19": mix[20_000]},
        criterion="at least 8 patterns keep the exact-mixture error below 1e-9",
        passed=capacity >= 8,
        figures=(fig_name,),
        notes="The threshold of 8 patterns was set by this package before measuring, not taken from the paper;"
        " the authors' own plug-in values cross 1e-9 between M=7 and M=8 as well.",
    )
    return union_claim, capacity_claim


def _claim_set(out: Path, n_trials: int) -> Claim:
    n, w, m = 100, 7, 500
    thetas = (4, 5, 6, 7)
    union_b = {t: float(set_false_match_probability(n, w, t, m, "union")) for t in thetas}
    indep = {t: float(set_false_match_probability(n, w, t, m, "independent")) for t in thetas}
    r = simulate("set", n=n, a=w, theta=4, m=m, n_trials=n_trials, seed=7)
    d_union = abs(union_b[4] - r.estimate) / r.stderr
    d_indep = abs(indep[4] - r.estimate) / r.stderr
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    ax.semilogy(thetas, list(union_b.values()), "o--", label="union bound M*P_fm")
    ax.semilogy(thetas, list(indep.values()), "s-", label="independence 1-(1-P_fm)^M")
    ax.errorbar([4], [r.estimate], yerr=[4 * r.stderr], fmt="k.", capsize=3, label="Monte-Carlo")
    ax.set(xlabel="theta", ylabel="P(false match with any)", title="Set of M=500 vectors, n=100, w=7")
    ax.legend(fontsize=7)
    fig_name = _save(fig, out, "set_classification.png")
    return Claim(
        "Set classification (n=100, w=s=7, M=500): union bound vs independence form",
        paper="union bound M*P_fm; Numenta's C++ simulation lies closer to the independence form at theta=4",
        measured={
            "union bound": {f"theta={t}": v for t, v in union_b.items()},
            "independence": {f"theta={t}": v for t, v in indep.items()},
            "Monte-Carlo theta=4": r.estimate,
            "stderr": r.stderr,
            "distance in SE (union, independence)": [d_union, d_indep],
        },
        criterion="at theta=4 the independence form lies within 4 SE of the Monte-Carlo and closer than the union"
        " bound",
        passed=d_indep <= 4 and d_indep < d_union,
        figures=(fig_name,),
        notes="For independently drawn stored vectors the independence form is exact (given the test vector the"
        " stored vectors match independently with equal probability).",
    )


def _claim_optimal_theta(out: Path) -> Claim:
    curve = optimal_theta_curve()
    below = [int(t) for t, v in zip(curve.thetas, curve.median, strict=True) if v < 1e-9]
    crossing = below[0] if below else None
    decreasing = bool(np.all(np.diff(curve.median) < 0))
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.semilogy(curve.thetas, curve.median, "k-", label="median over 210 grid points")
    for lvl, q in zip(curve.quantile_levels, curve.quantiles, strict=True):
        ax.semilogy(curve.thetas, np.maximum(q, 1e-300), ":", label=f"quantile {lvl:g}")
    ax.axhline(1e-9, color="grey", lw=0.5)
    ax.axvspan(8, 20, color="orange", alpha=0.15, label="measured NMDA thresholds (8-20)")
    ax.set(
        xlabel="NMDA threshold theta",
        ylabel="P(false match)",
        title="Optimal NMDA threshold",
        ylim=(1e-70, 2),
    )
    ax.legend(fontsize=7)
    fig_name = _save(fig, out, "optimal_threshold.png")
    return Claim(
        "Optimal NMDA threshold lies in the experimentally observed range (8-20 synapses)",
        paper="median error over the grid falls steeply with theta; good error rates from theta of about 8-20",
        measured={
            "first theta with median < 1e-9": crossing,
            "median": {f"theta={t}": float(v) for t, v in zip(curve.thetas, curve.median, strict=True)},
        },
        criterion="median strictly decreasing in theta and first below 1e-9 at some theta in 8..20",
        passed=decreasing and crossing is not None and 8 <= crossing <= 20,
        figures=(fig_name,),
        notes="Qualitative: the authors' printed medians are not reproduced exactly on the stated grid (they"
        " evidently used a slightly different grid); the grid was not tuned.",
    )


def _claim_monte_carlo(out: Path, n_trials: int) -> Claim:
    cases: list[tuple[str, dict[str, int]]] = [
        ("FM n=300 a=64 s=24 theta=12", {"n": 300, "a": 64, "s": 24, "theta": 12}),
        ("FM n=1000 a=64 s=24 theta=6", {"n": 1000, "a": 64, "s": 24, "theta": 6}),
        ("FN a=128 s=30 theta=12 v=64", {"n": 1000, "a": 128, "s": 30, "theta": 12, "v": 64}),
        ("union M=2 n=1000 a=200 s=25 theta=15", {"n": 1000, "a": 200, "s": 25, "theta": 15, "m": 2}),
        ("union M=3 n=1000 a=200 s=25 theta=15", {"n": 1000, "a": 200, "s": 25, "theta": 15, "m": 3}),
    ]
    results = {}
    for seed, (label, kw) in enumerate(cases, start=1):
        n, a, s, theta = kw["n"], kw["a"], kw["s"], kw["theta"]
        if label.startswith("FM"):
            p = float(false_match_probability(n, a, s, theta))
            r = simulate("false_match", n=n, a=a, s=s, theta=theta, n_trials=n_trials, seed=seed)
        elif label.startswith("FN"):
            p = float(false_negative_probability(a, s, theta, kw["v"]))
            r = simulate(
                "false_negative", n=n, a=a, s=s, theta=theta, v=kw["v"], n_trials=n_trials, seed=seed
            )
        else:
            p = float(
                union_false_match_probability(
                    kw["n"], kw["a"], kw["s"], kw["theta"], kw["m"], "exact_mixture"
                )
            )
            r = simulate("union", n=n, a=a, s=s, theta=theta, m=kw["m"], n_trials=n_trials, seed=seed)
        results[label] = {"formula": p, "mc": r.estimate, "n_trials": r.n_trials, "z": r.zscore(p)}
    zs = [v["z"] for v in results.values()]
    fig = Figure(figsize=(6, 3))
    ax = fig.subplots()
    ax.barh(list(results), zs)
    ax.axvline(-4, color="r", lw=0.8)
    ax.axvline(4, color="r", lw=0.8)
    ax.set(xlabel="(MC - formula) / SE", title="Monte-Carlo vs formulas")
    fig_name = _save(fig, out, "monte_carlo.png")
    return Claim(
        "Monte-Carlo agrees with the formulas",
        paper="the paper's simulations match its equations",
        measured=results,
        criterion="|MC - p| <= 4 sqrt(p(1-p)/N) for every case (fixed seeds 1..5)",
        passed=all(abs(z) <= 4 for z in zs),
        figures=(fig_name,),
    )


def reproduce(out_dir: str | os.PathLike[str], quick: bool = True, progress: bool = False) -> Report:
    """Measure every claim of the paper, write figures and the report into ``out_dir``.

    Parameters
    ----------
    out_dir : path-like
        Folder for ``report.json``, ``report.md`` and the PNG figures (created if missing).
    quick : bool, default True
        Quick mode (about 10 s of CPU): 200000 Monte-Carlo comparisons per case and 20000
        set trials. ``False``: 1000000 comparisons per case and 200000 set trials (about 15 s).
    progress : bool, default False
        Show a tqdm progress bar over the claims.

    Returns
    -------
    neurotypes.Report
    """
    from . import __version__

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_mc = 200_000 if quick else 1_000_000
    n_set = 20_000 if quick else 200_000
    steps: list[Callable[[], Claim | tuple[Claim, ...]]] = [
        _claim_tables,
        _claim_worked_example,
        lambda: _claim_effect_of_n(out),
        lambda: _claim_effect_of_s(out),
        lambda: _claim_noise(out),
        lambda: _claim_union(out, n_mc),
        lambda: _claim_set(out, n_set),
        lambda: _claim_optimal_theta(out),
        lambda: _claim_monte_carlo(out, n_mc),
    ]
    claims: list[Claim] = []
    for step in tqdm(steps, desc="sdr-dendrites claims", unit="claim", disable=not progress):
        got = step()
        claims.extend(got if isinstance(got, tuple) else (got,))
        log.info("measured %s", claims[-1].name)
    report = Report(
        PACKAGE,
        __version__,
        claims,
        params={
            "quick": quick,
            "monte_carlo_trials": n_mc,
            "set_trials": n_set,
            "seeds": "fixed in reproduce.py",
        },
    )
    report.write(out)
    return report
