"""Forward-filtering backward-sampling for a linear-Gaussian state space model in information form.

Model: ``X_0 ~ N(m0, P0)``, ``X_t = A_t X_{t-1} + b_t + eps_t``, ``eps_t ~ N(0, Q_t)`` (t >= 1), and Gaussian
evidence on each ``X_t`` given as information ``(J_t, h_t)``: ``log p(obs_t | X_t) = -1/2 X'J_t X + h_t'X + const``.
For Polya-Gamma pseudo-observations ``yhat_it ~ N(H_i X_t, 1/omega_it)`` this is ``J_t = sum_i omega_it H_i'H_i``
and ``h_t = sum_i omega_it yhat_it H_i``, so only D x D matrices are ever factorised (D = latent dimension),
never the N x N innovation covariance.
"""

from __future__ import annotations

import numpy as np

from bibcluster._kernels import ffbs_kernel

__all__ = ["ffbs", "ffbs_by_state"]


def _sym(a: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (a + a.swapaxes(-1, -2)))


def ffbs_by_state(
    J: np.ndarray,
    h: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    Q: np.ndarray,
    xi: np.ndarray,
    m0: np.ndarray,
    P0: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """:func:`ffbs` with per-state dynamics ``A (L, D, D)``, ``b (L, D)``, ``Q (L, D, D)`` and a state path ``xi``.

    The transition into step t uses state ``xi[t]`` (as ``ffbs(J, h, A[xi], b[xi], Q[xi], ...)``), but only the L
    noise covariances are inverted; the recursion runs compiled.
    """
    Qi = np.linalg.inv(Q)
    Qi = 0.5 * (Qi + Qi.transpose(0, 2, 1))
    lam0 = np.linalg.inv(P0)
    z = rng.standard_normal(h.shape)
    return np.asarray(
        ffbs_kernel(
            np.ascontiguousarray(J, dtype=float),
            np.ascontiguousarray(h, dtype=float),
            np.ascontiguousarray(A, dtype=float),
            np.ascontiguousarray(b, dtype=float),
            Qi,
            np.asarray(xi, dtype=np.int64),
            lam0,
            lam0 @ np.asarray(m0, dtype=float),
            z,
        )
    )


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
    Q = np.array(Q, dtype=float)
    Q[0] = np.eye(D)  # entry 0 is unused; keep its inverse harmless
    return ffbs_by_state(J, h, A, b, Q, np.arange(T), m0, P0, rng)


def ffbs_numpy(
    J: np.ndarray,
    h: np.ndarray,
    A: np.ndarray,
    b: np.ndarray,
    Q: np.ndarray,
    m0: np.ndarray,
    P0: np.ndarray,
    z: np.ndarray,
) -> np.ndarray:
    """The same recursion as :func:`ffbs` in plain numpy, with the standard normal draws ``z (T, D)`` given.

    Kept as the independent statement of the compiled kernel (the tests compare both on the same ``z``).
    """
    T, D = h.shape
    lam_f = np.empty((T, D, D))  # filtered precision
    eta_f = np.empty((T, D))  # filtered information vector
    cov_b = np.empty(
        (T, D, D)
    )  # (lam_f[t] + A'Q^-1 A)^-1: the covariance of X_t | X_{t+1} in the backward pass
    chol_b = np.empty((T, D, D))  # lower Cholesky factor of that precision
    lam_p = np.linalg.inv(P0)
    eta_p = lam_p @ m0
    if T > 1:
        A1, b1 = A[1:], b[1:]
        Qi = np.linalg.inv(Q[1:])
        Qi = 0.5 * (Qi + Qi.transpose(0, 2, 1))
        AtQ = np.matmul(A1.transpose(0, 2, 1), Qi)  # (T-1, D, D)
        AtQA = np.matmul(AtQ, A1)
    for t in range(T):
        lam = lam_p + J[t]
        eta = eta_p + h[t]
        lam_f[t] = lam
        eta_f[t] = eta
        if t + 1 < T:
            # information-form prediction through the Woodbury identity: one D x D inverse per step,
            # (Q + A lam^-1 A')^-1 = Q^-1 - Q^-1 A (lam + A'Q^-1 A)^-1 A'Q^-1
            M = _sym(lam + AtQA[t])
            omega_inv = np.linalg.inv(M)
            cov_b[t] = omega_inv
            chol_b[t] = np.linalg.cholesky(M)
            G = omega_inv @ AtQ[t]
            lam_p = Qi[t] - AtQ[t].T @ G
            lam_p = 0.5 * (lam_p + lam_p.T)
            eta_p = G.T @ eta + lam_p @ b1[t]
    # backward pass: X_t | X_{t+1} ~ N(cov_b[t] (eta_f[t] + A'Q^-1 (X_{t+1} - b)), cov_b[t]), the noise drawn as
    # L^-T z with L the Cholesky factor of the precision
    x = np.empty((T, D))
    x[T - 1] = _draw_info(_sym(lam_f[T - 1]), eta_f[T - 1], z[T - 1])
    for t in range(T - 2, -1, -1):
        noise = np.linalg.solve(chol_b[t].T, z[t])
        x[t] = cov_b[t] @ (eta_f[t] + AtQ[t] @ (x[t + 1] - b1[t])) + noise
    return x


def _draw_info(lam: np.ndarray, eta: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Draw from ``N(lam^-1 eta, lam^-1)`` with a Cholesky factor of the precision."""
    L = np.linalg.cholesky(lam)
    mean = np.linalg.solve(lam, eta)
    return mean + np.linalg.solve(L.T, z)
