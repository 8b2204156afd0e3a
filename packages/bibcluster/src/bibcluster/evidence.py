"""Marginal likelihood of the counts given the neuron clusters and a state path, by annealed importance sampling.

Model (the spec's, with the sampler's prior on the dispersions): given the clusters ``z`` and the state path
``xi``, loadings ``d_i ~ N(0, 1)``, ``c_i ~ N(0, I_p)``, ``log r_i ~ N(log 10, 1)``, stacked latents
``X_0 ~ N(0, I)``, ``X_t = A_s X_{t-1} + b_s + N(0, Q_s)`` with ``s = xi_t`` and an MNIW prior on every used
state's ``(A_s, b_s, Q_s)`` (:class:`DynamicsPrior`; the spec's is ``M0 = [I | 0]``, ``K0 = I``, ``nu0 = D + 2``,
``S0 = 1e-2 I``), counts ``NB(r_i, exp(d_i + mu_t + c_i'x_t))``. :func:`ais_log_evidence` estimates
``log p(y | z, xi)`` with everything else integrated out.

Annealed importance sampling (Neal 2001) along the geometric path

    f_beta(theta) = p(dynamics) * q(X, d, c, log r)^(1 - beta) * [p(X | dynamics) p(d, c) p(log r) p(y | theta)]^beta

from a reference ``q`` (independent Gaussians per time bin and per neuron, and normal ``log r``; fitted to a pilot
run by :func:`fit_reference`, though any normalised ``q`` gives an unbiased estimate of ``p(y | z, xi)``) to the
posterior. The dynamics prior is in every ``f_beta``, so the run starts from it, but the latents start from ``q``:
dynamics drawn from the MNIW prior are often explosive (spectral radius above 1 over hundreds of steps), and a path
from the prior itself would start from latents of size 1e70. The transitions are Gibbs steps that leave each
``f_beta`` invariant: MNIW dynamics with the sufficient statistics weighted by beta; Polya-Gamma draws
``PG(beta (y + r), psi)`` for the tempered likelihood; FFBS with the transitions' covariances divided by beta and
``q``'s factors as extra evidence; Gaussian loadings; random-walk MH on ``log r``. The log weight of a run is
``sum_k (beta_k - beta_{k-1}) log[p(X | dyn) p(d, c) p(log r) p(y | theta) / q(X, d, c, log r)]``; the estimate is
the log of the mean of the runs' weights, its Monte Carlo error the delta-method standard error over runs.

:func:`brute_force_log_evidence` is plain Monte Carlo over the prior, usable on tiny problems; the tests check that
both agree there. :func:`path_log_prior_marginal` gives ``log p(xi)`` under the sticky HDP-HMM's weak limit with
``beta`` integrated out.
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
from bibcluster.statemoves import path_log_prior

__all__ = [
    "DynamicsPrior",
    "EvidenceResult",
    "Reference",
    "ais_log_evidence",
    "brute_force_log_evidence",
    "default_temperatures",
    "fit_reference",
    "path_log_prior_marginal",
]

_LOGR_MEAN = math.log(10.0)
_LOGR_SD = 1.0
_LOG2PI = math.log(2.0 * math.pi)
#: below this temperature the transitions use an independence proposal from the reference instead of Polya-Gamma
PG_MIN_BETA = 1e-2


@dataclass(frozen=True)
class DynamicsPrior:
    """Matrix-normal inverse-Wishart prior of one state's ``(A, b, Q)`` for latent dimension D.

    ``Q ~ IW(D + nu0_extra, s0_scale I)``, ``[A | b] | Q ~ MN([m0_scale I | 0], Q, (k0_scale I)^-1)``. The defaults
    are the spec's (and the sampler's) prior; ``k0_scale`` below 1 loosens ``A`` around ``m0_scale I`` (the
    prior standard deviation of an entry of A is ``sqrt(Q_ii / k0_scale)``).
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
class Reference:
    """The AIS reference ``q``: ``X_t ~ N(x_mean[t], x_cov[t])`` independently over t, ``(d_i, c_i) ~
    N(dc_mean[i], dc_cov[i])``, ``log r_i ~ N(logr_mean[i], logr_sd[i]^2)``."""

    x_mean: np.ndarray  # (T, D)
    x_cov: np.ndarray  # (T, D, D)
    dc_mean: np.ndarray  # (N, P)
    dc_cov: np.ndarray  # (N, P, P)
    logr_mean: np.ndarray  # (N,)
    logr_sd: np.ndarray  # (N,)


