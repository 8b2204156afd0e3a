"""Measure the paper's claims on the simulation and write report.json, report.md and figures.

One function per claim; :func:`reproduce` runs them in order. Criteria and seeds are fixed in this file before any
measurement; a claim that does not hold is reported as such.
"""

from __future__ import annotations

import copy
import importlib.util
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from bibcluster import __version__
from bibcluster.evidence import log_bayes_factor, path_log_prior_marginal
from bibcluster.hmm import StickyHDPHMM
from bibcluster.posterior import Posterior
from bibcluster.refbench import peer_sweep, reference_style_sweep
from bibcluster.sampler import BiClusterSampler, _Config, init_state, sweep
from bibcluster.simulate import SimulationTruth, simulate_biclustered, simulate_structureless
from bibcluster.summaries import best_permutation_accuracy
from neurotypes import Claim, Partition, Report, SpikeCounts

__all__ = ["Settings", "reproduce", "time_per_sweep"]

log = logging.getLogger(__name__)

#: per-sweep time of a reference-style implementation at N = 30, T = 500 on 2 cores (spec: PG 3 ms, naive FFBS
#: 0.47 s, one statsmodels Laplace GLM 13 ms x N x (K+1) label evaluations; about 2 s in all)
REFERENCE_SWEEP_S = 2.0


@dataclass(frozen=True)
class Settings:
    """Run lengths of a reproduction (``evidence_steps = 0``: the Bayes factor is not computed)."""

    T: int
    n_iter: int
    burn_in: int
    chains: int
    null_T: int
    null_iter: int
    null_burn: int
    evidence_steps: int = 0
    evidence_runs: int = 4
    evidence_burn_in: int = 500

    @classmethod
    def quick(cls) -> Settings:
        return cls(T=200, n_iter=600, burn_in=200, chains=2, null_T=200, null_iter=300, null_burn=100)

    @classmethod
    def full(cls) -> Settings:
        return cls(
            T=500,
            n_iter=10000,
            burn_in=2500,
            chains=2,
            null_T=500,
            null_iter=2000,
            null_burn=500,
            evidence_steps=4000,
        )


@dataclass
class _Fits:
    """The simulation and the posteriors that several claims share."""

    Y: SpikeCounts
    truth: SimulationTruth
    post: Posterior
    post_heuristic: Posterior
    fit_seconds: float
    scale: str


