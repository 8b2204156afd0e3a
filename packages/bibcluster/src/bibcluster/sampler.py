"""The bi-clustering Gibbs sampler (one chain) and its parallel driver.

One sweep (the order of the reference's loop, with the choices the spec left open documented here):

1. *Labels.* Neal's Algorithm 8 (one auxiliary cluster) under the MFM/DP prior, with Laplace marginals
   ``logML_ik`` of each neuron under every cluster's latents (:func:`bibcluster.glm.laplace_log_marginal`). The
   auxiliary trajectory is a Gaussian random walk (``X_0 ~ N(0, I)``, step covariance ``s0_scale I``, the mean of the
   dynamics prior) passed through the same identifiability projection as the clusters. A neuron moving gets the
   Laplace mode of its loadings under its new cluster.
2. *Dynamics.* Conjugate MNIW draws of every state's ``(A, b, Q)`` given the latents and states (the latent
   dimension ``D = K (p+1)`` changes with K, so the dynamics are redrawn before they are used).
3. *Latents.* Polya-Gamma augmentation ``omega ~ PG(y + r, eta - log r)`` and an information-form FFBS draw of the
   stacked latents. Poisson: the draw uses NB(r_fixed) and is accepted with the Poisson/NB likelihood ratio (an
   MH correction that is exact because the augmented NB update is reversible w.r.t. the NB conditional).
4. *States.* ``state_moves`` collapsed split / merge / reallocate moves of the path (dynamics and transitions
   integrated out, :mod:`bibcluster.statemoves`) followed by fresh transition and dynamics draws; then
   forward-backward sampling of ``xi``, the sticky HDP-HMM transition and ``beta`` updates, and the dynamics
   again. ``keep_states_heuristic=True`` replaces this step by the reference's scheme (read from its
   ``run_simulation_*.py``; see :func:`_update_states_reference`): every sweep starts a fresh HMM whose state path is
   drawn from the sticky prior, takes one parameters-then-states Gibbs step from it, and keeps the previous path
   instead once that path is "balanced" (no state above 60% of the bins) until a state exceeds 70%. It is not a
   valid MCMC move (it favours balanced paths) and is off by default.
5. *Loadings.* Fresh PG draws and the conjugate Gaussian update of ``(d_i, c_i)`` (prior ``N(0, I)``); Poisson:
   the same MH correction. NB dispersions (unless ``r_fixed``): random-walk MH on ``log r_i`` with prior
   ``log r_i ~ N(log 10, 1)`` — the reference's update is not recorded; this is our choice.
6. *Projection.* ``constraint="center"`` (default): centre each cluster's ``mu`` and ``x`` over time (the shift
   goes into ``d``), leaving the likelihood unchanged. ``"center_whiten"`` also whitens ``x`` (``x'x / T = I``) with
   the inverse map applied to ``c``; ``None`` skips the step. The reference's exact map is not recorded; in our
   short runs centring alone mixed better than centring + whitening.

Initial values: k-means (``init_clusters`` clusters) on smoothed log rates, per-cluster SVD latents, and a single
state (``init_states=1``); the reference starts from one neuron cluster.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.ndimage import gaussian_filter1d
from scipy.special import gammaln
from threadpoolctl import threadpool_limits

from bibcluster._kernels import nb_loglik_rows
from bibcluster.ffbs import ffbs_by_state
from bibcluster.glm import laplace_log_marginal, loglik_counts
from bibcluster.hmm import StickyHDPHMM, ar_loglik, sample_dynamics, sample_states, sample_transitions
from bibcluster.labelmoves import LabelState, split_merge
from bibcluster.pg import sample_pg
from bibcluster.posterior import ChainSamples, Posterior
from bibcluster.priors import DPPrior, MFMPrior
from bibcluster.statemoves import state_moves
from neurotypes import SpikeCounts

__all__ = ["BiClusterSampler", "ChainSamples", "ChainState", "run_chain", "sweep", "validate_counts"]

log = logging.getLogger(__name__)

_LOGR_PRIOR_MEAN = np.log(10.0)
_LOGR_PRIOR_SD = 1.0


def validate_counts(Y: Any, p: int) -> np.ndarray:
    """Check a :class:`neurotypes.SpikeCounts` (or an integer array ``(N, T)``) for the sampler; return int64 counts."""
    if isinstance(Y, SpikeCounts):
        y = np.asarray(Y.counts)
    elif isinstance(Y, np.ndarray):
        y = Y
    else:
        raise TypeError(
            f"Y must be a neurotypes.SpikeCounts or a 2-D integer numpy array, got {type(Y).__name__}"
        )
    if y.ndim != 2:
        raise ValueError(f"Y must be 2-D (n_neurons, n_bins), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
        raise TypeError(f"Y counts must be numeric, got dtype {y.dtype}")
    if not np.all(np.isfinite(y)):
        raise ValueError("Y counts must be finite")
    if np.any(y < 0):
        raise ValueError("Y counts must be non-negative")
    if np.any(y != np.round(y)):
        raise ValueError("Y counts must be integers (non-integer values found)")
    N, T = y.shape
    if N < 2:
        raise ValueError(f"Y needs at least 2 neurons to cluster, got {N}")
    if max(10, 2 * (p + 1)) > T:
        raise ValueError(
            f"Y has too few time bins: need T >= max(10, 2(p+1)) = {max(10, 2 * (p + 1))}, got {T}"
        )
    silent = np.flatnonzero(y.sum(1) == 0)
    if silent.size:
        raise ValueError(
            f"Y has silent neurons (no spikes in any bin), rows {silent[:10].tolist()}: remove them before fitting"
        )
    return y.astype(np.int64)


@dataclass
class ChainState:
    """Current values of one chain (``lat[k]`` is cluster k's ``(T, p+1)`` trajectory, column 0 = ``mu``)."""

    z: np.ndarray
    lat: np.ndarray
    d: np.ndarray
    C: np.ndarray
    r: np.ndarray
    xi: np.ndarray
    beta: np.ndarray
    trans: np.ndarray
    A: np.ndarray = field(default_factory=lambda: np.empty(0))
    b: np.ndarray = field(default_factory=lambda: np.empty(0))
    Q: np.ndarray = field(default_factory=lambda: np.empty(0))
    keep_states: bool = False  # the reference scheme's "keep the previous path" flag
    move_stats: dict[str, int] = field(default_factory=dict)  # proposed / accepted label split-merge moves

    @property
    def K(self) -> int:
        return int(self.lat.shape[0])

    def stacked(self) -> np.ndarray:
        """Stacked latents ``X (T, K (p+1))`` (cluster-major)."""
        K, T, P = self.lat.shape
        return self.lat.transpose(1, 0, 2).reshape(T, K * P)

    def set_stacked(self, X: np.ndarray) -> None:
        K, T, P = self.lat.shape
        self.lat = X.reshape(T, K, P).transpose(1, 0, 2).copy()

    def log_rate(self) -> np.ndarray:
        L = self.lat[self.z]
        return np.asarray(self.d[:, None] + L[:, :, 0] + np.einsum("ip,itp->it", self.C, L[:, :, 1:]))


@dataclass(frozen=True)
class _Config:
    p: int
    family: str
    prior: MFMPrior | DPPrior
    hmm: StickyHDPHMM
    r_fixed: float | None
    constraint: str | None
    keep_states_heuristic: bool
    init_clusters: int
    init_states: int = 1
    state_moves: int = 2
    threads: int = 1
    label_moves: int = 0


def _project(state: ChainState, constraint: str | None) -> None:
    if constraint is None:
        return
    T = state.lat.shape[1]
    for k in range(state.K):
        members = state.z == k
        mu_bar = state.lat[k, :, 0].mean()
        x_bar = state.lat[k, :, 1:].mean(0)
        state.d[members] += mu_bar + state.C[members] @ x_bar
        state.lat[k, :, 0] -= mu_bar
        state.lat[k, :, 1:] -= x_bar
        if constraint == "center_whiten":
            x = state.lat[k, :, 1:]
            U, s, Vt = np.linalg.svd(x, full_matrices=False)
            s = np.maximum(s, 1e-8)
            M = (s[:, None] * Vt) / np.sqrt(T)  # x = x_new @ M, x_new = sqrt(T) U
            state.lat[k, :, 1:] = np.sqrt(T) * U
            state.C[members] = state.C[members] @ M.T


def _random_trajectory(
    T: int, P: int, step_var: float, rng: np.random.Generator, constraint: str | None
) -> np.ndarray:
    traj = rng.standard_normal(P) + np.cumsum(np.sqrt(step_var) * rng.standard_normal((T, P)), axis=0)
    traj -= traj.mean(0)
    if constraint == "center_whiten" and P > 1:
        U, _, _ = np.linalg.svd(traj[:, 1:], full_matrices=False)
        traj[:, 1:] = np.sqrt(T) * U
    return np.asarray(traj)


def _r_work(state: ChainState, cfg: _Config) -> np.ndarray:
    return state.r


def _lik_r(state: ChainState, cfg: _Config) -> np.ndarray | None:
    """Dispersions of the target likelihood (None = Poisson)."""
    return None if cfg.family == "poisson" else state.r


def _update_labels(
    y: np.ndarray, state: ChainState, cfg: _Config, vtab: np.ndarray, rng: np.random.Generator
) -> None:
    N, T = y.shape
    P = cfg.p + 1
    r_lik = _lik_r(state, cfg)
    aux = _random_trajectory(T, P, cfg.hmm.s0_scale, rng, cfg.constraint)
    lat = [state.lat[k] for k in range(state.K)]
    allk = np.concatenate([state.lat, aux[None]], 0)
    logml, bhat = laplace_log_marginal(y, allk[:, :, 0], allk[:, :, 1:], r_lik)
    z = state.z.copy()
    if cfg.label_moves:
        z, lat, logml, bhat = _split_merge_labels(y, state, cfg, vtab, rng, z, lat, logml, bhat, r_lik)
    counts = np.bincount(z, minlength=len(lat)).astype(float)
    for i in range(N):
        k_old = int(z[i])
        counts[k_old] -= 1
        occupied = counts > 0
        t_blocks = int(occupied.sum())
        K = len(lat)
        logw = np.full(K + 1, -np.inf)
        logw[:K][occupied] = cfg.prior.log_existing(counts[occupied]) + logml[i, :K][occupied]
        new_w = cfg.prior.log_new(t_blocks, vtab)
        if counts[k_old] == 0:
            # singleton: its own cluster plays the auxiliary (Neal 2000, Algorithm 8 with m = 1)
            logw[k_old] = new_w + logml[i, k_old]
        else:
            logw[K] = new_w + logml[i, K]
        w = np.exp(logw - logw.max())
        k_new = int(rng.choice(K + 1, p=w / w.sum()))
        if k_new == K:
            lat.append(aux)
            counts = np.append(counts, 0.0)
            aux = _random_trajectory(T, P, cfg.hmm.s0_scale, rng, cfg.constraint)
            new_ml, new_b = laplace_log_marginal(y, aux[None, :, 0], aux[None, :, 1:], r_lik)
            logml = np.concatenate([logml, new_ml], 1)
            bhat = np.concatenate([bhat, new_b], 1)
        counts[k_new] += 1
        z[i] = k_new
        if k_new != k_old:
            state.d[i] = bhat[i, k_new, 0]
            state.C[i] = bhat[i, k_new, 1:]
    # drop empty clusters, keep order
    used = np.flatnonzero(np.bincount(z, minlength=len(lat)) > 0)
    remap = np.full(len(lat), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    state.z = remap[z]
    state.lat = np.stack([lat[k] for k in used])


def _split_merge_labels(
    y: np.ndarray,
    state: ChainState,
    cfg: _Config,
    vtab: np.ndarray,
    rng: np.random.Generator,
    z: np.ndarray,
    lat: list[np.ndarray],
    logml: np.ndarray,
    bhat: np.ndarray,
    r_lik: np.ndarray | None,
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray]:
    """``cfg.label_moves`` split-merge moves (:mod:`bibcluster.labelmoves`) before the Algorithm-8 scan.

    ``logml``/``bhat`` hold the existing clusters' columns and, last, the auxiliary's; the returned ones too. A
    neuron whose trajectory changed gets the Laplace mode of its loadings under the new one (as a neuron that
    changes cluster in the scan does).
    """
    T = y.shape[1]
    P = cfg.p + 1
    K = len(lat)
    modes: dict[int, np.ndarray] = {id(t): bhat[:, k] for k, t in enumerate(lat)}

    def sample_g0(r: np.random.Generator) -> np.ndarray:
        return _random_trajectory(T, P, cfg.hmm.s0_scale, r, cfg.constraint)

    def ml_of(traj: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rr = None if r_lik is None else r_lik[rows]
        ml, b = laplace_log_marginal(y[rows], traj[None, :, 0], traj[None, :, 1:], rr)
        modes.setdefault(id(traj), np.full((y.shape[0], P), np.nan))[rows] = b[:, 0]
        return np.asarray(ml[:, 0])

    old_traj = [id(lat[k]) for k in z]
    ls = LabelState(z, list(lat), logml[:, :K])
    for _ in range(cfg.label_moves):
        ls, kind, acc = split_merge(ls, cfg.prior, vtab, sample_g0, ml_of, rng)
        state.move_stats[kind + "_proposed"] = state.move_stats.get(kind + "_proposed", 0) + 1
        state.move_stats[kind + "_accepted"] = state.move_stats.get(kind + "_accepted", 0) + int(acc)
    new_lat = ls.trajectories
    new_bhat = np.stack([modes[id(t)] for t in new_lat] + [bhat[:, K]], 1)
    for i in range(len(ls.z)):
        if id(new_lat[ls.z[i]]) != old_traj[i]:
            state.d[i] = new_bhat[i, ls.z[i], 0]
            state.C[i] = new_bhat[i, ls.z[i], 1:]
    return ls.z.copy(), list(new_lat), np.c_[ls.logml, logml[:, K]], new_bhat


def _pg_pseudo(
    y: np.ndarray, eta: np.ndarray, r: np.ndarray, rng: np.random.Generator, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """PG draws and pseudo-observations of ``eta``: ``eta ~ N(kappa/omega + log r, 1/omega)``."""
    rr = r[:, None]
    omega = sample_pg(y + rr, eta - np.log(rr), rng, threads)
    omega = np.maximum(omega, 1e-10)
    target = (y - rr) / 2.0 / omega + np.log(rr)
    return omega, target


def _total_loglik(y: np.ndarray, eta: np.ndarray, r: np.ndarray | None) -> float:
    return float(loglik_counts(y, eta, None if r is None else r[:, None]).sum())


def _update_latents(
    y: np.ndarray, state: ChainState, cfg: _Config, rng: np.random.Generator
) -> tuple[bool, tuple[np.ndarray, np.ndarray]]:
    """FFBS draw of the latents; returns (accepted, the PG draw and pseudo-observations used)."""
    N, T = y.shape
    P = cfg.p + 1
    K = state.K
    D = K * P
    eta_old = state.log_rate()
    omega, target = _pg_pseudo(y, eta_old, state.r, rng, cfg.threads)
    resid = target - state.d[:, None]  # pseudo-observation of mu + c'x
    H = np.concatenate([np.ones((N, 1)), state.C], 1)  # (N, P)
    J = np.zeros((T, D, D))
    h = np.zeros((T, D))
    for k in range(K):
        m = state.z == k
        sl = slice(k * P, (k + 1) * P)
        HH = (H[m][:, :, None] * H[m][:, None, :]).reshape(-1, P * P)
        J[:, sl, sl] = (omega[m].T @ HH).reshape(T, P, P)
        h[:, sl] = (omega[m] * resid[m]).T @ H[m]
    xi = state.xi
    X_new = ffbs_by_state(J, h, state.A, state.b, state.Q, xi, np.zeros(D), np.eye(D), rng)
    if cfg.family == "poisson":
        old_lat = state.lat
        state.set_stacked(X_new)
        eta_new = state.log_rate()
        log_a = (_total_loglik(y, eta_new, None) - _total_loglik(y, eta_new, state.r)) - (
            _total_loglik(y, eta_old, None) - _total_loglik(y, eta_old, state.r)
        )
        if np.log(rng.random()) >= log_a:
            state.lat = old_lat
            return False, (omega, target)
        return True, (omega, target)
    state.set_stacked(X_new)
    return True, (omega, target)


def _update_loadings(
    y: np.ndarray,
    state: ChainState,
    cfg: _Config,
    rng: np.random.Generator,
    pg: tuple[np.ndarray, np.ndarray] | None = None,
) -> bool:
    """Conjugate (d, C) draw given PG variables; ``pg`` reuses the latent step's draw (valid blocked Gibbs on the
    augmented joint for NB, since omega is then still a draw given the current r)."""
    N, T = y.shape
    P = cfg.p + 1
    eta_old = state.log_rate()
    omega, target = pg if pg is not None else _pg_pseudo(y, eta_old, state.r, rng, cfg.threads)
    L = state.lat[state.z]  # (N, T, P)
    G = np.concatenate([np.ones((N, T, 1)), L[:, :, 1:]], 2)
    yt = target - L[:, :, 0]
    GG = (G[:, :, :, None] * G[:, :, None, :]).reshape(N, T, P * P)
    prec = np.matmul(omega[:, None, :], GG)[:, 0].reshape(N, P, P) + np.eye(P)
    lin = np.matmul((omega * yt)[:, None, :], G)[:, 0]
    chol = np.linalg.cholesky(prec)
    mean = np.linalg.solve(prec, lin[..., None])[..., 0]
    noise = np.linalg.solve(chol.transpose(0, 2, 1), rng.standard_normal((N, P))[..., None])[..., 0]
    beta = mean + noise
    if cfg.family == "poisson":
        d_old, C_old = state.d.copy(), state.C.copy()
        state.d, state.C = beta[:, 0].copy(), beta[:, 1:].copy()
        eta_new = state.log_rate()

        # per-neuron acceptance: the loadings of different neurons are conditionally independent
        def ll(e: np.ndarray, r: np.ndarray | None) -> np.ndarray:
            return np.asarray(loglik_counts(y, e, None if r is None else r[:, None]).sum(1))

        log_a = (ll(eta_new, None) - ll(eta_new, state.r)) - (ll(eta_old, None) - ll(eta_old, state.r))
        rej = np.log(rng.random(N)) >= log_a
        state.d[rej], state.C[rej] = d_old[rej], C_old[rej]
        return bool(~rej.all())
    state.d, state.C = beta[:, 0].copy(), beta[:, 1:].copy()
    return True


def _update_dispersion(y: np.ndarray, state: ChainState, rng: np.random.Generator, step: float = 0.2) -> None:
    eta = state.log_rate()
    logr = np.log(state.r)
    prop = logr + step * rng.standard_normal(logr.shape)

    yf = np.ascontiguousarray(y, dtype=float)
    eta = np.ascontiguousarray(eta, dtype=float)

    def target(lr: np.ndarray) -> np.ndarray:
        # the count likelihood without its -log y! terms, which cancel in the ratio (compiled; tested against
        # glm.loglik_counts)
        ll = nb_loglik_rows(yf, eta, np.exp(lr))
        return np.asarray(ll - 0.5 * ((lr - _LOGR_PRIOR_MEAN) / _LOGR_PRIOR_SD) ** 2)

    acc = np.log(rng.random(len(logr))) < target(prop) - target(logr)
    state.r = np.exp(np.where(acc, prop, logr))


def _update_states(state: ChainState, cfg: _Config, rng: np.random.Generator) -> None:
    X = state.stacked()
    if cfg.state_moves:
        # collapsed split / merge / reallocate moves (dynamics and transitions integrated out), then fresh draws
        # of both from their full conditionals given the new path
        state.xi, _ = state_moves(X, state.xi, state.beta, cfg.hmm, rng, n_moves=cfg.state_moves)
        state.trans, state.beta = sample_transitions(state.xi, state.beta, cfg.hmm, rng)
        state.A, state.b, state.Q = sample_dynamics(X, state.xi, cfg.hmm, rng)
    ll = ar_loglik(X, state.A, state.b, state.Q)
    state.xi = sample_states(ll, state.trans, state.beta, rng)
    state.trans, state.beta = sample_transitions(state.xi, state.beta, cfg.hmm, rng)
    state.A, state.b, state.Q = sample_dynamics(X, state.xi, cfg.hmm, rng)


def _prior_path(
    T: int, hmm: StickyHDPHMM, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(beta, trans, xi)`` drawn from the sticky HDP-HMM prior (uniform initial state)."""
    L = hmm.L
    beta = np.maximum(rng.dirichlet(np.full(L, hmm.gamma / L)), 1e-12)
    beta /= beta.sum()
    trans = np.vstack(
        [
            rng.dirichlet(np.maximum(hmm.alpha * beta + hmm.kappa * (np.arange(L) == k), 1e-10))
            for k in range(L)
        ]
    )
    cum = np.cumsum(trans, 1)
    u = rng.random(T)
    xi = np.empty(T, dtype=np.int64)
    xi[0] = min(int(u[0] * L), L - 1)
    for t in range(1, T):
        xi[t] = min(int(np.searchsorted(cum[xi[t - 1]], u[t] * cum[xi[t - 1], -1])), L - 1)
    return beta, trans, xi


def _update_states_reference(
    state: ChainState, cfg: _Config, rng: np.random.Generator, it: int, n_iter: int
) -> None:
    """The reference's state step (opt-in ``keep_states_heuristic=True``; not a valid MCMC move).

    Read from the reference's simulation scripts, which build a new pyhsmm sticky AR-HMM every iteration: its
    state path comes from the prior (pyhsmm's default when data are added), one ``resample_model`` call then draws
    the dynamics and transitions given that path and a new path by forward-backward sampling. After the first 1%
    of the iterations, the previous path and parameters are restored instead of the prior draw once the previous
    path has no state above 60% of the bins, and kept so until a state exceeds 70%.
    """
    X = state.stacked()
    T = X.shape[0]
    occupancy = np.bincount(state.xi, minlength=cfg.hmm.L).max()
    restore = False
    if it > 0.01 * n_iter:
        if occupancy > 0.7 * T:
            state.keep_states = False
        if state.keep_states:
            restore = True
        elif occupancy < 0.6 * T:
            restore = state.keep_states = True
    if not restore:
        state.beta, state.trans, state.xi = _prior_path(T, cfg.hmm, rng)
    # pyhsmm's resample_model: parameters given the path, then the path by forward-backward sampling
    A, b, Q = sample_dynamics(X, state.xi, cfg.hmm, rng)
    state.trans, state.beta = sample_transitions(state.xi, state.beta, cfg.hmm, rng)
    uniform = np.full(cfg.hmm.L, 1.0 / cfg.hmm.L)
    state.xi = sample_states(ar_loglik(X, A, b, Q), state.trans, uniform, rng)
    state.A, state.b, state.Q = sample_dynamics(X, state.xi, cfg.hmm, rng)


def sweep(
    y: np.ndarray,
    state: ChainState,
    cfg: _Config,
    vtab: np.ndarray,
    rng: np.random.Generator,
    it: int = 0,
    n_iter: int = 1,
) -> bool:
    """One full Gibbs sweep (in place). Returns whether the latent draw was accepted (always True for NB).

    ``it`` and ``n_iter`` (the sweep's index and the run length) matter only for the reference's heuristic
    state step (``keep_states_heuristic``), whose rules depend on the progress of the run.
    """
    _update_labels(y, state, cfg, vtab, rng)
    state.A, state.b, state.Q = sample_dynamics(state.stacked(), state.xi, cfg.hmm, rng)
    accepted, pg = _update_latents(y, state, cfg, rng)
    if cfg.keep_states_heuristic:
        _update_states_reference(state, cfg, rng, it, n_iter)
    else:
        _update_states(state, cfg, rng)
    # NB: one PG draw serves both blocks (omega -> X -> (d, C) is blocked Gibbs on the augmented joint).
    # Poisson: a fresh draw, since each MH-corrected block must be its own NB-reversible augmentation kernel.
    _update_loadings(y, state, cfg, rng, pg if cfg.family == "nb" else None)
    if cfg.family == "nb" and cfg.r_fixed is None:
        _update_dispersion(y, state, rng)
    _project(state, cfg.constraint)
    return accepted


def _initial_states(T: int, n_states: int, rng: np.random.Generator) -> np.ndarray:
    """Random piecewise-constant path over ``n_states`` states with segments of about T/10 bins."""
    if n_states <= 1:
        return np.zeros(T, dtype=np.int64)
    seg = max(1, T // 10)
    labels = rng.integers(n_states, size=-(-T // seg))
    return np.repeat(labels, seg)[:T].astype(np.int64)


def init_state(y: np.ndarray, cfg: _Config, rng: np.random.Generator) -> ChainState:
    """Initial values: k-means on smoothed log rates, per-cluster SVD latents, one state."""
    N, T = y.shape
    P = cfg.p + 1
    smooth = np.log(gaussian_filter1d(y.astype(float), sigma=3.0, axis=1) + 0.1)
    centred = smooth - smooth.mean(1, keepdims=True)
    feats = centred / (centred.std(1, keepdims=True) + 1e-9)
    k0 = max(1, min(cfg.init_clusters, N))
    if k0 > 1:
        _, z = kmeans2(feats, k0, minit="++", seed=rng, missing="warn")
        z = np.unique(z, return_inverse=True)[1].astype(np.int64)
    else:
        z = np.zeros(N, dtype=np.int64)
    K = int(z.max()) + 1
    lat = np.zeros((K, T, P))
    for k in range(K):
        block = centred[z == k]
        lat[k, :, 0] = block.mean(0)
        U, s, _ = np.linalg.svd(block - block.mean(0), full_matrices=False)
        m = min(cfg.p, U.shape[1]) if block.shape[0] > 1 else 0
        comps = rng.standard_normal((T, cfg.p)) * 0.1
        if m:
            Ut = np.linalg.svd(block.T - block.T.mean(0), full_matrices=False)[0]
            comps[:, :m] = Ut[:, :m] * s[:m]
        lat[k, :, 1:] = comps
    r0 = float(cfg.r_fixed) if cfg.r_fixed is not None else 10.0
    L = cfg.hmm.L
    beta = np.full(L, 1.0 / L)
    trans = np.full((L, L), cfg.hmm.alpha / L) + cfg.hmm.kappa * np.eye(L)
    trans /= trans.sum(1, keepdims=True)
    state = ChainState(
        z=z,
        lat=lat,
        d=np.log(y.mean(1) + 0.1),
        C=np.zeros((N, cfg.p)),
        r=np.full(N, r0),
        xi=_initial_states(T, cfg.init_states, rng),
        beta=beta,
        trans=trans,
    )
    _project(state, cfg.constraint)
    # loadings from the PG-Gibbs conditional, a few times, so that d, C match the initial latents
    for _ in range(3):
        _update_loadings(y, state, cfg, rng)
    state.A, state.b, state.Q = sample_dynamics(state.stacked(), state.xi, cfg.hmm, rng)
    return state


def run_chain(
    y: np.ndarray,
    cfg: _Config,
    n_iter: int,
    burn_in: int,
    seed: np.random.SeedSequence | int,
    progress: bool = False,
) -> ChainSamples:
    """Run one chain and keep every post-burn-in draw.

    BLAS runs single-threaded inside the chain: its matrices are small (D x D), and idle BLAS threads spinning
    between calls would take the core that the second Polya-Gamma thread needs.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _run_chain(y, cfg, n_iter, burn_in, seed, progress)


def _run_chain(
    y: np.ndarray,
    cfg: _Config,
    n_iter: int,
    burn_in: int,
    seed: np.random.SeedSequence | int,
    progress: bool,
) -> ChainSamples:
    rng = np.random.default_rng(seed)
    vtab = cfg.prior.table(y.shape[0])
    state = init_state(y, cfg, rng)
    y_float = np.ascontiguousarray(y, dtype=float)
    log_fact = -float(gammaln(y_float + 1).sum())
    keep = n_iter - burn_in
    N, T = y.shape
    out_z = np.empty((keep, N), dtype=np.int64)
    out_xi = np.empty((keep, T), dtype=np.int64)
    out_k = np.empty(keep, dtype=np.int64)
    out_s = np.empty(keep, dtype=np.int64)
    out_eta = np.empty((keep, N, T), dtype=np.float32)
    out_r = np.empty((keep, N))
    out_d = np.empty((keep, N))
    out_ll = np.empty(keep)
    lats: list[np.ndarray] = []
    n_acc = 0
    iterator: Any = range(n_iter)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="bibcluster sweeps", leave=False)
    for it in iterator:
        n_acc += int(sweep(y, state, cfg, vtab, rng, it, n_iter))
        if it >= burn_in:
            j = it - burn_in
            eta = state.log_rate()
            out_z[j] = state.z
            out_xi[j] = state.xi
            out_k[j] = state.K
            out_s[j] = len(np.unique(state.xi))
            out_eta[j] = eta
            out_r[j] = state.r
            out_d[j] = state.d
            if cfg.family == "nb":  # compiled; the -log y! terms are added once
                out_ll[j] = (
                    float(nb_loglik_rows(y_float, np.ascontiguousarray(eta), state.r).sum()) + log_fact
                )
            else:
                out_ll[j] = _total_loglik(y, eta, None)
            lats.append(state.lat.astype(np.float32))
    return ChainSamples(
        z=out_z,
        xi=out_xi,
        n_clusters=out_k,
        n_states=out_s,
        log_rate=out_eta,
        latents=lats,
        r=out_r,
        log_lik=out_ll,
        d=out_d,
        accept_poisson=n_acc / n_iter if cfg.family == "poisson" else float("nan"),
        move_stats=dict(state.move_stats),
    )


def _run_chain_job(args: tuple[np.ndarray, _Config, int, int, np.random.SeedSequence, bool]) -> ChainSamples:
    return run_chain(*args)


class BiClusterSampler:
    """Bayesian bi-clustering of spike counts (Wei 2023): neuron clusters x synchronous dynamical states.

    Parameters
    ----------
    p : int
        Latent dimension per neuron cluster (besides the intercept trajectory); default 2.
    family : {"nb", "poisson"}
        Observation model. Poisson runs the PG machinery as NB(``r_fixed``, default 100) with an MH correction.
    prior : MFMPrior or DPPrior
        Partition prior on neuron clusters; default ``MFMPrior(geom_r=0.2, gamma=1)``.
    hmm : StickyHDPHMM
        State-switching prior; default ``StickyHDPHMM(L=10, alpha=5, gamma=5, kappa=10)``.
    r_fixed : float, optional
        NB: fix every dispersion to this value (default None: sampled). Poisson: the working NB dispersion
        (default 100).
    constraint : {"center_whiten", "center", None}
        Identifiability projection after each sweep (see module docstring).
    keep_states_heuristic : bool
        Use the reference's state step instead of the Gibbs step: a fresh state path from the prior every sweep
        until a balanced path (no state above 60% of bins) is found, which is then kept until a state exceeds
        70%. Not a valid MCMC move (it favours balanced paths); default False.
    init_clusters : int
        Number of k-means clusters to start from (clusters then merge/split); default 6.
    init_states : int
        Number of states in the random piecewise-constant initial state path; default 1.
    label_moves : int
        Split-merge moves of the neuron labels per sweep (:mod:`bibcluster.labelmoves`), before the Algorithm-8
        scan; default 0 (the label step of version 0.4.0). They are valid but almost never accepted on the
        paper's simulation (see the README), so they are opt-in.
    state_moves : int
        Collapsed split / merge / reallocate moves of the state path per sweep (:mod:`bibcluster.statemoves`),
        before the forward-backward draw; default 2. ``0`` gives the plain Gibbs step of version 0.2.0, which
        cannot open new states (see the README). Ignored with ``keep_states_heuristic``.
    n_jobs : int
        Parallel processes for independent chains; default 2 (capped at ``chains``).
    threads : int, optional
        Threads per chain for the Polya-Gamma draws, the largest single cost of a sweep (1 or 2). Default: the
        cores left per chain process, at most 2 (``min(2, cpu_count // processes)``). The draws, and so the
        results, are the same for any value.
    progress : bool
        Show a tqdm bar per chain (only when ``n_jobs == 1``).

    Examples
    --------
    >>> from bibcluster import BiClusterSampler, simulate
    >>> Y, truth = simulate.simulate_biclustered(T=60, seed=0)
    >>> post = BiClusterSampler(p=2).fit(Y, n_iter=4, burn_in=2, chains=1, seed=0)
    >>> post.point_estimate().n_items
    30
    """

    def __init__(
        self,
        p: int = 2,
        family: str = "nb",
        prior: MFMPrior | DPPrior | None = None,
        hmm: StickyHDPHMM | None = None,
        r_fixed: float | None = None,
        constraint: str | None = "center",
        keep_states_heuristic: bool = False,
        init_clusters: int = 6,
        init_states: int = 1,
        state_moves: int = 2,
        label_moves: int = 0,
        n_jobs: int = 2,
        progress: bool = False,
        threads: int | None = None,
    ) -> None:
        self.p = p
        self.family = family
        self.prior = prior if prior is not None else MFMPrior()
        self.hmm = hmm if hmm is not None else StickyHDPHMM()
        self.r_fixed = r_fixed
        self.constraint = constraint
        self.keep_states_heuristic = keep_states_heuristic
        self.init_clusters = init_clusters
        self.init_states = init_states
        self.state_moves = state_moves
        self.label_moves = label_moves
        self.n_jobs = n_jobs
        self.progress = progress
        self.threads = threads

    def _config(self) -> _Config:
        if not isinstance(self.p, (int, np.integer)) or isinstance(self.p, bool) or self.p < 1:
            raise ValueError(f"p must be a positive integer, got {self.p!r}")
        if self.family not in ("nb", "poisson"):
            raise ValueError(f"family must be 'nb' or 'poisson', got {self.family!r}")
        if not isinstance(self.prior, (MFMPrior, DPPrior)):
            raise TypeError(f"prior must be an MFMPrior or DPPrior, got {type(self.prior).__name__}")
        if not isinstance(self.hmm, StickyHDPHMM):
            raise TypeError(f"hmm must be a StickyHDPHMM, got {type(self.hmm).__name__}")
        if self.r_fixed is not None and not (np.isfinite(self.r_fixed) and self.r_fixed > 0):
            raise ValueError(f"r_fixed must be a positive finite number or None, got {self.r_fixed!r}")
        if self.constraint not in ("center_whiten", "center", None):
            raise ValueError(f"constraint must be 'center_whiten', 'center' or None, got {self.constraint!r}")
        if not isinstance(self.init_clusters, (int, np.integer)) or self.init_clusters < 1:
            raise ValueError(f"init_clusters must be a positive integer, got {self.init_clusters!r}")
        if not isinstance(self.init_states, (int, np.integer)) or not 1 <= self.init_states <= self.hmm.L:
            raise ValueError(
                f"init_states must be an integer in [1, L={self.hmm.L}], got {self.init_states!r}"
            )
        if (
            not isinstance(self.state_moves, (int, np.integer))
            or isinstance(self.state_moves, bool)
            or self.state_moves < 0
        ):
            raise ValueError(f"state_moves must be a non-negative integer, got {self.state_moves!r}")
        if (
            not isinstance(self.label_moves, (int, np.integer))
            or isinstance(self.label_moves, bool)
            or self.label_moves < 0
        ):
            raise ValueError(f"label_moves must be a non-negative integer, got {self.label_moves!r}")
        if not isinstance(self.n_jobs, (int, np.integer)) or self.n_jobs < 1:
            raise ValueError(f"n_jobs must be a positive integer, got {self.n_jobs!r}")
        if self.threads is not None and (
            not isinstance(self.threads, (int, np.integer))
            or isinstance(self.threads, bool)
            or self.threads < 1
        ):
            raise ValueError(f"threads must be a positive integer or None, got {self.threads!r}")
        r_fixed = self.r_fixed
        if self.family == "poisson" and r_fixed is None:
            r_fixed = 100.0
        return _Config(
            p=int(self.p),
            family=self.family,
            prior=self.prior,
            hmm=self.hmm,
            r_fixed=r_fixed,
            constraint=self.constraint,
            keep_states_heuristic=bool(self.keep_states_heuristic),
            init_clusters=int(self.init_clusters),
            init_states=int(self.init_states),
            state_moves=int(self.state_moves),
            threads=self._threads(1),
            label_moves=int(self.label_moves),
        )

    def _threads(self, processes: int) -> int:
        if self.threads is not None:
            return min(int(self.threads), 2)
        return max(1, min(2, (os.cpu_count() or 1) // max(processes, 1)))

    def fit(
        self, Y: SpikeCounts, n_iter: int = 600, burn_in: int = 200, chains: int = 2, seed: int | None = 0
    ) -> Posterior:
        """Run ``chains`` independent chains (in parallel processes) and return a :class:`Posterior`.

        Parameters
        ----------
        Y : neurotypes.SpikeCounts
            Counts ``(n_neurons, n_bins)``; non-negative integers, no silent neurons, enough bins.
        n_iter, burn_in : int
            Sweeps per chain and how many of them to discard (``0 <= burn_in < n_iter``).
        chains : int
            Independent chains.
        seed : int, optional
            Root seed; chain seeds are spawned from it.
        """
        cfg = self._config()
        y = validate_counts(Y, cfg.p)
        for name, val in (("n_iter", n_iter), ("chains", chains)):
            if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < 1:
                raise ValueError(f"{name} must be a positive integer, got {val!r}")
        if not isinstance(burn_in, (int, np.integer)) or not 0 <= burn_in < n_iter:
            raise ValueError(f"burn_in must be an integer in [0, n_iter={n_iter}), got {burn_in!r}")
        seeds = np.random.SeedSequence(seed).spawn(chains)
        workers = min(self.n_jobs, chains)
        cfg = dataclasses.replace(cfg, threads=self._threads(workers))
        jobs = [(y, cfg, n_iter, burn_in, s, self.progress and workers == 1) for s in seeds]
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(_run_chain_job, jobs))
        else:
            results = [_run_chain_job(j) for j in jobs]
        bin_size = Y.bin_size if isinstance(Y, SpikeCounts) else 1.0
        return Posterior(results, y=y, p=cfg.p, family=cfg.family, bin_size=bin_size)