@dataclass(frozen=True)
class EvidenceResult:
    """An AIS estimate: ``log_evidence`` with its Monte Carlo standard error ``se`` and the runs' log weights."""

    log_evidence: float
    se: float
    log_weights: np.ndarray
    n_temperatures: int

    @property
    def ess(self) -> float:
        """Effective number of runs, ``(sum w)^2 / sum w^2``."""
        w = np.exp(self.log_weights - self.log_weights.max())
        return float(w.sum() ** 2 / (w**2).sum())


def _log_mean_exp_se(lw: np.ndarray) -> tuple[float, float]:
    """``log mean exp(lw)`` and its delta-method standard error ``sd(w) / (sqrt(n) mean(w))``."""
    lw = np.asarray(lw, dtype=float)
    est = float(logsumexp(lw) - np.log(lw.size))
    w = np.exp(lw - lw.max())
    se = float(w.std(ddof=1) / (np.sqrt(lw.size) * w.mean())) if lw.size > 1 else float("inf")
    return est, se


def _states_used(xi: np.ndarray) -> np.ndarray:
    """States that some transition (t >= 1) uses; the others' dynamics never enter the density."""
    return np.unique(xi[1:])


def _sample_mniw(
    X: np.ndarray,
    xi: np.ndarray,
    states: np.ndarray,
    prior: DynamicsPrior,
    weight: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A, b, Q)`` of ``states`` from ``p(dyn) p(X | dyn)^weight`` (weight 0: the prior)."""
    T, D = X.shape
    M0, K0, nu0, S0 = prior.matrices(D)
    S = len(states)
    A = np.empty((S, D, D))
    b = np.empty((S, D))
    Q = np.empty((S, D, D))
    Z = np.hstack([X[:-1], np.ones((T - 1, 1))])
    Y = X[1:]
    for k, s in enumerate(states):
        m = xi[1:] == s
        Zs, Ys = Z[m], Y[m]
        Kn = K0 + weight * Zs.T @ Zs
        Syx = M0 @ K0 + weight * Ys.T @ Zs
        Kn_inv = np.linalg.inv(Kn)
        Kn_inv = 0.5 * (Kn_inv + Kn_inv.T)
        Mn = Syx @ Kn_inv
        Sn = S0 + weight * Ys.T @ Ys + M0 @ K0 @ M0.T - Mn @ Syx.T
        Sn = 0.5 * (Sn + Sn.T) + 1e-12 * np.eye(D)
        nu = nu0 + weight * m.sum()
        # Bartlett: Q^-1 ~ Wishart(nu, Sn^-1)
        Cw = np.linalg.cholesky(np.linalg.inv(Sn))
        B = np.tril(rng.standard_normal((D, D)), -1)
        B[np.arange(D), np.arange(D)] = np.sqrt(rng.chisquare(nu - np.arange(D)))
        CB = Cw @ B
        Qs = np.linalg.inv(CB @ CB.T)
        Qs = 0.5 * (Qs + Qs.T)
        W = Mn + np.linalg.cholesky(Qs) @ rng.standard_normal((D, D + 1)) @ np.linalg.cholesky(Kn_inv).T
        A[k], b[k], Q[k] = W[:, :D], W[:, D], Qs
    return A, b, Q


def _log_mvn_rows(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``log N(x_k; mean_k, cov_k)`` for stacked rows."""
    L = np.linalg.cholesky(cov)
    white = np.linalg.solve(L, (x - mean)[..., None])[..., 0]
    logdet = 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return np.asarray(-0.5 * (white**2).sum(-1) - 0.5 * logdet - 0.5 * x.shape[-1] * _LOG2PI)


