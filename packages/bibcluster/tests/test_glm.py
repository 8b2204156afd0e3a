"""Count likelihoods against scipy.stats and the Laplace mode/curvature against direct computation."""

import numpy as np
import pytest
from scipy import optimize, stats

from bibcluster import laplace_log_marginal, loglik_counts


def test_loglik_counts_matches_scipy():
    y = np.array([0, 1, 3, 10])
    eta = np.array([-1.0, 0.2, 1.0, 2.5])
    r = 7.0
    lam = np.exp(eta)
    np.testing.assert_allclose(loglik_counts(y, eta, r), stats.nbinom.logpmf(y, r, r / (r + lam)))
    np.testing.assert_allclose(loglik_counts(y, eta, None), stats.poisson.logpmf(y, lam))


@pytest.mark.parametrize("r", [None, 5.0])
def test_laplace_mode_and_log_marginal(r):
    rng = np.random.default_rng(0)
    T, p = 120, 1
    x = rng.normal(size=(1, T, p))
    mu = 0.3 * rng.normal(size=(1, T))
    y = rng.poisson(np.exp(0.4 + mu[0] + 0.8 * x[0, :, 0]))[None, :]
    rr = None if r is None else np.array([r])
    log_ml, beta = laplace_log_marginal(y, mu, x, rr)

    def neg_log_post(bb):
        eta = mu[0] + bb[0] + x[0] @ bb[1:]
        return -(loglik_counts(y[0], eta, r).sum() - 0.5 * bb @ bb)

    res = optimize.minimize(neg_log_post, np.zeros(p + 1), method="BFGS", options={"gtol": 1e-9})
    np.testing.assert_allclose(beta[0, 0], res.x, atol=1e-5)
    # Laplace value by numerical Hessian of the same function
    eps = 1e-4
    H = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * eps, np.eye(2)[j] * eps
            H[i, j] = (
                neg_log_post(res.x + e_i + e_j)
                - neg_log_post(res.x + e_i - e_j)
                - neg_log_post(res.x - e_i + e_j)
                + neg_log_post(res.x - e_i - e_j)
            ) / (4 * eps**2)
    expected = -res.fun - 0.5 * np.linalg.slogdet(H)[1]
    assert log_ml[0, 0] == pytest.approx(expected, abs=1e-3)


def test_laplace_prefers_the_generating_trajectory():
    rng = np.random.default_rng(1)
    T = 300
    lat = rng.normal(size=(2, T, 2)) * 0.5
    y = rng.poisson(np.exp(0.5 + lat[1, :, 0] + 0.9 * lat[1, :, 1]))[None, :]
    log_ml, _ = laplace_log_marginal(y, lat[:, :, 0], lat[:, :, 1:], None)
    assert log_ml[0, 1] > log_ml[0, 0] + 10