def time_per_sweep(
    N: int = 30, T: int = 500, n_sweeps: int = 10, seed: int = 0, threads: int = 1
) -> list[float]:
    """Wall times of ``n_sweeps`` sweeps at K = 3 clusters on the paper's simulation at size (N, T).

    ``threads``: Polya-Gamma threads of the chain (1 or 2; see :class:`BiClusterSampler`).

    The chain is started at the true clusters and latents and run 3 sweeps; every timed sweep then starts from a
    copy of that state, so all of them run with the same number of clusters (the setting of the reference-style
    sweep, which keeps K = 3). The latent dimension, and with it the cost, grows with K.
    """
    Y, truth = simulate_biclustered(n_per_cluster=N // 3, n_clusters=3, T=T, seed=seed)
    cfg: _Config = BiClusterSampler(threads=threads)._config()
    rng = np.random.default_rng(seed)
    y = Y.counts
    vtab = cfg.prior.table(y.shape[0])
    state = init_state(y, cfg, rng)
    state.z = truth.z.astype(np.int64).copy()
    state.lat = np.asarray(truth.latents, dtype=float).copy()
    state.d, state.C = truth.d.astype(float).copy(), truth.C.astype(float).copy()
    for _ in range(3):
        sweep(y, state, cfg, vtab, rng)
    start = copy.deepcopy(state)
    times = []
    with threadpool_limits(limits=1, user_api="blas"):  # as run_chain does
        for _ in range(n_sweeps):
            trial = copy.deepcopy(start)
            t0 = time.perf_counter()
            sweep(y, trial, cfg, vtab, rng)
            times.append(time.perf_counter() - t0)
    return times


def _save(fig: Figure, out: Path, name: str) -> str:
    """Write a figure atomically (a temporary file in the same folder, then a rename)."""
    tmp = out / f".{name}.tmp.png"
    try:
        fig.savefig(tmp, dpi=90)
        os.replace(tmp, out / name)
    finally:
        if tmp.exists():
            tmp.unlink()
    return name


def _fit_simulation(s: Settings, seed: int, n_jobs: int) -> _Fits:
    Y, truth = simulate_biclustered(T=s.T, family="nb", r=10.0, seed=seed)
    t0 = time.perf_counter()
    post = BiClusterSampler(p=2, family="nb", n_jobs=n_jobs).fit(
        Y, n_iter=s.n_iter, burn_in=s.burn_in, chains=s.chains, seed=seed
    )
    fit_s = time.perf_counter() - t0
    log.info("simulation fit: %.1f s", fit_s)
    # the reference's own state step (prior restarts + "keep balanced paths"), same data and settings
    post_h = BiClusterSampler(p=2, family="nb", n_jobs=n_jobs, keep_states_heuristic=True).fit(
        Y, n_iter=s.n_iter, burn_in=s.burn_in, chains=s.chains, seed=seed
    )
    scale = (
        f"N = 30, p = 2, T = {s.T}, NB r = 10, {s.n_iter} sweeps ({s.burn_in} burn-in) x {s.chains} chains, "
        f"seed {seed}"
    )
    return _Fits(Y, truth, post, post_h, fit_s, scale)


def _claim_neuron_clusters(f: _Fits, out: Path) -> Claim:
    ari = f.post.point_estimate().adjusted_rand_index(f.truth.partition)
    k_vals, k_counts = np.unique(f.post.n_clusters_trace, return_counts=True)
    k_mode = int(k_vals[np.argmax(k_counts)])
    diag = f.post.diagnostics()
    fig = Figure(figsize=(9, 3))
    ax = fig.subplots(1, 2)
    ax[0].imshow(f.post.coclustering_neurons(), vmin=0, vmax=1, cmap="viridis")
    ax[0].set_title("neuron co-clustering")
    for c in range(f.post.n_clusters_trace.shape[0]):
        ax[1].plot(f.post.n_clusters_trace[c], lw=0.8)
    ax[1].set_title("number of neuron clusters per kept draw")
    fig.tight_layout()
    figs = (_save(fig, out, "neuron_clusters.png"),)
    return Claim(
        name="Recovers the neuron clusters",
        paper="simulation: co-clustering shows the 3 blocks; posterior number of clusters concentrated at 3",
        measured={
            "maxPEAR ARI": round(ari, 3),
            "posterior mode of K": k_mode,
            "split R-hat of K": diag["n_clusters"]["r_hat"],
            "split R-hat of the log-likelihood": round(diag["log_lik"]["r_hat"], 3),
            "bulk ESS of the log-likelihood": round(diag["log_lik"]["ess_bulk"], 1),
        },
        criterion="maxPEAR neuron ARI >= 0.9 and mode of K == 3 (" + f.scale + ")",
        passed=bool(ari >= 0.9 and k_mode == 3),
        figures=figs,
        notes=(
            "the label step moves one neuron at a time given the clusters' trajectories; the chains' clusters "
            "keep their trajectories' fit to their own members, so a split true cluster or a merged pair rarely "
            "dissolves (split-merge moves in this conditional form exist, label_moves, but are almost never "
            "accepted; see the README)"
        ),
    )


def _claim_state_sequence(f: _Fits, out: Path) -> Claim:
    truth_p = Partition(labels=f.truth.states)
    xi_hat = f.post.state_estimate()
    xi_ref = f.post_heuristic.state_estimate()
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots(3, 1, sharex=True)
    ax[0].plot(f.truth.states, drawstyle="steps-mid")
    ax[0].set_ylabel("true state")
    ax[1].plot(xi_hat, drawstyle="steps-mid", color="C1")
    ax[1].set_ylabel("maxPEAR")
    ax[2].plot(xi_ref, drawstyle="steps-mid", color="C2")
    ax[2].set_ylabel("heuristic")
    ax[2].set_xlabel("time bin")
    fig.tight_layout()
    return Claim(
        name="Recovers the state sequence",
        paper="T = 500, 10k iterations: 94.6% (Poisson) and 95.4% (NB) time points correct under the best permutation",
        measured={
            "state ARI": round(Partition(labels=xi_hat).adjusted_rand_index(truth_p), 3),
            "accuracy (best permutation)": round(best_permutation_accuracy(xi_hat, f.truth.states), 3),
            "states in the maxPEAR path": len(np.unique(xi_hat)),
            "with the reference's heuristic state step: state ARI": round(
                Partition(labels=xi_ref).adjusted_rand_index(truth_p), 3
            ),
            "with the reference's heuristic state step: accuracy": round(
                best_permutation_accuracy(xi_ref, f.truth.states), 3
            ),
        },
        criterion="maxPEAR state ARI >= 0.6 (" + f.scale + ") with the valid sampler (the default)",
        passed=bool(Partition(labels=xi_hat).adjusted_rand_index(truth_p) >= 0.6),
        figures=(_save(fig, out, "states.png"),),
        notes=(
            "the valid sampler keeps the path it starts from (one state); whether its posterior prefers the true "
            "two states is the next claim; the reference's heuristic (keep_states_heuristic=True) is reported "
            "alongside"
        ),
    )


def _claim_state_evidence(f: _Fits, s: Settings, seed: int) -> Claim:
    name = "The posterior prefers the two true states (Bayes factor)"
    paper = "implied by the reported state recovery: the true two-state path carries the posterior's mass"
    criterion = (
        "log posterior odds of the true two-state time partition against one state (bridge AIS, both "
        "directions, neuron clusters fixed at the truth, spec's priors) > 0 at the low bracket; < 0 at the high "
        "bracket means the posterior prefers one state"
    )
    if not s.evidence_steps:
        return Claim(
            name=name,
            paper=paper,
            measured=None,
            criterion=criterion,
            passed=None,
            verdict="measured by reproduce --full and benchmarks/state_evidence.py (AIS takes tens of minutes)",
        )
    y, z = f.Y.counts, f.truth.z.astype(np.int64)
    xi_true = f.truth.states.astype(np.int64)
    xi_true = (xi_true != xi_true[0]).astype(np.int64)  # the first bin's state is 0, as in the one-state path
    one = np.zeros_like(xi_true)
    bf = log_bayes_factor(
        y,
        z,
        one,
        xi_true,
        schedule=s.evidence_steps,
        n_runs=s.evidence_runs,
        burn_in=s.evidence_burn_in,
        seed=seed,
    )
    lp_true, _ = path_log_prior_marginal(xi_true, n_draws=400_000, seed=seed + 1)
    lp_one, _ = path_log_prior_marginal(one, n_draws=400_000, seed=seed + 2)
    # the two-block partition has L (L - 1) labelled paths, the one-block partition L, all equally likely a priori
    prior_odds = lp_true - lp_one + float(np.log(StickyHDPHMM().L - 1))
    low, high = bf.forward + prior_odds, bf.reverse + prior_odds
    return Claim(
        name=name,
        paper=paper,
        measured={
            "log Bayes factor, forward (low)": round(bf.forward, 2),
            "forward MC SE": round(bf.forward_se, 2),
            "log Bayes factor, reverse (high)": round(bf.reverse, 2),
            "reverse MC SE": round(bf.reverse_se, 2),
            "log prior odds of the partitions": round(prior_odds, 2),
            "log posterior odds, low": round(low, 2),
            "log posterior odds, high": round(high, 2),
        },
        criterion=criterion,
        passed=True if low > 0 else (False if high < 0 else None),
        verdict=None if (low > 0 or high < 0) else "inconclusive: the brackets straddle 0",
        notes=f"{bf.n_steps} intermediate distributions, {s.evidence_runs} runs per direction",
    )


def _claim_trajectories(f: _Fits, out: Path) -> Claim:
    bands = f.post.trajectories(0.95)
    eta = f.truth.log_rate
    cover = float(np.mean((eta >= bands["log_rate_lower"]) & (eta <= bands["log_rate_upper"])))
    fig = Figure(figsize=(8, 6))
    axes = fig.subplots(3, 1, sharex=True)
    t = np.arange(eta.shape[1])
    for ax, i in zip(axes, (0, 10, 20), strict=True):
        ax.fill_between(
            t, bands["log_rate_lower"][i], bands["log_rate_upper"][i], alpha=0.3, label="95% band"
        )
        ax.plot(t, bands["log_rate_mean"][i], lw=1, label="posterior mean")
        ax.plot(t, eta[i], "k", lw=0.8, label="truth")
        ax.set_ylabel(f"log rate, neuron {i}")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return Claim(
        name="Recovers latent trajectories within credible bands",
        paper="paper figures: true latent trajectories inside the posterior bands",
        measured={"coverage of the true log rates by 95% bands": round(cover, 3)},
        criterion="coverage >= 0.8 on the identified scale log lambda_it (" + f.scale + ")",
        passed=bool(cover >= 0.8),
        figures=(_save(fig, out, "trajectories.png"),),
        notes="latents are identified only up to an invertible map per cluster; the log rates are identified",
    )


def _claim_no_structure(s: Settings, seed: int, n_jobs: int, out: Path) -> tuple[Claim, dict[str, Any]]:
    Y0 = simulate_structureless(n_neurons=30, T=s.null_T, rate=1.0, seed=seed)
    null = BiClusterSampler(p=2, family="nb", n_jobs=n_jobs).fit(
        Y0, n_iter=s.null_iter, burn_in=s.null_burn, chains=s.chains, seed=seed + 1
    )
    nk, nc = np.unique(null.n_clusters_trace, return_counts=True)
    k_mode = int(nk[np.argmax(nc)])
    one_state = float(np.mean(null.n_states_trace == 1))
    xi = np.concatenate([c.xi for c in null.chains])
    dominant = float(np.mean([np.bincount(x).max() / x.size for x in xi]))
    fig = Figure(figsize=(8, 3))
    ax = fig.subplots(1, 2)
    for c in range(null.n_clusters_trace.shape[0]):
        ax[0].plot(null.n_clusters_trace[c], lw=0.8)
        ax[1].plot(null.n_states_trace[c], lw=0.8)
    ax[0].set_title("clusters per draw (no structure)")
    ax[1].set_title("occupied states per draw (no structure)")
    fig.tight_layout()
    claim = Claim(
        name="No structure: one cluster, one state",
        paper="implied by the nonparametric priors",
        measured={
            "posterior mode of K": k_mode,
            "fraction of draws with one occupied state": round(one_state, 3),
            "mean fraction of bins in the dominant state": round(dominant, 3),
        },
        criterion=(
            f"i.i.d. Poisson(1) neurons, N = 30, T = {s.null_T}, {s.null_iter} sweeps: mode K == 1 and one state "
            "in > 80% of draws"
        ),
        passed=bool(k_mode == 1 and one_state > 0.8),
        figures=(_save(fig, out, "no_structure.png"),),
    )
    return claim, null.diagnostics()


def _claim_real_data() -> Claim:
    return Claim(
        name="Real data: meaningful clusters and states aligned with events",
        paper="Allen Visual Coding Neuropixels session 719161530, 63 units (CA1/LP/VISp): clusters and states (figures)",
        measured=None,
        criterion="not offline: the recording is not shipped and cannot be downloaded at run time",
        passed=None,
    )


def _claim_speed(seed: int, peer_python: str | Path | None) -> tuple[Claim, dict[str, Any] | None]:
    """Back to back on this machine, alternating: the reference's iteration (peer stack or emulation) and ours.
    Each round takes each side's median (the reference's over one full 10-iteration cycle of its auxiliary-trajectory
    schedule); the minimum over 3 rounds is reported (load-robust on a shared machine)."""
    Yb, truth_b = simulate_biclustered(T=500, seed=seed)
    rng_b = np.random.default_rng(seed)
    peer_times: list[float] = []
    emul, listed, ours1, ours2 = [], [], [], []
    peer: dict[str, Any] | None = None
    for _ in range(3):
        if peer_python is not None:
            peer = peer_sweep(Yb.counts, truth_b.z, peer_python)
            peer_times.append(float(peer["median_s"]))
        emul.append(reference_style_sweep(Yb.counts, 3, 2, rng_b))
        listed.append(reference_style_sweep(Yb.counts, 3, 2, rng_b, full=False))
        ours1.append(float(np.median(time_per_sweep(N=30, T=500, n_sweeps=8, seed=seed, threads=1))))
        ours2.append(float(np.median(time_per_sweep(N=30, T=500, n_sweeps=8, seed=seed, threads=2))))
    t1, t2, em, li = min(ours1), min(ours2), min(emul), min(listed)
    measured: dict[str, Any] = {
        "seconds per sweep, 1 PG thread": round(t1, 4),
        "seconds per sweep, 2 PG threads": round(t2, 4),
    }
    if peer is not None:
        pt = min(peer_times)
        measured.update(
            {
                "reference's iteration on its stack (s)": round(pt, 3),
                "speed-up, 2 threads (2 cores)": round(pt / t2, 1),
                "speed-up, 1 thread": round(pt / t1, 1),
            }
        )
    measured.update(
        {
            "emulated reference-style sweep without pyhsmm, a lower bound (s)": round(em, 3),
            "speed-up vs the emulation, 2 threads": round(em / t2, 1),
            "speed-up vs the emulation's listed steps only (PG, naive FFBS, GLM fits), 2 threads": round(
                li / t2, 1
            ),
            "speed-up vs the spec's 2 s, 2 threads": round(REFERENCE_SWEEP_S / t2, 1),
        }
    )
    has_statsmodels = importlib.util.find_spec("statsmodels") is not None
    if peer is not None:
        passed: bool | None = bool(min(peer_times) / t2 >= 20)
        verdict = None
        notes = (
            "the reference's iteration re-implemented step by step on its own libraries (benchmarks/peer_sweep.py: "
            f"pyhsmm {peer['versions'].get('pyhsmm')}, autoregressive {peer['versions'].get('autoregressive')}, "
            f"statsmodels {peer['versions'].get('statsmodels')}), K = 3 in both; bibcluster's sweep from a K = 3 "
            "state; per round the median, minimum of 3 alternating rounds, shared 2-core machine"
        )
    elif has_statsmodels and em / t2 >= 20:
        passed, verdict = True, None
        notes = "against the emulation, which is a lower bound of the reference's cost"
    else:
        passed = None
        verdict = "not testable without the reference's stack (pass peer_python / --peer-python)"
        notes = (
            "the emulation (bibcluster.refbench) leaves out pyhsmm's model construction and the AR-HSMM "
            "trajectory it generates per neuron, so it bounds the reference's cost from below and cannot refute "
            "the claim; benchmarks/setup_peer_env.sh builds the reference's stack for the real comparison"
            + ("" if has_statsmodels else "; statsmodels (extra `bench`) is not installed either")
        )
    claim = Claim(
        name="Speed",
        paper=f"reference-style sweep about {REFERENCE_SWEEP_S} s at N = 30, T = 500 (10k iterations about 5.7 h)",
        measured=measured,
        criterion=(
            "speed-up >= 20x per sweep on 2 cores vs the reference's iteration timed back to back "
            "(N = 30, T = 500, K = 3)"
        ),
        passed=passed,
        verdict=verdict,
        notes=notes,
    )
    return claim, None if peer is None else peer["versions"]


def reproduce(
    out_dir: str | Path,
    quick: bool = True,
    seed: int = 0,
    n_jobs: int = 2,
    peer_python: str | Path | None = None,
) -> Report:
    """Run the simulation study and write the report.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created).
    quick : bool
        ``True``: T = 200, 600 sweeps (200 burn-in), 2 chains (about a minute on 2 cores). ``False``: the paper's
        T = 500 and 10,000 sweeps (2,500 burn-in), the Bayes factor of the true state path by bridge AIS (4,000
        steps, 4 runs each way), which take one to a few hours on 2 cores.
    seed : int
        Seed of the simulation and the chains (fixed before looking at results).
    n_jobs : int
        Parallel chain processes.
    peer_python : str or Path, optional
        Python of an environment with the reference's stack (pyhsmm, autoregressive, statsmodels, polyagamma;
        ``benchmarks/setup_peer_env.sh`` builds one). With it the speed claim is measured against the
        reference's iteration on that stack (``benchmarks/peer_sweep.py`` of the source tree); without it only
        against the emulation in :mod:`bibcluster.refbench`, a lower bound of the reference's cost.
    """
    if peer_python is not None and not Path(peer_python).is_file():
        raise ValueError(f"peer_python must be the path of a Python executable, got {str(peer_python)!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not isinstance(n_jobs, (int, np.integer)) or isinstance(n_jobs, bool) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer, got {n_jobs!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    s = Settings.quick() if quick else Settings.full()
    fits = _fit_simulation(s, seed, n_jobs)
    null_claim, null_diag = _claim_no_structure(s, seed, n_jobs, out)
    speed, peer_versions = _claim_speed(seed, peer_python)
    claims = [
        _claim_neuron_clusters(fits, out),
        _claim_state_sequence(fits, out),
        _claim_state_evidence(fits, s, seed),
        _claim_trajectories(fits, out),
        null_claim,
        _claim_real_data(),
        speed,
    ]
    report = Report(
        "bibcluster",
        __version__,
        claims,
        params={
            "quick": quick,
            "seed": seed,
            "fit_seconds": round(fits.fit_seconds, 1),
            "peer_stack": peer_versions,
            "convergence diagnostics (simulation)": fits.post.diagnostics(),
            "convergence diagnostics (no structure)": null_diag,
            **s.__dict__,
        },
    )
    report.write(out)
    return report