def _log_p_x(
    X: np.ndarray, xi: np.ndarray, states: np.ndarray, A: np.ndarray, b: np.ndarray, Q: np.ndarray
) -> float:
    """``log p(X | dynamics, xi)`` with ``X_0 ~ N(0, I)``."""
    D = X.shape[1]
    out = -0.5 * float(X[0] @ X[0]) - 0.5 * D * _LOG2PI
    idx = np.searchsorted(states, xi[1:])
    pred = np.einsum("tij,tj->ti", A[idx], X[:-1]) + b[idx]
    out += float(_log_mvn_rows(X[1:], pred, Q[idx]).sum())
    return out


@dataclass
class _Theta:
    X: np.ndarray
    dc: np.ndarray  # (N, P): d_i, c_i
    logr: np.ndarray
    A: np.ndarray
    b: np.ndarray
    Q: np.ndarray


class _Problem:
    """Data and fixed structure of one evidence computation."""

    def __init__(
        self, y: np.ndarray, z: np.ndarray, xi: np.ndarray, p: int, prior: DynamicsPrior, ref: Reference
    ) -> None:
        self.y = np.ascontiguousarray(y, dtype=float)
        self.z = np.asarray(z, dtype=np.int64)
        self.xi = np.asarray(xi, dtype=np.int64)
        self.N, self.T = self.y.shape
        self.P = p + 1
        self.K = int(self.z.max()) + 1
        self.D = self.K * self.P
        self.prior = prior
        self.ref = ref
        self.states = _states_used(self.xi)
        self.log_fact = -float(gammaln(self.y + 1).sum())
        self.x_prec = np.linalg.inv(ref.x_cov)
        self.x_prec = 0.5 * (self.x_prec + self.x_prec.transpose(0, 2, 1))
        self.dc_prec = np.linalg.inv(ref.dc_cov)
        self.dc_prec = 0.5 * (self.dc_prec + self.dc_prec.transpose(0, 2, 1))

    def eta(self, th: _Theta) -> np.ndarray:
        L = th.X.reshape(self.T, self.K, self.P).transpose(1, 0, 2)[self.z]  # (N, T, P)
        return np.asarray(th.dc[:, :1] + L[:, :, 0] + np.einsum("ip,itp->it", th.dc[:, 1:], L[:, :, 1:]))

    def loglik(self, th: _Theta, eta: np.ndarray | None = None) -> float:
        e = self.eta(th) if eta is None else eta
        return float(nb_loglik_rows(self.y, np.ascontiguousarray(e), np.exp(th.logr)).sum()) + self.log_fact

    def log_prior_model(self, th: _Theta) -> float:
        """``log p(X | dyn) + log p(d, c) + log p(log r)`` (the dynamics prior itself is in every f_beta)."""
        lp = _log_p_x(th.X, self.xi, self.states, th.A, th.b, th.Q)
        lp += float(-0.5 * (th.dc**2).sum() - 0.5 * th.dc.size * _LOG2PI)
        lp += float(
            (-0.5 * ((th.logr - _LOGR_MEAN) / _LOGR_SD) ** 2 - math.log(_LOGR_SD) - 0.5 * _LOG2PI).sum()
        )
        return lp

    def log_ref(self, th: _Theta) -> float:
        r = self.ref
        lq = float(_log_mvn_rows(th.X, r.x_mean, r.x_cov).sum())
        lq += float(_log_mvn_rows(th.dc, r.dc_mean, r.dc_cov).sum())
        lq += float(
            (-0.5 * ((th.logr - r.logr_mean) / r.logr_sd) ** 2 - np.log(r.logr_sd) - 0.5 * _LOG2PI).sum()
        )
        return lq

    def draw_start(self, rng: np.random.Generator) -> _Theta:
        """A draw from ``f_0 = p(dynamics) q(X, d, c, log r)``."""
        r = self.ref
        X = r.x_mean + np.einsum(
            "tij,tj->ti", np.linalg.cholesky(r.x_cov), rng.standard_normal((self.T, self.D))
        )
        dc = r.dc_mean + np.einsum(
            "nij,nj->ni", np.linalg.cholesky(r.dc_cov), rng.standard_normal((self.N, self.P))
        )
        logr = r.logr_mean + r.logr_sd * rng.standard_normal(self.N)
        A, b, Q = _sample_mniw(X, self.xi, self.states, self.prior, 0.0, rng)
        return _Theta(X, dc, logr, A, b, Q)

    def transition(self, th: _Theta, beta: float, rng: np.random.Generator) -> None:
        """One sweep leaving ``f_beta`` invariant (in place); ``0 < beta <= 1``.

        Below ``PG_MIN_BETA`` the Polya-Gamma parameter ``beta (y + r)`` can fall under what ``polyagamma``
        samples (1e-4), so there the latents, loadings and dispersions move by an independence
        Metropolis-Hastings proposal from ``q`` (acceptance ``exp(beta (g' - g))`` with ``g`` the log ratio of
        :meth:`log_target_ratio`); above it by the Gibbs steps. Which kernel runs depends on beta only.
        """
        th.A, th.b, th.Q = _sample_mniw(th.X, self.xi, self.states, self.prior, beta, rng)
        if beta < PG_MIN_BETA:
            prop = self.draw_start(rng)
            prop.A, prop.b, prop.Q = th.A, th.b, th.Q
            if np.log(rng.random()) < beta * (self.log_target_ratio(prop) - self.log_target_ratio(th)):
                th.X, th.dc, th.logr = prop.X, prop.dc, prop.logr
            return
        N, T, P, K, D = self.N, self.T, self.P, self.K, self.D
        one_m = 1.0 - beta
        if np.any(beta * (self.y.min() + np.exp(th.logr)) <= 1.1e-4):
            raise FloatingPointError("a Polya-Gamma parameter fell below 1.1e-4 (a dispersion below 0.011)")
        # tempered NB likelihood through Polya-Gamma: omega ~ PG(beta (y + r), eta - log r)
        r = np.exp(th.logr)[:, None]
        eta = self.eta(th)
        omega = np.maximum(sample_pg(beta * (self.y + r), eta - np.log(r), rng), 1e-300)
        target = beta * (self.y - r) / 2.0 / omega + np.log(r)  # pseudo-observation of eta, precision omega
        # latents: FFBS with the transition covariances / beta and q's factors^(1 - beta) as evidence
        H = np.concatenate([np.ones((N, 1)), th.dc[:, 1:]], 1)
        resid = target - th.dc[:, :1]
        J = one_m * self.x_prec.copy()
        h = one_m * np.einsum("tij,tj->ti", self.x_prec, self.ref.x_mean)
        for k in range(K):
            m = self.z == k
            sl = slice(k * P, (k + 1) * P)
            HH = (H[m][:, :, None] * H[m][:, None, :]).reshape(-1, P * P)
            J[:, sl, sl] += (omega[m].T @ HH).reshape(T, P, P)
            h[:, sl] += (omega[m] * resid[m]).T @ H[m]
        idx = np.searchsorted(self.states, self.xi)
        idx[0] = 0
        th.X = ffbs_by_state(J, h, th.A, th.b, th.Q / beta, idx, np.zeros(D), np.eye(D) / beta, rng)
        # loadings: prior N(0, I)^beta times q^(1 - beta) times the pseudo-observations
        L = th.X.reshape(T, K, P).transpose(1, 0, 2)[self.z]
        G = np.concatenate([np.ones((N, T, 1)), L[:, :, 1:]], 2)
        yt = target - L[:, :, 0]
        prec = np.einsum("nt,nti,ntj->nij", omega, G, G) + beta * np.eye(P) + one_m * self.dc_prec
        lin = np.einsum("nt,nti->ni", omega * yt, G) + one_m * np.einsum(
            "nij,nj->ni", self.dc_prec, self.ref.dc_mean
        )
        chol = np.linalg.cholesky(prec)
        mean = np.linalg.solve(prec, lin[..., None])[..., 0]
        noise = np.linalg.solve(chol.transpose(0, 2, 1), rng.standard_normal((N, P))[..., None])[..., 0]
        th.dc = mean + noise
        # dispersions: random-walk MH on log r, one neuron at a time in parallel
        eta = np.ascontiguousarray(self.eta(th))
        rf = self.ref

        def logt(lr: np.ndarray) -> np.ndarray:
            ll = nb_loglik_rows(self.y, eta, np.exp(lr)) - gammaln(self.y + 1).sum(1)
            lp = -0.5 * ((lr - _LOGR_MEAN) / _LOGR_SD) ** 2
            lq = -0.5 * ((lr - rf.logr_mean) / rf.logr_sd) ** 2
            return np.asarray(beta * (ll + lp) + one_m * lq)

        for _ in range(2):
            step = th.logr + 0.3 * rng.standard_normal(N)
            acc = np.log(rng.random(N)) < logt(step) - logt(th.logr)
            th.logr = np.where(acc, step, th.logr)

    def log_target_ratio(self, th: _Theta) -> float:
        """``log[p(X | dyn) p(d, c) p(log r) p(y | theta)] - log q(X, d, c, log r)``."""
        return self.log_prior_model(th) + self.loglik(th) - self.log_ref(th)


