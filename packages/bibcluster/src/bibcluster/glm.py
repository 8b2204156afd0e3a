"""Count likelihoods and the Laplace-approximated marginal likelihood used by the label update.

``logML_ik ~= llf(beta_hat) + log N(beta_hat; 0, I) - 1/2 log det H`` where ``beta = (d_i, c_i)``, the GLM of
``y_i`` on ``(1, x_t^(k))`` with offset ``mu_t^(k)``, and ``H`` the negative Hessian of the log posterior at its
mode (the ``(p+1)/2 log 2 pi`` terms cancel between clusters). The mode is found by a few damped Newton steps,
vectorised over all (neuron, cluster) pairs, in place of a statsmodels fit per pair.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from bibcluster._kernels import laplace_kernel

__all__ = ["laplace_log_marginal", "laplace_log_marginal_numpy", "loglik_counts"]


def loglik_counts(y: np.ndarray, eta: np.ndarray, r: np.ndarray | float | None) -> np.ndarray:
    """Elementwise log-likelihood of counts ``y`` with log-mean ``eta``.

    ``r=None`` is Poisson; otherwise negative binomial with mean ``exp(eta)`` and dispersion ``r``
    (variance ``lambda + lambda^2 / r``). ``r`` broadcasts against ``y``.
    """
    if r is None:
        return np.asarray(y * eta - np.exp(eta) - gammaln(y + 1))
    r = np.asarray(r, dtype=float)
    logr = np.log(r)
    lse = np.logaddexp(logr, eta)
    return np.asarray(gammaln(y + r) - gammaln(r) - gammaln(y + 1) + r * (logr - lse) + y * (eta - lse))


def _grad_weight(y: np.ndarray, eta: np.ndarray, r: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    lam = np.exp(eta)
    if r is None:
        return y - lam, lam
    frac = lam / (lam + r)
    return y - (y + r) * frac, (y + r) * frac * (r / (lam + r))


def laplace_log_marginal(
    y: np.ndarray,
    offset: np.ndarray,
    design: np.ndarray,
    r: np.ndarray | None,
    n_newton: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """Laplace log marginal likelihood of each neuron under each candidate cluster.

    Parameters
    ----------
    y : numpy.ndarray
        Counts ``(N, T)``.
    offset : numpy.ndarray
        ``mu^(k)``, shape ``(K, T)``.
    design : numpy.ndarray
        ``x^(k)``, shape ``(K, T, p)``; the intercept column is added here.
    r : numpy.ndarray or None
        NB dispersions ``(N,)`` or None for Poisson.
    n_newton : int
        Maximum damped Newton iterations per pair from a moment-matched start (a pair stops once its step is
        below 1e-10).

    Returns
    -------
    (log_ml, beta_hat) : tuple of numpy.ndarray
        ``(N, K)`` log marginals and ``(N, K, p+1)`` posterior modes of ``(d_i, c_i)``.

    Notes
    -----
    Runs compiled, one (neuron, cluster) pair at a time; :func:`laplace_log_marginal_numpy` is the same
    computation batched in numpy (the tests compare both).
    """
    N, T = y.shape
    K, _, p = design.shape
    G = np.ascontiguousarray(np.concatenate([np.ones((K, T, 1)), design], axis=2), dtype=float)
    yf = np.ascontiguousarray(y, dtype=float)
    beta0 = np.zeros((N, K, p + 1))
    beta0[:, :, 0] = np.log(y.mean(1) + 0.1)[:, None] - np.log(np.exp(offset).mean(1))[None, :]
    if r is None:
        rr = np.ones(N)
        const = -gammaln(yf + 1).sum(1)
    else:
        rr = np.broadcast_to(np.asarray(r, dtype=float), (N,)).copy()
        const = (gammaln(yf + rr[:, None]) - gammaln(rr[:, None]) - gammaln(yf + 1)).sum(1)
    core, beta = laplace_kernel(
        yf, np.ascontiguousarray(offset, dtype=float), G, rr, r is None, beta0, int(n_newton)
    )
    return np.asarray(core) + const[:, None], np.asarray(beta)


def laplace_log_marginal_numpy(
    y: np.ndarray,
    offset: np.ndarray,
    design: np.ndarray,
    r: np.ndarray | None,
    n_newton: int = 8,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`laplace_log_marginal` batched in numpy over all pairs, with the same parameters and returns.

    The statement the compiled kernel is tested against. Newton runs on all pairs together until every pair's
    step is below 1e-10 (or ``n_newton`` steps).
    """
    N, T = y.shape
    K, _, p = design.shape
    G = np.concatenate([np.ones((K, T, 1)), design], axis=2)  # (K, T, p+1)
    P = p + 1
    yk = y[:, None, :]
    rk = None if r is None else np.asarray(r, dtype=float)[:, None, None]
    beta = np.zeros((N, K, P))
    beta[:, :, 0] = np.log(y.mean(1) + 0.1)[:, None] - np.log(np.exp(offset).mean(1))[None, :]
    eye = np.eye(P)
    GG = (G[:, :, :, None] * G[:, :, None, :]).reshape(K, T, P * P)

    def hess(w: np.ndarray) -> np.ndarray:
        # (K, N, T) @ (K, T, P*P): a batched matrix product instead of a 4-index einsum
        out: np.ndarray = np.matmul(w.transpose(1, 0, 2), GG).transpose(1, 0, 2).reshape(N, K, P, P) + eye
        return out

    for _ in range(n_newton):
        eta = offset[None] + np.matmul(G[None], beta[..., None])[..., 0]
        g, w = _grad_weight(yk, eta, rk)
        grad = np.matmul(g.transpose(1, 0, 2), G).transpose(1, 0, 2) - beta
        H = hess(w)
        step = np.linalg.solve(H, grad[..., None])[..., 0]
        norm = np.linalg.norm(step, axis=-1, keepdims=True)
        beta = beta + step * np.minimum(1.0, 2.0 / np.maximum(norm, 1e-12))
        if float(norm.max()) < 1e-10:  # converged (Newton is quadratic near the mode)
            break
    eta = offset[None] + np.matmul(G[None], beta[..., None])[..., 0]
    _, w = _grad_weight(yk, eta, rk)
    H = hess(w)
    llf = loglik_counts(yk, eta, rk).sum(-1)
    _, logdet = np.linalg.slogdet(H)
    log_ml = llf - 0.5 * (beta**2).sum(-1) - 0.5 * logdet
    return log_ml, beta
