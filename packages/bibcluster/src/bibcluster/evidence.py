"""Bayes factors between two state paths, by annealed importance sampling along a path between the two models.

Model (the spec's, with the sampler's prior on the dispersions): given the neuron clusters ``z`` and a state path
``xi``, loadings ``d_i ~ N(0, 1)``, ``c_i ~ N(0, I_p)``, ``log r_i ~ N(log 10, 1)``, stacked latents
``X_0 ~ N(0, I)``, ``X_t = A_s X_{t-1} + b_s + N(0, Q_s)`` with ``s = xi_t``, a matrix-normal inverse-Wishart
prior on every state's ``(A_s, b_s, Q_s)`` (:class:`DynamicsPrior`; the spec's is ``M0 = [I | 0]``, ``K0 = I``,
``nu0 = D + 2``, ``S0 = 1e-2 I``), counts ``NB(r_i, exp(d_i + mu_t + c_i'x_t))``. The Bayes factor of path B
against path A is ``p(y | z, xi_B) / p(y | z, xi_A)`` with everything else integrated out.

Estimator (:func:`log_bayes_factor`). Both models share every parameter (the dynamics of every state either path
uses); they differ only in which state's dynamics govern each transition. The path of distributions

    f_lambda(theta) = p(theta) p(y | theta) prod_t N(X_t; A_a X_{t-1} + b_a, Q_a)^(1 - lambda) N(X_t; A_b X_{t-1} + b_b, Q_b)^lambda

(``a = xi_A[t]``, ``b = xi_B[t]``; one factor where they agree) joins model A (lambda = 0) to model B (lambda = 1);
a state only one path uses has its prior at the other end. Annealed importance sampling (Neal 2001) over lambda,
started from model A's posterior, gives ``log BF`` as the log of the mean of the runs' weights
``prod_k exp((lambda_k - lambda_{k-1}) Delta(theta_k))``, ``Delta = sum_t log N(X_t | B's state) - log N(X_t | A's
state)``. Run from B's posterior towards A, it estimates ``-log BF``. When each run starts from an exact posterior
draw, the forward estimate is low and the reverse one high in expectation (Grosse, Ghahramani & Adams 2015), so the
two bracket the answer and their gap says how far to trust it. The starts here are the ends of burn-in chains.

Why not one marginal likelihood per model (AIS over the likelihood power): the posterior is invariant under
rotations of each cluster's latent coordinates (with the loadings and dynamics), and soft along its other gauge
directions; a reference distribution pinned to one point of those orbits leaves AIS estimates of each log evidence
biased low by tens of nats (measured: estimates moved by 20-30 nats between 300, 1000 and 2000 temperatures). On
the path above, both ends have the same symmetries and the chain never has to cross them.

The transitions are the sampler's Gibbs steps at full likelihood: conjugate MNIW dynamics with every transition's
sufficient statistics weighted by its factor's exponent; Polya-Gamma draws ``PG(y + r, psi)``; FFBS in which the two
Gaussian transition factors of each bin are combined into one (plus a factor of the previous bin alone); Gaussian
loadings; random-walk MH on ``log r``. :func:`brute_force_log_evidence` (plain Monte Carlo over the prior, tiny
problems only) is the independent check the tests use. :func:`path_log_prior_marginal` gives ``log p(xi)`` under
the sticky HDP-HMM's weak limit with ``beta`` integrated out, for posterior odds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, logsumexp

from bibcluster._kernels import nb_loglik_rows
from bibcluster.ffbs import ffbs_by_state
from bibcluster.hmm import StickyHDPHMM
from bibcluster.pg import sample_pg

__all__ = [
    "BayesFactor",
    "DynamicsPrior",
    "brute_force_log_evidence",
    "default_schedule",
    "log_bayes_factor",
    "path_log_prior_marginal",
]

_LOGR_MEAN = math.log(10.0)
_LOGR_SD = 1.0
_LOG2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class DynamicsPrior:
    """Matrix-normal inverse-Wishart prior of one state's ``(A, b, Q)`` for latent dimension D.

    ``Q ~ IW(D + nu0_extra, s0_scale I)``, ``[A | b] | Q ~ MN([m0_scale I | 0], Q, (k0_scale I)^-1)``. The defaults
    are the spec's (and the sampler's) prior; ``k0_scale`` below 1 loosens ``A`` around ``m0_scale I`` (the prior
    standard deviation of an entry of A is ``sqrt(Q_ii / k0_scale)``).
    """

    m0_scale: float = 1.0
    k0_scale: float = 1.0
    s0_scale: float = 1e-2
    nu0_extra: float = 2.0

    def __post_init__(self) -> None:
        for name in ("k0_scale", "s0_scale", "nu0_extra"):
            if not (np.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ValueError(f"{name} must be a positive finite number, got {getattr(self, name)!r}")
        if not np.isfinite(self.m0_scale):
            raise ValueError(f"m0_scale must be finite, got {self.m0_scale!r}")

    def matrices(self, D: int) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
        """``(M0 (D, D+1), K0 (D+1, D+1), nu0, S0 (D, D))``."""
        M0 = np.hstack([self.m0_scale * np.eye(D), np.zeros((D, 1))])
        return M0, self.k0_scale * np.eye(D + 1), float(D + self.nu0_extra), self.s0_scale * np.eye(D)


@dataclass(frozen=True)
class BayesFactor:
    """``log p(y | xi_B) - log p(y | xi_A)`` by AIS in both directions.

    Attributes
    ----------
    forward, forward_se : float
        Estimate from runs started at A's posterior (low in expectation) and its delta-method standard error.
    reverse, reverse_se : float
        Estimate from runs started at B's posterior (high in expectation), sign flipped to the same direction.
    forward_log_weights, reverse_log_weights : numpy.ndarray
        The runs' log weights (reverse: of ``log BF_AB``, not flipped).
    n_steps : int
        Intermediate distributions per run.
    """

    forward: float
    forward_se: float
    reverse: float
    reverse_se: float
    forward_log_weights: np.ndarray
    reverse_log_weights: np.ndarray
    n_steps: int

    @property
    def estimate(self) -> float:
        """Midpoint of the forward and reverse estimates."""
        return 0.5 * (self.forward + self.reverse)

    @property
    def gap(self) -> float:
        """``reverse - forward``: near 0 (within a few standard errors) when the annealing is long enough."""
        return self.reverse - self.forward


def _log_mean_exp_se(lw: np.ndarray) -> tuple[float, float]:
    """``log mean exp(lw)`` and its delta-method standard error ``sd(w) / (sqrt(n) mean(w))``."""
    lw = np.asarray(lw, dtype=float)
    est = float(logsumexp(lw) - np.log(lw.size))
    w = np.exp(lw - lw.max())
    se = float(w.std(ddof=1) / (np.sqrt(lw.size) * w.mean())) if lw.size > 1 else float("inf")
    return est, se


def _sample_mniw(
    X: np.ndarray, weights: np.ndarray, prior: DynamicsPrior, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, b, Q)`` of every state s from ``p(dyn_s) prod_t N(X_t; A_s X_{t-1} + b_s, Q_s)^weights[s, t-1]``.

    ``weights (S, T-1)`` (zero rows give prior draws); the conjugate update with weighted sufficient statistics.
    """
    T, D = X.shape
    M0, K0, nu0, S0 = prior.matrices(D)
    S = weights.shape[0]
    A = np.empty((S, D, D))
    b = np.empty((S, D))
    Q = np.empty((S, D, D))
    Z = np.hstack([X[:-1], np.ones((T - 1, 1))])
    Y = X[1:]
    for s in range(S):
        w = weights[s]
        Zw = Z * w[:, None]
        Kn = K0 + Zw.T @ Z
        Syx = M0 @ K0 + Y.T @ Zw
        Kn_inv = np.linalg.inv(Kn)
        Kn_inv = 0.5 * (Kn_inv + Kn_inv.T)
        Mn = Syx @ Kn_inv
        Sn = S0 + (Y * w[:, None]).T @ Y + M0 @ K0 @ M0.T - Mn @ Syx.T
        Sn = 0.5 * (Sn + Sn.T) + 1e-12 * np.eye(D)
        nu = nu0 + w.sum()
        # Bartlett: Q^-1 ~ Wishart(nu, Sn^-1)
        Cw = np.linalg.cholesky(np.linalg.inv(Sn))
        B = np.tril(rng.standard_normal((D, D)), -1)
        B[np.arange(D), np.arange(D)] = np.sqrt(rng.chisquare(nu - np.arange(D)))
        CB = Cw @ B
        Qs = np.linalg.inv(CB @ CB.T)
        Qs = 0.5 * (Qs + Qs.T)
        W = Mn + np.linalg.cholesky(Qs) @ rng.standard_normal((D, D + 1)) @ np.linalg.cholesky(Kn_inv).T
        A[s], b[s], Q[s] = W[:, :D], W[:, D], Qs
    return A, b, Q


