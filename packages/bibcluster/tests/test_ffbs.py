"""FFBS draws against an independent RTS smoother (spec test 3)."""

import numpy as np

from bibcluster import ffbs


def _rts(y, H, R, A, b, Q, m0, P0):
    """Covariance-form Kalman filter + Rauch-Tung-Striebel smoother (written independently of the sampler)."""
    T, D = y.shape[0], A.shape[0]
    mf, Pf = np.zeros((T, D)), np.zeros((T, D, D))
    mp, Pp = m0, P0
    preds = []
    for t in range(T):
        if t > 0:
            mp = A @ mf[t - 1] + b
            Pp = A @ Pf[t - 1] @ A.T + Q
        preds.append((mp, Pp))
        S = H @ Pp @ H.T + R
        K = Pp @ H.T @ np.linalg.inv(S)
        mf[t] = mp + K @ (y[t] - H @ mp)
        Pf[t] = Pp - K @ H @ Pp
    ms, Ps = mf.copy(), Pf.copy()
    for t in range(T - 2, -1, -1):
        mp, Pp = preds[t + 1]
        G = Pf[t] @ A.T @ np.linalg.inv(Pp)
        ms[t] = mf[t] + G @ (ms[t + 1] - mp)
        Ps[t] = Pf[t] + G @ (Ps[t + 1] - Pp) @ G.T
    return ms, Ps


def test_ffbs_mean_and_variance_match_rts_smoother():
    rng = np.random.default_rng(0)
    T, D, M = 25, 2, 3
    A = np.array([[0.95, 0.1], [-0.1, 0.9]])
    b = np.array([0.05, -0.02])
    Q = np.array([[0.05, 0.01], [0.01, 0.03]])
    H = rng.normal(size=(M, D))
    R = np.diag([0.5, 1.0, 0.3])
    m0, P0 = np.zeros(D), np.eye(D)
    x = np.zeros((T, D))
    x[0] = rng.multivariate_normal(m0, P0)
    for t in range(1, T):
        x[t] = A @ x[t - 1] + b + rng.multivariate_normal(np.zeros(D), Q)
    y = x @ H.T + rng.multivariate_normal(np.zeros(M), R, size=T)
    Rinv = np.linalg.inv(R)
    J = np.broadcast_to(H.T @ Rinv @ H, (T, D, D)).copy()
    h = y @ Rinv @ H
    As = np.broadcast_to(A, (T, D, D)).copy()
    bs = np.broadcast_to(b, (T, D)).copy()
    Qs = np.broadcast_to(Q, (T, D, D)).copy()
    draws = np.stack([ffbs(J, h, As, bs, Qs, m0, P0, rng) for _ in range(2000)])
    ms, Ps = _rts(y, H, R, A, b, Q, m0, P0)
    n = draws.shape[0]
    se = draws.std(0) / np.sqrt(n)
    assert np.all(np.abs(draws.mean(0) - ms) < 3 * se + 1e-12)
    # marginal variances: the sample variance of n Gaussian draws has relative SE sqrt(2 / (n - 1))
    var = np.diagonal(Ps, axis1=1, axis2=2)
    assert np.all(np.abs(draws.var(0, ddof=1) / var - 1) < 4 * np.sqrt(2 / (n - 1)))