def _check_inputs(
    y: np.ndarray, z: np.ndarray, xi: np.ndarray, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y)
    if y.ndim != 2 or not np.issubdtype(y.dtype, np.number) or np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError("y must be a 2-D array of non-negative integer counts (neurons x bins)")
    z = np.asarray(z)
    if z.shape != (y.shape[0],) or not np.issubdtype(z.dtype, np.integer) or z.min() < 0:
        raise ValueError("z must hold one non-negative integer cluster label per neuron (row of y)")
    if set(np.unique(z).tolist()) != set(range(int(z.max()) + 1)):
        raise ValueError("z must use the labels 0..K-1 without gaps")
    xi = np.asarray(xi)
    if xi.shape != (y.shape[1],) or not np.issubdtype(xi.dtype, np.integer) or xi.min() < 0:
        raise ValueError("xi must hold one non-negative integer state label per time bin (column of y)")
    if not isinstance(p, (int, np.integer)) or isinstance(p, bool) or p < 1:
        raise ValueError(f"p must be a positive integer, got {p!r}")
    return y, z.astype(np.int64), xi.astype(np.int64)


def default_temperatures(n: int, power: float = 4.0) -> np.ndarray:
    """``beta_k = (k / n)^power``, k = 0..n (dense near 0, where the weights change fastest)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return np.asarray((np.arange(n + 1) / n) ** power)


def ais_log_evidence(
    y: np.ndarray,
    z: np.ndarray,
    xi: np.ndarray,
    reference: Reference,
    p: int = 2,
    prior: DynamicsPrior | None = None,
    temperatures: np.ndarray | int = 1000,
    n_runs: int = 8,
    seed: int | np.random.SeedSequence = 0,
) -> EvidenceResult:
    """AIS estimate of ``log p(y | z, xi)`` (see the module docstring).

    Parameters
    ----------
    y : numpy.ndarray
        Counts ``(N, T)``.
    z : numpy.ndarray
        Neuron clusters ``(N,)``, labels ``0..K-1``.
    xi : numpy.ndarray
        State path ``(T,)``; the transition into bin t uses state ``xi[t]``.
    reference : Reference
        The start distribution ``q`` (e.g. from :func:`fit_reference`).
    p : int
        Latent dimension per cluster besides the intercept trajectory.
    prior : DynamicsPrior, optional
        Dynamics prior; default the spec's.
    temperatures : numpy.ndarray or int
        Increasing ``beta`` from 0 to 1, or their number (:func:`default_temperatures`).
    n_runs : int
        Independent AIS runs.
    seed : int or numpy.random.SeedSequence
    """
    y, z, xi = _check_inputs(y, z, xi, p)
    prior = DynamicsPrior() if prior is None else prior
    betas = (
        default_temperatures(temperatures)
        if isinstance(temperatures, (int, np.integer))
        else np.asarray(temperatures, dtype=float)
    )
    if (
        betas.ndim != 1
        or betas.size < 2
        or betas[0] != 0.0
        or betas[-1] != 1.0
        or np.any(np.diff(betas) <= 0)
    ):
        raise ValueError("temperatures must increase strictly from 0 to 1")
    if not isinstance(n_runs, (int, np.integer)) or n_runs < 2:
        raise ValueError(f"n_runs must be an integer >= 2, got {n_runs!r}")
    prob = _Problem(y, z, xi, p, prior, reference)
    _check_reference(reference, prob)
    seeds = (
        np.random.SeedSequence(seed).spawn(int(n_runs))
        if isinstance(seed, (int, np.integer))
        else seed.spawn(int(n_runs))
    )
    lw = np.empty(int(n_runs))
    for run, ss in enumerate(seeds):
        rng = np.random.default_rng(ss)
        th = prob.draw_start(rng)
        acc = 0.0
        for k in range(1, betas.size):
            acc += (betas[k] - betas[k - 1]) * prob.log_target_ratio(th)
            prob.transition(th, float(betas[k]), rng)
        lw[run] = acc
    est, se = _log_mean_exp_se(lw)
    return EvidenceResult(est, se, lw, int(betas.size - 1))


def _check_reference(ref: Reference, prob: _Problem) -> None:
    shapes = {
        "x_mean": (prob.T, prob.D),
        "x_cov": (prob.T, prob.D, prob.D),
        "dc_mean": (prob.N, prob.P),
        "dc_cov": (prob.N, prob.P, prob.P),
        "logr_mean": (prob.N,),
        "logr_sd": (prob.N,),
    }
    for name, shape in shapes.items():
        val = np.asarray(getattr(ref, name))
        if val.shape != shape or not np.all(np.isfinite(val)):
            raise ValueError(f"reference.{name} must be a finite array of shape {shape}, got {val.shape}")
    if np.any(ref.logr_sd <= 0):
        raise ValueError("reference.logr_sd must be positive")


def fit_reference(
    y: np.ndarray,
    z: np.ndarray,
    xi: np.ndarray,
    p: int = 2,
    prior: DynamicsPrior | None = None,
    n_sweeps: int = 300,
    keep: int = 200,
    inflate: float = 2.0,
    seed: int = 0,
) -> Reference:
    """A reference ``q`` for :func:`ais_log_evidence` from a pilot Gibbs run at ``beta = 1``.

    The pilot starts from a crude ``q`` (latents 0 with unit variance, the priors of the loadings and dispersions)
    and runs ``n_sweeps`` sweeps of the same transition; the moments of the last ``keep`` draws, with their
    covariances multiplied by ``inflate``, define ``q``. The estimate is unbiased for any ``q``; a closer one only
    lowers its variance.
    """
    y, z, xi = _check_inputs(y, z, xi, p)
    prior = DynamicsPrior() if prior is None else prior
    if not 0 < keep <= n_sweeps:
        raise ValueError(f"keep must lie in (0, n_sweeps={n_sweeps}], got {keep!r}")
    N, T = y.shape
    P = p + 1
    D = (int(z.max()) + 1) * P
    crude = Reference(
        x_mean=np.zeros((T, D)),
        x_cov=np.broadcast_to(np.eye(D), (T, D, D)).copy(),
        dc_mean=np.zeros((N, P)),
        dc_cov=np.broadcast_to(np.eye(P), (N, P, P)).copy(),
        logr_mean=np.full(N, _LOGR_MEAN),
        logr_sd=np.full(N, _LOGR_SD),
    )
    prob = _Problem(y, z, xi, p, prior, crude)
    rng = np.random.default_rng(seed)
    th = prob.draw_start(rng)
    Xs, dcs, lrs = [], [], []
    for it in range(n_sweeps):
        prob.transition(th, 1.0, rng)
        if it >= n_sweeps - keep:
            Xs.append(th.X.copy())
            dcs.append(th.dc.copy())
            lrs.append(th.logr.copy())
    Xa, dca, lra = np.stack(Xs), np.stack(dcs), np.stack(lrs)
    x_cov = np.einsum("sti,stj->tij", Xa - Xa.mean(0), Xa - Xa.mean(0)) / max(keep - 1, 1)
    dc_cov = np.einsum("sni,snj->nij", dca - dca.mean(0), dca - dca.mean(0)) / max(keep - 1, 1)
    return Reference(
        x_mean=Xa.mean(0),
        x_cov=inflate * x_cov + 1e-4 * np.eye(D),
        dc_mean=dca.mean(0),
        dc_cov=inflate * dc_cov + 1e-4 * np.eye(P),
        logr_mean=lra.mean(0),
        logr_sd=np.sqrt(inflate) * lra.std(0) + 0.05,
    )


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
    y, z, xi = _check_inputs(y, z, xi, p)
    prior = DynamicsPrior() if prior is None else prior
    rng = np.random.default_rng(seed)
    N, T = y.shape
    P = p + 1
    K = int(z.max()) + 1
    D = K * P
    states = _states_used(xi)
    M0, K0, nu0, S0 = prior.matrices(D)
    yf = y.astype(float)
    lw = np.empty(n_draws)
    chunk = 20_000
    for start in range(0, n_draws, chunk):
        n = min(chunk, n_draws - start)
        # dynamics of each used state from the MNIW prior (Bartlett), then latents by simulation
        A = np.empty((len(states), n, D, D))
        b = np.empty((len(states), n, D))
        Lq = np.empty((len(states), n, D, D))
        Cw = np.linalg.cholesky(np.linalg.inv(S0))
        for k in range(len(states)):
            B = np.tril(rng.standard_normal((n, D, D)), -1)
            B[:, np.arange(D), np.arange(D)] = np.sqrt(rng.chisquare(nu0 - np.arange(D), size=(n, D)))
            CB = Cw @ B
            Q = np.linalg.inv(CB @ CB.transpose(0, 2, 1))
            Lq[k] = np.linalg.cholesky(0.5 * (Q + Q.transpose(0, 2, 1)))
            W = M0 + Lq[k] @ rng.standard_normal((n, D, D + 1)) @ np.linalg.cholesky(np.linalg.inv(K0)).T
            A[k], b[k] = W[:, :, :D], W[:, :, D]
        X = np.empty((n, T, D))
        X[:, 0] = rng.standard_normal((n, D))
        for t in range(1, T):
            k = int(np.searchsorted(states, xi[t]))
            X[:, t] = (
                np.einsum("nij,nj->ni", A[k], X[:, t - 1])
                + b[k]
                + np.einsum("nij,nj->ni", Lq[k], rng.standard_normal((n, D)))
            )
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
    if xi.ndim != 1 or xi.min() < 0 or xi.max() >= hmm.L:
        raise ValueError(f"xi must be a 1-D path of state labels in [0, L={hmm.L})")
    rng = np.random.default_rng(seed)
    betas = np.maximum(rng.dirichlet(np.full(hmm.L, hmm.gamma / hmm.L), size=n_draws), 1e-300)
    lw = np.array([path_log_prior(xi, bt / bt.sum(), hmm) for bt in betas])
    return _log_mean_exp_se(lw)