def _log_mvn_rows(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``log N(x_k; mean_k, cov_k)`` for stacked rows."""
    L = np.linalg.cholesky(cov)
    white = np.linalg.solve(L, (x - mean)[..., None])[..., 0]
    logdet = 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return np.asarray(-0.5 * (white**2).sum(-1) - 0.5 * logdet - 0.5 * x.shape[-1] * _LOG2PI)


@dataclass
class _Theta:
    X: np.ndarray
    dc: np.ndarray  # (N, P): d_i, c_i
    logr: np.ndarray
    A: np.ndarray
    b: np.ndarray
    Q: np.ndarray
    omega: np.ndarray | None = None  # Polya-Gamma variables (the augmented joint's)


class _Bridge:
    """The two models' shared parameters and the Gibbs sweep at a point lambda of the path between them."""

    def __init__(
        self,
        y: np.ndarray,
        z: np.ndarray,
        xi_a: np.ndarray,
        xi_b: np.ndarray,
        p: int,
        prior: DynamicsPrior,
    ) -> None:
        self.y = np.ascontiguousarray(y, dtype=float)
        self.z = np.asarray(z, dtype=np.int64)
        self.N, self.T = self.y.shape
        self.P = p + 1
        self.K = int(self.z.max()) + 1
        self.D = self.K * self.P
        self.prior = prior
        self.states = np.union1d(xi_a[1:], xi_b[1:])
        self.ia = np.searchsorted(self.states, xi_a[1:])  # (T-1,) A's state of each transition
        self.ib = np.searchsorted(self.states, xi_b[1:])
        self.differ = self.ia != self.ib
        # every (A's state, B's state) pair a transition uses; the FFBS gets one combined transition per pair
        pairs = np.stack([self.ia, self.ib], 1)
        self.pairs, self.pair_of = np.unique(pairs, axis=0, return_inverse=True)
        self.pair_of = np.asarray(self.pair_of).ravel()
        self.ffbs_idx = np.r_[0, self.pair_of].astype(np.int64)

    def eta(self, th: _Theta) -> np.ndarray:
        L = th.X.reshape(self.T, self.K, self.P).transpose(1, 0, 2)[self.z]  # (N, T, P)
        return np.asarray(th.dc[:, :1] + L[:, :, 0] + np.einsum("ip,itp->it", th.dc[:, 1:], L[:, :, 1:]))

    def delta(self, th: _Theta) -> float:
        """``sum_t log N(X_t | B's dynamics) - log N(X_t | A's dynamics)`` over the transitions where they differ."""
        if not self.differ.any():
            return 0.0
        t = np.flatnonzero(self.differ)
        X0, X1 = th.X[t], th.X[t + 1]
        out = 0.0
        for sign, idx in ((1.0, self.ib[t]), (-1.0, self.ia[t])):
            pred = np.einsum("tij,tj->ti", th.A[idx], X0) + th.b[idx]
            out += sign * float(_log_mvn_rows(X1, pred, th.Q[idx]).sum())
        return out

    def start(self, rng: np.random.Generator) -> _Theta:
        """A rough starting point (the chain is burnt in from it): latents 0, prior loadings, r = 10."""
        th = _Theta(
            X=np.zeros((self.T, self.D)),
            dc=rng.standard_normal((self.N, self.P)),
            logr=np.full(self.N, _LOGR_MEAN),
            A=np.empty(0),
            b=np.empty(0),
            Q=np.empty(0),
        )
        th.A, th.b, th.Q = _sample_mniw(th.X, self._weights(0.0), self.prior, rng)
        return th

    def _weights(self, lam: float) -> np.ndarray:
        """Exponent of each state's transition factor at every transition ``(S, T-1)``."""
        S = len(self.states)
        w = np.zeros((S, self.T - 1))
        cols = np.arange(self.T - 1)
        np.add.at(w, (self.ia, cols), 1.0 - lam)
        np.add.at(w, (self.ib, cols), lam)
        return w

    def _combined(
        self, th: _Theta, lam: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per pair (a, b): ``N(x; A_a x' + b_a, Q_a)^(1 - lam) N(x; A_b x' + b_b, Q_b)^lam`` as one Gaussian
        transition ``(A_c, b_c, Q_c)`` times ``exp(-x''U x'/2 + v'x')`` of the previous bin ``x'``."""
        Qinv = np.linalg.inv(th.Q)
        Qinv = 0.5 * (Qinv + Qinv.transpose(0, 2, 1))
        a, b = self.pairs[:, 0], self.pairs[:, 1]
        same = a == b
        wa = np.where(same, 1.0, 1.0 - lam)[:, None, None]
        wb = np.where(same, 0.0, lam)[:, None, None]
        P1, P2 = wa * Qinv[a], wb * Qinv[b]
        Pc = P1 + P2
        Qc = np.linalg.inv(Pc)
        Qc = 0.5 * (Qc + Qc.transpose(0, 2, 1))
        A1, A2, b1, b2 = th.A[a], th.A[b], th.b[a], th.b[b]
        Ac = Qc @ (P1 @ A1 + P2 @ A2)
        bc = np.einsum("sij,sj->si", Qc, np.einsum("sij,sj->si", P1, b1) + np.einsum("sij,sj->si", P2, b2))
        At1, At2, Atc = A1.transpose(0, 2, 1), A2.transpose(0, 2, 1), Ac.transpose(0, 2, 1)
        U = At1 @ P1 @ A1 + At2 @ P2 @ A2 - Atc @ Pc @ Ac
        U = 0.5 * (U + U.transpose(0, 2, 1))
        v = -(
            np.einsum("sij,sj->si", At1 @ P1, b1)
            + np.einsum("sij,sj->si", At2 @ P2, b2)
            - np.einsum("sij,sj->si", Atc @ Pc, bc)
        )
        return Ac, bc, Qc, U, v

    def sweep(self, th: _Theta, lam: float, rng: np.random.Generator, refresh: bool = True) -> None:
        """One Gibbs sweep leaving the augmented ``f_lam(theta) p(omega | theta)`` invariant (in place).

        Every sweep draws the dynamics given the latents and the latents given the Polya-Gamma variables omega;
        with ``refresh`` it then draws the loadings given omega, the dispersions with omega integrated out (random-
        walk MH) and omega afresh given everything (the last two together leave the augmented joint invariant).
        Without the refresh omega stays as it is, a block of the augmented joint that is simply not updated: the
        sweep stays valid at a fraction of its cost, which the Polya-Gamma draws dominate.
        """
        N, T, P, K, D = self.N, self.T, self.P, self.K, self.D
        th.A, th.b, th.Q = _sample_mniw(th.X, self._weights(lam), self.prior, rng)
        r = np.exp(th.logr)[:, None]
        if th.omega is None:
            # NB likelihood through Polya-Gamma: omega ~ PG(y + r, eta - log r)
            th.omega = np.maximum(sample_pg(self.y + r, self.eta(th) - np.log(r), rng), 1e-12)
        omega = th.omega
        target = (self.y - r) / 2.0 / omega + np.log(r)  # pseudo-observations of eta, precision omega
        H = np.concatenate([np.ones((N, 1)), th.dc[:, 1:]], 1)
        resid = target - th.dc[:, :1]
        J = np.zeros((T, D, D))
        h = np.zeros((T, D))
        for k in range(K):
            m = self.z == k
            sl = slice(k * P, (k + 1) * P)
            HH = (H[m][:, :, None] * H[m][:, None, :]).reshape(-1, P * P)
            J[:, sl, sl] = (omega[m].T @ HH).reshape(T, P, P)
            h[:, sl] = (omega[m] * resid[m]).T @ H[m]
        Ac, bc, Qc, U, v = self._combined(th, lam)
        J[:-1] += U[self.pair_of]
        h[:-1] += v[self.pair_of]
        th.X = ffbs_by_state(J, h, Ac, bc, Qc, self.ffbs_idx, np.zeros(D), np.eye(D), rng)
        if not refresh:
            return
        # loadings given the same Polya-Gamma draw (blocked Gibbs on the augmented joint)
        L = th.X.reshape(T, K, P).transpose(1, 0, 2)[self.z]
        G = np.concatenate([np.ones((N, T, 1)), L[:, :, 1:]], 2)
        prec = np.einsum("nt,nti,ntj->nij", omega, G, G) + np.eye(P)
        lin = np.einsum("nt,nti->ni", omega * (target - L[:, :, 0]), G)
        chol = np.linalg.cholesky(prec)
        mean = np.linalg.solve(prec, lin[..., None])[..., 0]
        noise = np.linalg.solve(chol.transpose(0, 2, 1), rng.standard_normal((N, P))[..., None])[..., 0]
        th.dc = mean + noise
        # dispersions: random-walk MH on log r with omega integrated out; omega is then redrawn given the new
        # values, so the augmented joint stays the target
        eta = np.ascontiguousarray(self.eta(th))

        def logt(lr: np.ndarray) -> np.ndarray:
            ll = nb_loglik_rows(self.y, eta, np.exp(lr))
            return np.asarray(ll - 0.5 * ((lr - _LOGR_MEAN) / _LOGR_SD) ** 2)

        for _ in range(2):
            step = th.logr + 0.3 * rng.standard_normal(N)
            acc = np.log(rng.random(N)) < logt(step) - logt(th.logr)
            th.logr = np.where(acc, step, th.logr)
        r = np.exp(th.logr)[:, None]
        th.omega = np.maximum(sample_pg(self.y + r, self.eta(th) - np.log(r), rng), 1e-12)


def _check_inputs(
    y: np.ndarray, z: np.ndarray, p: int, *paths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    y = np.asarray(y)
    if y.ndim != 2 or not np.issubdtype(y.dtype, np.number) or np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError("y must be a 2-D array of non-negative integer counts (neurons x bins)")
    z = np.asarray(z)
    if z.shape != (y.shape[0],) or not np.issubdtype(z.dtype, np.integer) or z.min() < 0:
        raise ValueError("z must hold one non-negative integer cluster label per neuron (row of y)")
    if set(np.unique(z).tolist()) != set(range(int(z.max()) + 1)):
        raise ValueError("z must use the labels 0..K-1 without gaps")
    out = []
    for xi in paths:
        xi = np.asarray(xi)
        if xi.shape != (y.shape[1],) or not np.issubdtype(xi.dtype, np.integer) or xi.min() < 0:
            raise ValueError("xi must hold one non-negative integer state label per time bin (column of y)")
        out.append(xi.astype(np.int64))
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 1:
        raise ValueError(f"p must be a positive integer, got {p!r}")
    return y, z.astype(np.int64), out


def default_schedule(n: int, power: float = 4.0) -> np.ndarray:
    """``lambda_k = (k / n)^power``, k = 0..n: dense near 0, where a state only B uses leaves its prior."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return np.asarray((np.arange(n + 1) / n) ** power)


def log_bayes_factor(
    y: np.ndarray,
    z: np.ndarray,
    xi_a: np.ndarray,
    xi_b: np.ndarray,
    p: int = 2,
    prior: DynamicsPrior | None = None,
    schedule: np.ndarray | int = 1000,
    n_runs: int = 4,
    burn_in: int = 500,
    pg_every: int = 5,
    seed: int = 0,
) -> BayesFactor:
    """AIS estimate of ``log p(y | z, xi_b) - log p(y | z, xi_a)`` in both directions (module docstring).

    Parameters
    ----------
    y : numpy.ndarray
        Counts ``(N, T)``.
    z : numpy.ndarray
        Neuron clusters ``(N,)``, labels ``0..K-1``.
    xi_a, xi_b : numpy.ndarray
        The two state paths ``(T,)``; the transition into bin t uses state ``xi[t]``.
    p : int
        Latent dimension per cluster besides the intercept trajectory.
    prior : DynamicsPrior, optional
        Dynamics prior; default the spec's.
    schedule : numpy.ndarray or int
        Increasing ``lambda`` from 0 to 1, or their number (:func:`default_schedule`); the reverse runs use it
        mirrored (``1 - lambda`` reversed).
    n_runs : int
        Independent runs per direction (each from its own burn-in chain).
    burn_in : int
        Gibbs sweeps at the start model before a run anneals.
    pg_every : int
        Full sweeps (fresh Polya-Gamma variables, loadings, dispersions) every ``pg_every`` steps; the steps in
        between draw only the dynamics and the latents (see ``_Bridge.sweep``). 1 refreshes every step.
    seed : int
    """
    y, z, (xi_a, xi_b) = _check_inputs(y, z, p, xi_a, xi_b)
    prior = DynamicsPrior() if prior is None else prior
    lams = (
        default_schedule(schedule) if isinstance(schedule, (int, np.integer)) else np.asarray(schedule, float)
    )
    if lams.ndim != 1 or lams.size < 2 or lams[0] != 0.0 or lams[-1] != 1.0 or np.any(np.diff(lams) <= 0):
        raise ValueError("schedule must increase strictly from 0 to 1")
    if not isinstance(n_runs, (int, np.integer)) or n_runs < 2:
        raise ValueError(f"n_runs must be an integer >= 2, got {n_runs!r}")
    if not isinstance(burn_in, (int, np.integer)) or burn_in < 0:
        raise ValueError(f"burn_in must be a non-negative integer, got {burn_in!r}")
    if not isinstance(pg_every, (int, np.integer)) or isinstance(pg_every, bool) or pg_every < 1:
        raise ValueError(f"pg_every must be a positive integer, got {pg_every!r}")
    bridge = _Bridge(y, z, xi_a, xi_b, p, prior)
    seeds = np.random.SeedSequence(seed).spawn(2 * int(n_runs))
    fwd = np.empty(int(n_runs))
    rev = np.empty(int(n_runs))
    # the reverse runs anneal from B to A: the same path with lambda read backwards
    for direction, path, out in ((0, lams, fwd), (1, lams[::-1], rev)):
        for run in range(int(n_runs)):
            rng = np.random.default_rng(seeds[direction * int(n_runs) + run])
            th = bridge.start(rng)
            for _ in range(int(burn_in)):
                bridge.sweep(th, float(path[0]), rng)
            acc = 0.0
            for k in range(1, path.size):
                acc += (path[k] - path[k - 1]) * bridge.delta(th)
                bridge.sweep(th, float(path[k]), rng, refresh=k % int(pg_every) == 0)
            out[run] = acc
    f, fse = _log_mean_exp_se(fwd)
    r_ab, rse = _log_mean_exp_se(rev)  # the reverse runs estimate log BF of A against B
    return BayesFactor(f, fse, -r_ab, rse, fwd, rev, int(lams.size - 1))


def brute_force_log_evidence(
    y: np.ndarray,
    z: np.ndarray,
    xi: np.ndarray,
    p: int = 1,
    prior: DynamicsPrior | None = None,
    n_draws: int = 200_000,
    seed: int = 0,
) -> tuple[float, float]:
    """``log p(y | z, xi)`` by plain Monte Carlo over the prior, with its standard error (tiny problems only)."""
    y, z, (xi,) = _check_inputs(y, z, p, xi)
    prior = DynamicsPrior() if prior is None else prior
    rng = np.random.default_rng(seed)
    N, T = y.shape
    P = p + 1
    K = int(z.max()) + 1
    D = K * P
    states = np.unique(xi[1:])
    M0, K0, nu0, S0 = prior.matrices(D)
    Cw = np.linalg.cholesky(np.linalg.inv(S0))
    Lk = np.linalg.cholesky(np.linalg.inv(K0))
    yf = y.astype(float)
    lw = np.empty(n_draws)
    chunk = 20_000
    for start in range(0, n_draws, chunk):
        n = min(chunk, n_draws - start)
        # dynamics of each used state from the MNIW prior (Bartlett), then latents by simulation
        A = np.empty((len(states), n, D, D))
        b = np.empty((len(states), n, D))
        Lq = np.empty((len(states), n, D, D))
        for k in range(len(states)):
            B = np.tril(rng.standard_normal((n, D, D)), -1)
            B[:, np.arange(D), np.arange(D)] = np.sqrt(rng.chisquare(nu0 - np.arange(D), size=(n, D)))
            CB = Cw @ B
            Q = np.linalg.inv(CB @ CB.transpose(0, 2, 1))
            Lq[k] = np.linalg.cholesky(0.5 * (Q + Q.transpose(0, 2, 1)))
            W = M0 + Lq[k] @ rng.standard_normal((n, D, D + 1)) @ Lk.T
            A[k], b[k] = W[:, :, :D], W[:, :, D]
        X = np.empty((n, T, D))
        X[:, 0] = rng.standard_normal((n, D))
        for t in range(1, T):
            k = int(np.searchsorted(states, xi[t]))
            noise = np.einsum("nij,nj->ni", Lq[k], rng.standard_normal((n, D)))
            X[:, t] = np.einsum("nij,nj->ni", A[k], X[:, t - 1]) + b[k] + noise
        dc = rng.standard_normal((n, N, P))
        r = np.exp(_LOGR_MEAN + _LOGR_SD * rng.standard_normal((n, N)))
        Lat = X.reshape(n, T, K, P).transpose(0, 2, 1, 3)[:, z]  # (n, N, T, P)
        eta = dc[:, :, :1] + Lat[..., 0] + np.einsum("nip,nitp->nit", dc[:, :, 1:], Lat[..., 1:])
        rr = r[:, :, None]
        logr = np.log(rr)
        lse = np.logaddexp(logr, eta)
        ll = gammaln(yf + rr) - gammaln(rr) - gammaln(yf + 1) + rr * (logr - lse) + yf * (eta - lse)
        lw[start : start + n] = ll.sum((1, 2))
    return _log_mean_exp_se(lw)


def path_log_prior_marginal(
    xi: np.ndarray, hmm: StickyHDPHMM | None = None, n_draws: int = 200_000, seed: int = 0
) -> tuple[float, float]:
    """``log p(xi)`` under the weak-limit sticky HDP-HMM with the transition rows and ``beta ~ Dir(gamma/L)``
    integrated out (rows exactly, ``beta`` by Monte Carlo), with its standard error."""
    hmm = StickyHDPHMM() if hmm is None else hmm
    xi = np.asarray(xi, dtype=np.int64)
    if xi.ndim != 1 or xi.size < 1 or xi.min() < 0 or xi.max() >= hmm.L:
        raise ValueError(f"xi must be a 1-D path of state labels in [0, L={hmm.L})")
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 2:
        raise ValueError(f"n_draws must be an integer >= 2, got {n_draws!r}")
    rng = np.random.default_rng(seed)
    L = hmm.L
    n = np.zeros((L, L))
    np.add.at(n, (xi[:-1], xi[1:]), 1.0)
    lw = np.empty(int(n_draws))
    for start in range(0, int(n_draws), 20_000):
        betas = np.maximum(
            rng.dirichlet(np.full(L, hmm.gamma / L), size=min(20_000, int(n_draws) - start)), 1e-300
        )
        betas /= betas.sum(1, keepdims=True)
        # path_log_prior(xi, beta, hmm) for every draw at once: Dirichlet-multinomial rows given beta
        a = hmm.alpha * betas[:, None, :] + hmm.kappa * np.eye(L)[None]
        rows = gammaln(a.sum(2)) - gammaln(a.sum(2) + n.sum(1)[None])
        lw[start : start + len(betas)] = (
            rows.sum(1) + (gammaln(a + n[None]) - gammaln(a)).sum((1, 2)) + np.log(betas[:, xi[0]])
        )
    return _log_mean_exp_se(lw)
