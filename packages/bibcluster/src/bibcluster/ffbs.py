"""Forward-filtering backward-sampling for a linear-Gaussian state space model in information form.

Model: ``X_0 ~ N(m0, P0)``, ``X_t = A_t X_{t-1} + b_t + eps_t``, ``eps_t ~ N(0, Q_t)`` (t >= 1), and Gaussian
evidence on each ``X_t`` given as information ``(J_t, h_t)``: ``log p(obs_t | X_t) = -1/2 X'J_t X + h_t'X + const``.
For Polya-Gamma pseudo-observations ``yhat_it ~ N(H_i X_t, 1/omega_it)`` this is ``J_t = sum_i omega_it H_i'H_i``
and ``h_t = sum_i omega_it yhat_it H_i``, so only D x D matrices are ever factorised (D = latent dimension),
never the N x N innovation covariance.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ffbs"]


def _sym(a: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (a + a.swapaxes(-1, -2)))


def ffbs(
    J: np.ndarray,
    h: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    Q: np.ndarray,
    m0: np.ndarray,
    P0: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw ``X_{0:T-1}`` from its Gaussian posterior.

    Parameters
    ----------
    J, h : numpy.ndarray
        Evidence information matrices ``(T, D, D)`` and vectors ``(T, D)``.
    A, b, Q : numpy.ndarray
        Transition into step t, shapes ``(T, D, D)``, ``(T, D)``, ``(T, D, D)``; entry 0 is unused.
    m0, P0 : numpy.ndarray
        Prior mean ``(D,)`` and covariance ``(D, D)`` of ``X_0``.
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        One draw, shape ``(T, D)``.
    """
    T, D = h.shape
    lam_f = np.empty((T, D, D))  # filtered precision
    eta_f = np.empty((T, D))  # filtered information vector
    lam_p = np.linalg.inv(P0)
    eta_p = lam_p @ m0
    eye = np.eye(D)
    for t in range(T):
        lam = _sym(lam_p + J[t])
        eta = eta_p + h[t]
        lam_f[t] = lam
        eta_f[t] = eta
        if t + 1 < T:
            cov = np.linalg.inv(lam)
            mean = cov @ eta
            At = A[t + 1]
            pred_cov = _sym(At @ cov @ At.T + Q[t + 1])
            lam_p = np.linalg.inv(pred_cov + 1e-12 * eye)
            eta_p = lam_p @ (At @ mean + b[t + 1])
    # backward pass: X_t | X_{t+1} has precision lam_f[t] + A'Q^-1 A (independent of the draws), so every
    # factorisation is batched over t and only matrix-vector products remain sequential
    x = np.empty((T, D))
    z = rng.standard_normal((T, D))
    x[T - 1] = _draw_info(lam_f[T - 1], eta_f[T - 1], z[T - 1])
    if T > 1:
        A1, b1 = A[1:], b[1:]
        AtQ = np.matmul(A1.transpose(0, 2, 1), np.linalg.inv(Q[1:]))  # (T-1, D, D)
        lam_b = _sym(lam_f[:-1] + np.matmul(AtQ, A1))
        chol = np.linalg.cholesky(lam_b)
        cov_b = np.linalg.inv(lam_b)
        noise = np.linalg.solve(chol.transpose(0, 2, 1), z[:-1, :, None])[..., 0]
        for t in range(T - 2, -1, -1):
            x[t] = cov_b[t] @ (eta_f[t] + AtQ[t] @ (x[t + 1] - b1[t])) + noise[t]
    return x


def _draw_info(lam: np.ndarray, eta: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Draw from ``N(lam^-1 eta, lam^-1)`` with a Cholesky factor of the precision."""
    L = np.linalg.cholesky(lam)
    mean = np.linalg.solve(lam, eta)
    return mean + np.linalg.solve(L.T, z)
