"""A reference-style sweep for timing comparisons (not used by the sampler).

Re-implements (no code copied) the costly steps the way the reference does them: a Polya-Gamma draw, a
covariance-form FFBS whose filter inverts the N x N innovation covariance at every time step, and the label
update's Laplace marginals as one GLM fit per (neuron, candidate cluster) pair, with statsmodels (as the
reference) when it is installed, else an unvectorised Newton loop (cheaper than statsmodels, so the speed-up it
gives is conservative).
"""

from __future__ import annotations

import time

import numpy as np

from bibcluster.glm import loglik_counts
from bibcluster.pg import sample_pg

__all__ = ["naive_ffbs", "reference_style_sweep"]


def naive_ffbs(
    yhat: np.ndarray,
    Cmat: np.ndarray,
    Rdiag: np.ndarray,
    A: np.ndarray,
    Q: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Covariance-form FFBS with an N x N innovation covariance per step (as a direct transcription would do)."""
    T, _N = yhat.shape
    D = A.shape[0]
    mf, Pf = np.zeros((T, D)), np.zeros((T, D, D))
    m, P = np.zeros(D), np.eye(D)
    for t in range(T):
        if t:
            m, P = A @ mf[t - 1], A @ Pf[t - 1] @ A.T + Q
        S = Cmat @ P @ Cmat.T + np.diag(Rdiag[t])
        K = P @ Cmat.T @ np.linalg.inv(S)
        mf[t] = m + K @ (yhat[t] - Cmat @ m)
        Pf[t] = P - K @ Cmat @ P
    x = np.zeros((T, D))
    x[-1] = rng.multivariate_normal(mf[-1], Pf[-1])
    for t in range(T - 2, -1, -1):
        Pp = A @ Pf[t] @ A.T + Q
        G = Pf[t] @ A.T @ np.linalg.inv(Pp)
        cov = Pf[t] - G @ Pp @ G.T
        x[t] = rng.multivariate_normal(
            mf[t] + G @ (x[t + 1] - A @ mf[t]), 0.5 * (cov + cov.T) + 1e-9 * np.eye(D)
        )
    return x


def _glm_fit(y: np.ndarray, design: np.ndarray, offset: np.ndarray, r: float) -> float:
    try:
        import statsmodels.api as sm

        fam = sm.families.NegativeBinomial(alpha=1.0 / r)
        return float(sm.GLM(y, design, family=fam, offset=offset).fit().llf)
    except ImportError:
        beta = np.zeros(design.shape[1])
        for _ in range(8):
            eta = offset + design @ beta
            lam = np.exp(eta)
            g = design.T @ (y - (y + r) * lam / (lam + r)) - beta
            H = (design * ((y + r) * lam * r / (lam + r) ** 2)[:, None]).T @ design + np.eye(len(beta))
            beta = beta + np.linalg.solve(H, g)
        return float(loglik_counts(y, offset + design @ beta, r).sum())


def reference_style_sweep(y: np.ndarray, K: int, p: int, rng: np.random.Generator) -> float:
    """Wall time (s) of one reference-style sweep on counts ``y`` with K clusters of latent dimension p."""
    N, T = y.shape
    D = K * (p + 1)
    z = np.repeat(np.arange(K), N // K)
    lat = rng.normal(size=(K + 1, T, p + 1)) * 0.3
    Cmat = np.zeros((N, D))
    for i in range(N):
        Cmat[i, z[i] * (p + 1) : (z[i] + 1) * (p + 1)] = np.r_[1.0, rng.normal(size=p)]
    t0 = time.perf_counter()
    eta = np.zeros((N, T))
    omega = sample_pg(y + 10.0, eta - np.log(10.0), rng)
    yhat = ((y - 10.0) / 2 / omega + np.log(10.0)).T
    naive_ffbs(yhat, Cmat, (1 / omega).T, 0.9 * np.eye(D), 0.01 * np.eye(D), rng)
    for i in range(N):
        for k in range(K + 1):
            _glm_fit(y[i], np.column_stack([np.ones(T), lat[k, :, 1:]]), lat[k, :, 0], 10.0)
    return time.perf_counter() - t0
