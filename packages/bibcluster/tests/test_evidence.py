"""Bayes factors between state paths: the bridge AIS against brute force on tiny problems, and its parts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import beta as beta_dist

from bibcluster import StickyHDPHMM
from bibcluster.evidence import (
    DynamicsPrior,
    _sample_mniw,
    brute_force_log_evidence,
    default_schedule,
    log_bayes_factor,
    path_log_prior_marginal,
)
from bibcluster.statemoves import path_log_prior

# two neurons of one cluster (p = 1, D = 2) over 5 bins whose rate rises in the last two: under the spec's prior
# one state is preferred (brute force: log BF of the switch = -0.57 +- 0.08), under a loose noise prior the
# switch is (+0.25 +- 0.03)
_Y = np.array([[0, 0, 1, 6, 9], [1, 0, 0, 5, 8]])
_Z = np.zeros(2, dtype=np.int64)
_XA = np.zeros(5, dtype=np.int64)
_XB = np.array([0, 0, 0, 1, 1])


def _brute_bf(prior: DynamicsPrior, n: int) -> tuple[float, float]:
    a, sa = brute_force_log_evidence(_Y, _Z, _XA, p=1, prior=prior, n_draws=n, seed=1)
    b, sb = brute_force_log_evidence(_Y, _Z, _XB, p=1, prior=prior, n_draws=n, seed=2)
    return b - a, float(np.hypot(sa, sb))


def test_bridge_brackets_the_brute_force_bayes_factor() -> None:
    """Forward (low) and reverse (high) AIS estimates bracket the difference of two brute-force evidences (each
    side within 3 of its standard errors), and the bracket is narrow."""
    want, wse = _brute_bf(DynamicsPrior(), 1_000_000)
    res = log_bayes_factor(_Y, _Z, _XA, _XB, p=1, schedule=400, n_runs=16, burn_in=100, seed=3)
    assert res.forward - 3 * res.forward_se <= want + 3 * wse
    assert res.reverse + 3 * res.reverse_se >= want - 3 * wse
    assert res.gap < 3.0


def test_bridge_between_relabelled_paths_gives_zero() -> None:
    """Two paths that differ only by the names of their states have the same evidence exactly (the prior is
    exchangeable in the labels), yet the bridge moves every transition from one state's dynamics to the other's:
    the forward and reverse estimates must bracket 0 (N = 6, T = 30, two clusters; measured with this schedule:
    -3.9 +- 0.5 and 5.2 +- 0.8)."""
    Y, truth = _sim(T=30)
    xa = (np.arange(30) >= 15).astype(np.int64)
    res = log_bayes_factor(Y, truth, xa, 1 - xa, p=1, schedule=300, n_runs=8, burn_in=100, seed=5)
    assert res.forward - 3 * res.forward_se <= 0.0 <= res.reverse + 3 * res.reverse_se
    assert res.gap < 15.0


@pytest.mark.slow
@pytest.mark.parametrize("prior", [DynamicsPrior(), DynamicsPrior(s0_scale=0.5)])
def test_bridge_brackets_the_brute_force_bayes_factor_precisely(prior: DynamicsPrior) -> None:
    """As above with 8 million brute-force draws and 64 runs per direction, under two priors whose Bayes factors
    have opposite signs."""
    want, wse = _brute_bf(prior, 8_000_000)
    res = log_bayes_factor(_Y, _Z, _XA, _XB, p=1, prior=prior, schedule=800, n_runs=64, burn_in=200, seed=4)
    assert res.forward - 3 * res.forward_se <= want + 3 * wse
    assert res.reverse + 3 * res.reverse_se >= want - 3 * wse
    assert res.gap < 1.5


def _sim(T: int) -> tuple[np.ndarray, np.ndarray]:
    from bibcluster import simulate

    Y, truth = simulate.simulate_biclustered(n_per_cluster=3, n_clusters=2, p=1, T=T, seed=2)
    return Y.counts, truth.z.astype(np.int64)


def test_brute_force_sees_a_changed_prior() -> None:
    """Guard against a check that cannot fail: a looser dynamics prior gives a measurably different evidence."""
    a, sa = brute_force_log_evidence(_Y, _Z, _XA, p=1, n_draws=200_000, seed=6)
    b, sb = brute_force_log_evidence(
        _Y, _Z, _XA, p=1, prior=DynamicsPrior(s0_scale=1.0), n_draws=200_000, seed=6
    )
    assert abs(a - b) > 8 * np.hypot(sa, sb)


def test_weighted_dynamics_draws_match_the_conjugate_posterior() -> None:
    """With weight 1 on every transition the MNIW draw is the full conditional (mean of A equals M_n in closed
    form); with weight 0 it is the prior (mean m0_scale I); weights scale the statistics."""
    rng = np.random.default_rng(7)
    T, D = 40, 2
    X = np.cumsum(0.3 * rng.standard_normal((T, D)), 0)
    prior = DynamicsPrior(m0_scale=0.5)
    M0, K0, _, _ = prior.matrices(D)
    Z = np.hstack([X[:-1], np.ones((T - 1, 1))])
    for wt in (1.0, 0.3):
        draws = np.stack([_sample_mniw(X, np.full((1, T - 1), wt), prior, rng)[0][0] for _ in range(4000)])
        Mn = (M0 @ K0 + wt * X[1:].T @ Z) @ np.linalg.inv(K0 + wt * Z.T @ Z)
        assert np.all(np.abs(draws.mean(0) - Mn[:, :D]) < 4 * draws.std(0) / np.sqrt(4000) + 1e-9)
    prior_draws = np.stack([_sample_mniw(X, np.zeros((1, T - 1)), prior, rng)[0][0] for _ in range(4000)])
    assert np.all(np.abs(prior_draws.mean(0) - 0.5 * np.eye(D)) < 4 * prior_draws.std(0) / np.sqrt(4000))


def test_path_prior_marginal_matches_quadrature_over_beta() -> None:
    """L = 2: beta = (u, 1 - u) with u ~ Beta(gamma/2, gamma/2); integrate p(xi | beta) over u numerically."""
    hmm = StickyHDPHMM(L=2, alpha=2.0, gamma=3.0, kappa=1.5)
    xi = np.array([0, 0, 1, 1, 1, 0, 0, 0])

    def integrand(u: float) -> float:
        return float(np.exp(path_log_prior(xi, np.array([u, 1 - u]), hmm)) * beta_dist(1.5, 1.5).pdf(u))

    exact = np.log(integrate.quad(integrand, 0, 1, limit=200)[0])
    est, se = path_log_prior_marginal(xi, hmm, n_draws=100_000, seed=1)
    assert abs(est - exact) < 4 * se + 1e-3


def test_evidence_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="y must"):
        log_bayes_factor(-_Y, _Z, _XA, _XB, p=1)
    with pytest.raises(ValueError, match="z must"):
        log_bayes_factor(_Y, np.array([0, 2]), _XA, _XB, p=1)
    with pytest.raises(ValueError, match="xi must"):
        log_bayes_factor(_Y, _Z, _XA[:3], _XB, p=1)
    with pytest.raises(ValueError, match="schedule"):
        log_bayes_factor(_Y, _Z, _XA, _XB, p=1, schedule=np.array([0.0, 0.5]))
    with pytest.raises(ValueError, match="n_runs"):
        log_bayes_factor(_Y, _Z, _XA, _XB, p=1, n_runs=1)
    with pytest.raises(ValueError, match="p must"):
        log_bayes_factor(_Y, _Z, _XA, _XB, p=0)
    with pytest.raises(ValueError, match="k0_scale"):
        DynamicsPrior(k0_scale=0.0)
    with pytest.raises(ValueError, match="n must"):
        default_schedule(0)
    with pytest.raises(ValueError, match="xi must"):
        path_log_prior_marginal(np.array([0, 12]))
