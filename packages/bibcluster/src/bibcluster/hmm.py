"""Sticky HDP-HMM in the weak-limit approximation (Fox et al. 2011) with autoregressive Gaussian emissions.

The state ``xi_t`` (t >= 1) selects the dynamics ``X_t = A_s X_{t-1} + b_s + N(0, Q_s)``. Priors: ``beta ~
Dir(gamma/L, ..., gamma/L)``, ``pi_l ~ Dir(alpha beta + kappa e_l)``, and a matrix-normal inverse-Wishart prior
``Q ~ IW(nu0, S0)``, ``[A | b] ~ MN(M0, Q, K0^-1)`` with ``M0 = [I | 0]``, ``K0 = I``, ``nu0 = D + 2``,
``S0 = 1e-2 I``. ``X_0 ~ N(0, I)`` under every state, so step 0 carries no evidence about ``xi_0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bibcluster._kernels import sample_states_kernel

__all__ = [
    "StickyHDPHMM",
    "ar_loglik",
    "crt_counts",
    "mniw_prior",
    "sample_dynamics",
    "sample_states",
    "sample_transitions",
]


@dataclass(frozen=True)
class StickyHDPHMM:
    """Hyper-parameters of the weak-limit sticky HDP-HMM over time points (the paper's defaults).

    Parameters
    ----------
    L : int
        Weak-limit truncation (maximum number of states); default 10.
    alpha, gamma, kappa : float
        Transition concentration, top-level concentration and self-transition bias; defaults 5, 5, 10.
    s0_scale : float
        ``S0 = s0_scale * I`` in the inverse-Wishart prior of the state noise; default 1e-2.
    """

    L: int = 10
    alpha: float = 5.0
    gamma: float = 5.0
    kappa: float = 10.0
    s0_scale: float = 1e-2

    def __post_init__(self) -> None:
        if not isinstance(self.L, (int, np.integer)) or self.L < 1:
            raise ValueError(f"L must be a positive integer, got {self.L!r}")
        for name in ("alpha", "gamma", "s0_scale"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not self.kappa >= 0:
            raise ValueError(f"kappa must be >= 0, got {self.kappa!r}")


def ar_loglik(X: np.ndarray, A: np.ndarray, b: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Log-likelihood ``log N(X_t; A_s X_{t-1} + b_s, Q_s)`` for every t and state s; row 0 is zero.

    Shapes: ``X (T, D)``, ``A (L, D, D)``, ``b (L, D)``, ``Q (L, D, D)``; returns ``(T, L)``.
    """
    T, D = X.shape
    pred = np.einsum("lij,tj->lti", A, X[:-1]) + b[:, None, :]
    resid = X[None, 1:] - pred  # (L, T-1, D)
    chol = np.linalg.cholesky(Q)
    white = np.linalg.solve(chol, resid.transpose(0, 2, 1))  # (L, D, T-1)
    logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(1)
    ll = -0.5 * (white**2).sum(1) - 0.5 * logdet[:, None] - 0.5 * D * np.log(2 * np.pi)
    out = np.zeros((T, A.shape[0]))
    out[1:] = ll.T
    return out


def sample_states(
    loglik: np.ndarray, trans: np.ndarray, init: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Forward filtering, backward sampling of a discrete state path.

    Parameters
    ----------
    loglik : numpy.ndarray
        ``(T, L)`` emission log-likelihoods.
    trans : numpy.ndarray
        ``(L, L)`` row-stochastic transition matrix.
    init : numpy.ndarray
        ``(L,)`` initial distribution.
    """
    T = loglik.shape[0]
    # scaled forward recursion in probability space, backward draws by inverse CDF (compiled loop)
    u: np.ndarray = np.asarray(rng.random(T))
    return np.asarray(
        sample_states_kernel(
            np.ascontiguousarray(loglik, dtype=float),
            np.ascontiguousarray(trans, dtype=float),
            np.asarray(init, dtype=float),
            u,
        )
    )


def crt_counts(n: np.ndarray, conc: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chinese-restaurant table counts: ``m = sum_{i < n} Bernoulli(conc / (i + conc))``, elementwise.

    One uniform per customer (``n.sum()`` in all), not one per cell and customer index.
    """
    n = np.asarray(n, dtype=np.int64)
    flat_n = n.ravel()
    cell = np.repeat(np.arange(flat_n.size), flat_n)
    if cell.size == 0:
        return np.zeros(n.shape, dtype=np.int64)
    first = np.cumsum(flat_n) - flat_n  # index of each cell's first customer
    i = np.arange(cell.size) - first[cell]  # the customer's index within its cell
    c = np.asarray(conc, dtype=float).ravel()[cell]
    seated = rng.random(cell.size) < c / (i + c)
    return np.bincount(cell, weights=seated, minlength=flat_n.size).astype(np.int64).reshape(n.shape)


def sample_transitions(
    states: np.ndarray, beta: np.ndarray, hmm: StickyHDPHMM, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Gibbs update of ``(pi, beta)`` given a state path: auxiliary table counts with the sticky override.

    Returns ``(trans (L, L), beta (L,))``.
    """
    L = hmm.L
    n = np.zeros((L, L), dtype=np.int64)
    np.add.at(n, (states[:-1], states[1:]), 1)
    conc = hmm.alpha * beta[None, :] + hmm.kappa * np.eye(L)
    # m_jk: number of tables in restaurant j serving dish k (Chinese restaurant table counts)
    m = crt_counts(n, conc, rng)
    rho = hmm.kappa / (hmm.alpha + hmm.kappa)
    diag = np.diag(m)
    w = rng.binomial(diag, rho / (rho + beta * (1 - rho)))
    mbar = m.copy()
    mbar[np.arange(L), np.arange(L)] = diag - w
    beta_new = rng.dirichlet(hmm.gamma / L + mbar.sum(0))
    beta_new = np.maximum(beta_new, 1e-12)
    beta_new /= beta_new.sum()
    post = hmm.alpha * beta_new[None, :] + hmm.kappa * np.eye(L) + n
    trans = np.vstack([rng.dirichlet(np.maximum(row, 1e-10)) for row in post])
    trans = np.maximum(trans, 1e-300)
    trans /= trans.sum(1, keepdims=True)
    return trans, beta_new


def mniw_prior(D: int, s0_scale: float) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """The dynamics prior ``(M0 = [I | 0], K0 = I, nu0 = D + 2, S0 = s0_scale I)`` for latent dimension D."""
    return np.hstack([np.eye(D), np.zeros((D, 1))]), np.eye(D + 1), float(D + 2), s0_scale * np.eye(D)


def sample_dynamics(
    X: np.ndarray, states: np.ndarray, hmm: StickyHDPHMM, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conjugate MNIW draw of ``(A_s, b_s, Q_s)`` for every state s given the latents and the state path.

    Unused states get a draw from the prior. Returns ``A (L, D, D)``, ``b (L, D)``, ``Q (L, D, D)``.
    All states are drawn at once: ``Q_s ~ IW(nu0 + n_s, S_n)`` as the inverse of a Bartlett-decomposition
    Wishart draw, then ``[A_s | b_s] | Q_s ~ MN(M_n, Q_s, K_n^-1)``.
    """
    T, D = X.shape
    L = hmm.L
    M0, K0, nu0, S0 = mniw_prior(D, hmm.s0_scale)
    P = D + 1
    W = np.hstack([X[:-1], np.ones((T - 1, 1)), X[1:]])  # (T-1, 2D+1): z_t = (X_{t-1}, 1), y_t = X_t
    onehot = (np.asarray(states)[1:, None] == np.arange(L)[None, :]).astype(float)  # (T-1, L)
    F = W.shape[1]
    stats = (onehot.T @ (W[:, :, None] * W[:, None, :]).reshape(T - 1, F * F)).reshape(L, F, F)
    n = onehot.sum(0)
    Sxx = K0 + stats[:, :P, :P]
    Syx = M0 @ K0 + stats[:, P:, :P]
    Syy = M0 @ K0 @ M0.T + stats[:, P:, P:]
    Sxx_inv = np.linalg.inv(Sxx)
    Sxx_inv = 0.5 * (Sxx_inv + Sxx_inv.transpose(0, 2, 1))
    Mn = Syx @ Sxx_inv
    Sn = S0 + Syy - Mn @ Syx.transpose(0, 2, 1)
    Sn = 0.5 * (Sn + Sn.transpose(0, 2, 1)) + 1e-10 * np.eye(D)
    # Bartlett: Q^-1 ~ Wishart(nu, Sn^-1) = C B B' C' with Sn^-1 = C C', B lower triangular,
    # B_ii = sqrt(chi2(nu - i)) (i = 0..D-1), B_ij ~ N(0, 1) below the diagonal
    nu = nu0 + n
    Cw = np.linalg.cholesky(np.linalg.inv(Sn))
    B = np.tril(rng.standard_normal((L, D, D)), -1)
    B[:, np.arange(D), np.arange(D)] = np.sqrt(rng.chisquare(nu[:, None] - np.arange(D)[None, :]))
    CB = Cw @ B
    Q = np.linalg.inv(CB @ CB.transpose(0, 2, 1))
    Q = 0.5 * (Q + Q.transpose(0, 2, 1))
    Lq = np.linalg.cholesky(Q)
    Lk = np.linalg.cholesky(Sxx_inv)
    Wd = Mn + Lq @ rng.standard_normal((L, D, P)) @ Lk.transpose(0, 2, 1)
    return Wd[:, :, :D].copy(), Wd[:, :, D].copy(), Q
